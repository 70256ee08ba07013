/* Agent messages over one SOCK_DGRAM socket: no descriptor per process, the sender of every datagram
 * named by the kernel (SCM_CREDENTIALS) and checked against the job before anything it says is used. */
#include "events.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "inspector/inspector.h"
#include "outfile.h"
#include "wire_decode.h"

#define EVENTS_BATCH 32         /* datagrams per recvmmsg */
#define EVENTS_WAKE_BUDGET 256  /* per wake-up: the timer and signals wait at most this many messages */
/* events_drain: more than the kernel ever queues on one socket (net.unix.max_dgram_qlen, 10 by default,
 * plus one), so everything sent before the call is read, yet a sender that never stops cannot hold it. */
#define EVENTS_DRAIN_BUDGET 4096
#define EVENTS_CHAIN_MAX 64 /* parent links followed to tie a sender to the job */
#define EVENTS_DIR_MODE 0711
#define EVENTS_SOCKET_MODE 0666

void events_init(struct events *ev, struct jobtable *jt, int epoll_fd)
{
    memset(ev, 0, sizeof *ev);
    ev->jt = jt;
    ev->epoll_fd = epoll_fd;
    ev->sock_fd = -1;
    ev->anchor = getpid();
    ev->uid = geteuid();
}

void events_trust_user(struct events *ev) { ev->trust_uid = true; }

bool events_heard(const struct events *ev) { return ev->accepted > 0; }

/* A socket name nobody can guess: the directory can be entered by anyone (0711), not listed. */
static void random_name(char *buf, size_t len)
{
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r)
        r = (uint64_t)clock_mono_ns() * 6364136223846793005u ^ (uint64_t)getpid();
    snprintf(buf, len, EVENTS_SOCKET_PREFIX "%016llx.sock", (unsigned long long)r);
}

static int make_dir(struct events *ev, char *err, size_t errlen)
{
    char why[128], name[64];
    const char *tmp = getenv("TMPDIR");
    snprintf(ev->dir, sizeof ev->dir, "%s/memwatch-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(ev->dir)) {
        snprintf(err, errlen, "cannot make a private directory '%s': %s", ev->dir,
                 outfile_errno_text(errno, why, sizeof why));
        return -1;
    }
    ev->owns_dir = true;
    if (chmod(ev->dir, EVENTS_DIR_MODE) != 0) {
        snprintf(err, errlen, "cannot chmod '%s': %s", ev->dir, outfile_errno_text(errno, why, sizeof why));
        return -1;
    }
    random_name(name, sizeof name);
    snprintf(ev->path, sizeof ev->path, "%s/%s", ev->dir, name);
    return 0;
}

static int bind_socket(struct events *ev, char *err, size_t errlen)
{
    char why[128];
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(ev->path) >= sizeof addr.sun_path) {
        snprintf(err, errlen, "socket path '%s' is longer than %zu bytes (set TMPDIR to a shorter folder)",
                 ev->path, sizeof addr.sun_path - 1);
        return -1;
    }
    memcpy(addr.sun_path, ev->path, strlen(ev->path) + 1);
    int on = 1;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof on) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        snprintf(err, errlen, "cannot listen on '%s': %s", ev->path, outfile_errno_text(errno, why, sizeof why));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    ev->sock_fd = fd; /* from here on, the path is ours to remove */
    if (chmod(ev->path, EVENTS_SOCKET_MODE) != 0) {
        snprintf(err, errlen, "cannot chmod '%s': %s", ev->path, outfile_errno_text(errno, why, sizeof why));
        return -1;
    }
    return 0;
}

int events_listen(struct events *ev, const char *socket_path, char *err, size_t errlen)
{
    char why[128];
    if (socket_path)
        snprintf(ev->path, sizeof ev->path, "%s", socket_path);
    else if (make_dir(ev, err, errlen) != 0) {
        events_close(ev);
        return -1;
    }
    if (bind_socket(ev, err, errlen) != 0) {
        events_close(ev);
        return -1;
    }
    struct epoll_event ee = {.events = EPOLLIN, .data.ptr = NULL};
    if (epoll_ctl(ev->epoll_fd, EPOLL_CTL_ADD, ev->sock_fd, &ee) != 0) {
        snprintf(err, errlen, "epoll_ctl: %s", outfile_errno_text(errno, why, sizeof why));
        events_close(ev);
        return -1;
    }
    return 0;
}

/* ---- who may speak: the job's processes only ---- */

enum verdict {
    VERDICT_MEMBER,   /* a process of the job */
    VERDICT_UNPROVEN, /* gone before it could be checked: held until a process of the job reaps it */
    VERDICT_FOREIGN,  /* alive and outside the job: dropped */
};

/* The most recent process of the table with that pid (live or ended), or NULL. */
static struct jt_process *latest_with_pid(const struct jobtable *jt, pid_t pid)
{
    struct jt_process *p = jobtable_find_live(jt, pid);
    if (p)
        return p;
    for (size_t i = jt->n_procs; i-- > 0;)
        if (jt->procs[i]->pid == pid)
            return jt->procs[i];
    return NULL;
}

/* The process of the table a message names: its pid and, when known on both sides, its starttime. */
static struct jt_process *process_of(const struct jobtable *jt, pid_t pid, uint64_t starttime)
{
    struct jt_process *p = jobtable_find_live(jt, pid);
    if (p && (!starttime || !p->starttime_ticks || p->starttime_ticks == starttime))
        return p;
    if (!starttime)
        return NULL;
    for (size_t i = jt->n_procs; i-- > 0;)
        if (jt->procs[i]->pid == pid && jt->procs[i]->starttime_ticks == starttime)
            return jt->procs[i];
    return NULL;
}

/* Follows parent links through /proc (the inspector) until a process of the job, memwatch, or init. */
static enum verdict chain_verdict(const struct events *ev, pid_t ppid)
{
    for (int depth = 0; depth < EVENTS_CHAIN_MAX; depth++) {
        if (ppid == ev->anchor || jobtable_find_live(ev->jt, ppid))
            return VERDICT_MEMBER;
        if (ppid == 0)
            return VERDICT_UNPROVEN; /* read while it was being reaped: the kernel shows no parent */
        if (ppid == 1)
            return VERDICT_FOREIGN;
        struct inspector_proc ip;
        if (inspector_read_proc(ppid, &ip) != 0)
            return VERDICT_UNPROVEN; /* the parent just ended: its child is being reparented */
        ppid = ip.ppid;
    }
    return VERDICT_FOREIGN;
}

static enum verdict sender_verdict(const struct events *ev, const struct ucred *cr, uint64_t starttime)
{
    const struct jt_process *p = jobtable_find_live(ev->jt, cr->pid);
    if (p && (!starttime || !p->starttime_ticks || p->starttime_ticks == starttime))
        return VERDICT_MEMBER;
    if (ev->trust_uid && cr->uid == ev->uid)
        return VERDICT_MEMBER;
    struct inspector_proc ip;
    if (inspector_read_proc(cr->pid, &ip) != 0 || (starttime && ip.starttime_ticks != starttime))
        /* The sender is gone (or its pid already reused): a late report of an ended process of the
         * table, or one to hold until its reaper vouches for it. */
        return process_of(ev->jt, cr->pid, starttime) ? VERDICT_MEMBER : VERDICT_UNPROVEN;
    return chain_verdict(ev, ip.ppid);
}

/* Whether reaper is p's parent, or an ancestor of it (a subreaper of the job reaps orphans). */
static bool reaper_of(const struct jobtable *jt, pid_t reaper, const struct jt_process *p)
{
    for (int depth = 0; p && depth < EVENTS_CHAIN_MAX; depth++) {
        if (p->ppid == reaper)
            return true;
        if (p->ppid <= 1)
            return false;
        p = latest_with_pid(jt, p->ppid);
    }
    return false;
}

/* ---- applying messages ---- */

/* Agents stamp CLOCK_MONOTONIC; a stamp from the future (or none) is replaced by now. */
static int64_t sane_time(int64_t t_ns)
{
    int64_t now = clock_mono_ns();
    return (t_ns <= 0 || t_ns > now) ? now : t_ns;
}

static bool reaper_of(const struct jobtable *jt, pid_t reaper, const struct jt_process *p);

static void apply_pending_end(struct events *ev, struct jt_process *p, int64_t start_ns)
{
    for (size_t i = 0; i < ev->n_pending_ends; i++) {
        if (ev->pending_ends[i].pid != p->pid)
            continue;
        struct jt_reaped r = ev->pending_ends[i];
        pid_t reaper = ev->pending_reapers[i];
        ev->n_pending_ends--;
        ev->pending_ends[i] = ev->pending_ends[ev->n_pending_ends];
        ev->pending_reapers[i--] = ev->pending_reapers[ev->n_pending_ends];
        if (reaper && !reaper_of(ev->jt, reaper, p))
            ev->jt->stats.dropped_foreign++; /* a forged end that came before its victim's start */
        else if (r.t_ns >= start_ns) /* else the end of an earlier process with that pid */
            jobtable_reaped(ev->jt, &r);
    }
}

static void on_start(struct events *ev, pid_t pid, const struct mw_image_start *m)
{
    struct jt_image_desc d = {
        .pid = pid,
        .ppid = m->ppid,
        .starttime_ticks = m->id.starttime_ticks,
        .t_ns = sane_time(m->id.start_ns),
        .exe = m->exe,
        .argv_blob = m->argv,
        .argv_len = m->argv_len,
        .argc = m->argc,
        .argv_truncated = (m->flags & MW_START_ARGV_TRUNCATED) != 0,
        .forked = (m->flags & MW_START_FORKED) != 0,
        .source = JT_SOURCE_AGENT,
    };
    struct jt_process *p = jobtable_image_started(ev->jt, &d);
    if (p)
        apply_pending_end(ev, p, d.t_ns);
}

static void on_peak(struct events *ev, pid_t pid, const struct mw_image_peak *m)
{
    struct jt_process *p = process_of(ev->jt, pid, m->id.starttime_ticks);
    if (!p) {
        ev->jt->stats.orphan_messages++;
        return;
    }
    struct jt_peak_report r = {
        .image_start_ns = m->id.start_ns > 0 ? sane_time(m->id.start_ns) : 0,
        .t_ns = sane_time(m->mono_ns),
        .hwm_kib = m->hwm_kib,
        .utime_us = m->utime_us,
        .stime_us = m->stime_us,
        .at_exec = m->reason == MW_PEAK_EXEC,
        .has_io = (m->flags & MW_PEAK_HAS_IO) != 0,
        .io = {m->io_rchar, m->io_wchar, m->io_read_bytes, m->io_write_bytes, JT_PEAK_NONE},
    };
    jobtable_image_peak(ev->jt, p, &r);
}

static void release_held(struct events *ev, pid_t pid);

/* Its start report may still be on its way: the end waits for it (reaper 0: memwatch's own wait). */
static void end_pending(struct events *ev, const struct jt_reaped *r, pid_t reaper)
{
    if (ev->n_pending_ends == EVENTS_PENDING_ENDS) {
        memmove(ev->pending_ends, ev->pending_ends + 1, (EVENTS_PENDING_ENDS - 1) * sizeof *ev->pending_ends);
        memmove(ev->pending_reapers, ev->pending_reapers + 1, (EVENTS_PENDING_ENDS - 1) * sizeof *ev->pending_reapers);
        ev->n_pending_ends--;
    }
    ev->pending_reapers[ev->n_pending_ends] = reaper;
    ev->pending_ends[ev->n_pending_ends++] = *r;
}

void events_reaped(struct events *ev, const struct jt_reaped *r)
{
    /* memwatch reaped it, so it was memwatch's child: whatever it said while unproven counts now. */
    release_held(ev, r->pid);
    if (!jobtable_reaped(ev->jt, r))
        end_pending(ev, r, 0);
}

static void on_child_end(struct events *ev, pid_t reaper, const struct mw_child_end *m)
{
    struct jt_reaped r = {
        .pid = m->child_pid,
        .reaper = reaper,
        .t_ns = sane_time(m->mono_ns),
        .wait_status = m->wait_status,
        .maxrss_kib = (m->flags & MW_CHILD_HAS_RUSAGE) ? m->maxrss_kib : 0,
        .has_rusage = (m->flags & MW_CHILD_HAS_RUSAGE) != 0,
        .utime_us = m->utime_us,
        .stime_us = m->stime_us,
    };
    /* A process of the job reaped it: what it said before its reaping is vouched for. */
    release_held(ev, r.pid);
    struct jt_process *p = latest_with_pid(ev->jt, r.pid);
    bool ended = p && p->end_ns && p->end != JT_END_GONE;
    if (p && !ended) {
        /* Only its parent (or a subreaper above it) can have reaped it: a forged end of a live process
         * of the job is refused. */
        if (!reaper_of(ev->jt, reaper, p)) {
            ev->jt->stats.dropped_foreign++;
            return;
        }
        jobtable_reaped(ev->jt, &r);
        return;
    }
    /* Unknown to the table: a child nobody saw (no agent, between samples; one with the agent reported its
     * start before it could be reaped: one socket, in order), which the table creates with its bound. But
     * a pid still running was not reaped: a forged end, held until its own start shows whose child it is. */
    struct inspector_proc named;
    bool running = inspector_read_proc(r.pid, &named) == 0 && named.state != 'Z';
    if (running || !jobtable_reaped(ev->jt, &r))
        end_pending(ev, &r, reaper);
}

/* The target's VmHWM as a process of the job was about to kill it: for a target of the job only. */
static void on_kill_peak(struct events *ev, const struct mw_kill_peak *m)
{
    struct jt_process *p = process_of(ev->jt, m->target_pid, m->target_starttime);
    if (p && p->end == JT_END_RUNNING)
        jobtable_hwm_reading(ev->jt, p, sane_time(m->mono_ns), m->hwm_kib);
}

static void apply(struct events *ev, pid_t pid, const struct wire_msg *msg)
{
    ev->accepted++;
    switch (msg->type) {
    case MW_MSG_IMAGE_START: on_start(ev, pid, &msg->u.start); break;
    case MW_MSG_IMAGE_PEAK: on_peak(ev, pid, &msg->u.peak); break;
    case MW_MSG_CHILD_END: on_child_end(ev, pid, &msg->u.child); break;
    case MW_MSG_KILL_PEAK: on_kill_peak(ev, &msg->u.kill); break;
    default: break;
    }
}

/* ---- held messages ---- */

static void held_drop(struct events *ev, size_t i)
{
    free(ev->held[i].bytes);
    memmove(&ev->held[i], &ev->held[i + 1], (ev->n_held - i - 1) * sizeof *ev->held);
    ev->n_held--;
}

/* Counted as foreign while held: one that is never vouched for stays counted. */
static void hold(struct events *ev, pid_t pid, const void *buf, size_t len)
{
    ev->jt->stats.dropped_foreign++;
    if (ev->n_held == EVENTS_HELD_MAX)
        held_drop(ev, 0);
    unsigned char *copy = malloc(len);
    if (!copy)
        return;
    memcpy(copy, buf, len);
    ev->held[ev->n_held++] = (struct events_held){pid, len, copy};
}

/* Applies, in arrival order, what pid said while unproven. Applying may hold or release other messages,
 * so each one is taken out of the array before it is applied. */
static void release_held(struct events *ev, pid_t pid)
{
    for (;;) {
        size_t i = 0;
        while (i < ev->n_held && ev->held[i].pid != pid)
            i++;
        if (i == ev->n_held)
            return;
        struct events_held h = ev->held[i];
        memmove(&ev->held[i], &ev->held[i + 1], (ev->n_held - i - 1) * sizeof *ev->held);
        ev->n_held--;
        struct wire_msg msg;
        const char *why;
        if (wire_decode(h.bytes, h.len, &msg, &why) == WIRE_OK) {
            /* A live process that took the pid since is another one: never end or relabel it. */
            const struct jt_process *live = jobtable_find_live(ev->jt, pid);
            uint64_t st = wire_msg_image(&msg)->starttime_ticks;
            if (!live || !st || !live->starttime_ticks || live->starttime_ticks == st) {
                ev->jt->stats.dropped_foreign--;
                apply(ev, pid, &msg);
            }
        }
        free(h.bytes);
    }
}

/* ---- reading ---- */

static void on_datagram(struct events *ev, const void *buf, size_t len, const struct ucred *cr)
{
    static struct wire_msg msg;
    const char *why;
    enum wire_result res = wire_decode(buf, len, &msg, &why);
    if (res == WIRE_BAD)
        ev->jt->stats.bad_messages++;
    if (res != WIRE_OK)
        return;
    if (!cr || cr->pid <= 0) {
        ev->jt->stats.dropped_foreign++;
        return;
    }
    switch (sender_verdict(ev, cr, wire_msg_image(&msg)->starttime_ticks)) {
    case VERDICT_MEMBER: apply(ev, cr->pid, &msg); break;
    case VERDICT_UNPROVEN: hold(ev, cr->pid, buf, len); break;
    case VERDICT_FOREIGN: ev->jt->stats.dropped_foreign++; break;
    }
}

static const struct ucred *message_cred(struct msghdr *mh)
{
    if (mh->msg_flags & MSG_CTRUNC)
        return NULL;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS &&
            c->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
            return (const struct ucred *)CMSG_DATA(c);
    return NULL;
}

/* Reads and handles at most max datagrams (one recvmmsg); how many were read, 0 when none was queued. */
static size_t read_batch(struct events *ev, size_t max)
{
    static unsigned char bufs[EVENTS_BATCH][MW_WIRE_MAX_MESSAGE + 1];
    static union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(struct ucred))];
    } ctl[EVENTS_BATCH];
    struct mmsghdr mm[EVENTS_BATCH];
    struct iovec iov[EVENTS_BATCH];
    unsigned n = max < EVENTS_BATCH ? (unsigned)max : EVENTS_BATCH;
    memset(mm, 0, n * sizeof *mm);
    for (unsigned i = 0; i < n; i++) {
        iov[i] = (struct iovec){bufs[i], sizeof bufs[i]};
        mm[i].msg_hdr.msg_iov = &iov[i];
        mm[i].msg_hdr.msg_iovlen = 1;
        mm[i].msg_hdr.msg_control = ctl[i].space;
        mm[i].msg_hdr.msg_controllen = sizeof ctl[i].space;
    }
    int got;
    do
        got = recvmmsg(ev->sock_fd, mm, n, MSG_DONTWAIT, NULL);
    while (got < 0 && errno == EINTR);
    if (got <= 0)
        return 0; /* empty (EAGAIN), or a failure the next wake-up meets again: never a retry loop */
    for (int i = 0; i < got; i++) {
        if (mm[i].msg_hdr.msg_flags & MSG_TRUNC)
            ev->jt->stats.bad_messages++;
        else
            on_datagram(ev, bufs[i], mm[i].msg_len, message_cred(&mm[i].msg_hdr));
    }
    return (size_t)got;
}

static void read_up_to(struct events *ev, size_t budget)
{
    if (ev->sock_fd < 0)
        return;
    while (budget > 0) {
        size_t got = read_batch(ev, budget);
        if (got == 0)
            return;
        budget -= got;
    }
}

void events_handle(struct events *ev) { read_up_to(ev, EVENTS_WAKE_BUDGET); }

void events_drain(struct events *ev) { read_up_to(ev, EVENTS_DRAIN_BUDGET); }

void events_close(struct events *ev)
{
    while (ev->n_held)
        held_drop(ev, ev->n_held - 1);
    if (ev->sock_fd >= 0) {
        close(ev->sock_fd);
        ev->sock_fd = -1;
        unlink(ev->path);
    }
    if (ev->owns_dir) {
        rmdir(ev->dir);
        ev->owns_dir = false;
    }
}
