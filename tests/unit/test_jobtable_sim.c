/* The job-table simulation over many seeded random jobs: every figure the table gives must agree with the
 * simulated truth (see tests/sim/jobtable_sim.h). A failure prints the seed that reproduces it:
 *   JOBTABLE_SIM_SEED=N ./test_jobtable_sim */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jobtable_sim.h"

#define SIM_RUNS 4000
#define SIM_INPUT_LEN 700

/* xorshift64*: the same inputs on every machine, whatever its libc's rand. */
static uint64_t sim_next(uint64_t *state)
{
    *state ^= *state >> 12;
    *state ^= *state << 25;
    *state ^= *state >> 27;
    return *state * 2685821657736338717ull;
}

static void sim_input(uint64_t seed, uint8_t *input, size_t len)
{
    uint64_t state = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < len; i++)
        input[i] = (uint8_t)(sim_next(&state) >> 56);
}

static int sim_seeded(uint64_t seed, char *why, size_t whylen)
{
    uint8_t input[SIM_INPUT_LEN];
    sim_input(seed, input, sizeof input);
    return jobtable_sim_run(input, sizeof input, why, whylen);
}

/* The kind of a failure: its message without the step and the numbers. */
static void sim_kind(const char *why, char *kind, size_t len)
{
    const char *colon = strchr(why, ':');
    size_t n = 0;
    for (const char *p = colon ? colon : why; *p && n + 1 < len; p++)
        if (*p < '0' || *p > '9')
            kind[n++] = *p;
    kind[n] = '\0';
}

/* For one failing seed: the smallest input that still fails the same way (removing chunks), printed as hex
 * and traced step by step. */
static void sim_shrink(uint64_t seed)
{
    uint8_t input[SIM_INPUT_LEN], trial[SIM_INPUT_LEN];
    size_t len = sizeof input;
    char why[JOBTABLE_SIM_WHY_MAX], want[JOBTABLE_SIM_WHY_MAX], kind[JOBTABLE_SIM_WHY_MAX];
    sim_input(seed, input, len);
    jobtable_sim_run(input, len, why, sizeof why);
    sim_kind(why, want, sizeof want);
    for (size_t chunk = len / 2; chunk >= 1; chunk /= 2) {
        for (size_t at = 0; at + chunk <= len;) {
            memcpy(trial, input, at);
            memcpy(trial + at, input + at + chunk, len - at - chunk);
            if (jobtable_sim_run(trial, len - chunk, why, sizeof why) != 0 &&
                (sim_kind(why, kind, sizeof kind), strcmp(kind, want) == 0)) {
                memcpy(input, trial, len - chunk);
                len -= chunk;
            } else {
                at += chunk;
            }
        }
    }
    jobtable_sim_run(input, len, why, sizeof why);
    print_message("smallest input (%zu bytes): %s\n  ", len, why);
    for (size_t i = 0; i < len; i++)
        print_message("%02x", input[i]);
    print_message("\n");
    setenv("JOBTABLE_SIM_TRACE", "1", 1);
    jobtable_sim_run(input, len, why, sizeof why);
}

static void test_simulated_jobs(void **state)
{
    (void)state;
    char why[JOBTABLE_SIM_WHY_MAX];
    const char *one = getenv("JOBTABLE_SIM_SEED");
    uint64_t first = one ? strtoull(one, NULL, 10) : 1, last = one ? first : SIM_RUNS;
    int failures = 0;
    for (uint64_t seed = first; seed <= last; seed++) {
        if (sim_seeded(seed, why, sizeof why) != 0 && failures++ < (getenv("JOBTABLE_SIM_ALL") ? 100000 : 5))
            print_message("seed %llu: %s\n", (unsigned long long)seed, why);
    }
    if (failures && one)
        sim_shrink(first);
    if (failures)
        print_message("%d of %llu simulated jobs disagree with the truth\n", failures,
                      (unsigned long long)(last - first + 1));
    assert_int_equal(failures, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_simulated_jobs)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
