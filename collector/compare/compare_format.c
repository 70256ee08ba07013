/* The comparison as a table for a terminal, as JSON and as Markdown: three spellings of one compare_result. */
#include "compare.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../report/format.h"
#include "../report/json_build.h"
#include "../units.h"
#include "../utf8.h"

#define COMPARE_VALUE_MAX 48   /* "≥ 1023.9 GiB" */
#define COMPARE_CHANGE_MAX 64  /* "+1023.9 GiB (+1234.5 %)" */
#define COMPARE_NAME_MAX 1024  /* a label cut to the terminal, with room for UTF-8 */
#define COMPARE_NAME_MIN_COLS 12
#define COMPARE_NAME_MAX_COLS 40
/* The columns after the name: base, candidate, change, percent, kind, gate mark and status. */
#define COMPARE_VALUE_COLS 10
#define COMPARE_DELTA_COLS 11
#define COMPARE_PCT_COLS 9
#define COMPARE_KIND_COLS 8
#define COMPARE_FIXED_COLS (1 + 2 * (COMPARE_VALUE_COLS + 1) + COMPARE_DELTA_COLS + 1 + COMPARE_PCT_COLS + 2 + \
                            COMPARE_KIND_COLS + 1 + 10)
#define COMPARE_CELL_MAX 512   /* one column of the table: at most 40 columns of up to 4 bytes, and padding */
#define COMPARE_LINE_MAX 4096
#define COMPARE_VERSION 1

static const char *const compare_row_labels[COMPARE_METRICS] = {
    [COMPARE_TOTAL] = "total peak",      [COMPARE_TOTAL_UPPER] = "total bound",
    [COMPARE_LARGEST] = "largest process", [COMPARE_DURATION] = "duration",
    [COMPARE_COUNT] = "processes",       [COMPARE_GROUPS] = "group",
};

/* "≥ 85.6 MiB" (a lower bound), "≤ ..." (an upper bound), "85.6 MiB"; "12.3s"; "310"; "?" unknown; "-"
 * when the run has no such group. */
static void compare_value_text(const struct compare_row *row, const struct compare_figure *f, bool present,
                               char *buf, size_t len)
{
    char v[UNITS_SIZE_MAX];
    if (!present) {
        snprintf(buf, len, "-");
        return;
    }
    if (!f->known) {
        snprintf(buf, len, "?");
        return;
    }
    switch (row->metric) {
    case COMPARE_DURATION:
        units_format_elapsed((int64_t)(f->value * 1e9), buf, len);
        return;
    case COMPARE_COUNT:
        snprintf(buf, len, "%s%.0f", f->kind == JT_PEAK_SAMPLED ? "≥ " : "", f->value);
        return;
    default:
        units_format_size((uint64_t)f->value, v, sizeof v);
        snprintf(buf, len, "%s%s", f->kind == JT_PEAK_SAMPLED ? "≥ " : f->kind == JT_PEAK_BOUND ? "≤ " : "", v);
    }
}

/* Whether the gate judged the row: a gated figure both runs have. */
static bool compare_judged(const struct compare_row *row)
{
    return row->gated && row->status != COMPARE_APPEARED && row->status != COMPARE_VANISHED;
}

/* Whether each side ran the group (job-wide rows are always present). */
static bool compare_base_present(const struct compare_row *row) { return row->status != COMPARE_APPEARED; }
static bool compare_cand_present(const struct compare_row *row) { return row->status != COMPARE_VANISHED; }

/* "+6.4 MiB", "-0.6s", "+3", "0"; and "+7.5 %" (empty when it has no meaning). */
static void compare_change_text(const struct compare_row *row, char *abs, size_t abs_len, char *rel, size_t rel_len)
{
    char v[UNITS_SIZE_MAX];
    abs[0] = rel[0] = '\0';
    if (row->status == COMPARE_APPEARED || row->status == COMPARE_VANISHED || row->status == COMPARE_UNKNOWN)
        return;
    const char *sign = row->change > 0 ? "+" : row->change < 0 ? "-" : "";
    double mag = fabs(row->change);
    switch (row->metric) {
    case COMPARE_DURATION:
        units_format_elapsed((int64_t)(mag * 1e9), v, sizeof v);
        break;
    case COMPARE_COUNT:
        snprintf(v, sizeof v, "%.0f", mag);
        break;
    default:
        if (mag == 0)
            snprintf(v, sizeof v, "0");
        else
            units_format_size((uint64_t)mag, v, sizeof v);
    }
    snprintf(abs, abs_len, "%s%s", sign, v);
    if (isinf(row->change_pct))
        snprintf(rel, rel_len, "from 0");
    else if (!isnan(row->change_pct))
        snprintf(rel, rel_len, "%+.1f %%", row->change_pct);
}

/* What the change is worth: "exact" between two exact figures; otherwise the kinds it was made from:
 * "lower" (lower bounds), "upper" (upper bounds), "mixed"; a duration is "measured". */
static const char *compare_change_kind(const struct compare_row *row)
{
    if (row->status == COMPARE_APPEARED || row->status == COMPARE_VANISHED || row->status == COMPARE_UNKNOWN)
        return "";
    if (row->metric == COMPARE_DURATION)
        return "measured";
    if (row->exact)
        return "exact";
    if (row->base.kind == row->cand.kind)
        return row->base.kind == JT_PEAK_BOUND ? "upper" : "lower";
    return "mixed";
}

static const char *compare_status_word(enum compare_status s)
{
    switch (s) {
    case COMPARE_REGRESSED: return "REGRESSED";
    case COMPARE_GREW: return "grew";
    case COMPARE_IMPROVED: return "improved";
    case COMPARE_APPEARED: return "new";
    case COMPARE_VANISHED: return "gone";
    case COMPARE_UNKNOWN: return "unknown";
    case COMPARE_SAME: return "";
    }
    return "";
}

/* "10 % and 1.0 MiB", "10 %", "1.0 MiB". */
static void compare_allowance_text(const struct compare_gate *g, char *buf, size_t len)
{
    char size[UNITS_SIZE_MAX] = "";
    if (g->has_max_increase)
        units_format_size(g->max_increase_kib, size, sizeof size);
    if (g->has_threshold && g->has_max_increase)
        snprintf(buf, len, "%g %% and %s", g->threshold_pct, size);
    else if (g->has_threshold)
        snprintf(buf, len, "%g %%", g->threshold_pct);
    else
        snprintf(buf, len, "%s", size);
}

/* "largest, groups". */
static void compare_metrics_text(unsigned metrics, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int m = 0; m < COMPARE_METRICS; m++)
        if (metrics & COMPARE_METRIC_BIT(m))
            used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s", used ? ", " : "",
                                     compare_metric_name((enum compare_metric)m));
}

/* A row's name; the largest process's says which program it was when there is room (cols). */
static void compare_row_label(const struct compare_row *row, size_t cols, char *buf, size_t len)
{
    if (row->group != NULL)
        snprintf(buf, len, "%s", row->group);
    else if (row->metric == COMPARE_LARGEST && row->cand.detail != NULL &&
             strlen("largest: ") + report_text_columns(row->cand.detail) <= cols)
        snprintf(buf, len, "largest: %s", row->cand.detail);
    else
        snprintf(buf, len, "%s", compare_row_labels[row->metric]);
}

/* ---- the table ---- */

struct compare_text {
    struct report_out out;
    const struct compare_text_options *opt;
    size_t name_cols;
};

static void compare_text_line(struct compare_text *t, const char *line)
{
    char fitted[COMPARE_LINE_MAX];
    report_line_fit(line, t->opt->width, fitted, sizeof fitted);
    for (size_t end = strlen(fitted); end > 0 && fitted[end - 1] == ' ';)
        fitted[--end] = '\0';
    report_out_printf(&t->out, "%s\n", fitted);
}

/* Pads text (which may hold multi-byte characters) to cols columns, left or right aligned; the cell holds
 * what fits of it. */
static void compare_pad(char *buf, size_t len, const char *text, size_t cols, bool right)
{
    size_t have = report_text_columns(text), n = strlen(text);
    size_t pad = have < cols ? cols - have : 0;
    if (pad > len - 1)
        pad = len - 1;
    if (n > len - 1 - pad)
        n = len - 1 - pad;
    memset(buf + (right ? 0 : n), ' ', pad);
    memcpy(buf + (right ? pad : 0), text, n);
    buf[pad + n] = '\0';
}

static void compare_text_row(struct compare_text *t, const struct compare_row *row)
{
    char label[COMPARE_NAME_MAX], name[COMPARE_NAME_MAX], b[COMPARE_VALUE_MAX], c[COMPARE_VALUE_MAX];
    char abs[COMPARE_CHANGE_MAX], rel[COMPARE_CHANGE_MAX], cols[6][COMPARE_CELL_MAX], line[COMPARE_LINE_MAX];
    compare_row_label(row, t->name_cols, label, sizeof label);
    report_text_fit_middle(label, t->name_cols, 0, name, sizeof name);
    compare_value_text(row, &row->base, compare_base_present(row), b, sizeof b);
    compare_value_text(row, &row->cand, compare_cand_present(row), c, sizeof c);
    compare_change_text(row, abs, sizeof abs, rel, sizeof rel);
    compare_pad(cols[0], sizeof cols[0], name, t->name_cols, false);
    compare_pad(cols[1], sizeof cols[1], b, COMPARE_VALUE_COLS, true);
    compare_pad(cols[2], sizeof cols[2], c, COMPARE_VALUE_COLS, true);
    compare_pad(cols[3], sizeof cols[3], abs, COMPARE_DELTA_COLS, true);
    compare_pad(cols[4], sizeof cols[4], rel, COMPARE_PCT_COLS, true);
    compare_pad(cols[5], sizeof cols[5], compare_change_kind(row), COMPARE_KIND_COLS, false);
    const char *status = compare_status_word(row->status);
    bool red = row->status == COMPARE_REGRESSED, green = row->status == COMPARE_IMPROVED;
    const char *on = t->opt->color && (red || green) ? (red ? "\033[1;31m" : "\033[32m") : "";
    const char *off = on[0] ? "\033[0m" : "";
    snprintf(line, sizeof line, "%s %s %s %s %s  %s %s%s%s%s", cols[0], cols[1], cols[2], cols[3], cols[4],
             cols[5], compare_judged(row) ? "*" : " ", on, status, off);
    compare_text_line(t, line);
}

static void compare_text_run(struct compare_text *t, const char *role, const struct report_file *run)
{
    char line[COMPARE_LINE_MAX], start[64], *cmd = jobtable_join_argv(run->jt.job.argv, run->jt.job.argc);
    report_format_instant(&run->jt, run->jt.job.start_ns, start, sizeof start);
    snprintf(line, sizeof line, "%-10s %s  (%s, %zu %s%s)  %s", role, run->path, start,
             run->view.n_processes, run->view.n_processes == 1 ? "process" : "processes", run->seed ? ", original tool's schema: peaks sampled" : "",
             cmd && cmd[0] ? cmd : "");
    char *clean = NULL;
    const char *text = utf8_clean(line, &clean);
    compare_text_line(t, text ? text : line);
    free(clean);
    free(cmd);
}

static void compare_text_verdict(struct compare_text *t, const struct compare_result *r)
{
    char line[COMPARE_LINE_MAX], allow[96], metrics[128], label[COMPARE_NAME_MAX], abs[COMPARE_CHANGE_MAX],
        rel[COMPARE_CHANGE_MAX];
    compare_allowance_text(&r->gate, allow, sizeof allow);
    compare_metrics_text(r->gate.metrics, metrics, sizeof metrics);
    snprintf(line, sizeof line, "Gate (*): %s; fails above +%s", metrics, allow);
    compare_text_line(t, line);
    if (r->worst == NULL) {
        snprintf(line, sizeof line, "Verdict: within (%zu improved, %zu new, %zu gone)", r->improved, r->appeared,
                 r->vanished);
    } else {
        compare_row_label(r->worst, COMPARE_NAME_MAX_COLS, label, sizeof label);
        compare_change_text(r->worst, abs, sizeof abs, rel, sizeof rel);
        snprintf(line, sizeof line, "Verdict: REGRESSION (%zu): %s %s, %s, %s", r->regressed, label, abs, rel,
                 compare_change_kind(r->worst));
    }
    compare_text_line(t, line);
}

int compare_write_text(FILE *out, const struct compare_result *r, const struct compare_text_options *opt)
{
    struct compare_text t = {.opt = opt};
    char line[COMPARE_LINE_MAX], head[6][COMPARE_CELL_MAX];
    report_out_init(&t.out, out);
    size_t want = COMPARE_NAME_MIN_COLS;
    for (size_t i = 0; i < r->n_rows; i++) {
        char label[COMPARE_NAME_MAX];
        compare_row_label(&r->rows[i], COMPARE_NAME_MAX_COLS, label, sizeof label);
        size_t c = report_text_columns(label);
        if (c > want)
            want = c;
    }
    size_t room = opt->width > COMPARE_FIXED_COLS + COMPARE_NAME_MIN_COLS ? opt->width - COMPARE_FIXED_COLS
                                                                           : COMPARE_NAME_MIN_COLS;
    t.name_cols = want < room ? want : room;
    if (t.name_cols > COMPARE_NAME_MAX_COLS)
        t.name_cols = COMPARE_NAME_MAX_COLS;
    compare_text_run(&t, "base", r->base);
    compare_text_run(&t, "candidate", r->cand);
    compare_text_line(&t, "");
    compare_pad(head[0], sizeof head[0], "FIGURE", t.name_cols, false);
    compare_pad(head[1], sizeof head[1], "BASE", COMPARE_VALUE_COLS, true);
    compare_pad(head[2], sizeof head[2], "CANDIDATE", COMPARE_VALUE_COLS, true);
    compare_pad(head[3], sizeof head[3], "CHANGE", COMPARE_DELTA_COLS, true);
    compare_pad(head[4], sizeof head[4], "", COMPARE_PCT_COLS, true);
    snprintf(line, sizeof line, "%s %s %s %s %s  %s", head[0], head[1], head[2], head[3], head[4], "KIND");
    compare_text_line(&t, line);
    for (size_t i = 0; i < r->n_rows; i++) {
        if (i == r->n_job_rows) {
            compare_pad(head[0], sizeof head[0],
                        r->group_by == JT_GROUP_EXE ? "EXE (largest process)" : "GROUP (largest process)",
                        t.name_cols, false);
            compare_text_line(&t, head[0]);
        }
        compare_text_row(&t, &r->rows[i]);
    }
    compare_text_line(&t, "");
    compare_text_verdict(&t, r);
    return report_out_finish(&t.out);
}

/* ---- JSON ---- */

static cJSON *compare_json_run(struct json_builder *b, const struct report_file *run)
{
    char start[64];
    cJSON *o = json_check(b, cJSON_CreateObject());
    cJSON *cmd = json_check(b, cJSON_CreateArray());
    json_string(b, o, "file", run->path);
    json_string(b, o, "schema", run->seed ? "original" : "memwatch");
    json_string(b, o, "memwatch_version", run->jt.job.memwatch_version);
    for (uint32_t i = 0; cmd && i < run->jt.job.argc; i++) {
        cJSON *word = json_text(b, run->jt.job.argv[i]);
        if (word)
            cJSON_AddItemToArray(cmd, word);
    }
    json_add(b, o, "command", cmd);
    report_format_instant(&run->jt, run->jt.job.start_ns, start, sizeof start);
    json_string(b, o, "start_time", start);
    json_number(b, o, "process_count", (double)run->view.n_processes);
    return o;
}

static const char *compare_unit_name(enum compare_metric m)
{
    return m == COMPARE_DURATION ? "seconds" : m == COMPARE_COUNT ? "processes" : "KiB";
}

static const char *compare_kind_json(const struct compare_figure *f)
{
    return f->known ? report_peak_kind_name(f->kind) : NULL;
}

static cJSON *compare_json_row(struct json_builder *b, const struct compare_row *row)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    bool both = row->base.known && row->cand.known && row->status != COMPARE_APPEARED &&
                row->status != COMPARE_VANISHED;
    json_string(b, o, "metric", compare_metric_name(row->metric));
    json_string(b, o, "group", row->group);
    json_string(b, o, "unit", compare_unit_name(row->metric));
    json_number_or_null(b, o, "base", row->base.known && compare_base_present(row), row->base.value);
    json_string(b, o, "base_kind", compare_base_present(row) ? compare_kind_json(&row->base) : NULL);
    json_number_or_null(b, o, "candidate", row->cand.known && compare_cand_present(row), row->cand.value);
    json_string(b, o, "candidate_kind", compare_cand_present(row) ? compare_kind_json(&row->cand) : NULL);
    if (row->metric == COMPARE_LARGEST) {
        json_string(b, o, "base_group", row->base.detail);
        json_string(b, o, "candidate_group", row->cand.detail);
    }
    json_number_or_null(b, o, "change", both, row->change);
    json_number_or_null(b, o, "change_percent", both, row->change_pct);
    json_add(b, o, "change_exact", cJSON_CreateBool(both && row->exact));
    json_add(b, o, "gated", cJSON_CreateBool(row->gated));
    json_string(b, o, "status", compare_status_name(row->status));
    return o;
}

static cJSON *compare_json_gate(struct json_builder *b, const struct compare_gate *g)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    cJSON *metrics = json_check(b, cJSON_CreateArray());
    for (int m = 0; metrics && m < COMPARE_METRICS; m++)
        if (g->metrics & COMPARE_METRIC_BIT(m)) {
            cJSON *s = json_check(b, cJSON_CreateString(compare_metric_name((enum compare_metric)m)));
            if (s)
                cJSON_AddItemToArray(metrics, s);
        }
    json_add(b, o, "metrics", metrics);
    json_number_or_null(b, o, "threshold_percent", g->has_threshold, g->threshold_pct);
    json_number_or_null(b, o, "max_increase_kib", g->has_max_increase, (double)g->max_increase_kib);
    return o;
}

int compare_write_json(FILE *out, const struct compare_result *r)
{
    struct json_builder b = {0};
    cJSON *root = json_check(&b, cJSON_CreateObject());
    cJSON *rows = json_check(&b, cJSON_CreateArray());
    json_number(&b, root, "compare_version", COMPARE_VERSION);
    json_string(&b, root, "verdict", compare_failed(r) ? "regression" : "within");
    json_add(&b, root, "base", compare_json_run(&b, r->base));
    json_add(&b, root, "candidate", compare_json_run(&b, r->cand));
    json_add(&b, root, "gate", compare_json_gate(&b, &r->gate));
    json_number_or_null(&b, root, "regressed", true, (double)r->regressed);
    json_number_or_null(&b, root, "improved", true, (double)r->improved);
    json_number_or_null(&b, root, "appeared", true, (double)r->appeared);
    json_number_or_null(&b, root, "vanished", true, (double)r->vanished);
    for (size_t i = 0; rows && i < r->n_rows; i++) {
        cJSON *row = compare_json_row(&b, &r->rows[i]);
        if (row)
            cJSON_AddItemToArray(rows, row);
    }
    json_add(&b, root, "rows", rows);
    char *text = b.failed ? NULL : cJSON_Print(root);
    cJSON_Delete(root);
    if (text == NULL) {
        errno = ENOMEM;
        return -1;
    }
    struct report_out o;
    report_out_init(&o, out);
    report_out_printf(&o, "%s\n", text);
    free(text);
    return report_out_finish(&o);
}

/* ---- Markdown ---- */

/* Text from a report (a group is a program's name: anything) as Markdown that renders as that text: HTML
 * and Markdown punctuation escaped, control characters shown as '?', a table's '|' kept in its cell. */
static void compare_md_text(struct report_out *o, const char *text)
{
    char *clean = NULL;
    const char *s = utf8_clean(text, &clean);
    for (; s && *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f)
            report_out_puts(o, "?");
        else if (ch == '<')
            report_out_puts(o, "&lt;");
        else if (ch == '>')
            report_out_puts(o, "&gt;");
        else if (ch == '&')
            report_out_puts(o, "&amp;");
        else if (strchr("\\`*_{}[]()#+-.!|~", ch))
            report_out_printf(o, "\\%c", ch);
        else
            report_out_printf(o, "%c", ch);
    }
    free(clean);
}

static void compare_md_row(struct report_out *o, const struct compare_row *row)
{
    char label[COMPARE_NAME_MAX], b[COMPARE_VALUE_MAX], c[COMPARE_VALUE_MAX], abs[COMPARE_CHANGE_MAX],
        rel[COMPARE_CHANGE_MAX];
    compare_row_label(row, COMPARE_NAME_MAX_COLS, label, sizeof label);
    compare_value_text(row, &row->base, compare_base_present(row), b, sizeof b);
    compare_value_text(row, &row->cand, compare_cand_present(row), c, sizeof c);
    compare_change_text(row, abs, sizeof abs, rel, sizeof rel);
    const char *status = compare_status_word(row->status);
    report_out_printf(o, "| %s%s%s | ", row->status == COMPARE_REGRESSED ? "**" : "", status,
                      row->status == COMPARE_REGRESSED ? "**" : "");
    if (row->group)
        report_out_puts(o, "group ");
    compare_md_text(o, label);
    report_out_printf(o, "%s | %s | %s | %s%s%s%s | %s |\n", compare_judged(row) ? " \\*" : "", b, c, abs,
                      rel[0] ? " (" : "", rel, rel[0] ? ")" : "", compare_change_kind(row));
}

static void compare_md_run(struct report_out *o, const char *role, const struct report_file *run)
{
    char start[64];
    report_format_instant(&run->jt, run->jt.job.start_ns, start, sizeof start);
    report_out_printf(o, "- %s: ", role);
    compare_md_text(o, run->path);
    report_out_printf(o, " (%s, %zu %s%s)\n", start, run->view.n_processes,
                      run->view.n_processes == 1 ? "process" : "processes",
                      run->seed ? ", original tool's schema: peaks sampled" : "");
}

int compare_write_markdown(FILE *out, const struct compare_result *r)
{
    struct report_out o;
    char allow[96], metrics[128];
    report_out_init(&o, out);
    compare_allowance_text(&r->gate, allow, sizeof allow);
    compare_metrics_text(r->gate.metrics, metrics, sizeof metrics);
    if (compare_failed(r))
        report_out_printf(&o, "### memwatch: memory regression in %zu %s\n\n", r->regressed,
                          r->regressed == 1 ? "figure" : "figures");
    else
        report_out_puts(&o, "### memwatch: memory within the gate\n\n");
    compare_md_run(&o, "Base", r->base);
    compare_md_run(&o, "Candidate", r->cand);
    report_out_printf(&o, "\nGate: %s (marked \\*); a regression grows by more than %s. "
                          "≥ is a lower bound (sampled), ≤ an upper bound.\n\n",
                      metrics, allow);
    report_out_puts(&o, "| Status | Figure | Base | Candidate | Change | Kind |\n"
                        "|---|---|---:|---:|---:|---|\n");
    for (size_t i = 0; i < r->n_rows; i++)
        compare_md_row(&o, &r->rows[i]);
    return report_out_finish(&o);
}
