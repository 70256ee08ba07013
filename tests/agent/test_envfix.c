/* Unit tests of the environment repair: LD_PRELOAD and the agent's variables put back without malloc. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "envfix.h"

#define AGENT "/opt/mw/lib/memwatch/libmemwatch_agent.so"
#define SOCK "/tmp/mw.X/sock"

static const struct agent_settings settings = {SOCK, AGENT, NULL};

static size_t env_count(char *const envp[])
{
    size_t n = 0;
    while (envp[n] != NULL)
        n++;
    return n;
}

static size_t env_count_named(char *const envp[], const char *name)
{
    size_t n = 0, len = strlen(name);
    for (size_t i = 0; envp[i] != NULL; i++)
        n += strncmp(envp[i], name, len) == 0 && envp[i][len] == '=';
    return n;
}

static const char *env_get(char *const envp[], const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; envp[i] != NULL; i++)
        if (strncmp(envp[i], name, len) == 0 && envp[i][len] == '=')
            return envp[i] + len + 1;
    return NULL;
}

/* Repairs envp into heap buffers sized exactly from the plan, so any overrun shows under ASan. */
struct repaired {
    char **envp;
    char **slots;
    char *bytes;
};

static struct repaired repair(const struct agent_settings *s, char *const envp[])
{
    struct envfix_plan plan;
    struct repaired r = {NULL, NULL, NULL};
    assert_true(envfix_plan(s, envp, &plan));
    r.slots = malloc(plan.slots * sizeof(char *));
    r.bytes = malloc(plan.bytes);
    assert_non_null(r.slots);
    assert_non_null(r.bytes);
    struct envfix_buf buf = {r.slots, plan.slots, r.bytes, plan.bytes};
    r.envp = envfix_build(s, envp, &plan, &buf);
    assert_non_null(r.envp);
    assert_int_equal(env_count(r.envp) + 1, plan.slots);
    return r;
}

static void repaired_free(struct repaired *r)
{
    free(r->slots);
    free(r->bytes);
}

static void test_preload_absent(void **state)
{
    (void)state;
    char *envp[] = {"PATH=/bin", "HOME=/root", NULL};
    struct repaired r = repair(&settings, envp);
    assert_string_equal(env_get(r.envp, "LD_PRELOAD"), AGENT);
    assert_string_equal(env_get(r.envp, "MEMWATCH_SOCKET"), SOCK);
    assert_string_equal(env_get(r.envp, "MEMWATCH_AGENT_PATH"), AGENT);
    assert_null(env_get(r.envp, "MEMWATCH_AGENT_LOG"));
    assert_string_equal(env_get(r.envp, "PATH"), "/bin");
    assert_string_equal(env_get(r.envp, "HOME"), "/root");
    assert_int_equal(env_count(r.envp), 5);
    repaired_free(&r);
}

static void test_preload_other_libs_kept(void **state)
{
    (void)state;
    char *envp[] = {"A=1", "LD_PRELOAD=/usr/lib/libfoo.so /usr/lib/libbar.so", "MEMWATCH_SOCKET=" SOCK,
                    "MEMWATCH_AGENT_PATH=" AGENT, NULL};
    struct repaired r = repair(&settings, envp);
    assert_string_equal(env_get(r.envp, "LD_PRELOAD"), AGENT ":/usr/lib/libfoo.so /usr/lib/libbar.so");
    assert_int_equal(env_count_named(r.envp, "LD_PRELOAD"), 1);
    assert_int_equal(env_count_named(r.envp, "MEMWATCH_SOCKET"), 1);
    assert_int_equal(env_count(r.envp), 4);
    repaired_free(&r);
}

static void test_already_complete_passes_through(void **state)
{
    (void)state;
    char *envp[] = {"LD_PRELOAD=/usr/lib/libfoo.so:" AGENT, "MEMWATCH_SOCKET=" SOCK, "MEMWATCH_AGENT_PATH=" AGENT,
                    NULL};
    struct envfix_plan plan;
    assert_false(envfix_plan(&settings, envp, &plan));
    assert_int_equal(plan.missing, 0);
}

static void test_other_copy_of_agent_counts(void **state)
{
    (void)state;
    assert_true(envfix_preload_has_agent("/build/libmemwatch_agent.so", AGENT));
    assert_true(envfix_preload_has_agent("libx.so libmemwatch_agent.so", AGENT));
    assert_false(envfix_preload_has_agent("/build/libmemwatch_agent.so.old", AGENT));
    assert_false(envfix_preload_has_agent("", AGENT));
    assert_false(envfix_preload_has_agent(NULL, AGENT));
    assert_false(envfix_preload_has_agent("::", AGENT));
}

static void test_env_i_empty(void **state)
{
    (void)state;
    char *empty[] = {NULL};
    struct agent_settings with_log = {SOCK, AGENT, "/tmp/agent.log"};
    struct repaired r = repair(&with_log, empty);
    assert_int_equal(env_count(r.envp), 4);
    assert_string_equal(env_get(r.envp, "MEMWATCH_AGENT_LOG"), "/tmp/agent.log");
    repaired_free(&r);
    r = repair(&settings, NULL); /* execve(path, argv, NULL): Linux reads it as empty */
    assert_int_equal(env_count(r.envp), 3);
    repaired_free(&r);
}

static void test_existing_values_not_overridden(void **state)
{
    (void)state;
    /* A memwatch run nested in the job sets its own socket: the agent must not redirect its children. */
    char *envp[] = {"MEMWATCH_SOCKET=/tmp/inner/sock", "MEMWATCH_AGENT_PATH=/inner/libmemwatch_agent.so", NULL};
    struct repaired r = repair(&settings, envp);
    assert_string_equal(env_get(r.envp, "MEMWATCH_SOCKET"), "/tmp/inner/sock");
    assert_string_equal(env_get(r.envp, "MEMWATCH_AGENT_PATH"), "/inner/libmemwatch_agent.so");
    assert_string_equal(env_get(r.envp, "LD_PRELOAD"), AGENT);
    assert_int_equal(env_count(r.envp), 3);
    repaired_free(&r);
}

static void test_empty_and_duplicate_preload(void **state)
{
    (void)state;
    char *envp[] = {"LD_PRELOAD=", "X=1", "LD_PRELOAD=/lib/other.so", NULL};
    struct repaired r = repair(&settings, envp);
    assert_int_equal(env_count_named(r.envp, "LD_PRELOAD"), 1);
    assert_string_equal(env_get(r.envp, "LD_PRELOAD"), AGENT);
    assert_string_equal(env_get(r.envp, "X"), "1");
    repaired_free(&r);
}

static void test_inert_or_unknown_agent(void **state)
{
    (void)state;
    char *envp[] = {"A=1", NULL};
    struct envfix_plan plan;
    struct agent_settings inert = {NULL, AGENT, NULL};
    assert_false(envfix_plan(&inert, envp, &plan));
    assert_false(envfix_plan(NULL, envp, &plan));
    /* Without a known agent path only the socket can be put back. */
    struct agent_settings no_path = {SOCK, NULL, NULL};
    assert_true(envfix_plan(&no_path, envp, &plan));
    assert_int_equal(plan.missing, ENVFIX_SOCKET);
}

static void test_build_refuses_small_buffers(void **state)
{
    (void)state;
    char *envp[] = {"A=1", NULL};
    struct envfix_plan plan;
    assert_true(envfix_plan(&settings, envp, &plan));
    char *slots[8];
    char bytes[16];
    struct envfix_buf small_bytes = {slots, 8, bytes, sizeof(bytes)};
    assert_null(envfix_build(&settings, envp, &plan, &small_bytes));
    char big[1024];
    struct envfix_buf small_slots = {slots, plan.slots - 1, big, sizeof(big)};
    assert_null(envfix_build(&settings, envp, &plan, &small_slots));
}

struct seen {
    char *const *envp;
    size_t count;
    int calls;
};

static int remember(void *ctx, char *const envp[])
{
    struct seen *s = ctx;
    s->envp = envp;
    s->count = env_count(envp);
    s->calls++;
    /* The repaired copy lives on envfix_with's stack: check it while it exists. */
    if (env_get(envp, "LD_PRELOAD") == NULL)
        return -1;
    return env_count_named(envp, "LD_PRELOAD") == 1 ? 42 : -2;
}

#define HUGE_VAR_MAX 48 /* "VAR_" and two size_t in decimal, '=' and NUL */

static char **huge_envp(size_t n)
{
    char **envp = calloc(n + 1, sizeof(char *));
    assert_non_null(envp);
    for (size_t i = 0; i < n; i++) {
        envp[i] = malloc(HUGE_VAR_MAX);
        assert_non_null(envp[i]);
        snprintf(envp[i], HUGE_VAR_MAX, "VAR_%zu=%zu", i, i);
    }
    return envp;
}

static void huge_free(char **envp)
{
    for (size_t i = 0; envp[i] != NULL; i++)
        free(envp[i]);
    free(envp);
}

static void test_with_repairs_on_stack(void **state)
{
    (void)state;
    char **envp = huge_envp(5000);
    struct seen s = {NULL, 0, 0};
    assert_int_equal(envfix_with(&settings, envp, remember, &s), 42);
    assert_int_equal(s.calls, 1);
    assert_ptr_not_equal(s.envp, envp);
    assert_int_equal(s.count, 5003);
    huge_free(envp);
}

static void test_with_passes_complete_env_through(void **state)
{
    (void)state;
    char *envp[] = {"LD_PRELOAD=" AGENT, "MEMWATCH_SOCKET=" SOCK, "MEMWATCH_AGENT_PATH=" AGENT, NULL};
    struct seen s = {NULL, 0, 0};
    assert_int_equal(envfix_with(&settings, envp, remember, &s), 42);
    assert_ptr_equal(s.envp, envp);
}

static void test_huge_envp(void **state)
{
    (void)state;
    size_t n = ENVFIX_STACK_SLOTS_MAX + 10;
    char **envp = huge_envp(n);
    /* Built into caller buffers, any size works. */
    struct repaired r = repair(&settings, envp);
    assert_int_equal(env_count(r.envp), n + 3);
    assert_string_equal(r.envp[n + 2], envp[n - 1]);
    repaired_free(&r);
    /* Too big for a stack copy: left as it is rather than risk the host's stack. */
    struct seen s = {NULL, 0, 0};
    assert_int_equal(envfix_with(&settings, envp, remember, &s), -1);
    assert_ptr_equal(s.envp, envp);
    huge_free(envp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preload_absent),
        cmocka_unit_test(test_preload_other_libs_kept),
        cmocka_unit_test(test_already_complete_passes_through),
        cmocka_unit_test(test_other_copy_of_agent_counts),
        cmocka_unit_test(test_env_i_empty),
        cmocka_unit_test(test_existing_values_not_overridden),
        cmocka_unit_test(test_empty_and_duplicate_preload),
        cmocka_unit_test(test_inert_or_unknown_agent),
        cmocka_unit_test(test_build_refuses_small_buffers),
        cmocka_unit_test(test_with_repairs_on_stack),
        cmocka_unit_test(test_with_passes_complete_env_through),
        cmocka_unit_test(test_huge_envp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
