/* The report view: one walk of the job table (filter, sort, group, totals) that every output format reads. */
#ifndef MEMWATCH_REPORT_H
#define MEMWATCH_REPORT_H

#include <regex.h>
#include <stdbool.h>
#include <stdio.h>

#include "../jobtable.h"

#define REPORT_SCHEMA_VERSION 1
#define REPORT_GROUP_NAME_MAX 64

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
};

struct report_group {
    char name[REPORT_GROUP_NAME_MAX];
    size_t count;
    uint64_t peak_sum_kib;
};

struct report_view {
    const struct jobtable *jt;
    const struct report_filter *filter; /* may be NULL */
    struct report_row *rows; /* listed processes, largest peak first */
    size_t n_rows;
    struct report_group *groups; /* of the listed processes, largest sum first */
    size_t n_groups;
    /* What the filter hid (totals below are never filtered). */
    size_t hidden_count;
    uint64_t hidden_peak_kib;
    /* Whole-job figures. */
    size_t n_processes;
    size_t n_exact; /* processes whose peak is exact */
    const struct jt_process *largest; /* largest process peak, NULL for an empty job */
    struct jt_peak largest_peak;
    struct jt_peak total_sampled;  /* lower bound of the total peak */
    uint64_t total_upper_kib;      /* upper bound of the total peak ... */
    bool total_upper_proven;       /* ... valid only when every process had an exact or bound figure */
    size_t total_upper_unbounded;
};

int report_view_build(struct report_view *v, const struct jobtable *jt, const struct report_filter *filter);
void report_view_free(struct report_view *v);

/* One formatter per format; each returns 0, or -1 with errno set by a failed write. */
int report_summary_write(FILE *out, const struct report_view *v, bool color);
int report_json_write(FILE *out, const struct report_view *v);
int report_csv_write(FILE *out, const struct report_view *v);
int report_timeline_write(FILE *out, const struct report_view *v);

/* Reads a JSON report (memwatch's, or the seed's) back into a job table (for compare and for tests). jt is
 * initialised by the call; the caller frees it with jobtable_free. Returns 0, or -1 with a message in err
 * (then jt is left empty). */
int report_json_read(const char *text, struct jobtable *jt, char *err, size_t errlen);

#endif
