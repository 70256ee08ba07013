/* The human summary on stderr, laid out like the seed's: job, memory summary, per-process peaks, groups. */
#include "report.h"

#include <stdlib.h>
#include <string.h>

#include "../units.h"
#include "format.h"

#define SUMMARY_WIDTH 100      /* terminal-ish: long command lines are cut to fit */
#define SUMMARY_ROWS_MAX 30    /* the rest is in --json / --csv */
#define SUMMARY_GROUPS_MAX 15
#define SUMMARY_LINE_MAX 512   /* one clipped command line, UTF-8, with room */
#define SUMMARY_ROW_PREFIX 33  /* "    PID      MEMORY      TIME    " */
#define SUMMARY_GROUP_NAME_MIN 7 /* "COMMAND" */
#define SUMMARY_GROUP_NAME_WIDTH 24
#define SUMMARY_STATUS_MAX 32

#define SUMMARY_BOLD "\033[1m"
#define SUMMARY_RED "\033[31m"
#define SUMMARY_YELLOW "\033[33m"
#define SUMMARY_DIM "\033[2m"
#define SUMMARY_RESET "\033[0m"

struct summary {
    struct report_out out;
    const struct report_view *v;
    const struct jobtable *jt;
    bool color;
};

static const char *summary_style(const struct summary *s, const char *style)
{
    return s->color ? style : "";
}

static void summary_title(struct summary *s, const char *title)
{
    report_out_printf(&s->out, "\n%s%s%s\n", summary_style(s, SUMMARY_BOLD), title,
                      summary_style(s, SUMMARY_RESET));
}

/* Copies text for a terminal: control bytes become '?' (argv may hold escapes), and more than `width`
 * characters are cut with "..." at a character boundary. */
static void summary_clip(const char *text, size_t width, char *buf, size_t len)
{
    size_t chars = 0, n = 0, cut = 0;
    const unsigned char *p = (const unsigned char *)text;

    for (; *p != '\0' && n + 4 < len; p++) {
        bool starts_char = (*p & 0xC0) != 0x80;
        if (starts_char) {
            if (chars + 3 == width)
                cut = n; /* where "..." goes if the text turns out too long */
            if (chars == width)
                break;
            chars++;
        }
        buf[n++] = (*p < 0x20 || *p == 0x7f) ? '?' : (char)*p;
    }
    if (*p != '\0' && width >= 3) {
        if (chars + 3 > width)
            n = cut;
        memcpy(buf + n, "...", 3);
        n += 3;
    }
    buf[n] = '\0';
}

static const char *summary_kind_mark(enum jt_peak_kind kind)
{
    switch (kind) {
    case JT_PEAK_EXACT:
        return " ";
    case JT_PEAK_SAMPLED:
        return "~";
    case JT_PEAK_BOUND:
        return "^";
    default:
        return "?";
    }
}

/* "[exit 2] ", "[SIGKILL] ", "[running] ": how a process ended, shown only when it is news. */
static void summary_status(const struct jt_process *p, char *buf, size_t len)
{
    char sig[REPORT_SIGNAL_NAME_MAX];

    buf[0] = '\0';
    switch (p->end) {
    case JT_END_EXITED:
        if (p->exit_code != 0)
            snprintf(buf, len, "[exit %d] ", p->exit_code);
        break;
    case JT_END_SIGNALED:
        report_signal_name(p->signal, sig, sizeof sig);
        snprintf(buf, len, "[%s] ", sig);
        break;
    case JT_END_RUNNING:
        snprintf(buf, len, "[running] ");
        break;
    case JT_END_GONE:
        break;
    }
}

static const struct jt_process *summary_root(const struct jobtable *jt)
{
    for (size_t i = 0; i < jt->n_procs; i++)
        if (jt->procs[i]->is_root)
            return jt->procs[i];
    return NULL;
}

static void summary_exit_line(struct summary *s)
{
    const struct jt_process *root = summary_root(s->jt);
    char sig[REPORT_SIGNAL_NAME_MAX];
    int code = s->jt->job.exit_code;

    if (root != NULL && root->end == JT_END_SIGNALED) {
        report_signal_name(root->signal, sig, sizeof sig);
        report_out_printf(&s->out, "Exit status: %s%d (killed by %s)%s\n", summary_style(s, SUMMARY_RED), code,
                          sig, summary_style(s, SUMMARY_RESET));
    } else {
        report_out_printf(&s->out, "Exit status: %s%d%s\n", summary_style(s, code != 0 ? SUMMARY_RED : ""), code,
                          summary_style(s, code != 0 ? SUMMARY_RESET : ""));
    }
}

static void summary_header(struct summary *s)
{
    const struct jobtable *jt = s->jt;
    char line[SUMMARY_LINE_MAX], hms[UNITS_DURATION_MAX];
    char *command = jobtable_join_argv(jt->job.argv, jt->job.argc);

    /* memwatch listen has no command of its own: its processes came preloaded by hand. */
    const char *shown = jt->job.argc == 0 ? "(memwatch listen: processes preloaded by hand)" : command;
    summary_clip(shown != NULL ? shown : "", SUMMARY_WIDTH - 5, line, sizeof line);
    free(command);
    report_out_printf(&s->out, "%sJob:%s %s\n", summary_style(s, SUMMARY_BOLD), summary_style(s, SUMMARY_RESET),
                      line);
    summary_exit_line(s);
    /* hh:mm:ss as the seed printed it; short jobs get tenths, which "00:00:00" would hide. */
    int64_t duration_ns = jt->job.end_ns - jt->job.start_ns;
    if (duration_ns < 60LL * 1000000000LL)
        units_format_elapsed(duration_ns, hms, sizeof hms);
    else
        units_format_hms(duration_ns, hms, sizeof hms);
    report_out_printf(&s->out, "Duration: %s  |  Samples: %zu  |  Processes: %zu (%zu with exact peaks)\n", hms,
                      jt->n_samples, s->v->n_processes, s->v->n_exact);
    if (!jt->job.agent_enabled)
        report_out_puts(&s->out, "Agent: off (polling only): peaks are sampled lower bounds\n");
    if (jt->stats.bad_messages > 0)
        report_out_printf(&s->out, "Warning: %llu malformed agent messages dropped\n",
                          (unsigned long long)jt->stats.bad_messages);
}

static void summary_memory(struct summary *s)
{
    const struct report_view *v = s->v;
    char size[UNITS_SIZE_MAX], at[UNITS_DURATION_MAX], name[REPORT_GROUP_NAME_MAX], shown[SUMMARY_LINE_MAX];

    summary_title(s, "MEMORY SUMMARY");
    if (v->total_sampled.kind == JT_PEAK_NONE) {
        report_out_printf(&s->out, "  Total peak:    %-9s (no samples were taken)\n", "n/a");
    } else {
        units_format_size(v->total_sampled.kib, size, sizeof size);
        units_format_elapsed(report_since_start_ns(s->jt, v->total_sampled.at_ns), at, sizeof at);
        report_out_printf(&s->out, "  Total peak:    %-9s (highest sampled total, at %s; lower bound)\n", size, at);
    }
    units_format_size(v->total_upper_kib, size, sizeof size);
    if (v->total_upper_proven)
        report_out_printf(&s->out, "  Upper bound:   %-9s (most the processes alive at once could have held)\n",
                          size);
    else
        report_out_printf(&s->out, "  Upper bound:   %-9s (not proven: %zu process%s no exact or bound peak)\n", "n/a",
                          v->total_upper_unbounded, v->total_upper_unbounded == 1 ? " has" : "es have");
    if (v->largest == NULL) {
        report_out_printf(&s->out, "  Process peak:  %-9s (no process was seen)\n", "n/a");
        return;
    }
    units_format_size(v->largest_peak.kib, size, sizeof size);
    jobtable_command_name(v->largest, name, sizeof name);
    summary_clip(name, SUMMARY_GROUP_NAME_WIDTH, shown, sizeof shown);
    report_out_printf(&s->out, "  Process peak:  %-9s (pid %d, %s%s%s)\n", size, (int)v->largest->pid, shown,
                      v->largest_peak.kind == JT_PEAK_EXACT ? "" : ", ",
                      v->largest_peak.kind == JT_PEAK_EXACT ? "" : report_peak_kind_name(v->largest_peak.kind));
}

static void summary_row(struct summary *s, const struct report_row *row)
{
    char size[UNITS_SIZE_MAX], when[UNITS_DURATION_MAX], status[SUMMARY_STATUS_MAX];
    char label[SUMMARY_LINE_MAX], line[SUMMARY_LINE_MAX];
    bool has_time = report_peak_has_time(&row->peak);

    units_format_size(row->peak.kib, size, sizeof size);
    if (has_time)
        units_format_elapsed(report_since_start_ns(s->jt, row->peak.at_ns), when, sizeof when);
    else
        snprintf(when, sizeof when, "-");
    summary_status(row->proc, status, sizeof status);
    snprintf(label, sizeof label, "%s%s", status, row->command);
    summary_clip(label, SUMMARY_WIDTH - SUMMARY_ROW_PREFIX, line, sizeof line);
    report_out_printf(&s->out, "%7d %11s%s%s%s %s %6s    %s\n", (int)row->proc->pid, size,
                      summary_style(s, SUMMARY_YELLOW), summary_kind_mark(row->peak.kind),
                      summary_style(s, SUMMARY_RESET), has_time ? "@" : " ", when, line);
}

/* Explains the marks that appear in the listed rows, and only those. */
static void summary_legend(struct summary *s, size_t shown)
{
    bool seen[JT_PEAK_EXACT + 1] = {false};
    for (size_t i = 0; i < shown; i++)
        seen[s->v->rows[i].peak.kind] = true;
    if (!seen[JT_PEAK_SAMPLED] && !seen[JT_PEAK_BOUND] && !seen[JT_PEAK_NONE])
        return;
    report_out_printf(&s->out, "%s  (", summary_style(s, SUMMARY_DIM));
    const char *sep = "";
    if (seen[JT_PEAK_SAMPLED]) {
        report_out_printf(&s->out, "%s~ sampled: a lower bound", sep);
        sep = "; ";
    }
    if (seen[JT_PEAK_BOUND]) {
        report_out_printf(&s->out, "%s^ from wait (ru_maxrss): an upper bound", sep);
        sep = "; ";
    }
    if (seen[JT_PEAK_NONE])
        report_out_printf(&s->out, "%s? no figure", sep);
    report_out_printf(&s->out, ")%s\n", summary_style(s, SUMMARY_RESET));
}

static void summary_processes(struct summary *s)
{
    const struct report_view *v = s->v;
    size_t shown = v->n_rows < SUMMARY_ROWS_MAX ? v->n_rows : SUMMARY_ROWS_MAX;
    char size[UNITS_SIZE_MAX];

    summary_title(s, "PER-PROCESS PEAKS");
    report_out_printf(&s->out, "%s    PID      MEMORY      TIME    COMMAND%s\n", summary_style(s, SUMMARY_BOLD),
                      summary_style(s, SUMMARY_RESET));
    for (size_t i = 0; i < shown; i++)
        summary_row(s, &v->rows[i]);
    if (shown < v->n_rows)
        report_out_printf(&s->out, "  ... %zu more processes (all are in --json and --csv)\n", v->n_rows - shown);
    summary_legend(s, shown);
    if (v->hidden_count > 0) {
        units_format_size(v->hidden_peak_kib, size, sizeof size);
        report_out_printf(&s->out, "filter: %zu process%s hidden (%s of peaks)\n", v->hidden_count,
                          v->hidden_count == 1 ? "" : "es", size);
    }
}

static void summary_groups(struct summary *s)
{
    const struct report_view *v = s->v;
    size_t shown = v->n_groups < SUMMARY_GROUPS_MAX ? v->n_groups : SUMMARY_GROUPS_MAX;
    int width = SUMMARY_GROUP_NAME_MIN;
    char size[UNITS_SIZE_MAX], name[REPORT_GROUP_NAME_MAX];

    for (size_t i = 0; i < shown; i++) {
        int n = (int)strlen(v->groups[i].name);
        if (n > width)
            width = n < SUMMARY_GROUP_NAME_WIDTH ? n : SUMMARY_GROUP_NAME_WIDTH;
    }
    summary_title(s, "PROCESS GROUPS");
    report_out_printf(&s->out, "%s  %-*s    PROCESSES    TOTAL PEAK%s\n", summary_style(s, SUMMARY_BOLD), width,
                      "COMMAND", summary_style(s, SUMMARY_RESET));
    for (size_t i = 0; i < shown; i++) {
        units_format_size(v->groups[i].peak_sum_kib, size, sizeof size);
        summary_clip(v->groups[i].name, (size_t)width, name, sizeof name);
        report_out_printf(&s->out, "  %-*s %12zu %13s\n", width, name, v->groups[i].count, size);
    }
    if (shown < v->n_groups)
        report_out_printf(&s->out, "  ... %zu more groups\n", v->n_groups - shown);
}

int report_summary_write(FILE *out, const struct report_view *v, bool color)
{
    struct summary s = {.v = v, .jt = v->jt, .color = color};

    report_out_init(&s.out, out);
    summary_header(&s);
    summary_memory(&s);
    summary_processes(&s);
    summary_groups(&s);
    return report_out_finish(&s.out);
}
