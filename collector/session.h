/* A profiling session: `memwatch run` (start a job and watch it) and `memwatch listen` (hand-made agents). */
#ifndef MEMWATCH_SESSION_H
#define MEMWATCH_SESSION_H

#include "cli.h"

/* Runs the job to its end and writes the reports; returns memwatch's exit code. */
int session_run(const struct cli_options *opt);
/* Accepts preloaded agents until stopped; returns memwatch's exit code. */
int session_listen(const struct cli_options *opt);

#endif
