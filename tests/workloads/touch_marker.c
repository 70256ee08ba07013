/* touch_marker PATH: creates PATH and exits 0.
 *
 * The bad-input scenarios run it as the job: memwatch must refuse the command line before starting the
 * job, so PATH must never exist afterwards. */
#include "wl_common.h"

int main(int argc, char **argv)
{
    if (argc < 2)
        return WL_EXIT_BROKEN;
    wl_marker(argv[1], "started\n");
    return 0;
}
