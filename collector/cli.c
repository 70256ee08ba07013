/* Command-line parsing with getopt_long: every value checked here, before anything starts. */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_info.h"
#include "compare/compare.h"
#include "report/report.h"
#include "units.h"

enum {
    OPT_JSON = 256,
    OPT_JSON_FILE,
    OPT_CSV,
    OPT_TIMELINE,
    OPT_INCLUDE,
    OPT_EXCLUDE,
    OPT_WAIT_ORPHANS,
    OPT_NO_AGENT,
    OPT_COLOR,
    OPT_SOCKET,
    OPT_UNTIL_IDLE,
    OPT_LIVE,
    OPT_NO_LIVE,
    OPT_MAX_TOTAL,
    OPT_MAX_PROC,
    OPT_STRICT_LIMITS,
    OPT_KILL_ON_LIMIT,
    OPT_POST_RUN_CMD,
    OPT_POST_RUN_STRICT,
    OPT_THRESHOLD,
    OPT_MAX_INCREASE,
    OPT_METRIC,
    OPT_MARKDOWN,
    OPT_BASELINE,
    OPT_GROUP_BY,
    OPT_TREE_FOLD,
    OPT_LEAK_CHECK,
    OPT_LEAK_MIN_GROWTH,
    OPT_LEAK_MIN_DURATION,
    OPT_HTML,
    OPT_SERIES_BUCKETS,
    OPT_WITH_CPU,
    OPT_WITH_IO,
};

static const struct option cli_long_options[] = {
    {"interval", required_argument, NULL, 'i'},
    {"json", optional_argument, NULL, OPT_JSON},
    {"json-file", required_argument, NULL, OPT_JSON_FILE},
    {"csv", required_argument, NULL, OPT_CSV},
    {"timeline", required_argument, NULL, OPT_TIMELINE},
    {"quiet", no_argument, NULL, 'q'},
    {"include", required_argument, NULL, OPT_INCLUDE},
    {"exclude", required_argument, NULL, OPT_EXCLUDE},
    {"wait-orphans", no_argument, NULL, OPT_WAIT_ORPHANS},
    {"no-agent", no_argument, NULL, OPT_NO_AGENT},
    {"color", required_argument, NULL, OPT_COLOR},
    {"colour", required_argument, NULL, OPT_COLOR},
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"until-idle", no_argument, NULL, OPT_UNTIL_IDLE},
    {"live", optional_argument, NULL, OPT_LIVE},
    {"no-live", no_argument, NULL, OPT_NO_LIVE},
    {"max-total-rss", required_argument, NULL, OPT_MAX_TOTAL},
    {"max-per-proc-rss", required_argument, NULL, OPT_MAX_PROC},
    {"strict-limits", no_argument, NULL, OPT_STRICT_LIMITS},
    {"kill-on-limit", no_argument, NULL, OPT_KILL_ON_LIMIT},
    {"post-run-cmd", required_argument, NULL, OPT_POST_RUN_CMD},
    {"post-run-strict", no_argument, NULL, OPT_POST_RUN_STRICT},
    {"threshold", required_argument, NULL, OPT_THRESHOLD},
    {"max-increase", required_argument, NULL, OPT_MAX_INCREASE},
    {"metric", required_argument, NULL, OPT_METRIC},
    {"markdown", optional_argument, NULL, OPT_MARKDOWN},
    {"baseline", required_argument, NULL, OPT_BASELINE},
    {"group-by", required_argument, NULL, OPT_GROUP_BY},
    {"tree-fold", required_argument, NULL, OPT_TREE_FOLD},
    {"leak-check", optional_argument, NULL, OPT_LEAK_CHECK},
    {"leak-min-growth", required_argument, NULL, OPT_LEAK_MIN_GROWTH},
    {"leak-min-duration", required_argument, NULL, OPT_LEAK_MIN_DURATION},
    {"html", required_argument, NULL, OPT_HTML},
    {"series-buckets", required_argument, NULL, OPT_SERIES_BUCKETS},
    {"with-cpu", no_argument, NULL, OPT_WITH_CPU},
    {"with-io", no_argument, NULL, OPT_WITH_IO},
    {"help", no_argument, NULL, 'h'},
    {0, 0, 0, 0},
};

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_color(const char *v, enum cli_color *out)
{
    if (strcmp(v, "auto") == 0)
        *out = CLI_COLOR_AUTO;
    else if (strcmp(v, "always") == 0)
        *out = CLI_COLOR_ALWAYS;
    else if (strcmp(v, "never") == 0)
        *out = CLI_COLOR_NEVER;
    else
        return -1;
    return 0;
}

/* A zero and a value above the maximum are told apart from a typo: each needs a different fix. */
static int parse_interval(const char *arg, uint32_t *ms, char *err, size_t errlen)
{
    uint32_t v = 0;
    switch (units_parse_duration_ms(arg, &v)) {
    case UNITS_DURATION_OK:
        break;
    case UNITS_DURATION_ZERO:
        return fail(err, errlen, "--interval: '%s' must be positive", arg);
    case UNITS_DURATION_TOO_LONG:
        return fail(err, errlen, "--interval: '%s' is above the 1h maximum", arg);
    default:
        return fail(err, errlen, "--interval: '%s' is not a duration (e.g. 500, 50ms, 2s; at most 1h)", arg);
    }
    if (v > CLI_MAX_INTERVAL_MS)
        return fail(err, errlen, "--interval: '%s' is above the 1h maximum", arg);
    *ms = v;
    return 0;
}

/* An output whose file is optional (--json, --markdown): none or "-" is standard output, as in every Unix
 * tool; standard output then has its own path in the session. */
static void set_optional_output(const char *path, bool *to_stdout, const char **file)
{
    *to_stdout = path == NULL || strcmp(path, CLI_STDOUT_PATH) == 0;
    *file = *to_stdout ? NULL : path;
}

/* A memory limit: a size above zero. */
static int parse_limit(const char *option, const char *arg, uint64_t *bytes, char *err, size_t errlen)
{
    if (units_parse_size_bytes(arg, bytes) != 0)
        return fail(err, errlen, "%s: '%s' is not a size (e.g. 512M, 8G, 1.5GiB, 700MB)", option, arg);
    if (*bytes == 0)
        return fail(err, errlen, "%s: '%s' must be above zero", option, arg);
    return 0;
}

#define CLI_THRESHOLD_MAX 1e6 /* percent: a million percent is already no gate */

/* "10%", "10", "2.5 %": a percentage of growth, zero or more. */
static int parse_threshold(const char *arg, double *pct, char *err, size_t errlen)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(arg, &end);
    while (end && *end == ' ')
        end++;
    if (end && *end == '%')
        end++;
    if (end == arg || !end || *end != '\0' || errno != 0 || !(v >= 0 && v <= CLI_THRESHOLD_MAX) ||
        strpbrk(arg, "xXnN") != NULL)
        return fail(err, errlen, "--threshold: '%s' is not a percentage from 0 to 1000000 (e.g. 10%%, 2.5%%)", arg);
    *pct = v;
    return 0;
}

static int parse_gate_option(int c, const char *arg, struct cli_options *o, char *err, size_t errlen)
{
    char why[160];
    switch (c) {
    case OPT_THRESHOLD:
        o->has_threshold = true;
        return parse_threshold(arg, &o->threshold_pct, err, errlen);
    case OPT_MAX_INCREASE:
        o->has_max_increase = true;
        if (units_parse_size_bytes(arg, &o->max_increase_bytes) != 0)
            return fail(err, errlen, "--max-increase: '%s' is not a size (e.g. 50MiB, 1G, 700MB)", arg);
        return 0;
    case OPT_METRIC:
        if (compare_metrics_parse(arg, &o->metrics, why, sizeof why) != 0)
            return fail(err, errlen, "--metric: %s", why);
        return 0;
    case OPT_MARKDOWN:
        if (arg && !arg[0])
            return fail(err, errlen, "--markdown=: the file name is empty");
        set_optional_output(arg, &o->markdown_stdout, &o->markdown_path);
        return 0;
    case OPT_BASELINE:
        if (!arg[0])
            return fail(err, errlen, "--baseline: the file name is empty");
        o->baseline_path = arg;
        return 0;
    default:
        return 0;
    }
}

static int parse_group_by(const char *arg, struct cli_options *o, char *err, size_t errlen)
{
    if (report_group_by_parse(arg, &o->group_by) != 0)
        return fail(err, errlen, "--group-by: '%s' is not one of command, exe, ppid, tree", arg);
    return 0;
}

/* A count: digits only, 0 .. max. */
static int parse_count(const char *option, const char *arg, uint32_t max, uint32_t *out, char *err, size_t errlen)
{
    char *end = NULL;
    unsigned long long v = 0;
    if (arg[0] >= '0' && arg[0] <= '9')
        v = strtoull(arg, &end, 10);
    if (end == NULL || *end != '\0' || v > max)
        return fail(err, errlen, "%s: '%s' is not a whole number from 0 to %u", option, arg, max);
    *out = (uint32_t)v;
    return 0;
}

/* How many buckets a process's RSS series may grow to: a whole number in a range that keeps memory bounded. */
static int parse_series_buckets(const char *arg, uint32_t *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(arg, &end, 10);
    if (errno != 0 || end == arg || *end != '\0' || arg[0] == '-' || v < CLI_MIN_SERIES_BUCKETS
        || v > CLI_MAX_SERIES_BUCKETS)
        return fail(err, errlen, "--series-buckets: '%s' is not a whole number from %u to %u", arg,
                    CLI_MIN_SERIES_BUCKETS, CLI_MAX_SERIES_BUCKETS);
    *out = (uint32_t)v;
    return 0;
}

/* --leak-check[=report|fail]: a bare one reports. */
static int parse_leak_check(const char *arg, struct cli_options *o, char *err, size_t errlen)
{
    if (arg == NULL) {
        o->leak_check = JT_LEAK_REPORT;
        return 0;
    }
    if (strcmp(arg, "off") == 0 || report_leak_check_parse(arg, &o->leak_check) != 0)
        return fail(err, errlen, "--leak-check: '%s' is not one of report, fail", arg);
    return 0;
}

/* A percentage: "50" or "50%". */
static int parse_growth(const char *arg, uint32_t *pct, char *err, size_t errlen)
{
    char digits[16];
    size_t n = strlen(arg);
    if (n > 0 && n < sizeof digits && arg[n - 1] == '%')
        n--;
    snprintf(digits, sizeof digits, "%.*s", (int)n, arg);
    if (n == 0 || n >= sizeof digits || parse_count("--leak-min-growth", digits, CLI_MAX_LEAK_MIN_GROWTH_PCT, pct,
                                                    err, errlen) != 0 || *pct == 0)
        return fail(err, errlen, "--leak-min-growth: '%s' is not a percentage from 1 to %u (e.g. 50 or 50%%)", arg,
                    CLI_MAX_LEAK_MIN_GROWTH_PCT);
    return 0;
}

static int parse_leak_duration(const char *arg, uint32_t *ms, char *err, size_t errlen)
{
    if (units_parse_duration_ms(arg, ms) != UNITS_DURATION_OK || *ms > CLI_MAX_INTERVAL_MS * 24)
        return fail(err, errlen, "--leak-min-duration: '%s' is not a positive duration (e.g. 30s, 5m)", arg);
    return 0;
}

static int parse_option(int c, const char *arg, struct cli_options *o, char *err, size_t errlen)
{
    switch (c) {
    case 'i': return parse_interval(arg, &o->interval_ms, err, errlen);
    case OPT_JSON:
        if (arg && !arg[0])
            return fail(err, errlen, "--json=: the file name is empty");
        set_optional_output(arg, &o->json_stdout, &o->json_path);
        return 0;
    case OPT_JSON_FILE:
        if (!arg[0])
            return fail(err, errlen, "--json-file: the file name is empty");
        set_optional_output(arg, &o->json_stdout, &o->json_path);
        return 0;
    case OPT_CSV: o->csv_path = arg; return 0;
    case OPT_TIMELINE: o->timeline_path = arg; return 0;
    case 'q': o->quiet = true; return 0;
    case OPT_INCLUDE: o->include = arg; return 0;
    case OPT_EXCLUDE: o->exclude = arg; return 0;
    case OPT_WAIT_ORPHANS: o->wait_orphans = true; return 0;
    case OPT_NO_AGENT: o->no_agent = true; return 0;
    case OPT_COLOR:
        if (parse_color(arg, &o->color) != 0)
            return fail(err, errlen, "--color: '%s' is not one of auto, always, never", arg);
        return 0;
    case OPT_SOCKET: o->socket_path = arg; return 0;
    case OPT_UNTIL_IDLE: o->until_idle = true; return 0;
    case OPT_LIVE: /* a bare --live asks for the line: always */
        if (!arg || strcmp(arg, "always") == 0)
            o->live = CLI_LIVE_ALWAYS;
        else if (strcmp(arg, "auto") == 0)
            o->live = CLI_LIVE_AUTO;
        else if (strcmp(arg, "never") == 0)
            o->live = CLI_LIVE_NEVER;
        else
            return fail(err, errlen, "--live: '%s' is not one of auto, always, never", arg);
        return 0;
    case OPT_NO_LIVE: o->live = CLI_LIVE_NEVER; return 0;
    case OPT_MAX_TOTAL: return parse_limit("--max-total-rss", arg, &o->max_total_bytes, err, errlen);
    case OPT_MAX_PROC: return parse_limit("--max-per-proc-rss", arg, &o->max_proc_bytes, err, errlen);
    case OPT_STRICT_LIMITS: o->strict_limits = true; return 0;
    case OPT_KILL_ON_LIMIT: o->kill_on_limit = true; return 0;
    case OPT_POST_RUN_CMD:
        if (!arg[0])
            return fail(err, errlen, "--post-run-cmd: the command is empty");
        o->post_run_cmd = arg;
        return 0;
    case OPT_POST_RUN_STRICT: o->post_run_strict = true; return 0;
    case OPT_GROUP_BY: return parse_group_by(arg, o, err, errlen);
    case OPT_LEAK_CHECK: return parse_leak_check(arg, o, err, errlen);
    case OPT_LEAK_MIN_GROWTH: return parse_growth(arg, &o->leak_min_growth_pct, err, errlen);
    case OPT_LEAK_MIN_DURATION: return parse_leak_duration(arg, &o->leak_min_duration_ms, err, errlen);
    case OPT_WITH_CPU: o->with_cpu = true; return 0;
    case OPT_WITH_IO: o->with_io = true; return 0;
    case OPT_TREE_FOLD: return parse_count("--tree-fold", arg, CLI_MAX_TREE_FOLD, &o->tree_fold, err, errlen);
    case OPT_HTML: o->html_path = arg; return 0;
    case OPT_SERIES_BUCKETS: return parse_series_buckets(arg, &o->series_buckets, err, errlen);
    default: return parse_gate_option(c, arg, o, err, errlen);
    }
}

static bool is_stdout(const char *path) { return path != NULL && strcmp(path, CLI_STDOUT_PATH) == 0; }

/* Two reports interleaved on one stream would be neither valid JSON nor valid CSV. */
static int check_stdout(const struct cli_options *o, char *err, size_t errlen)
{
    const char *users[CLI_OUTPUTS + 1];
    size_t n = 0;
    if (o->json_stdout)
        users[n++] = "--json";
    if (o->markdown_stdout)
        users[n++] = "--markdown";
    if (is_stdout(o->csv_path))
        users[n++] = "--csv -";
    if (is_stdout(o->timeline_path))
        users[n++] = "--timeline -";
    if (is_stdout(o->html_path))
        users[n++] = "--html -";
    if (n > 1)
        return fail(err, errlen, "%s and %s both write to standard output; give one of them a file", users[0],
                    users[1]);
    return 0;
}

const char *const cli_output_names[CLI_OUTPUTS] = {"--json", "--csv", "--timeline", "--html"};

void cli_output_paths(const struct cli_options *o, const char *paths[CLI_OUTPUTS])
{
    paths[CLI_OUT_JSON] = o->json_path;
    paths[CLI_OUT_CSV] = o->csv_path;
    paths[CLI_OUT_TIMELINE] = o->timeline_path;
    paths[CLI_OUT_HTML] = o->html_path;
}

static int check_paths(const struct cli_options *o, char *err, size_t errlen)
{
    const char *paths[CLI_OUTPUTS];
    const char *const *names = cli_output_names;
    cli_output_paths(o, paths);
    if (check_stdout(o, err, errlen) != 0)
        return -1;
    for (size_t i = 0; i < CLI_OUTPUTS; i++) {
        if (paths[i] && !paths[i][0])
            return fail(err, errlen, "%s: the file name is empty", names[i]);
        for (size_t k = 0; k < i; k++)
            if (paths[i] && paths[k] && strcmp(paths[i], paths[k]) == 0)
                return fail(err, errlen, "%s and %s name the same file", names[k], names[i]);
        if (paths[i] && o->markdown_path && strcmp(paths[i], o->markdown_path) == 0)
            return fail(err, errlen, "%s and --markdown name the same file", names[i]);
        if (paths[i] && o->baseline_path && strcmp(paths[i], o->baseline_path) == 0)
            return fail(err, errlen, "%s and --baseline name the same file: the baseline would be overwritten",
                        names[i]);
    }
    return 0;
}

/* getopt's own messages are replaced by ours, which name the option as the user typed it. */
static int bad_option(char **argv, int optind_at, int c, char *err, size_t errlen)
{
    const char *word = (optind_at > 0) ? argv[optind_at - 1] : "?";
    if (c == ':')
        return fail(err, errlen, "%s needs a value", word);
    return fail(err, errlen, "unknown option '%s' (see memwatch --help)", word);
}

static int parse_subcommand(const char *word, struct cli_options *o, char *err, size_t errlen)
{
    if (strcmp(word, "run") == 0)
        o->command = CLI_RUN;
    else if (strcmp(word, "listen") == 0)
        o->command = CLI_LISTEN;
    else if (strcmp(word, "compare") == 0)
        o->command = CLI_COMPARE;
    else if (strcmp(word, "ci-check") == 0)
        o->command = CLI_CI_CHECK;
    else if (strcmp(word, "view") == 0)
        o->command = CLI_VIEW;
    else if (strcmp(word, "help") == 0 || strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0)
        o->command = CLI_HELP;
    else if (strcmp(word, "--version") == 0 || strcmp(word, "-V") == 0 || strcmp(word, "version") == 0)
        o->command = CLI_VERSION;
    else if (word[0] == '-')
        return fail(err, errlen, "unknown option '%s' (commands: run, listen, compare, ci-check, view; see memwatch --help)", word);
    else
        return fail(err, errlen, "'%s' is not a command (commands: run, listen, compare, ci-check, view; see memwatch --help)", word);
    return 0;
}

/* Whether word names an executable as execvp would find it (PATH, or the path itself with a '/'). */
static bool is_command(const char *word)
{
    struct stat st;
    if (strchr(word, '/'))
        return stat(word, &st) == 0 && S_ISREG(st.st_mode) && access(word, X_OK) == 0;
    const char *path = getenv("PATH");
    for (const char *dir = path ? path : "/bin:/usr/bin"; dir != NULL;) {
        const char *colon = strchr(dir, ':');
        int len = colon ? (int)(colon - dir) : (int)strlen(dir);
        char full[PATH_MAX];
        /* An empty PATH entry is the current directory, as for the shell. */
        snprintf(full, sizeof full, "%.*s/%s", len ? len : 1, len ? dir : ".", word);
        if (stat(full, &st) == 0 && S_ISREG(st.st_mode) && access(full, X_OK) == 0)
            return true;
        dir = colon ? colon + 1 : NULL;
    }
    return false;
}

static bool names_json_file(const char *word)
{
    size_t n = strlen(word);
    return n > 5 && strcasecmp(word + n - 5, ".json") == 0;
}

/* Where the job's words start, and what came just before them. */
struct cli_words {
    int argc;
    char **argv;
    int first;          /* index of the job's first word */
    int bare_json_next; /* index after the last "--json" given without "=", or -1 */
};

/* "--json out.json make" would run "out.json": say what was meant when that cannot be a command. */
static int check_json_file_taken(const struct cli_words *w, char *err, size_t errlen)
{
    const char *word = w->argv[w->first];
    bool dashdash = strcmp(w->argv[w->first - 1], "--") == 0;
    if (!dashdash && w->first + 1 < w->argc && strcmp(w->argv[w->first + 1], "--") == 0)
        return fail(err, errlen, "unexpected '%s' before '--' (options take files as --json=FILE)", word);
    if (!dashdash && w->bare_json_next == w->first && names_json_file(word) && !is_command(word))
        return fail(err, errlen, "unexpected '%s' after --json: it would run as the command (options take files "
                    "as --json=FILE)", word);
    return 0;
}

/* compare BASE.json CANDIDATE.json: two reports, in that order. */
static int take_reports(const struct cli_words *w, struct cli_options *o, char *err, size_t errlen)
{
    int n = w->argc - w->first;
    if (n != 2)
        return fail(err, errlen, "compare needs two reports, %s (usage: memwatch compare [OPTIONS] BASE.json "
                    "CANDIDATE.json)", n < 2 ? (n == 0 ? "none given" : "one given") : "more given");
    o->baseline_path = w->argv[w->first];
    o->candidate_path = w->argv[w->first + 1];
    if (!o->baseline_path[0] || !o->candidate_path[0])
        return fail(err, errlen, "compare: a report's file name is empty");
    if (strcmp(o->baseline_path, "-") == 0 && strcmp(o->candidate_path, "-") == 0)
        return fail(err, errlen, "compare: both reports cannot be read from standard input");
    return 0;
}

static int take_job(const struct cli_words *w, struct cli_options *o, char *err, size_t errlen)
{
    if (o->command == CLI_COMPARE)
        return take_reports(w, o, err, errlen);
    if (o->command == CLI_LISTEN) {
        if (w->first < w->argc)
            return fail(err, errlen, "listen takes no command ('%s'); start your job elsewhere", w->argv[w->first]);
        return 0;
    }
    if (w->first >= w->argc)
        return fail(err, errlen, "no command to run (usage: memwatch run [OPTIONS] -- CMD [ARGS...])");
    if (check_json_file_taken(w, err, errlen) != 0)
        return -1;
    /* The shell's answer to '' (exit 127), but before any output file is touched. */
    if (w->argv[w->first][0] == '\0') {
        fail(err, errlen, "'': command not found (the command name is empty)");
        return CLI_EXIT_NOT_FOUND;
    }
    o->job_argv = w->argv + w->first;
    o->job_argc = w->argc - w->first;
    return 0;
}

/* Which options each command takes: compare reads reports and runs nothing; the gate's options and
 * --markdown belong to compare and ci-check; --baseline to ci-check. */
static bool option_applies(enum cli_command cmd, int c)
{
    switch (c) {
    case OPT_THRESHOLD: case OPT_MAX_INCREASE: case OPT_METRIC: case OPT_MARKDOWN:
        return cmd == CLI_COMPARE || cmd == CLI_CI_CHECK;
    case OPT_BASELINE:
        return cmd == CLI_CI_CHECK;
    case OPT_JSON: case OPT_JSON_FILE: case 'q': case OPT_COLOR:
        return true;
    default:
        return cmd != CLI_COMPARE;
    }
}

static const char *command_name(enum cli_command cmd)
{
    switch (cmd) {
    case CLI_RUN: return "run";
    case CLI_LISTEN: return "listen";
    case CLI_COMPARE: return "compare";
    case CLI_CI_CHECK: return "ci-check";
    default: return "memwatch";
    }
}

/* Options of one subcommand given to the other: named, so the user knows where they belong. */
static int check_subcommand_options(const struct cli_options *o, char *err, size_t errlen)
{
    if (o->command == CLI_CI_CHECK && !o->baseline_path)
        return fail(err, errlen, "ci-check needs --baseline FILE (usage: memwatch ci-check --baseline BASE.json "
                    "[OPTIONS] -- CMD [ARGS...])");
    if (o->command == CLI_LISTEN && (o->max_total_bytes || o->max_proc_bytes || o->strict_limits || o->kill_on_limit))
        return fail(err, errlen, "memory limits belong to 'memwatch run' (listen has no job to fail)");
    if (o->command == CLI_LISTEN && o->html_path)
        return fail(err, errlen, "--html belongs to 'memwatch run' and 'memwatch view'");
    if (o->command == CLI_LISTEN && (o->post_run_cmd || o->post_run_strict))
        return fail(err, errlen, "--post-run-cmd belongs to 'memwatch run'");
    if (o->post_run_strict && !o->post_run_cmd)
        return fail(err, errlen, "--post-run-strict needs --post-run-cmd");
    if (o->kill_on_limit && !o->max_total_bytes && !o->max_proc_bytes)
        return fail(err, errlen, "--kill-on-limit needs --max-total-rss or --max-per-proc-rss");
    if (o->command != CLI_RUN && o->command != CLI_CI_CHECK)
        return 0;
    if (o->socket_path)
        return fail(err, errlen, "--socket belongs to 'memwatch listen', not to run (run makes its own socket)");
    if (o->until_idle)
        return fail(err, errlen, "--until-idle belongs to 'memwatch listen', not to run (run ends with its job)");
    return 0;
}

/* memwatch view REPORT.json --html OUT.html: the report and the page, in any order. */
static int parse_view(int argc, char **argv, struct cli_options *o, char *err, size_t errlen)
{
    static const struct option view_options[] = {
        {"html", required_argument, NULL, OPT_HTML},
        {"help", no_argument, NULL, 'h'},
        {0, 0, 0, 0},
    };
    /* As in parse_words: getopt sees the words after "view" (indices one less than argv's), afresh. "+": it
     * stops at the report's name, taken here, then goes on (no permutation of argv). */
    opterr = 0;
    optind = 0;
    for (;;) {
        int c = getopt_long(argc - 1, argv + 1, "+:h", view_options, NULL);
        if (c == -1) {
            if (optind + 1 >= argc)
                break;
            if (o->view_report)
                return fail(err, errlen, "view reads one report ('%s' is one too many)", argv[optind + 1]);
            o->view_report = argv[optind + 1];
            optind++;
            continue;
        }
        if (c == '?' || c == ':')
            return bad_option(argv, optind + 1, c, err, errlen);
        if (c == 'h') {
            o->command = CLI_HELP;
            return 0;
        }
        o->html_path = optarg;
    }
    if (!o->view_report)
        return fail(err, errlen, "view needs a JSON report (usage: memwatch view REPORT.json --html OUT.html)");
    if (!o->html_path)
        return fail(err, errlen, "view needs --html FILE (usage: memwatch view REPORT.json --html OUT.html)");
    if (!o->html_path[0])
        return fail(err, errlen, "--html: the file name is empty");
    return 0;
}

/* Returns 0, -1 for a usage error, or the exit status a refusal of another kind calls for. */
static int parse_words(int argc, char **argv, struct cli_options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->interval_ms = CLI_DEFAULT_INTERVAL_MS;
    o->tree_fold = CLI_DEFAULT_TREE_FOLD;
    o->leak_min_growth_pct = CLI_DEFAULT_LEAK_MIN_GROWTH_PCT;
    o->leak_min_duration_ms = CLI_DEFAULT_LEAK_MIN_DURATION_MS;
    o->series_buckets = CLI_DEFAULT_SERIES_BUCKETS;
    if (argc < 2)
        return fail(err, errlen, "no command (usage: memwatch run [OPTIONS] -- CMD [ARGS...])");
    if (parse_subcommand(argv[1], o, err, errlen) != 0)
        return -1;
    if (o->command == CLI_VERSION && argc > 2)
        return fail(err, errlen, "%s takes no arguments ('%s')", argv[1], argv[2]);
    if (o->command == CLI_HELP || o->command == CLI_VERSION)
        return 0;
    if (o->command == CLI_VIEW)
        return parse_view(argc, argv, o, err, errlen);
    struct cli_words w = {.argc = argc, .argv = argv, .bare_json_next = -1};
    /* getopt sees the words after the subcommand (optind 0: glibc starts afresh, as a second parse in one
     * process needs once it has permuted); its indices are one less than argv's. */
    opterr = 0;
    optind = 0;
    int c, longindex = -1;
    /* A job's own options follow its name untouched; compare's file names may sit among the options. */
    const char *shortopts = o->command == CLI_COMPARE ? ":i:qh" : "+:i:qh";
    while ((c = getopt_long(argc - 1, argv + 1, shortopts, cli_long_options, &longindex)) != -1) {
        if (c == '?' || c == ':')
            return bad_option(argv, optind + 1, c, err, errlen);
        if (c == 'h') {
            o->command = CLI_HELP;
            return 0;
        }
        if (!option_applies(o->command, c)) {
            if (longindex >= 0)
                return fail(err, errlen, "--%s does not apply to '%s'", cli_long_options[longindex].name,
                            command_name(o->command));
            return fail(err, errlen, "-%c does not apply to '%s'", c, command_name(o->command));
        }
        longindex = -1;
        if (parse_option(c, optarg, o, err, errlen) != 0)
            return -1;
        w.bare_json_next = (c == OPT_JSON && optarg == NULL) ? optind + 1 : -1;
    }
    w.first = optind + 1;
    if (check_subcommand_options(o, err, errlen) != 0 || check_paths(o, err, errlen) != 0)
        return -1;
    return take_job(&w, o, err, errlen);
}

int cli_parse(int argc, char **argv, struct cli_options *o, char *err, size_t errlen)
{
    int rc = parse_words(argc, argv, o, err, errlen);
    return rc == -1 ? CLI_EXIT_FAILURE : rc;
}

bool cli_use_color(const struct cli_options *opt, int fd)
{
    if (opt->color != CLI_COLOR_AUTO)
        return opt->color == CLI_COLOR_ALWAYS;
    const char *no_color = getenv("NO_COLOR");
    return isatty(fd) && !(no_color && no_color[0]);
}

void cli_print_version(FILE *out)
{
    fprintf(out, "memwatch %s (built %s, %s)\n", MEMWATCH_VERSION, MEMWATCH_BUILD_DATE, MEMWATCH_TARGET);
}

void cli_print_help(FILE *out)
{
    fputs("Usage: memwatch run [OPTIONS] [--] CMD [ARGS...]\n"
          "       memwatch listen [OPTIONS]\n"
          "       memwatch compare [OPTIONS] BASE.json CANDIDATE.json\n"
          "       memwatch ci-check --baseline BASE.json [OPTIONS] [--] CMD [ARGS...]\n"
          "       memwatch view REPORT.json --html OUT.html\n"
          "       memwatch --version | --help\n"
          "\n"
          "Runs CMD and reports the memory of its whole process tree: each process's peak\n"
          "(exact, from an agent preloaded into every process), the total RSS over time and its peak.\n"
          "\n"
          "Options:\n"
          "  -i, --interval DUR   sampling interval: 500 (ms), 50ms, 2s (default 500ms)\n"
          "      --json[=FILE]    JSON report on stdout, or into FILE; on stdout it mixes with\n"
          "                       the job's own output: use --json=FILE to keep them apart\n"
          "      --json-file FILE same as --json=FILE\n"
          "      --csv FILE       per-process CSV (- for stdout)\n"
          "      --timeline FILE  total RSS over time as CSV (- for stdout)\n"
          "      --html FILE      one self-contained HTML page to open in a browser (no network)\n"
          "  -q, --quiet          no human summary (it goes to stderr)\n"
          "      --include REGEX  list only processes whose command line matches (POSIX ERE)\n"
          "      --exclude REGEX  hide processes whose command line matches (after --include)\n"
          "      --wait-orphans   wait for orphaned job processes to end before reporting\n"
          "      --no-agent       do not preload the agent: polling only\n"
          "      --color WHEN     auto (default: on a terminal without NO_COLOR), always, never\n"
          "      --live[=WHEN]    status line while the job runs: auto (default: a terminal, after 1s),\n"
          "                       always (--live; off a terminal: a plain line every 5s), never (--no-live)\n"
          "      --max-total-rss SIZE      fail (exit 10) when the job's total exceeded SIZE: 512M, 8G,\n"
          "                       1.5GiB (K/M/G/KiB.. powers of 1024), 700MB (kB/MB/GB powers of 1000)\n"
          "      --max-per-proc-rss SIZE   fail (exit 11) when one process exceeded SIZE\n"
          "      --strict-limits  a possible breach (only an upper bound above the limit) fails too\n"
          "      --kill-on-limit  stop the job at a breach seen while it runs: SIGTERM, SIGKILL 5s later\n"
          "      --post-run-cmd CMD   after the reports, run CMD with /bin/sh; the JSON report's path is\n"
          "                       $MEMWATCH_JSON and $1 (a temporary one when --json=FILE is not given)\n"
          "      --post-run-strict    CMD's failure becomes memwatch's exit status when the job succeeded\n"
          "      --group-by KEY   group processes by command (default: program name), exe (resolved\n"
          "                       executable), ppid (parent pid), or tree (the process tree, with each\n"
          "                       subtree's footprint at one moment)\n"
          "      --tree-fold N    in the tree, more than N children of one program fold into one line\n"
          "                       (default 5; 0 never folds)\n"
          "      --leak-check[=fail]  flag processes whose memory grew steadily over their life;\n"
          "                       =fail: a finding fails (exit 12) a job that succeeded\n"
          "      --leak-min-growth PCT    growth a finding needs (default 50%)\n"
          "      --leak-min-duration DUR  life a finding needs (default 60s)\n"
          "      --series-buckets N   the most buckets each process's RSS series keeps (16..65536,\n"
          "                       default 1024): finer swimlanes for long jobs, 8 bytes a bucket\n"
          "      --with-cpu       show each process's user and system CPU time and the job's total\n"
          "      --with-io        show each process's bytes read and written (/proc/PID/io) and the\n"
          "                       job's total\n"
          "  compare and ci-check (a regression: a gated figure grew by more than every allowance given;\n"
          "  neither given: 10% and 1MiB):\n"
          "      --threshold PCT      allowed growth in percent: 10%, 2.5\n"
          "      --max-increase SIZE  allowed growth of memory figures: 50MiB, 1G\n"
          "      --metric LIST        figures the verdict judges, comma-separated: total, total-upper,\n"
          "                       largest, duration, count, groups, all (default: total-upper,largest,groups)\n"
          "      --markdown[=FILE]    the comparison as a Markdown table (stdout, or FILE)\n"
          "  compare: --json[=FILE] writes the comparison as JSON; -q: no table\n"
          "  ci-check: takes run's options; --json=FILE keeps this run's report\n"
          "      --baseline FILE  the report to compare with; written from this run when missing\n"
          "  listen only:\n"
          "      --socket PATH    listen on PATH instead of a fresh private directory\n"
          "      --until-idle     stop when the last reporting process has ended\n"
          "  view: writes the HTML page of a JSON report (memwatch's, or the original tool's)\n"
          "\n"
          "Exit status: CMD's own; 128+N if CMD died of signal N; 10 or 11 CMD succeeded but a limit was\n"
          "breached (CMD's own failure wins); 12 CMD succeeded within its limits but --leak-check=fail\n"
          "found a leak; 13 (ci-check) CMD succeeded but regressed against the baseline; 125 memwatch\n"
          "failed (usage, outputs, internal, a bad report); 126 CMD not executable; 127 CMD not found.\n"
          "compare: 0 within, 1 a regression, 125 bad input.\n"
          "Environment: MEMWATCH_AGENT (path of libmemwatch_agent.so), NO_COLOR, TMPDIR.\n"
          "See memwatch(1) for the output fields.\n",
          out);
}
