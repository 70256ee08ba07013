/* vfork_exec MIB HOLD_MS: vfork, then execv alloc_hold from the vfork child (the shared-memory path
 * where the agent's exec hook may touch nothing but its stack).
 *
 * The parent then touches 8 MiB, reaps the child, records fact "parent" and exits 0 when it exited 0.
 * memwatch must report: the child process with ppid = the parent, an image `alloc_hold MIB HOLD_MS vfork`
 * with exact peak = that fact's hwm_kib; the parent unharmed (exit 0, exact peak). */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 3)
        return WL_EXIT_BROKEN;
    char dir[WL_PATH_MAX];
    char prog[WL_PATH_MAX + 32];
    wl_self_dir(dir, sizeof dir);
    snprintf(prog, sizeof prog, "%s/alloc_hold", dir);
    char *args[] = {prog, argv[1], argv[2], "vfork", NULL};
    pid_t pid = vfork();
    if (pid < 0)
        wl_die("vfork");
    if (pid == 0) {
        execv(prog, args);
        _exit(127);
    }
    wl_touch_mib(8);
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        wl_die("waitpid");
    wl_fact("parent", pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
