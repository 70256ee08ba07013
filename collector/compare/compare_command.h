/* The commands built on a comparison: `memwatch compare` and the last step of `memwatch ci-check`. */
#ifndef MEMWATCH_COMPARE_COMMAND_H
#define MEMWATCH_COMPARE_COMMAND_H

#include <stdbool.h>
#include <stddef.h>

#include "../cli.h"
#include "../outfile.h"
#include "compare.h"

/* The gate the options describe: the user's allowances and metrics, else the defaults. */
void compare_gate_from_options(struct compare_gate *g, const struct cli_options *opt);

/* memwatch compare BASE.json CANDIDATE.json: 0 within the gate, CLI_EXIT_COMPARE_REGRESSION, or
 * CLI_EXIT_FAILURE after one line on stderr naming the file and the problem. */
int compare_command(const struct cli_options *opt);

/* One comparison output: a file (checked before anything runs, published whole) or standard output. */
struct compare_output {
    const char *option; /* "--markdown", for messages */
    bool to_stdout;
    const char *path;
    struct outfile file;
    bool used; /* file is prepared and not yet published or dropped */
};

/* ci-check's own state beside the run's: the baseline (read and checked before the job starts, or proven
 * writable when it does not exist yet) and the Markdown output. */
struct ci_check {
    struct report_file baseline;
    bool baseline_loaded;
    struct outfile baseline_out; /* the baseline to write: it did not exist */
    bool baseline_out_used;
    struct compare_output markdown;
};

/* Before the job: 0, or -1 with a message in err. */
int ci_check_prepare(struct ci_check *c, const struct cli_options *opt, char *err, size_t errlen);
/* After the reports: compares the baseline with the run's report at report_path (or makes the report the
 * baseline when there was none and the job passed). Returns what memwatch exits with: exit_code when it is
 * not 0 (the job's failure or a limit wins), else 0, CLI_EXIT_REGRESSION, or CLI_EXIT_FAILURE. */
int ci_check_conclude(struct ci_check *c, const struct cli_options *opt, const char *report_path, int exit_code);
/* Drops what prepare made (on a failure before the job ran). */
void ci_check_discard(struct ci_check *c);

#endif
