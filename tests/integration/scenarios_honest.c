/* Every figure honest: the cases where a figure used to claim more than memwatch knew (issue "every figure
 * honest"). Each runs a real job and checks the kind of each figure, not only its value. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "itest.h"

#define HONEST_INTERVAL_MS 500
#define HONEST_FAST_INTERVAL_MS 50
#define HONEST_SLACK_KIB 4096.0 /* the kernel's batched RSS counters, and a tiny program's own pages */
#define HONEST_PATH_MAX 8192

struct honest_job {
    struct itest_run run;
    cJSON *rep;
    struct itest_facts facts;
};

static void honest_free(struct honest_job *j)
{
    cJSON_Delete(j->rep);
    itest_facts_free(&j->facts);
}

/* Loads the report (with the harness's own invariants) and the facts, if the job left any, after a run
 * that exited `code`. */
static int honest_load(struct itest_ctx *ctx, struct honest_job *j, int code)
{
    ITEST_CHECK(ctx, j->run.exit_code == code, "memwatch exited %d, expected %d", j->run.exit_code, code);
    j->rep = itest_report(ctx, &j->run, &(struct itest_expect){.exit_code = code});
    char path[ITEST_PATH_MAX];
    if (itest_exists(itest_path(ctx, "facts", path, sizeof path)))
        itest_facts_load(ctx, &j->facts);
    return j->rep ? 0 : -1;
}

static const cJSON *honest_total(const cJSON *rep)
{
    return cJSON_GetObjectItemCaseSensitive(rep, "total_peak");
}

static bool honest_kind_is(const cJSON *obj, const char *kind)
{
    const char *k = itest_json_str(obj, "peak_kind");
    return k && strcmp(k, kind) == 0;
}

/* The process with that command, the first listed. */
static const cJSON *honest_by_command(const cJSON *rep, const char *command)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(rep, "processes"))
    {
        const char *c = itest_json_str(p, "command");
        if (c && strcmp(c, command) == 0)
            return p;
    }
    return NULL;
}

/* A fork child that execs a static program for 30 ms: the agent announced the exec and could not follow.
 * The child is no exact figure with its parent's argv, its peak is the wait's bound, and the total's upper
 * bound is not proven. */
static void honest_exec_into_static(struct itest_ctx *ctx)
{
    char prog[ITEST_PATH_MAX];
    snprintf(prog, sizeof prog, "%s/alloc_hold_static", ctx->wldir);
    struct honest_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = HONEST_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "run_child", prog, "100", "30", "static", NULL) != 0 ||
        honest_load(ctx, &j, 0) != 0) {
        honest_free(&j);
        return;
    }
    const struct itest_fact *child = itest_facts_find(&j.facts, "static", 0);
    const cJSON *p = child ? itest_json_process(ctx, j.rep, child->pid, "static child") : NULL;
    if (p) {
        ITEST_CHECK(ctx, !honest_kind_is(p, "exact"), "the static child claims an exact peak");
        double peak = itest_json_num(p, "max_rss_kib"), bound = itest_json_num(p, "bound_kib");
        ITEST_CHECK(ctx, !isnan(bound) && bound + HONEST_SLACK_KIB >= (double)child->hwm_kib,
                    "the static child's bound %.0f is below its VmHWM %llu", bound,
                    (unsigned long long)child->hwm_kib);
        ITEST_CHECK(ctx, peak + HONEST_SLACK_KIB >= (double)child->hwm_kib || honest_kind_is(p, "sampled"),
                    "the static child's peak %.0f is below its VmHWM %llu", peak, (unsigned long long)child->hwm_kib);
    }
    const cJSON *tp = honest_total(j.rep);
    ITEST_CHECK(ctx, !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tp, "upper_bound_proven")),
                "the upper bound is called proven although an image ran without the agent");
    honest_free(&j);
}

/* sh -c 'static_prog; echo $?': dash vforks, the static child is reaped by sh's wait hook and never
 * sampled. It is listed, with its exit code and its bound. */
static void honest_unseen_child(struct itest_ctx *ctx)
{
    char script[HONEST_PATH_MAX];
    snprintf(script, sizeof script, "%s/alloc_hold_static 200 30 unseen; echo $?", ctx->wldir);
    struct honest_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = HONEST_INTERVAL_MS};
    itest_run_prepare(ctx, &j.run, &o);
    itest_run_add(&j.run, "/bin/sh");
    itest_run_add(&j.run, "-c");
    itest_run_add(&j.run, "%s", script);
    if (itest_run(ctx, &j.run) != 0 || honest_load(ctx, &j, 0) != 0) {
        honest_free(&j);
        return;
    }
    const struct itest_fact *child = itest_facts_find(&j.facts, "unseen", 0);
    const cJSON *p = child ? itest_json_process(ctx, j.rep, child->pid, "unseen static child") : NULL;
    if (p) {
        itest_expect_end(ctx, p, "exited", 0, "unseen static child");
        double bound = itest_json_num(p, "bound_kib");
        ITEST_CHECK(ctx, !isnan(bound) && bound + HONEST_SLACK_KIB >= (double)child->hwm_kib,
                    "unseen child: bound %.0f below its VmHWM %llu", bound, (unsigned long long)child->hwm_kib);
        ITEST_CHECK(ctx, !honest_kind_is(p, "exact"), "unseen child: an exact peak nobody reported");
    }
    ITEST_CHECK(ctx, !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(honest_total(j.rep), "upper_bound_proven")),
                "unseen child: the upper bound is called proven");
    honest_free(&j);
}

/* A vfork child that waits before its exec shares its parent's 200 MiB: counted once in the samples. */
static void honest_vfork_shared(struct itest_ctx *ctx)
{
    struct honest_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = HONEST_FAST_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "vfork_linger", "200", "600", NULL) != 0 ||
        honest_load(ctx, &j, 0) != 0) {
        honest_free(&j);
        return;
    }
    const struct itest_fact *parent = itest_facts_find(&j.facts, "parent", 0);
    const cJSON *tp = honest_total(j.rep);
    double sampled = itest_json_num(tp, "sampled_kib"), upper = itest_json_num(tp, "upper_bound_kib");
    if (parent)
        ITEST_CHECK(ctx, sampled <= (double)parent->hwm_kib + HONEST_SLACK_KIB,
                    "sampled total %.0f KiB: the vfork child's shared memory counted twice (parent %llu KiB)",
                    sampled, (unsigned long long)parent->hwm_kib);
    ITEST_CHECK(ctx, sampled <= upper, "sampled total %.0f above the upper bound %.0f", sampled, upper);
    honest_free(&j);
}

/* A #! script as the job's root: one image, the real one (/bin/sh script), exact; no phantom image of the
 * bare script name from memwatch's own child before its exec. Four runs: the race was in timing. */
static void honest_script_root(struct itest_ctx *ctx)
{
    char script[ITEST_PATH_MAX];
    itest_path(ctx, "job.sh", script, sizeof script);
    FILE *f = fopen(script, "w");
    if (!ITEST_CHECK(ctx, f != NULL, "cannot write %s", script))
        return;
    fprintf(f, "#!/bin/sh\n%s/tiny\nexit 4\n", ctx->wldir);
    fclose(f);
    chmod(script, 0755);
    for (int run = 0; run < 4; run++) {
        struct honest_job j = {0};
        struct itest_opts o = {.agent = true, .interval_ms = HONEST_INTERVAL_MS};
        itest_run_prepare(ctx, &j.run, &o);
        itest_run_add(&j.run, "%s", script);
        if (itest_run(ctx, &j.run) != 0 || honest_load(ctx, &j, 4) != 0) {
            honest_free(&j);
            return;
        }
        char command[ITEST_PATH_MAX + 16];
        snprintf(command, sizeof command, "/bin/sh %s", script);
        const cJSON *root = honest_by_command(j.rep, command);
        ITEST_CHECK(ctx, root != NULL, "run %d: no root listed as '%s'", run, command);
        if (root) {
            ITEST_CHECK(ctx, itest_json_array_size(root, "images") == 1, "run %d: the root has %d images", run,
                        itest_json_array_size(root, "images"));
            ITEST_CHECK(ctx, honest_kind_is(root, "exact"), "run %d: the root's peak is '%s', not exact", run,
                        itest_json_str(root, "peak_kind"));
        }
        ITEST_CHECK(ctx, itest_json_num(j.rep, "exact_peak_count") == itest_json_num(j.rep, "process_count"),
                    "run %d: %.0f of %.0f processes exact", run, itest_json_num(j.rep, "exact_peak_count"),
                    itest_json_num(j.rep, "process_count"));
        honest_free(&j);
    }
}

/* An exec that fails after the agent sent its pre-exec peak, then 100 MiB and SIGKILL: the stale figure is
 * not exact; the process's peak covers the 100 MiB (memwatch's own wait bound). */
static void honest_failed_exec(struct itest_ctx *ctx)
{
    struct honest_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = HONEST_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "exec_fail_kill", "100", NULL) != 0 ||
        honest_load(ctx, &j, 128 + 9) != 0) {
        honest_free(&j);
        return;
    }
    const struct itest_fact *fact = itest_facts_find(&j.facts, "exec_fail_kill", 0);
    const cJSON *p = fact ? itest_json_process(ctx, j.rep, fact->pid, "exec_fail_kill") : NULL;
    if (p) {
        ITEST_CHECK(ctx, !honest_kind_is(p, "exact"), "the stale pre-exec figure is called exact");
        double bound = itest_json_num(p, "bound_kib");
        ITEST_CHECK(ctx, !isnan(bound) && bound + HONEST_SLACK_KIB >= (double)fact->hwm_kib,
                    "bound %.0f below the true VmHWM %llu", bound, (unsigned long long)fact->hwm_kib);
    }
    const cJSON *tp = honest_total(j.rep);
    if (fact && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tp, "upper_bound_proven")))
        ITEST_CHECK(ctx, itest_json_num(tp, "upper_bound_kib") + HONEST_SLACK_KIB >= (double)fact->hwm_kib,
                    "a proven upper bound %.0f below the true peak %llu", itest_json_num(tp, "upper_bound_kib"),
                    (unsigned long long)fact->hwm_kib);
    honest_free(&j);
}

/* A program that leaves through the raw exit_group (Go, a sanitizer's abort): its exit code kept, its figure
 * never called exact, and the poller's VmHWM reading close to the truth when samples fell in its life. */
static void honest_raw_exit(struct itest_ctx *ctx)
{
    struct honest_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = HONEST_FAST_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "raw_exit", "64", "600", "7", NULL) != 0 || honest_load(ctx, &j, 7) != 0) {
        honest_free(&j);
        return;
    }
    itest_expect_silent(ctx, &j.run);
    const struct itest_fact *fact = itest_facts_find(&j.facts, "raw_exit", 0);
    const cJSON *p = fact ? itest_json_process(ctx, j.rep, fact->pid, "raw_exit") : NULL;
    if (p) {
        itest_expect_end(ctx, p, "exited", 7, "raw_exit");
        ITEST_CHECK(ctx, !honest_kind_is(p, "exact"), "raw_exit: an exact peak although no exit report was sent");
        double peak = itest_json_num(p, "max_rss_kib");
        ITEST_CHECK(ctx, peak <= (double)fact->hwm_kib + HONEST_SLACK_KIB && peak >= 0.9 * (double)fact->hwm_kib,
                    "raw_exit: figure %.0f KiB, the workload's VmHWM %llu KiB", peak, (unsigned long long)fact->hwm_kib);
    }
    honest_free(&j);
}

/* A worker ended by its parent's SIGTERM between two samples (Python's Pool): not exact, but known within a
 * few percent, from the VmHWM the parent's agent read as it killed it; the wait's bound closes the interval. */
static void honest_killed_worker(struct itest_ctx *ctx)
{
    struct honest_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = 2000};
    if (itest_run_workload(ctx, &j.run, &o, "kill_worker", "48", NULL) != 0 || honest_load(ctx, &j, 0) != 0) {
        honest_free(&j);
        return;
    }
    const struct itest_fact *fact = itest_facts_find(&j.facts, "worker", 0);
    const cJSON *p = fact ? itest_json_process(ctx, j.rep, fact->pid, "worker") : NULL;
    if (p) {
        itest_expect_end(ctx, p, "signaled", SIGTERM, "worker");
        ITEST_CHECK(ctx, honest_kind_is(p, "sampled"),
                    "worker: peak_kind '%s', expected sampled (the reading taken as it was killed)",
                    itest_json_str(p, "peak_kind"));
        double peak = itest_json_num(p, "max_rss_kib"), bound = itest_json_num(p, "bound_kib");
        ITEST_CHECK(ctx, peak >= 0.97 * (double)fact->hwm_kib && peak <= (double)fact->hwm_kib + HONEST_SLACK_KIB,
                    "worker: figure %.0f KiB, its VmHWM %llu KiB", peak, (unsigned long long)fact->hwm_kib);
        ITEST_CHECK(ctx, !isnan(bound) && bound + HONEST_SLACK_KIB >= (double)fact->hwm_kib,
                    "worker: bound %.0f below its VmHWM %llu", bound, (unsigned long long)fact->hwm_kib);
    }
    honest_free(&j);
}

int scenario_honest(struct itest_ctx *ctx, const char *arg)
{
    if (strcmp(arg, "exec_into_static") == 0 || strcmp(arg, "unseen_child") == 0) {
        char prog[ITEST_PATH_MAX];
        snprintf(prog, sizeof prog, "%s/alloc_hold_static", ctx->wldir);
        if (access(prog, X_OK) != 0) {
            itest_note(ctx, "no static libc to build %s: skipped", prog);
            return ITEST_SKIP;
        }
    }
    if (strcmp(arg, "exec_into_static") == 0)
        honest_exec_into_static(ctx);
    else if (strcmp(arg, "unseen_child") == 0)
        honest_unseen_child(ctx);
    else if (strcmp(arg, "vfork_shared") == 0)
        honest_vfork_shared(ctx);
    else if (strcmp(arg, "script_root") == 0)
        honest_script_root(ctx);
    else if (strcmp(arg, "failed_exec") == 0)
        honest_failed_exec(ctx);
    else if (strcmp(arg, "raw_exit") == 0)
        honest_raw_exit(ctx);
    else if (strcmp(arg, "killed_worker") == 0)
        honest_killed_worker(ctx);
    else
        ITEST_CHECK(ctx, false, "no honest case '%s'", arg);
    return 0;
}
