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
#define CLI_DEFAULT_SERIES_BUCKETS 1024u /* --series-buckets */
#define CLI_MIN_SERIES_BUCKETS 16u
#define CLI_MAX_SERIES_BUCKETS 65536u
#define CLI_STDOUT_PATH "-" /* an output path that means standard output */

/* Exit codes of memwatch's own making (the job's code otherwise), as env/timeout/nice use them. */
enum cli_exit {
    CLI_EXIT_LIMIT_TOTAL = 10, /* the job succeeded, but its total breached --max-total-rss */
    CLI_EXIT_LIMIT_PROC = 11,  /* the job succeeded, but a process breached --max-per-proc-rss */
    CLI_EXIT_FAILURE = 125,   /* usage, outputs, internal error */
    CLI_EXIT_CANNOT_RUN = 126, /* command found but not executable */
    CLI_EXIT_NOT_FOUND = 127, /* command not found */
};

enum cli_command { CLI_RUN, CLI_LISTEN, CLI_VIEW, CLI_HELP, CLI_VERSION };
enum cli_color { CLI_COLOR_AUTO, CLI_COLOR_ALWAYS, CLI_COLOR_NEVER };
enum cli_live { CLI_LIVE_AUTO, CLI_LIVE_ALWAYS, CLI_LIVE_NEVER }; /* --live[=WHEN], --no-live */

struct cli_options {
    enum cli_command command;
    uint32_t interval_ms;
    bool json_stdout;
    const char *json_path;
    const char *csv_path;      /* CLI_STDOUT_PATH: standard output */
    const char *timeline_path; /* CLI_STDOUT_PATH: standard output */
    const char *html_path;     /* --html: the self-contained HTML page */
    uint32_t series_buckets;   /* --series-buckets: the most buckets a process's RSS series keeps */
    bool quiet;
    const char *include;
    const char *exclude;
    bool wait_orphans;
    bool no_agent;
    uint64_t max_total_bytes; /* --max-total-rss, 0: none */
    uint64_t max_proc_bytes;  /* --max-per-proc-rss, 0: none */
    bool strict_limits;       /* a possible breach (only an upper bound above the limit) counts too */
    bool kill_on_limit;       /* stop the job at a proven breach seen while it runs */
    const char *post_run_cmd; /* run through /bin/sh after the reports, with $MEMWATCH_JSON; NULL: none */
    bool post_run_strict;     /* its failure becomes memwatch's exit status (when the job succeeded) */
    enum cli_color color;
    enum cli_live live;
    /* listen */
    const char *socket_path; /* NULL: a private directory is made */
    bool until_idle;
    /* view: the JSON report to read */
    const char *view_report;
    /* run: the job's command, pointing into argv */
    char **job_argv;
    int job_argc;
};

/* The report files, in one order everywhere: their option names and the paths the user gave (NULL when not
 * asked for; --json to stdout has no path). */
enum cli_output { CLI_OUT_JSON, CLI_OUT_CSV, CLI_OUT_TIMELINE, CLI_OUT_HTML, CLI_OUTPUTS };
extern const char *const cli_output_names[CLI_OUTPUTS];
void cli_output_paths(const struct cli_options *o, const char *paths[CLI_OUTPUTS]);

/* Returns 0, or the exit status memwatch must end with (CLI_EXIT_FAILURE; CLI_EXIT_NOT_FOUND for an empty
 * command name) with one line (without "memwatch: " and newline) in err. */
int cli_parse(int argc, char **argv, struct cli_options *opt, char *err, size_t errlen);
void cli_print_help(FILE *out);
void cli_print_version(FILE *out);

#endif
