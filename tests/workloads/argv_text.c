/* argv_text HOLD_MS ARG...: command lines that are not valid UTF-8 (the ARGs are whatever bytes the harness
 * passes: Latin-1, overlong forms, surrogates, sequences cut short).
 *
 * Forks; the child execs this program again as `argv_text child HOLD_MS ARG...`, holds HOLD_MS (so the
 * poller sees it too), records fact "child" and exits 0; the parent reaps it, records fact "parent" and
 * exits 0. memwatch must report: the job's command, the parent's and the child's argv with each ill-formed
 * subpart as U+FFFD, their exact bytes in argv_hex / command_hex, and the same text in the CSV. */
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define ARGV_TEXT_ARGS_MAX 32

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "child") == 0) {
        wl_sleep_ms(wl_arg_long(argv[2], "HOLD_MS"));
        wl_fact("child", 0);
        return 0;
    }
    if (argc < 2 || argc > ARGV_TEXT_ARGS_MAX)
        return WL_EXIT_BROKEN;
    wl_arg_long(argv[1], "HOLD_MS");
    pid_t pid = fork();
    if (pid < 0)
        wl_die("fork");
    if (pid == 0) {
        char *args[ARGV_TEXT_ARGS_MAX + 2] = {argv[0], "child"};
        for (int i = 1; i < argc; i++)
            args[i + 1] = argv[i];
        execv("/proc/self/exe", args);
        wl_die("execv /proc/self/exe");
    }
    int status = 0;
    if (waitpid(pid, &status, 0) < 0)
        wl_die("waitpid");
    wl_fact("parent", pid);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
