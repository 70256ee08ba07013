/* Memory limits: a job over --max-total-rss exits 10, over --max-per-proc-rss 11, with the breach described;
 * a job within them exits 0; a failing job's own code wins; a breach only an upper bound shows is possible,
 * and fails only with --strict-limits. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

#define LIMITS_MIB "64"
#define LIMITS_HOLD_MS "300"

/* memwatch run -q --json=... LIMIT-OPTIONS -- ARGS (a NULL-terminated list after the options' NULL). */
static cJSON *limits_run(struct itest_ctx *ctx, const char *const *options, const char *const *job, int code)
{
    struct itest_run r;
    struct itest_opts o = {.agent = true, .extra = options};
    itest_run_prepare(ctx, &r, &o);
    for (size_t i = 0; job[i] != NULL; i++)
        itest_run_add(&r, "%s", job[i]);
    if (itest_run(ctx, &r) != 0)
        return NULL;
    ITEST_CHECK(ctx, r.exit_code == code, "memwatch exited %d, expected %d", r.exit_code, code);
    /* The JSON's exit_code is the job's own; memwatch's is the limit's. */
    return itest_json_load(ctx, r.json_path);
}

static const cJSON *limits_of(const cJSON *rep, const char *which)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rep, "limits"), which);
}

static void limits_expect(struct itest_ctx *ctx, const cJSON *rep, const char *which, const char *verdict)
{
    const cJSON *l = limits_of(rep, which);
    const char *got = itest_json_str(l, "verdict");
    ITEST_CHECK(ctx, got != NULL && strcmp(got, verdict) == 0, "limits.%s.verdict '%s', expected '%s'", which,
                got ? got : "(none)", verdict);
    if (strcmp(verdict, "proven") == 0)
        ITEST_CHECK(ctx, itest_json_num(l, "excess_kib") > 0 && itest_json_num(l, "figure_kib") * 1024 >
                             itest_json_num(l, "limit_bytes"),
                    "limits.%s: a proven breach with figure %.0f KiB and excess %.0f KiB", which,
                    itest_json_num(l, "figure_kib"), itest_json_num(l, "excess_kib"));
}

int scenario_limits(struct itest_ctx *ctx, const char *arg)
{
    char prog[ITEST_PATH_MAX], script[ITEST_PATH_MAX * 2];
    snprintf(prog, sizeof prog, "%s/alloc_hold", ctx->wldir);
    const char *const hold[] = {prog, LIMITS_MIB, LIMITS_HOLD_MS, NULL};
    cJSON *rep = NULL;
    if (strcmp(arg, "total") == 0) {
        rep = limits_run(ctx, (const char *const[]){"--max-total-rss", "32M", NULL}, hold, 10);
        limits_expect(ctx, rep, "total", "proven");
        ITEST_CHECK(ctx, itest_json_is_null(rep, "limits") == false && cJSON_IsNull(limits_of(rep, "per_process")),
                    "limits.per_process should be null without --max-per-proc-rss");
    } else if (strcmp(arg, "per_process") == 0) {
        rep = limits_run(ctx, (const char *const[]){"--max-per-proc-rss", "48MiB", NULL}, hold, 11);
        limits_expect(ctx, rep, "per_process", "proven");
    } else if (strcmp(arg, "within") == 0) {
        rep = limits_run(ctx, (const char *const[]){"--max-total-rss", "1GiB", "--max-per-proc-rss", "1G", NULL},
                         hold, 0);
        limits_expect(ctx, rep, "total", "within");
        limits_expect(ctx, rep, "per_process", "within");
    } else if (strcmp(arg, "job_fails") == 0) {
        snprintf(script, sizeof script, "%s %s %s; exit 3", prog, LIMITS_MIB, LIMITS_HOLD_MS);
        rep = limits_run(ctx, (const char *const[]){"--max-total-rss", "32M", NULL},
                         (const char *const[]){"/bin/sh", "-c", script, NULL}, 3);
        limits_expect(ctx, rep, "total", "proven");
    } else if (strcmp(arg, "possible") == 0) {
        char stat[ITEST_PATH_MAX];
        snprintf(stat, sizeof stat, "%s/alloc_hold_static", ctx->wldir);
        if (access(stat, X_OK) != 0) {
            itest_note(ctx, "no static libc: skipped");
            return ITEST_SKIP;
        }
        /* Without the agent in it, nothing proves the job stayed under: possible, a failure only if strict. */
        snprintf(script, sizeof script, "%s 16 30 s", stat);
        const char *const job[] = {"/bin/sh", "-c", script, NULL};
        rep = limits_run(ctx, (const char *const[]){"--max-total-rss", "1G", NULL}, job, 0);
        limits_expect(ctx, rep, "total", "possible");
        cJSON_Delete(rep);
        rep = limits_run(ctx, (const char *const[]){"--max-total-rss", "1G", "--strict-limits", NULL}, job, 10);
    } else if (strcmp(arg, "kill") == 0) {
        /* A runaway (8 MiB every 20 ms up to 2 GiB) stopped soon after 64 MiB: exit 10, report complete. */
        char grow[ITEST_PATH_MAX];
        snprintf(grow, sizeof grow, "%s/grow", ctx->wldir);
        int64_t t0 = itest_now_ms();
        rep = limits_run(ctx, (const char *const[]){"-i", "100ms", "--max-total-rss", "64M", "--kill-on-limit", NULL},
                         (const char *const[]){grow, "8", "20", "2048", NULL}, 10);
        int64_t took = itest_now_ms() - t0;
        ITEST_CHECK(ctx, took < 20000, "the runaway ran %lld ms: not stopped", (long long)took);
        limits_expect(ctx, rep, "total", "proven");
        struct itest_facts f = {0};
        itest_facts_load(ctx, &f);
        const struct itest_fact *g = itest_facts_find(&f, "grow", 0);
        const cJSON *p = g ? itest_json_process(ctx, rep, g->pid, "grow") : NULL;
        if (p)
            itest_expect_end(ctx, p, "signaled", 15, "grow");
        ITEST_CHECK(ctx, p == NULL || itest_json_num(p, "max_rss_kib") < 1024.0 * 1024,
                    "grow reached %.0f KiB: stopped late", p ? itest_json_num(p, "max_rss_kib") : 0.0);
        itest_facts_free(&f);
    } else if (strcmp(arg, "post_run") == 0) {
        /* The command sees the report (as $MEMWATCH_JSON and $1); its failure is said, the job's code stands;
         * with --post-run-strict it becomes memwatch's when the job succeeded. */
        const char *const job[] = {"/bin/sh", "-c", "exit 0", NULL};
        rep = limits_run(ctx, (const char *const[]){"--post-run-cmd",
                                                    "cp \"$MEMWATCH_JSON\" seen.json && test \"$1\" = \"$MEMWATCH_JSON\"",
                                                    NULL},
                         job, 0);
        char seen[ITEST_PATH_MAX];
        cJSON *copy = itest_json_load(ctx, itest_path(ctx, "seen.json", seen, sizeof seen));
        ITEST_CHECK(ctx, copy != NULL && itest_json_num(copy, "process_count") >= 1,
                    "the post-run command did not see the report");
        cJSON_Delete(copy);
        cJSON_Delete(rep);
        rep = limits_run(ctx, (const char *const[]){"--post-run-cmd", "exit 4", NULL}, job, 0);
        cJSON_Delete(rep);
        rep = limits_run(ctx, (const char *const[]){"--post-run-cmd", "exit 4", "--post-run-strict", NULL}, job, 4);
        cJSON_Delete(rep);
        rep = limits_run(ctx, (const char *const[]){"--post-run-cmd", "exit 4", "--post-run-strict", NULL},
                         (const char *const[]){"/bin/sh", "-c", "exit 2", NULL}, 2);
    } else {
        ITEST_CHECK(ctx, false, "no limits case '%s'", arg);
    }
    cJSON_Delete(rep);
    return 0;
}
