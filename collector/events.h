/* Agent connections: accepts them, decodes their messages and feeds the job table. */
#ifndef MEMWATCH_EVENTS_H
#define MEMWATCH_EVENTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "jobtable.h"

#define EVENTS_SOCKET_NAME "agent.sock"

struct events_conn {
    int fd;
    pid_t peer_pid;            /* from SO_PEERCRED: authoritative over what messages claim */
    struct jt_process *proc;   /* set by the connection's image start */
    int64_t image_start_ns;    /* which image of proc this connection speaks for */
    size_t slot;               /* index in events.conns */
    struct events_conn *next_closed;
};

/* Ended processes whose start was not reported yet: reports from different connections race. */
#define EVENTS_PENDING_ENDS 256

struct events {
    struct jobtable *jt;
    int epoll_fd;
    int listen_fd;
    char dir[PATH_MAX];     /* private 0700 directory made by events_listen, removed at close */
    char path[PATH_MAX + 32]; /* socket path */
    bool owns_dir;
    struct events_conn **conns; /* open connections */
    size_t n_conns;
    size_t cap_conns;
    size_t total_conns;
    /* Closed connections wait here until the event batch that may still name them is over. */
    struct events_conn *closed;
    struct jt_reaped pending_ends[EVENTS_PENDING_ENDS];
    size_t n_pending_ends;
};

/* Ready to take wait results; agents need events_listen too. */
void events_init(struct events *ev, struct jobtable *jt, int epoll_fd);
/* Listens in a fresh private 0700 directory under $TMPDIR (or at socket_path when given). Registers the
 * listening socket with the epoll set (data.ptr = NULL marks it). Returns 0 or -1 with a message in err. */
int events_listen(struct events *ev, const char *socket_path, char *err, size_t errlen);
/* Handles readiness of the listening socket (conn == NULL) or of a connection (ignored once closed). */
void events_handle(struct events *ev, struct events_conn *conn);
/* Frees the connections closed during an event batch; call after the batch. */
void events_release_closed(struct events *ev);
/* Reads everything already queued on every connection and in the accept queue, without waiting. */
void events_drain(struct events *ev);
/* A wait result from memwatch's own reaping or from an agent's wait hook. */
void events_reaped(struct events *ev, const struct jt_reaped *r);
/* Closes every connection and the socket, and removes the private directory. */
void events_close(struct events *ev);

#endif
