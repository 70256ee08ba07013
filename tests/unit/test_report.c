/* Unit tests of the report view and its formats, on a job table built through the jobtable API. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "jobtable.h"
#include "report/format.h"
#include "report/report.h"

#define NS 1000000000LL
#define MS 1000000LL
#define T0 (1000 * NS)             /* the job's start, monotonic */
#define WALL0 (1795313178LL * NS) /* 2026-11-22T02:06:18.000Z */
#define ARGV_BLOB_MAX 512
#define ERR_MAX 256
#define LONG_ARG_LEN 200

struct fixture {
    struct jobtable jt;
    char long_arg[LONG_ARG_LEN + 1];
};

/* Starts an image of pid with the given argv (NULL-terminated) at T0 + at_ms. */
static struct jt_process *start_image(struct jobtable *jt, pid_t pid, pid_t ppid, int64_t at_ms,
                                      enum jt_source source, const char *const *argv)
{
    char blob[ARGV_BLOB_MAX];
    size_t len = 0;
    uint32_t argc = 0;
    for (; argv[argc] != NULL; argc++) {
        size_t n = strlen(argv[argc]) + 1;
        assert_true(len + n <= sizeof blob);
        memcpy(blob + len, argv[argc], n);
        len += n;
    }
    struct jt_image_desc d = {.pid = pid, .ppid = ppid, .t_ns = T0 + at_ms * MS, .exe = NULL, .argv_blob = blob,
                              .argv_len = len, .argc = argc, .source = source};
    struct jt_process *p = jobtable_image_started(jt, &d);
    assert_non_null(p);
    return p;
}

static void observe(struct jobtable *jt, pid_t pid, int64_t at_ms, const char *const *argv, uint64_t kib)
{
    char blob[ARGV_BLOB_MAX];
    size_t len = 0;
    uint32_t argc = 0;
    for (; argv[argc] != NULL; argc++) {
        size_t n = strlen(argv[argc]) + 1;
        memcpy(blob + len, argv[argc], n);
        len += n;
    }
    struct jt_image_desc d = {.pid = pid, .ppid = 100, .t_ns = T0 + at_ms * MS, .argv_blob = blob,
                              .argv_len = len, .argc = argc, .source = JT_SOURCE_POLLER};
    assert_non_null(jobtable_observed(jt, &d, kib));
}

static void exact_peak(struct jobtable *jt, struct jt_process *p, int64_t at_ms, uint64_t kib)
{
    struct jt_peak_report r = {.t_ns = T0 + at_ms * MS, .hwm_kib = kib};
    jobtable_image_peak(jt, p, &r);
}

static void reap(struct jobtable *jt, pid_t pid, int64_t at_ms, int status, uint64_t maxrss)
{
    struct jt_reaped r = {.pid = pid, .t_ns = T0 + at_ms * MS, .wait_status = status, .maxrss_kib = maxrss};
    assert_non_null(jobtable_reaped(jt, &r));
}

/* A job of seven processes, one of each kind of peak and end:
 *   100 sh -c 'make -j2' -> make -j2   exact 2000 then 3000     exited 0 (root)
 *   101 cc1 -O2 foo.c                   exact 500000            exited 0
 *   102 cc1 -O2 bar,baz.c               exact 500000            exited 1
 *   103 /usr/bin/ld -o "out" x.o        sampled 800000          SIGKILL
 *   104 static-prog                     bound 900000            exited 0
 *   105 sleep 100                       sampled 1000            still running
 *   106 python3 xxxx...(200)            exact 100               exited 0 */
static void build_job(struct fixture *f)
{
    struct jobtable *jt = &f->jt;
    static const char *const job_argv[] = {"sh", "-c", "make -j2"};

    jobtable_init(jt);
    jt->job.argc = 3;
    jt->job.argv = calloc(3, sizeof *jt->job.argv);
    for (int i = 0; i < 3; i++)
        jt->job.argv[i] = strdup(job_argv[i]);
    jt->job.anchor = (struct clock_anchor){.mono_ns = T0, .wall_ns = WALL0};
    jt->job.start_ns = T0;
    jt->job.interval_ms = 500;
    jt->job.exit_code = 0;
    jt->job.agent_enabled = true;
    jt->job.memwatch_version = strdup("0.1.0");
    jt->job.kernel = strdup("Linux 6.1.0");
    jt->job.hostname = strdup("builder");
    jt->job.mem_total_kib = 24000000;

    struct jt_process *sh = start_image(jt, 100, 1, 0, JT_SOURCE_AGENT, (const char *[]){"sh", "-c", "make -j2", NULL});
    sh->is_root = true;
    exact_peak(jt, sh, 100, 2000);
    start_image(jt, 100, 1, 100, JT_SOURCE_AGENT, (const char *[]){"make", "-j2", NULL});
    exact_peak(jt, sh, 9000, 3000);

    struct jt_process *foo = start_image(jt, 101, 100, 1000, JT_SOURCE_AGENT,
                                         (const char *[]){"cc1", "-O2", "foo.c", NULL});
    exact_peak(jt, foo, 2000, 500000);
    reap(jt, 101, 2000, W_EXITCODE(0, 0), 510000);

    struct jt_process *bar = start_image(jt, 102, 100, 1500, JT_SOURCE_AGENT,
                                         (const char *[]){"cc1", "-O2", "bar,baz.c", NULL});
    exact_peak(jt, bar, 3000, 500000);
    reap(jt, 102, 3000, W_EXITCODE(1, 0), 0);

    static const char *const ld[] = {"/usr/bin/ld", "-o", "\"out\"", "x.o", NULL};
    observe(jt, 103, 4000, ld, 300000);
    observe(jt, 103, 5000, ld, 800000);
    reap(jt, 103, 5500, W_EXITCODE(0, 9), 0);

    start_image(jt, 104, 100, 6000, JT_SOURCE_AGENT, (const char *[]){"static-prog", NULL});
    reap(jt, 104, 7000, W_EXITCODE(0, 0), 900000);

    observe(jt, 105, 7000, (const char *[]){"sleep", "100", NULL}, 1000);

    memset(f->long_arg, 'x', LONG_ARG_LEN);
    f->long_arg[LONG_ARG_LEN] = '\0';
    struct jt_process *py = start_image(jt, 106, 100, 7500, JT_SOURCE_AGENT,
                                        (const char *[]){"python3", f->long_arg, NULL});
    exact_peak(jt, py, 7600, 100);
    reap(jt, 106, 7600, W_EXITCODE(0, 0), 0);

    reap(jt, 100, 9000, W_EXITCODE(0, 0), 3000);
    assert_int_equal(jobtable_add_sample(jt, T0 + 1 * NS, 10000, 2), 0);
    assert_int_equal(jobtable_add_sample(jt, T0 + 5 * NS, 1800000, 5), 0);
    assert_int_equal(jobtable_add_sample(jt, T0 + 8 * NS, 1200000, 4), 0);
    jobtable_finish(jt, T0 + 10 * NS);
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    if (f == NULL)
        return -1;
    build_job(f);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    jobtable_free(&f->jt);
    free(f);
    return 0;
}

/* Everything a stream wrote, as one NUL-terminated string the caller frees. */
struct capture {
    FILE *file;
    char *text;
    size_t len;
};

static void capture_open(struct capture *c)
{
    c->text = NULL;
    c->len = 0;
    c->file = open_memstream(&c->text, &c->len);
    assert_non_null(c->file);
}

static char *capture_close(struct capture *c)
{
    assert_int_equal(fclose(c->file), 0);
    return c->text;
}

/* ---- filter ---- */

static void test_filter_order(void **state)
{
    (void)state;
    struct report_filter f;
    char err[ERR_MAX] = "";
    assert_int_equal(report_filter_init(&f, "cc1|make", "bar", err, sizeof err), 0);
    assert_true(report_filter_match(&f, "cc1 -O2 foo.c"));
    assert_true(report_filter_match(&f, "make -j2"));
    assert_false(report_filter_match(&f, "cc1 -O2 bar.c")); /* included, then excluded: exclude wins */
    assert_false(report_filter_match(&f, "ld bar"));
    assert_false(report_filter_match(&f, "ld"));
    report_filter_free(&f);

    assert_int_equal(report_filter_init(&f, NULL, "^sleep", err, sizeof err), 0);
    assert_true(report_filter_match(&f, "make"));
    assert_false(report_filter_match(&f, "sleep 100"));
    assert_true(report_filter_match(&f, "nosleep"));
    report_filter_free(&f);

    assert_int_equal(report_filter_init(&f, NULL, NULL, err, sizeof err), 0);
    assert_true(report_filter_match(&f, "anything"));
    report_filter_free(&f);
}

static void test_filter_bad_regex(void **state)
{
    (void)state;
    struct report_filter f;
    char err[ERR_MAX] = "";
    char why[ERR_MAX], expected[ERR_MAX * 2];
    regex_t re;
    int rc = regcomp(&re, "(", REG_EXTENDED | REG_NOSUB);
    assert_int_not_equal(rc, 0);
    regerror(rc, &re, why, sizeof why);

    assert_int_equal(report_filter_init(&f, "(", NULL, err, sizeof err), -1);
    snprintf(expected, sizeof expected, "--include: '(' is not a valid regex: %s", why);
    assert_string_equal(err, expected);

    assert_int_equal(report_filter_init(&f, "ok", "a{2", err, sizeof err), -1);
    assert_non_null(strstr(err, "--exclude: 'a{2' is not a valid regex: "));
}

/* ---- view ---- */

static void test_view_sorting_and_groups(void **state)
{
    struct fixture *f = *state;
    struct report_view v;
    static const pid_t order[] = {104, 103, 101, 102, 100, 105, 106};
    static const enum jt_peak_kind kinds[] = {JT_PEAK_BOUND, JT_PEAK_SAMPLED, JT_PEAK_EXACT, JT_PEAK_EXACT,
                                              JT_PEAK_EXACT, JT_PEAK_SAMPLED, JT_PEAK_EXACT};
    static const uint64_t peaks[] = {900000, 800000, 500000, 500000, 3000, 1000, 100};

    assert_int_equal(report_view_build(&v, &f->jt, NULL), 0);
    assert_int_equal(v.n_rows, 7);
    for (size_t i = 0; i < 7; i++) {
        assert_int_equal(v.rows[i].proc->pid, order[i]);
        assert_int_equal(v.rows[i].peak.kind, kinds[i]);
        assert_int_equal(v.rows[i].peak.kib, peaks[i]);
    }
    assert_string_equal(v.rows[4].command, "make -j2"); /* the current image, not the first one */
    assert_int_equal(v.n_groups, 6);
    assert_string_equal(v.groups[0].name, "cc1");
    assert_int_equal(v.groups[0].count, 2);
    assert_int_equal(v.groups[0].peak_sum_kib, 1000000);
    assert_string_equal(v.groups[1].name, "static-prog");
    assert_string_equal(v.groups[2].name, "ld"); /* basename of argv[0] */
    assert_string_equal(v.groups[3].name, "make");
    assert_string_equal(v.groups[5].name, "python3");
    assert_int_equal(v.hidden_count, 0);
    assert_int_equal(v.n_processes, 7);
    assert_int_equal(v.n_exact, 4);
    assert_int_equal(v.largest->pid, 104);
    assert_int_equal(v.largest_peak.kib, 900000);
    assert_int_equal(v.total_sampled.kib, 1800000);
    assert_int_equal(v.total_sampled.at_ns, T0 + 5 * NS);
    assert_false(v.total_upper_proven);
    assert_int_equal(v.total_upper_unbounded, 2); /* ld and sleep: samples only */
    report_view_free(&v);
}

static void test_view_filter_hides_but_totals_stay(void **state)
{
    struct fixture *f = *state;
    struct report_filter filter;
    struct report_view v;
    char err[ERR_MAX];

    assert_int_equal(report_filter_init(&filter, "cc1|make", "bar", err, sizeof err), 0);
    assert_int_equal(report_view_build(&v, &f->jt, &filter), 0);
    assert_int_equal(v.n_rows, 2);
    assert_int_equal(v.rows[0].proc->pid, 101);
    assert_int_equal(v.rows[1].proc->pid, 100);
    assert_int_equal(v.hidden_count, 5);
    assert_int_equal(v.hidden_peak_kib, 900000 + 800000 + 500000 + 1000 + 100);
    assert_int_equal(v.n_groups, 2);
    assert_int_equal(v.groups[0].count, 1); /* only the listed cc1 */
    assert_int_equal(v.n_processes, 7);
    assert_int_equal(v.largest->pid, 104);
    assert_int_equal(v.total_sampled.kib, 1800000);
    report_view_free(&v);
    report_filter_free(&filter);
}

/* ---- summary ---- */

static char *summary_text(struct fixture *f, const struct report_filter *filter, bool color)
{
    struct report_view v;
    struct capture c;
    assert_int_equal(report_view_build(&v, &f->jt, filter), 0);
    capture_open(&c);
    assert_int_equal(report_summary_write(c.file, &v, color), 0);
    report_view_free(&v);
    return capture_close(&c);
}

static const char *find_line(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle);
    if (hit == NULL)
        fail_msg("summary lacks '%s':\n%s", needle, text);
    return hit;
}

static void test_summary_plain(void **state)
{
    struct fixture *f = *state;
    char *text = summary_text(f, NULL, false);

    assert_null(strchr(text, '\033'));
    assert_true(strncmp(text, "Job: sh -c make -j2\n", 20) == 0);
    find_line(text, "Exit status: 0\n");
    find_line(text, "Duration: 10.0s  |  Samples: 3  |  Processes: 7 (4 with exact peaks)\n");
    find_line(text, "\nMEMORY SUMMARY\n");
    find_line(text, "  Total peak:    1.7 GiB   (highest sampled total, at 5.0s; lower bound)\n");
    find_line(text, "  Upper bound:   n/a       (not proven: 2 processes have no exact or bound peak)\n");
    find_line(text, "  Process peak:  878.9 MiB (pid 104, static-prog, bound)\n");
    find_line(text, "\nPER-PROCESS PEAKS\n    PID      MEMORY      TIME    COMMAND\n");
    find_line(text, "    104   878.9 MiB^        -    static-prog\n");
    find_line(text, "    103   781.3 MiB~ @   5.0s    [SIGKILL] /usr/bin/ld -o \"out\" x.o\n");
    find_line(text, "    101   488.3 MiB  @   2.0s    cc1 -O2 foo.c\n");
    find_line(text, "    102   488.3 MiB  @   3.0s    [exit 1] cc1 -O2 bar,baz.c\n");
    find_line(text, "    105  1000.0 KiB~ @   7.0s    [running] sleep 100\n");
    find_line(text, "~ sampled: a lower bound");
    find_line(text, "^ from wait (ru_maxrss): an upper bound");
    find_line(text, "\nPROCESS GROUPS\n  COMMAND        PROCESSES    TOTAL PEAK\n");
    find_line(text, "  cc1                    2     976.6 MiB\n");
    assert_null(strstr(text, "filter:"));

    /* The long python3 command is cut with an ellipsis so the row fits 100 columns. */
    const char *py = find_line(text, "python3 xxx");
    const char *eol = strchr(py, '\n');
    const char *bol = py;
    while (bol > text && bol[-1] != '\n')
        bol--;
    assert_true(eol - bol <= 100);
    assert_memory_equal(eol - 3, "...", 3);
    free(text);
}

static void test_summary_filter_and_color(void **state)
{
    struct fixture *f = *state;
    struct report_filter filter;
    char err[ERR_MAX];
    assert_int_equal(report_filter_init(&filter, "cc1|make", "bar", err, sizeof err), 0);
    char *text = summary_text(f, &filter, false);
    find_line(text, "filter: 5 processes hidden (2.1 GiB of peaks)\n");
    assert_null(strstr(text, "static-prog\n")); /* hidden from the rows ... */
    find_line(text, "(pid 104, static-prog, bound)"); /* ... but the whole-job figures stay */
    assert_null(strstr(text, "~ sampled")); /* no legend when every listed row is exact */
    free(text);
    report_filter_free(&filter);

    text = summary_text(f, NULL, true);
    assert_non_null(strstr(text, "\033[1mMEMORY SUMMARY\033[0m"));
    free(text);
}

/* ---- CSV ---- */

static void test_csv_field_quoting(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"plain text", "plain text"},   {"a,b", "\"a,b\""},         {"say \"hi\"", "\"say \"\"hi\"\"\""},
        {"line\nbreak", "\"line\nbreak\""}, {"cr\rhere", "\"cr\rhere\""}, {"\"", "\"\"\"\""},
        {"", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct capture c;
        struct report_out o;
        capture_open(&c);
        report_out_init(&o, c.file);
        report_out_csv_field(&o, cases[i].in);
        assert_int_equal(report_out_finish(&o), 0);
        char *text = capture_close(&c);
        assert_string_equal(text, cases[i].out);
        free(text);
    }
}

static void test_csv_report(void **state)
{
    struct fixture *f = *state;
    struct report_view v;
    struct capture c;
    assert_int_equal(report_view_build(&v, &f->jt, NULL), 0);
    capture_open(&c);
    assert_int_equal(report_csv_write(c.file, &v), 0);
    report_view_free(&v);
    char *text = capture_close(&c);

    const char *header = "pid,ppid,command,max_rss_kib,max_rss_mib,first_seen,last_seen,peak_kind,peak_time,end,"
                         "exit_code,signal,bound_kib\n";
    assert_true(strncmp(text, header, strlen(header)) == 0);
    find_line(text, "\n104,100,static-prog,900000,878.91,2026-11-22T02:06:24.000Z,2026-11-22T02:06:24.000Z,bound,,"
                    "exited,0,,900000\n");
    find_line(text, "\n103,100,\"/usr/bin/ld -o \"\"out\"\" x.o\",800000,781.25,");
    find_line(text, ",sampled,2026-11-22T02:06:23.000Z,signaled,,9,\n");
    find_line(text, "\n102,100,\"cc1 -O2 bar,baz.c\",500000,488.28,");
    find_line(text, ",exact,2026-11-22T02:06:21.000Z,exited,1,,\n");
    find_line(text, ",running,,,\n");
    size_t lines = 0;
    for (const char *p = text; *p != '\0'; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 8);
    free(text);
}

static void test_timeline(void **state)
{
    struct fixture *f = *state;
    struct report_view v;
    struct capture c;
    assert_int_equal(report_view_build(&v, &f->jt, NULL), 0);
    capture_open(&c);
    assert_int_equal(report_timeline_write(c.file, &v), 0);
    report_view_free(&v);
    char *text = capture_close(&c);
    assert_string_equal(text, "timestamp,elapsed_seconds,total_rss_kib,total_rss_mib,process_count\n"
                              "2026-11-22T02:06:19.000Z,1.000,10000,9.77,2\n"
                              "2026-11-22T02:06:23.000Z,5.000,1800000,1757.81,5\n"
                              "2026-11-22T02:06:26.000Z,8.000,1200000,1171.88,4\n");
    free(text);
}

/* ---- JSON ---- */

static char *json_text(const struct jobtable *jt, const struct report_filter *filter)
{
    struct report_view v;
    struct capture c;
    assert_int_equal(report_view_build(&v, jt, filter), 0);
    capture_open(&c);
    assert_int_equal(report_json_write(c.file, &v), 0);
    report_view_free(&v);
    return capture_close(&c);
}

static const cJSON *field(const cJSON *obj, const char *key)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (item == NULL)
        fail_msg("JSON lacks '%s'", key);
    return item;
}

static double number(const cJSON *obj, const char *key)
{
    const cJSON *item = field(obj, key);
    assert_true(cJSON_IsNumber(item));
    return item->valuedouble;
}

static const char *string(const cJSON *obj, const char *key)
{
    const cJSON *item = field(obj, key);
    assert_true(cJSON_IsString(item));
    return item->valuestring;
}

static const cJSON *process_by_pid(const cJSON *root, int pid)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, field(root, "processes")) if (number(p, "pid") == pid) return p;
    fail_msg("no process %d", pid);
    return NULL;
}

static void test_json_fields(void **state)
{
    struct fixture *f = *state;
    char *text = json_text(&f->jt, NULL);
    cJSON *root = cJSON_Parse(text);
    assert_non_null(root);

    assert_int_equal(number(root, "schema_version"), 1);
    assert_string_equal(string(root, "memwatch_version"), "0.1.0");
    const cJSON *cmd = field(root, "command");
    assert_int_equal(cJSON_GetArraySize(cmd), 3);
    assert_string_equal(cJSON_GetArrayItem(cmd, 2)->valuestring, "make -j2");
    assert_string_equal(string(root, "start_time"), "2026-11-22T02:06:18.000Z");
    assert_string_equal(string(root, "end_time"), "2026-11-22T02:06:28.000Z");
    assert_true(number(root, "duration_seconds") == 10.0);
    assert_int_equal(number(root, "interval_ms"), 500);
    assert_int_equal(number(root, "samples"), 3);
    assert_int_equal(number(root, "exit_code"), 0);
    assert_true(cJSON_IsTrue(field(root, "agent")));
    assert_string_equal(string(field(root, "host"), "kernel"), "Linux 6.1.0");
    assert_int_equal(number(field(root, "host"), "mem_total_kib"), 24000000);
    assert_int_equal(number(root, "max_total_rss_kib"), 1800000);
    assert_string_equal(string(root, "max_total_rss_time"), "2026-11-22T02:06:23.000Z");
    const cJSON *total = field(root, "total_peak");
    assert_int_equal(number(total, "sampled_kib"), 1800000);
    assert_false(cJSON_IsTrue(field(total, "upper_bound_proven")));
    assert_int_equal(number(total, "processes_without_bound"), 2);
    assert_int_equal(number(root, "process_count"), 7);
    assert_int_equal(number(root, "exact_peak_count"), 4);
    assert_true(cJSON_IsNull(field(root, "filter")));
    assert_int_equal(number(root, "dropped_messages"), 0);

    const cJSON *procs = field(root, "processes");
    assert_int_equal(cJSON_GetArraySize(procs), 7);
    assert_int_equal(number(cJSON_GetArrayItem(procs, 0), "pid"), 104); /* largest peak first */

    const cJSON *bound = process_by_pid(root, 104);
    assert_string_equal(string(bound, "peak_kind"), "bound");
    assert_true(cJSON_IsNull(field(bound, "peak_time")));
    assert_int_equal(number(bound, "bound_kib"), 900000);

    const cJSON *ld = process_by_pid(root, 103);
    assert_string_equal(string(ld, "command"), "/usr/bin/ld -o \"out\" x.o");
    assert_string_equal(string(ld, "end"), "signaled");
    assert_int_equal(number(ld, "signal"), 9);
    assert_true(cJSON_IsNull(field(ld, "exit_code")));
    assert_true(cJSON_IsNull(field(ld, "bound_kib")));
    const cJSON *series = field(ld, "series");
    assert_string_equal(string(series, "t0"), "2026-11-22T02:06:22.000Z");
    assert_int_equal(number(series, "bucket_ms"), 100);
    const cJSON *max = field(series, "max_kib"); /* samples at 4.0 s and 5.0 s: ten buckets apart */
    assert_int_equal(cJSON_GetArraySize(max), 11);
    assert_int_equal(cJSON_GetArrayItem(max, 0)->valuedouble, 300000);
    assert_int_equal(cJSON_GetArrayItem(max, 10)->valuedouble, 800000);

    const cJSON *sh = process_by_pid(root, 100);
    assert_true(cJSON_IsTrue(field(sh, "root")));
    assert_string_equal(string(sh, "command"), "make -j2");
    assert_string_equal(string(sh, "peak_kind"), "exact");
    assert_int_equal(number(sh, "max_rss_kib"), 3000);
    assert_string_equal(string(sh, "peak_time"), "2026-11-22T02:06:27.000Z");
    const cJSON *images = field(sh, "images");
    assert_int_equal(cJSON_GetArraySize(images), 2);
    const cJSON *first = cJSON_GetArrayItem(images, 0);
    assert_string_equal(cJSON_GetArrayItem(field(first, "argv"), 0)->valuestring, "sh");
    assert_string_equal(string(first, "end"), "2026-11-22T02:06:18.100Z");
    assert_int_equal(number(first, "peak_kib"), 2000);
    assert_true(cJSON_IsNull(field(first, "exe")));
    assert_string_equal(string(process_by_pid(root, 105), "end"), "running");
    cJSON_Delete(root);
    free(text);

    struct report_filter filter;
    char err[ERR_MAX];
    assert_int_equal(report_filter_init(&filter, "cc1", NULL, err, sizeof err), 0);
    text = json_text(&f->jt, &filter);
    root = cJSON_Parse(text);
    assert_non_null(root);
    const cJSON *fj = field(root, "filter");
    assert_string_equal(string(fj, "include"), "cc1");
    assert_true(cJSON_IsNull(field(fj, "exclude")));
    assert_int_equal(number(fj, "hidden_processes"), 5);
    assert_int_equal(cJSON_GetArraySize(field(root, "processes")), 2);
    assert_int_equal(number(root, "process_count"), 7);
    cJSON_Delete(root);
    free(text);
    report_filter_free(&filter);
}

static void test_json_round_trip(void **state)
{
    struct fixture *f = *state;
    struct jobtable back;
    struct report_view a, b;
    char err[ERR_MAX] = "";
    char *text = json_text(&f->jt, NULL);

    assert_int_equal(report_json_read(text, &back, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(report_view_build(&a, &f->jt, NULL), 0);
    assert_int_equal(report_view_build(&b, &back, NULL), 0);
    assert_int_equal(a.n_rows, b.n_rows);
    for (size_t i = 0; i < a.n_rows; i++) {
        const struct report_row *x = &a.rows[i], *y = &b.rows[i];
        assert_int_equal(x->proc->pid, y->proc->pid);
        assert_int_equal(x->proc->ppid, y->proc->ppid);
        assert_int_equal(x->peak.kib, y->peak.kib);
        assert_int_equal(x->peak.kind, y->peak.kind);
        assert_string_equal(x->command, y->command);
        assert_int_equal(x->proc->end, y->proc->end);
        assert_int_equal(x->proc->exit_code, y->proc->exit_code);
        assert_int_equal(x->proc->signal, y->proc->signal);
        assert_int_equal(x->proc->n_images, y->proc->n_images);
        assert_int_equal(x->proc->is_root, y->proc->is_root);
    }
    assert_int_equal(b.n_exact, a.n_exact);
    assert_int_equal(b.total_sampled.kib, a.total_sampled.kib);
    assert_int_equal(b.total_upper_kib, a.total_upper_kib);
    assert_int_equal(back.job.argc, 3);
    assert_string_equal(back.job.argv[2], "make -j2");
    assert_string_equal(back.job.hostname, "builder");
    assert_int_equal(back.job.end_ns - back.job.start_ns, 10 * NS);

    /* Written again, the read table gives the same report, but for the sample count (the timeline is
     * not in the JSON). */
    char *again = json_text(&back, NULL);
    cJSON *j1 = cJSON_Parse(text), *j2 = cJSON_Parse(again);
    cJSON_DeleteItemFromObject(j1, "samples");
    cJSON_DeleteItemFromObject(j2, "samples");
    char *t1 = cJSON_Print(j1), *t2 = cJSON_Print(j2);
    assert_string_equal(t1, t2);
    cJSON_free(t1);
    cJSON_free(t2);
    cJSON_Delete(j1);
    cJSON_Delete(j2);
    free(again);

    report_view_free(&a);
    report_view_free(&b);
    jobtable_free(&back);
    free(text);
}

static void expect_read_error(const char *text, const char *message)
{
    struct jobtable jt;
    char err[ERR_MAX] = "";
    assert_int_equal(report_json_read(text, &jt, err, sizeof err), -1);
    if (strstr(err, message) == NULL)
        fail_msg("error '%s' lacks '%s'", err, message);
    assert_int_equal(jt.n_procs, 0); /* nothing half-read is left behind */
}

#define REPORT_HEAD "{\"schema_version\":1,\"command\":[\"x\"],\"start_time\":\"2026-11-22T02:06:18.000Z\"," \
                    "\"end_time\":\"2026-11-22T02:06:19.000Z\","

static void test_json_read_errors(void **state)
{
    (void)state;
    expect_read_error("{\"schema_version\":", "not valid JSON");
    expect_read_error("[]", "a report is a JSON object");
    expect_read_error("{\"schema_version\":2}", "schema_version 2 is newer");
    expect_read_error(REPORT_HEAD "\"processes\":5}", "processes: expected an array");
    expect_read_error("{\"command\":[\"x\"],\"start_time\":\"yesterday\",\"end_time\":\"x\",\"processes\":[]}",
                      "start_time: 'yesterday' is not an RFC 3339 time");
    expect_read_error(REPORT_HEAD "\"processes\":[{\"pid\":\"7\",\"first_seen\":\"2026-11-22T02:06:18.000Z\"}]}",
                      "processes[0].pid: expected a number");
    expect_read_error(REPORT_HEAD "\"processes\":[{\"pid\":7.5,\"first_seen\":\"2026-11-22T02:06:18.000Z\"}]}",
                      "processes[0].pid: 7.5 is not a whole number");
    expect_read_error(REPORT_HEAD "\"processes\":[{\"pid\":7,\"first_seen\":\"2026-11-22T02:06:18.000Z\","
                                  "\"last_seen\":\"2026-11-22T02:06:18.000Z\",\"images\":[{\"argv\":[1],"
                                  "\"start\":\"2026-11-22T02:06:18.000Z\"}]}]}",
                      "processes[0].images[0].argv[0]: expected a string");
    expect_read_error(REPORT_HEAD "\"processes\":[{\"pid\":7,\"first_seen\":\"2026-11-22T02:06:18.000Z\","
                                  "\"last_seen\":\"2026-11-22T02:06:18.000Z\",\"end\":\"melted\",\"images\":"
                                  "[{\"argv\":[\"a\"],\"start\":\"2026-11-22T02:06:18.000Z\"}]}]}",
                      "processes[0].end: 'melted' is not");
}

/* The seed's reports (no schema_version, no images) read as sampled peaks, so old runs can be compared. */
static void test_json_read_seed(void **state)
{
    (void)state;
    static const char seed[] =
        "{\"command\":[\"make\",\"-j4\"],\"start_time\":\"2026-11-22T02:06:18.000Z\","
        "\"end_time\":\"2026-11-22T02:06:20.500Z\",\"duration_seconds\":2.5,\"interval_ms\":100,"
        "\"max_total_rss_kib\":4096,\"processes\":[{\"pid\":9,\"ppid\":1,\"command\":\"/usr/bin/cc -c a.c\","
        "\"max_rss_kib\":2048,\"first_seen\":\"2026-11-22T02:06:18.100Z\","
        "\"last_seen\":\"2026-11-22T02:06:19.000Z\"}]}";
    struct jobtable jt;
    struct report_view v;
    char err[ERR_MAX] = "";
    char name[REPORT_GROUP_NAME_MAX];

    assert_int_equal(report_json_read(seed, &jt, err, sizeof err), 0);
    assert_int_equal(jt.n_procs, 1);
    assert_int_equal(jt.job.interval_ms, 100);
    assert_int_equal(report_view_build(&v, &jt, NULL), 0);
    assert_int_equal(v.rows[0].peak.kib, 2048);
    assert_int_equal(v.rows[0].peak.kind, JT_PEAK_SAMPLED);
    assert_string_equal(v.rows[0].command, "/usr/bin/cc -c a.c");
    jobtable_command_name(v.rows[0].proc, name, sizeof name);
    assert_string_equal(name, "cc");
    report_view_free(&v);
    jobtable_free(&jt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_filter_order),
        cmocka_unit_test(test_filter_bad_regex),
        cmocka_unit_test_setup_teardown(test_view_sorting_and_groups, setup, teardown),
        cmocka_unit_test_setup_teardown(test_view_filter_hides_but_totals_stay, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_plain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_summary_filter_and_color, setup, teardown),
        cmocka_unit_test(test_csv_field_quoting),
        cmocka_unit_test_setup_teardown(test_csv_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
        cmocka_unit_test(test_json_read_errors),
        cmocka_unit_test(test_json_read_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
