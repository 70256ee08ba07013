/* Benchmark workload: runs COUNT fork+exec of a program, at most PARALLEL at a time (process storms). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_STORM_MAX_COUNT 10000000L
#define BENCH_STORM_MAX_PARALLEL 4096L

static int bench_storm_parse(const char *text, long max, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end || v < 1 || v > max)
        return -1;
    *out = v;
    return 0;
}

/* Reaps one child; returns 1 if it failed, 0 if it succeeded, -1 if none is left. */
static int bench_storm_reap(void)
{
    int status;
    pid_t pid;
    while ((pid = wait(&status)) < 0 && errno == EINTR) {
    }
    if (pid < 0)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    long count, parallel;
    if (argc < 4 || bench_storm_parse(argv[1], BENCH_STORM_MAX_COUNT, &count) != 0 ||
        bench_storm_parse(argv[2], BENCH_STORM_MAX_PARALLEL, &parallel) != 0) {
        fprintf(stderr, "usage: bench_storm COUNT PARALLEL PROGRAM [ARGS...]\n");
        return 2;
    }
    long running = 0, failed = 0;
    for (long i = 0; i < count; i++) {
        if (running == parallel) {
            failed += bench_storm_reap() == 1;
            running--;
        }
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "bench_storm: fork: %s\n", strerror(errno));
            return 1;
        }
        if (pid == 0) {
            execvp(argv[3], argv + 3);
            _exit(127);
        }
        running++;
    }
    int r;
    while ((r = bench_storm_reap()) >= 0)
        failed += r;
    if (failed)
        fprintf(stderr, "bench_storm: %ld of %ld children failed\n", failed, count);
    return failed ? 1 : 0;
}
