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

/* Largest footprint bound first; then the larger lower bound, more processes, then by name. */
static int report_group_compare(const void *a, const void *b)
{
    const struct report_group *x = a, *y = b;
    if (x->footprint.upper.kib != y->footprint.upper.kib)
        return x->footprint.upper.kib > y->footprint.upper.kib ? -1 : 1;
    if (x->lower.kib != y->lower.kib)
        return x->lower.kib > y->lower.kib ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    return strcmp(x->name, y->name);
}

static struct report_row report_row_of(const struct jt_process *p)
{
    const struct jt_image *img = p->n_images > 0 ? jobtable_current_image(p) : NULL;
    struct report_row row = {.proc = p, .peak = jobtable_process_peak(p), .command = ""};
    if (img != NULL && img->label != NULL)
        row.command = img->label;
    return row;
}

static int report_row_name_compare(const void *a, const void *b)
{
    const struct report_row *const *x = a, *const *y = b;
    return strcmp((*x)->group, (*y)->group);
}

/* The best lower bound of a peak at one moment: a sample's sum, or one process's own peak when no sample
 * caught more (a bound is an upper figure, never a lower one). */
static struct report_lower report_lower_of(struct jt_peak sampled, struct jt_peak single,
                                           const struct jt_process *single_of)
{
    struct report_lower lower = {0};
    if (sampled.kind != JT_PEAK_NONE)
        lower = (struct report_lower){sampled.kib, REPORT_LOWER_SAMPLED, sampled.at_ns, NULL};
    bool known = single.kind == JT_PEAK_EXACT || single.kind == JT_PEAK_SAMPLED;
    if (known && (lower.source == REPORT_LOWER_NONE || single.kib > lower.kib))
        lower = (struct report_lower){single.kib, REPORT_LOWER_PROCESS, 0, single_of};
    return lower;
}

/* Groups arrive sorted by name: their footprints come from one sweep, then they are sorted by size. */
static int report_view_footprints(struct report_view *v)
{
    const char **names = malloc((v->n_groups ? v->n_groups : 1) * sizeof *names);
    struct jt_footprint *fp = malloc((v->n_groups ? v->n_groups : 1) * sizeof *fp);
    int rc = (names != NULL && fp != NULL) ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < v->n_groups; i++)
        names[i] = v->groups[i].name;
    if (rc == 0)
        rc = jobtable_group_footprints(v->jt, names, v->n_groups, fp);
    for (size_t i = 0; rc == 0 && i < v->n_groups; i++) {
        struct report_group *g = &v->groups[i];
        g->footprint = fp[i];
        g->lower = report_lower_of(fp[i].sampled, fp[i].single, fp[i].single_of);
    }
    free(names);
    free(fp);
    if (rc == 0)
        qsort(v->groups, v->n_groups, sizeof *v->groups, report_group_compare);
    return rc;
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
        const struct report_row *row = by_name[i];
        struct report_group *g = v->n_groups ? &v->groups[v->n_groups - 1] : NULL;
        if (g == NULL || strcmp(g->name, row->group) != 0) {
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
            *g = (struct report_group){.name = row->group};
        }
        g->count++;
        struct report_row best = {.proc = g->largest, .peak = g->largest_peak};
        if (g->largest == NULL || report_row_compare(row, &best) < 0) {
            g->largest = row->proc;
            g->largest_peak = row->peak;
        }
    }
    free(by_name);
    return report_view_footprints(v);
}

/* Whole-job figures count every process, whatever the filter hides. single keeps the largest peak that
 * is a true figure (exact or sampled), for the total's lower bound. */
static void report_view_count(struct report_view *v, const struct report_row *row, struct report_row *single)
{
    bool known = row->peak.kind == JT_PEAK_EXACT || row->peak.kind == JT_PEAK_SAMPLED;
    if (known && (single->proc == NULL || report_row_compare(row, single) < 0))
        *single = *row;
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

static bool report_over(uint64_t kib, uint64_t limit_bytes)
{
    return kib * 1024 > limit_bytes; /* kib < 2^54: no overflow */
}

/* The total: the best lower bound against the limit, then the upper bound (unproven: nothing rules it out). */
static void report_limit_total(struct report_view *v)
{
    struct report_limit *l = &v->limit_total;
    l->limit_bytes = v->jt->job.max_total_bytes;
    if (!l->limit_bytes)
        return;
    if (report_over(v->total_lower.kib, l->limit_bytes)) {
        *l = (struct report_limit){l->limit_bytes, REPORT_BREACH_PROVEN, v->total_lower.kib, v->total_lower.at_ns,
                                   v->total_lower.proc};
    } else if (report_over(v->total_upper.kib, l->limit_bytes) || !v->total_upper.proven) {
        *l = (struct report_limit){l->limit_bytes, REPORT_BREACH_POSSIBLE, v->total_upper.kib, 0, NULL};
    } else {
        *l = (struct report_limit){l->limit_bytes, REPORT_BREACH_WITHIN, v->total_upper.kib, 0, NULL};
    }
}

/* One process: its exact or sampled peak proves a breach; a bound above the limit makes one possible. */
static void report_limit_process(struct report_limit *l, const struct jt_process *p)
{
    struct jt_peak pk = jobtable_process_peak(p);
    bool lower = pk.kind == JT_PEAK_EXACT || pk.kind == JT_PEAK_SAMPLED;
    uint64_t upper = pk.kind == JT_PEAK_EXACT ? pk.kib : (p->bound_kib > pk.kib ? p->bound_kib : pk.kib);
    if (lower && report_over(pk.kib, l->limit_bytes)) {
        if (l->breach != REPORT_BREACH_PROVEN || pk.kib > l->figure_kib)
            *l = (struct report_limit){l->limit_bytes, REPORT_BREACH_PROVEN, pk.kib, pk.at_ns, p};
    } else if (l->breach != REPORT_BREACH_PROVEN && report_over(upper, l->limit_bytes) &&
               (l->breach != REPORT_BREACH_POSSIBLE || upper > l->figure_kib)) {
        *l = (struct report_limit){l->limit_bytes, REPORT_BREACH_POSSIBLE, upper, 0, p};
    }
}

static void report_limit_processes(struct report_view *v)
{
    struct report_limit *l = &v->limit_proc;
    *l = (struct report_limit){.limit_bytes = v->jt->job.max_proc_bytes, .breach = REPORT_BREACH_WITHIN};
    if (!l->limit_bytes) {
        l->breach = REPORT_BREACH_NONE;
        return;
    }
    for (size_t i = 0; i < v->jt->n_procs; i++)
        report_limit_process(l, v->jt->procs[i]);
}

const char *report_breach_name(enum report_breach b)
{
    switch (b) {
    case REPORT_BREACH_WITHIN: return "within";
    case REPORT_BREACH_POSSIBLE: return "possible";
    case REPORT_BREACH_PROVEN: return "proven";
    default: return NULL;
    }
}

const struct report_limit *report_limit_failed(const struct report_view *v, bool strict, bool *total)
{
    enum report_breach worst = strict ? REPORT_BREACH_POSSIBLE : REPORT_BREACH_PROVEN;
    *total = v->limit_total.breach >= worst;
    if (*total)
        return &v->limit_total;
    return v->limit_proc.breach >= worst ? &v->limit_proc : NULL;
}

/* Heaviest subtree first: the larger upper bound, then the larger lower bound, then by pid and sighting. */
static int report_node_compare(const struct report_tree_node *x, const struct report_tree_node *y)
{
    if (x->subtree.upper.kib != y->subtree.upper.kib)
        return x->subtree.upper.kib > y->subtree.upper.kib ? -1 : 1;
    if (x->lower.kib != y->lower.kib)
        return x->lower.kib > y->lower.kib ? -1 : 1;
    if (x->proc->pid != y->proc->pid)
        return x->proc->pid < y->proc->pid ? -1 : 1;
    return (x->proc->id > y->proc->id) - (x->proc->id < y->proc->id);
}

/* qsort's comparators get no context: the nodes being sorted are named here for the time of one sort. */
static const struct report_tree_node *report_sorting_nodes;

static int report_node_index_compare(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    return report_node_compare(&report_sorting_nodes[*x], &report_sorting_nodes[*y]);
}

/* Same program together, heaviest first within it. */
static int report_node_name_compare(const void *a, const void *b)
{
    const uint32_t *x = a, *y = b;
    const struct report_tree_node *nx = &report_sorting_nodes[*x], *ny = &report_sorting_nodes[*y];
    int c = strcmp(jobtable_group_name(jobtable_current_image(nx->proc)),
                   jobtable_group_name(jobtable_current_image(ny->proc)));
    return c != 0 ? c : report_node_compare(nx, ny);
}

/* Folds each run of more than fold children of one program: the heaviest fold stay. kids: one parent's
 * children, heaviest first. */
static void report_tree_fold(struct report_tree_node *nodes, uint32_t *kids, size_t n, uint32_t fold)
{
    if (n <= fold)
        return;
    qsort(kids, n, sizeof *kids, report_node_name_compare);
    for (size_t start = 0, end; start < n; start = end) {
        const char *name = jobtable_group_name(jobtable_current_image(nodes[kids[start]].proc));
        for (end = start + 1; end < n; end++)
            if (strcmp(name, jobtable_group_name(jobtable_current_image(nodes[kids[end]].proc))) != 0)
                break;
        if (end - start <= fold)
            continue;
        struct report_tree_node *last = &nodes[kids[start + fold - 1]];
        for (size_t k = start + fold; k < end; k++) {
            struct report_tree_node *f = &nodes[kids[k]];
            f->folded = true;
            last->fold_more++;
            if (last->fold_largest.kind == JT_PEAK_NONE || f->peak.kib > last->fold_largest.kib)
                last->fold_largest = f->peak;
        }
    }
}

/* Links each node's children heaviest first (and the top nodes as siblings of *first), folding fan-outs. */
static int report_tree_link(struct report_tree_node *nodes, size_t n, uint32_t fold, uint32_t *first)
{
    uint32_t *by_parent = malloc((n ? n : 1) * sizeof *by_parent);
    if (by_parent == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        by_parent[i] = (uint32_t)i;
    report_sorting_nodes = nodes;
    qsort(by_parent, n, sizeof *by_parent, report_node_index_compare); /* heaviest first, all parents mixed */
    /* Stable split by parent: walk heaviest to lightest, appending to each parent's list. */
    uint32_t *last_child = malloc((n ? n : 1) * sizeof *last_child);
    uint32_t last_top = REPORT_NO_NODE;
    if (last_child == NULL) {
        free(by_parent);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        last_child[i] = REPORT_NO_NODE;
    *first = REPORT_NO_NODE;
    for (size_t k = 0; k < n; k++) {
        uint32_t i = by_parent[k], up = nodes[i].parent;
        uint32_t *tail = up == REPORT_NO_NODE ? &last_top : &last_child[up];
        uint32_t *head = up == REPORT_NO_NODE ? first : &nodes[up].first_child;
        if (*tail == REPORT_NO_NODE)
            *head = i;
        else
            nodes[*tail].next_sibling = i;
        *tail = i;
    }
    /* Fold fan-outs, one parent at a time (its children gathered into by_parent). */
    for (size_t i = 0; i < n && fold > 0; i++) {
        size_t m = 0;
        for (uint32_t c = nodes[i].first_child; c != REPORT_NO_NODE; c = nodes[c].next_sibling)
            by_parent[m++] = c;
        report_tree_fold(nodes, by_parent, m, fold);
    }
    report_sorting_nodes = NULL;
    free(last_child);
    free(by_parent);
    return 0;
}

/* Parents, subtree footprints, depths and counts, then children heaviest first. */
int report_tree_build(const struct report_view *v, struct report_tree_node **out, uint32_t *first)
{
    const struct jobtable *jt = v->jt;
    size_t n = jt->n_procs;
    uint32_t *parent = malloc((n ? n : 1) * sizeof *parent);
    bool *reparented = malloc((n ? n : 1) * sizeof *reparented);
    struct jt_footprint *fp = malloc((n ? n : 1) * sizeof *fp);
    struct report_tree_node *nodes = calloc(n ? n : 1, sizeof *nodes);
    int rc = (parent && reparented && fp && nodes) ? 0 : -1;
    if (rc == 0)
        rc = jobtable_tree_parents(jt, parent, reparented);
    if (rc == 0)
        rc = jobtable_subtree_footprints(jt, parent, fp);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        struct report_tree_node *node = &nodes[i];
        *node = (struct report_tree_node){.proc = jt->procs[i], .parent = parent[i], .first_child = REPORT_NO_NODE,
                                          .next_sibling = REPORT_NO_NODE, .reparented = reparented[i],
                                          .peak = jobtable_process_peak(jt->procs[i]), .subtree = fp[i]};
        node->lower = report_lower_of(fp[i].sampled, fp[i].single, fp[i].single_of);
    }
    /* Depths and counts: each process adds one to itself and every ancestor (parents form a forest). */
    for (size_t i = 0; rc == 0 && i < n; i++) {
        for (uint32_t k = (uint32_t)i; k != JT_NO_PARENT; k = parent[k]) {
            nodes[k].count++;
            nodes[i].depth += k != i;
        }
    }
    /* A top node over every process held the whole job: the total's lower bound is its too. */
    for (size_t i = 0; rc == 0 && i < n; i++)
        if (parent[i] == JT_NO_PARENT && nodes[i].count == n && v->total_lower.kib > nodes[i].lower.kib)
            nodes[i].lower = v->total_lower;
    if (rc == 0)
        rc = report_tree_link(nodes, n, jt->job.tree_fold, first);
    free(parent);
    free(reparented);
    free(fp);
    if (rc != 0) {
        free(nodes);
        nodes = NULL;
    }
    *out = nodes;
    return rc;
}

/* Largest growth first, then by pid. */
static int report_leak_compare(const void *a, const void *b)
{
    const struct report_leak *x = a, *y = b;
    if (x->growth_pct != y->growth_pct)
        return x->growth_pct > y->growth_pct ? -1 : 1;
    return (x->proc->pid > y->proc->pid) - (x->proc->pid < y->proc->pid);
}

static int report_view_leaks(struct report_view *v)
{
    const struct jobtable *jt = v->jt;
    struct report_leak found;
    for (size_t i = 0; i < jt->n_procs; i++) {
        if (!report_leak_judge(jt->procs[i], &jt->job, &found))
            continue;
        struct report_leak *grown = realloc(v->leaks, (v->n_leaks + 1) * sizeof *grown);
        if (grown == NULL)
            return -1;
        v->leaks = grown;
        v->leaks[v->n_leaks++] = found;
    }
    if (v->n_leaks > 1)
        qsort(v->leaks, v->n_leaks, sizeof *v->leaks, report_leak_compare);
    return 0;
}

int report_view_build(struct report_view *v, const struct jobtable *jt, const struct report_filter *filter)
{
    memset(v, 0, sizeof *v);
    v->jt = jt;
    v->filter = filter;
    /* First, while nothing else is held: the bound's sweep is the largest transient allocation. */
    v->total_sampled = jobtable_total_sampled_peak(jt);
    jobtable_total_upper_bound(jt, &v->total_upper);
    v->cpu_total = jobtable_total_cpu(jt, &v->cpu_unknown);
    v->io_total = jobtable_total_io(jt, &v->io_unknown);
    if (jt->n_procs > 0) {
        v->rows = calloc(jt->n_procs, sizeof *v->rows);
        if (v->rows == NULL)
            return -1;
    }
    struct report_row single = {0};
    for (size_t i = 0; i < jt->n_procs; i++) {
        struct report_row row = report_row_of(jt->procs[i]);
        report_view_count(v, &row, &single);
        if (filter != NULL && !report_filter_match(filter, row.command)) {
            v->hidden_count++;
            v->hidden_peak_kib += row.peak.kib;
            continue;
        }
        v->rows[v->n_rows++] = row;
    }
    v->total_lower = report_lower_of(v->total_sampled, single.peak, single.proc);
    report_limit_total(v);
    report_limit_processes(v);
    if (v->n_rows > 1)
        qsort(v->rows, v->n_rows, sizeof *v->rows, report_row_compare);
    /* Rows stay where they are from here: a key written into a row can be pointed at. */
    for (size_t i = 0; i < v->n_rows; i++) {
        struct report_row *row = &v->rows[i];
        row->group = jobtable_group_key(jt, row->proc, jobtable_current_image(row->proc), row->group_key);
    }
    bool tree = jt->job.group_by == JT_GROUP_TREE;
    if (report_view_group(v) != 0 || (tree && report_tree_build(v, &v->tree, &v->tree_first) != 0) ||
        (jt->job.leak_check != JT_LEAK_OFF && report_view_leaks(v) != 0)) {
        report_view_free(v);
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void report_view_free(struct report_view *v)
{
    free(v->tree);
    v->tree = NULL;
    free(v->leaks);
    v->leaks = NULL;
    v->n_leaks = 0;
    free(v->rows);
    free(v->groups);
    v->rows = NULL;
    v->groups = NULL;
    v->n_rows = 0;
    v->n_groups = 0;
}
