/* grow STEP_MIB STEP_MS MAX_MIB: a runaway. Touches STEP_MIB more every STEP_MS until MAX_MIB, then holds
 * (at most 60 s). Records fact "grow" (value 0) at start. memwatch --kill-on-limit must stop it (SIGTERM)
 * soon after it passes the limit, long before MAX_MIB. */
#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 4)
        return WL_EXIT_BROKEN;
    long step = wl_arg_long(argv[1], "STEP_MIB"), step_ms = wl_arg_long(argv[2], "STEP_MS");
    long max = wl_arg_long(argv[3], "MAX_MIB");
    wl_fact("grow", 0);
    for (long held = 0; held < max; held += step) {
        wl_touch_mib((size_t)step);
        wl_sleep_ms(step_ms);
    }
    wl_sleep_ms(60000);
    return 0;
}
