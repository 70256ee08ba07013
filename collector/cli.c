/* Command-line parsing with getopt_long: every value checked here, before anything starts. */
#include "cli.h"

#include <getopt.h>
#include <stdarg.h>
#include <string.h>

#include "build_info.h"
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

static int parse_option(int c, const char *arg, struct cli_options *o, char *err, size_t errlen)
{
    switch (c) {
    case 'i':
        if (units_parse_duration_ms(arg, &o->interval_ms) != 0 || o->interval_ms > CLI_MAX_INTERVAL_MS)
            return fail(err, errlen, "--interval: '%s' is not a duration (e.g. 500, 50ms, 2s; at most 1h)", arg);
        return 0;
    case OPT_JSON:
        if (arg && !arg[0])
            return fail(err, errlen, "--json=: the file name is empty");
        o->json_stdout = arg == NULL;
        o->json_path = arg;
        return 0;
    case OPT_JSON_FILE: o->json_stdout = false; o->json_path = arg; return 0;
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
    default: return 0;
    }
}

static int check_paths(const struct cli_options *o, char *err, size_t errlen)
{
    const char *paths[] = {o->json_path, o->csv_path, o->timeline_path};
    const char *names[] = {"--json", "--csv", "--timeline"};
    for (size_t i = 0; i < 3; i++) {
        if (paths[i] && !paths[i][0])
            return fail(err, errlen, "%s: the file name is empty", names[i]);
        for (size_t k = 0; k < i; k++)
            if (paths[i] && paths[k] && strcmp(paths[i], paths[k]) == 0)
                return fail(err, errlen, "%s and %s name the same file", names[k], names[i]);
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
    else if (strcmp(word, "help") == 0 || strcmp(word, "--help") == 0 || strcmp(word, "-h") == 0)
        o->command = CLI_HELP;
    else if (strcmp(word, "--version") == 0 || strcmp(word, "-V") == 0 || strcmp(word, "version") == 0)
        o->command = CLI_VERSION;
    else if (word[0] == '-')
        return fail(err, errlen, "unknown option '%s' (commands: run, listen; see memwatch --help)", word);
    else
        return fail(err, errlen, "'%s' is not a command (commands: run, listen; see memwatch --help)", word);
    return 0;
}

static int take_job(int argc, char **argv, struct cli_options *o, char *err, size_t errlen)
{
    int first = optind;
    bool dashdash = first > 0 && strcmp(argv[first - 1], "--") == 0;
    if (o->command == CLI_LISTEN) {
        if (first < argc)
            return fail(err, errlen, "listen takes no command ('%s'); start your job elsewhere", argv[first]);
        return 0;
    }
    if (first >= argc)
        return fail(err, errlen, "no command to run (usage: memwatch run [OPTIONS] -- CMD [ARGS...])");
    /* "--json out.json -- make" would otherwise run "out.json": say what was meant. */
    if (!dashdash && first + 1 < argc && strcmp(argv[first + 1], "--") == 0)
        return fail(err, errlen, "unexpected '%s' before '--' (options take files as --json=FILE)", argv[first]);
    o->job_argv = argv + first;
    o->job_argc = argc - first;
    return 0;
}

int cli_parse(int argc, char **argv, struct cli_options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->interval_ms = CLI_DEFAULT_INTERVAL_MS;
    if (argc < 2)
        return fail(err, errlen, "no command (usage: memwatch run [OPTIONS] -- CMD [ARGS...])");
    if (parse_subcommand(argv[1], o, err, errlen) != 0)
        return -1;
    if (o->command == CLI_HELP || o->command == CLI_VERSION)
        return 0;
    opterr = 0;
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "+:i:qh", cli_long_options, NULL)) != -1) {
        if (c == '?' || c == ':')
            return bad_option(argv, optind, c, err, errlen);
        if (c == 'h') {
            o->command = CLI_HELP;
            return 0;
        }
        if (parse_option(c, optarg, o, err, errlen) != 0)
            return -1;
    }
    if (check_paths(o, err, errlen) != 0)
        return -1;
    return take_job(argc, argv, o, err, errlen);
}

void cli_print_version(FILE *out)
{
    fprintf(out, "memwatch %s (built %s, %s)\n", MEMWATCH_VERSION, MEMWATCH_BUILD_DATE, MEMWATCH_TARGET);
}

void cli_print_help(FILE *out)
{
    fputs("Usage: memwatch run [OPTIONS] [--] CMD [ARGS...]\n"
          "       memwatch listen [OPTIONS]\n"
          "       memwatch --version | --help\n"
          "\n"
          "Runs CMD and reports the memory of its whole process tree: each process's peak\n"
          "(exact, from an agent preloaded into every process), the total RSS over time and its peak.\n"
          "\n"
          "Options:\n"
          "  -i, --interval DUR   sampling interval: 500 (ms), 50ms, 2s (default 500ms)\n"
          "      --json[=FILE]    JSON report on stdout, or into FILE\n"
          "      --json-file FILE same as --json=FILE\n"
          "      --csv FILE       per-process CSV\n"
          "      --timeline FILE  total RSS over time as CSV\n"
          "  -q, --quiet          no human summary (it goes to stderr)\n"
          "      --include REGEX  list only processes whose command line matches (POSIX ERE)\n"
          "      --exclude REGEX  hide processes whose command line matches (after --include)\n"
          "      --wait-orphans   wait for orphaned job processes to end before reporting\n"
          "      --no-agent       do not preload the agent: polling only\n"
          "      --color WHEN     auto (default: on a terminal without NO_COLOR), always, never\n"
          "  listen only:\n"
          "      --socket PATH    listen on PATH instead of a fresh private directory\n"
          "      --until-idle     stop when the last reporting process has ended\n"
          "\n"
          "Exit status: CMD's own; 128+N if CMD died of signal N; 125 memwatch failed (usage,\n"
          "outputs, internal); 126 CMD not executable; 127 CMD not found.\n"
          "Environment: MEMWATCH_AGENT (path of libmemwatch_agent.so), NO_COLOR, TMPDIR.\n"
          "See memwatch(1) for the output fields.\n",
          out);
}
