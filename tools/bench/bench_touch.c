/* Benchmark workload: touches MIB MiB, holds them HOLD_MS, and can append its true VmHWM to a file, the
 * figure a profiler's reported peak is compared against. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define BENCH_TOUCH_PAGE 4096L
#define BENCH_TOUCH_LINE_MAX 256
#define BENCH_TOUCH_MAX_MIB 65536L

static long bench_touch_vmhwm_kib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return -1;
    char line[BENCH_TOUCH_LINE_MAX];
    long kib = -1;
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "VmHWM:", 6) == 0)
            kib = strtol(line + 6, NULL, 10);
    fclose(f);
    return kib;
}

static int bench_touch_parse(const char *text, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 0 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* One O_APPEND write per line, so concurrent processes never interleave their records. */
static int bench_touch_append(const char *path, long kib)
{
    char line[BENCH_TOUCH_LINE_MAX];
    int n = snprintf(line, sizeof line, "%ld %ld\n", (long)getpid(), kib);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, line, (size_t)n);
    close(fd);
    return w == n ? 0 : -1;
}

int main(int argc, char **argv)
{
    long mib = 0, hold_ms = 0;
    if (argc < 2 || argc > 4 || bench_touch_parse(argv[1], BENCH_TOUCH_MAX_MIB, &mib) != 0 ||
        (argc >= 3 && bench_touch_parse(argv[2], 3600L * 1000, &hold_ms) != 0)) {
        fprintf(stderr, "usage: bench_touch MIB [HOLD_MS [HWM_FILE]]\n");
        return 2;
    }
    size_t len = (size_t)mib << 20;
    char *p = NULL;
    if (len) {
        p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            fprintf(stderr, "bench_touch: mmap %ld MiB: %s\n", mib, strerror(errno));
            return 1;
        }
        for (size_t off = 0; off < len; off += BENCH_TOUCH_PAGE)
            p[off] = (char)off;
    }
    struct timespec ts = {hold_ms / 1000, (hold_ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
    if (argc == 4 && bench_touch_append(argv[3], bench_touch_vmhwm_kib()) != 0) {
        fprintf(stderr, "bench_touch: cannot append to '%s': %s\n", argv[3], strerror(errno));
        return 1;
    }
    return 0;
}
