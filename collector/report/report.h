/* The report view: one walk of the job table (filter, sort, group, totals) that every output format reads. */
#ifndef MEMWATCH_REPORT_H
#define MEMWATCH_REPORT_H

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>

#include "../jobtable.h"

#define REPORT_SCHEMA_VERSION 1
#define REPORT_WIDTH_DEFAULT 80 /* columns when neither the terminal nor COLUMNS says */
#define REPORT_WIDTH_MAX 1000   /* wider terminals get lines this long at most */

/* --include / --exclude: POSIX extended regexes matched against a process's command line. */
struct report_filter {
    bool has_include;
    bool has_exclude;
    regex_t include;
    regex_t exclude;
    const char *include_text;
    const char *exclude_text;
};

/* Compiles the regexes; on failure writes "--include: '(' is not a valid regex: ..." into err. */
int report_filter_init(struct report_filter *f, const char *include, const char *exclude, char *err,
                       size_t errlen);
void report_filter_free(struct report_filter *f);
bool report_filter_match(const struct report_filter *f, const char *command_line);

struct report_row {
    const struct jt_process *proc;
    struct jt_peak peak;   /* jobtable_process_peak */
    const char *command;   /* label of the current image */
    const char *group;     /* jobtable_group_name of the current image */
};

/* Where the best known lower bound of a peak at one moment comes from. */
enum report_lower_source {
    REPORT_LOWER_NONE = 0,
    REPORT_LOWER_SAMPLED, /* a poller sample's sum */
    REPORT_LOWER_PROCESS, /* one process's own exact or sampled peak: no sample caught more */
};

struct report_lower {
    uint64_t kib;
    enum report_lower_source source;
    int64_t at_ns;                 /* the sample's instant (SAMPLED) */
    const struct jt_process *proc; /* the process (PROCESS) */
};

/* The processes listed whose current image runs one program; the footprint covers every image of that
 * program in the job, listed or not (like the totals, it is never filtered). */
struct report_group {
    const char *name; /* points into the job table */
    size_t count;
    const struct jt_process *largest; /* largest peak of one member ... */
    struct jt_peak largest_peak;      /* ... with its kind */
    struct jt_footprint footprint;
    struct report_lower lower; /* of the footprint: max(sampled sum, largest single image peak) */
};

/* A limit judged with honest figures: breached is proven when a lower bound (a sampled total, an exact or
 * sampled peak) exceeds it; only possible when just an upper bound does, or nothing proves the figure stays
 * under it; else within. */
enum report_breach { REPORT_BREACH_NONE = 0, REPORT_BREACH_WITHIN, REPORT_BREACH_POSSIBLE, REPORT_BREACH_PROVEN };
struct report_limit {
    uint64_t limit_bytes;          /* 0: no limit given */
    enum report_breach breach;
    uint64_t figure_kib;           /* the figure that decided it (a lower bound when proven, else the upper) */
    int64_t at_ns;                 /* when it was seen, 0 when unknown */
    const struct jt_process *proc; /* per-process limit: the process; total: the process behind the figure */
};
struct report_view {
    const struct jobtable *jt;
    const struct report_filter *filter; /* may be NULL */
    struct report_row *rows; /* listed processes, largest peak first */
    size_t n_rows;
    struct report_group *groups; /* of the listed processes, largest footprint bound first */
    size_t n_groups;
    /* What the filter hid (totals below are never filtered). */
    size_t hidden_count;
    uint64_t hidden_peak_kib;
    /* Whole-job figures. */
    size_t n_processes;
    size_t n_exact; /* processes whose peak is exact */
    const struct jt_process *largest; /* largest process peak, NULL for an empty job */
    struct jt_peak largest_peak;
    struct jt_peak total_sampled;  /* highest sampled total: the seed's max_total_rss_kib */
    struct report_lower total_lower; /* best lower bound of the total peak */
    struct jt_upper total_upper;   /* upper bound of the total peak, and whether it is proven */
    struct report_limit limit_total; /* --max-total-rss against the total's interval */
    struct report_limit limit_proc;  /* --max-per-proc-rss against each process's figures */
};

int report_view_build(struct report_view *v, const struct jobtable *jt, const struct report_filter *filter);
/* "within", "possible", "proven" (NULL for no limit). */
const char *report_breach_name(enum report_breach b);
/* The limit a job that succeeded fails on (the total's first, *total says which), or NULL. strict: a possible
 * breach counts too. */
const struct report_limit *report_limit_failed(const struct report_view *v, bool strict, bool *total);
void report_view_free(struct report_view *v);

/* How the human summary is laid out. */
struct report_summary_options {
    size_t width; /* columns no line may exceed */
    bool color;
};

/* The width a report shown on fd should fit: its terminal's (TIOCGWINSZ) when fd is one, else COLUMNS when
 * it is a plain positive number, else REPORT_WIDTH_DEFAULT; never more than REPORT_WIDTH_MAX. */
size_t report_terminal_width(int fd);

/* One formatter per format; each returns 0, or -1 with errno set by a failed write. */
int report_summary_write(FILE *out, const struct report_view *v, const struct report_summary_options *opt);
int report_json_write(FILE *out, const struct report_view *v);
int report_csv_write(FILE *out, const struct report_view *v);
int report_timeline_write(FILE *out, const struct report_view *v);
/* One self-contained HTML page (no network, no other file) that draws the job's memory. */
int report_html_write(FILE *out, const struct report_view *v);

/* Reads a JSON report (memwatch's, or the seed's) back into a job table (for compare and for tests). jt is
 * initialised by the call; the caller frees it with jobtable_free. Returns 0, or -1 with a message in err
 * (then jt is left empty). */
int report_json_read(const char *text, struct jobtable *jt, char *err, size_t errlen);

#endif
