/* Shared pieces of the report formats, so no two formats spell a kind or a time differently. */
#include "format.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "../utf8.h"
#include "report.h"

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

static const struct report_name report_group_bys[] = {
    {JT_GROUP_COMMAND, "command"},
    {JT_GROUP_EXE, "exe"},
    {JT_GROUP_PPID, "ppid"},
    {JT_GROUP_TREE, "tree"},
};

static const struct report_name report_leak_checks[] = {
    {JT_LEAK_OFF, "off"},
    {JT_LEAK_REPORT, "report"},
    {JT_LEAK_FAIL, "fail"},
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

const char *report_group_by_name(enum jt_group_by g)
{
    return report_name_of(report_group_bys, REPORT_NAMES_COUNT(report_group_bys), (int)g);
}

int report_group_by_parse(const char *name, enum jt_group_by *g)
{
    int v;
    if (report_value_of(report_group_bys, REPORT_NAMES_COUNT(report_group_bys), name, &v) != 0)
        return -1;
    *g = (enum jt_group_by)v;
    return 0;
}

const char *report_leak_check_name(enum jt_leak_check c)
{
    return report_name_of(report_leak_checks, REPORT_NAMES_COUNT(report_leak_checks), (int)c);
}

int report_leak_check_parse(const char *name, enum jt_leak_check *c)
{
    int v;
    if (report_value_of(report_leak_checks, REPORT_NAMES_COUNT(report_leak_checks), name, &v) != 0)
        return -1;
    *c = (enum jt_leak_check)v;
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

int64_t report_elapsed_ms(const struct jobtable *jt, int64_t mono_ns)
{
    return (report_since_start_ns(jt, mono_ns) + 500000) / 1000000;
}

bool report_peak_has_time(const struct jt_peak *peak)
{
    return peak->kind != JT_PEAK_NONE && peak->at_ns != 0;
}

/* ---- text for a terminal ---- */

#define FMT_ESC 0x1b
#define FMT_NOT_FOUND ((size_t)-1)

/* Characters that would move the cursor, change the terminal's state or reorder what follows. */
static bool fmt_is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x200e || cp == 0x200f || cp == 0x2028 ||
           cp == 0x2029 || (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* One column of text at p: the bytes it takes, and whether they are shown as they are (else as '?'). */
static size_t fmt_unit(const unsigned char *p, bool *shown)
{
    uint32_t cp;
    size_t n = utf8_decode((const char *)p, &cp);
    *shown = cp != UTF8_INVALID && !fmt_is_control(cp);
    return n;
}

/* The length of the colour sequence (ESC [ parameters final byte) at p, or 0. */
static size_t fmt_escape(const unsigned char *p)
{
    if (p[0] != FMT_ESC || p[1] != '[')
        return 0;
    size_t n = 2;
    while (p[n] >= 0x30 && p[n] <= 0x3f)
        n++;
    while (p[n] >= 0x20 && p[n] <= 0x2f)
        n++;
    return (p[n] >= 0x40 && p[n] <= 0x7e) ? n + 1 : 0;
}

/* A bounded output: once something does not fit, nothing more is added (no character is ever split). */
struct fmt_writer {
    char *buf;
    size_t len;
    size_t used;
    size_t cols;
    bool full;
};

static void fmt_put(struct fmt_writer *w, const void *bytes, size_t n, size_t cols)
{
    if (w->full || w->used + n >= w->len) {
        w->full = true;
        return;
    }
    memcpy(w->buf + w->used, bytes, n);
    w->used += n;
    w->cols += cols;
    w->buf[w->used] = '\0';
}

/* Writes the columns [from, to) of text; returns where column `to` starts. */
static const unsigned char *fmt_put_units(struct fmt_writer *w, const unsigned char *p, size_t from, size_t to)
{
    for (size_t i = 0; *p != '\0' && i < to; i++) {
        bool shown;
        size_t n = fmt_unit(p, &shown);
        if (i >= from)
            fmt_put(w, shown ? (const void *)p : "?", shown ? n : 1, 1);
        p += n;
    }
    return p;
}

/* The first (or last) column in [from, to) that is a space, or FMT_NOT_FOUND. */
static size_t fmt_find_space(const unsigned char *p, size_t from, size_t to, bool last)
{
    size_t found = FMT_NOT_FOUND;
    for (size_t i = 0; *p != '\0' && i < to; i++) {
        bool shown;
        if (i >= from && *p == ' ') {
            found = i;
            if (!last)
                break;
        }
        p += fmt_unit(p, &shown);
    }
    return found;
}

static bool fmt_is_space_at(const unsigned char *p, size_t i)
{
    return fmt_find_space(p, i, i + 1, false) == i;
}

size_t report_text_columns(const char *text)
{
    size_t cols = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p != '\0';) {
        bool shown;
        size_t esc = fmt_escape(p);
        p += esc ? esc : fmt_unit(p, &shown);
        cols += esc == 0;
    }
    return cols;
}

/* Where the kept end of a cut text starts: at the space before a word when one is near, else anywhere. */
static size_t fmt_tail_start(const unsigned char *p, size_t n, size_t tail)
{
    size_t start = n - tail;
    if (tail == 0 || fmt_is_space_at(p, start))
        return start;
    if (fmt_is_space_at(p, start - 1))
        return start - 1; /* one column from the head buys the word whole */
    size_t space = fmt_find_space(p, start, n - (tail + 1) / 2 + 1, false);
    return space != FMT_NOT_FOUND ? space : start;
}

/* How many columns of the head to keep: through the space after a word when one is near, never below
 * keep_head; else all of them. */
static size_t fmt_head_end(const unsigned char *p, size_t head, size_t keep_head)
{
    if (head == 0 || fmt_is_space_at(p, head - 1))
        return head;
    size_t lo = keep_head > (head + 1) / 2 ? keep_head : (head + 1) / 2;
    size_t space = lo > 0 ? fmt_find_space(p, lo - 1, head, true) : FMT_NOT_FOUND;
    return space != FMT_NOT_FOUND ? space + 1 : head;
}

size_t report_text_fit_middle(const char *text, size_t width, size_t keep_head, char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)text;
    struct fmt_writer w = {.buf = buf, .len = len};
    size_t n = 0;

    if (len == 0)
        return 0;
    buf[0] = '\0';
    for (const unsigned char *q = p; *q != '\0'; n++) {
        bool shown;
        q += fmt_unit(q, &shown);
    }
    if (n <= width || width <= REPORT_ELLIPSIS_COLS) {
        fmt_put_units(&w, p, 0, n <= width ? n : width);
        return w.cols;
    }
    size_t avail = width - REPORT_ELLIPSIS_COLS;
    /* The end matters most (the file being compiled): the head gets a third, or what it must keep. */
    size_t head = keep_head > avail / 3 ? keep_head : avail / 3;
    if (head > avail)
        head = avail;
    size_t tail_start = fmt_tail_start(p, n, avail - head);
    head = fmt_head_end(p, avail - (n - tail_start), keep_head);
    /* Columns the head gave back go to an end that was cut inside a word anyway. */
    if (tail_start < n && !fmt_is_space_at(p, tail_start))
        tail_start -= avail - head - (n - tail_start);
    fmt_put_units(&w, p, 0, head);
    fmt_put(&w, REPORT_ELLIPSIS, strlen(REPORT_ELLIPSIS), REPORT_ELLIPSIS_COLS);
    fmt_put_units(&w, p, tail_start, n);
    return w.cols;
}

size_t report_line_fit(const char *line, size_t width, char *buf, size_t len)
{
    struct fmt_writer w = {.buf = buf, .len = len};
    bool cut = report_text_columns(line) > width;
    size_t keep = (cut && width > REPORT_ELLIPSIS_COLS) ? width - REPORT_ELLIPSIS_COLS : width;
    bool marked = false;

    if (len == 0)
        return 0;
    buf[0] = '\0';
    for (const unsigned char *p = (const unsigned char *)line; *p != '\0';) {
        size_t esc = fmt_escape(p);
        if (esc) {
            fmt_put(&w, p, esc, 0);
            p += esc;
            continue;
        }
        if (w.cols < keep) {
            p = fmt_put_units(&w, p, 0, 1);
            continue;
        }
        if (cut && !marked && width > REPORT_ELLIPSIS_COLS)
            fmt_put(&w, REPORT_ELLIPSIS, strlen(REPORT_ELLIPSIS), REPORT_ELLIPSIS_COLS);
        marked = true;
        bool shown;
        p += fmt_unit(p, &shown); /* dropped: only colour sequences follow a cut */
    }
    return w.cols;
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

static void report_out_csv_clean(struct report_out *o, const char *text)
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

void report_out_csv_field(struct report_out *o, const char *text)
{
    char *copy = NULL;
    const char *clean = text != NULL ? utf8_clean(text, &copy) : NULL;
    if (text != NULL && clean == NULL) {
        if (o->error == 0)
            o->error = ENOMEM;
        return;
    }
    report_out_csv_clean(o, clean);
    free(copy);
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

size_t report_terminal_width(int fd)
{
    struct winsize ws;
    if (isatty(fd) && ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col < REPORT_WIDTH_MAX ? ws.ws_col : REPORT_WIDTH_MAX;
    /* COLUMNS is a hint from the shell, or from the user widening a log: only a plain number is one. */
    const char *columns = getenv("COLUMNS");
    if (columns == NULL || columns[0] < '1' || columns[0] > '9' || strspn(columns, "0123456789") != strlen(columns))
        return REPORT_WIDTH_DEFAULT;
    if (strlen(columns) > 4) /* beyond REPORT_WIDTH_MAX anyway, and no overflow to think about */
        return REPORT_WIDTH_MAX;
    size_t n = (size_t)atoi(columns);
    return n < REPORT_WIDTH_MAX ? n : REPORT_WIDTH_MAX;
}
