/* The one reporting path: the image's connection to the collector, message building and sending. */
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

#include "log.h"
#include "proc_self.h"

/* A connection, with the identity of its socket: hosts close descriptors they did not open (closefrom,
 * close_fds) and reuse the numbers, so a number alone proves nothing. */
struct report_conn {
    int fd;
    dev_t dev;
    ino_t ino;
};

static struct report_conn report_image_conn = {-1, 0, 0};
static const struct mw_image_start *report_start;
static size_t report_start_len;
/* Held while the image connection is used. Another thread waits a bounded number of yields; a signal
 * handler that interrupted the holder (it would wait forever) ends up on a temporary connection. */
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
    h->reserved = 0;
}

static int report_fd_floor(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return -1;
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 2 * REPORT_FD_FLOOR)
        return REPORT_FD_FLOOR;
    return (int)(rl.rlim_cur / 2);
}

static int report_move_high(int fd)
{
    int floor = report_fd_floor();
    if (floor <= fd)
        return fd;
    int high = fcntl(fd, F_DUPFD_CLOEXEC, floor);
    if (high < 0)
        return fd;
    close(fd);
    return high;
}

static int report_connect_bounded(int fd, const struct sockaddr_un *addr)
{
    for (int tries = 0; tries < REPORT_CONNECT_TRIES; tries++) {
        if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) == 0)
            return 0;
        if (errno != EAGAIN && errno != EINTR)
            return -1;
        struct timespec pause = {0, REPORT_CONNECT_PAUSE_NS};
        nanosleep(&pause, NULL);
    }
    return -1;
}

/* socket/connect/fcntl/setsockopt/fstat only: usable after fork in a threaded program. */
static int report_conn_open(const char *path, struct report_conn *c)
{
    c->fd = -1;
    struct sockaddr_un addr;
    size_t n = strlen(path);
    if (n >= sizeof(addr.sun_path))
        return -1;
    memset(&addr, 0, sizeof(addr));
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path, n + 1);
    int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return -1;
    int flags;
    struct timeval tv = {REPORT_SEND_TIMEOUT_MS / 1000, (REPORT_SEND_TIMEOUT_MS % 1000) * 1000};
    struct stat st;
    if (report_connect_bounded(fd, &addr) != 0 || (flags = fcntl(fd, F_GETFL)) < 0 ||
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0) {
        close(fd);
        return -1;
    }
    fd = report_move_high(fd);
    if (fstat(fd, &st) != 0) {
        close(fd);
        return -1;
    }
    c->fd = fd;
    c->dev = st.st_dev;
    c->ino = st.st_ino;
    return 0;
}

static bool report_conn_ours(const struct report_conn *c)
{
    struct stat st;
    return c->fd >= 0 && fstat(c->fd, &st) == 0 && S_ISSOCK(st.st_mode) && st.st_dev == c->dev &&
           st.st_ino == c->ino;
}

static void report_conn_close(struct report_conn *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static int report_conn_send(const struct report_conn *c, const void *msg, size_t len)
{
    for (int tries = 0; tries < REPORT_SEND_EINTR_TRIES; tries++) {
        ssize_t n = send(c->fd, msg, len, MSG_NOSIGNAL);
        if (n >= 0)
            return (size_t)n == len ? 0 : -1;
        if (errno != EINTR)
            return -1;
    }
    return -1;
}

/* A fresh connection must say which image it speaks for: the same start message again. */
static int report_conn_attach(const struct agent_settings *s, struct report_conn *c)
{
    if (report_conn_open(s->socket, c) != 0)
        return -1;
    if (report_start != NULL && report_conn_send(c, report_start, report_start_len) != 0) {
        report_conn_close(c);
        return -1;
    }
    return 0;
}

static void report_send_temporary(const struct agent_settings *s, const void *msg, size_t len)
{
    struct report_conn tmp;
    if (report_conn_attach(s, &tmp) != 0)
        return;
    (void)report_conn_send(&tmp, msg, len);
    report_conn_close(&tmp);
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

static void report_send(const struct agent_settings *s, const void *msg, size_t len)
{
    int saved = errno;
    if (!report_lock()) {
        report_send_temporary(s, msg, len);
        errno = saved;
        return;
    }
    if (!report_conn_ours(&report_image_conn)) {
        /* Not ours any more: the number may be the host's now, so it is forgotten, never closed. */
        report_image_conn.fd = -1;
        if (report_conn_attach(s, &report_image_conn) == 0)
            agent_log(s, "reattached-fd", report_image_conn.fd);
    }
    if (report_image_conn.fd >= 0 && report_conn_send(&report_image_conn, msg, len) != 0) {
        agent_log(s, "send-failed-errno", errno);
        if (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN)
            report_conn_close(&report_image_conn);
    }
    atomic_flag_clear_explicit(&report_busy, memory_order_release);
    errno = saved;
}

void report_image_open(const struct agent_settings *s, const struct mw_image_start *start, size_t len)
{
    int saved = errno;
    report_start = start;
    report_start_len = len;
    if (report_conn_attach(s, &report_image_conn) != 0)
        agent_log(s, "connect-failed-errno", errno);
    errno = saved;
}

void report_image_forget(void)
{
    /* The child is single-threaded now: a flag held by another thread of the parent is stale. */
    atomic_flag_clear(&report_busy);
    if (report_conn_ours(&report_image_conn))
        close(report_image_conn.fd);
    report_image_conn.fd = -1;
}

static uint64_t report_timeval_us(const struct timeval *tv)
{
    return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

void report_peak(const struct agent_settings *s, uint32_t reason, int32_t exit_code)
{
    int saved = errno;
    struct proc_status st;
    if (proc_self_status(&st) != 0 || !st.has_hwm) {
        errno = saved;
        return;
    }
    struct mw_image_peak m;
    memset(&m, 0, sizeof(m));
    report_header(&m.h, MW_MSG_IMAGE_PEAK, sizeof(m));
    m.pid = (int32_t)getpid();
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

void report_child_end(const struct agent_settings *s, const struct report_child *child)
{
    int saved = errno;
    struct mw_child_end m;
    memset(&m, 0, sizeof(m));
    report_header(&m.h, MW_MSG_CHILD_END, sizeof(m));
    m.parent_pid = (int32_t)getpid();
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
