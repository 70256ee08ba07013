/* orphan HOLD_MS LINGER_MS: a double fork whose grandchild outlives its parent and the job root.
 *
 * The root forks a middle process that forks the grandchild and exits at once. The grandchild execs
 * `orphan grandchild HOLD_MS` (so its command differs from the root's), records fact "grandchild", writes
 * marker file "orphan.started", holds HOLD_MS, then writes "orphan.done". The root reaps the middle, waits
 * for "orphan.started", lingers LINGER_MS and exits 0 while the grandchild still runs.
 * memwatch must report: the grandchild with its command "…/orphan grandchild HOLD_MS". Without
 * --wait-orphans memwatch ends with the root (before "orphan.done"); with it, memwatch waits for the
 * grandchild and reports it exited 0. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define ORPHAN_START_TIMEOUT_MS 60000

static int orphan_grandchild(const char *hold_arg)
{
    long hold_ms = wl_arg_long(hold_arg, "HOLD_MS");
    wl_touch_mib(4);
    wl_fact("grandchild", 0);
    wl_marker("orphan.started", "started\n");
    wl_sleep_ms(hold_ms);
    wl_marker("orphan.done", "done\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return WL_EXIT_BROKEN;
    if (strcmp(argv[1], "grandchild") == 0)
        return orphan_grandchild(argv[2]);
    long linger_ms = wl_arg_long(argv[2], "LINGER_MS");
    wl_fact("root", 0);
    pid_t middle = fork();
    if (middle < 0)
        wl_die("fork");
    if (middle == 0) {
        pid_t grandchild = fork();
        if (grandchild < 0)
            wl_die("fork");
        if (grandchild == 0) {
            char *args[] = {argv[0], "grandchild", argv[1], NULL};
            execv("/proc/self/exe", args);
            wl_die("execv /proc/self/exe");
        }
        wl_fact("middle", grandchild);
        _exit(0);
    }
    int status = 0;
    if (waitpid(middle, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return 1;
    if (wl_wait_file("orphan.started", ORPHAN_START_TIMEOUT_MS) != 0)
        return 2;
    wl_sleep_ms(linger_ms);
    return 0;
}
