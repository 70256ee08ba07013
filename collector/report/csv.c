/* The per-process CSV: the seed's columns first, memwatch's additions after them. A comment line would
 * break CSV readers, so what the filter hid is a last column, `filtered`, the same on every row. */
#include "report.h"

#include "../units.h"
#include "format.h"

#define CSV_NUMBER_MAX 24

static const char csv_header[] =
    "pid,ppid,command,max_rss_kib,max_rss_mib,first_seen,last_seen,peak_kind,peak_time,end,exit_code,signal,"
    "bound_kib,filtered";
/* After the columns above, with --group-by exe, ppid or tree: the row's group key; with tree, its place. */
static const char csv_group_header[] = ",group";
static const char csv_tree_header[] =
    ",tree_parent_pid,tree_depth,reparented,subtree_processes,subtree_lower_kib,subtree_upper_kib,"
    "subtree_upper_proven";
/* Then, with --with-cpu and --with-io, after every column a reader may already know. */
static const char csv_cpu_header[] = ",cpu_user_seconds,cpu_system_seconds,cpu_kind";
static const char csv_io_header[] =
    ",io_read_bytes,io_written_bytes,io_storage_read_bytes,io_storage_written_bytes,io_kind";

/* ",<n>", or "," alone when the figure is unknown. */
static void csv_number(struct report_out *o, bool known, long long n)
{
    if (known)
        report_out_printf(o, ",%lld", n);
    else
        report_out_puts(o, ",");
}

static void csv_instant(struct report_out *o, const struct jobtable *jt, bool known, int64_t mono_ns)
{
    char when[CLOCK_RFC3339_MAX];
    report_out_puts(o, ",");
    if (known) {
        report_format_instant(jt, mono_ns, when, sizeof when);
        report_out_puts(o, when);
    }
}

/* Empty when no --include/--exclude was given, else how many processes the filter left out of the file. */
static void csv_filtered(struct report_out *o, const struct report_view *v)
{
    const struct report_filter *f = v->filter;
    csv_number(o, f != NULL && (f->has_include || f->has_exclude), (long long)v->hidden_count);
}

static void csv_tree(struct report_out *o, const struct report_view *v, const struct report_tree_node *n)
{
    bool has_parent = n->parent != REPORT_NO_NODE;
    csv_number(o, has_parent, has_parent ? v->tree[n->parent].proc->pid : 0);
    report_out_printf(o, ",%u,%s,%zu,%llu", n->depth, n->reparented ? "true" : "false", n->count,
                      (unsigned long long)n->lower.kib);
    report_out_printf(o, ",%llu,%s", (unsigned long long)n->subtree.upper.kib,
                      n->subtree.upper.proven ? "true" : "false");
}

static void csv_cpu(struct report_out *o, const struct jt_process *p)
{
    struct jt_cpu cpu = jobtable_process_cpu(p);
    bool known = cpu.kind != JT_PEAK_NONE;
    if (known)
        report_out_printf(o, ",%.6f,%.6f", (double)cpu.user_us / 1e6, (double)cpu.sys_us / 1e6);
    else
        report_out_puts(o, ",,");
    report_out_printf(o, ",%s", report_peak_kind_name(cpu.kind));
}

static void csv_io(struct report_out *o, const struct jt_io *io)
{
    bool known = io->kind != JT_PEAK_NONE;
    csv_number(o, known, (long long)io->rchar);
    csv_number(o, known, (long long)io->wchar);
    csv_number(o, known, (long long)io->read_bytes);
    csv_number(o, known, (long long)io->write_bytes);
    report_out_printf(o, ",%s", report_peak_kind_name(io->kind));
}

static void csv_row(struct report_out *o, const struct report_view *v, const struct report_row *row)
{
    const struct jobtable *jt = v->jt;
    const struct jt_process *p = row->proc;
    bool has_peak = row->peak.kind != JT_PEAK_NONE;

    report_out_printf(o, "%d,%d,", (int)p->pid, (int)p->ppid);
    report_out_csv_field(o, row->command);
    csv_number(o, has_peak, (long long)row->peak.kib);
    if (has_peak)
        report_out_printf(o, ",%.2f", units_kib_to_mib(row->peak.kib));
    else
        report_out_puts(o, ",");
    csv_instant(o, jt, true, p->first_seen_ns);
    csv_instant(o, jt, true, p->last_seen_ns);
    report_out_printf(o, ",%s", report_peak_kind_name(row->peak.kind));
    csv_instant(o, jt, report_peak_has_time(&row->peak), row->peak.at_ns);
    report_out_printf(o, ",%s", report_end_name(p->end));
    csv_number(o, p->end == JT_END_EXITED, p->exit_code);
    csv_number(o, p->end == JT_END_SIGNALED, p->signal);
    csv_number(o, p->bound_kib != 0, (long long)p->bound_kib);
    csv_filtered(o, v);
    if (jt->job.group_by != JT_GROUP_COMMAND) {
        report_out_puts(o, ",");
        report_out_csv_field(o, row->group);
    }
    if (v->tree != NULL)
        csv_tree(o, v, &v->tree[p->id]);
    if (jt->job.with_cpu)
        csv_cpu(o, p);
    if (jt->job.with_io) {
        struct jt_io io = jobtable_process_io(jt, p);
        csv_io(o, &io);
    }
    report_out_puts(o, "\n");
}

int report_csv_write(FILE *out, const struct report_view *v)
{
    struct report_out o;

    report_out_init(&o, out);
    report_out_puts(&o, csv_header);
    if (v->jt->job.group_by != JT_GROUP_COMMAND)
        report_out_puts(&o, csv_group_header);
    if (v->tree != NULL)
        report_out_puts(&o, csv_tree_header);
    if (v->jt->job.with_cpu)
        report_out_puts(&o, csv_cpu_header);
    if (v->jt->job.with_io)
        report_out_puts(&o, csv_io_header);
    report_out_puts(&o, "\n");
    for (size_t i = 0; i < v->n_rows; i++)
        csv_row(&o, v, &v->rows[i]);
    return report_out_finish(&o);
}
