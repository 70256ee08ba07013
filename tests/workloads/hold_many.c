/* hold_many N MIB HOLD_MS: N children holding MIB MiB each, all at the same time.
 *
 * Each child touches its memory and reports ready through a pipe, then blocks until the parent closes
 * the "go" pipe: the parent does so HOLD_MS after the last child became ready, so for HOLD_MS all N are
 * resident at once. Each child records fact "child" just before exiting; the parent records fact
 * "all_ready" when all are ready and "parent" at the end, and exits 0 when all children exited 0.
 * memwatch must report: total_peak.sampled_kib <= the true total peak (at most the sum of every process's
 * hwm_kib) and upper_bound_kib >= the true total peak (at least the sum of the children's hwm_kib). */
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define HOLD_MANY_MAX 64

int main(int argc, char **argv)
{
    if (argc < 4)
        return WL_EXIT_BROKEN;
    long n = wl_arg_long(argv[1], "N");
    long mib = wl_arg_long(argv[2], "MIB");
    long hold_ms = wl_arg_long(argv[3], "HOLD_MS");
    if (n < 1 || n > HOLD_MANY_MAX)
        return WL_EXIT_BROKEN;
    int ready[2], go[2];
    if (pipe(ready) != 0 || pipe(go) != 0)
        wl_die("pipe");
    pid_t kids[HOLD_MANY_MAX];
    for (long i = 0; i < n; i++) {
        pid_t pid = fork();
        if (pid < 0)
            wl_die("fork");
        if (pid == 0) {
            close(ready[0]);
            close(go[1]);
            wl_touch_mib((size_t)mib);
            if (write(ready[1], "r", 1) != 1)
                _exit(WL_EXIT_BROKEN);
            char c;
            while (read(go[0], &c, 1) > 0) {
            }
            wl_fact("child", mib);
            _exit(0);
        }
        kids[i] = pid;
    }
    close(ready[1]);
    close(go[0]);
    for (long got = 0; got < n;) {
        char c;
        ssize_t r = read(ready[0], &c, 1);
        if (r <= 0)
            wl_die("read ready pipe");
        got += r;
    }
    wl_fact("all_ready", n);
    wl_sleep_ms(hold_ms);
    close(go[1]);
    int bad = 0;
    for (long i = 0; i < n; i++) {
        int status = 0;
        if (waitpid(kids[i], &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
            bad = 1;
    }
    wl_fact("parent", bad);
    return bad;
}
