/* Compatibility scenarios: programs nobody here wrote the way they are usually built (sanitizers, 32-bit)
 * and memwatch installed somewhere unusual (a folder with a space and a colon). Each runs bare and under
 * memwatch, and the job's stdout, stderr and exit code must be the same bytes. Expectations beside the
 * workloads: tests/workloads/compat_plain.c and compat_small_stack.c. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define COMPAT_OUT_MAX (1024 * 1024)
#define COMPAT_TIMEOUT_MS 120000
#define COMPAT_CMD_MAX (4 * ITEST_PATH_MAX + 64)

/* One job: argv for both runs. */
struct compat_job {
    const char *argv[8];
};

/* The bare run: the job's environment as memwatch would start it, minus the agent. */
static void compat_bare_child(const struct itest_ctx *ctx, const struct compat_job *job, const char *out,
                              const char *err)
{
    if (chdir(ctx->dir) != 0)
        _exit(126);
    int in = open("/dev/null", O_RDONLY);
    int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int e = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || o < 0 || e < 0)
        _exit(126);
    dup2(in, STDIN_FILENO);
    dup2(o, STDOUT_FILENO);
    dup2(e, STDERR_FILENO);
    close_range(3, ~0u, 0);
    unsetenv("LD_PRELOAD");
    unsetenv("MEMWATCH_SOCKET");
    unsetenv("MEMWATCH_AGENT_PATH");
    unsetenv("MEMWATCH_AGENT_LOG");
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(job->argv[0], (char *const *)job->argv);
    _exit(127);
}

static int compat_bare(struct itest_ctx *ctx, const struct compat_job *job, const char *out, const char *err)
{
    fflush(stdout);
    pid_t pid = fork();
    if (!ITEST_CHECK(ctx, pid >= 0, "fork: %s", strerror(errno)))
        return -1;
    if (pid == 0)
        compat_bare_child(ctx, job, out, err);
    int status;
    if (itest_wait_pid(ctx, pid, COMPAT_TIMEOUT_MS, &status) != 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void compat_same_file(struct itest_ctx *ctx, const char *what, const char *bare, const char *mw)
{
    size_t nb = 0, nm = 0;
    char *b = itest_read_file(bare, COMPAT_OUT_MAX, &nb);
    char *m = itest_read_file(mw, COMPAT_OUT_MAX, &nm);
    bool same = b != NULL && m != NULL && nb == nm && memcmp(b, m, nb) == 0;
    if (!ITEST_CHECK(ctx, same, "the job's %s differs from a bare run", what)) {
        itest_dump_file("bare", bare, 4096);
        itest_dump_file("memwatch", mw, 4096);
    }
    free(b);
    free(m);
}

/* Runs the job bare and under memwatch; checks the bytes and the exit code. The report is returned. */
static cJSON *compat_compare(struct itest_ctx *ctx, const struct compat_job *job, int expect_code)
{
    char out[ITEST_PATH_MAX], err[ITEST_PATH_MAX];
    itest_path(ctx, "bare.out", out, sizeof out);
    itest_path(ctx, "bare.err", err, sizeof err);
    int bare = compat_bare(ctx, job, out, err);
    ITEST_CHECK(ctx, bare == expect_code, "bare run exited %d, expected %d", bare, expect_code);
    struct itest_run r;
    struct itest_opts o = {.agent = true};
    itest_run_prepare(ctx, &r, &o);
    for (size_t i = 0; job->argv[i] != NULL; i++)
        itest_run_add(&r, "%s", job->argv[i]);
    if (itest_run(ctx, &r) != 0)
        return NULL;
    ITEST_CHECK(ctx, r.exit_code == bare, "under memwatch the job exited %d, bare %d", r.exit_code, bare);
    compat_same_file(ctx, "stdout", out, r.out_path);
    compat_same_file(ctx, "stderr", err, r.err_path);
    struct itest_expect e = {.exit_code = bare};
    return itest_report(ctx, &r, &e);
}

/* Every process of the report whose command names prog has this peak kind. */
static void compat_expect_kind(struct itest_ctx *ctx, const cJSON *rep, const char *prog, const char *kind)
{
    const cJSON *procs = rep != NULL ? cJSON_GetObjectItemCaseSensitive(rep, "processes") : NULL;
    int seen = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, procs)
    {
        char cmd[ITEST_PATH_MAX];
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(p, "command");
        const char *text = cJSON_IsArray(c) ? itest_json_join_argv(c, cmd, sizeof cmd) : cJSON_GetStringValue(c);
        if (text == NULL || strstr(text, prog) == NULL)
            continue;
        seen++;
        const char *k = itest_json_str(p, "peak_kind");
        ITEST_CHECK(ctx, k != NULL && strcmp(k, kind) == 0, "%s: peak kind %s, expected %s", text, k ? k : "?",
                    kind);
    }
    ITEST_CHECK(ctx, seen > 0, "no process of %s in the report", prog);
}

static bool compat_have(struct itest_ctx *ctx, const char *prog, char *buf, size_t len)
{
    snprintf(buf, len, "%s/%s", ctx->wldir, prog);
    if (access(buf, X_OK) == 0)
        return true;
    itest_note(ctx, "%s was not built (no compiler support): skipped", prog);
    return false;
}

/* A sanitized program, alone, with a plain child (which must not get its runtime), and inside sh -c. */
static int compat_sanitizer(struct itest_ctx *ctx, const char *prog)
{
    char path[ITEST_PATH_MAX], plain[ITEST_PATH_MAX], cmd[COMPAT_CMD_MAX];
    if (!compat_have(ctx, prog, path, sizeof path) || !compat_have(ctx, "compat_plain", plain, sizeof plain))
        return ITEST_SKIP;
    struct compat_job alone = {{path, "3", NULL}};
    cJSON_Delete(compat_compare(ctx, &alone, 3));
    snprintf(cmd, sizeof cmd, "'%s' 4", plain);
    struct compat_job child = {{path, "5", cmd, NULL}};
    cJSON *rep = compat_compare(ctx, &child, 5);
    compat_expect_kind(ctx, rep, "compat_plain", "exact");
    cJSON_Delete(rep);
    snprintf(cmd, sizeof cmd, "'%s' 6 '%s 2'; echo sh: $?", path, plain);
    struct compat_job in_sh = {{"/bin/sh", "-c", cmd, NULL}};
    cJSON_Delete(compat_compare(ctx, &in_sh, 0));
    return 0;
}

/* The user preloads the ASan runtime into a program that does not link it: it stays first. */
static int compat_user_preload(struct itest_ctx *ctx)
{
    const char *rt = getenv("MEMWATCH_ASAN_RUNTIME");
    char plain[ITEST_PATH_MAX], cmd[COMPAT_CMD_MAX];
    if (rt == NULL || rt[0] != '/' || access(rt, R_OK) != 0) {
        itest_note(ctx, "no ASan runtime to preload: skipped");
        return ITEST_SKIP;
    }
    if (!compat_have(ctx, "compat_plain", plain, sizeof plain))
        return ITEST_SKIP;
    snprintf(cmd, sizeof cmd, "LD_PRELOAD='%s' '%s' 7", rt, plain);
    struct compat_job job = {{"/bin/sh", "-c", cmd, NULL}};
    cJSON_Delete(compat_compare(ctx, &job, 7));
    return 0;
}

/* A 32-bit program, and a 64-bit parent of one: no ld.so line; the 32-bit agent when it was built. */
static int compat_m32(struct itest_ctx *ctx)
{
    char m32[ITEST_PATH_MAX], plain[ITEST_PATH_MAX], cmd[COMPAT_CMD_MAX];
    if (!compat_have(ctx, "compat_m32", m32, sizeof m32) || !compat_have(ctx, "compat_plain", plain, sizeof plain))
        return ITEST_SKIP;
    snprintf(cmd, sizeof cmd, "'%s' 8", plain);
    struct compat_job job = {{m32, "9", cmd, NULL}};
    cJSON *rep = compat_compare(ctx, &job, 9);
    const char *agent32 = getenv("MEMWATCH_AGENT32");
    if (agent32 != NULL && strcmp(agent32, "ON") == 0)
        compat_expect_kind(ctx, rep, "compat_m32", "exact");
    cJSON_Delete(rep);
    snprintf(cmd, sizeof cmd, "'%s' 1", m32);
    struct compat_job parent = {{plain, "2", cmd, NULL}};
    cJSON_Delete(compat_compare(ctx, &parent, 2));
    return 0;
}

/* The exec hooks on a 64 KiB thread stack, with environments that must be rebuilt. */
static int compat_small_stack(struct itest_ctx *ctx)
{
    char path[ITEST_PATH_MAX];
    if (!compat_have(ctx, "compat_small_stack", path, sizeof path))
        return ITEST_SKIP;
    struct compat_job job = {{path, NULL}};
    cJSON *rep = compat_compare(ctx, &job, 0);
    compat_expect_kind(ctx, rep, "compat_small_stack", "exact");
    cJSON_Delete(rep);
    return 0;
}

/* memwatch and its agents copied into a folder whose path holds a space and a colon. */
static int compat_odd_path(struct itest_ctx *ctx)
{
    char plain[ITEST_PATH_MAX], dir[ITEST_PATH_MAX], cmd[COMPAT_CMD_MAX], copy[ITEST_PATH_MAX + 16];
    if (!compat_have(ctx, "compat_plain", plain, sizeof plain))
        return ITEST_SKIP;
    itest_path(ctx, "my build:1", dir, sizeof dir);
    char src[ITEST_PATH_MAX];
    snprintf(src, sizeof src, "%s", ctx->memwatch);
    char *slash = strrchr(src, '/');
    if (slash == NULL)
        return ITEST_SKIP;
    *slash = '\0';
    /* The build tree's layout: memwatch beside lib/memwatch/<$LIB>/libmemwatch_agent.so. */
    snprintf(cmd, sizeof cmd, "mkdir -p '%s' && cp '%s' '%s/' && cp -R '%s/lib' '%s/'", dir, ctx->memwatch, dir, src,
             dir);
    if (!ITEST_CHECK(ctx, system(cmd) == 0, "cannot copy memwatch: %s", cmd))
        return 1;
    snprintf(copy, sizeof copy, "%s/memwatch", dir);
    const char *real = ctx->memwatch;
    ctx->memwatch = copy;
    snprintf(cmd, sizeof cmd, "'%s' 3", plain);
    struct compat_job job = {{plain, "4", cmd, NULL}};
    cJSON *rep = compat_compare(ctx, &job, 4);
    compat_expect_kind(ctx, rep, "compat_plain", "exact");
    cJSON_Delete(rep);
    char m32[ITEST_PATH_MAX];
    if (compat_have(ctx, "compat_m32", m32, sizeof m32)) {
        struct compat_job j32 = {{m32, "5", NULL}};
        cJSON_Delete(compat_compare(ctx, &j32, 5));
    }
    ctx->memwatch = real;
    return 0;
}

int scenario_compat(struct itest_ctx *ctx, const char *arg)
{
    if (strcmp(arg, "user_preload") == 0)
        return compat_user_preload(ctx);
    if (strcmp(arg, "m32") == 0)
        return compat_m32(ctx);
    if (strcmp(arg, "small_stack") == 0)
        return compat_small_stack(ctx);
    if (strcmp(arg, "odd_path") == 0)
        return compat_odd_path(ctx);
    return compat_sanitizer(ctx, arg);
}
