/* Pieces every report format shares: names of peak and end kinds, instants as text, checked writes. */
#ifndef MEMWATCH_REPORT_FORMAT_H
#define MEMWATCH_REPORT_FORMAT_H

#include <stdbool.h>
#include <stdio.h>

#include "../clock.h"
#include "../jobtable.h"

#define REPORT_SIGNAL_NAME_MAX 16 /* "SIGRTMIN+15", or "signal 123", and NUL */

/* "exact", "sampled", "bound", "none": the words JSON and CSV carry. */
const char *report_peak_kind_name(enum jt_peak_kind kind);
/* The reverse; returns 0, or -1 for a word that is not a peak kind. */
int report_peak_kind_parse(const char *name, enum jt_peak_kind *kind);
/* "running", "exited", "signaled", "gone". */
const char *report_end_name(enum jt_end_kind end);
int report_end_parse(const char *name, enum jt_end_kind *end);
/* "SIGKILL", or "signal N" for a number with no name. */
void report_signal_name(int sig, char *buf, size_t len);

/* A monotonic instant of the table as RFC 3339 UTC text (the one place instants become wall time). */
void report_format_instant(const struct jobtable *jt, int64_t mono_ns, char *buf, size_t len);
/* Nanoseconds from the job's start to mono_ns, never negative. */
int64_t report_since_start_ns(const struct jobtable *jt, int64_t mono_ns);
/* Milliseconds from the job's start to mono_ns, rounded to the nearest (how the timeline is written). */
int64_t report_elapsed_ms(const struct jobtable *jt, int64_t mono_ns);
/* Whether a peak carries the instant it was reached. */
bool report_peak_has_time(const struct jt_peak *peak);

/* Text for a terminal. Every character counts as one column; control characters (C0, DEL, C1, bidirectional
 * overrides: argv may hold escapes) are shown as '?', and so is invalid UTF-8, one '?' where the report files
 * have one U+FFFD (utf8.h), so output is always valid UTF-8. */
#define REPORT_ELLIPSIS "..."
#define REPORT_ELLIPSIS_COLS 3

/* Columns text takes on a terminal; ANSI colour sequences (ESC [ ... m) take none. */
size_t report_text_columns(const char *text);
/* Copies text into buf in at most width columns. A longer text is cut in the middle with REPORT_ELLIPSIS,
 * keeping its first keep_head columns when they fit and as much of its end as fits (cuts fall between
 * words when a space is near). buf always ends with a NUL and a whole character. Returns the columns. */
size_t report_text_fit_middle(const char *text, size_t width, size_t keep_head, char *buf, size_t len);
/* Copies a line into buf in at most width columns, cutting its end with REPORT_ELLIPSIS; colour sequences
 * are kept whole (so a reset after a cut still resets) and take no column. Returns the columns. */
size_t report_line_fit(const char *line, size_t width, char *buf, size_t len);

/* A stream that remembers its first failed write, so formatters check once, at the end. */
struct report_out {
    FILE *file;
    int error; /* errno of the first failed write, 0 while all is well */
};

void report_out_init(struct report_out *o, FILE *file);
void report_out_printf(struct report_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void report_out_puts(struct report_out *o, const char *text);
/* One CSV field (RFC 4180): quoted, with quotes doubled, when it holds a comma, quote, CR or LF; invalid
 * UTF-8 is written as JSON has it (utf8_clean). */
void report_out_csv_field(struct report_out *o, const char *text);
/* Flushes; returns 0, or -1 with errno set to the first failure. */
int report_out_finish(struct report_out *o);

#endif
