/* The job table: every process of the job and its images, peaks and lifetimes. The one model that agent
 * events and the poller feed, and that every report reads. */
#ifndef MEMWATCH_JOBTABLE_H
#define MEMWATCH_JOBTABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "clock.h"

/* Ordered by trust: a larger kind never gives way to a smaller one when figures are merged. */
enum jt_peak_kind {
    JT_PEAK_NONE = 0,
    JT_PEAK_SAMPLED, /* the highest RSS the poller saw: a lower bound */
    JT_PEAK_BOUND,   /* ru_maxrss from a wait: an upper bound (carries pages across fork and exec) */
    JT_PEAK_EXACT,   /* VmHWM reported by the agent */
};

/* 16 bytes, not 24: every image holds two and the job table holds tens of thousands of images (memwatch's
 * own memory at 10,000 processes is a benchmark target). 60 bits of nanoseconds are 36 years of uptime. */
struct jt_peak {
    uint64_t kib;
    int64_t at_ns : 60;          /* monotonic; 0 when unknown (bound peaks have no instant) */
    enum jt_peak_kind kind : 4; /* its values fit: NONE..EXACT */
};

enum jt_end_kind {
    JT_END_RUNNING = 0, /* still alive when the report was made */
    JT_END_EXITED,      /* exit code known */
    JT_END_SIGNALED,    /* killed by a signal */
    JT_END_GONE,        /* vanished; how it ended is unknown */
};

/* Where a figure or a sighting came from. */
enum jt_source {
    JT_SOURCE_POLLER = 1u << 0,
    JT_SOURCE_AGENT = 1u << 1,
    JT_SOURCE_REAPER = 1u << 2, /* memwatch's own wait, or a parent's wait hook */
};

/* A bounded RSS series: it grows with the process's life up to its maximum of buckets (jobtable.series_max,
 * --series-buckets); when full, neighbours merge and the bucket width doubles, so each bucket's maximum (and
 * so the exact peak) survives. */
#define JT_SERIES_DEFAULT 1024u  /* buckets a series may grow to unless told */
#define JT_SERIES_LIMIT 65536u   /* the most any series holds (and a report read back may) */
#define JT_SERIES_FLOOR 64u      /* what every series may reach even once the budget is spent */
#define JT_SERIES_BUDGET 2097152u /* buckets (16 MiB) all series may take beyond the floor: memory stays bounded */
struct jt_series {
    int64_t t0_ns;
    int64_t bucket_ns;
    uint32_t count;
    uint32_t cap;
    uint64_t *max_kib; /* count entries, allocated lazily */
};

/* One program run by a process: each exec starts a new image. A fork child's first image is its own copy
 * of the parent's program (same argv). */
struct jt_image {
    char **argv; /* argc entries and a NULL; one pooled block with the strings, label and exe */
    uint32_t argc;
    bool argv_truncated;
    char *exe; /* may be NULL when only the poller saw the image */
    char *label; /* argv joined by spaces: the command line shown in reports */
    int64_t start_ns;
    int64_t end_ns; /* 0 while current */
    int64_t agent_start_ns; /* the instant the agent stamped on its start message: how its later reports
                             * name the image (start_ns may move earlier when merged with a sighting) */
    struct jt_peak exact;   /* kind EXACT or NONE */
    struct jt_peak sampled; /* kind SAMPLED or NONE */
    unsigned sources; /* enum jt_source bits */
    bool exec_pending; /* the agent announced an exec; a relabel seen by the poller is believed */
    bool placeholder;  /* argv unknown (read while the process was exiting): "[comm]" stands in */
    bool unreported;   /* an exec the agent announced and never followed: a program it could not enter */
    bool parent_copy;  /* a fork child's first image: its parent's program, and mostly its parent's pages */
};

#define JT_COMM_MAX 16 /* the kernel's TASK_COMM_LEN */

/* CPU time of a process, user and system: cumulative over its execs (it is the process's, not an image's). */
struct jt_cpu {
    uint64_t user_us;
    uint64_t sys_us : 60; /* 16 bytes, as jt_peak: 2^60 microseconds are 36,000 years */
    /* EXACT: the kernel's count when the process ended (the agent's rusage at exit, or memwatch's reading of
     * the zombie it reaps); SAMPLED: a reading taken while it ran (a lower bound); BOUND: a wait's rusage,
     * which counts the children the process itself waited for too (an upper bound); NONE: unknown. */
    enum jt_peak_kind kind : 4;
};

/* What a process and its live descendants held together at one poller sample: the highest such sum, and
 * the sum of the sample being added. */
struct jt_subtree_sample {
    struct jt_peak peak; /* SAMPLED, or NONE */
    uint64_t pass_kib;
    int64_t pass_ns;
};

/* The I/O counters of a process (/proc/PID/io). Like a wait's rusage, they hold what the children it waited
 * for did too: the kernel adds a child's counters to its reaper's. */
struct jt_io {
    uint64_t rchar;       /* bytes read through system calls (files, pipes, sockets, the page cache) */
    uint64_t wchar;       /* bytes written through system calls */
    uint64_t read_bytes;  /* bytes fetched from storage */
    uint64_t write_bytes; /* bytes sent to storage */
    enum jt_peak_kind kind; /* EXACT: the agent's at exit; SAMPLED: a reading while it ran; NONE: unknown */
};

struct jt_process {
    uint32_t id; /* index in the table, stable */
    pid_t pid;
    pid_t ppid;
    enum jt_end_kind end;
    uint64_t starttime_ticks; /* 0 when unknown */
    int64_t first_seen_ns;
    int64_t last_seen_ns;
    int64_t end_ns; /* 0 while running */
    int exit_code;  /* JT_END_EXITED */
    int signal;     /* JT_END_SIGNALED */
    uint64_t bound_kib; /* ru_maxrss from a wait (never below a figure seen), 0 when unknown */
    struct jt_cpu cpu;      /* the best reading that is not above the truth: EXACT, SAMPLED or NONE */
    struct jt_cpu cpu_wait; /* a wait's rusage: BOUND or NONE */
    uint64_t last_rss_kib;
    int64_t last_rss_ns; /* when the poller read last_rss_kib: which processes a sample summed */
    struct jt_image *images;
    uint32_t n_images;
    uint32_t cap_images;
    unsigned sources;
    bool is_root;
    bool forked; /* began as a fork child of a known process (same image as its parent) */
    bool reaped_by_memwatch; /* memwatch's own wait ended it: its counters are in no other process's */
    /* What the poller last read of the program; a change of either means an exec. */
    char comm[JT_COMM_MAX];
    uint64_t code_start;
    struct jt_series series;
    /* Its I/O counters and subtree sums are in the table's per-process extras (only when asked for). */
};

/* One poller sample of the whole job. */
struct jt_sample {
    int64_t t_ns;
    uint64_t total_kib;
    uint32_t process_count;
};

/* How reports group processes (--group-by). The key of the sampled group sums too, so sampling must know it
 * before the job starts. The tree groups its table like command does, and adds the process tree. */
enum jt_group_by { JT_GROUP_COMMAND = 0, JT_GROUP_EXE, JT_GROUP_PPID, JT_GROUP_TREE };

/* --leak-check: off, findings reported, or findings fail a job that succeeded (exit 12). */
enum jt_leak_check { JT_LEAK_OFF = 0, JT_LEAK_REPORT, JT_LEAK_FAIL };

/* Facts about the run, beside the processes. */
struct jt_job {
    char **argv; /* the job's command, owned */
    uint32_t argc;
    struct clock_anchor anchor; /* converts the table's monotonic instants to wall time */
    int64_t start_ns;
    int64_t end_ns;
    uint32_t interval_ms;
    int exit_code; /* what memwatch exits with: the job's code, or 128+N */
    bool agent_enabled;
    bool agent_32bit; /* a 32-bit agent was injected too: 32-bit programs are entered like the others */
    bool with_cpu;    /* --with-cpu: reports show CPU times */
    bool with_io;     /* --with-io: the poller reads /proc/PID/io, reports show bytes read and written */
    uint64_t max_total_bytes; /* the user's limits (--max-total-rss, --max-per-proc-rss), 0: none */
    uint64_t max_proc_bytes;
    enum jt_group_by group_by;
    bool subtree_samples; /* each sample also sums every subtree (the tree of --group-by tree, or the HTML
                           * report's): jobtable_subtree_sampled reads it */
    uint32_t tree_fold; /* --tree-fold: more children of one program than this are folded into one line */
    enum jt_leak_check leak_check;
    uint32_t leak_min_growth_pct;  /* --leak-min-growth */
    uint32_t leak_min_duration_ms; /* --leak-min-duration */
    char *memwatch_version;
    char *kernel;   /* uname -sr */
    char *hostname;
    uint64_t mem_total_kib;
};

/* Counters of what the collector dropped or could not attribute. */
struct jt_stats {
    uint64_t bad_messages;
    uint64_t orphan_messages; /* valid, but for no process of the job */
    uint64_t dropped_foreign; /* from a sender not shown to belong to the job, or a forged child end */
    uint64_t agent_images;    /* image starts reported by the agent */
};

/* Images that ran the same command line share one argv block (a storm of 10,000 /bin/true, the copy of
 * its parent every fork child begins as): a pool of blocks, counted by reference. */
struct jt_argv_block;
struct jt_argv_pool {
    struct jt_argv_block **buckets;
    size_t cap;
    size_t count;
};

/* The most the images of one program held together at one poller sample, keyed by the group name of
 * reports: a lower bound of the group's footprint that only sampling time can know. */
struct jt_group_sample {
    char *name;          /* owned; NULL for an empty slot */
    struct jt_peak peak; /* SAMPLED: the largest per-sample sum and when, or NONE */
    uint64_t pass_kib;   /* the sum of the sample being added */
    int64_t pass_ns;
};
struct jt_group_samples {
    struct jt_group_sample *slots; /* open addressing by name */
    size_t cap;
    size_t count;
};

struct jobtable {
    struct jt_process **procs; /* in order of first sighting */
    size_t n_procs;
    size_t cap_procs;
    uint32_t *live_index; /* open-addressing pid -> procs index + 1 for processes not yet ended */
    size_t live_cap;
    size_t live_count;
    struct jt_sample *samples;
    size_t n_samples;
    size_t cap_samples;
    struct jt_argv_pool argv_pool;
    struct jt_group_samples group_samples;
    /* Per-process figures only some runs ask for, kept beside the processes (indexed by id, grown on first
     * use) so that a run without them pays nothing per process: I/O counters (--with-io, or a report read
     * back), and subtree sums (jobtable_subtree_sampled). */
    struct jt_io *io;
    size_t cap_io;
    struct jt_subtree_sample *subtree;
    size_t cap_subtree;
    struct jt_job job;
    struct jt_stats stats;
    uint32_t series_max;     /* buckets a process's series may grow to; 0: JT_SERIES_DEFAULT */
    uint64_t series_buckets; /* buckets allocated over all series, against JT_SERIES_BUDGET */
};

/* A process image as the agent or the poller describes it. */
struct jt_image_desc {
    pid_t pid;
    pid_t ppid;
    uint64_t starttime_ticks; /* 0 when unknown */
    int64_t t_ns;
    const char *exe;          /* may be NULL */
    const char *argv_blob;    /* argc NUL-terminated strings, back to back */
    size_t argv_len;
    uint32_t argc;
    bool argv_truncated;
    bool forked; /* a fork child: new process, same image as its parent */
    bool placeholder; /* argv_blob is "[comm]": the real command line could not be read */
    enum jt_source source;
    uint64_t hwm_kib; /* the poller's reading of VmHWM: a lower bound of the image's peak; 0 unknown */
};

/* The kernel hands out pids in increasing order up to pid_max (32768 at least) before it reuses one: no job
 * cycles through them this fast, so a pid seen to end is not another process's within this time. */
#define JT_PID_REUSE_NS 1000000000LL

/* A wait result for a process of the job. */
struct jt_reaped {
    pid_t pid;
    uint64_t starttime_ticks; /* which process of that pid, when the reaper could tell (memwatch can); 0 unknown */
    pid_t reaper;      /* the process of the job that waited; 0 when unknown */
    bool by_collector; /* memwatch's own wait: its children are the root and the orphans it adopted */
    int64_t t_ns;
    int wait_status;
    uint64_t maxrss_kib; /* 0 when unknown */
    bool has_rusage;     /* utime_us and stime_us hold the wait's rusage */
    uint64_t utime_us;
    uint64_t stime_us;
    bool has_own_cpu;    /* the reaper read the zombie's own CPU time (/proc/PID/stat) just before the wait */
    uint64_t own_user_us;
    uint64_t own_sys_us;
    bool has_own_io;     /* the reaper read the zombie's /proc/PID/io just before the wait: final */
    struct jt_io own_io;
};

void jobtable_init(struct jobtable *jt);
void jobtable_free(struct jobtable *jt);

/* The process now alive with that pid, or NULL. */
struct jt_process *jobtable_find_live(const struct jobtable *jt, pid_t pid);
/* The current image of a process (every process has at least one). */
struct jt_image *jobtable_current_image(const struct jt_process *p);

/* An image started: a new process (new pid, reused pid, fork child) or an exec in a known one. Images stay
 * ordered by start instant whatever order reports arrive in. Returns the process, or NULL on allocation
 * failure. */
struct jt_process *jobtable_image_started(struct jobtable *jt, const struct jt_image_desc *desc);
/* The poller saw a live process with this RSS (and desc->hwm_kib, when read). Creates it if new; a changed starttime means a reused pid
 * (the old process is ended as gone); a changed command line means an exec the agent did not report. */
struct jt_process *jobtable_observed(struct jobtable *jt, const struct jt_image_desc *desc, uint64_t rss_kib);
/* The agent's VmHWM for one image of p. Messages from different connections can arrive out of order, so a
 * report names its image by start instant (0 = the current image). */
struct jt_peak_report {
    int64_t image_start_ns;
    int64_t t_ns;
    uint64_t hwm_kib;
    uint64_t utime_us; /* the process's CPU time (rusage) */
    uint64_t stime_us;
    bool at_exec; /* sent just before an exec: if the exec succeeds, a new image follows */
    bool has_io;  /* io holds the process's counters (read at exit) */
    struct jt_io io;
};
void jobtable_image_peak(struct jobtable *jt, struct jt_process *p, const struct jt_peak_report *r);
/* A wait reaped pid: records how it ended and ru_maxrss as a bound. A process the poller already saw vanish
 * (ended "gone") learns its status late; a result older than the live process's first sighting belongs to
 * an earlier process of that pid. An unknown pid reaped by a known process of the job (r->reaper) was a
 * process of the job nobody saw: it is created, with its bound. Otherwise returns NULL. */
struct jt_process *jobtable_reaped(struct jobtable *jt, const struct jt_reaped *r);
/* A reading of p's VmHWM by someone about to kill it (memwatch forwarding a signal, or a process of the job
 * through its agent): a lower bound of its current image's peak, the last one taken. */
void jobtable_hwm_reading(struct jobtable *jt, struct jt_process *p, int64_t t_ns, uint64_t hwm_kib);
/* p vanished without a known status (e.g. /proc/PID disappeared). */
void jobtable_gone(struct jobtable *jt, struct jt_process *p, int64_t t_ns);
/* Records one job-wide sample (the poller has already called jobtable_observed for each process), and each
 * group's sum of the processes read at t_ns. Returns 0, or -1 on allocation failure. */
int jobtable_add_sample(struct jobtable *jt, int64_t t_ns, uint64_t total_kib, uint32_t process_count);
/* Raises a group's sampled footprint to kib at at_ns (for a sample, or a report read back). 0, or -1. */
int jobtable_group_sample(struct jobtable *jt, const char *name, uint64_t kib, int64_t at_ns);
/* A group's highest per-sample sum (SAMPLED), or a NONE peak when no sample saw the group. */
struct jt_peak jobtable_group_sampled_peak(const struct jobtable *jt, const char *name);
/* Closes the table at end_ns: processes still running stay JT_END_RUNNING, their lifetimes end here. An
 * exec the agent announced and no image followed becomes an unreported image (no exact figure). */
void jobtable_finish(struct jobtable *jt, int64_t end_ns);

/* Peak of an image: exact when the agent reported it, else sampled. VmHWM does not say when the peak was:
 * an exact peak takes the instant of a sample within 5 % of it, else the instant it was reported. */
struct jt_peak jobtable_image_best_peak(const struct jt_image *img);
/* Peak of a process, over the programs it ran: a fork child's copy of its parent (before its exec) is
 * left out when an exec followed, its pages being mostly its parent's (images[] still lists it). EXACT
 * when every counted image has an exact peak; else the highest figure seen as SAMPLED (a lower bound);
 * BOUND when only a wait's ru_maxrss is known. */
struct jt_peak jobtable_process_peak(const struct jt_process *p);
/* The highest sampled total (a lower bound of the true total peak) and when. */
struct jt_peak jobtable_total_sampled_peak(const struct jobtable *jt);
/* An upper bound of a total: the most that the images alive at one moment could have held, each at its exact
 * peak or its process's bound (a sample above them wins). It is proven only when every process has such a
 * figure for every image AND the agent entered every image: a program without the agent (static, setuid,
 * another ELF class, --no-agent) can start processes that live between two samples and nobody sees. */
struct jt_upper {
    uint64_t kib;
    size_t unbounded; /* processes with an image lacking both an exact peak and a bound */
    size_t agentless; /* processes with an image the agent never entered */
    uint64_t dropped; /* (whole job only) messages whose sender could not be tied to the job: it may have been
                       * one of the job's processes, listed nowhere */
    bool proven;
};
/* The whole job's; false (and out->proven false) also on allocation failure. */
bool jobtable_total_upper_bound(const struct jobtable *jt, struct jt_upper *out);

/* A group's footprint: what the images running its program held at one moment, summed over processes. */
struct jt_footprint {
    struct jt_peak sampled;             /* highest per-sample sum (SAMPLED), or NONE */
    struct jt_peak single;              /* largest exact or sampled peak of one image, or NONE ... */
    const struct jt_process *single_of; /* ... and its process */
    struct jt_upper upper;              /* the sweep of jobtable_total_upper_bound over the group's images */
};
/* Footprints of n groups at once; names sorted by strcmp, out[i] for names[i]. Returns 0, or -1 on
 * allocation failure. */
int jobtable_group_footprints(const struct jobtable *jt, const char *const *names, size_t n,
                              struct jt_footprint *out);

/* Each process's parent in the process tree, as an index into procs: the process of the job that had pid
 * ppid when it was first seen. A process whose parent is not in the table (an orphan re-parented to memwatch
 * before anyone saw its parent) goes under the root with *reparented set; the root, and every process when
 * there is no root (memwatch listen), gets JT_NO_PARENT. parent and reparented have n_procs entries; parents
 * always form a forest. Returns 0, or -1 on allocation failure. */
#define JT_NO_PARENT UINT32_MAX
int jobtable_tree_parents(const struct jobtable *jt, uint32_t *parent, bool *reparented);
/* The footprint of each process's subtree (itself and all its descendants by parent[]), out[i] for procs[i]:
 * the highest sampled subtree sum, the largest single image peak within, and the upper bound of the same
 * sweep as the total's over the subtree's images. 0, or -1 on allocation failure. */
int jobtable_subtree_footprints(const struct jobtable *jt, const uint32_t *parent, struct jt_footprint *out);

/* A reading of p's CPU time while it ran (the poller's /proc/PID/stat): raises a figure that is not exact. */
void jobtable_cpu_reading(struct jt_process *p, uint64_t user_us, uint64_t sys_us);
/* A reading of p's I/O counters: an EXACT one replaces any other, a SAMPLED one raises a figure not exact.
 * (Dropped when memory for it runs out: the figure stays unknown.) */
void jobtable_io_reading(struct jobtable *jt, const struct jt_process *p, const struct jt_io *io);
/* p's I/O counters (kind NONE when unknown). */
struct jt_io jobtable_process_io(const struct jobtable *jt, const struct jt_process *p);
/* The highest sum of p's subtree one sample saw (NONE when none did, or subtrees are not sampled). */
struct jt_peak jobtable_subtree_sampled_peak(const struct jobtable *jt, const struct jt_process *p);
/* Sets it (a report read back). 0, or -1 on allocation failure. */
int jobtable_set_subtree_sampled(struct jobtable *jt, const struct jt_process *p, struct jt_peak peak);
/* The CPU time reports show for p: its exact or sampled figure, else a wait's upper bound (like the peak). */
struct jt_cpu jobtable_process_cpu(const struct jt_process *p);
/* The job's CPU time: the sum of every process's exact or sampled figure. EXACT when every process's is
 * exact, else SAMPLED (a lower bound: a bound is never summed, it may hold its children's time twice);
 * *unknown counts the processes with no figure that could be summed. NONE for an empty job. */
struct jt_cpu jobtable_total_cpu(const struct jobtable *jt, size_t *unknown);
/* The job's I/O: a process's counters hold those of the children it reaped, so only the processes in no
 * other's are summed: those memwatch reaped (the root, adopted orphans) and those still running. EXACT when
 * every process's counters are exact and every one was reaped by memwatch or by a process of the job (so
 * each is in the sum, directly or through its reaper); else SAMPLED, a lower bound. */
struct jt_io jobtable_total_io(const struct jobtable *jt, size_t *unknown);
/* Joins argv with spaces into a new string (never NULL on success). */
char *jobtable_join_argv(char *const *argv, uint32_t argc);
/* The group key of reports and of sampled group sums: basename of the image's argv[0] ("?" when unknown),
 * in place (valid as long as the image). A process's group is that of its current image. */
const char *jobtable_group_name(const struct jt_image *img);
/* Whether samples are summed by subtree too. */
static inline bool jobtable_subtree_sampled(const struct jobtable *jt)
{
    return jt->job.group_by == JT_GROUP_TREE || jt->job.subtree_samples;
}

/* The key that groups p's image img under jt->job.group_by: command and tree: jobtable_group_name; exe: the
 * resolved executable path ("?" when only the poller saw the image and could not read it); ppid: p's parent's
 * pid in decimal, written into buf (at least JT_GROUP_KEY_MAX bytes). */
#define JT_GROUP_KEY_MAX 24
const char *jobtable_group_key(const struct jobtable *jt, const struct jt_process *p, const struct jt_image *img,
                               char *buf);

/* Adds a point to a series of at most max buckets (exposed for unit tests and for readers that rebuild a
 * table); jt_series_add's maximum is JT_SERIES_DEFAULT. */
int jt_series_add_max(struct jt_series *s, int64_t t_ns, uint64_t kib, uint32_t max);
int jt_series_add(struct jt_series *s, int64_t t_ns, uint64_t kib);

#endif
