/* Comparing runs: an improvement passes, a regression fails (exit 1) with the worst first, the allowances
 * decide, the original tool's reports are read with their unknowns, bad input is one line and exit 125 with
 * nothing written; ci-check writes a missing baseline, passes a like run and fails a heavier one (exit 13). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

#define COMPARE_HOLD_MS "100"

/* memwatch ARGS... (NULL-terminated); returns its exit code, or -1 when it did not finish. */
static int compare_memwatch(struct itest_ctx *ctx, struct itest_run *r, const char *const *args)
{
    itest_run_init(r);
    for (size_t i = 0; args[i] != NULL; i++)
        itest_run_add(r, "%s", args[i]);
    if (itest_run(ctx, r) != 0)
        return -1;
    return r->exit_code;
}

/* A report of alloc_hold MIB in DIR/name, grouped by group_by. */
static const char *compare_profile_by(struct itest_ctx *ctx, const char *name, const char *mib, const char *group_by,
                                      char *path, size_t len)
{
    char prog[ITEST_PATH_MAX], json[ITEST_PATH_MAX + 8], key[64];
    struct itest_run r;
    snprintf(prog, sizeof prog, "%s/alloc_hold", ctx->wldir);
    itest_path(ctx, name, path, len);
    snprintf(json, sizeof json, "--json=%s", path);
    snprintf(key, sizeof key, "--group-by=%s", group_by);
    int code = compare_memwatch(ctx, &r, (const char *const[]){"run", "-q", json, key, "--", prog, mib, COMPARE_HOLD_MS,
                                                               NULL});
    ITEST_CHECK(ctx, code == 0, "profiling alloc_hold %s exited %d", mib, code);
    return path;
}

static const char *compare_profile(struct itest_ctx *ctx, const char *name, const char *mib, char *path, size_t len)
{
    return compare_profile_by(ctx, name, mib, "command", path, len);
}

/* The comparison's first row whose key is value ("group" "cc1", "metric" "largest"), or NULL. */
static const cJSON *compare_row_where(const cJSON *cmp, const char *key, const char *value)
{
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItemCaseSensitive(cmp, "rows"))
    {
        const char *v = itest_json_str(row, key);
        if (v && strcmp(v, value) == 0)
            return row;
    }
    return NULL;
}

static void compare_expect_str(struct itest_ctx *ctx, const cJSON *obj, const char *key, const char *want,
                               const char *what)
{
    const char *got = obj ? itest_json_str(obj, key) : NULL;
    ITEST_CHECK(ctx, got != NULL && strcmp(got, want) == 0, "%s.%s is '%s', expected '%s'", what, key,
                got ? got : "(none)", want);
}

/* Runs compare with --json=DIR/cmp.json and the given options; expects code; returns the comparison. */
static cJSON *compare_json(struct itest_ctx *ctx, const char *base, const char *cand, const char *const *options,
                           int code)
{
    const char *args[ITEST_ARGS_MAX];
    char out[ITEST_PATH_MAX], opt[ITEST_PATH_MAX + 8];
    size_t n = 0;
    struct itest_run r;
    args[n++] = "compare";
    snprintf(opt, sizeof opt, "--json=%s", itest_path(ctx, "cmp.json", out, sizeof out));
    args[n++] = opt;
    for (size_t i = 0; options && options[i] && n < ITEST_ARGS_MAX - 3; i++)
        args[n++] = options[i];
    args[n++] = base;
    args[n++] = cand;
    args[n] = NULL;
    unlink(out);
    int got = compare_memwatch(ctx, &r, args);
    if (!ITEST_CHECK(ctx, got == code, "compare exited %d, expected %d", got, code)) {
        itest_dump_file("stderr", r.err_path, 4096);
        return NULL;
    }
    return itest_json_load(ctx, out);
}

static void compare_improve(struct itest_ctx *ctx)
{
    char base[ITEST_PATH_MAX], cand[ITEST_PATH_MAX];
    compare_profile(ctx, "base.json", "64", base, sizeof base);
    compare_profile(ctx, "cand.json", "32", cand, sizeof cand);
    cJSON *cmp = compare_json(ctx, base, cand, NULL, 0);
    compare_expect_str(ctx, cmp, "verdict", "within", "comparison");
    const cJSON *row = compare_row_where(cmp, "group", "alloc_hold");
    compare_expect_str(ctx, row, "status", "improved", "alloc_hold row");
    compare_expect_str(ctx, row, "candidate_kind", "exact", "alloc_hold row");
    ITEST_CHECK(ctx, row && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(row, "change_exact")),
                "a change between two exact peaks should be exact");
    ITEST_CHECK(ctx, row && itest_json_num(row, "change") < -30000 && itest_json_num(row, "change") > -36000,
                "alloc_hold changed by %.0f KiB, expected about -32 MiB", row ? itest_json_num(row, "change") : 0);
    cJSON_Delete(cmp);
}

static void compare_regress(struct itest_ctx *ctx)
{
    char base[ITEST_PATH_MAX], cand[ITEST_PATH_MAX], md[ITEST_PATH_MAX], opt[ITEST_PATH_MAX + 16];
    compare_profile(ctx, "base.json", "32", base, sizeof base);
    compare_profile(ctx, "cand.json", "64", cand, sizeof cand);
    snprintf(opt, sizeof opt, "--markdown=%s", itest_path(ctx, "pr.md", md, sizeof md));
    cJSON *cmp = compare_json(ctx, base, cand, (const char *const[]){opt, NULL}, 1);
    compare_expect_str(ctx, cmp, "verdict", "regression", "comparison");
    /* The worst regressions come first among the groups: the job-wide rows, then alloc_hold. */
    const cJSON *rows = cJSON_GetObjectItemCaseSensitive(cmp, "rows");
    const cJSON *first_group = NULL, *row;
    cJSON_ArrayForEach(row, rows)
    {
        if (!itest_json_is_null(row, "group")) {
            first_group = row;
            break;
        }
    }
    compare_expect_str(ctx, first_group, "group", "alloc_hold", "first group row");
    compare_expect_str(ctx, first_group, "status", "regressed", "first group row");
    compare_expect_str(ctx, compare_row_where(cmp, "metric", "largest"), "status", "regressed", "largest row");
    /* The total is not gated by default: it grew, and says so without failing on its own. */
    compare_expect_str(ctx, compare_row_where(cmp, "metric", "total"), "status", "grew", "total row");
    char *text = itest_read_file(md, 1 << 20, NULL);
    ITEST_CHECK(ctx, text && strstr(text, "| Status | Figure |") && strstr(text, "**REGRESSED**") &&
                         strstr(text, "alloc\\_hold"),
                "the Markdown table lacks its header, the regression or the escaped group name");
    free(text);
    cJSON_Delete(cmp);
}

static void compare_threshold(struct itest_ctx *ctx)
{
    char base[ITEST_PATH_MAX], cand[ITEST_PATH_MAX];
    compare_profile(ctx, "base.json", "32", base, sizeof base);
    compare_profile(ctx, "cand.json", "35", cand, sizeof cand); /* +3 MiB, about +9 % */
    cJSON_Delete(compare_json(ctx, base, cand, NULL, 0)); /* defaults: 10 % and 1 MiB */
    cJSON *cmp = compare_json(ctx, base, cand, (const char *const[]){"--threshold", "5%", NULL}, 1);
    ITEST_CHECK(ctx, cmp && itest_json_is_null(cJSON_GetObjectItemCaseSensitive(cmp, "gate"), "max_increase_kib"),
                "only the given allowance should apply");
    cJSON_Delete(cmp);
    cJSON_Delete(compare_json(ctx, base, cand, (const char *const[]){"--threshold", "5%", "--max-increase", "8MiB", NULL}, 0));
    cJSON_Delete(compare_json(ctx, base, cand, (const char *const[]){"--max-increase", "1M", NULL}, 1));
    /* Gating on the process count alone: unchanged, so within whatever the memory did. */
    cJSON_Delete(compare_json(ctx, base, cand, (const char *const[]){"--metric", "count", "--threshold", "0", NULL}, 0));
}

/* The original tool's schema: peaks read as sampled, the upper bound unknown, never invented. */
static void compare_seed(struct itest_ctx *ctx)
{
    char base[ITEST_PATH_MAX], cand[ITEST_PATH_MAX];
    itest_path(ctx, "seed.json", base, sizeof base);
    FILE *f = fopen(base, "w");
    if (!ITEST_CHECK(ctx, f != NULL, "cannot write %s", base))
        return;
    fputs("{\"command\":[\"alloc_hold\",\"32\"],\"start_time\":\"2026-11-22T02:06:18.000Z\","
          "\"end_time\":\"2026-11-22T02:06:20.500Z\",\"duration_seconds\":2.5,\"interval_ms\":100,"
          "\"max_total_rss_kib\":32500,\"processes\":[{\"pid\":9,\"ppid\":1,\"command\":\"alloc_hold 32 100\","
          "\"max_rss_kib\":32500,\"first_seen\":\"2026-11-22T02:06:18.100Z\","
          "\"last_seen\":\"2026-11-22T02:06:19.000Z\"}]}\n",
          f);
    fclose(f);
    compare_profile(ctx, "cand.json", "32", cand, sizeof cand);
    cJSON *cmp = compare_json(ctx, base, cand, NULL, 0);
    compare_expect_str(ctx, cJSON_GetObjectItemCaseSensitive(cmp, "base"), "schema", "original", "base");
    const cJSON *row = compare_row_where(cmp, "group", "alloc_hold");
    compare_expect_str(ctx, row, "base_kind", "sampled", "alloc_hold row");
    ITEST_CHECK(ctx, row && cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(row, "change_exact")),
                "a change from a sampled peak must not be called exact");
    const cJSON *upper = compare_row_where(cmp, "metric", "total-upper");
    ITEST_CHECK(ctx, upper && itest_json_is_null(upper, "base"), "the seed's upper bound must be unknown (null)");
    compare_expect_str(ctx, upper, "status", "unknown", "total-upper row");
    cJSON_Delete(cmp);
}

/* Groups are matched by a key that means the same in both runs: exe when both were grouped by it, else the
 * program's name (a parent's pid names nothing in another run), said when a run was grouped otherwise. */
static void compare_groupings(struct itest_ctx *ctx)
{
    char base[ITEST_PATH_MAX], cand[ITEST_PATH_MAX], exe[ITEST_PATH_MAX];
    compare_profile_by(ctx, "base.json", "32", "exe", base, sizeof base);
    compare_profile_by(ctx, "cand.json", "32", "exe", cand, sizeof cand);
    cJSON *cmp = compare_json(ctx, base, cand, NULL, 0);
    snprintf(exe, sizeof exe, "%s/alloc_hold", ctx->wldir);
    char real[ITEST_PATH_MAX];
    const char *key = realpath(exe, real) ? real : exe;
    ITEST_CHECK(ctx, compare_row_where(cmp, "group", key) != NULL, "both grouped by exe: no row for '%s'", key);
    cJSON_Delete(cmp);

    compare_profile_by(ctx, "base.json", "32", "ppid", base, sizeof base);
    compare_profile_by(ctx, "cand.json", "32", "command", cand, sizeof cand);
    struct itest_run r;
    int code = compare_memwatch(ctx, &r, (const char *const[]){"compare", "--json=cmp.json", base, cand, NULL});
    char *err = itest_read_file(r.err_path, 65536, NULL);
    ITEST_CHECK(ctx, code == 0, "ppid against command: exit %d", code);
    ITEST_CHECK(ctx, err && strstr(err, "groups are matched by command (the base was grouped by ppid"),
                "the regrouping is not said: %s", err ? err : "");
    free(err);
    char out[ITEST_PATH_MAX];
    cmp = itest_json_load(ctx, itest_path(ctx, "cmp.json", out, sizeof out));
    compare_expect_str(ctx, compare_row_where(cmp, "group", "alloc_hold"), "status", "same", "alloc_hold row");
    cJSON_Delete(cmp);
}

/* Each bad input: exit 125, one line naming the file, no output written. */
static void compare_bad(struct itest_ctx *ctx)
{
    char good[ITEST_PATH_MAX], out[ITEST_PATH_MAX], opt[ITEST_PATH_MAX + 8];
    compare_profile(ctx, "good.json", "8", good, sizeof good);
    static const struct {
        const char *name;
        const char *text; /* NULL: the file does not exist */
        const char *says;
    } cases[] = {
        {"missing.json", NULL, "No such file"},
        {"notjson.json", "memory: lots\n", "not valid JSON"},
        {"array.json", "[1, 2, 3]\n", "a report is a JSON object"},
        {"other.json", "{\"name\": \"package\", \"version\": \"1.0\"}\n", "not a memwatch report"},
        {"negative.json", "{\"start_time\":\"2026-11-22T02:06:18.000Z\",\"end_time\":\"2026-11-22T02:06:19.000Z\","
                          "\"processes\":[{\"pid\":9,\"command\":\"cc\",\"max_rss_kib\":-5,"
                          "\"first_seen\":\"2026-11-22T02:06:18.100Z\",\"last_seen\":\"2026-11-22T02:06:18.500Z\"}]}",
         "max_rss_kib"},
        {"absurd.json", "{\"start_time\":\"2026-11-22T02:06:18.000Z\",\"end_time\":\"2026-11-22T02:06:19.000Z\","
                        "\"processes\":[{\"pid\":9,\"command\":\"cc\",\"max_rss_kib\":1e18,"
                        "\"first_seen\":\"2026-11-22T02:06:18.100Z\",\"last_seen\":\"2026-11-22T02:06:18.500Z\"}]}",
         "max_rss_kib"},
        {"backwards.json", "{\"start_time\":\"2026-11-22T02:06:18.000Z\",\"end_time\":\"2026-11-21T02:06:19.000Z\","
                           "\"processes\":[]}",
         "before start_time"},
        {"empty.json", "", "not valid JSON"},
    };
    itest_path(ctx, "out.json", out, sizeof out);
    snprintf(opt, sizeof opt, "--json=%s", out);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char path[ITEST_PATH_MAX];
        itest_path(ctx, cases[i].name, path, sizeof path);
        if (cases[i].text) {
            FILE *f = fopen(path, "w");
            if (f) {
                fputs(cases[i].text, f);
                fclose(f);
            }
        }
        for (int side = 0; side < 2; side++) {
            struct itest_run r;
            int code = compare_memwatch(ctx, &r, (const char *const[]){"compare", opt, side ? good : path,
                                                                        side ? path : good, NULL});
            char *err = itest_read_file(r.err_path, 65536, NULL);
            size_t lines = 0;
            for (const char *c = err; c && *c; c++)
                lines += *c == '\n';
            ITEST_CHECK(ctx, code == 125, "%s: exit %d, expected 125", cases[i].name, code);
            ITEST_CHECK(ctx, err && lines == 1 && strstr(err, cases[i].name) && strstr(err, cases[i].says),
                        "%s: stderr should be one line naming the file and saying '%s': %s", cases[i].name,
                        cases[i].says, err ? err : "(none)");
            ITEST_CHECK(ctx, !itest_exists(out), "%s: --json was written despite the bad input", cases[i].name);
            free(err);
        }
    }
}

/* memwatch ci-check --baseline DIR/baseline.json [extra] -- JOB: returns its code; stderr into *err. */
static int ci_check(struct itest_ctx *ctx, const char *const *job, const char *extra, char **err)
{
    char base[ITEST_PATH_MAX], opt[ITEST_PATH_MAX + 16];
    const char *args[ITEST_ARGS_MAX];
    size_t n = 0;
    struct itest_run r;
    snprintf(opt, sizeof opt, "--baseline=%s", itest_path(ctx, "baseline.json", base, sizeof base));
    args[n++] = "ci-check";
    args[n++] = opt;
    if (extra)
        args[n++] = extra;
    args[n++] = "--";
    for (size_t i = 0; job[i] && n < ITEST_ARGS_MAX - 1; i++)
        args[n++] = job[i];
    args[n] = NULL;
    int code = compare_memwatch(ctx, &r, args);
    *err = itest_read_file(r.err_path, 1 << 20, NULL);
    return code;
}

static void compare_ci_check(struct itest_ctx *ctx)
{
    char prog[ITEST_PATH_MAX], base[ITEST_PATH_MAX], script[ITEST_PATH_MAX * 2], marker[ITEST_PATH_MAX];
    char *err = NULL;
    snprintf(prog, sizeof prog, "%s/alloc_hold", ctx->wldir);
    itest_path(ctx, "baseline.json", base, sizeof base);
    const char *const light[] = {prog, "32", COMPARE_HOLD_MS, NULL};
    const char *const heavy[] = {prog, "64", COMPARE_HOLD_MS, NULL};

    int code = ci_check(ctx, light, NULL, &err);
    ITEST_CHECK(ctx, code == 0, "first ci-check exited %d, expected 0", code);
    ITEST_CHECK(ctx, err && strstr(err, "wrote this run's report there"), "first ci-check did not say it wrote "
                "the baseline: %s", err ? err : "");
    free(err);
    size_t base_len = 0;
    char *first = itest_read_file(base, 1 << 22, &base_len);
    ITEST_CHECK(ctx, first && strstr(first, "\"processes\""), "the baseline was not written as a report");

    code = ci_check(ctx, light, NULL, &err);
    ITEST_CHECK(ctx, code == 0, "second ci-check (same job) exited %d, expected 0", code);
    ITEST_CHECK(ctx, err && strstr(err, "Verdict: within"), "second ci-check's verdict: %s", err ? err : "");
    free(err);

    code = ci_check(ctx, heavy, NULL, &err);
    ITEST_CHECK(ctx, code == 13, "heavier ci-check exited %d, expected 13", code);
    ITEST_CHECK(ctx, err && strstr(err, "Verdict: REGRESSION"), "heavier ci-check's verdict: %s", err ? err : "");
    free(err);

    /* The job's own failure wins over the regression. */
    snprintf(script, sizeof script, "%s 64 %s; exit 3", prog, COMPARE_HOLD_MS);
    code = ci_check(ctx, (const char *const[]){"/bin/sh", "-c", script, NULL}, NULL, &err);
    ITEST_CHECK(ctx, code == 3, "failing heavier job: ci-check exited %d, expected the job's 3", code);
    free(err);

    char *after = itest_read_file(base, 1 << 22, NULL);
    ITEST_CHECK(ctx, first && after && strcmp(first, after) == 0, "ci-check changed an existing baseline");
    free(first);
    free(after);

    /* A bad baseline is refused before the job starts. */
    FILE *f = fopen(base, "w");
    if (f) {
        fputs("{ broken", f);
        fclose(f);
    }
    snprintf(script, sizeof script, "touch %s", itest_path(ctx, "ran", marker, sizeof marker));
    code = ci_check(ctx, (const char *const[]){"/bin/sh", "-c", script, NULL}, NULL, &err);
    ITEST_CHECK(ctx, code == 125 && err && strstr(err, "baseline.json' is not a memwatch report: not valid JSON"),
                "bad baseline: exit %d, stderr %s", code, err ? err : "");
    ITEST_CHECK(ctx, !itest_exists(marker), "the job ran although the baseline was bad");
    free(err);
}

int scenario_compare(struct itest_ctx *ctx, const char *arg)
{
    if (strcmp(arg, "improve") == 0)
        compare_improve(ctx);
    else if (strcmp(arg, "regress") == 0)
        compare_regress(ctx);
    else if (strcmp(arg, "threshold") == 0)
        compare_threshold(ctx);
    else if (strcmp(arg, "seed") == 0)
        compare_seed(ctx);
    else if (strcmp(arg, "bad") == 0)
        compare_bad(ctx);
    else if (strcmp(arg, "groupings") == 0)
        compare_groupings(ctx);
    else if (strcmp(arg, "ci_check") == 0)
        compare_ci_check(ctx);
    else
        ITEST_CHECK(ctx, false, "no compare case '%s'", arg);
    return 0;
}
