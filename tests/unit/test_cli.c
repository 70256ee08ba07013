/* Command-line parsing: what is accepted, and the one-line messages for what is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli.h"
#include "compare/compare.h"

#define ARGC(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int parse(int argc, char **argv, struct cli_options *o, char *err)
{
    err[0] = '\0';
    return cli_parse(argc, argv, o, err, CLI_ERROR_MAX);
}

static void test_run_with_options(void **state)
{
    (void)state;
    char *argv[] = {"memwatch", "run", "-i", "50ms", "--json=out.json", "--csv", "p.csv", "-q",
                    "--include", "cc1", "--", "make", "-j2"};
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    assert_int_equal(parse(ARGC(argv), argv, &o, err), 0);
    assert_int_equal(o.command, CLI_RUN);
    assert_int_equal(o.interval_ms, 50);
    assert_string_equal(o.json_path, "out.json");
    assert_false(o.json_stdout);
    assert_string_equal(o.csv_path, "p.csv");
    assert_true(o.quiet);
    assert_string_equal(o.include, "cc1");
    assert_int_equal(o.job_argc, 2);
    assert_string_equal(o.job_argv[0], "make");
    assert_string_equal(o.job_argv[1], "-j2");
    assert_int_equal(o.group_by, JT_GROUP_COMMAND);
    assert_int_equal(o.tree_fold, CLI_DEFAULT_TREE_FOLD);
    char *tree[] = {"memwatch", "run", "--group-by", "tree", "--tree-fold=12", "--", "make"};
    assert_int_equal(parse(ARGC(tree), tree, &o, err), 0);
    assert_int_equal(o.group_by, JT_GROUP_TREE);
    assert_int_equal(o.tree_fold, 12);
}

static void test_defaults_and_json_stdout(void **state)
{
    (void)state;
    char *argv[] = {"memwatch", "run", "--json", "sleep", "1"};
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    assert_int_equal(parse(ARGC(argv), argv, &o, err), 0);
    assert_int_equal(o.interval_ms, CLI_DEFAULT_INTERVAL_MS);
    assert_true(o.json_stdout);
    assert_null(o.json_path);
    assert_int_equal(o.job_argc, 2);
}

static void test_job_options_are_not_ours(void **state)
{
    (void)state;
    char *argv[] = {"memwatch", "run", "ls", "-i", "--json"};
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    assert_int_equal(parse(ARGC(argv), argv, &o, err), 0);
    assert_int_equal(o.job_argc, 3);
    assert_false(o.json_stdout);
    assert_int_equal(o.interval_ms, CLI_DEFAULT_INTERVAL_MS);
}

struct bad_case {
    int argc;
    char *argv[8];
    const char *message;
};

static void test_view(void **state)
{
    (void)state;
    char *argv[] = {"memwatch", "view", "--html", "out.html", "ci.json"};
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    assert_int_equal(parse(ARGC(argv), argv, &o, err), 0);
    assert_int_equal(o.command, CLI_VIEW);
    assert_string_equal(o.view_report, "ci.json");
    assert_string_equal(o.html_path, "out.html");
    char *run[] = {"memwatch", "run", "--html=p.html", "--series-buckets", "4096", "--", "make"};
    assert_int_equal(parse(ARGC(run), run, &o, err), 0);
    assert_string_equal(o.html_path, "p.html");
    assert_int_equal(o.series_buckets, 4096);
    char *plain[] = {"memwatch", "run", "make"};
    assert_int_equal(parse(ARGC(plain), plain, &o, err), 0);
    assert_int_equal(o.series_buckets, CLI_DEFAULT_SERIES_BUCKETS);
}

static void test_bad_inputs(void **state)
{
    (void)state;
    struct bad_case cases[] = {
        {1, {"memwatch"}, "no command (usage: memwatch run [OPTIONS] -- CMD [ARGS...])"},
        {2, {"memwatch", "run"}, "no command to run (usage: memwatch run [OPTIONS] -- CMD [ARGS...])"},
        {3, {"memwatch", "run", "--"}, "no command to run (usage: memwatch run [OPTIONS] -- CMD [ARGS...])"},
        {4, {"memwatch", "run", "--bogus", "true"}, "unknown option '--bogus' (see memwatch --help)"},
        {5, {"memwatch", "run", "-i", "abc", "true"},
         "--interval: 'abc' is not a duration (e.g. 500, 50ms, 2s; at most 1h)"},
        {5, {"memwatch", "run", "-i", "0", "true"}, "--interval: '0' must be positive"},
        {5, {"memwatch", "run", "-i", "0.0s", "true"}, "--interval: '0.0s' must be positive"},
        {5, {"memwatch", "run", "-i", "2h", "true"}, "--interval: '2h' is above the 1h maximum"},
        {5, {"memwatch", "run", "-i", "3600001", "true"}, "--interval: '3600001' is above the 1h maximum"},
        {5, {"memwatch", "run", "-i", "99999999999999999999h", "true"},
         "--interval: '99999999999999999999h' is above the 1h maximum"},
        {5, {"memwatch", "run", "-i", "1.5ms", "true"},
         "--interval: '1.5ms' is not a duration (e.g. 500, 50ms, 2s; at most 1h)"},
        {5, {"memwatch", "run", "-i", "-5", "true"},
         "--interval: '-5' is not a duration (e.g. 500, 50ms, 2s; at most 1h)"},
        {3, {"memwatch", "run", "--csv"}, "--csv needs a value"},
        {2, {"memwatch", "frobnicate"}, "'frobnicate' is not a command (commands: run, listen, compare, ci-check, view; see memwatch --help)"},
        {3, {"memwatch", "compare", "a.json"},
         "compare needs two reports, one given (usage: memwatch compare [OPTIONS] BASE.json CANDIDATE.json)"},
        {5, {"memwatch", "compare", "a.json", "b.json", "c.json"},
         "compare needs two reports, more given (usage: memwatch compare [OPTIONS] BASE.json CANDIDATE.json)"},
        {5, {"memwatch", "compare", "--csv=x", "a.json", "b.json"}, "--csv does not apply to 'compare'"},
        {6, {"memwatch", "compare", "-i", "1s", "a.json", "b.json"}, "-i does not apply to 'compare'"},
        {5, {"memwatch", "compare", "--threshold=ten", "a", "b"},
         "--threshold: 'ten' is not a percentage from 0 to 1000000 (e.g. 10%, 2.5%)"},
        {5, {"memwatch", "compare", "--threshold=-3%", "a", "b"},
         "--threshold: '-3%' is not a percentage from 0 to 1000000 (e.g. 10%, 2.5%)"},
        {5, {"memwatch", "compare", "--max-increase=12X", "a", "b"},
         "--max-increase: '12X' is not a size (e.g. 50MiB, 1G, 700MB)"},
        {5, {"memwatch", "compare", "--metric=peak", "a", "b"},
         "--metric: 'peak' is not a metric (total, total-upper, largest, duration, count, groups, all)"},
        {4, {"memwatch", "compare", "-", "-"}, "compare: both reports cannot be read from standard input"},
        {6, {"memwatch", "compare", "--json", "--markdown", "a", "b"},
         "--json and --markdown both write to standard output; give one of them a file"},
        {5, {"memwatch", "run", "--threshold=5%", "--", "true"}, "--threshold does not apply to 'run'"},
        {5, {"memwatch", "run", "--baseline=b.json", "--", "true"}, "--baseline does not apply to 'run'"},
        {4, {"memwatch", "ci-check", "--", "true"},
         "ci-check needs --baseline FILE (usage: memwatch ci-check --baseline BASE.json [OPTIONS] -- CMD [ARGS...])"},
        {6, {"memwatch", "ci-check", "--baseline=b.json", "--json=b.json", "--", "true"},
         "--json and --baseline name the same file: the baseline would be overwritten"},
        {5, {"memwatch", "run", "--color=pink", "--", "true"}, "--color: 'pink' is not one of auto, always, never"},
        {5, {"memwatch", "run", "--group-by=pid", "--", "true"},
         "--group-by: 'pid' is not one of command, exe, ppid, tree"},
        {5, {"memwatch", "run", "--leak-check=maybe", "--", "true"}, "--leak-check: 'maybe' is not one of report, fail"},
        {5, {"memwatch", "run", "--leak-min-growth=x%", "--", "true"},
         "--leak-min-growth: 'x%' is not a percentage from 1 to 100000 (e.g. 50 or 50%)"},
        {5, {"memwatch", "run", "--leak-min-duration=soon", "--", "true"},
         "--leak-min-duration: 'soon' is not a positive duration (e.g. 30s, 5m)"},
        {5, {"memwatch", "run", "--tree-fold=-1", "--", "true"},
         "--tree-fold: '-1' is not a whole number from 0 to 1000000"},
        {6, {"memwatch", "run", "--json", "out.json", "--", "make"},
         "unexpected 'out.json' before '--' (options take files as --json=FILE)"},
        {6, {"memwatch", "run", "--csv", "a", "--timeline", "a"}, "--csv and --timeline name the same file"},
        {3, {"memwatch", "listen", "make"}, "listen takes no command ('make'); start your job elsewhere"},
        {5, {"memwatch", "run", "--socket", "/tmp/s", "true"},
         "--socket belongs to 'memwatch listen', not to run (run makes its own socket)"},
        {5, {"memwatch", "run", "--socket=/tmp/s", "--", "true"},
         "--socket belongs to 'memwatch listen', not to run (run makes its own socket)"},
        {4, {"memwatch", "run", "--until-idle", "true"},
         "--until-idle belongs to 'memwatch listen', not to run (run ends with its job)"},
        {3, {"memwatch", "--version", "foo"}, "--version takes no arguments ('foo')"},
        {3, {"memwatch", "version", "--json"}, "version takes no arguments ('--json')"},
        {4, {"memwatch", "run", "--json", "out.json"},
         "unexpected 'out.json' after --json: it would run as the command (options take files as --json=FILE)"},
        {6, {"memwatch", "run", "-q", "--json", "Report.JSON", "make", "-j2"},
         "unexpected 'Report.JSON' after --json: it would run as the command (options take files as --json=FILE)"},
        {5, {"memwatch", "run", "--json", "--csv", "-", "true"},
         "--json and --csv - both write to standard output; give one of them a file"},
        {5, {"memwatch", "run", "--json=-", "--timeline=-", "true"},
         "--json and --timeline - both write to standard output; give one of them a file"},
        {7, {"memwatch", "run", "--csv", "-", "--timeline", "-", "true"},
         "--csv - and --timeline - both write to standard output; give one of them a file"},
        {4, {"memwatch", "run", "--json-file=", "true"}, "--json-file: the file name is empty"},
        {2, {"memwatch", "view"}, "view needs a JSON report (usage: memwatch view REPORT.json --html OUT.html)"},
        {3, {"memwatch", "view", "r.json"}, "view needs --html FILE (usage: memwatch view REPORT.json --html OUT.html)"},
        {5, {"memwatch", "view", "a.json", "b.json", "--html=x.html"}, "view reads one report ('b.json' is one too many)"},
        {4, {"memwatch", "view", "--csv=x", "r.json"}, "unknown option '--csv=x' (see memwatch --help)"},
        {4, {"memwatch", "view", "r.json", "--html="}, "--html: the file name is empty"},
        {6, {"memwatch", "run", "--html", "a", "--csv", "a"}, "--csv and --html name the same file"},
        {5, {"memwatch", "run", "--series-buckets=8", "--", "true"},
         "--series-buckets: '8' is not a whole number from 16 to 65536"},
        {5, {"memwatch", "run", "--series-buckets=lots", "--", "true"},
         "--series-buckets: 'lots' is not a whole number from 16 to 65536"},
        {3, {"memwatch", "listen", "--html=x.html"}, "--html belongs to 'memwatch run' and 'memwatch view'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_options o;
        char err[CLI_ERROR_MAX];
        int rc = parse(cases[i].argc, cases[i].argv, &o, err);
        if (rc != CLI_EXIT_FAILURE || strcmp(err, cases[i].message) != 0)
            fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, rc, err, cases[i].message);
        assert_null(strchr(err, '\n'));
    }
}

/* compare takes its options anywhere among the two reports; ci-check is run with a baseline and a gate. */
static void test_compare_options(void **state)
{
    (void)state;
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    char *cmp[] = {"memwatch", "compare", "base.json", "--threshold", "2.5%", "cand.json", "--markdown=pr.md",
                   "--metric=total,groups"};
    assert_int_equal(parse(ARGC(cmp), cmp, &o, err), 0);
    assert_int_equal(o.command, CLI_COMPARE);
    assert_string_equal(o.baseline_path, "base.json");
    assert_string_equal(o.candidate_path, "cand.json");
    assert_true(o.has_threshold);
    assert_true(o.threshold_pct == 2.5);
    assert_false(o.has_max_increase);
    assert_string_equal(o.markdown_path, "pr.md");
    assert_int_equal(o.metrics, COMPARE_METRIC_BIT(COMPARE_TOTAL) | COMPARE_METRIC_BIT(COMPARE_GROUPS));

    char *ci[] = {"memwatch", "ci-check", "--baseline", "main.json", "--max-increase=50MiB", "--max-total-rss=8G",
                  "--", "make", "--threshold=1"};
    assert_int_equal(parse(ARGC(ci), ci, &o, err), 0);
    assert_int_equal(o.command, CLI_CI_CHECK);
    assert_string_equal(o.baseline_path, "main.json");
    assert_int_equal(o.max_increase_bytes, 50ull << 20);
    assert_int_equal(o.max_total_bytes, 8ull << 30);
    assert_false(o.has_threshold); /* the job's own words stay the job's */
    assert_int_equal(o.job_argc, 2);
}

static void test_help_and_version(void **state)
{
    (void)state;
    char *h[] = {"memwatch", "--help"};
    char *v[] = {"memwatch", "--version"};
    char *rh[] = {"memwatch", "run", "--help"};
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    assert_int_equal(parse(2, h, &o, err), 0);
    assert_int_equal(o.command, CLI_HELP);
    assert_int_equal(parse(2, v, &o, err), 0);
    assert_int_equal(o.command, CLI_VERSION);
    assert_int_equal(parse(3, rh, &o, err), 0);
    assert_int_equal(o.command, CLI_HELP);
}

/* An empty command name is what the shell calls "command not found": 127, with the name quoted. */
static void test_empty_command_name(void **state)
{
    (void)state;
    char *dashdash[] = {"memwatch", "run", "-q", "--", ""};
    char *bare[] = {"memwatch", "run", "", "x"};
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    assert_int_equal(parse(ARGC(dashdash), dashdash, &o, err), CLI_EXIT_NOT_FOUND);
    assert_string_equal(err, "'': command not found (the command name is empty)");
    assert_int_equal(parse(ARGC(bare), bare, &o, err), CLI_EXIT_NOT_FOUND);
    assert_string_equal(err, "'': command not found (the command name is empty)");
}

/* "-" is standard output for every report; --json=- is plain --json. */
static void test_stdout_dash(void **state)
{
    (void)state;
    char *csv[] = {"memwatch", "run", "--csv", "-", "--json=r.json", "true"};
    char *json[] = {"memwatch", "run", "--json=-", "--timeline", "t.csv", "true"};
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    assert_int_equal(parse(ARGC(csv), csv, &o, err), 0);
    assert_string_equal(o.csv_path, CLI_STDOUT_PATH);
    assert_false(o.json_stdout);
    assert_int_equal(parse(ARGC(json), json, &o, err), 0);
    assert_true(o.json_stdout);
    assert_null(o.json_path);
    assert_string_equal(o.timeline_path, "t.csv");
}

/* The --json hint is only for a word that cannot be the command: with "--", or when it is a program, or
 * when it does not name a .json file, or when --json had its "=", the words are the job's. */
static void test_json_word_that_is_a_command(void **state)
{
    (void)state;
    char *dashdash[] = {"memwatch", "run", "--json", "--", "out.json"};
    char *other[] = {"memwatch", "run", "--json", "sleep", "1"};
    char *with_eq[] = {"memwatch", "run", "--json=a.json", "b.json"};
    char *not_next[] = {"memwatch", "run", "--json", "-q", "b.json"};
    char **ok[] = {dashdash, other, with_eq, not_next};
    int argcs[] = {ARGC(dashdash), ARGC(other), ARGC(with_eq), ARGC(not_next)};
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        if (parse(argcs[i], ok[i], &o, err) != 0)
            fail_msg("case %zu refused: %s", i, err);
    }
    /* A program that happens to end in .json, found on PATH, is run. */
    char dir[] = "/tmp/memwatch-test-cli-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char prog[sizeof dir + 16];
    snprintf(prog, sizeof prog, "%s/gen.json", dir);
    FILE *f = fopen(prog, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(chmod(prog, 0755), 0);
    char *old_path = getenv("PATH") ? strdup(getenv("PATH")) : NULL;
    setenv("PATH", dir, 1);
    char *runs[] = {"memwatch", "run", "--json", "gen.json"};
    int rc = parse(ARGC(runs), runs, &o, err);
    if (old_path)
        setenv("PATH", old_path, 1);
    free(old_path);
    unlink(prog);
    rmdir(dir);
    assert_int_equal(rc, 0);
    assert_string_equal(o.job_argv[0], "gen.json");
}

static void test_listen_options(void **state)
{
    (void)state;
    char *argv[] = {"memwatch", "listen", "--socket", "/tmp/s", "--until-idle", "--json=x.json"};
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    assert_int_equal(parse(ARGC(argv), argv, &o, err), 0);
    assert_int_equal(o.command, CLI_LISTEN);
    assert_string_equal(o.socket_path, "/tmp/s");
    assert_true(o.until_idle);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_run_with_options),    cmocka_unit_test(test_defaults_and_json_stdout),
        cmocka_unit_test(test_job_options_are_not_ours), cmocka_unit_test(test_bad_inputs),
        cmocka_unit_test(test_compare_options),
        cmocka_unit_test(test_view),
        cmocka_unit_test(test_help_and_version),    cmocka_unit_test(test_listen_options),
        cmocka_unit_test(test_stdout_dash),         cmocka_unit_test(test_empty_command_name),         cmocka_unit_test(test_json_word_that_is_a_command),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
