/* exec_fail_kill MIB: an exec that fails (the agent has already sent its pre-exec peak), then growth to MIB
 * MiB and death by SIGKILL, so no later report from the agent corrects the stale one.
 *
 * Records fact "exec_fail_kill" (value = MIB) just before the kill. memwatch must not call the pre-exec
 * figure exact: the process's peak is at least MIB MiB (bound from memwatch's own wait), never exact. */
#include <signal.h>
#include <unistd.h>

#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return WL_EXIT_BROKEN;
    long mib = wl_arg_long(argv[1], "MIB");
    char *args[] = {"/nonexistent/memwatch-test-program", NULL};
    execv(args[0], args); /* fails: ENOENT */
    wl_touch_mib((size_t)mib);
    wl_fact("exec_fail_kill", mib);
    raise(SIGKILL);
    return WL_EXIT_BROKEN;
}
