/* Two runs side by side: which figures changed, by how much and how surely, and a CI gate's verdict. Works on
 * two report views (each built from a job table read back from a JSON report), so what it says of a run is
 * what `memwatch run` said of it. */
#ifndef MEMWATCH_COMPARE_H
#define MEMWATCH_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "../report/report.h"

/* The figures a comparison shows; the gate judges those in compare_gate.metrics. */
enum compare_metric {
    COMPARE_TOTAL = 0,     /* the total's best lower bound (a sampled sum, or one process's peak) */
    COMPARE_TOTAL_UPPER,   /* the total's upper bound (unknown when not every process had a bound) */
    COMPARE_LARGEST,       /* the largest process peak */
    COMPARE_DURATION,      /* seconds */
    COMPARE_COUNT,         /* processes */
    COMPARE_GROUPS,        /* each group's largest process peak (one row per group) */
    COMPARE_METRICS,
};
#define COMPARE_METRIC_BIT(m) (1u << (m))

/* Chosen from measurement (tools/bench/spread, tools/bench/README.md): over 10 runs of two builds the proven
 * upper bound moved 1-4 %, exact process peaks 2-9 %, the sampled total 13-149 %. The upper bound is judged
 * only where both runs proved it. */
#define COMPARE_DEFAULT_METRICS \
    (COMPARE_METRIC_BIT(COMPARE_TOTAL_UPPER) | COMPARE_METRIC_BIT(COMPARE_LARGEST) | COMPARE_METRIC_BIT(COMPARE_GROUPS))
#define COMPARE_DEFAULT_THRESHOLD_PCT 10.0
#define COMPARE_DEFAULT_MAX_INCREASE_BYTES (1024u * 1024u)

/* "total", "total-upper", "largest", "duration", "count", "groups". */
const char *compare_metric_name(enum compare_metric m);
/* A comma-separated list of names (or "all") into a set of bits; 0, or -1 with the bad word in err. */
int compare_metrics_parse(const char *text, unsigned *bits, char *err, size_t errlen);

/* What counts as a regression: an increase of a gated figure above every allowance that applies. A relative
 * threshold applies to every figure; an absolute one (max_increase_kib) to memory figures only. */
struct compare_gate {
    unsigned metrics;     /* COMPARE_METRIC_BIT set */
    bool has_threshold;
    double threshold_pct; /* a regression grows by more than this percentage */
    bool has_max_increase;
    uint64_t max_increase_kib; /* ... and by more than this much */
};
/* The defaults when the user gave neither allowance (COMPARE_DEFAULT_*). */
void compare_gate_defaults(struct compare_gate *g);

enum compare_status {
    COMPARE_SAME = 0,     /* no change, or a change within the allowances */
    COMPARE_REGRESSED,    /* a gated figure grew above the allowances */
    COMPARE_GREW,         /* grew above them, but the gate does not judge this figure */
    COMPARE_IMPROVED,     /* fell by more than the allowances */
    COMPARE_APPEARED,     /* a group only the candidate has */
    COMPARE_VANISHED,     /* a group only the base has */
    COMPARE_UNKNOWN,      /* one side does not know the figure */
};
const char *compare_status_name(enum compare_status s);

/* One figure of one run. */
struct compare_figure {
    bool known;
    double value;            /* KiB, seconds or processes */
    enum jt_peak_kind kind;  /* EXACT for a figure measured exactly; SAMPLED a lower bound; BOUND an upper one */
    const char *detail;      /* the group of the largest process, or NULL; points into the view */
};

struct compare_row {
    enum compare_metric metric;
    const char *group;       /* COMPARE_GROUPS: the group's name; NULL otherwise */
    struct compare_figure base;
    struct compare_figure cand;
    double change;           /* cand - base when both are known */
    double change_pct;       /* relative to base; +/-INFINITY from 0; NAN when unknown */
    bool exact;              /* both figures exact: so is the change */
    bool gated;
    enum compare_status status;
};

struct compare_result {
    const struct report_file *base;
    const struct report_file *cand;
    struct compare_gate gate;
    struct compare_row *rows; /* job-wide rows (COMPARE_TOTAL..COMPARE_COUNT), then groups, worst first */
    size_t n_rows;
    size_t n_job_rows;
    enum jt_group_by group_by; /* the key groups were matched by */
    size_t regressed, improved, appeared, vanished;
    const struct compare_row *worst; /* the largest gated regression, or NULL */
};

/* Groups both runs by a key that means the same in both: the runs' own when they share it and it is
 * command or exe; otherwise command (a parent's pid means nothing in another run). Sets *regrouped when a
 * run's view was regrouped. 0, or -1 on allocation failure. */
int compare_align_groups(struct report_file *base, struct report_file *cand, bool *regrouped);
/* Compares two loaded runs; 0, or -1 on allocation failure. */
int compare_build(struct compare_result *r, const struct report_file *base, const struct report_file *cand,
                  const struct compare_gate *gate);
void compare_free(struct compare_result *r);
/* Whether the gate fails. */
static inline bool compare_failed(const struct compare_result *r) { return r->regressed > 0; }

/* Formatters: the table for a terminal, JSON, Markdown (a pull-request comment or $GITHUB_STEP_SUMMARY).
 * Each returns 0, or -1 with errno set by a failed write. */
struct compare_text_options {
    size_t width;
    bool color;
};
int compare_write_text(FILE *out, const struct compare_result *r, const struct compare_text_options *opt);
int compare_write_json(FILE *out, const struct compare_result *r);
int compare_write_markdown(FILE *out, const struct compare_result *r);

#endif
