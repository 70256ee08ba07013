/* The one reporting path: this process's datagram socket to the collector, message building and sending. */
#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../common/procio.h"
#include "log.h"
#include "proc_self.h"

/* A kept socket, with its identity: hosts close descriptors they did not open (closefrom, close_fds)
 * and reuse the numbers, so a number alone proves nothing. */
struct report_sock {
    int fd;
    dev_t dev;
    ino_t ino;
};

static struct report_sock report_kept = {-1, 0, 0};
/* The image every message names. Written by the constructor and in a fork child only. */
static struct mw_image_id report_id;
/* Set when the collector stayed stuck through every wait: later sends do not wait at all. */
static atomic_bool report_silent;
/* Held while the kept socket is checked, made or used. Another thread waits a bounded number of yields;
 * a signal handler that interrupted the holder (it would wait forever) uses a socket of its own. */
static atomic_flag report_busy = ATOMIC_FLAG_INIT;

int64_t report_mono_ns(void)
{
    struct timespec ts;
    if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void report_header(struct mw_header *h, enum mw_msg_type type, size_t length)
{
    h->magic = MW_WIRE_MAGIC;
    h->version = MW_WIRE_VERSION;
    h->type = (uint16_t)type;
    h->length = (uint32_t)length;
    h->request_id = 0;
}

/* The fd number a kept socket goes to, or -1 when the limit is too small to keep one. */
static int report_keep_fd(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur < REPORT_FD_KEEP_MIN)
        return -1;
    rlim_t top = rl.rlim_cur < REPORT_FD_CEILING ? rl.rlim_cur : REPORT_FD_CEILING;
    return (int)top - 1;
}

static socklen_t report_addr(const char *path, struct sockaddr_un *addr)
{
    size_t n = strlen(path);
    memset(addr, 0, sizeof(*addr));
    addr->sun_family = AF_UNIX;
    if (n >= sizeof(addr->sun_path))
        return 0;
    memcpy(addr->sun_path, path, n + 1);
    return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + 1);
}

/* socket/connect/close only: usable after fork in a threaded program. -1 when no descriptor is free or
 * the collector cannot be reached (then the report is skipped). A socket that is kept is connected once,
 * so its sends skip the lookup of the socket path; a temporary one sends with sendto. No send timeout
 * is set here: the first try of every send does not wait (report_send_on). */
static int report_socket_new(const char *path, bool connected)
{
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || !connected)
        return fd;
    struct sockaddr_un addr;
    socklen_t alen = report_addr(path, &addr);
    int rc = -1;
    if (alen != 0) {
        do
            rc = connect(fd, (const struct sockaddr *)&addr, alen);
        while (rc != 0 && errno == EINTR);
    }
    if (rc != 0) {
        int err = errno;
        close(fd);
        errno = err;
        return -1;
    }
    return fd;
}

/* A full queue (the collector is busy): the later tries wait, at most the timeout each. */
static bool report_wait_when_full(int fd)
{
    struct timeval tv = {REPORT_SEND_TIMEOUT_MS / 1000, (REPORT_SEND_TIMEOUT_MS % 1000) * 1000};
    return setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == 0;
}

/* Moves a new socket to the high number want and remembers it; false when it must stay temporary. */
static bool report_keep(int fd, int want)
{
    int high = fcntl(fd, F_DUPFD_CLOEXEC, want);
    struct stat st;
    if (high < 0)
        return false;
    if (fstat(high, &st) != 0) {
        close(high);
        return false;
    }
    close(fd);
    report_kept.fd = high;
    report_kept.dev = st.st_dev;
    report_kept.ino = st.st_ino;
    return true;
}

static bool report_kept_ours(void)
{
    struct stat st;
    return report_kept.fd >= 0 && fstat(report_kept.fd, &st) == 0 && S_ISSOCK(st.st_mode) &&
           st.st_dev == report_kept.dev && st.st_ino == report_kept.ino;
}

/* One datagram on fd (connected when path is NULL). The first try never waits; when the collector's
 * queue is full the next tries wait a bounded time, and a collector that stays stuck silences the agent. */
static int report_send_on(int fd, const char *path, const void *msg, size_t len)
{
    struct sockaddr_un addr;
    socklen_t alen = 0;
    if (path != NULL && (alen = report_addr(path, &addr)) == 0)
        return -1;
    const struct sockaddr *to = path != NULL ? (const struct sockaddr *)&addr : NULL;
    int full = 0, intr = 0, flags = MSG_NOSIGNAL | MSG_DONTWAIT;
    for (;;) {
        if (sendto(fd, msg, len, flags, to, alen) >= 0)
            return 0;
        if (errno == EINTR && ++intr < REPORT_SEND_EINTR_TRIES)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return -1;
        /* The try that did not wait does not count: a full queue gets REPORT_SEND_FULL_TRIES waits. */
        bool waited = !(flags & MSG_DONTWAIT);
        if (!atomic_load(&report_silent) && (!waited || ++full < REPORT_SEND_FULL_TRIES) &&
            (waited || report_wait_when_full(fd))) {
            flags = MSG_NOSIGNAL;
            continue;
        }
        atomic_store(&report_silent, true);
        return -1;
    }
}

/* The start message when it could not be sent (no descriptor was free): it goes ahead of the next
 * report, so the collector learns the image before its peak. Used under report_busy only. */
static const struct mw_image_start *report_unsent;
static size_t report_unsent_len;

/* Sends msg on fd (path: NULL when fd is connected), after the start message still owed; false when
 * msg was not sent. */
static bool report_deliver(int fd, const char *path, const struct agent_settings *s, const void *msg,
                           size_t len)
{
    if (report_unsent != NULL && (const void *)report_unsent != msg) {
        if (report_send_on(fd, path, report_unsent, report_unsent_len) != 0) {
            agent_log(s, "send-failed-errno", errno);
            return false;
        }
        report_unsent = NULL;
    }
    if (report_send_on(fd, path, msg, len) != 0) {
        agent_log(s, "send-failed-errno", errno);
        return false;
    }
    if ((const void *)report_unsent == msg)
        report_unsent = NULL;
    return true;
}

static void report_send_temporary(const struct agent_settings *s, const void *msg, size_t len)
{
    int fd = report_socket_new(s->socket, false);
    if (fd < 0) {
        agent_log(s, "no-socket-errno", errno);
        return;
    }
    if (report_send_on(fd, s->socket, msg, len) != 0)
        agent_log(s, "send-failed-errno", errno);
    close(fd);
}

static bool report_lock(void)
{
    for (int spins = 0; spins < REPORT_LOCK_SPINS; spins++) {
        if (!atomic_flag_test_and_set_explicit(&report_busy, memory_order_acquire))
            return true;
        sched_yield();
    }
    return false;
}

/* The kept socket (connected), made when needed; -1 with *tmp set to a socket to close after use when
 * the limit is too small to keep one, or both -1 when no descriptor is free. *connected tells whether
 * the socket is connected (a temporary one is not: one send does not repay a connect). */
static int report_socket(const struct agent_settings *s, int *tmp, bool *connected)
{
    *tmp = -1;
    *connected = true;
    if (report_kept_ours())
        return report_kept.fd;
    /* Not ours any more: the number may be the host's now, so it is forgotten, never closed. */
    report_kept.fd = -1;
    int want = report_keep_fd();
    *connected = want >= 0;
    int fd = report_socket_new(s->socket, *connected);
    if (fd < 0) {
        agent_log(s, "no-socket-errno", errno);
        return -1;
    }
    if (want >= 0 && report_keep(fd, want))
        return report_kept.fd;
    *tmp = fd;
    return fd;
}

static void report_send(const struct agent_settings *s, const void *msg, size_t len)
{
    int saved = errno;
    if (!report_lock()) {
        report_send_temporary(s, msg, len);
        errno = saved;
        return;
    }
    int tmp;
    bool connected;
    int fd = report_socket(s, &tmp, &connected);
    if (fd >= 0)
        report_deliver(fd, connected ? NULL : s->socket, s, msg, len);
    if (tmp >= 0)
        close(tmp); /* a tiny RLIMIT_NOFILE: the program gets its descriptor back at once */
    atomic_flag_clear_explicit(&report_busy, memory_order_release);
    errno = saved;
}

void report_image_start(const struct agent_settings *s, const struct mw_image_start *start, size_t len)
{
    report_id = start->id;
    report_unsent = start;
    report_unsent_len = len;
    report_send(s, start, len);
}

void report_image_forget(void)
{
    /* The child is single-threaded now: a flag held by another thread of the parent is stale. */
    atomic_flag_clear(&report_busy);
}

static uint64_t report_timeval_us(const struct timeval *tv)
{
    return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

void report_peak(const struct agent_settings *s, uint32_t reason, int32_t exit_code)
{
    int saved = errno;
    struct procstatus st;
    /* Read before the socket is made: with a tiny RLIMIT_NOFILE, one free descriptor serves both. */
    if (proc_self_status(&st) != 0 || !st.has_hwm) {
        agent_log(s, "peak-unreadable-errno", errno);
        errno = saved;
        return;
    }
    struct mw_image_peak m;
    memset(&m, 0, sizeof(m));
    /* At exit only: the counters are the process's (they survive exec), and an exit is their last word.
     * Read before the socket too. */
    struct procio io;
    if (reason == MW_PEAK_EXIT && proc_self_io(&io) == 0) {
        m.flags |= MW_PEAK_HAS_IO;
        m.io_rchar = io.rchar;
        m.io_wchar = io.wchar;
        m.io_read_bytes = io.read_bytes;
        m.io_write_bytes = io.write_bytes;
    }
    report_header(&m.h, MW_MSG_IMAGE_PEAK, sizeof(m));
    m.id = report_id;
    m.reason = reason;
    m.mono_ns = report_mono_ns();
    m.hwm_kib = st.hwm_kib;
    m.rss_kib = st.rss_kib;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) == 0) {
        m.utime_us = report_timeval_us(&ru.ru_utime);
        m.stime_us = report_timeval_us(&ru.ru_stime);
    }
    m.exit_code = exit_code;
    report_send(s, &m, sizeof(m));
    errno = saved;
}

void report_kill_peak(const struct agent_settings *s, pid_t target, int signal)
{
    int saved = errno;
    struct procstatus st;
    struct proc_stat stat;
    if (proc_pid_status(target, &st) != 0 || !st.has_hwm || proc_pid_stat(target, &stat) != 0) {
        errno = saved; /* gone, a zombie, or not ours to read: nothing to add */
        return;
    }
    struct mw_kill_peak m;
    memset(&m, 0, sizeof(m));
    report_header(&m.h, MW_MSG_KILL_PEAK, sizeof(m));
    m.id = report_id;
    m.mono_ns = report_mono_ns();
    m.target_pid = (int32_t)target;
    m.signal = signal;
    m.target_starttime = stat.starttime_ticks;
    m.hwm_kib = st.hwm_kib;
    report_send(s, &m, sizeof(m));
    errno = saved;
}

void report_child_end(const struct agent_settings *s, const struct report_child *child)
{
    int saved = errno;
    struct mw_child_end m;
    memset(&m, 0, sizeof(m));
    report_header(&m.h, MW_MSG_CHILD_END, sizeof(m));
    m.id = report_id;
    m.child_pid = (int32_t)child->pid;
    m.mono_ns = report_mono_ns();
    m.wait_status = child->wait_status;
    if (child->ru != NULL) {
        m.flags |= MW_CHILD_HAS_RUSAGE;
        m.maxrss_kib = child->ru->ru_maxrss > 0 ? (uint64_t)child->ru->ru_maxrss : 0;
        m.utime_us = report_timeval_us(&child->ru->ru_utime);
        m.stime_us = report_timeval_us(&child->ru->ru_stime);
    }
    report_send(s, &m, sizeof(m));
    errno = saved;
}
