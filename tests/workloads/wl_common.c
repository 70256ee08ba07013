/* Helpers shared by the workload programs (see wl_common.h): no malloc and no stdio on the fact path, so
 * what a workload measures of itself is not disturbed by measuring. */
#include "wl_common.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define WL_STATUS_MAX 8192
#define WL_LINE_MAX 256
#define WL_PAGE_GUESS 4096

/* Keeps touched memory reachable so the compiler cannot drop the writes. */
static volatile unsigned char *wl_keep;

void wl_touch_kib(size_t kib)
{
    if (kib == 0)
        return;
    size_t len = kib * 1024;
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        wl_die("mmap");
    /* A non-zero byte per page: a read or a zero write could map the shared zero page instead. */
    for (size_t off = 0; off < len; off += WL_PAGE_GUESS)
        p[off] = (unsigned char)(1 + (off / WL_PAGE_GUESS) % 251);
    wl_keep = p;
}

void wl_touch_mib(size_t mib)
{
    wl_touch_kib(mib * 1024);
}

static uint64_t wl_status_field(const char *field)
{
    char buf[WL_STATUS_MAX];
    int fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t used = 0;
    while (used < sizeof buf - 1) {
        ssize_t n = read(fd, buf + used, sizeof buf - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    buf[used] = '\0';
    size_t flen = strlen(field);
    const char *line = buf;
    while (line != NULL && *line != '\0') {
        if (strncmp(line, field, flen) == 0 && line[flen] == ':')
            return strtoull(line + flen + 1, NULL, 10);
        const char *nl = strchr(line, '\n');
        line = nl ? nl + 1 : NULL;
    }
    return 0;
}

uint64_t wl_hwm_kib(void)
{
    return wl_status_field("VmHWM");
}

uint64_t wl_rss_kib(void)
{
    return wl_status_field("VmRSS");
}

static void wl_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

void wl_fact(const char *role, long value)
{
    int saved = errno;
    char line[WL_LINE_MAX];
    /* Measured last, so the figure is this image's peak up to now. */
    uint64_t hwm = wl_hwm_kib();
    int n = snprintf(line, sizeof line, "pid=%d ppid=%d role=%.*s hwm_kib=%llu value=%ld\n", (int)getpid(),
                     (int)getppid(), WL_ROLE_MAX - 1, role, (unsigned long long)hwm, value);
    if (n > 0 && (size_t)n < sizeof line) {
        int fd = open(WL_FACTS_FILE, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd >= 0) {
            wl_write_all(fd, line, (size_t)n);
            close(fd);
        }
    }
    errno = saved;
}

#define WL_FD_SCAN_MAX 1024

void wl_fact_leaked_fds(void)
{
    long leaked = 0;
    for (int fd = 3; fd < WL_FD_SCAN_MAX; fd++) {
        int flags = fcntl(fd, F_GETFD);
        if (flags >= 0 && !(flags & FD_CLOEXEC))
            leaked++;
    }
    wl_fact("fds", leaked);
}

void wl_marker(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        wl_die(path);
    wl_write_all(fd, text, strlen(text));
    close(fd);
}

int wl_wait_file(const char *path, long timeout_ms)
{
    for (long waited = 0; waited <= timeout_ms; waited += 10) {
        if (access(path, F_OK) == 0)
            return 0;
        wl_sleep_ms(10);
    }
    return -1;
}

void wl_sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

long wl_arg_long(const char *text, const char *what)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno != 0 || end == text || *end != '\0' || v < 0) {
        fprintf(stderr, "workload %s: bad %s '%s'\n", program_invocation_short_name, what, text);
        exit(WL_EXIT_BROKEN);
    }
    return v;
}

void wl_die(const char *what)
{
    fprintf(stderr, "workload %s: %s: %s\n", program_invocation_short_name, what, strerror(errno));
    exit(WL_EXIT_BROKEN);
}

void wl_self_dir(char *buf, size_t len)
{
    ssize_t n = readlink("/proc/self/exe", buf, len - 1);
    if (n <= 0)
        wl_die("readlink /proc/self/exe");
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (slash == NULL)
        wl_die("no directory in /proc/self/exe");
    *slash = '\0';
}

void wl_workloads_on_path(const char *name, char *dir, size_t dir_len, char *prog, size_t prog_len)
{
    char path[WL_PATH_MAX * 2];
    wl_self_dir(dir, dir_len);
    snprintf(prog, prog_len, "%s/%s", dir, name);
    const char *old_path = getenv("PATH");
    snprintf(path, sizeof path, "%s:%s", dir, old_path ? old_path : "/usr/bin:/bin");
    if (setenv("PATH", path, 1) != 0)
        wl_die("setenv PATH");
}
