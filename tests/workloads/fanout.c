/* fanout LEVEL WIDTH KIB HOLD_MS: a three-level tree (for LEVEL 2) whose last level is a fan-out.
 *
 * A node of level 2 forks two children, a node of level 1 forks WIDTH children, each exec'ing
 * `fanout LEVEL-1 ...`. Every node touches KIB KiB, records fact "fanout" (value = LEVEL) with its pid and
 * ppid, holds HOLD_MS, then reaps its children. `fanout 2 6 ...` makes 1 + 2 + 12 processes.
 * memwatch --group-by tree must nest them as recorded, each node's subtree counting its descendants and its
 * subtree bound covering at least the sum of their exact peaks (they are all alive together), and fold the
 * leaves of each level-1 node beyond --tree-fold. Exit 0 when every child exited 0. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define FANOUT_TOP_WIDTH 2
#define FANOUT_MAX_WIDTH 64
#define FANOUT_ARG_MAX 32

int main(int argc, char **argv)
{
    if (argc < 5)
        return WL_EXIT_BROKEN;
    long level = wl_arg_long(argv[1], "LEVEL");
    long width = level == 1 ? wl_arg_long(argv[2], "WIDTH") : FANOUT_TOP_WIDTH;
    wl_touch_kib((size_t)wl_arg_long(argv[3], "KIB"));
    wl_fact("fanout", level);
    if (width > FANOUT_MAX_WIDTH)
        return WL_EXIT_BROKEN;

    pid_t kids[FANOUT_MAX_WIDTH];
    int n_kids = 0;
    char next[FANOUT_ARG_MAX];
    snprintf(next, sizeof next, "%ld", level - 1);
    for (long i = 0; level > 0 && i < width; i++) {
        pid_t pid = fork();
        if (pid < 0)
            wl_die("fork");
        if (pid == 0) {
            char *args[] = {argv[0], next, argv[2], argv[3], argv[4], NULL};
            execv("/proc/self/exe", args);
            wl_die("execv /proc/self/exe");
        }
        kids[n_kids++] = pid;
    }
    wl_sleep_ms(wl_arg_long(argv[4], "HOLD_MS"));
    int bad = 0;
    for (int i = 0; i < n_kids; i++) {
        int status = 0;
        if (waitpid(kids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad = 1;
    }
    return bad;
}
