/* tree LEVEL KIB HOLD_MS: a process tree, each node forking two children that exec `tree LEVEL-1`.
 *
 * Every node touches KIB KiB, records fact "tree" (value = LEVEL) with its pid and ppid, starts its
 * children, holds HOLD_MS, then reaps them. `tree 2 ...` makes 7 processes over three levels.
 * memwatch must report: all 7, each with the recorded ppid, command "…/tree LEVEL KIB HOLD_MS" (the
 * current image, not the fork parent's), the root only marked root. Exit 0 when every child exited 0. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define TREE_FANOUT 2
#define TREE_ARG_MAX 32

int main(int argc, char **argv)
{
    if (argc < 4)
        return WL_EXIT_BROKEN;
    long level = wl_arg_long(argv[1], "LEVEL");
    long kib = wl_arg_long(argv[2], "KIB");
    long hold_ms = wl_arg_long(argv[3], "HOLD_MS");
    wl_touch_kib((size_t)kib);
    wl_fact("tree", level);

    pid_t kids[TREE_FANOUT];
    int n_kids = 0;
    if (level > 0) {
        char next[TREE_ARG_MAX];
        snprintf(next, sizeof next, "%ld", level - 1);
        for (int i = 0; i < TREE_FANOUT; i++) {
            pid_t pid = fork();
            if (pid < 0)
                wl_die("fork");
            if (pid == 0) {
                char *args[] = {argv[0], next, argv[2], argv[3], NULL};
                execv("/proc/self/exe", args);
                wl_die("execv /proc/self/exe");
            }
            kids[n_kids++] = pid;
        }
    }
    wl_sleep_ms(hold_ms);
    int bad = 0;
    for (int i = 0; i < n_kids; i++) {
        int status = 0;
        if (waitpid(kids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad = 1;
    }
    return bad;
}
