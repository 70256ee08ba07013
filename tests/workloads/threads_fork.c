/* threads_fork ROUNDS: fork (with and without exec) while other threads are busy allocating.
 *
 * Four threads churn malloc/free until the end. Meanwhile main forks ROUNDS children one after the other:
 * even rounds exec `alloc_hold 2 0 tf_exec`; odd rounds stay the fork copy, record fact "tf_fork" and
 * _exit(0) (only async-signal-safe work in a threaded program's fork child). Main reaps each, records
 * fact "parent" (value = failed children) and exits 0 when all exited 0 — a deadlock in an atfork path
 * shows as a hang, which the harness's watchdog turns into a failure.
 * memwatch must report: ROUNDS+1 processes, every child with an exact peak. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define THREADS_FORK_THREADS 4
#define THREADS_FORK_CHUNK 4096
#define THREADS_FORK_SLOTS 64

static atomic_int threads_fork_stop;

static void *threads_fork_churn(void *arg)
{
    void *slots[THREADS_FORK_SLOTS] = {0};
    unsigned i = (unsigned)(size_t)arg;
    while (!atomic_load(&threads_fork_stop)) {
        unsigned s = i++ % THREADS_FORK_SLOTS;
        free(slots[s]);
        slots[s] = malloc(THREADS_FORK_CHUNK + s * 64);
        if (slots[s] != NULL)
            memset(slots[s], (int)s, THREADS_FORK_CHUNK);
    }
    for (unsigned s = 0; s < THREADS_FORK_SLOTS; s++)
        free(slots[s]);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return WL_EXIT_BROKEN;
    long rounds = wl_arg_long(argv[1], "ROUNDS");
    char dir[WL_PATH_MAX];
    char prog[WL_PATH_MAX + 32];
    wl_self_dir(dir, sizeof dir);
    snprintf(prog, sizeof prog, "%s/alloc_hold", dir);

    pthread_t threads[THREADS_FORK_THREADS];
    for (size_t t = 0; t < THREADS_FORK_THREADS; t++) {
        int rc = pthread_create(&threads[t], NULL, threads_fork_churn, (void *)t);
        if (rc != 0) {
            fprintf(stderr, "workload threads_fork: pthread_create: %s\n", strerror(rc));
            return WL_EXIT_BROKEN;
        }
    }
    long failed = 0;
    for (long r = 0; r < rounds; r++) {
        pid_t pid = fork();
        if (pid < 0)
            wl_die("fork");
        if (pid == 0) {
            if (r % 2 == 0) {
                char *args[] = {prog, "2", "0", "tf_exec", NULL};
                execv(prog, args);
                _exit(127);
            }
            wl_fact("tf_fork", r);
            _exit(0);
        }
        int status = 0;
        if (waitpid(pid, &status, 0) < 0)
            wl_die("waitpid");
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    }
    atomic_store(&threads_fork_stop, 1);
    for (size_t t = 0; t < THREADS_FORK_THREADS; t++)
        pthread_join(threads[t], NULL);
    wl_fact("parent", failed);
    return failed == 0 ? 0 : 1;
}
