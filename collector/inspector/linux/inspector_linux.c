/* The inspector on Linux: procfs reads of job processes only, each one bounded and length-checked. */
#include "../inspector.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/kcmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "../../../common/procio.h"
#include "../../../common/procstatus.h"
#include "../../../common/procstat.h"

#define INSPECTOR_PATH_MAX 64   /* "/proc/4194304/task/4194304/children" fits */
#define INSPECTOR_STAT_MAX 1024 /* /proc/PID/stat: comm is at most 64 bytes, the rest numbers */
#define INSPECTOR_CHILDREN_CHUNK 4096 /* children files are read whole, a chunk at a time */
#define INSPECTOR_PID_DIGITS 16
#define INSPECTOR_MEMINFO_MAX 4096

/* Reads a whole small file into buf (NUL-terminated). Returns the bytes read or -1 with errno. */
static ssize_t read_small(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t used = 0;
    while (used + 1 < len) {
        ssize_t n = read(fd, buf + used, len - 1 - used);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int saved = errno;
            close(fd);
            errno = saved;
            return -1;
        }
        if (n == 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    buf[used] = '\0';
    return (ssize_t)used;
}

static long clock_ticks(void)
{
    static long ticks;
    if (!ticks)
        ticks = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
    return ticks;
}

static uint64_t page_kib(void)
{
    static uint64_t kib;
    if (!kib)
        kib = sysconf(_SC_PAGESIZE) > 0 ? (uint64_t)sysconf(_SC_PAGESIZE) / 1024 : 4;
    return kib;
}

int inspector_read_proc(pid_t pid, struct inspector_proc *out)
{
    char path[INSPECTOR_PATH_MAX], buf[INSPECTOR_STAT_MAX];
    struct procstat st;
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    ssize_t n = read_small(path, buf, sizeof buf);
    if (n < 0)
        return -1;
    if (procstat_parse(buf, (size_t)n, &st) != 0) {
        errno = EPROTO;
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->pid = pid;
    memcpy(out->comm, st.comm, strnlen(st.comm, sizeof out->comm - 1)); /* INSPECTOR_COMM_MAX at most */
    out->state = st.state;
    out->ppid = (pid_t)st.ppid;
    out->utime_us = st.utime_ticks * 1000000ULL / (uint64_t)clock_ticks();
    out->stime_us = st.stime_ticks * 1000000ULL / (uint64_t)clock_ticks();
    out->threads = (uint32_t)st.threads;
    out->starttime_ticks = st.starttime_ticks;
    out->rss_kib = st.rss_pages * page_kib();
    out->code_start = st.code_start;
    return 0;
}

bool inspector_gone(int err) { return err == ENOENT || err == ESRCH; }

int inspector_read_hwm(pid_t pid, uint64_t *hwm_kib)
{
    char path[INSPECTOR_PATH_MAX], buf[PROCSTATUS_TEXT_MAX];
    struct procstatus st;
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    ssize_t n = read_small(path, buf, sizeof buf);
    if (n < 0)
        return -1;
    if (procstatus_parse(buf, (size_t)n, &st) != 0 || !st.has_hwm) {
        errno = ENODATA;
        return -1;
    }
    *hwm_kib = st.hwm_kib;
    return 0;
}

int inspector_read_io(pid_t pid, struct inspector_io *out)
{
    char path[INSPECTOR_PATH_MAX], buf[PROCIO_TEXT_MAX];
    struct procio io;
    snprintf(path, sizeof path, "/proc/%d/io", (int)pid);
    ssize_t n = read_small(path, buf, sizeof buf);
    if (n < 0)
        return -1;
    if (procio_parse(buf, (size_t)n, &io) != 0) {
        errno = EPROTO;
        return -1;
    }
    *out = (struct inspector_io){io.rchar, io.wchar, io.read_bytes, io.write_bytes};
    return 0;
}

int inspector_read_cmdline(pid_t pid, char *buf, size_t len, size_t *used, uint32_t *argc, bool *truncated)
{
    char path[INSPECTOR_PATH_MAX];
    snprintf(path, sizeof path, "/proc/%d/cmdline", (int)pid);
    if (len < 2) {
        errno = EINVAL;
        return -1;
    }
    ssize_t n = read_small(path, buf, len);
    if (n < 0)
        return -1;
    *truncated = (size_t)n + 1 >= len;
    /* A program may rewrite its command line without a final NUL: end the last argument here. */
    if (n > 0 && buf[n - 1] != '\0')
        buf[n++] = '\0';
    *used = (size_t)n;
    *argc = 0;
    for (ssize_t i = 0; i < n; i++)
        *argc += buf[i] == '\0';
    return 0;
}

int inspector_read_exe(pid_t pid, char *buf, size_t len)
{
    char path[INSPECTOR_PATH_MAX];
    snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
    ssize_t n = readlink(path, buf, len - 1);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

/* Pids separated by spaces, parsed as they stream in: a number cut by the end of one chunk is carried into
 * the next, so a list of thousands of children is never cut into wrong pids. */
struct children_parse {
    char digits[INSPECTOR_PID_DIGITS];
    size_t n;
    bool overflow;
    inspector_child_fn fn;
    void *ctx;
};

static void children_flush(struct children_parse *cp)
{
    if (cp->n && !cp->overflow) {
        cp->digits[cp->n] = '\0';
        long v = strtol(cp->digits, NULL, 10);
        if (v > 0)
            cp->fn((pid_t)v, cp->ctx);
    }
    cp->n = 0;
    cp->overflow = false;
}

static void children_feed(struct children_parse *cp, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (text[i] >= '0' && text[i] <= '9') {
            if (cp->n + 1 < sizeof cp->digits)
                cp->digits[cp->n++] = text[i];
            else
                cp->overflow = true;
        } else {
            children_flush(cp);
        }
    }
}

static int read_task_children(pid_t pid, pid_t tid, inspector_child_fn fn, void *ctx)
{
    char path[INSPECTOR_PATH_MAX], buf[INSPECTOR_CHILDREN_CHUNK];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)tid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct children_parse cp = {.fn = fn, .ctx = ctx};
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        children_feed(&cp, buf, (size_t)n);
    }
    children_flush(&cp);
    close(fd);
    return 0;
}

/* Calls fn for each numeric entry (a pid or tid) of a /proc folder. */
static int for_each_id(const char *folder, void (*fn)(pid_t id, void *ctx), void *ctx)
{
    DIR *dir = opendir(folder);
    if (!dir)
        return -1;
    struct dirent *de;
    while ((de = readdir(dir)) != NULL)
        if (isdigit((unsigned char)de->d_name[0]))
            fn((pid_t)atoi(de->d_name), ctx);
    closedir(dir);
    return 0;
}

struct child_walk {
    pid_t pid;  /* whose threads are walked, or whose children are looked for */
    inspector_child_fn fn;
    void *ctx;
};

static void walk_task(pid_t tid, void *ctx)
{
    struct child_walk *w = ctx;
    read_task_children(w->pid, tid, w->fn, w->ctx);
}

int inspector_for_each_child(const struct inspector_proc *proc, inspector_child_fn fn, void *ctx)
{
    if (proc->threads <= 1)
        return read_task_children(proc->pid, proc->pid, fn, ctx);
    char path[INSPECTOR_PATH_MAX];
    snprintf(path, sizeof path, "/proc/%d/task", (int)proc->pid);
    struct child_walk w = {proc->pid, fn, ctx};
    return for_each_id(path, walk_task, &w);
}

bool inspector_children_supported(void)
{
    static int supported = -1;
    if (supported < 0) {
        char path[INSPECTOR_PATH_MAX];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)getpid(), (int)getpid());
        supported = access(path, R_OK) == 0;
    }
    return supported;
}

static void match_parent(pid_t pid, void *ctx)
{
    struct child_walk *w = ctx;
    struct inspector_proc p;
    if (inspector_read_proc(pid, &p) == 0 && p.ppid == w->pid)
        w->fn(pid, w->ctx);
}

int inspector_scan_children(pid_t ppid, inspector_child_fn fn, void *ctx)
{
    struct child_walk w = {ppid, fn, ctx};
    return for_each_id("/proc", match_parent, &w);
}

int inspector_host_facts(struct inspector_host *out)
{
    memset(out, 0, sizeof *out);
    struct utsname u;
    if (uname(&u) == 0) {
        snprintf(out->kernel, sizeof out->kernel, "%s %s", u.sysname, u.release);
        snprintf(out->hostname, sizeof out->hostname, "%s", u.nodename);
    }
    char buf[INSPECTOR_MEMINFO_MAX];
    if (read_small("/proc/meminfo", buf, sizeof buf) < 0)
        return -1;
    const char *m = strstr(buf, "MemTotal:");
    if (m)
        out->mem_total_kib = strtoull(m + strlen("MemTotal:"), NULL, 10);
    return 0;
}

/* The value of one "Name:   123 kB" line of /proc/meminfo, or 0 when it is missing. */
static uint64_t meminfo_field(const char *text, const char *name)
{
    const char *m = strstr(text, name);
    return m ? strtoull(m + strlen(name), NULL, 10) : 0;
}

int inspector_read_memory(struct inspector_memory *out)
{
    memset(out, 0, sizeof *out);
    char buf[INSPECTOR_MEMINFO_MAX];
    if (read_small("/proc/meminfo", buf, sizeof buf) < 0)
        return -1;
    out->total_kib = meminfo_field(buf, "MemTotal:");
    /* Kernels before 3.14 lack MemAvailable: MemFree is the closest, if pessimistic, figure. */
    out->available_kib = strstr(buf, "MemAvailable:") ? meminfo_field(buf, "MemAvailable:")
                                                      : meminfo_field(buf, "MemFree:");
    if (out->available_kib > out->total_kib)
        out->available_kib = out->total_kib;
    return 0;
}

int inspector_same_vm(pid_t a, pid_t b)
{
    long rc = syscall(SYS_kcmp, a, b, KCMP_VM, 0, 0);
    if (rc < 0)
        return -1;
    return rc == 0;
}
