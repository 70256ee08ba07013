/* memwatch view: a JSON report, read back, written as another format (the HTML page). */
#ifndef MEMWATCH_VIEWER_H
#define MEMWATCH_VIEWER_H

#include "cli.h"

/* Reads opt->view_report and writes opt->html_path. Returns 0, or CLI_EXIT_FAILURE after one line on stderr
 * naming the file and the problem (then no output file is left). */
int viewer_run(const struct cli_options *opt);

#endif
