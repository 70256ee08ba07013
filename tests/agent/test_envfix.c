/* Unit tests of the environment repair: LD_PRELOAD and the agent's variables put back without malloc, ordered
 * for the program about to run (sanitizer runtime first, agent of its class). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

#include "envfix.h"
#include "preload.h"

#define AGENT "/opt/mw/lib/memwatch/libmemwatch_agent.so"
#define SOCK "/tmp/mw.X/sock"

static const struct agent_settings settings = {SOCK, AGENT, NULL};

/* A small thread stack, as a program with many threads gives them; the exec hooks must fit in it. */
#define SMALL_STACK (64u * 1024u)

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

static struct repaired repair_for(const struct agent_settings *s, char *const envp[],
                                  const struct preload_target *target)
{
    struct envfix_plan plan;
    struct repaired r = {NULL, NULL, NULL};
    assert_true(envfix_plan(s, envp, target, &plan));
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

static struct repaired repair(const struct agent_settings *s, char *const envp[])
{
    return repair_for(s, envp, NULL);
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
    /* Entries are joined with ':' (ld.so splits at ':' and ' ' alike). */
    assert_string_equal(env_get(r.envp, "LD_PRELOAD"), AGENT ":/usr/lib/libfoo.so:/usr/lib/libbar.so");
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
    assert_false(envfix_plan(&settings, envp, NULL, &plan));
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
    assert_false(envfix_plan(&inert, envp, NULL, &plan));
    assert_false(envfix_plan(NULL, envp, NULL, &plan));
    /* Without a known agent path only the socket can be put back. */
    struct agent_settings no_path = {SOCK, NULL, NULL};
    assert_true(envfix_plan(&no_path, envp, NULL, &plan));
    assert_int_equal(plan.missing, ENVFIX_SOCKET);
}

static void test_build_refuses_small_buffers(void **state)
{
    (void)state;
    char *envp[] = {"A=1", NULL};
    struct envfix_plan plan;
    assert_true(envfix_plan(&settings, envp, NULL, &plan));
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
    char **envp = huge_envp(20);
    struct seen s = {NULL, 0, 0};
    assert_int_equal(envfix_with(&settings, envp, NULL, remember, &s), 42);
    assert_int_equal(s.calls, 1);
    assert_ptr_not_equal(s.envp, envp);
    assert_int_equal(s.count, 23);
    huge_free(envp);
}

static void test_with_passes_complete_env_through(void **state)
{
    (void)state;
    char *envp[] = {"LD_PRELOAD=" AGENT, "MEMWATCH_SOCKET=" SOCK, "MEMWATCH_AGENT_PATH=" AGENT, NULL};
    struct seen s = {NULL, 0, 0};
    assert_int_equal(envfix_with(&settings, envp, NULL, remember, &s), 42);
    assert_ptr_equal(s.envp, envp);
}

static void test_huge_envp(void **state)
{
    (void)state;
    size_t n = 40000; /* 320 KiB of pointers: the size that used to go on the caller's stack */
    char **envp = huge_envp(n);
    /* Built into caller buffers, any size works. */
    struct repaired r = repair(&settings, envp);
    assert_int_equal(env_count(r.envp), n + 3);
    assert_string_equal(r.envp[n + 2], envp[n - 1]);
    repaired_free(&r);
    /* Too big for envfix_with's stack block: repaired in a mapping that lives as long as the call. */
    struct seen s = {NULL, 0, 0};
    assert_int_equal(envfix_with(&settings, envp, NULL, remember, &s), 42);
    assert_ptr_not_equal(s.envp, envp);
    assert_int_equal(s.count, n + 3);
    huge_free(envp);
}

/* The exec hooks run on whatever stack the caller has: a small thread stack must be enough. */
struct small_stack_run {
    char **envp;
    size_t expect;
    int rc;
    size_t count;
};

static int small_stack_count(void *ctx, char *const envp[])
{
    struct small_stack_run *run = ctx;
    run->count = env_count(envp);
    return 7;
}

static void *small_stack_thread(void *arg)
{
    struct small_stack_run *run = arg;
    struct preload_target t = {PRELOAD_CLASS_64, true, "libasan.so.8"};
    run->rc = envfix_with(&settings, run->envp, &t, small_stack_count, run);
    return NULL;
}

static void small_stack_check(size_t n)
{
    struct small_stack_run run = {huge_envp(n), n + 4, 0, 0};
    pthread_attr_t attr;
    pthread_t th;
    assert_int_equal(pthread_attr_init(&attr), 0);
    assert_int_equal(pthread_attr_setstacksize(&attr, SMALL_STACK), 0);
    assert_int_equal(pthread_create(&th, &attr, small_stack_thread, &run), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    pthread_attr_destroy(&attr);
    assert_int_equal(run.rc, 7);
    assert_int_equal(run.count, run.expect); /* LD_PRELOAD, the marker, socket, agent path */
    huge_free(run.envp);
}

static void test_small_thread_stack(void **state)
{
    (void)state;
    small_stack_check(10);    /* on the stack */
    small_stack_check(20000); /* mapped */
}

#define ASAN "libasan.so.8"

static void test_sanitizer_runtime_first(void **state)
{
    (void)state;
    struct preload_target asan = {PRELOAD_CLASS_64, true, ASAN};
    char *envp[] = {"LD_PRELOAD=" AGENT ":/lib/libfoo.so", "MEMWATCH_SOCKET=" SOCK, "MEMWATCH_AGENT_PATH=" AGENT, NULL};
    struct repaired r = repair_for(&settings, envp, &asan);
    assert_string_equal(env_get(r.envp, "LD_PRELOAD"), ASAN ":" AGENT ":/lib/libfoo.so");
    assert_string_equal(env_get(r.envp, PRELOAD_ENV_ADDED), ASAN);
    /* The next exec, of a program that does not link it, gets the user's list back. */
    struct preload_target plain = {PRELOAD_CLASS_64, true, ""};
    struct repaired back = repair_for(&settings, r.envp, &plain);
    assert_string_equal(env_get(back.envp, "LD_PRELOAD"), AGENT ":/lib/libfoo.so");
    assert_null(env_get(back.envp, PRELOAD_ENV_ADDED));
    /* Another ASan program: already right, passed through. */
    struct envfix_plan plan;
    assert_false(envfix_plan(&settings, r.envp, &asan, &plan));
    repaired_free(&back);
    repaired_free(&r);
}

static void test_user_sanitizer_stays_first(void **state)
{
    (void)state;
    char *envp[] = {"LD_PRELOAD=/usr/lib/libasan.so.8 /lib/libfoo.so", NULL};
    struct preload_target asan = {PRELOAD_CLASS_64, true, ASAN};
    struct repaired r = repair_for(&settings, envp, &asan);
    assert_string_equal(env_get(r.envp, "LD_PRELOAD"), "/usr/lib/libasan.so.8:" AGENT ":/lib/libfoo.so");
    assert_null(env_get(r.envp, PRELOAD_ENV_ADDED));
    repaired_free(&r);
    char *tsan[] = {"LD_PRELOAD=" AGENT ":libtsan.so.2", "MEMWATCH_SOCKET=" SOCK, "MEMWATCH_AGENT_PATH=" AGENT, NULL};
    r = repair(&settings, tsan);
    assert_string_equal(env_get(r.envp, "LD_PRELOAD"), "libtsan.so.2:" AGENT);
    repaired_free(&r);
    /* After the runtime, a program's own order is kept. */
    char *kept[] = {"LD_PRELOAD=libtsan.so.2:/lib/a.so:" AGENT, "MEMWATCH_SOCKET=" SOCK, "MEMWATCH_AGENT_PATH=" AGENT,
                    NULL};
    struct envfix_plan plan;
    assert_false(envfix_plan(&settings, kept, NULL, &plan));
}

static void test_other_class_without_agent(void **state)
{
    (void)state;
    struct preload_target other = {PRELOAD_OWN_CLASS == PRELOAD_CLASS_64 ? PRELOAD_CLASS_32 : PRELOAD_CLASS_64,
                                   true, ""};
    char *only[] = {"LD_PRELOAD=" AGENT, "MEMWATCH_SOCKET=" SOCK, "MEMWATCH_AGENT_PATH=" AGENT, NULL};
    struct repaired r = repair_for(&settings, only, &other);
    assert_null(env_get(r.envp, "LD_PRELOAD")); /* ld.so would print "wrong ELF class" */
    assert_string_equal(env_get(r.envp, "MEMWATCH_SOCKET"), SOCK);
    repaired_free(&r);
    char *more[] = {"LD_PRELOAD=/lib/libfoo.so:" AGENT, "MEMWATCH_SOCKET=" SOCK, "MEMWATCH_AGENT_PATH=" AGENT, NULL};
    r = repair_for(&settings, more, &other);
    assert_string_equal(env_get(r.envp, "LD_PRELOAD"), "/lib/libfoo.so");
    repaired_free(&r);
    /* A $LIB path names the agent of each class: kept. */
#define LIB_AGENT "/opt/mw/lib/memwatch/$LIB/libmemwatch_agent.so"
    struct agent_settings per_class = {SOCK, LIB_AGENT, NULL};
    char *lib[] = {"LD_PRELOAD=" LIB_AGENT, "MEMWATCH_SOCKET=" SOCK, "MEMWATCH_AGENT_PATH=" LIB_AGENT, NULL};
    struct envfix_plan plan;
    assert_false(envfix_plan(&per_class, lib, &other, &plan));
    /* A static program never reads LD_PRELOAD: nothing to take out. */
    struct preload_target fixed = {other.elf_class, false, ""};
    assert_false(envfix_plan(&settings, only, &fixed, &plan));
}

static void test_is_sanitizer(void **state)
{
    (void)state;
    static const char *yes[] = {"libasan.so.8", "/usr/lib/x86_64-linux-gnu/libtsan.so.2", "libubsan.so.1",
                                "liblsan.so.0", "libhwasan.so", "libmemprof.so.0",
                                "libclang_rt.asan-x86_64.so", "libclang_rt.ubsan_standalone-x86_64.so"};
    static const char *no[] = {"libc.so.6", "libasanity.so", "/opt/libasan/libfoo.so", "asan.so", "lib", ""};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(preload_is_sanitizer(yes[i], strlen(yes[i])));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(preload_is_sanitizer(no[i], strlen(no[i])));
}

static void test_inspect_files(void **state)
{
    (void)state;
    struct preload_target t;
    assert_int_equal(preload_inspect_at(AT_FDCWD, "/proc/self/exe", &t), 0);
    assert_int_equal(t.elf_class, PRELOAD_OWN_CLASS);
    assert_true(t.dynamic);
    /* Built with the sanitizers (MEMWATCH_SANITIZE), this test links libasan itself. */
    assert_true(t.runtimes[0] == '\0' || strncmp(t.runtimes, "libasan", 7) == 0);
    char dir[] = "/tmp/mw-envfix-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char script[64], text[64];
    snprintf(script, sizeof script, "%s/script", dir);
    snprintf(text, sizeof text, "%s/text", dir);
    FILE *f = fopen(script, "w");
    assert_non_null(f);
    fputs("#! /proc/self/exe -x\necho\n", f);
    fclose(f);
    f = fopen(text, "w");
    assert_non_null(f);
    fputs("hello\n", f);
    fclose(f);
    assert_int_equal(preload_inspect_at(AT_FDCWD, script, &t), 0);
    assert_int_equal(t.elf_class, PRELOAD_OWN_CLASS);
    assert_int_equal(preload_inspect_at(AT_FDCWD, text, &t), 0);
    assert_int_equal(t.elf_class, PRELOAD_CLASS_NONE);
    assert_int_equal(preload_inspect_at(AT_FDCWD, "/nonexistent/x", &t), -1);
    char found[PRELOAD_PATH_MAX];
    assert_true(preload_find_in_path("text", dir, found, sizeof found) == false); /* not executable */
    assert_true(chmod(script, 0755) == 0);
    assert_true(preload_find_in_path("script", "/nonexistent:", found, sizeof found) == false);
    char path_list[128];
    snprintf(path_list, sizeof path_list, "/nonexistent:%s", dir);
    assert_true(preload_find_in_path("script", path_list, found, sizeof found));
    assert_string_equal(found, script);
    unlink(script);
    unlink(text);
    rmdir(dir);
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
        cmocka_unit_test(test_small_thread_stack),
        cmocka_unit_test(test_sanitizer_runtime_first),
        cmocka_unit_test(test_user_sanitizer_stays_first),
        cmocka_unit_test(test_other_class_without_agent),
        cmocka_unit_test(test_is_sanitizer),
        cmocka_unit_test(test_inspect_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
