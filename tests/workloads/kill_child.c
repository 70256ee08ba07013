/* kill_child MIB HOLD_MS: a child that allocates MIB MiB and is then SIGKILLed by its parent.
 *
 * The child touches the memory, records fact "victim" and tells the parent through a pipe; the parent
 * lets it hold HOLD_MS, kills it with SIGKILL, reaps it, records fact "parent" and exits 0 only when the
 * child died of SIGKILL.
 * memwatch must report: the victim, ended "signaled" with signal 9, its peak not exact (the agent never
 * got to report): sampled (at most the fact's hwm_kib) or bound (at least it). */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define KILL_CHILD_MAX_WAIT_MS 120000

int main(int argc, char **argv)
{
    if (argc < 3)
        return WL_EXIT_BROKEN;
    long mib = wl_arg_long(argv[1], "MIB");
    long hold_ms = wl_arg_long(argv[2], "HOLD_MS");
    int fds[2];
    if (pipe(fds) != 0)
        wl_die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        wl_die("fork");
    if (pid == 0) {
        close(fds[0]);
        wl_touch_mib((size_t)mib);
        wl_fact("victim", mib);
        if (write(fds[1], "r", 1) != 1)
            _exit(WL_EXIT_BROKEN);
        wl_sleep_ms(KILL_CHILD_MAX_WAIT_MS);
        _exit(0);
    }
    close(fds[1]);
    char c;
    if (read(fds[0], &c, 1) != 1)
        wl_die("read ready pipe");
    wl_sleep_ms(hold_ms);
    if (kill(pid, SIGKILL) != 0)
        wl_die("kill");
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        wl_die("waitpid");
    int ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL;
    wl_fact("parent", ok);
    return ok ? 0 : 1;
}
