/* Command-line parsing: what is accepted, and the one-line messages for what is not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"

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
        {5, {"memwatch", "run", "-i", "0", "true"},
         "--interval: '0' is not a duration (e.g. 500, 50ms, 2s; at most 1h)"},
        {3, {"memwatch", "run", "--csv"}, "--csv needs a value"},
        {2, {"memwatch", "frobnicate"}, "'frobnicate' is not a command (commands: run, listen; see memwatch --help)"},
        {5, {"memwatch", "run", "--color=pink", "--", "true"}, "--color: 'pink' is not one of auto, always, never"},
        {6, {"memwatch", "run", "--json", "out.json", "--", "make"},
         "unexpected 'out.json' before '--' (options take files as --json=FILE)"},
        {6, {"memwatch", "run", "--csv", "a", "--timeline", "a"}, "--csv and --timeline name the same file"},
        {3, {"memwatch", "listen", "make"}, "listen takes no command ('make'); start your job elsewhere"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli_options o;
        char err[CLI_ERROR_MAX];
        int rc = parse(cases[i].argc, cases[i].argv, &o, err);
        if (rc != -1 || strcmp(err, cases[i].message) != 0)
            fail_msg("case %zu: rc %d, message '%s', expected '%s'", i, rc, err, cases[i].message);
        assert_null(strchr(err, '\n'));
    }
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
        cmocka_unit_test(test_help_and_version),    cmocka_unit_test(test_listen_options),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
