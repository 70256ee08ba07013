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
    const char *group;     /* jobtable_group_key of the current image (into the table, or group_key) */
    char group_key[JT_GROUP_KEY_MAX];
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
/* One process in the process tree (--group-by tree). nodes[i] is jt->procs[i]. */
#define REPORT_NO_NODE JT_NO_PARENT
struct report_tree_node {
    const struct jt_process *proc;
    uint32_t parent;       /* REPORT_NO_NODE for a top node */
    uint32_t first_child;  /* children heaviest subtree first, REPORT_NO_NODE for none */
    uint32_t next_sibling;
    uint32_t depth;
    bool reparented;       /* its parent is unknown: an orphan adopted by memwatch, shown under the root */
    struct jt_peak peak;   /* its own: jobtable_process_peak */
    size_t count;          /* processes in its subtree, itself included */
    struct jt_footprint subtree; /* what its subtree held at one moment */
    struct report_lower lower;   /* of the subtree: max(sampled subtree sum, largest single image peak) */
    /* A fan-out: more than jt->job.tree_fold children of one program under one parent. The heaviest
     * tree_fold are shown; the others are folded (and their subtrees with them), the last one shown
     * says how many and the largest of their own peaks. */
    bool folded;
    uint32_t fold_more;
    struct jt_peak fold_largest;
};

/* --leak-check: a process whose sampled memory grew steadily over its life. Decided from its bounded series
 * alone (JT_SERIES_MAX buckets, each the highest RSS sampled in it): the buckets holding a sample, from the
 * first to the last, are cut into REPORT_LEAK_SEGMENTS equal spans; each span's highest reading must exceed
 * the one before by at least 1/REPORT_LEAK_STEP_SHARE of the whole growth, so a single step, a plateau
 * after warm-up and a sawtooth (flat maxima) are not flagged; the growth from the first bucket to the last
 * span's maximum must reach leak_min_growth_pct over at least leak_min_duration_ms. */
#define REPORT_LEAK_SEGMENTS 4
#define REPORT_LEAK_STEP_SHARE 8
#define REPORT_LEAK_MIN_POINTS (2 * REPORT_LEAK_SEGMENTS)
struct report_leak {
    const struct jt_process *proc;
    uint64_t start_kib;    /* the first sampled bucket's reading */
    uint64_t end_kib;      /* the last span's highest reading */
    uint32_t growth_pct;
    int64_t start_ns;      /* the first and last sampled buckets' starts */
    int64_t end_ns;
    uint32_t points;       /* buckets holding a sample */
    uint64_t segment_max_kib[REPORT_LEAK_SEGMENTS];
};
/* Whether p's series shows a steady growth by job's thresholds; the numbers behind it into *out. */
bool report_leak_judge(const struct jt_process *p, const struct jt_job *job, struct report_leak *out);

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
    struct jt_cpu cpu_total;         /* jobtable_total_cpu: exact only when every process's is */
    size_t cpu_unknown;              /* processes without an exact or sampled CPU figure */
    struct jt_io io_total;           /* jobtable_total_io */
    size_t io_unknown;               /* processes whose I/O counters nobody could read */
    struct report_limit limit_total; /* --max-total-rss against the total's interval */
    struct report_limit limit_proc;  /* --max-per-proc-rss against each process's figures */
    /* The process tree, only for --group-by tree (never filtered, like the totals); NULL otherwise. */
    struct report_tree_node *tree;
    uint32_t tree_first; /* the heaviest top node; the others follow as its siblings */
    /* --leak-check findings, largest growth first (never filtered); NULL with none or without the check. */
    struct report_leak *leaks;
    size_t n_leaks;
};

int report_view_build(struct report_view *v, const struct jobtable *jt, const struct report_filter *filter);
/* The process tree of v's job, never filtered: (*nodes)[i] for jt->procs[i], children linked heaviest subtree
 * first from *first, fan-outs folded by tree_fold. The view holds it as v->tree for --group-by tree only (other
 * formats print it when it is there); the HTML report builds its own whatever the grouping. Needs v's totals.
 * Returns 0 (the caller frees *nodes), or -1 on allocation failure (*nodes NULL). */
int report_tree_build(const struct report_view *v, struct report_tree_node **nodes, uint32_t *first);
/* "off", "report", "fail"; and back (-1 for another word). */
const char *report_leak_check_name(enum jt_leak_check c);
int report_leak_check_parse(const char *name, enum jt_leak_check *c);
/* "command", "exe", "ppid", "tree"; and back (-1 for another word). */
const char *report_group_by_name(enum jt_group_by g);
int report_group_by_parse(const char *name, enum jt_group_by *g);
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

/* A report read back from a file ("-": standard input): its table, and its view (unfiltered). */
struct report_file {
    const char *path; /* as the user named it, for messages */
    struct jobtable jt;
    struct report_view view;
    bool seed; /* the original tool's schema: peaks are sampled, bounds unknown */
};
/* 0, or -1 with one line in err naming the file: "cannot read 'x.json': No such file or directory (ENOENT)",
 * "'x.json' is not a memwatch report: not valid JSON (near byte 3)". */
int report_file_load(struct report_file *rf, const char *path, char *err, size_t errlen);
/* The same from the report's text. */
int report_file_parse(struct report_file *rf, const char *path, const char *text, char *err, size_t errlen);
/* Groups the view by another key (the view is rebuilt); 0, or -1 on allocation failure. */
int report_file_regroup(struct report_file *rf, enum jt_group_by group_by);
void report_file_free(struct report_file *rf);

#endif
