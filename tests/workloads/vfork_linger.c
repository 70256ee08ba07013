/* vfork_linger MIB LINGER_MS: touches MIB MiB, then vforks a child that waits LINGER_MS before it execs
 * `tiny` (only syscalls between vfork and exec: the child shares the parent's memory all that time).
 *
 * Records fact "parent" (value = MIB) after reaping the child, exits 0 when the child exited 0. memwatch
 * must count the shared memory once: no sampled total above what the parent alone held (plus tiny), and
 * never a sampled total above a proven upper bound. */
#include <stdio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 3)
        return WL_EXIT_BROKEN;
    long mib = wl_arg_long(argv[1], "MIB"), linger_ms = wl_arg_long(argv[2], "LINGER_MS");
    char dir[WL_PATH_MAX], prog[WL_PATH_MAX + 32];
    wl_self_dir(dir, sizeof dir);
    snprintf(prog, sizeof prog, "%s/tiny", dir);
    char *args[] = {prog, NULL};
    wl_touch_mib((size_t)mib);
    struct timespec linger = {.tv_sec = linger_ms / 1000, .tv_nsec = (linger_ms % 1000) * 1000000L};
    pid_t pid = vfork();
    if (pid < 0)
        wl_die("vfork");
    if (pid == 0) {
        syscall(SYS_nanosleep, &linger, NULL); /* raw: nothing of libc's state is touched */
        execv(prog, args);
        _exit(127);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        wl_die("waitpid");
    wl_fact("parent", mib);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
