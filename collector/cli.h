/* Command-line parsing: subcommands and options into one struct, with errors in the user's words. */
#ifndef MEMWATCH_CLI_H
#define MEMWATCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CLI_ERROR_MAX 512
#define CLI_DEFAULT_INTERVAL_MS 500u
#define CLI_MAX_INTERVAL_MS (3600u * 1000u)

/* Exit codes of memwatch's own making (the job's code otherwise), as env/timeout/nice use them. */
enum cli_exit {
    CLI_EXIT_FAILURE = 125,   /* usage, outputs, internal error */
    CLI_EXIT_CANNOT_RUN = 126, /* command found but not executable */
    CLI_EXIT_NOT_FOUND = 127, /* command not found */
};

enum cli_command { CLI_RUN, CLI_LISTEN, CLI_HELP, CLI_VERSION };
enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };

struct cli_options {
    enum cli_command command;
    uint32_t interval_ms;
    bool json_stdout;
    const char *json_path;
    const char *csv_path;
    const char *timeline_path;
    bool quiet;
    const char *include;
    const char *exclude;
    bool wait_orphans;
    bool no_agent;
    enum cli_color color;
    /* listen */
    const char *socket_path; /* NULL: a private directory is made */
    bool until_idle;
    /* run: the job's command, pointing into argv */
    char **job_argv;
    int job_argc;
};

/* Returns 0, or -1 with one line (without "memwatch: " and newline) in err. */
int cli_parse(int argc, char **argv, struct cli_options *opt, char *err, size_t errlen);
void cli_print_help(FILE *out);
void cli_print_version(FILE *out);

#endif
