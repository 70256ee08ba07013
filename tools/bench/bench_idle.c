/* Benchmark helper: keeps COUNT idle processes alive, unrelated to any memwatch job, until its stdin closes
 * (a sampler that scanned all of /proc would slow down with them). */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_IDLE_MAX 100000L

int main(int argc, char **argv)
{
    char *end = NULL;
    long count = argc == 2 ? strtol(argv[1], &end, 10) : -1;
    if (argc != 2 || !end || *end || count < 1 || count > BENCH_IDLE_MAX) {
        fprintf(stderr, "usage: bench_idle COUNT   (idle until stdin closes)\n");
        return 2;
    }
    /* Our own process group, so the final kill(0, ...) reaches our children and never our caller. */
    if (setpgid(0, 0) != 0) {
        fprintf(stderr, "bench_idle: setpgid: %s\n", strerror(errno));
        return 1;
    }
    pid_t parent = getpid();
    for (long i = 0; i < count; i++) {
        pid_t pid = fork();
        if (pid < 0) {
            fprintf(stderr, "bench_idle: fork %ld: %s\n", i, strerror(errno));
            kill(0, SIGKILL);
            return 1;
        }
        if (pid == 0) {
            /* Die with the parent, whatever kills it. */
            prctl(PR_SET_PDEATHSIG, SIGKILL);
            if (getppid() != parent)
                _exit(0);
            for (;;)
                pause();
        }
    }
    printf("ready %ld\n", count);
    fflush(stdout);
    char buf[64];
    while (read(STDIN_FILENO, buf, sizeof buf) > 0 || errno == EINTR) {
    }
    signal(SIGTERM, SIG_IGN);
    kill(0, SIGTERM);
    while (wait(NULL) > 0 || errno == EINTR) {
    }
    return 0;
}
