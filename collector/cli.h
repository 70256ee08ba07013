/* Command-line parsing: subcommands and options into one struct, with errors in the user's words. */
#ifndef MEMWATCH_CLI_H
#define MEMWATCH_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "jobtable.h"

#define CLI_ERROR_MAX 512
#define CLI_DEFAULT_INTERVAL_MS 500u
#define CLI_MAX_INTERVAL_MS (3600u * 1000u)
#define CLI_DEFAULT_SERIES_BUCKETS 1024u /* --series-buckets */
#define CLI_MIN_SERIES_BUCKETS 16u
#define CLI_MAX_SERIES_BUCKETS 65536u
#define CLI_STDOUT_PATH "-" /* an output path that means standard output */
#define CLI_DEFAULT_TREE_FOLD 5u
#define CLI_DEFAULT_LEAK_MIN_GROWTH_PCT 50u
#define CLI_DEFAULT_LEAK_MIN_DURATION_MS 60000u
#define CLI_MAX_LEAK_MIN_GROWTH_PCT 100000u
#define CLI_MAX_TREE_FOLD 1000000u

/* Exit codes of memwatch's own making (the job's code otherwise), as env/timeout/nice use them. */
enum cli_exit {
    CLI_EXIT_LIMIT_TOTAL = 10, /* the job succeeded, but its total breached --max-total-rss */
    CLI_EXIT_LIMIT_PROC = 11,  /* the job succeeded, but a process breached --max-per-proc-rss */
    CLI_EXIT_REGRESSION = 13,  /* ci-check: the job succeeded, but regressed against the baseline */
    CLI_EXIT_COMPARE_REGRESSION = 1, /* compare: a gated figure regressed */
    CLI_EXIT_LEAK = 12,        /* the job succeeded and was within its limits, but --leak-check=fail found one */
    CLI_EXIT_FAILURE = 125,   /* usage, outputs, internal error */
    CLI_EXIT_CANNOT_RUN = 126, /* command found but not executable */
    CLI_EXIT_NOT_FOUND = 127, /* command not found */
};

enum cli_command { CLI_RUN, CLI_LISTEN, CLI_COMPARE, CLI_CI_CHECK, CLI_VIEW, CLI_HELP, CLI_VERSION };
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
    enum jt_group_by group_by; /* --group-by */
    uint32_t tree_fold;       /* --tree-fold: children of one program shown before the rest fold */
    enum jt_leak_check leak_check;
    uint32_t leak_min_growth_pct;
    uint32_t leak_min_duration_ms;
    bool with_cpu; /* --with-cpu */
    bool with_io;  /* --with-io */
    enum cli_color color;
    enum cli_live live;
    /* listen */
    const char *socket_path; /* NULL: a private directory is made */
    bool until_idle;
    /* view: the JSON report to read */
    const char *view_report;
    /* compare and ci-check: the gate (has_*: given by the user; neither given: the defaults) */
    const char *baseline_path;  /* compare: BASE.json; ci-check: --baseline */
    const char *candidate_path; /* compare: CANDIDATE.json */
    bool has_threshold;
    double threshold_pct;
    bool has_max_increase;
    uint64_t max_increase_bytes;
    unsigned metrics;           /* COMPARE_METRIC_BIT set; 0: the default */
    bool markdown_stdout;
    const char *markdown_path;
    /* run and ci-check: the job's command, pointing into argv */
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
/* Whether text for fd gets colour: --color, else a terminal without NO_COLOR. */
bool cli_use_color(const struct cli_options *opt, int fd);
void cli_print_version(FILE *out);

#endif
