/* Agent messages: one datagram socket for the whole job; each message's sender checked, decoded and fed
 * to the job table. */
#ifndef MEMWATCH_EVENTS_H
#define MEMWATCH_EVENTS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jobtable.h"

#define EVENTS_SOCKET_PREFIX "agent-"

/* Ended processes whose start was not reported yet. */
#define EVENTS_PENDING_ENDS 256
/* Messages whose sender was gone before it could be shown to belong to the job: kept until a process of
 * the job reports reaping it (then they count), or dropped as foreign. */
#define EVENTS_HELD_MAX 512

struct events_held {
    pid_t pid; /* the kernel's: SCM_CREDENTIALS */
    size_t len;
    unsigned char *bytes;
};

struct events {
    struct jobtable *jt;
    int epoll_fd;
    int sock_fd;
    char dir[PATH_MAX];       /* private directory made by events_listen, removed at close */
    char path[PATH_MAX + 64]; /* socket path */
    bool owns_dir;
    pid_t anchor;   /* memwatch: the job is its children and their descendants */
    bool trust_uid; /* listen: also every process of memwatch's own user */
    uid_t uid;
    uint64_t accepted; /* messages taken from processes of the job */
    struct events_held held[EVENTS_HELD_MAX];
    size_t n_held;
    struct jt_reaped pending_ends[EVENTS_PENDING_ENDS];
    pid_t pending_reapers[EVENTS_PENDING_ENDS]; /* who reported each end; 0 for memwatch itself */
    size_t n_pending_ends;
};

/* Ready to take wait results; agents need events_listen too. */
void events_init(struct events *ev, struct jobtable *jt, int epoll_fd);
/* Binds the datagram socket in a fresh private directory under $TMPDIR (or at socket_path when given):
 * the directory is 0711 and the socket 0666 so processes that drop privileges still report; who may send
 * is decided per message. Registers it with the epoll set (data.ptr = NULL marks it). Returns 0 or -1 with
 * a message in err. */
int events_listen(struct events *ev, const char *socket_path, char *err, size_t errlen);
/* listen: the job has no root, so every process of memwatch's user belongs to it (as well as any process
 * whose parent chain reaches a known one). */
void events_trust_user(struct events *ev);
/* The socket is readable: handles a bounded number of messages (the loop wakes again for the rest). */
void events_handle(struct events *ev);
/* Reads what is queued now, bounded: every message sent before the call (a process's last reports before
 * its reaping) is handled when it returns. */
void events_drain(struct events *ev);
/* Whether any agent of the job has reported yet. */
bool events_heard(const struct events *ev);
/* A wait result from memwatch's own reaping (trusted). */
void events_reaped(struct events *ev, const struct jt_reaped *r);
/* Closes the socket, removes the private directory, forgets held messages. */
void events_close(struct events *ev);

#endif
