/* The inspector on Linux: procfs reads of job processes only, each one bounded and length-checked. */
#include "../inspector.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#define INSPECTOR_PATH_MAX 64   /* "/proc/4194304/task/4194304/children" fits */
#define INSPECTOR_STAT_MAX 1024 /* /proc/PID/stat: comm is at most 64 bytes, the rest numbers */
#define INSPECTOR_CHILDREN_MAX 8192
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

/* Fields after comm, counted from 3 (state) as in proc(5). */
enum { STAT_STATE = 3, STAT_PPID = 4, STAT_UTIME = 14, STAT_STIME = 15, STAT_THREADS = 20, STAT_START = 22,
       STAT_RSS = 24, STAT_STARTCODE = 26 };

int inspector_read_proc(pid_t pid, struct inspector_proc *out)
{
    char path[INSPECTOR_PATH_MAX], buf[INSPECTOR_STAT_MAX];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    if (read_small(path, buf, sizeof buf) < 0)
        return -1;
    /* comm may hold spaces and parentheses: it ends at the last ')'. */
    char *open_paren = strchr(buf, '(');
    char *close_paren = strrchr(buf, ')');
    if (!open_paren || !close_paren || close_paren < open_paren || close_paren[1] != ' ') {
        errno = EPROTO;
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->pid = pid;
    size_t comm_len = (size_t)(close_paren - open_paren - 1);
    if (comm_len >= sizeof out->comm)
        comm_len = sizeof out->comm - 1;
    memcpy(out->comm, open_paren + 1, comm_len);
    char *save = NULL;
    int field = STAT_STATE;
    for (char *tok = strtok_r(close_paren + 2, " ", &save); tok && field <= STAT_STARTCODE;
         tok = strtok_r(NULL, " ", &save), field++) {
        unsigned long long v = strtoull(tok, NULL, 10);
        switch (field) {
        case STAT_STATE: out->state = tok[0]; break;
        case STAT_PPID: out->ppid = (pid_t)v; break;
        case STAT_UTIME: out->utime_us = v * 1000000ULL / (uint64_t)clock_ticks(); break;
        case STAT_STIME: out->stime_us = v * 1000000ULL / (uint64_t)clock_ticks(); break;
        case STAT_THREADS: out->threads = (uint32_t)v; break;
        case STAT_START: out->starttime_ticks = v; break;
        case STAT_RSS: out->rss_kib = v * page_kib(); break;
        case STAT_STARTCODE: out->code_start = v; break;
        default: break;
        }
    }
    if (field <= STAT_RSS) {
        errno = EPROTO;
        return -1;
    }
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

static void parse_children(const char *text, inspector_child_fn fn, void *ctx)
{
    const char *s = text;
    while (*s) {
        char *end;
        long v = strtol(s, &end, 10);
        if (end == s)
            break;
        if (v > 0)
            fn((pid_t)v, ctx);
        s = end;
        while (*s == ' ' || *s == '\n')
            s++;
    }
}

static int read_task_children(pid_t pid, pid_t tid, inspector_child_fn fn, void *ctx)
{
    char path[INSPECTOR_PATH_MAX], buf[INSPECTOR_CHILDREN_MAX];
    snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)tid);
    if (read_small(path, buf, sizeof buf) < 0)
        return -1;
    parse_children(buf, fn, ctx);
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
