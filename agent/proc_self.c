/* Reads this process's /proc/self/status, stat and io with open/read only (async-signal-safe). */
#include "proc_self.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "../common/procio.h"
#include "../common/procstat.h"
#include "../common/procstatus.h"

int proc_parse_stat(const char *text, size_t len, struct proc_stat *out)
{
    struct procstat st;
    int rc = procstat_parse(text, len, &st);
    out->utime_ticks = st.utime_ticks;
    out->stime_ticks = st.stime_ticks;
    out->starttime_ticks = st.starttime_ticks;
    return rc;
}

#define PROC_PATH_MAX 48 /* "/proc/" a pid and a file name */

/* Reads a whole small file into buf; the length read, or -1. */
static ssize_t proc_self_read(const char *path, char *buf, size_t cap)
{
    int fd;
    do
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return -1;
    size_t got = 0;
    while (got < cap) {
        ssize_t n = read(fd, buf + got, cap - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    return (ssize_t)got;
}

/* "/proc/PID/NAME" into buf without stdio (async-signal-safe); "/proc/self/NAME" for pid 0. */
static void proc_path(pid_t pid, const char *name, char *buf, size_t cap)
{
    char digits[24];
    size_t n = 0, at = 0;
    if (pid <= 0) {
        memcpy(digits, "fles", 4); /* "self", reversed below */
        n = 4;
    }
    for (unsigned long v = (unsigned long)pid; pid > 0 && n < sizeof digits; v /= 10) {
        digits[n++] = (char)('0' + v % 10);
        if (v < 10)
            break;
    }
    const char *pre = "/proc/";
    for (const char *c = pre; *c && at + 1 < cap; c++)
        buf[at++] = *c;
    while (n > 0 && at + 1 < cap)
        buf[at++] = digits[--n];
    if (at + 1 < cap)
        buf[at++] = '/';
    for (const char *c = name; *c && at + 1 < cap; c++)
        buf[at++] = *c;
    buf[at] = '\0';
}

int proc_pid_status(pid_t pid, struct procstatus *out)
{
    char path[PROC_PATH_MAX], buf[PROC_SELF_BUF_MAX];
    proc_path(pid, "status", path, sizeof path);
    ssize_t n = proc_self_read(path, buf, sizeof(buf));
    if (n <= 0) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return procstatus_parse(buf, (size_t)n, out);
}

int proc_pid_stat(pid_t pid, struct proc_stat *out)
{
    char path[PROC_PATH_MAX], buf[PROC_SELF_BUF_MAX];
    proc_path(pid, "stat", path, sizeof path);
    ssize_t n = proc_self_read(path, buf, sizeof(buf));
    if (n <= 0) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return proc_parse_stat(buf, (size_t)n, out);
}

int proc_self_status(struct procstatus *out)
{
    return proc_pid_status(0, out);
}

int proc_self_stat(struct proc_stat *out)
{
    return proc_pid_stat(0, out);
}

int proc_self_io(struct procio *out)
{
    char path[PROC_PATH_MAX], buf[PROCIO_TEXT_MAX];
    proc_path(0, "io", path, sizeof path);
    ssize_t n = proc_self_read(path, buf, sizeof(buf));
    if (n <= 0) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    return procio_parse(buf, (size_t)n, out);
}
