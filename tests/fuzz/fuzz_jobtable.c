/* libFuzzer target: the job table driven by a simulated job (tests/sim/jobtable_sim.h); any disagreement
 * with the simulated truth is a crash, with the reason on stderr. Reproduce one with the unit test's
 * JOBTABLE_SIM_TRACE=1, or by running this target on the crash file. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "jobtable_sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char why[JOBTABLE_SIM_WHY_MAX];
    if (jobtable_sim_run(data, size, why, sizeof why) != 0) {
        fprintf(stderr, "jobtable disagrees with the simulated truth: %s\n", why);
        abort();
    }
    return 0;
}
