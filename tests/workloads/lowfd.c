/* lowfd: a program that lowers RLIMIT_NOFILE to 4 (0, 1, 2 and one more), then works with that one.
 *
 * It sets the limit and execs itself (so a new image starts under it). Then: a first child opens and
 * closes a file and exits 5; the parent reaps it, opens a file and holds it (its last descriptor) while a
 * second child (which closes its copy, opens a file of its own and exits 6) runs and is reaped. It prints
 * what each call returned: stdout, stderr and the exit code (0) must be the same with and without
 * memwatch. memwatch must report both children with exact peaks (each had a descriptor free at exit). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define LOWFD_LIMIT 4
#define LOWFD_CHILD_CODE 5

static int lowfd_open(const char *who)
{
    int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        printf("%s: open failed: %s\n", who, strerror(errno));
    else
        printf("%s: open gave fd %d\n", who, fd);
    fflush(stdout);
    return fd;
}

/* A child that opens and closes a file, after closing the descriptor it inherited (if any). */
static pid_t lowfd_child(int inherited, int code)
{
    pid_t pid = fork();
    if (pid < 0) {
        printf("fork failed: %s\n", strerror(errno));
        fflush(stdout);
        return -1;
    }
    if (pid == 0) {
        if (inherited >= 0)
            close(inherited);
        int fd = lowfd_open("child");
        if (fd >= 0)
            close(fd);
        exit(code);
    }
    return pid;
}

static bool lowfd_reap(pid_t pid, int code)
{
    int status = 0;
    pid_t got = pid > 0 ? waitpid(pid, &status, 0) : -1;
    printf("parent: waitpid %s, child exit %d\n", got == pid ? "ok" : "failed",
           got == pid && WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    fflush(stdout);
    return got == pid && WIFEXITED(status) && WEXITSTATUS(status) == code;
}

static int lowfd_limited(void)
{
    bool ok = lowfd_reap(lowfd_child(-1, LOWFD_CHILD_CODE), LOWFD_CHILD_CODE);
    int fd = lowfd_open("parent");
    ok = lowfd_reap(lowfd_child(fd, LOWFD_CHILD_CODE + 1), LOWFD_CHILD_CODE + 1) && ok;
    if (fd >= 0)
        close(fd);
    return ok && fd >= 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--limited") == 0)
        return lowfd_limited();
    struct rlimit rl = {LOWFD_LIMIT, LOWFD_LIMIT};
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
        wl_die("setrlimit");
    execl("/proc/self/exe", argv[0], "--limited", (char *)NULL);
    wl_die("execl");
}
