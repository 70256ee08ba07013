/* Unit tests of the PATH search used by the exec p-variants when the agent passes its own envp. */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "pathres.h"

#define FAKE_CALLS_MAX 16
#define FAKE_RULES_MAX 8
#define FAKE_PATH_MAX 8192

/* A scripted execve: each path gets an errno (0 = "success": returns 0); unknown paths give ENOENT. */
struct fake_rule {
    const char *path;
    int err;
};

static struct {
    struct fake_rule rules[FAKE_RULES_MAX];
    size_t n_rules;
    char calls[FAKE_CALLS_MAX][FAKE_PATH_MAX];
    char *const *argv[FAKE_CALLS_MAX];
    char *const *envp[FAKE_CALLS_MAX];
    char sh_arg1[FAKE_PATH_MAX];
    char sh_arg2[FAKE_PATH_MAX];
    size_t n_calls;
} fake;

static int fake_execve(const char *path, char *const argv[], char *const envp[])
{
    assert_true(fake.n_calls < FAKE_CALLS_MAX);
    assert_true(strlen(path) < FAKE_PATH_MAX);
    strcpy(fake.calls[fake.n_calls], path);
    fake.argv[fake.n_calls] = argv;
    fake.envp[fake.n_calls] = envp;
    fake.n_calls++;
    if (strcmp(path, PATHRES_SHELL) == 0 && argv[1] != NULL) {
        /* The script argv lives on the resolver's stack: copy what the test checks. */
        strcpy(fake.sh_arg1, argv[1]);
        strcpy(fake.sh_arg2, argv[2] != NULL ? argv[2] : "(null)");
    }
    int err = ENOENT;
    for (size_t i = 0; i < fake.n_rules; i++)
        if (strcmp(fake.rules[i].path, path) == 0)
            err = fake.rules[i].err;
    if (err == 0)
        return 0;
    errno = err;
    return -1;
}

static int setup(void **state)
{
    (void)state;
    memset(&fake, 0, sizeof(fake));
    return 0;
}

static void fake_rule(const char *path, int err)
{
    fake.rules[fake.n_rules].path = path;
    fake.rules[fake.n_rules].err = err;
    fake.n_rules++;
}

static char *test_argv[] = {"prog", "arg1", NULL};
static char *test_envp[] = {"A=1", NULL};

static int run(const char *file, const char *path_list)
{
    struct pathres_request req = {file, test_argv, test_envp, path_list};
    return pathres_execvpe(&req, fake_execve);
}

static void test_slash_runs_directly(void **state)
{
    (void)state;
    fake_rule("./prog", EACCES);
    assert_int_equal(run("./prog", "/a:/b"), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(fake.n_calls, 1);
    assert_string_equal(fake.calls[0], "./prog");
    assert_ptr_equal(fake.envp[0], test_envp);
}

static void test_empty_name(void **state)
{
    (void)state;
    assert_int_equal(run("", "/a"), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(fake.n_calls, 0);
}

static void test_all_enoent(void **state)
{
    (void)state;
    assert_int_equal(run("prog", "/a:/b:/c"), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(fake.n_calls, 3);
    assert_string_equal(fake.calls[2], "/c/prog");
}

static void test_eacces_wins_over_enoent(void **state)
{
    (void)state;
    fake_rule("/b/prog", EACCES);
    assert_int_equal(run("prog", "/a:/b:/c"), -1);
    assert_int_equal(errno, EACCES);
    assert_int_equal(fake.n_calls, 3); /* the search goes on after EACCES */
}

static void test_first_hit_stops(void **state)
{
    (void)state;
    fake_rule("/b/prog", 0);
    assert_int_equal(run("prog", "/a:/b:/c"), 0);
    assert_int_equal(fake.n_calls, 2);
    assert_ptr_equal(fake.argv[1], test_argv);
    assert_ptr_equal(fake.envp[1], test_envp);
}

static void test_other_error_stops(void **state)
{
    (void)state;
    fake_rule("/a/prog", E2BIG);
    assert_int_equal(run("prog", "/a:/b"), -1);
    assert_int_equal(errno, E2BIG);
    assert_int_equal(fake.n_calls, 1);
}

static void test_enoexec_runs_shell(void **state)
{
    (void)state;
    fake_rule("/b/script", ENOEXEC);
    fake_rule(PATHRES_SHELL, 0);
    assert_int_equal(run("script", "/a:/b"), 0);
    assert_int_equal(fake.n_calls, 3);
    assert_string_equal(fake.calls[2], PATHRES_SHELL);
    assert_string_equal(fake.sh_arg1, "/b/script");
    assert_string_equal(fake.sh_arg2, "arg1");
    assert_ptr_equal(fake.envp[2], test_envp);
}

static void test_enoexec_shell_missing_goes_on(void **state)
{
    (void)state;
    fake_rule("/a/script", ENOEXEC); /* /bin/sh unknown to the fake: ENOENT */
    assert_int_equal(run("script", "/a:/b"), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(fake.n_calls, 3);
    assert_string_equal(fake.calls[2], "/b/script");
}

static void test_default_and_empty_elements(void **state)
{
    (void)state;
    assert_int_equal(run("prog", NULL), -1);
    assert_int_equal(fake.n_calls, 2);
    assert_string_equal(fake.calls[0], "/bin/prog");
    assert_string_equal(fake.calls[1], "/usr/bin/prog");
    memset(&fake, 0, sizeof(fake));
    assert_int_equal(run("prog", ":/a:"), -1);
    assert_int_equal(fake.n_calls, 3);
    assert_string_equal(fake.calls[0], "prog"); /* empty element: current directory */
    assert_string_equal(fake.calls[1], "/a/prog");
    assert_string_equal(fake.calls[2], "prog");
}

static void test_long_names(void **state)
{
    (void)state;
    char name[NAME_MAX + 2];
    memset(name, 'n', sizeof(name) - 1);
    name[sizeof(name) - 1] = '\0';
    assert_int_equal(run(name, "/a"), -1);
    assert_int_equal(errno, ENAMETOOLONG);
    assert_int_equal(fake.n_calls, 0);
    /* A PATH element too long for the candidate buffer is skipped, not overflowed. */
    static char list[PATHRES_PATH_MAX + 16];
    list[0] = '/';
    memset(list + 1, 'd', PATHRES_PATH_MAX);
    strcpy(list + 1 + PATHRES_PATH_MAX, ":/a");
    assert_int_equal(run("prog", list), -1);
    assert_int_equal(fake.n_calls, 1);
    assert_string_equal(fake.calls[0], "/a/prog");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_slash_runs_directly, setup),
        cmocka_unit_test_setup(test_empty_name, setup),
        cmocka_unit_test_setup(test_all_enoent, setup),
        cmocka_unit_test_setup(test_eacces_wins_over_enoent, setup),
        cmocka_unit_test_setup(test_first_hit_stops, setup),
        cmocka_unit_test_setup(test_other_error_stops, setup),
        cmocka_unit_test_setup(test_enoexec_runs_shell, setup),
        cmocka_unit_test_setup(test_enoexec_shell_missing_goes_on, setup),
        cmocka_unit_test_setup(test_default_and_empty_elements, setup),
        cmocka_unit_test_setup(test_long_names, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
