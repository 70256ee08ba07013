/* Spends a known CPU time and moves a known number of bytes: memwatch --with-cpu --with-io must report
 * them. "usage" does it itself; "usage child" has a forked child do it and waits for it (facts name it). */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wl_common.h"

#define USAGE_CPU_NS 300000000LL    /* CPU time spent spinning */
#define USAGE_WRITE_BYTES (5 << 20) /* written to a file in the working directory */
#define USAGE_READ_BYTES (1 << 20)  /* read back from it */
#define USAGE_CHUNK 65536

static long long usage_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int usage_io(void)
{
    static char chunk[USAGE_CHUNK];
    memset(chunk, 'x', sizeof chunk);
    int fd = open("usage.bin", O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return -1;
    for (long done = 0; done < USAGE_WRITE_BYTES; done += USAGE_CHUNK)
        if (write(fd, chunk, USAGE_CHUNK) != USAGE_CHUNK)
            return -1;
    if (lseek(fd, 0, SEEK_SET) != 0)
        return -1;
    for (long done = 0; done < USAGE_READ_BYTES; done += USAGE_CHUNK)
        if (read(fd, chunk, USAGE_CHUNK) != USAGE_CHUNK)
            return -1;
    close(fd);
    unlink("usage.bin");
    return 0;
}

static int usage_work(void)
{
    volatile uint64_t spin = 0;
    if (usage_io() != 0)
        return 1;
    while (usage_cpu_ns() < USAGE_CPU_NS)
        for (int i = 0; i < 100000; i++)
            spin += (uint64_t)i;
    /* The truth, read last: what follows (the facts) costs microseconds and a few bytes. */
    long cpu_us = (long)(usage_cpu_ns() / 1000);
    wl_fact("usage_wrote", USAGE_WRITE_BYTES);
    wl_fact("usage_read", USAGE_READ_BYTES);
    wl_fact("usage_cpu_us", cpu_us);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "child") != 0)
        return usage_work();
    pid_t pid = fork();
    if (pid < 0)
        return 1;
    if (pid == 0)
        _exit(usage_work());
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
        return 1;
    return WEXITSTATUS(status);
}
