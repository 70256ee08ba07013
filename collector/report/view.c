/* The report view: the one walk of the job table that filters, sorts and groups for every format. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest peak first; equal peaks by pid, then by order of sighting, so output is stable. */
static int report_row_compare(const void *a, const void *b)
{
    const struct report_row *x = a, *y = b;
    if (x->peak.kib != y->peak.kib)
        return x->peak.kib > y->peak.kib ? -1 : 1;
    if (x->proc->pid != y->proc->pid)
        return x->proc->pid < y->proc->pid ? -1 : 1;
    if (x->proc->id != y->proc->id)
        return x->proc->id < y->proc->id ? -1 : 1;
    return 0;
}

/* Largest sum first; then more processes; then by name. */
static int report_group_compare(const void *a, const void *b)
{
    const struct report_group *x = a, *y = b;
    if (x->peak_sum_kib != y->peak_sum_kib)
        return x->peak_sum_kib > y->peak_sum_kib ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

static struct report_row report_row_of(const struct jt_process *p)
{
    struct report_row row = {.proc = p, .peak = jobtable_process_peak(p), .command = ""};
    const struct jt_image *img = p->n_images > 0 ? jobtable_current_image(p) : NULL;
    if (img != NULL && img->label != NULL)
        row.command = img->label;
    return row;
}

/* The group key, basename of argv[0], pointed to in place (no copy per comparison). */
static const char *report_row_group_name(const struct report_row *row)
{
    const struct jt_image *img = jobtable_current_image(row->proc);
    const char *arg0 = (img != NULL && img->argc > 0) ? img->argv[0] : "?";
    const char *slash = strrchr(arg0, '/');
    return (slash != NULL && slash[1] != '\0') ? slash + 1 : arg0;
}

static int report_row_name_compare(const void *a, const void *b)
{
    const struct report_row *const *x = a, *const *y = b;
    return strcmp(report_row_group_name(*x), report_row_group_name(*y));
}

/* Rows sorted by group name through an array of pointers, then merged into groups as they come: the
 * transient cost is one pointer per row, not one group per row. */
static int report_view_group(struct report_view *v)
{
    size_t cap = 0;
    if (v->n_rows == 0)
        return 0;
    const struct report_row **by_name = malloc(v->n_rows * sizeof *by_name);
    if (by_name == NULL)
        return -1;
    for (size_t i = 0; i < v->n_rows; i++)
        by_name[i] = &v->rows[i];
    qsort(by_name, v->n_rows, sizeof *by_name, report_row_name_compare);
    for (size_t i = 0; i < v->n_rows; i++) {
        const char *name = report_row_group_name(by_name[i]);
        struct report_group *g = v->n_groups ? &v->groups[v->n_groups - 1] : NULL;
        if (g == NULL || strncmp(g->name, name, sizeof g->name - 1) != 0) {
            if (v->n_groups == cap) {
                cap = cap ? cap * 2 : 16;
                struct report_group *grown = realloc(v->groups, cap * sizeof *grown);
                if (grown == NULL) {
                    free(by_name);
                    return -1;
                }
                v->groups = grown;
            }
            g = &v->groups[v->n_groups++];
            memset(g, 0, sizeof *g);
            snprintf(g->name, sizeof g->name, "%s", name);
        }
        g->count++;
        g->peak_sum_kib += by_name[i]->peak.kib;
    }
    free(by_name);
    qsort(v->groups, v->n_groups, sizeof *v->groups, report_group_compare);
    return 0;
}

/* Whole-job figures count every process, whatever the filter hides. */
static void report_view_count(struct report_view *v, const struct report_row *row)
{
    v->n_processes++;
    if (row->peak.kind == JT_PEAK_EXACT)
        v->n_exact++;
    if (v->largest == NULL) {
        v->largest = row->proc;
        v->largest_peak = row->peak;
        return;
    }
    struct report_row best = {.proc = v->largest, .peak = v->largest_peak};
    if (report_row_compare(row, &best) < 0) {
        v->largest = row->proc;
        v->largest_peak = row->peak;
    }
}

int report_view_build(struct report_view *v, const struct jobtable *jt, const struct report_filter *filter)
{
    uint64_t upper_kib = 0;
    size_t unbounded = 0;

    memset(v, 0, sizeof *v);
    v->jt = jt;
    v->filter = filter;
    /* First, while nothing else is held: the bound's sweep is the largest transient allocation. */
    v->total_sampled = jobtable_total_sampled_peak(jt);
    v->total_upper_proven = jobtable_total_upper_bound(jt, &upper_kib, &unbounded);
    v->total_upper_kib = upper_kib;
    v->total_upper_unbounded = unbounded;
    if (jt->n_procs > 0) {
        v->rows = calloc(jt->n_procs, sizeof *v->rows);
        if (v->rows == NULL)
            return -1;
    }
    for (size_t i = 0; i < jt->n_procs; i++) {
        struct report_row row = report_row_of(jt->procs[i]);
        report_view_count(v, &row);
        if (filter != NULL && !report_filter_match(filter, row.command)) {
            v->hidden_count++;
            v->hidden_peak_kib += row.peak.kib;
            continue;
        }
        v->rows[v->n_rows++] = row;
    }
    if (v->n_rows > 1)
        qsort(v->rows, v->n_rows, sizeof *v->rows, report_row_compare);
    if (report_view_group(v) != 0) {
        report_view_free(v);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void report_view_free(struct report_view *v)
{
    free(v->rows);
    free(v->groups);
    v->rows = NULL;
    v->groups = NULL;
    v->n_rows = 0;
    v->n_groups = 0;
}
