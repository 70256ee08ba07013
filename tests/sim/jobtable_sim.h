/* A simulated job driving the job table: processes fork, exec (into programs with or without the agent),
 * grow, exit, are killed and reaped, while agent messages are delivered late or lost and the poller samples
 * or misses them. After every step and at the end, the table's figures are checked against the simulation's
 * truth: an exact figure is the true peak, a sampled one is at most it, a bound at least it, the total's
 * interval holds the true total peak, and each process is listed once. Used by a unit test (many seeded
 * runs) and by a libFuzzer target. */
#ifndef MEMWATCH_JOBTABLE_SIM_H
#define MEMWATCH_JOBTABLE_SIM_H

#include <stddef.h>
#include <stdint.h>

#define JOBTABLE_SIM_WHY_MAX 512

/* Runs the job the bytes describe. Returns 0, or -1 with what went wrong (and at which step) in why. */
int jobtable_sim_run(const uint8_t *data, size_t len, char *why, size_t whylen);

#endif
