/* The poller: each interval, the RSS of every live job process and discovery of those the agent missed. */
#ifndef MEMWATCH_POLLER_H
#define MEMWATCH_POLLER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "jobtable.h"

struct poller {
    struct jobtable *jt;
    pid_t self;        /* memwatch: as subreaper it inherits the job's orphans */
    pid_t *work;       /* pids to visit this pass */
    size_t n_work;
    size_t cap_work;
    uint64_t passes;
    uint64_t proc_reads; /* files read, for the benchmark's cost-per-sample figure */
};

void poller_init(struct poller *pl, struct jobtable *jt);
void poller_free(struct poller *pl);
/* Observes pid now (the job's root right after it starts), with its descendants. */
void poller_adopt(struct poller *pl, pid_t pid, int64_t now_ns);
/* One pass over the job: every live process, their new children, memwatch's own children; then one sample
 * of the total. Its cost grows with the job, never with the rest of the machine. */
void poller_sample(struct poller *pl, int64_t now_ns);

#endif
