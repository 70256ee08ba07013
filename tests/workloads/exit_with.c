/* exit_with CODE|kill9 [HOLD_MS]: ends the job root a chosen way.
 *
 * Touches 2 MiB, holds HOLD_MS (default 300), records fact "exit_with" (value = CODE, or -9), then exits
 * with CODE or raises SIGKILL.
 * memwatch must report: exit status CODE (or 137 for kill9), JSON exit_code the same, and this process
 * ended "exited" with exit_code CODE, or "signaled" with signal 9. */
#include <signal.h>
#include <string.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return WL_EXIT_BROKEN;
    long hold_ms = argc > 2 ? wl_arg_long(argv[2], "HOLD_MS") : 300;
    wl_touch_mib(2);
    wl_sleep_ms(hold_ms);
    if (strcmp(argv[1], "kill9") == 0) {
        wl_fact("exit_with", -9);
        raise(SIGKILL);
        return WL_EXIT_BROKEN;
    }
    long code = wl_arg_long(argv[1], "CODE");
    wl_fact("exit_with", code);
    return (int)code;
}
