/* The human summary on stderr, laid out like the seed's: job, memory summary, per-process peaks, groups.
 * Every line fits the width it is given. */
#include "report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "../units.h"
#include "format.h"

#define SUMMARY_ROWS_MAX 30    /* the rest is in --json / --csv */
#define SUMMARY_GROUPS_MAX 15  /* the rest is in --json */
#define SUMMARY_LINE_MAX (4 * REPORT_WIDTH_MAX + 256) /* one line of UTF-8 and colour sequences */
#define SUMMARY_ROW_PREFIX 30  /* "    PID     MEMORY      TIME  " */
#define SUMMARY_CPU_COLS 11    /* --with-cpu: " %9s" and a kind mark */
#define SUMMARY_IO_COLS 22     /* --with-io: " %10s %9s" and a kind mark */
#define SUMMARY_EXTRA_MAX 96
#define SUMMARY_LABEL_COLS 16  /* "  Process peak: " */
#define SUMMARY_VALUE_COLS 11  /* "≥ 123.4 MiB": rarer wider values push their note one column */
#define SUMMARY_WRAP_MIN 24    /* a note wrapped narrower than this starts further left */
#define SUMMARY_WRAP_INDENT 4
#define SUMMARY_NAME_COLS 24   /* a program name in a note, and the widest GROUP column */
#define SUMMARY_NAME_MAX (4 * SUMMARY_NAME_COLS + 1)
#define SUMMARY_GROUP_NAME_MIN 5 /* "GROUP" */
#define SUMMARY_GROUP_ROW 48   /* a group row but its name: "  " name "  PROCS  LARGEST^  lower .. upper" */
#define SUMMARY_GROUP_HEAD_EXTRA 5 /* the header's "AT ONCE (at least .. at most)" is that much wider */
#define SUMMARY_SEPARATOR "  |  "
#define SUMMARY_STATUS_MAX 64 /* "[SIGTERM] [≤ 123.4 MiB] " */
#define SUMMARY_NOTE_MAX 256
#define SUMMARY_SIZE_MAX (UNITS_SIZE_MAX + 8) /* "≥ " and a size */

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
    size_t width;
};

static const char *summary_style(const struct summary *s, const char *style)
{
    return s->color ? style : "";
}

/* Every line goes through here: whatever a part of it held, it ends within the width. */
static void summary_line(struct summary *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void summary_line(struct summary *s, const char *fmt, ...)
{
    char line[SUMMARY_LINE_MAX], fitted[SUMMARY_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    report_line_fit(line, s->width, fitted, sizeof fitted);
    report_out_printf(&s->out, "%s\n", fitted);
}

static void summary_title(struct summary *s, const char *title)
{
    summary_line(s, "%s", "");
    summary_line(s, "%s%s%s", summary_style(s, SUMMARY_BOLD), title, summary_style(s, SUMMARY_RESET));
}

/* Appends text to a line buffer, never past its end. */
static void summary_append(char *line, size_t len, size_t *used, const char *text)
{
    int n = snprintf(line + *used, len - *used, "%s", text);
    if (n > 0)
        *used = *used + (size_t)n < len ? *used + (size_t)n : len - 1;
}

/* Prints first, then text word by word, breaking before the width: continuation lines start under the
 * text's first column, or at SUMMARY_WRAP_INDENT when that leaves too little room. */
static void summary_wrapped(struct summary *s, const char *style, const char *first, const char *text)
{
    char line[SUMMARY_LINE_MAX], word[SUMMARY_LINE_MAX];
    size_t used = 0, cols = report_text_columns(first);
    size_t indent = s->width >= cols + SUMMARY_WRAP_MIN ? cols : SUMMARY_WRAP_INDENT;
    bool fresh = true; /* no word on this line yet */

    summary_append(line, sizeof line, &used, first);
    for (const char *w = text; *w != '\0';) {
        size_t n = strcspn(w, " ");
        snprintf(word, sizeof word, "%.*s", (int)n, w);
        size_t wc = report_text_columns(word);
        if (n > 0 && cols + !fresh + wc > s->width && cols > indent) {
            summary_line(s, "%s%s%s", summary_style(s, style), line, summary_style(s, SUMMARY_RESET));
            used = (size_t)snprintf(line, sizeof line, "%*s", (int)indent, "");
            cols = indent;
            fresh = true;
        }
        if (n > 0) {
            summary_append(line, sizeof line, &used, fresh ? "" : " ");
            summary_append(line, sizeof line, &used, word);
            cols += !fresh + wc;
            fresh = false;
        }
        w += n + strspn(w + n, " ");
    }
    summary_line(s, "%s%s%s", summary_style(s, style), line, summary_style(s, SUMMARY_RESET));
}

/* "  Label:        value       (note)": the value column is as wide in columns whatever its bytes. */
static void summary_field(struct summary *s, const char *label, const char *value, const char *note)
{
    char first[SUMMARY_LINE_MAX];
    size_t cols = report_text_columns(value);
    int pad = cols < SUMMARY_VALUE_COLS ? (int)(SUMMARY_VALUE_COLS - cols) : 0;
    snprintf(first, sizeof first, "  %-*s%s%*s ", SUMMARY_LABEL_COLS - 2, label, value, pad, "");
    summary_wrapped(s, "", first, note);
}

/* Segments joined by SUMMARY_SEPARATOR; one that would cross the width starts a new line instead. */
static void summary_segments(struct summary *s, const char *const *parts, size_t n)
{
    char line[SUMMARY_LINE_MAX];
    size_t used = 0, cols = 0;
    for (size_t i = 0; i < n; i++) {
        size_t pc = report_text_columns(parts[i]);
        if (used > 0 && cols + strlen(SUMMARY_SEPARATOR) + pc > s->width) {
            summary_line(s, "%s", line);
            used = cols = 0;
        }
        if (used > 0) {
            summary_append(line, sizeof line, &used, SUMMARY_SEPARATOR);
            cols += strlen(SUMMARY_SEPARATOR);
        }
        summary_append(line, sizeof line, &used, parts[i]);
        cols += pc;
    }
    if (used > 0)
        summary_line(s, "%s", line);
}

/* prefix, program and args in width columns: the middle goes first, keeping prefix and program. */
static void summary_fit_command(const char *prefix, const char *program, const char *args, size_t width,
                                char *buf, size_t len)
{
    size_t n = strlen(prefix) + strlen(program) + strlen(args) + 1;
    char *whole = malloc(n);
    if (whole == NULL) {
        report_text_fit_middle(program, width, 0, buf, len);
        return;
    }
    snprintf(whole, n, "%s%s%s", prefix, program, args);
    size_t keep = report_text_columns(prefix) + report_text_columns(program);
    report_text_fit_middle(whole, width, keep, buf, len);
    free(whole);
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
        summary_line(s, "Exit status: %s%d (killed by %s)%s", summary_style(s, SUMMARY_RED), code, sig,
                     summary_style(s, SUMMARY_RESET));
    } else {
        summary_line(s, "Exit status: %s%d%s", summary_style(s, code != 0 ? SUMMARY_RED : ""), code,
                     summary_style(s, code != 0 ? SUMMARY_RESET : ""));
    }
}

static void summary_job_line(struct summary *s)
{
    const struct jobtable *jt = s->jt;
    char line[SUMMARY_LINE_MAX];
    size_t width = s->width > strlen("Job: ") ? s->width - strlen("Job: ") : 0;

    if (jt->job.argc == 0) {
        /* memwatch listen has no command of its own: its processes came preloaded by hand. */
        report_text_fit_middle("(memwatch listen: processes preloaded by hand)", width, 0, line, sizeof line);
    } else {
        char *command = jobtable_join_argv(jt->job.argv, jt->job.argc);
        const char *args = command != NULL ? command + strlen(jt->job.argv[0]) : "";
        summary_fit_command("", jt->job.argv[0], args, width, line, sizeof line);
        free(command);
    }
    summary_line(s, "%sJob:%s %s", summary_style(s, SUMMARY_BOLD), summary_style(s, SUMMARY_RESET), line);
}

static void summary_header(struct summary *s)
{
    const struct jobtable *jt = s->jt;
    char hms[UNITS_DURATION_MAX], duration[SUMMARY_NOTE_MAX], samples[SUMMARY_NOTE_MAX];
    char processes[SUMMARY_NOTE_MAX];

    summary_job_line(s);
    if (jt->job.argc > 0) /* listen started no job: there is no exit status to tell */
        summary_exit_line(s);
    /* hh:mm:ss as the seed printed it; short jobs get tenths, which "00:00:00" would hide. */
    int64_t duration_ns = jt->job.end_ns - jt->job.start_ns;
    if (duration_ns < 60LL * 1000000000LL)
        units_format_elapsed(duration_ns, hms, sizeof hms);
    else
        units_format_hms(duration_ns, hms, sizeof hms);
    snprintf(duration, sizeof duration, "Duration: %s", hms);
    snprintf(samples, sizeof samples, "Samples: %zu", jt->n_samples);
    snprintf(processes, sizeof processes, "Processes: %zu (%zu with exact peaks)", s->v->n_processes,
             s->v->n_exact);
    summary_segments(s, (const char *const[]){duration, samples, processes}, 3);
    if (!jt->job.agent_enabled)
        summary_wrapped(s, "", "", "Agent: off (polling only): peaks are sampled lower bounds");
    else if (s->v->total_upper.agentless > 0) {
        char without[SUMMARY_NOTE_MAX];
        snprintf(without, sizeof without,
                 "Without the agent: %zu %s (static, setuid%s): no exact peaks there%s",
                 s->v->total_upper.agentless, s->v->total_upper.agentless == 1 ? "process" : "processes",
                 jt->job.agent_32bit ? "" : " or 32-bit", jt->job.agent_32bit ? "" : "; no 32-bit agent was built");
        summary_wrapped(s, "", "", without);
    }
    if (jt->stats.bad_messages > 0)
        summary_line(s, "Warning: %llu malformed agent messages dropped", (unsigned long long)jt->stats.bad_messages);
}

/* A process's program for a note: its group name, cut to a sensible width. */
static void summary_program(const struct jt_process *p, char *buf, size_t len)
{
    report_text_fit_middle(jobtable_group_name(jobtable_current_image(p)), SUMMARY_NAME_COLS, 0, buf, len);
}

/* The headline: the best lower bound known, and which figure it is. */
static void summary_total(struct summary *s)
{
    const struct report_view *v = s->v;
    const struct report_lower *lower = &v->total_lower;
    char size[UNITS_SIZE_MAX], value[SUMMARY_SIZE_MAX], at[UNITS_DURATION_MAX], note[SUMMARY_NOTE_MAX];
    char name[SUMMARY_NAME_MAX];

    if (lower->source == REPORT_LOWER_NONE) {
        summary_field(s, "Total peak:", "  n/a", "(no samples were taken and no process peak is known)");
        return;
    }
    units_format_size(lower->kib, size, sizeof size);
    snprintf(value, sizeof value, "≥ %s", size);
    if (lower->source == REPORT_LOWER_SAMPLED) {
        units_format_elapsed(report_since_start_ns(s->jt, lower->at_ns), at, sizeof at);
        snprintf(note, sizeof note, "(highest sampled total, at %s)", at);
    } else {
        /* The samples missed it (short programs, a spike between samples): one process alone held this. */
        summary_program(lower->proc, name, sizeof name);
        snprintf(note, sizeof note, "(largest single process: pid %d, %s; %s)", (int)lower->proc->pid, name,
                 v->total_sampled.kind == JT_PEAK_NONE ? "no samples were taken" : "no sample caught more");
    }
    summary_field(s, "Total peak:", value, note);
}

/* Why an upper bound is not proven, in the user's words. */
static void summary_unproven_note(const struct jt_upper *u, char *note, size_t len)
{
    if (u->dropped > 0)
        snprintf(note, len, "(not proven: %llu %s from senders memwatch could not tie to the job)",
                 (unsigned long long)u->dropped, u->dropped == 1 ? "message was dropped" : "messages were dropped");
    else if (u->agentless > 0)
        snprintf(note, len, "(not proven: %zu %s without the agent, which could start unseen processes)",
                 u->agentless, u->agentless == 1 ? "process ran" : "processes ran");
    else
        snprintf(note, len, "(not proven: %zu %s)", u->unbounded,
                 u->unbounded == 1 ? "process lacks an exact or bound peak" : "processes lack exact or bound peaks");
}

static void summary_memory(struct summary *s)
{
    const struct report_view *v = s->v;
    char size[UNITS_SIZE_MAX], value[SUMMARY_SIZE_MAX], note[SUMMARY_NOTE_MAX], name[SUMMARY_NAME_MAX];

    summary_title(s, "MEMORY SUMMARY");
    summary_total(s);
    units_format_size(v->total_upper.kib, size, sizeof size);
    snprintf(value, sizeof value, "≤ %s", size);
    summary_unproven_note(&v->total_upper, note, sizeof note);
    if (v->total_upper.proven)
        summary_field(s, "Upper bound:", value, "(most the processes alive at once could hold)");
    else
        summary_field(s, "Upper bound:", "  n/a", note);
    if (v->largest == NULL) {
        summary_field(s, "Process peak:", "  n/a", "(no process was seen)");
        return;
    }
    units_format_size(v->largest_peak.kib, size, sizeof size);
    snprintf(value, sizeof value, "%s%s", v->largest_peak.kind == JT_PEAK_SAMPLED ? "≥ " : "  ", size);
    summary_program(v->largest, name, sizeof name);
    char upper[UNITS_SIZE_MAX] = "";
    if (v->largest_peak.kind == JT_PEAK_SAMPLED && v->largest->bound_kib >= v->largest_peak.kib)
        units_format_size(v->largest->bound_kib, upper, sizeof upper);
    /* A sampled figure is only what a sample caught: say so, with the wait's bound when one is known. */
    if (v->largest_peak.kind == JT_PEAK_SAMPLED)
        snprintf(note, sizeof note, "(pid %d, %s, sampled: at least; %s%s)", (int)v->largest->pid, name,
                 upper[0] ? "at most " : "no exit report, the true peak may be far higher", upper);
    else
        snprintf(note, sizeof note, "(pid %d, %s%s%s)", (int)v->largest->pid, name,
                 v->largest_peak.kind == JT_PEAK_EXACT ? "" : ", ",
                 v->largest_peak.kind == JT_PEAK_EXACT ? "" : report_peak_kind_name(v->largest_peak.kind));
    summary_field(s, "Process peak:", value, note);
}

/* Bytes as a size (a partial KiB counts as one: a few bytes written are not "0"). */
static void summary_bytes(uint64_t bytes, char *buf, size_t len)
{
    units_format_size(bytes / 1024 + (bytes % 1024 != 0), buf, len);
}

/* "CPU time" and "Read"/"Written" of the whole job, with --with-cpu and --with-io. */
static void summary_usage(struct summary *s)
{
    const struct report_view *v = s->v;
    const struct jt_job *job = &s->jt->job;
    char value[SUMMARY_SIZE_MAX], note[SUMMARY_NOTE_MAX], size[UNITS_SIZE_MAX];
    if (!job->with_cpu && !job->with_io)
        return;
    summary_title(s, job->with_cpu && job->with_io ? "CPU AND I/O" : job->with_cpu ? "CPU" : "I/O");
    if (job->with_cpu) {
        const struct jt_cpu *c = &v->cpu_total;
        bool exact = c->kind == JT_PEAK_EXACT;
        snprintf(value, sizeof value, "%s%.2f s", exact ? "  " : "≥ ", (double)(c->user_us + c->sys_us) / 1e6);
        if (exact)
            snprintf(note, sizeof note, "(user %.2f s, system %.2f s; exact: every process's count at its end)",
                     (double)c->user_us / 1e6, (double)c->sys_us / 1e6);
        else
            snprintf(note, sizeof note, "(user %.2f s, system %.2f s; at least: not every process's count "
                     "is exact, %zu unknown)", (double)c->user_us / 1e6, (double)c->sys_us / 1e6, v->cpu_unknown);
        summary_field(s, "CPU time:", value, note);
    }
    if (job->with_io) {
        const struct jt_io *io = &v->io_total;
        bool exact = io->kind == JT_PEAK_EXACT;
        char storage[UNITS_SIZE_MAX];
        const char *how = exact ? "exact: every process's counters at exit" : "at least: not every process's counters are exact";
        summary_bytes(io->rchar, size, sizeof size);
        summary_bytes(io->read_bytes, storage, sizeof storage);
        snprintf(value, sizeof value, "%s%s", exact ? "  " : "≥ ", size);
        snprintf(note, sizeof note, "(through system calls; %s from storage; %s%s)", storage, how,
                 v->io_unknown ? ", some unreadable" : "");
        summary_field(s, "Read:", value, note);
        summary_bytes(io->wchar, size, sizeof size);
        summary_bytes(io->write_bytes, storage, sizeof storage);
        snprintf(value, sizeof value, "%s%s", exact ? "  " : "≥ ", size);
        snprintf(note, sizeof note, "(through system calls; %s to storage)", storage);
        summary_field(s, "Written:", value, note);
    }
}

/* One limit: what was found against it, in the user's words. */
static void summary_limit(struct summary *s, const char *label, const struct report_limit *l)
{
    char limit[UNITS_SIZE_MAX], figure[UNITS_SIZE_MAX], over[UNITS_SIZE_MAX], value[SUMMARY_SIZE_MAX];
    char note[SUMMARY_NOTE_MAX], name[SUMMARY_NAME_MAX + 32] = "";
    if (l->breach == REPORT_BREACH_NONE)
        return;
    uint64_t limit_kib = (l->limit_bytes + 1023) / 1024;
    units_format_size(limit_kib, limit, sizeof limit);
    units_format_size(l->figure_kib, figure, sizeof figure);
    units_format_size(l->figure_kib > limit_kib ? l->figure_kib - limit_kib : 0, over, sizeof over);
    if (l->proc != NULL) {
        char program[SUMMARY_NAME_MAX];
        summary_program(l->proc, program, sizeof program);
        snprintf(name, sizeof name, ", pid %d %s", (int)l->proc->pid, program);
    }
    snprintf(value, sizeof value, "  %s", limit);
    if (l->breach == REPORT_BREACH_PROVEN)
        snprintf(note, sizeof note, "BREACHED: at least %s%s, %s over", figure, name, over);
    else if (l->breach == REPORT_BREACH_POSSIBLE && l->figure_kib > limit_kib)
        snprintf(note, sizeof note, "possibly breached: an upper bound of %s%s, no proof either way "
                 "(--strict-limits fails on it)", figure, name);
    else if (l->breach == REPORT_BREACH_POSSIBLE)
        snprintf(note, sizeof note, "not proven within: the upper bound (%s) is not proven (--strict-limits "
                 "fails on it)", figure);
    else
        snprintf(note, sizeof note, "within: at most %s", figure);
    summary_field(s, label, value, note);
}

static void summary_limits(struct summary *s)
{
    if (s->v->limit_total.breach == REPORT_BREACH_NONE && s->v->limit_proc.breach == REPORT_BREACH_NONE)
        return;
    summary_title(s, "LIMITS");
    summary_limit(s, "Total:", &s->v->limit_total);
    summary_limit(s, "Per process:", &s->v->limit_proc);
}

/* A row's command: its label when it fits; else its program without the directory (the whole path is in
 * --json and --csv) and its middle cut, so the program and the last arguments (the file) stay. */
static void summary_row_command(const struct report_row *row, const char *status, size_t width, char *buf,
                                size_t len)
{
    const struct jt_image *img = jobtable_current_image(row->proc);
    size_t arg0 = (img != NULL && img->argc > 0) ? strlen(img->argv[0]) : 0;
    if (arg0 == 0 || strncmp(row->command, img->argv[0], arg0) != 0) {
        summary_fit_command(status, "", row->command, width, buf, len);
        return;
    }
    bool fits = report_text_columns(status) + report_text_columns(row->command) <= width;
    summary_fit_command(status, fits ? img->argv[0] : row->group, row->command + arg0, width, buf, len);
}

/* The columns --with-cpu and --with-io add before the command. */
static size_t summary_extra_cols(const struct summary *s)
{
    return (s->jt->job.with_cpu ? SUMMARY_CPU_COLS : 0) + (s->jt->job.with_io ? SUMMARY_IO_COLS : 0);
}

/* "  0.30s~" and "  1.2 MiB   5.0 MiB " after the time column, each figure with its kind's mark. */
static void summary_row_extra(const struct summary *s, const struct jt_process *p, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    if (s->jt->job.with_cpu) {
        struct jt_cpu cpu = jobtable_process_cpu(p);
        char secs[32] = "-";
        if (cpu.kind != JT_PEAK_NONE)
            snprintf(secs, sizeof secs, "%.2fs", (double)(cpu.user_us + cpu.sys_us) / 1e6);
        used += (size_t)snprintf(buf + used, len - used, " %9s%s%s%s", secs, summary_style(s, SUMMARY_YELLOW),
                                 summary_kind_mark(cpu.kind), summary_style(s, SUMMARY_RESET));
    }
    if (s->jt->job.with_io && used < len) {
        char in[UNITS_SIZE_MAX] = "-", out[UNITS_SIZE_MAX] = "-";
        struct jt_io io = jobtable_process_io(s->jt, p);
        if (io.kind != JT_PEAK_NONE) {
            summary_bytes(io.rchar, in, sizeof in);
            summary_bytes(io.wchar, out, sizeof out);
        }
        snprintf(buf + used, len - used, " %10s %9s%s%s%s", in, out, summary_style(s, SUMMARY_YELLOW),
                 summary_kind_mark(io.kind), summary_style(s, SUMMARY_RESET));
    }
}

static void summary_row(struct summary *s, const struct report_row *row)
{
    char size[UNITS_SIZE_MAX], when[UNITS_DURATION_MAX], status[SUMMARY_STATUS_MAX];
    char line[SUMMARY_LINE_MAX];
    bool has_time = report_peak_has_time(&row->peak);

    units_format_size(row->peak.kib, size, sizeof size);
    if (has_time)
        units_format_elapsed(report_since_start_ns(s->jt, row->peak.at_ns), when, sizeof when);
    else
        snprintf(when, sizeof when, "-");
    summary_status(row->proc, status, sizeof status);
    /* A sampled peak is a lower bound: the wait's bound, when known, closes the interval. */
    if (row->peak.kind == JT_PEAK_SAMPLED && row->proc->bound_kib > row->peak.kib) {
        char upper[UNITS_SIZE_MAX];
        size_t used = strlen(status);
        units_format_size(row->proc->bound_kib, upper, sizeof upper);
        snprintf(status + used, sizeof status - used, "[≤ %s] ", upper);
    }
    char extra[SUMMARY_EXTRA_MAX];
    size_t prefix = SUMMARY_ROW_PREFIX + summary_extra_cols(s);
    summary_row_extra(s, row->proc, extra, sizeof extra);
    summary_row_command(row, status, s->width > prefix ? s->width - prefix : 0, line, sizeof line);
    summary_line(s, "%7d %10s%s%s%s %s %6s%s  %s", (int)row->proc->pid, size, summary_style(s, SUMMARY_YELLOW),
                 summary_kind_mark(row->peak.kind), summary_style(s, SUMMARY_RESET), has_time ? "@" : " ", when,
                 extra, line);
}

/* Explains the marks that appear in the listed rows and groups, and only those. */
static void summary_legend(struct summary *s, size_t rows, size_t groups)
{
    bool seen[JT_PEAK_EXACT + 1] = {false};
    char text[SUMMARY_NOTE_MAX];
    size_t used = 0;
    for (size_t i = 0; i < rows; i++)
        seen[s->v->rows[i].peak.kind] = true;
    for (size_t i = 0; i < groups; i++)
        seen[s->v->groups[i].largest_peak.kind] = true;
    for (size_t i = 0; i < rows; i++) {
        if (s->jt->job.with_cpu)
            seen[jobtable_process_cpu(s->v->rows[i].proc).kind] = true;
        if (s->jt->job.with_io)
            seen[jobtable_process_io(s->jt, s->v->rows[i].proc).kind] = true;
    }
    if (!seen[JT_PEAK_SAMPLED] && !seen[JT_PEAK_BOUND] && !seen[JT_PEAK_NONE])
        return;
    const char *sep = "(";
    text[0] = '\0';
    if (seen[JT_PEAK_SAMPLED]) {
        summary_append(text, sizeof text, &used, sep);
        summary_append(text, sizeof text, &used, "~ sampled: a lower bound");
        sep = "; ";
    }
    if (seen[JT_PEAK_BOUND]) {
        summary_append(text, sizeof text, &used, sep);
        summary_append(text, sizeof text, &used, "^ from wait (ru_maxrss): an upper bound");
        if (s->jt->job.with_cpu)
            summary_append(text, sizeof text, &used, " (CPU: its rusage, with the children it waited for)");
        sep = "; ";
    }
    if (seen[JT_PEAK_NONE]) {
        summary_append(text, sizeof text, &used, sep);
        summary_append(text, sizeof text, &used, "? no figure");
    }
    summary_append(text, sizeof text, &used, ")");
    summary_wrapped(s, SUMMARY_DIM, "  ", text);
}

static size_t summary_shown_groups(const struct report_view *v)
{
    return v->n_groups < SUMMARY_GROUPS_MAX ? v->n_groups : SUMMARY_GROUPS_MAX;
}

static void summary_processes(struct summary *s)
{
    const struct report_view *v = s->v;
    size_t shown = v->n_rows < SUMMARY_ROWS_MAX ? v->n_rows : SUMMARY_ROWS_MAX;
    char size[UNITS_SIZE_MAX];

    summary_title(s, "PER-PROCESS PEAKS");
    summary_line(s, "%s    PID     MEMORY      TIME%s%s  COMMAND%s", summary_style(s, SUMMARY_BOLD),
                 s->jt->job.with_cpu ? "        CPU" : "", s->jt->job.with_io ? "       READ   WRITTEN " : "",
                 summary_style(s, SUMMARY_RESET));
    for (size_t i = 0; i < shown; i++)
        summary_row(s, &v->rows[i]);
    if (shown < v->n_rows)
        summary_line(s, "  ... %zu more processes (all are in --json and --csv)", v->n_rows - shown);
    summary_legend(s, shown, summary_shown_groups(v));
    if (v->hidden_count > 0) {
        units_format_size(v->hidden_peak_kib, size, sizeof size);
        summary_line(s, "filter: %zu process%s hidden (%s of peaks)", v->hidden_count,
                     v->hidden_count == 1 ? "" : "es", size);
    }
}

/* The GROUP column: as wide as the longest name shown, within SUMMARY_NAME_COLS and what the width leaves. */
static size_t summary_group_name_cols(const struct summary *s, size_t shown)
{
    size_t cols = SUMMARY_GROUP_NAME_MIN;
    for (size_t i = 0; i < shown; i++) {
        size_t n = report_text_columns(s->v->groups[i].name);
        if (n > cols)
            cols = n < SUMMARY_NAME_COLS ? n : SUMMARY_NAME_COLS;
    }
    size_t room = s->width > SUMMARY_GROUP_ROW ? s->width - SUMMARY_GROUP_ROW : 0;
    if (cols > room)
        cols = room > SUMMARY_GROUP_NAME_MIN ? room : SUMMARY_GROUP_NAME_MIN;
    return cols;
}

/* "  24.6 MiB .. 52.0 MiB": what a group or a subtree held at one moment, at least .. at most ("n/a" for a
 * bound not proven); pad: the upper end takes its ten columns too. */
static void summary_interval(const struct report_lower *lower, const struct jt_upper *upper, bool pad, char *buf,
                             size_t len)
{
    char lo[UNITS_SIZE_MAX] = "n/a", up[UNITS_SIZE_MAX] = "n/a";
    if (lower->source != REPORT_LOWER_NONE)
        units_format_size(lower->kib, lo, sizeof lo);
    if (upper->proven)
        units_format_size(upper->kib, up, sizeof up);
    snprintf(buf, len, pad ? "%10s .. %-10s" : "%10s .. %s", lo, up);
}

static void summary_group_row(struct summary *s, const struct report_group *g, size_t name_cols)
{
    char name[SUMMARY_LINE_MAX], largest[UNITS_SIZE_MAX], interval[SUMMARY_NOTE_MAX];
    size_t cols = report_text_fit_middle(g->name, name_cols, 0, name, sizeof name);

    units_format_size(g->largest_peak.kib, largest, sizeof largest);
    summary_interval(&g->lower, &g->footprint.upper, false, interval, sizeof interval);
    summary_line(s, "  %s%*s  %5zu  %10s%s%s%s  %s", name, (int)(name_cols - cols), "", g->count, largest,
                 summary_style(s, SUMMARY_YELLOW), summary_kind_mark(g->largest_peak.kind),
                 summary_style(s, SUMMARY_RESET), interval);
}

static void summary_groups(struct summary *s)
{
    const struct report_view *v = s->v;
    size_t shown = summary_shown_groups(v);
    size_t name_cols = summary_group_name_cols(s, shown);
    char legend[SUMMARY_NOTE_MAX];
    bool unproven = false;
    /* The header names the interval's ends when there is room; the legend below always does. */
    bool long_head = s->width >= SUMMARY_GROUP_ROW + SUMMARY_GROUP_HEAD_EXTRA + name_cols;

    summary_title(s, "PROCESS GROUPS");
    static const char *const heads[] = {[JT_GROUP_COMMAND] = "GROUP", [JT_GROUP_EXE] = "EXE",
                                        [JT_GROUP_PPID] = "PPID", [JT_GROUP_TREE] = "GROUP"};
    summary_line(s, "%s  %-*s  PROCS     LARGEST   AT ONCE%s%s", summary_style(s, SUMMARY_BOLD), (int)name_cols,
                 heads[s->jt->job.group_by], long_head ? " (at least .. at most)" : "", summary_style(s, SUMMARY_RESET));
    for (size_t i = 0; i < shown; i++) {
        summary_group_row(s, &v->groups[i], name_cols);
        unproven |= !v->groups[i].footprint.upper.proven;
    }
    if (shown < v->n_groups)
        summary_line(s, "  ... %zu more groups (all are in --json)", v->n_groups - shown);
    snprintf(legend, sizeof legend, "(AT ONCE: the most the group held at one moment: at least what was seen, at "
             "most what its processes alive together could hold%s)", unproven ? "; n/a: not proven" : "");
    if (shown > 0)
        summary_wrapped(s, SUMMARY_DIM, "  ", legend);
}

/* A tree line: "    PID    OWN PEAK   SUBTREE (at least .. at most)  COMMAND", the command indented by depth. */
#define SUMMARY_TREE_ROWS_MAX 60 /* the rest is in --json */
#define SUMMARY_TREE_PREFIX 48   /* "%7d %10s%s  %25s  " */
#define SUMMARY_TREE_INDENT 2
#define SUMMARY_TREE_INDENT_SHARE 2 /* indentation takes at most 1/this of the command's columns */

/* Indentation for depth, within the share of the command's columns it may take. */
static size_t summary_tree_indent(uint32_t depth, size_t command_cols)
{
    size_t indent = (size_t)depth * SUMMARY_TREE_INDENT;
    size_t most = command_cols / SUMMARY_TREE_INDENT_SHARE;
    return indent < most ? indent : most;
}

static void summary_tree_row(struct summary *s, const struct report_tree_node *n)
{
    char size[UNITS_SIZE_MAX], interval[SUMMARY_NOTE_MAX], head[SUMMARY_NOTE_MAX], line[SUMMARY_LINE_MAX];
    size_t cols = s->width > SUMMARY_TREE_PREFIX ? s->width - SUMMARY_TREE_PREFIX : 0;
    size_t indent = summary_tree_indent(n->depth, cols);
    const struct jt_image *img = jobtable_current_image(n->proc);

    units_format_size(n->peak.kib, size, sizeof size);
    if (n->first_child != REPORT_NO_NODE)
        summary_interval(&n->lower, &n->subtree.upper, true, interval, sizeof interval);
    else
        snprintf(interval, sizeof interval, "%25s", ""); /* a leaf's subtree is itself */
    snprintf(head, sizeof head, "%*s%s", (int)indent, "", n->reparented ? "[re-parented] " : "");
    summary_fit_command(head, jobtable_group_name(img), img != NULL && img->label != NULL && img->argc > 0 ?
                        img->label + strlen(img->argv[0]) : "", cols, line, sizeof line);
    summary_line(s, "%7d %10s%s%s%s  %s  %s", (int)n->proc->pid, size, summary_style(s, SUMMARY_YELLOW),
                 summary_kind_mark(n->peak.kind), summary_style(s, SUMMARY_RESET), interval, line);
}

/* "… 412 more cc1, largest 38 MiB", under the last child shown of a fan-out. */
static void summary_tree_fold(struct summary *s, const struct report_tree_node *n)
{
    char size[UNITS_SIZE_MAX], name[SUMMARY_NAME_MAX], text[SUMMARY_NOTE_MAX];
    size_t cols = s->width > SUMMARY_TREE_PREFIX ? s->width - SUMMARY_TREE_PREFIX : 0;
    size_t indent = summary_tree_indent(n->depth, cols);
    units_format_size(n->fold_largest.kib, size, sizeof size);
    summary_program(n->proc, name, sizeof name);
    snprintf(text, sizeof text, "… %u more %s, largest %s%s", n->fold_more, name,
             n->fold_largest.kind == JT_PEAK_SAMPLED ? "≥ " : "", size);
    /* Under the commands when it fits there, else as far right as it fits. */
    size_t at = SUMMARY_TREE_PREFIX + indent, text_cols = report_text_columns(text);
    if (at + text_cols > s->width)
        at = s->width > text_cols ? s->width - text_cols : 0;
    summary_line(s, "%*s%s", (int)at, "", text);
}

static uint32_t summary_tree_unfolded(const struct report_tree_node *nodes, uint32_t i)
{
    while (i != REPORT_NO_NODE && nodes[i].folded)
        i = nodes[i].next_sibling;
    return i;
}

/* One line a node, depth first, heaviest first; a fan-out's fold line after the last shown child's subtree. */
static void summary_tree(struct summary *s)
{
    const struct report_view *v = s->v;
    const struct report_tree_node *nodes = v->tree;
    size_t shown = 0, hidden = 0;
    if (nodes == NULL)
        return;
    summary_title(s, "PROCESS TREE");
    summary_line(s, "%s    PID    OWN PEAK  SUBTREE AT ONCE (at least .. at most)  COMMAND%s",
                 summary_style(s, SUMMARY_BOLD), summary_style(s, SUMMARY_RESET));
    uint32_t i = summary_tree_unfolded(nodes, v->tree_first);
    while (i != REPORT_NO_NODE) {
        if (shown < SUMMARY_TREE_ROWS_MAX) {
            summary_tree_row(s, &nodes[i]);
            shown++;
        } else {
            hidden++;
        }
        uint32_t next = summary_tree_unfolded(nodes, nodes[i].first_child);
        for (uint32_t k = i; next == REPORT_NO_NODE && k != REPORT_NO_NODE; k = nodes[k].parent) {
            if (nodes[k].fold_more > 0 && shown < SUMMARY_TREE_ROWS_MAX) {
                summary_tree_fold(s, &nodes[k]);
                shown++;
            }
            next = summary_tree_unfolded(nodes, nodes[k].next_sibling);
        }
        i = next;
    }
    if (hidden > 0)
        summary_line(s, "  ... %zu more processes of the tree (all are in --json)", hidden);
    summary_wrapped(s, SUMMARY_DIM, "  ", "(SUBTREE AT ONCE: the most a process and its descendants held at one "
                    "moment: at least what was seen, at most what those alive together could hold; n/a: not "
                    "proven)");
}

/* "pid 123 leaky: 10.0 MiB -> 40.0 MiB (+300%) over 12.3s; by quarter of its life: a, b, c, d". */
static void summary_leak(struct summary *s, const struct report_leak *l)
{
    char from[UNITS_SIZE_MAX], to[UNITS_SIZE_MAX], over[UNITS_DURATION_MAX], name[SUMMARY_NAME_MAX];
    char quarters[SUMMARY_NOTE_MAX], text[2 * SUMMARY_NOTE_MAX];
    size_t used = 0;
    units_format_size(l->start_kib, from, sizeof from);
    units_format_size(l->end_kib, to, sizeof to);
    units_format_elapsed(l->end_ns - l->start_ns, over, sizeof over);
    summary_program(l->proc, name, sizeof name);
    quarters[0] = '\0';
    for (int k = 0; k < REPORT_LEAK_SEGMENTS; k++) {
        char q[UNITS_SIZE_MAX];
        units_format_size(l->segment_max_kib[k], q, sizeof q);
        summary_append(quarters, sizeof quarters, &used, k ? ", " : "");
        summary_append(quarters, sizeof quarters, &used, q);
    }
    snprintf(text, sizeof text, "pid %d %s: %s -> %s (+%u%%) over %s, sampled; highest by quarter of that time: %s",
             (int)l->proc->pid, name, from, to, l->growth_pct, over, quarters);
    summary_wrapped(s, "", "  ", text);
}

static void summary_leaks(struct summary *s)
{
    const struct jt_job *job = &s->jt->job;
    char rule[SUMMARY_NOTE_MAX], duration[UNITS_DURATION_MAX];
    if (job->leak_check == JT_LEAK_OFF)
        return;
    summary_title(s, "LEAK CHECK");
    units_format_elapsed((int64_t)job->leak_min_duration_ms * 1000000LL, duration, sizeof duration);
    for (size_t i = 0; i < s->v->n_leaks; i++)
        summary_leak(s, &s->v->leaks[i]);
    snprintf(rule, sizeof rule, "(%s: sampled memory that grew by at least %u%% over at least %s, rising in every "
             "quarter of that time; a step, a plateau after warm-up or a sawtooth is not flagged)",
             s->v->n_leaks ? "steady growth" : "no process grew steadily", job->leak_min_growth_pct, duration);
    summary_wrapped(s, SUMMARY_DIM, "  ", rule);
}

int report_summary_write(FILE *out, const struct report_view *v, const struct report_summary_options *opt)
{
    struct summary s = {.v = v, .jt = v->jt, .color = opt->color, .width = opt->width};

    if (s.width > REPORT_WIDTH_MAX)
        s.width = REPORT_WIDTH_MAX;
    report_out_init(&s.out, out);
    summary_header(&s);
    summary_memory(&s);
    summary_limits(&s);
    summary_usage(&s);
    summary_processes(&s);
    summary_groups(&s);
    summary_tree(&s);
    summary_leaks(&s);
    return report_out_finish(&s.out);
}
