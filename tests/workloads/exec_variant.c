/* exec_variant VARIANT MIB HOLD_MS: a fork child execs alloc_hold through one member of the exec family.
 *
 * VARIANT is one of execl, execle (hand-made envp without the agent's variables), execlp, execv, execve,
 * execve_noenv (an empty envp), execvp, execvpe, fexecve, execveat. The p variants find alloc_hold through
 * PATH, which gets the workloads directory prepended. The exec'd program is `alloc_hold MIB HOLD_MS
 * VARIANT`; the parent reaps it, records fact "parent" and exits 0 when it exited 0 (2 when the exec
 * itself failed, 3 for an unknown variant).
 * memwatch must report: the child process with two images (the fork copy, then alloc_hold's argv) and an
 * exact peak for the alloc_hold image = the fact's hwm_kib, whatever the variant did to the environment. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

extern char **environ;

struct exec_variant_args {
    const char *variant;
    const char *dir;
    const char *prog; /* absolute path of alloc_hold */
    char **argv;      /* alloc_hold's argv, argv[0] = prog */
};

static char *exec_variant_handmade_env[] = {"WL_ENV=handmade", "LANG=C", NULL};
static char *exec_variant_empty_env[] = {NULL};

/* Returns only when the exec failed (or the variant is unknown: errno = EINVAL). */
static void exec_variant_run(const struct exec_variant_args *a)
{
    char **v = a->argv;
    const char *var = a->variant;
    if (strcmp(var, "execl") == 0) {
        execl(a->prog, v[0], v[1], v[2], v[3], (char *)NULL);
    } else if (strcmp(var, "execle") == 0) {
        execle(a->prog, v[0], v[1], v[2], v[3], (char *)NULL, exec_variant_handmade_env);
    } else if (strcmp(var, "execlp") == 0) {
        execlp("alloc_hold", "alloc_hold", v[1], v[2], v[3], (char *)NULL);
    } else if (strcmp(var, "execv") == 0) {
        execv(a->prog, v);
    } else if (strcmp(var, "execve") == 0) {
        execve(a->prog, v, environ);
    } else if (strcmp(var, "execve_noenv") == 0) {
        execve(a->prog, v, exec_variant_empty_env);
    } else if (strcmp(var, "execvp") == 0) {
        v[0] = "alloc_hold";
        execvp("alloc_hold", v);
    } else if (strcmp(var, "execvpe") == 0) {
        v[0] = "alloc_hold";
        execvpe("alloc_hold", v, environ);
    } else if (strcmp(var, "fexecve") == 0) {
        int fd = open(a->prog, O_RDONLY | O_CLOEXEC);
        if (fd >= 0)
            fexecve(fd, v, environ);
    } else if (strcmp(var, "execveat") == 0) {
        int dirfd = open(a->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dirfd >= 0) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
            execveat(dirfd, "alloc_hold", v, environ, 0);
#else
            syscall(SYS_execveat, dirfd, "alloc_hold", v, environ, 0);
#endif
        }
    } else {
        _exit(3);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return WL_EXIT_BROKEN;
    char dir[WL_PATH_MAX];
    char prog[WL_PATH_MAX + 32];
    wl_workloads_on_path("alloc_hold", dir, sizeof dir, prog, sizeof prog);

    char *child_argv[] = {prog, argv[2], argv[3], argv[1], NULL};
    struct exec_variant_args a = {.variant = argv[1], .dir = dir, .prog = prog, .argv = child_argv};
    pid_t pid = fork();
    if (pid < 0)
        wl_die("fork");
    if (pid == 0) {
        exec_variant_run(&a);
        perror("workload exec_variant: exec");
        _exit(2);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        wl_die("waitpid");
    wl_fact("parent", pid);
    if (!WIFEXITED(status))
        return 1;
    return WEXITSTATUS(status);
}
