/* raw_exit MIB HOLD_MS CODE: touches MIB MiB, holds them HOLD_MS, records fact "raw_exit" (value = MIB), then
 * leaves through the raw exit_group system call with CODE, as the Go runtime and a sanitizer's abort do: the
 * agent's exit path never runs. memwatch must keep the exit code, and give an honest figure: not exact, a
 * sampled lower bound (the poller's VmHWM reading) when a sample fell in HOLD_MS. */
#include <sys/syscall.h>
#include <unistd.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 4)
        return WL_EXIT_BROKEN;
    long mib = wl_arg_long(argv[1], "MIB"), hold_ms = wl_arg_long(argv[2], "HOLD_MS");
    long code = wl_arg_long(argv[3], "CODE");
    wl_touch_mib((size_t)mib);
    wl_fact("raw_exit", mib);
    wl_sleep_ms(hold_ms);
    syscall(SYS_exit_group, (int)code);
    return WL_EXIT_BROKEN;
}
