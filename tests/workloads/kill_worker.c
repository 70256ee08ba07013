/* kill_worker MIB: a worker pool's ending in small. The parent forks a worker that touches MIB MiB, records
 * fact "worker" (value = MIB) and tells the parent over a pipe; the parent then ends it with SIGTERM, as
 * Python's Pool does at the end of `with`, and reaps it. The worker never reaches its exit path.
 *
 * memwatch (with a sampling interval longer than the worker's life) must: not call the worker's figure
 * exact, and still know it within a few percent: the parent's agent read the worker's VmHWM as it killed
 * it. Exits 0 when the worker died of SIGTERM. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return WL_EXIT_BROKEN;
    long mib = wl_arg_long(argv[1], "MIB");
    int ready[2];
    if (pipe(ready) != 0)
        wl_die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        wl_die("fork");
    if (pid == 0) {
        close(ready[0]);
        wl_touch_mib((size_t)mib);
        wl_fact("worker", mib);
        if (write(ready[1], "r", 1) != 1)
            _exit(WL_EXIT_BROKEN);
        for (;;)
            pause();
    }
    close(ready[1]);
    char c;
    if (read(ready[0], &c, 1) != 1)
        wl_die("read");
    kill(pid, SIGTERM);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        wl_die("waitpid");
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? 0 : 1;
}
