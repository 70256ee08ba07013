/* exec_missing: every exec-family call on a file that does not exist must fail as libc says.
 *
 * In this very process (no fork), each of execl, execle, execlp, execv, execve, execvp, execvpe, execveat
 * must return -1 with errno ENOENT, and posix_spawn/posix_spawnp must return ENOENT. Then the process
 * touches 4 MiB, records fact "exec_missing" (value = number of wrong results) and exits 0 only if every
 * call behaved; each wrong result is described on stderr.
 * memwatch must report: one process with one image (a failed exec starts none), ended exited 0, exact
 * peak = the fact's hwm_kib. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wl_common.h"

#define EXEC_MISSING_PATH "/nonexistent-memwatch-dir/no-such-program"
#define EXEC_MISSING_NAME "memwatch-no-such-program-xyz"

extern char **environ;

static int exec_missing_bad;

static void exec_missing_expect(const char *call, int ret, int err)
{
    if (ret == -1 && err == ENOENT)
        return;
    fprintf(stderr, "workload exec_missing: %s returned %d errno %d (%s), expected -1 ENOENT\n", call, ret, err,
            strerror(err));
    exec_missing_bad++;
}

static void exec_missing_expect_spawn(const char *call, int rc)
{
    if (rc == ENOENT)
        return;
    fprintf(stderr, "workload exec_missing: %s returned %d (%s), expected ENOENT\n", call, rc, strerror(rc));
    exec_missing_bad++;
}

int main(void)
{
    char *args[] = {EXEC_MISSING_NAME, "x", NULL};
    char *env[] = {"WL_ENV=handmade", NULL};
    int ret;
    errno = 0;
    ret = execl(EXEC_MISSING_PATH, EXEC_MISSING_NAME, "x", (char *)NULL);
    exec_missing_expect("execl", ret, errno);
    errno = 0;
    ret = execle(EXEC_MISSING_PATH, EXEC_MISSING_NAME, "x", (char *)NULL, env);
    exec_missing_expect("execle", ret, errno);
    errno = 0;
    ret = execlp(EXEC_MISSING_NAME, EXEC_MISSING_NAME, "x", (char *)NULL);
    exec_missing_expect("execlp", ret, errno);
    errno = 0;
    ret = execv(EXEC_MISSING_PATH, args);
    exec_missing_expect("execv", ret, errno);
    errno = 0;
    ret = execve(EXEC_MISSING_PATH, args, environ);
    exec_missing_expect("execve", ret, errno);
    errno = 0;
    ret = execvp(EXEC_MISSING_NAME, args);
    exec_missing_expect("execvp", ret, errno);
    errno = 0;
    ret = execvpe(EXEC_MISSING_NAME, args, environ);
    exec_missing_expect("execvpe", ret, errno);
    int dirfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        wl_die("open /");
    errno = 0;
    ret = execveat(dirfd, EXEC_MISSING_PATH + 1, args, environ, 0);
    exec_missing_expect("execveat", ret, errno);
    close(dirfd);

    pid_t pid = 0;
    exec_missing_expect_spawn("posix_spawn", posix_spawn(&pid, EXEC_MISSING_PATH, NULL, NULL, args, environ));
    exec_missing_expect_spawn("posix_spawnp", posix_spawnp(&pid, EXEC_MISSING_NAME, NULL, NULL, args, environ));

    wl_touch_mib(4);
    wl_fact("exec_missing", exec_missing_bad);
    return exec_missing_bad == 0 ? 0 : 1;
}
