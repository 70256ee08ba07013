/* spawn_child MIB HOLD_MS: posix_spawn then posix_spawnp of alloc_hold, one after the other.
 *
 * The children are `alloc_hold MIB HOLD_MS posix_spawn` (by path) and `alloc_hold MIB HOLD_MS
 * posix_spawnp` (found through PATH, which gets the workloads directory prepended). The parent records
 * fact "parent" and exits 0 when both succeeded.
 * memwatch must report: both children, ppid = the parent, each with exact peak = its fact's hwm_kib. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

extern char **environ;

static int spawn_wait(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        wl_die("waitpid");
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        return WL_EXIT_BROKEN;
    char dir[WL_PATH_MAX];
    char prog[WL_PATH_MAX + 32];
    wl_workloads_on_path("alloc_hold", dir, sizeof dir, prog, sizeof prog);

    int bad = 0;
    pid_t pid = 0;
    char *args1[] = {prog, argv[1], argv[2], "posix_spawn", NULL};
    int rc = posix_spawn(&pid, prog, NULL, NULL, args1, environ);
    if (rc != 0) {
        fprintf(stderr, "workload spawn_child: posix_spawn %s: %s\n", prog, strerror(rc));
        return 1;
    }
    bad |= spawn_wait(pid);
    char *args2[] = {"alloc_hold", argv[1], argv[2], "posix_spawnp", NULL};
    rc = posix_spawnp(&pid, "alloc_hold", NULL, NULL, args2, environ);
    if (rc != 0) {
        fprintf(stderr, "workload spawn_child: posix_spawnp alloc_hold: %s\n", strerror(rc));
        return 1;
    }
    bad |= spawn_wait(pid);
    wl_fact("parent", 0);
    return bad;
}
