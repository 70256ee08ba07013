/* run_child PROG [ARGS...]: the simplest parent — fork, execv PROG, wait.
 *
 * Records fact "run_child" (value = child pid) and exits with the child's exit code, or 128+N when it died
 * of signal N. Puts PROG one level below the job root, where only the agent (or polling) can see it.
 * memwatch must report: this process as root and PROG's process as its child. */
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return WL_EXIT_BROKEN;
    pid_t pid = fork();
    if (pid < 0)
        wl_die("fork");
    if (pid == 0) {
        execv(argv[1], argv + 1);
        wl_die(argv[1]);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        wl_die("waitpid");
    wl_fact("run_child", pid);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
