/* storm N PARALLEL: N short processes, fork+execv of `tiny`, at most PARALLEL at a time.
 *
 * Records fact "storm" (value = children that did not exit 0) and exits 0 when all exited 0.
 * memwatch must report: N+1 processes, every one with an exact peak, and no dropped message. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 3)
        return WL_EXIT_BROKEN;
    long n = wl_arg_long(argv[1], "N");
    long parallel = wl_arg_long(argv[2], "PARALLEL");
    if (parallel < 1)
        parallel = 1;
    char dir[WL_PATH_MAX];
    char prog[WL_PATH_MAX + 32];
    wl_self_dir(dir, sizeof dir);
    snprintf(prog, sizeof prog, "%s/tiny", dir);
    char *args[] = {prog, NULL};

    long running = 0, failed = 0;
    for (long started = 0; started < n || running > 0;) {
        if (started < n && running < parallel) {
            pid_t pid = fork();
            if (pid < 0)
                wl_die("fork");
            if (pid == 0) {
                execv(prog, args);
                _exit(127);
            }
            started++;
            running++;
            continue;
        }
        int status = 0;
        if (wait(&status) < 0)
            wl_die("wait");
        running--;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            failed++;
    }
    wl_fact("storm", failed);
    return failed == 0 ? 0 : 1;
}
