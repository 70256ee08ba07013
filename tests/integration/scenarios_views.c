/* Views of the job: --group-by tree nests a known three-level tree (pids and ppids as the workloads recorded
 * them), gives each subtree an honest interval and folds a fan-out in the summary; --group-by exe and ppid
 * key a job that runs one program under two names. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "itest.h"

#define VIEWS_WIDTH 6   /* leaves under each level-1 node */
#define VIEWS_FOLD "2"  /* shown before the fold: "… 4 more fanout" */
#define VIEWS_FOLDED "… 4 more fanout, largest " /* and a size */
#define VIEWS_PROCESSES 15 /* 1 + 2 + 2 * VIEWS_WIDTH */
#define VIEWS_COLUMNS 80   /* the summary's width off a terminal */

static const cJSON *views_children(const cJSON *node) { return cJSON_GetObjectItemCaseSensitive(node, "children"); }

/* Each node's pid has the recorded level and its parent's pid as its recorded ppid; counts add up. */
static void views_check_node(struct itest_ctx *ctx, const struct itest_facts *facts, const cJSON *node,
                             pid_t parent, long level)
{
    pid_t pid = (pid_t)itest_json_num(node, "pid");
    const struct itest_fact *f = NULL;
    for (size_t i = 0; (f = itest_facts_find(facts, "fanout", i)) != NULL; i++)
        if (f->pid == pid)
            break;
    ITEST_CHECK(ctx, f != NULL && f->value == level, "tree node pid %d: expected a fanout of level %ld", (int)pid,
                level);
    if (f != NULL && parent > 0)
        ITEST_CHECK(ctx, f->ppid == parent, "tree node pid %d nested under %d, its ppid is %d", (int)pid,
                    (int)parent, (int)f->ppid);
    int want = level == 2 ? 2 : level == 1 ? VIEWS_WIDTH : 0;
    int got = cJSON_GetArraySize(views_children(node));
    ITEST_CHECK(ctx, got == want, "tree node pid %d (level %ld): %d children, expected %d", (int)pid, level, got, want);
    double count = itest_json_num(node, "subtree_processes");
    double expect = level == 2 ? VIEWS_PROCESSES : level == 1 ? VIEWS_WIDTH + 1 : 1;
    ITEST_CHECK(ctx, count == expect, "tree node pid %d: subtree_processes %.0f, expected %.0f", (int)pid, count,
                expect);
    /* All alive together: the bound covers their exact peaks summed; the lower bound stays under it. */
    double sum = itest_json_num(node, "max_rss_kib");
    const cJSON *c;
    cJSON_ArrayForEach(c, views_children(node))
    {
        views_check_node(ctx, facts, c, pid, level - 1);
        sum += level == 2 ? itest_json_num(c, "subtree_upper_kib") : itest_json_num(c, "max_rss_kib");
    }
    double lower = itest_json_num(node, "subtree_lower_kib"), upper = itest_json_num(node, "subtree_upper_kib");
    ITEST_CHECK(ctx, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(node, "subtree_upper_proven")),
                "tree node pid %d: subtree bound not proven", (int)pid);
    ITEST_CHECK(ctx, lower > 0 && lower <= upper + ITEST_KERNEL_SLACK_KIB && upper + ITEST_KERNEL_SLACK_KIB >= sum,
                "tree node pid %d: subtree %.0f .. %.0f KiB, own and children's peaks %.0f KiB", (int)pid, lower,
                upper, sum);
}

/* Every line of the summary fits its width (columns: UTF-8 characters). */
static void views_check_width(struct itest_ctx *ctx, const char *text)
{
    size_t cols = 0, line = 1;
    for (const unsigned char *c = (const unsigned char *)text; *c; c++) {
        if (*c == '\n') {
            line++;
            cols = 0;
        } else if ((*c & 0xC0) != 0x80 && ++cols == VIEWS_COLUMNS + 1) {
            ITEST_CHECK(ctx, false, "summary line %zu is wider than %d columns", line, VIEWS_COLUMNS);
        }
    }
}

static int views_tree(struct itest_ctx *ctx)
{
    struct itest_run r;
    char width[16];
    snprintf(width, sizeof width, "%d", VIEWS_WIDTH);
    struct itest_opts o = {.agent = true, .interval_ms = 50, .summary = true,
                           .extra = (const char *const[]){"--group-by", "tree", "--tree-fold", VIEWS_FOLD, NULL}};
    setenv("COLUMNS", "80", 1);
    if (itest_run_workload(ctx, &r, &o, "fanout", "2", width, "2048", "600", NULL) != 0)
        return 1;
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){0});
    struct itest_facts facts = {0};
    if (rep == NULL || itest_facts_load(ctx, &facts) != 0)
        return 1;
    const char *group_by = itest_json_str(rep, "group_by");
    ITEST_CHECK(ctx, group_by != NULL && strcmp(group_by, "tree") == 0, "group_by '%s', expected tree",
                group_by ? group_by : "(none)");
    const cJSON *tree = cJSON_GetObjectItemCaseSensitive(rep, "tree");
    ITEST_CHECK(ctx, cJSON_GetArraySize(tree) == 1, "tree: %d top nodes, expected the root alone",
                cJSON_GetArraySize(tree));
    if (cJSON_GetArraySize(tree) == 1)
        views_check_node(ctx, &facts, cJSON_GetArrayItem(tree, 0), 0, 2);

    char *summary = itest_read_file(r.err_path, 1 << 20, NULL);
    ITEST_CHECK(ctx, summary != NULL && strstr(summary, "PROCESS TREE") != NULL, "no PROCESS TREE in the summary");
    const char *fold = summary ? strstr(summary, VIEWS_FOLDED) : NULL;
    bool sized = fold != NULL && fold[strlen(VIEWS_FOLDED)] >= '0' && fold[strlen(VIEWS_FOLDED)] <= '9';
    ITEST_CHECK(ctx, sized && strstr(fold + 1, VIEWS_FOLDED) != NULL,
                "the summary should fold each fan-out ('%s' twice)", VIEWS_FOLDED);
    if (summary != NULL)
        views_check_width(ctx, summary);
    if (ctx->failures > 0)
        itest_dump_file("summary", r.err_path, 8192);
    free(summary);
    itest_facts_free(&facts);
    cJSON_Delete(rep);
    return 0;
}

/* The group named name, or NULL. */
static const cJSON *views_group(const cJSON *rep, const char *name)
{
    const cJSON *g;
    cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(rep, "groups"))
    {
        const char *n = itest_json_str(g, "name");
        if (n != NULL && strcmp(n, name) == 0)
            return g;
    }
    return NULL;
}

/* alloc_hold twice from one shell, once under another name (a symlink): one exe, one parent. */
static int views_groups(struct itest_ctx *ctx, const char *key)
{
    char prog[ITEST_PATH_MAX], alias[ITEST_PATH_MAX], script[3 * ITEST_PATH_MAX];
    snprintf(prog, sizeof prog, "%s/alloc_hold", ctx->wldir);
    itest_path(ctx, "other_name", alias, sizeof alias);
    if (symlink(prog, alias) != 0)
        return ITEST_CHECK(ctx, false, "cannot make the symlink %s", alias), 1;
    snprintf(script, sizeof script, "%s 4 300 & %s 4 300; wait", prog, alias);
    struct itest_run r;
    struct itest_opts o = {.agent = true, .extra = (const char *const[]){"--group-by", key, NULL}};
    itest_run_prepare(ctx, &r, &o);
    itest_run_add(&r, "/bin/sh");
    itest_run_add(&r, "-c");
    itest_run_add(&r, "%s", script);
    if (itest_run(ctx, &r) != 0)
        return 1;
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){0});
    if (rep == NULL)
        return 1;
    char name[ITEST_PATH_MAX];
    if (strcmp(key, "exe") == 0) {
        char *real = realpath(prog, NULL);
        snprintf(name, sizeof name, "%s", real ? real : prog);
        free(real);
    } else {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(rep, "processes"))
            if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "root")))
                snprintf(name, sizeof name, "%.0f", itest_json_num(p, "pid"));
    }
    const char *group_by = itest_json_str(rep, "group_by");
    ITEST_CHECK(ctx, group_by != NULL && strcmp(group_by, key) == 0, "group_by '%s', expected %s",
                group_by ? group_by : "(none)", key);
    const cJSON *g = views_group(rep, name);
    ITEST_CHECK(ctx, g != NULL && itest_json_num(g, "count") == 2, "group '%s' should hold both alloc_hold runs",
                name);
    ITEST_CHECK(ctx, views_group(rep, "other_name") == NULL && views_group(rep, "alloc_hold") == NULL,
                "with --group-by %s no group is keyed by the program's name", key);
    if (ctx->failures > 0)
        itest_dump_file("report", r.json_path, 8192);
    cJSON_Delete(rep);
    return 0;
}

/* --leak-check=fail with a short --leak-min-duration: only the steady leaker is flagged (exit 12). */
static int views_leak(struct itest_ctx *ctx, const char *shape)
{
    struct itest_run r;
    bool leak = strcmp(shape, "leak") == 0;
    struct itest_opts o = {.agent = true, .interval_ms = 50,
                           .extra = (const char *const[]){"--leak-check=fail", "--leak-min-duration", "1s", NULL}};
    if (itest_run_workload(ctx, &r, &o, "memshape", shape, "2000", "32", NULL) != 0)
        return 1;
    ITEST_CHECK(ctx, r.exit_code == (leak ? 12 : 0), "memwatch exited %d for %s, expected %d", r.exit_code, shape,
                leak ? 12 : 0);
    cJSON *rep = itest_json_load(ctx, r.json_path);
    const cJSON *check = cJSON_GetObjectItemCaseSensitive(rep, "leak_check");
    const cJSON *findings = cJSON_GetObjectItemCaseSensitive(check, "findings");
    ITEST_CHECK(ctx, cJSON_GetArraySize(findings) == (leak ? 1 : 0), "%s: %d leak findings, expected %d", shape,
                cJSON_GetArraySize(findings), leak ? 1 : 0);
    if (leak && cJSON_GetArraySize(findings) == 1) {
        const cJSON *f = cJSON_GetArrayItem(findings, 0);
        ITEST_CHECK(ctx, itest_json_num(f, "growth_percent") >= 50 && itest_json_num(f, "end_kib") >= 32 * 1024,
                    "leak finding: growth %.0f%%, end %.0f KiB", itest_json_num(f, "growth_percent"),
                    itest_json_num(f, "end_kib"));
    }
    if (ctx->failures > 0)
        itest_dump_file("report", r.json_path, 8192);
    cJSON_Delete(rep);
    return 0;
}

int scenario_views(struct itest_ctx *ctx, const char *arg)
{
    if (strcmp(arg, "tree") == 0)
        return views_tree(ctx);
    if (strncmp(arg, "leak_", 5) == 0)
        return views_leak(ctx, arg + 5);
    return views_groups(ctx, arg);
}
