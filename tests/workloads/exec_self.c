/* exec_self first|second MIB HOLD_MS: one process, two images.
 *
 * "first" touches MIB MiB, records fact "first", holds HOLD_MS and execs itself as
 * `exec_self second 2*MIB HOLD_MS`; "second" touches its MiB, holds, records fact "second", exits 0.
 * memwatch must report: one process (the recorded pid) whose command is the second argv; with the agent,
 * two images, the first with argv "… first …" and an exact peak of the first fact's hwm_kib, the second
 * with argv "… second …" and the second fact's hwm_kib. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wl_common.h"

#define EXEC_SELF_ARG_MAX 32

int main(int argc, char **argv)
{
    if (argc < 4)
        return WL_EXIT_BROKEN;
    long mib = wl_arg_long(argv[2], "MIB");
    long hold_ms = wl_arg_long(argv[3], "HOLD_MS");
    wl_touch_mib((size_t)mib);
    wl_sleep_ms(hold_ms);
    if (strcmp(argv[1], "first") == 0) {
        char twice[EXEC_SELF_ARG_MAX];
        snprintf(twice, sizeof twice, "%ld", 2 * mib);
        wl_fact("first", mib);
        char *args[] = {argv[0], "second", twice, argv[3], NULL};
        execv("/proc/self/exe", args);
        wl_die("execv /proc/self/exe");
    }
    wl_fact("second", mib);
    return 0;
}
