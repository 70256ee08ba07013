/* The integration harness: runs workload programs under memwatch and checks what it reports. */
#ifndef MEMWATCH_ITEST_H
#define MEMWATCH_ITEST_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#define ITEST_SKIP 77
#define ITEST_PATH_MAX 4096
#define ITEST_ARGS_MAX 64
#define ITEST_ARGBUF_MAX 16384
#define ITEST_DEFAULT_TIMEOUT_MS 180000
#define ITEST_DEFAULT_INTERVAL_MS 500
#define ITEST_REAPED_MAX 256
#define ITEST_RUNS_MAX 48
/* Since Linux 6.2 RSS counters are per-CPU and /proc (and ru_maxrss) read them approximately: up to a
 * batch of 32+ pages per CPU per counter. Two readings of "the same" peak may differ by that much. */
#define ITEST_KERNEL_SLACK_KIB 1024.0

/* A child the harness reaped while waiting for something else (it is a child subreaper, so orphans of a
 * dead memwatch come to it). */
struct itest_reaped {
    pid_t pid;
    int status;
};

struct itest_ctx {
    const char *name;
    const char *memwatch; /* path of the memwatch binary */
    const char *wldir;    /* directory of the workload programs */
    char dir[ITEST_PATH_MAX]; /* private temporary directory: the job's working directory */
    int checks;
    int failures;
    int n_runs;
    pid_t sessions[ITEST_RUNS_MAX]; /* one per memwatch started: killed at cleanup */
    struct itest_reaped reaped[ITEST_REAPED_MAX];
    size_t n_reaped;
};

/* One memwatch invocation. */
struct itest_run {
    const char *argv[ITEST_ARGS_MAX + 2]; /* memwatch, args..., NULL */
    size_t argc;
    char argbuf[ITEST_ARGBUF_MAX];
    size_t argbuf_used;
    bool overflow;
    int timeout_ms;
    /* What the standard preparation asked for, so the report can be checked against it. */
    bool agent;
    int interval_ms;
    char json_path[ITEST_PATH_MAX];
    /* Results. */
    pid_t pid;
    int status;
    int exit_code; /* WEXITSTATUS, or 128+N for a signal, -1 on timeout */
    bool timed_out;
    char out_path[ITEST_PATH_MAX];
    char err_path[ITEST_PATH_MAX];
};

/* Options of a standard `memwatch run -q --json=DIR/report.json ... --` invocation. */
struct itest_opts {
    bool agent;
    int interval_ms; /* 0: keep memwatch's default */
    bool wait_orphans;
    int timeout_ms;  /* 0: ITEST_DEFAULT_TIMEOUT_MS */
    const char *const *extra; /* more options before "--", NULL-terminated; may be NULL */
    bool summary;    /* keep the human summary (no -q): it lands in r->err_path */
};

/* What the whole report must say. */
struct itest_expect {
    int exit_code;
};

/* --- itest_main.c: checks --- */
bool itest_check(struct itest_ctx *ctx, bool ok, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
#define ITEST_CHECK(ctx, cond, ...) itest_check((ctx), (cond), __FILE__, __LINE__, __VA_ARGS__)
/* Prints an informational line (shown by ctest --output-on-failure / -V). */
void itest_note(const struct itest_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* --- itest_run.c: running memwatch, files, processes --- */
void itest_run_init(struct itest_run *r);
/* Appends one printf-formatted argument. */
void itest_run_add(struct itest_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Adds `run -q --json=DIR/report.json [-i Nms] [--no-agent] [--wait-orphans] --`. */
void itest_run_prepare(struct itest_ctx *ctx, struct itest_run *r, const struct itest_opts *o);
/* Starts memwatch in the temporary directory, in a new session, without LD_PRELOAD. */
int itest_run_start(struct itest_ctx *ctx, struct itest_run *r);
/* Waits for it (killing everything of its session on timeout: a failure). 0, or -1 on timeout. */
int itest_run_wait(struct itest_ctx *ctx, struct itest_run *r);
int itest_run(struct itest_ctx *ctx, struct itest_run *r);
/* Prepares with o, appends WORKLOADS_DIR/prog and the NULL-terminated arguments, runs. 0 when memwatch
 * finished (whatever its status). */
int itest_run_workload(struct itest_ctx *ctx, struct itest_run *r, const struct itest_opts *o, const char *prog,
                       ...) __attribute__((sentinel));
/* The job's stdout and stderr stayed empty (workloads print nothing; memwatch ran with -q). */
void itest_expect_silent(struct itest_ctx *ctx, const struct itest_run *r);
/* Waits until pid (a child of the harness) is reaped; its wait status into *status. */
int itest_wait_pid(struct itest_ctx *ctx, pid_t pid, int timeout_ms, int *status);
/* Waits until a file exists in the temporary directory. */
bool itest_wait_file(struct itest_ctx *ctx, const char *name, int timeout_ms);
/* SIGKILLs every process of the session `sid` except the harness, then reaps what it can. */
void itest_kill_session(struct itest_ctx *ctx, pid_t sid);

/* DIR/name into buf. */
const char *itest_path(const struct itest_ctx *ctx, const char *name, char *buf, size_t len);
bool itest_exists(const char *path);
/* Reads a whole file (at most max bytes) into a NUL-terminated malloc'd buffer, or NULL. */
char *itest_read_file(const char *path, size_t max, size_t *len);
/* Prints up to max bytes of a file, each line prefixed, for failure diagnostics. */
void itest_dump_file(const char *label, const char *path, size_t max);
/* Searches PATH for an executable; returns true and fills buf. */
bool itest_find_in_path(const char *prog, char *buf, size_t len);
/* Milliseconds of CLOCK_MONOTONIC. */
int64_t itest_now_ms(void);
/* The socket path memwatch gave the job (MEMWATCH_SOCKET in /proc/PID/environ of a job process). */
bool itest_job_socket(pid_t pid, char *buf, size_t len);
/* Removes a directory tree. */
int itest_remove_tree(const char *path);

/* --- itest_pty.c: a program on a pseudo-terminal, typed into and read like a screen --- */
#define ITEST_PTY_SCREEN_MAX 65536 /* initial capacity; the text grows as needed */
#define ITEST_PTY_PROMPT "mw$ "
struct itest_pty {
    pid_t pid;   /* session leader on the pty (usually an interactive shell) */
    int master;
    char *text;  /* everything the terminal showed, NUL-terminated */
    size_t len;
    size_t cap;
    size_t seen; /* itest_pty_expect searches from here, then moves past the match */
};
/* Starts argv on a new rows x cols pty in the test's directory, with TERM=xterm, PS1=ITEST_PTY_PROMPT and
 * no LD_PRELOAD; the session is killed at cleanup whatever happens. */
int itest_pty_spawn(struct itest_ctx *ctx, struct itest_pty *t, const char *const *argv, int rows, int cols);
/* Types bytes ("\x03" is Ctrl-C, "\x1a" Ctrl-Z, "\x04" Ctrl-D). */
void itest_pty_send(struct itest_pty *t, const char *bytes);
/* Waits until needle appears after what earlier expects matched; a check failure (with the screen dumped)
 * when it does not within timeout_ms. */
bool itest_pty_expect(struct itest_ctx *ctx, struct itest_pty *t, const char *needle, int timeout_ms);
/* Reads whatever arrives for ms milliseconds. */
void itest_pty_settle(struct itest_pty *t, int ms);
void itest_pty_dump(const struct itest_pty *t);
/* Waits for the session leader to end (killing the session after a few seconds); its wait status or -1. */
int itest_pty_close(struct itest_ctx *ctx, struct itest_pty *t);

/* --- itest_facts.c: what the workloads recorded --- */
#define ITEST_ROLE_MAX 64
struct itest_fact {
    pid_t pid;
    pid_t ppid;
    char role[ITEST_ROLE_MAX];
    uint64_t hwm_kib;
    long value;
};
struct itest_facts {
    struct itest_fact *v;
    size_t n;
};
/* Loads DIR/facts; a malformed line is a check failure. */
int itest_facts_load(struct itest_ctx *ctx, struct itest_facts *f);
void itest_facts_free(struct itest_facts *f);
/* The nth fact (0-based) with that role, or NULL. */
const struct itest_fact *itest_facts_find(const struct itest_facts *f, const char *role, size_t nth);
size_t itest_facts_count(const struct itest_facts *f, const char *role);
/* Every "fds" fact (recorded by alloc_hold) says no descriptor leaked into it. */
void itest_expect_no_leaked_fds(struct itest_ctx *ctx, const struct itest_facts *f);

/* --- itest_json.c: reading and checking reports --- */
/* Loads r->json_path and checks every invariant of the schema and of the expectation; NULL on failure. */
cJSON *itest_report(struct itest_ctx *ctx, const struct itest_run *r, const struct itest_expect *e);
cJSON *itest_json_load(struct itest_ctx *ctx, const char *path);
/* The first listed process with that pid, or NULL (a check failure names `what`). */
const cJSON *itest_json_process(struct itest_ctx *ctx, const cJSON *report, pid_t pid, const char *what);
/* The last image of proc whose argv[0] has basename `prog` (and, if arg is not NULL, contains arg). */
const cJSON *itest_json_image(const cJSON *proc, const char *prog, const char *arg);
double itest_json_num(const cJSON *obj, const char *key);
const char *itest_json_str(const cJSON *obj, const char *key);
bool itest_json_is_null(const cJSON *obj, const char *key);
int itest_json_array_size(const cJSON *obj, const char *key);
/* Checks that an image (or process) named what has an exact peak matching the workload's own VmHWM. */
void itest_expect_exact_image(struct itest_ctx *ctx, const cJSON *image, const struct itest_fact *fact,
                              const char *what);
/* Finds fact's process and its image of program prog (role as argument), and checks it exact. Returns the
 * process, or NULL. */
const cJSON *itest_expect_exact_fact(struct itest_ctx *ctx, const cJSON *report, const struct itest_fact *fact,
                                     const char *prog);
/* Checks how a process ended: end == "exited" with exit_code code, or "signaled" with signal code. */
void itest_expect_end(struct itest_ctx *ctx, const cJSON *proc, const char *end, int code, const char *what);
/* Checks an image's argv equals the given NULL-terminated list. */
void itest_expect_argv(struct itest_ctx *ctx, const cJSON *image, const char *const *argv, const char *what);
/* Joins a JSON string array with spaces into buf. */
const char *itest_json_join_argv(const cJSON *argv, char *buf, size_t len);
/* True when s looks like an RFC 3339 UTC instant ending in 'Z'. */
bool itest_is_utc_time(const char *s);

/* --- itest_csv.c: RFC 4180 --- */
#define ITEST_CSV_FIELDS_MAX 32
struct itest_csv_row {
    char *fields[ITEST_CSV_FIELDS_MAX];
    size_t n;
    const char *raw_start; /* the row's text in the source */
    size_t raw_len;
};
/* Parses one record at *pos of text (NUL-terminated), advancing *pos. Fields are malloc'd. Returns 1 for
 * a record, 0 at the end, -1 on a syntax error. */
int itest_csv_next(const char *text, size_t *pos, struct itest_csv_row *row);
void itest_csv_row_free(struct itest_csv_row *row);

/* --- scenarios --- */
typedef int (*itest_scenario_fn)(struct itest_ctx *ctx, const char *arg);
struct itest_scenario {
    const char *name;
    itest_scenario_fn fn;
    const char *arg;
};

int scenario_alloc_hold(struct itest_ctx *ctx, const char *arg);
int scenario_tree3(struct itest_ctx *ctx, const char *arg);
int scenario_orphan(struct itest_ctx *ctx, const char *arg);
int scenario_exit_code(struct itest_ctx *ctx, const char *arg);
int scenario_sigint(struct itest_ctx *ctx, const char *arg);
int scenario_bad_input(struct itest_ctx *ctx, const char *arg);
int scenario_cannot_run(struct itest_ctx *ctx, const char *arg);
int scenario_exec_relabel(struct itest_ctx *ctx, const char *arg);
int scenario_csv_timeline(struct itest_ctx *ctx, const char *arg);
int scenario_filter(struct itest_ctx *ctx, const char *arg);
int scenario_streams(struct itest_ctx *ctx, const char *arg);
int scenario_cli_refusals(struct itest_ctx *ctx, const char *arg);
int scenario_csv_stdout(struct itest_ctx *ctx, const char *arg);
int scenario_csv_filtered(struct itest_ctx *ctx, const char *arg);
int scenario_series_null(struct itest_ctx *ctx, const char *arg);
int scenario_listen_no_job(struct itest_ctx *ctx, const char *arg);

int scenario_fork(struct itest_ctx *ctx, const char *arg);
int scenario_vfork_exec(struct itest_ctx *ctx, const char *arg);
int scenario_posix_spawn(struct itest_ctx *ctx, const char *arg);
int scenario_exec_variant(struct itest_ctx *ctx, const char *arg);
int scenario_system_popen(struct itest_ctx *ctx, const char *arg);
int scenario_threads_fork(struct itest_ctx *ctx, const char *arg);
int scenario_static_child(struct itest_ctx *ctx, const char *arg);
int scenario_env_i(struct itest_ctx *ctx, const char *arg);
int scenario_python(struct itest_ctx *ctx, const char *arg);
int scenario_sigkill_child(struct itest_ctx *ctx, const char *arg);
int scenario_exec_missing(struct itest_ctx *ctx, const char *arg);
int scenario_collector_killed(struct itest_ctx *ctx, const char *arg);
int scenario_storm(struct itest_ctx *ctx, const char *arg);
int scenario_spike(struct itest_ctx *ctx, const char *arg);
int scenario_four_children(struct itest_ctx *ctx, const char *arg);
int scenario_long_argv(struct itest_ctx *ctx, const char *arg);

/* scenarios_load.c: the transport under load, privilege drops, forgeries, tiny descriptor limits. */
int scenario_concurrent(struct itest_ctx *ctx, const char *arg);
int scenario_drop_priv(struct itest_ctx *ctx, const char *arg);
int scenario_foreign(struct itest_ctx *ctx, const char *arg);
int scenario_lowfd(struct itest_ctx *ctx, const char *arg);
/* scenarios_compat.c: sanitizer builds, 32-bit programs, an unusual install folder: the job as bare */
int scenario_compat(struct itest_ctx *ctx, const char *arg);
/* scenarios_limits.c: --max-total-rss, --max-per-proc-rss, --strict-limits */
int scenario_limits(struct itest_ctx *ctx, const char *arg);
int scenario_compare(struct itest_ctx *ctx, const char *arg);
int scenario_views(struct itest_ctx *ctx, const char *arg);
int scenario_usage(struct itest_ctx *ctx, const char *arg);
/* scenarios_honest.c: figures that must not claim more than memwatch knows */
int scenario_honest(struct itest_ctx *ctx, const char *arg);
/* scenarios_outputs.c: symlinks, FIFOs, devices, memwatch's own stdout, no visible temporary files */
int scenario_outputs(struct itest_ctx *ctx, const char *arg);
/* scenarios_tty.c: at an interactive shell on a pseudo-terminal */
int scenario_tty(struct itest_ctx *ctx, const char *arg);
/* scenarios_live.c: the live status line, on a pseudo-terminal and in a file */
int scenario_live(struct itest_ctx *ctx, const char *arg);
/* scenarios_text.c: command lines that are not valid UTF-8, in valid JSON and CSV that agree */
int scenario_text(struct itest_ctx *ctx, const char *arg);

#endif
