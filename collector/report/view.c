/* The report view: the one walk of the job table that filters, sorts and groups for every format. */
#include "report.h"

#include <errno.h>
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

static int report_group_name_compare(const void *a, const void *b)
{
    const struct report_group *x = a, *y = b;
    return strcmp(x->name, y->name);
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

/* One group per listed row, sorted by name and merged in place: n log n however many processes. */
static int report_view_group(struct report_view *v)
{
    size_t n = 0;

    if (v->n_rows == 0)
        return 0;
    v->groups = calloc(v->n_rows, sizeof *v->groups);
    if (v->groups == NULL)
        return -1;
    for (size_t i = 0; i < v->n_rows; i++) {
        struct report_group *g = &v->groups[i];
        jobtable_command_name(v->rows[i].proc, g->name, sizeof g->name);
        g->count = 1;
        g->peak_sum_kib = v->rows[i].peak.kib;
    }
    qsort(v->groups, v->n_rows, sizeof *v->groups, report_group_name_compare);
    for (size_t i = 0; i < v->n_rows; i++) {
        if (n > 0 && strcmp(v->groups[n - 1].name, v->groups[i].name) == 0) {
            v->groups[n - 1].count += v->groups[i].count;
            v->groups[n - 1].peak_sum_kib += v->groups[i].peak_sum_kib;
        } else {
            v->groups[n++] = v->groups[i];
        }
    }
    v->n_groups = n;
    qsort(v->groups, n, sizeof *v->groups, report_group_compare);
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
    v->total_sampled = jobtable_total_sampled_peak(jt);
    v->total_upper_proven = jobtable_total_upper_bound(jt, &upper_kib, &unbounded);
    v->total_upper_kib = upper_kib;
    v->total_upper_unbounded = unbounded;
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
