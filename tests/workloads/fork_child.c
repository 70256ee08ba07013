/* fork_child MIB HOLD_MS [exit|_exit]: a plain fork child (no exec) that holds memory and exits.
 *
 * The child touches MIB MiB, holds HOLD_MS, records fact "child" and leaves with exit(0) or _exit(0); the
 * parent reaps it, records fact "parent" and exits 0 when the child exited 0.
 * memwatch must report: the child as a separate process, forked, ppid = the parent, one image with the
 * parent's argv, exact peak = the child's recorded hwm_kib, ended exited 0. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 3)
        return WL_EXIT_BROKEN;
    long mib = wl_arg_long(argv[1], "MIB");
    long hold_ms = wl_arg_long(argv[2], "HOLD_MS");
    int raw_exit = argc > 3 && strcmp(argv[3], "_exit") == 0;
    pid_t pid = fork();
    if (pid < 0)
        wl_die("fork");
    if (pid == 0) {
        wl_touch_mib((size_t)mib);
        wl_sleep_ms(hold_ms);
        wl_fact("child", mib);
        if (raw_exit)
            _exit(0);
        exit(0);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        wl_die("waitpid");
    wl_fact("parent", pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
