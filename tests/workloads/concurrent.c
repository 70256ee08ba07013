/* concurrent N: N children alive at once, each ending with its own exit code, reaped by this parent.
 *
 * Each child blocks reading a pipe until the parent has started them all and closes the write end; then
 * each exits with CONCURRENT_CODE(pid) (1..200), and the parent reaps every one with wait(). The parent
 * records fact "concurrent" (value = children that ended otherwise) and exits 0 when none did.
 * memwatch must report: N+1 processes (one entry each), every child exited with CONCURRENT_CODE(pid) —
 * also under `ulimit -n 1024` (soft and hard) with N = 2000. */
#include <errno.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define CONCURRENT_CODE(pid) ((int)((pid) % 200) + 1)

static _Noreturn void concurrent_child(int go_read)
{
    char c;
    ssize_t n;
    do
        n = read(go_read, &c, 1);
    while (n < 0 && errno == EINTR);
    exit(CONCURRENT_CODE(getpid()));
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return WL_EXIT_BROKEN;
    long n = wl_arg_long(argv[1], "N");
    int go[2];
    if (pipe(go) != 0)
        wl_die("pipe");
    long started = 0;
    for (; started < n; started++) {
        pid_t pid = fork();
        if (pid < 0)
            break;
        if (pid == 0) {
            close(go[1]);
            concurrent_child(go[0]);
        }
    }
    close(go[1]); /* every child sees end of file: all were alive until now */
    long wrong = n - started;
    for (long i = 0; i < started; i++) {
        int status;
        pid_t pid = wait(&status);
        if (pid < 0) {
            wrong += started - i;
            break;
        }
        if (!WIFEXITED(status) || WEXITSTATUS(status) != CONCURRENT_CODE(pid))
            wrong++;
    }
    wl_fact("concurrent", wrong);
    return wrong == 0 ? 0 : 1;
}
