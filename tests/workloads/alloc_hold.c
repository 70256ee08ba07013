/* alloc_hold MIB HOLD_MS [ROLE [ANY...]]: the leaf program of most scenarios.
 *
 * Touches MIB MiB, holds them HOLD_MS, then records fact ROLE (default "alloc_hold") with its VmHWM just
 * before returning. Extra arguments are ignored (the CSV scenario passes awkward ones).
 * memwatch must report: this process, command = its argv joined by spaces, and an image whose peak is
 * the recorded hwm_kib: exact (to the page) with the agent; sampled within a few % without it, when
 * HOLD_MS spans several sampling intervals. Exit status 0.
 * It also records fact "fds" (see wl_fact_leaked_fds): memwatch and the agent must leak no descriptor
 * into the job, so its value must be 0. */
#include <stdlib.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 3)
        return WL_EXIT_BROKEN;
    wl_fact_leaked_fds();
    long mib = wl_arg_long(argv[1], "MIB");
    long hold_ms = wl_arg_long(argv[2], "HOLD_MS");
    wl_touch_mib((size_t)mib);
    wl_sleep_ms(hold_ms);
    wl_fact(argc > 3 ? argv[3] : "alloc_hold", mib);
    return 0;
}
