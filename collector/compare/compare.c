/* Two runs side by side: the figures of each, their change, and the gate's verdict on it. */
#include "compare.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>



static const char *const compare_metric_names[COMPARE_METRICS] = {
    [COMPARE_TOTAL] = "total",       [COMPARE_TOTAL_UPPER] = "total-upper", [COMPARE_LARGEST] = "largest",
    [COMPARE_DURATION] = "duration", [COMPARE_COUNT] = "count",             [COMPARE_GROUPS] = "groups",
};

const char *compare_metric_name(enum compare_metric m)
{
    return (unsigned)m < COMPARE_METRICS ? compare_metric_names[m] : "?";
}

int compare_metrics_parse(const char *text, unsigned *bits, char *err, size_t errlen)
{
    unsigned set = 0;
    const char *word = text;
    for (;;) {
        size_t len = strcspn(word, ",");
        bool found = false;
        if (len == 3 && strncmp(word, "all", 3) == 0) {
            set |= COMPARE_METRIC_BIT(COMPARE_METRICS) - 1;
            found = true;
        }
        for (int m = 0; m < COMPARE_METRICS && !found; m++)
            if (strlen(compare_metric_names[m]) == len && strncmp(word, compare_metric_names[m], len) == 0) {
                set |= COMPARE_METRIC_BIT(m);
                found = true;
            }
        if (!found) {
            snprintf(err, errlen, "'%.*s' is not a metric (total, total-upper, largest, duration, count, groups, all)",
                     (int)(len < 64 ? len : 64), word);
            return -1;
        }
        if (word[len] == '\0')
            break;
        word += len + 1;
    }
    *bits = set;
    return 0;
}

void compare_gate_defaults(struct compare_gate *g)
{
    g->has_threshold = true;
    g->threshold_pct = COMPARE_DEFAULT_THRESHOLD_PCT;
    g->has_max_increase = true;
    g->max_increase_kib = COMPARE_DEFAULT_MAX_INCREASE_BYTES / 1024;
}

const char *compare_status_name(enum compare_status s)
{
    switch (s) {
    case COMPARE_SAME: return "same";
    case COMPARE_REGRESSED: return "regressed";
    case COMPARE_GREW: return "grew";
    case COMPARE_IMPROVED: return "improved";
    case COMPARE_APPEARED: return "appeared";
    case COMPARE_VANISHED: return "vanished";
    case COMPARE_UNKNOWN: return "unknown";
    }
    return "?";
}

static struct compare_figure compare_peak_figure(struct jt_peak peak, const char *detail)
{
    return (struct compare_figure){.known = peak.kind != JT_PEAK_NONE, .value = (double)peak.kib,
                                   .kind = peak.kind, .detail = detail};
}

/* A job-wide figure of one run. */
static struct compare_figure compare_job_figure(const struct report_file *run, enum compare_metric m)
{
    const struct report_view *v = &run->view;
    struct compare_figure f = {.known = true, .kind = JT_PEAK_EXACT};
    switch (m) {
    case COMPARE_TOTAL:
        f.known = v->total_lower.source != REPORT_LOWER_NONE;
        f.value = (double)v->total_lower.kib;
        f.kind = JT_PEAK_SAMPLED; /* a lower bound, whatever it came from */
        break;
    case COMPARE_TOTAL_UPPER:
        /* An unproven upper bound is no bound of the truth: unknown. */
        f.known = v->total_upper.proven;
        f.value = (double)v->total_upper.kib;
        f.kind = JT_PEAK_BOUND;
        break;
    case COMPARE_LARGEST: {
        const struct jt_image *img = v->largest ? jobtable_current_image(v->largest) : NULL;
        return compare_peak_figure(v->largest_peak, img ? jobtable_group_name(img) : NULL);
    }
    case COMPARE_DURATION:
        f.value = (double)(run->jt.job.end_ns - run->jt.job.start_ns) / 1e9;
        break;
    case COMPARE_COUNT:
        /* Every process is known only when the agent entered all of them (a proven bound says so). */
        f.value = (double)v->n_processes;
        f.kind = v->total_upper.proven ? JT_PEAK_EXACT : JT_PEAK_SAMPLED;
        break;
    default:
        f.known = false;
    }
    return f;
}

static bool compare_is_memory(enum compare_metric m) { return m != COMPARE_DURATION && m != COMPARE_COUNT; }

/* Whether a change goes beyond every allowance that applies to its figure (none applying: never). */
static bool compare_beyond(const struct compare_gate *g, const struct compare_row *row)
{
    bool rel = g->has_threshold;
    bool abs = g->has_max_increase && compare_is_memory(row->metric);
    if (!rel && !abs)
        return false;
    if (rel && !(fabs(row->change_pct) > g->threshold_pct))
        return false;
    if (abs && !(fabs(row->change) > (double)g->max_increase_kib))
        return false;
    return row->change != 0;
}

static void compare_judge(const struct compare_gate *g, struct compare_row *row)
{
    row->gated = (g->metrics & COMPARE_METRIC_BIT(row->metric)) != 0;
    row->change_pct = NAN;
    if (!row->base.known || !row->cand.known) {
        row->status = COMPARE_UNKNOWN;
        return;
    }
    row->change = row->cand.value - row->base.value;
    if (row->base.value != 0)
        row->change_pct = row->change / row->base.value * 100.0;
    else
        row->change_pct = row->change > 0 ? INFINITY : row->change < 0 ? -INFINITY : 0;
    row->exact = row->base.kind == JT_PEAK_EXACT && row->cand.kind == JT_PEAK_EXACT;
    if (!compare_beyond(g, row))
        row->status = COMPARE_SAME;
    else if (row->change < 0)
        row->status = COMPARE_IMPROVED;
    else
        row->status = row->gated ? COMPARE_REGRESSED : COMPARE_GREW;
}

static int compare_group_name_order(const void *a, const void *b)
{
    const struct report_group *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

static const struct report_group **compare_groups_by_name(const struct report_view *v)
{
    const struct report_group **g = calloc(v->n_groups + 1, sizeof *g);
    if (g == NULL)
        return NULL;
    for (size_t i = 0; i < v->n_groups; i++)
        g[i] = &v->groups[i];
    qsort(g, v->n_groups, sizeof *g, compare_group_name_order);
    return g;
}

static struct compare_row compare_group_row(const struct report_group *base, const struct report_group *cand)
{
    struct compare_row row = {.metric = COMPARE_GROUPS, .group = base ? base->name : cand->name};
    if (base)
        row.base = compare_peak_figure(base->largest_peak, NULL);
    if (cand)
        row.cand = compare_peak_figure(cand->largest_peak, NULL);
    return row;
}

/* Regressions first, worst first; then the other changes by size; groups only one run had at the end. */
static int compare_status_rank(enum compare_status s)
{
    switch (s) {
    case COMPARE_REGRESSED: return 0;
    case COMPARE_GREW: return 1;
    case COMPARE_IMPROVED: return 2;
    case COMPARE_SAME: return 3;
    case COMPARE_UNKNOWN: return 4;
    case COMPARE_APPEARED: return 5;
    case COMPARE_VANISHED: return 6;
    }
    return 7;
}

static int compare_row_order(const void *a, const void *b)
{
    const struct compare_row *x = a, *y = b;
    int rx = compare_status_rank(x->status), ry = compare_status_rank(y->status);
    if (rx != ry)
        return rx < ry ? -1 : 1;
    double cx = isnan(x->change_pct) ? -INFINITY : x->change_pct;
    double cy = isnan(y->change_pct) ? -INFINITY : y->change_pct;
    if (cx != cy)
        return cx > cy ? -1 : 1;
    double vx = x->cand.known ? x->cand.value : x->base.value;
    double vy = y->cand.known ? y->cand.value : y->base.value;
    if (vx != vy)
        return vx > vy ? -1 : 1;
    return strcmp(x->group, y->group);
}

static void compare_count(struct compare_result *r, const struct compare_row *row)
{
    switch (row->status) {
    case COMPARE_REGRESSED:
        r->regressed++;
        if (r->worst == NULL || row->change_pct > r->worst->change_pct)
            r->worst = row;
        break;
    case COMPARE_IMPROVED: r->improved++; break;
    case COMPARE_APPEARED: r->appeared++; break;
    case COMPARE_VANISHED: r->vanished++; break;
    default: break;
    }
}

int compare_align_groups(struct report_file *base, struct report_file *cand, bool *regrouped)
{
    enum jt_group_by b = base->jt.job.group_by, c = cand->jt.job.group_by;
    enum jt_group_by key = (b == c && b == JT_GROUP_EXE) ? JT_GROUP_EXE : JT_GROUP_COMMAND;
    *regrouped = (b != key && b != JT_GROUP_TREE) || (c != key && c != JT_GROUP_TREE);
    /* --group-by tree groups by command too; its view also holds the tree, which a comparison does not use. */
    return report_file_regroup(base, key) == 0 && report_file_regroup(cand, key) == 0 ? 0 : -1;
}

int compare_build(struct compare_result *r, const struct report_file *base, const struct report_file *cand,
                  const struct compare_gate *gate)
{
    memset(r, 0, sizeof *r);
    r->base = base;
    r->cand = cand;
    r->gate = *gate;
    r->group_by = base->jt.job.group_by;
    const struct report_group **bg = compare_groups_by_name(&base->view);
    const struct report_group **cg = compare_groups_by_name(&cand->view);
    r->rows = calloc(COMPARE_GROUPS + base->view.n_groups + cand->view.n_groups + 1, sizeof *r->rows);
    if (bg == NULL || cg == NULL || r->rows == NULL) {
        free(bg);
        free(cg);
        free(r->rows);
        r->rows = NULL;
        return -1;
    }
    for (int m = 0; m < COMPARE_GROUPS; m++) {
        struct compare_row *row = &r->rows[r->n_rows++];
        *row = (struct compare_row){.metric = (enum compare_metric)m,
                                    .base = compare_job_figure(base, (enum compare_metric)m),
                                    .cand = compare_job_figure(cand, (enum compare_metric)m)};
        compare_judge(gate, row);
    }
    r->n_job_rows = r->n_rows;
    size_t i = 0, k = 0;
    while (i < base->view.n_groups || k < cand->view.n_groups) {
        int order = i == base->view.n_groups ? 1 : k == cand->view.n_groups ? -1 : strcmp(bg[i]->name, cg[k]->name);
        const struct report_group *b = order <= 0 ? bg[i++] : NULL;
        const struct report_group *c = order >= 0 ? cg[k++] : NULL;
        struct compare_row *row = &r->rows[r->n_rows++];
        *row = compare_group_row(b, c);
        compare_judge(gate, row);
        /* New and vanished groups are listed as such; their memory is judged through the job-wide figures. */
        if (b == NULL)
            row->status = COMPARE_APPEARED;
        else if (c == NULL)
            row->status = COMPARE_VANISHED;
    }
    free(bg);
    free(cg);
    qsort(r->rows + r->n_job_rows, r->n_rows - r->n_job_rows, sizeof *r->rows, compare_row_order);
    for (size_t n = 0; n < r->n_rows; n++)
        compare_count(r, &r->rows[n]);
    return 0;
}

void compare_free(struct compare_result *r)
{
    free(r->rows);
    r->rows = NULL;
    r->n_rows = 0;
}
