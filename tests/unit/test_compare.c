/* Comparing two runs: the gate's arithmetic, group matching, kinds travelling with figures, the metric
 * names, and the three formats (the table fits its width; Markdown renders hostile names as text). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "compare/compare.h"
#include "report/format.h"

#define ERR_MAX 512
#define TEXT_MAX 8192

/* A memwatch report of one process per (name, KiB, kind) triple, all alive together for a second. */
static char *make_report(const char *const *names, const unsigned *kib, const char *const *kinds, size_t n)
{
    static char text[TEXT_MAX];
    size_t used = (size_t)snprintf(text, sizeof text,
                                   "{\"schema_version\":1,\"memwatch_version\":\"test\",\"command\":[\"make\"],"
                                   "\"start_time\":\"2026-11-22T02:06:18.000Z\",\"end_time\":\"2026-11-22T02:06:"
                                   "20.000Z\",\"agent\":true,\"processes\":[");
    for (size_t i = 0; i < n; i++) {
        bool exact = strcmp(kinds[i], "exact") == 0;
        used += (size_t)snprintf(
            text + used, sizeof text - used,
            "%s{\"pid\":%zu,\"ppid\":1,\"first_seen\":\"2026-11-22T02:06:18.100Z\",\"last_seen\":\"2026-11-22T02:06:"
            "19.100Z\",\"end\":\"exited\",\"exit_code\":0%s,\"images\":[{\"argv\":[\"%s\"],\"agent\":%s,"
            "\"start\":\"2026-11-22T02:06:18.100Z\",\"end\":\"2026-11-22T02:06:19.100Z\",\"peak_kib\":%u,"
            "\"peak_kind\":\"%s\"}]}",
            i ? "," : "", 100 + i, exact ? ",\"bound_kib\":0" : "", names[i], exact ? "true" : "false", kib[i],
            kinds[i]);
    }
    snprintf(text + used, sizeof text - used, "]}");
    return text;
}

struct pair {
    struct report_file base, cand;
    struct compare_result r;
};

static void compare_pair(struct pair *p, const char *base_text, const char *cand_text, const struct compare_gate *g)
{
    char err[ERR_MAX] = "";
    char *copy = strdup(cand_text); /* make_report's buffer is reused */
    assert_int_equal(report_file_parse(&p->base, "base.json", base_text, err, sizeof err), 0);
    assert_int_equal(report_file_parse(&p->cand, "cand.json", copy, err, sizeof err), 0);
    free(copy);
    assert_int_equal(compare_build(&p->r, &p->base, &p->cand, g), 0);
}

static void pair_free(struct pair *p)
{
    compare_free(&p->r);
    report_file_free(&p->cand);
    report_file_free(&p->base);
}

static const struct compare_row *find_group(const struct compare_result *r, const char *name)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (r->rows[i].group && strcmp(r->rows[i].group, name) == 0)
            return &r->rows[i];
    return NULL;
}

static const struct compare_row *find_metric(const struct compare_result *r, enum compare_metric m)
{
    for (size_t i = 0; i < r->n_rows; i++)
        if (r->rows[i].metric == m)
            return &r->rows[i];
    return NULL;
}

static struct compare_gate default_gate(void)
{
    struct compare_gate g = {.metrics = COMPARE_DEFAULT_METRICS};
    compare_gate_defaults(&g);
    return g;
}

static void test_metrics_parse(void **state)
{
    (void)state;
    unsigned bits = 0;
    char err[ERR_MAX];
    assert_int_equal(compare_metrics_parse("groups", &bits, err, sizeof err), 0);
    assert_int_equal(bits, COMPARE_METRIC_BIT(COMPARE_GROUPS));
    assert_int_equal(compare_metrics_parse("total,total-upper,count", &bits, err, sizeof err), 0);
    assert_int_equal(bits, COMPARE_METRIC_BIT(COMPARE_TOTAL) | COMPARE_METRIC_BIT(COMPARE_TOTAL_UPPER) |
                               COMPARE_METRIC_BIT(COMPARE_COUNT));
    assert_int_equal(compare_metrics_parse("all", &bits, err, sizeof err), 0);
    assert_int_equal(bits, COMPARE_METRIC_BIT(COMPARE_METRICS) - 1);
    assert_int_equal(compare_metrics_parse("total,", &bits, err, sizeof err), -1);
    assert_int_equal(compare_metrics_parse("tot", &bits, err, sizeof err), -1);
    assert_non_null(strstr(err, "'tot' is not a metric"));
    assert_int_equal(compare_metrics_parse("", &bits, err, sizeof err), -1);
}

/* Groups matched by name; one grew beyond both allowances, one within, one new, one gone; the worst first. */
static void test_groups_matched_and_judged(void **state)
{
    (void)state;
    struct pair p;
    struct compare_gate g = default_gate();
    char *base = strdup(make_report((const char *[]){"cc1", "ld", "as", "old"}, (unsigned[]){100000, 50000, 4000, 9000},
                                    (const char *[]){"exact", "exact", "exact", "exact"}, 4));
    const char *cand = make_report((const char *[]){"cc1", "ld", "as", "new"}, (unsigned[]){130000, 52000, 4500, 7000},
                                   (const char *[]){"exact", "exact", "exact", "exact"}, 4);
    compare_pair(&p, base, cand, &g);
    free(base);

    const struct compare_row *cc1 = find_group(&p.r, "cc1");
    assert_non_null(cc1);
    assert_int_equal(cc1->status, COMPARE_REGRESSED); /* +30 %, +29.3 MiB */
    assert_true(cc1->exact);
    assert_true(fabs(cc1->change_pct - 30.0) < 1e-9);
    assert_int_equal(find_group(&p.r, "ld")->status, COMPARE_SAME); /* +4 % */
    /* +12.5 % but only +500 KiB: under the 1 MiB allowance, so not a regression. */
    assert_int_equal(find_group(&p.r, "as")->status, COMPARE_SAME);
    assert_int_equal(find_group(&p.r, "new")->status, COMPARE_APPEARED);
    assert_int_equal(find_group(&p.r, "old")->status, COMPARE_VANISHED);
    /* The largest process is cc1 on both sides: a gated regression too. */
    assert_int_equal(find_metric(&p.r, COMPARE_LARGEST)->status, COMPARE_REGRESSED);
    /* So is the proven upper bound of the total: every process was entered by the agent and exited. */
    assert_true(find_metric(&p.r, COMPARE_TOTAL_UPPER)->base.known);
    assert_int_equal(find_metric(&p.r, COMPARE_TOTAL_UPPER)->status, COMPARE_REGRESSED);
    assert_int_equal(p.r.regressed, 3);
    assert_int_equal(p.r.appeared, 1);
    assert_int_equal(p.r.vanished, 1);
    assert_true(compare_failed(&p.r));
    /* Groups: the regression first, the new and the gone last. */
    assert_ptr_equal(&p.r.rows[p.r.n_job_rows], cc1);
    assert_int_equal(p.r.rows[p.r.n_rows - 1].status, COMPARE_VANISHED);
    pair_free(&p);
}

/* Only the allowances given apply; memory allowances never judge a count. */
static void test_allowances(void **state)
{
    (void)state;
    struct pair p;
    char *base = strdup(make_report((const char *[]){"cc1"}, (unsigned[]){100000}, (const char *[]){"exact"}, 1));
    char *cand = strdup(make_report((const char *[]){"cc1"}, (unsigned[]){104000}, (const char *[]){"exact"}, 1));

    struct compare_gate g = {.metrics = COMPARE_DEFAULT_METRICS, .has_threshold = true, .threshold_pct = 3};
    compare_pair(&p, base, cand, &g); /* +4 % > 3 %, no absolute allowance */
    assert_int_equal(find_group(&p.r, "cc1")->status, COMPARE_REGRESSED);
    pair_free(&p);

    g = (struct compare_gate){.metrics = COMPARE_DEFAULT_METRICS, .has_max_increase = true, .max_increase_kib = 4096};
    compare_pair(&p, base, cand, &g); /* +4000 KiB < 4096 */
    assert_int_equal(find_group(&p.r, "cc1")->status, COMPARE_SAME);
    assert_false(compare_failed(&p.r));
    pair_free(&p);

    g = (struct compare_gate){.metrics = COMPARE_METRIC_BIT(COMPARE_COUNT), .has_max_increase = true};
    compare_pair(&p, base, cand, &g); /* the count did not change; memory is not gated */
    assert_int_equal(find_group(&p.r, "cc1")->status, COMPARE_GREW);
    assert_false(compare_failed(&p.r));
    pair_free(&p);

    /* A fall beyond the allowances is an improvement, and never fails. */
    g = default_gate();
    compare_pair(&p, cand, make_report((const char *[]){"cc1"}, (unsigned[]){50000}, (const char *[]){"exact"}, 1), &g);
    assert_int_equal(find_group(&p.r, "cc1")->status, COMPARE_IMPROVED);
    assert_int_equal(find_metric(&p.r, COMPARE_LARGEST)->status, COMPARE_IMPROVED);
    assert_int_equal(find_metric(&p.r, COMPARE_TOTAL)->status, COMPARE_IMPROVED); /* shown, though not gated */
    assert_false(compare_failed(&p.r));
    pair_free(&p);
    free(cand);
    free(base);
}

/* A sampled figure makes the change inexact; an unproven upper bound is unknown, not a number. */
static void test_kinds_travel(void **state)
{
    (void)state;
    struct pair p;
    struct compare_gate g = default_gate();
    char *base = strdup(make_report((const char *[]){"cc1"}, (unsigned[]){100000}, (const char *[]){"sampled"}, 1));
    compare_pair(&p, base, make_report((const char *[]){"cc1"}, (unsigned[]){100000}, (const char *[]){"exact"}, 1), &g);
    const struct compare_row *cc1 = find_group(&p.r, "cc1");
    assert_int_equal(cc1->base.kind, JT_PEAK_SAMPLED);
    assert_int_equal(cc1->cand.kind, JT_PEAK_EXACT);
    assert_false(cc1->exact);
    const struct compare_row *upper = find_metric(&p.r, COMPARE_TOTAL_UPPER);
    assert_false(upper->base.known); /* a process without the agent: nothing bounds the base's total */
    assert_int_equal(upper->status, COMPARE_UNKNOWN);
    const struct compare_row *count = find_metric(&p.r, COMPARE_COUNT);
    assert_int_equal(count->base.kind, JT_PEAK_SAMPLED); /* unseen processes may exist: at least */
    pair_free(&p);
    free(base);
}

static char *capture(int (*write)(FILE *, const struct compare_result *), const struct compare_result *r)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(write(f, r), 0);
    fclose(f);
    return buf;
}

static int write_text_narrow(FILE *f, const struct compare_result *r)
{
    return compare_write_text(f, r, &(struct compare_text_options){.width = 80, .color = false});
}

/* Hostile names: the table keeps to its width and to printable text; Markdown shows them as text; JSON keeps
 * them as they are (valid UTF-8). */
static void test_formats_hostile_names(void **state)
{
    (void)state;
    struct pair p;
    struct compare_gate g = default_gate();
    const char *evil = "a|b<i>*x*_\\\\`[l](http:)";
    const char *longname = "a-program-with-a-name-far-longer-than-any-column-of-the-table-has-room-for";
    char *base = strdup(make_report((const char *[]){evil, longname}, (unsigned[]){1000, 2000},
                                    (const char *[]){"exact", "exact"}, 2));
    compare_pair(&p, base, make_report((const char *[]){evil, longname}, (unsigned[]){9000, 2000},
                                       (const char *[]){"exact", "exact"}, 2), &g);
    free(base);

    char *text = capture(write_text_narrow, &p.r);
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = '\0';
        assert_true(report_text_columns(line) <= 80);
        line = nl ? nl + 1 : NULL;
    }
    free(text);

    char *md = capture(compare_write_markdown, &p.r);
    assert_non_null(strstr(md, "a\\|b&lt;i&gt;\\*x\\*\\_\\\\\\`\\[l\\]\\(http:\\)"));
    assert_null(strstr(md, "<i>"));
    assert_non_null(strstr(md, "**REGRESSED**"));
    free(md);

    char *json = capture(compare_write_json, &p.r);
    cJSON *root = cJSON_Parse(json);
    assert_non_null(root);
    assert_string_equal(cJSON_GetObjectItem(root, "verdict")->valuestring, "regression");
    bool found = false;
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(root, "rows"))
    {
        const cJSON *grp = cJSON_GetObjectItem(row, "group");
        if (cJSON_IsString(grp) && strcmp(grp->valuestring, "a|b<i>*x*_\\`[l](http:)") == 0)
            found = strcmp(cJSON_GetObjectItem(row, "status")->valuestring, "regressed") == 0;
    }
    assert_true(found);
    cJSON_Delete(root);
    free(json);
    pair_free(&p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_metrics_parse),
        cmocka_unit_test(test_groups_matched_and_judged),
        cmocka_unit_test(test_allowances),
        cmocka_unit_test(test_kinds_travel),
        cmocka_unit_test(test_formats_hostile_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
