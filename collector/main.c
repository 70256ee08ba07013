/* memwatch: job-level memory profiler. */
#include <stdio.h>

#include "cli.h"
#include "compare/compare_command.h"
#include "session.h"
#include "viewer.h"

int main(int argc, char **argv)
{
    struct cli_options opt;
    char err[CLI_ERROR_MAX];
    int rc = cli_parse(argc, argv, &opt, err, sizeof err);
    if (rc != 0) {
        fprintf(stderr, "memwatch: %s\n", err);
        return rc;
    }
    switch (opt.command) {
    case CLI_HELP: cli_print_help(stdout); return 0;
    case CLI_VERSION: cli_print_version(stdout); return 0;
    case CLI_LISTEN: return session_listen(&opt);
    case CLI_RUN:
    case CLI_CI_CHECK: return session_run(&opt);
    case CLI_COMPARE: return compare_command(&opt);
    case CLI_VIEW: return viewer_run(&opt);
    }
    return CLI_EXIT_FAILURE;
}
