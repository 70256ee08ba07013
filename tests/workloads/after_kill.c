/* after_kill: keeps working after memwatch itself was killed with SIGKILL.
 *
 * Records fact "root", writes marker "after_kill.ready", and waits (at most 120 s) for "after_kill.go",
 * which the harness creates once it has SIGKILLed memwatch. Then, with the collector gone, it runs
 * children every way the agent hooks: fork+execv alloc_hold, a plain fork child, posix_spawn, system and
 * popen — and writes marker "after_kill.exit" = "exit N\n" just before exiting N: 7 when every child
 * exited 0, 8 otherwise.
 * Expected: the job finishes on its own, exit status 7, marker "exit 7" — no SIGPIPE, no hang, no failure
 * caused by an agent that cannot reach its collector. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define AFTER_KILL_GO_TIMEOUT_MS 120000
#define AFTER_KILL_EXIT_OK 7
#define AFTER_KILL_EXIT_BAD 8
#define AFTER_KILL_CMD_MAX (WL_PATH_MAX + 64)

extern char **environ;

static int after_kill_wait_ok(pid_t pid)
{
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        return 0;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int after_kill_children(const char *prog)
{
    int ok = 1;
    char *args[] = {(char *)prog, "4", "50", "after_kill_exec", NULL};
    pid_t pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        execv(prog, args);
        _exit(127);
    }
    ok &= after_kill_wait_ok(pid);

    pid = fork();
    if (pid < 0)
        return 0;
    if (pid == 0) {
        wl_touch_mib(2);
        exit(0);
    }
    ok &= after_kill_wait_ok(pid);

    char *sargs[] = {(char *)prog, "4", "50", "after_kill_spawn", NULL};
    if (posix_spawn(&pid, prog, NULL, NULL, sargs, environ) != 0)
        return 0;
    ok &= after_kill_wait_ok(pid);

    char cmd[AFTER_KILL_CMD_MAX];
    snprintf(cmd, sizeof cmd, "'%s' 4 50 after_kill_system", prog);
    int st = system(cmd);
    ok &= st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;

    FILE *p = popen(cmd, "r");
    if (p == NULL)
        return 0;
    char buf[64];
    while (fread(buf, 1, sizeof buf, p) > 0) {
    }
    st = pclose(p);
    ok &= st != -1 && WIFEXITED(st) && WEXITSTATUS(st) == 0;
    return ok;
}

int main(void)
{
    char dir[WL_PATH_MAX];
    char prog[WL_PATH_MAX + 32];
    wl_self_dir(dir, sizeof dir);
    snprintf(prog, sizeof prog, "%s/alloc_hold", dir);
    wl_fact("root", 0);
    wl_marker("after_kill.ready", "ready\n");
    if (wl_wait_file("after_kill.go", AFTER_KILL_GO_TIMEOUT_MS) != 0)
        return WL_EXIT_BROKEN;
    int code = after_kill_children(prog) ? AFTER_KILL_EXIT_OK : AFTER_KILL_EXIT_BAD;
    wl_marker("after_kill.exit", code == AFTER_KILL_EXIT_OK ? "exit 7\n" : "exit 8\n");
    return code;
}
