/* Shared pieces of the report formats, so no two formats spell a kind or a time differently. */
#include "format.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

struct report_name {
    int value;
    const char *name;
};

static const struct report_name report_peak_kinds[] = {
    {JT_PEAK_NONE, "none"},
    {JT_PEAK_SAMPLED, "sampled"},
    {JT_PEAK_BOUND, "bound"},
    {JT_PEAK_EXACT, "exact"},
};

static const struct report_name report_ends[] = {
    {JT_END_RUNNING, "running"},
    {JT_END_EXITED, "exited"},
    {JT_END_SIGNALED, "signaled"},
    {JT_END_GONE, "gone"},
};

#define REPORT_NAMES_COUNT(table) (sizeof(table) / sizeof((table)[0]))

static const char *report_name_of(const struct report_name *table, size_t n, int value)
{
    for (size_t i = 0; i < n; i++)
        if (table[i].value == value)
            return table[i].name;
    return "unknown";
}

static int report_value_of(const struct report_name *table, size_t n, const char *name, int *value)
{
    for (size_t i = 0; name != NULL && i < n; i++) {
        if (strcmp(table[i].name, name) == 0) {
            *value = table[i].value;
            return 0;
        }
    }
    return -1;
}

const char *report_peak_kind_name(enum jt_peak_kind kind)
{
    return report_name_of(report_peak_kinds, REPORT_NAMES_COUNT(report_peak_kinds), (int)kind);
}

int report_peak_kind_parse(const char *name, enum jt_peak_kind *kind)
{
    int v;
    if (report_value_of(report_peak_kinds, REPORT_NAMES_COUNT(report_peak_kinds), name, &v) != 0)
        return -1;
    *kind = (enum jt_peak_kind)v;
    return 0;
}

const char *report_end_name(enum jt_end_kind end)
{
    return report_name_of(report_ends, REPORT_NAMES_COUNT(report_ends), (int)end);
}

int report_end_parse(const char *name, enum jt_end_kind *end)
{
    int v;
    if (report_value_of(report_ends, REPORT_NAMES_COUNT(report_ends), name, &v) != 0)
        return -1;
    *end = (enum jt_end_kind)v;
    return 0;
}

void report_signal_name(int sig, char *buf, size_t len)
{
    const char *abbrev = sig > 0 ? sigabbrev_np(sig) : NULL;
    if (abbrev != NULL)
        snprintf(buf, len, "SIG%s", abbrev);
    else
        snprintf(buf, len, "signal %d", sig);
}

void report_format_instant(const struct jobtable *jt, int64_t mono_ns, char *buf, size_t len)
{
    clock_format_rfc3339(clock_to_wall_ns(&jt->job.anchor, mono_ns), buf, len);
}

int64_t report_since_start_ns(const struct jobtable *jt, int64_t mono_ns)
{
    int64_t d = mono_ns - jt->job.start_ns;
    return d > 0 ? d : 0;
}

bool report_peak_has_time(const struct jt_peak *peak)
{
    return peak->kind != JT_PEAK_NONE && peak->at_ns != 0;
}

void report_out_init(struct report_out *o, FILE *file)
{
    o->file = file;
    o->error = 0;
}

static void report_out_failed(struct report_out *o)
{
    if (o->error == 0)
        o->error = errno != 0 ? errno : EIO;
}

void report_out_printf(struct report_out *o, const char *fmt, ...)
{
    va_list ap;
    if (o->error != 0)
        return;
    va_start(ap, fmt);
    errno = 0;
    if (vfprintf(o->file, fmt, ap) < 0)
        report_out_failed(o);
    va_end(ap);
}

void report_out_puts(struct report_out *o, const char *text)
{
    if (o->error != 0)
        return;
    errno = 0;
    if (fputs(text, o->file) == EOF)
        report_out_failed(o);
}

void report_out_csv_field(struct report_out *o, const char *text)
{
    if (text == NULL || strpbrk(text, ",\"\r\n") == NULL) {
        report_out_puts(o, text != NULL ? text : "");
        return;
    }
    report_out_puts(o, "\"");
    for (const char *p = text; *p != '\0'; p++) {
        const char *quote = strchr(p, '"');
        size_t run = quote != NULL ? (size_t)(quote - p) : strlen(p);
        report_out_printf(o, "%.*s", (int)run, p);
        if (quote == NULL)
            break;
        report_out_puts(o, "\"\"");
        p = quote;
    }
    report_out_puts(o, "\"");
}

int report_out_finish(struct report_out *o)
{
    if (o->error == 0) {
        errno = 0;
        if (fflush(o->file) != 0 || ferror(o->file))
            report_out_failed(o);
    }
    if (o->error != 0) {
        errno = o->error;
        return -1;
    }
    return 0;
}
