/* Agent connections over a SOCK_SEQPACKET socket: one per process image, every message validated. */
#include "events.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "clock.h"
#include "outfile.h"
#include "wire_decode.h"

#define EVENTS_BACKLOG 4096
#define EVENTS_RECV_BATCH 64 /* messages read from one connection per wake-up, for fairness */

void events_init(struct events *ev, struct jobtable *jt, int epoll_fd)
{
    memset(ev, 0, sizeof *ev);
    ev->jt = jt;
    ev->epoll_fd = epoll_fd;
    ev->listen_fd = -1;
}

int events_listen(struct events *ev, const char *socket_path, char *err, size_t errlen)
{
    char why[128];
    if (socket_path) {
        snprintf(ev->path, sizeof ev->path, "%s", socket_path);
    } else {
        const char *tmp = getenv("TMPDIR");
        snprintf(ev->dir, sizeof ev->dir, "%s/memwatch-XXXXXX", tmp && *tmp ? tmp : "/tmp");
        if (!mkdtemp(ev->dir)) {
            snprintf(err, errlen, "cannot make a private directory '%s': %s", ev->dir,
                     outfile_errno_text(errno, why, sizeof why));
            return -1;
        }
        ev->owns_dir = true;
        snprintf(ev->path, sizeof ev->path, "%s/%s", ev->dir, EVENTS_SOCKET_NAME);
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(ev->path) >= sizeof addr.sun_path) {
        snprintf(err, errlen, "socket path '%s' is longer than %zu bytes (set TMPDIR to a shorter folder)",
                 ev->path, sizeof addr.sun_path - 1);
        events_close(ev);
        return -1;
    }
    memcpy(addr.sun_path, ev->path, strlen(ev->path) + 1);
    ev->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (ev->listen_fd < 0 || bind(ev->listen_fd, (struct sockaddr *)&addr, sizeof addr) != 0 ||
        listen(ev->listen_fd, EVENTS_BACKLOG) != 0) {
        snprintf(err, errlen, "cannot listen on '%s': %s", ev->path, outfile_errno_text(errno, why, sizeof why));
        events_close(ev);
        return -1;
    }
    struct epoll_event ee = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, ev->listen_fd, &ee) != 0) {
        snprintf(err, errlen, "epoll_ctl: %s", outfile_errno_text(errno, why, sizeof why));
        events_close(ev);
        return -1;
    }
    return 0;
}

static void conn_close(struct events *ev, struct events_conn *c)
{
    epoll_ctl(ev->epoll_fd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    c->fd = -1;
    ev->conns[c->slot] = ev->conns[--ev->n_conns];
    ev->conns[c->slot]->slot = c->slot;
    c->next_closed = ev->closed;
    ev->closed = c;
}

void events_release_closed(struct events *ev)
{
    while (ev->closed) {
        struct events_conn *c = ev->closed;
        ev->closed = c->next_closed;
        free(c);
    }
}

static void accept_all(struct events *ev)
{
    for (;;) {
        int fd = accept4(ev->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd < 0)
            return; /* EAGAIN, or a transient failure: the next wake-up retries */
        if (ev->n_conns == ev->cap_conns) {
            size_t cap = ev->cap_conns ? ev->cap_conns * 2 : 64;
            struct events_conn **conns = realloc(ev->conns, cap * sizeof *conns);
            if (!conns) {
                close(fd);
                return;
            }
            ev->conns = conns;
            ev->cap_conns = cap;
        }
        struct events_conn *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        struct ucred cred;
        socklen_t len = sizeof cred;
        if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0)
            c->peer_pid = cred.pid;
        struct epoll_event ee = {.events = EPOLLIN, .data.ptr = c};
        if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, fd, &ee) != 0) {
            close(fd);
            free(c);
            continue;
        }
        c->slot = ev->n_conns;
        ev->conns[ev->n_conns++] = c;
        ev->total_conns++;
    }
}

/* Agents stamp CLOCK_MONOTONIC; a stamp from the future (or none) is replaced by now. */
static int64_t sane_time(int64_t t_ns)
{
    int64_t now = clock_mono_ns();
    return (t_ns <= 0 || t_ns > now) ? now : t_ns;
}

static void apply_pending_end(struct events *ev, struct jt_process *p, int64_t start_ns)
{
    for (size_t i = 0; i < ev->n_pending_ends; i++) {
        if (ev->pending_ends[i].pid != p->pid)
            continue;
        struct jt_reaped r = ev->pending_ends[i];
        ev->pending_ends[i--] = ev->pending_ends[--ev->n_pending_ends];
        if (r.t_ns >= start_ns)
            jobtable_reaped(ev->jt, &r);
    }
}

static void on_start(struct events *ev, struct events_conn *c, const struct mw_image_start *m)
{
    struct jt_image_desc d = {
        .pid = c->peer_pid > 0 ? c->peer_pid : m->pid,
        .ppid = m->ppid,
        .starttime_ticks = m->starttime_ticks,
        .t_ns = sane_time(m->mono_ns),
        .exe = m->exe,
        .argv_blob = m->argv,
        .argv_len = m->argv_len,
        .argc = m->argc,
        .argv_truncated = (m->flags & MW_START_ARGV_TRUNCATED) != 0,
        .forked = (m->flags & MW_START_FORKED) != 0,
        .source = JT_SOURCE_AGENT,
    };
    struct jt_process *p = jobtable_image_started(ev->jt, &d);
    if (!p)
        return;
    c->proc = p;
    c->image_start_ns = d.t_ns;
    apply_pending_end(ev, p, d.t_ns);
}

static void on_peak(struct events *ev, struct events_conn *c, const struct mw_image_peak *m)
{
    if (!c->proc) {
        c->proc = jobtable_find_live(ev->jt, c->peer_pid > 0 ? c->peer_pid : m->pid);
        c->image_start_ns = 0;
    }
    if (!c->proc) {
        ev->jt->stats.orphan_messages++;
        return;
    }
    struct jt_peak_report r = {
        .image_start_ns = c->image_start_ns,
        .t_ns = sane_time(m->mono_ns),
        .hwm_kib = m->hwm_kib,
        .utime_us = m->utime_us,
        .stime_us = m->stime_us,
        .at_exec = m->reason == MW_PEAK_EXEC,
    };
    jobtable_image_peak(ev->jt, c->proc, &r);
}

void events_reaped(struct events *ev, const struct jt_reaped *r)
{
    if (jobtable_reaped(ev->jt, r))
        return;
    /* Its start report may still be in flight on another connection: keep the end until it lands. */
    if (ev->n_pending_ends == EVENTS_PENDING_ENDS)
        memmove(ev->pending_ends, ev->pending_ends + 1, (EVENTS_PENDING_ENDS - 1) * sizeof *ev->pending_ends),
            ev->n_pending_ends--;
    ev->pending_ends[ev->n_pending_ends++] = *r;
}

static void on_child_end(struct events *ev, const struct mw_child_end *m)
{
    struct jt_reaped r = {
        .pid = m->child_pid,
        .t_ns = sane_time(m->mono_ns),
        .wait_status = m->wait_status,
        .maxrss_kib = (m->flags & MW_CHILD_HAS_RUSAGE) ? m->maxrss_kib : 0,
        .utime_us = m->utime_us,
        .stime_us = m->stime_us,
    };
    events_reaped(ev, &r);
}

static void dispatch(struct events *ev, struct events_conn *c, const void *buf, size_t len)
{
    static struct wire_msg msg; /* large (argv buffer): kept off the stack */
    const char *why;
    enum wire_result res = wire_decode(buf, len, &msg, &why);
    if (res != WIRE_OK) {
        if (res == WIRE_BAD)
            ev->jt->stats.bad_messages++;
        return;
    }
    switch (msg.type) {
    case MW_MSG_IMAGE_START: on_start(ev, c, &msg.u.start); break;
    case MW_MSG_IMAGE_PEAK: on_peak(ev, c, &msg.u.peak); break;
    case MW_MSG_CHILD_END: on_child_end(ev, &msg.u.child); break;
    default: break;
    }
}

enum conn_state { CONN_EMPTY, CONN_MORE, CONN_CLOSED };

/* Reads up to a batch of messages; says whether more may be queued. */
static enum conn_state conn_read(struct events *ev, struct events_conn *c)
{
    static unsigned char buf[MW_WIRE_MAX_MESSAGE + 1];
    for (int i = 0; i < EVENTS_RECV_BATCH; i++) {
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return CONN_EMPTY;
        if (n <= 0) {
            conn_close(ev, c);
            return CONN_CLOSED;
        }
        if ((size_t)n > MW_WIRE_MAX_MESSAGE)
            ev->jt->stats.bad_messages++;
        else
            dispatch(ev, c, buf, (size_t)n);
    }
    return CONN_MORE;
}

void events_handle(struct events *ev, struct events_conn *conn)
{
    if (!conn)
        accept_all(ev);
    else if (conn->fd >= 0)
        conn_read(ev, conn);
}

void events_drain(struct events *ev)
{
    /* Until nothing new: reading a connection can let a blocked agent connect the next one. */
    size_t before;
    do {
        before = ev->total_conns;
        accept_all(ev);
        for (size_t i = 0; i < ev->n_conns;) {
            enum conn_state st;
            while ((st = conn_read(ev, ev->conns[i])) == CONN_MORE)
                ;
            if (st != CONN_CLOSED)
                i++;
        }
    } while (ev->total_conns != before);
}

void events_close(struct events *ev)
{
    while (ev->n_conns)
        conn_close(ev, ev->conns[ev->n_conns - 1]);
    events_release_closed(ev);
    free(ev->conns);
    ev->conns = NULL;
    ev->cap_conns = 0;
    if (ev->listen_fd >= 0) {
        close(ev->listen_fd);
        ev->listen_fd = -1;
        unlink(ev->path);
    }
    if (ev->owns_dir) {
        rmdir(ev->dir);
        ev->owns_dir = false;
    }
}
