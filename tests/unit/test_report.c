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
    assert_int_equal(v.groups[0].largest_peak.kib, 500000);
    assert_int_equal(v.groups[0].largest->pid, 101); /* equal peaks: the lower pid */
    assert_int_equal(v.groups[0].footprint.upper.kib, 1000000); /* the two overlap */
    assert_true(v.groups[0].footprint.upper.proven);
    assert_int_equal(v.groups[0].lower.kib, 500000);
    assert_int_equal(v.groups[0].lower.source, REPORT_LOWER_PROCESS);
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
    assert_false(v.total_upper.proven);
    assert_int_equal(v.total_upper.unbounded, 2); /* ld and sleep: samples only */
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

#define SUMMARY_TEST_WIDTH 80

static char *summary_text_width(struct jobtable *jt, const struct report_filter *filter, bool color, size_t width)
{
    struct report_view v;
    struct capture c;
    struct report_summary_options opt = {.width = width, .color = color};
    assert_int_equal(report_view_build(&v, jt, filter), 0);
    capture_open(&c);
    assert_int_equal(report_summary_write(c.file, &v, &opt), 0);
    report_view_free(&v);
    return capture_close(&c);
}

static char *summary_text(struct fixture *f, const struct report_filter *filter, bool color)
{
    return summary_text_width(&f->jt, filter, color, SUMMARY_TEST_WIDTH);
}

static const char *find_line(const char *text, const char *needle)
{
    const char *hit = strstr(text, needle);
    if (hit == NULL) {
        fprintf(stderr, "%s", text); /* whole: fail_msg cuts long messages */
        fail_msg("summary lacks '%s'", needle);
    }
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
    find_line(text, "  Total peak:   ≥ 1.7 GiB   (highest sampled total, at 5.0s)\n");
    find_line(text, "  Upper bound:    n/a       (not proven: 2 processes ran without the agent,\n");
    find_line(text, "  Process peak:   878.9 MiB (pid 104, static-prog, bound)\n");
    find_line(text, "\nPER-PROCESS PEAKS\n    PID     MEMORY      TIME  COMMAND\n");
    find_line(text, "    104  878.9 MiB^        -  static-prog\n");
    find_line(text, "    103  781.3 MiB~ @   5.0s  [SIGKILL] /usr/bin/ld -o \"out\" x.o\n");
    find_line(text, "    101  488.3 MiB  @   2.0s  cc1 -O2 foo.c\n");
    find_line(text, "    102  488.3 MiB  @   3.0s  [exit 1] cc1 -O2 bar,baz.c\n");
    find_line(text, "    105 1000.0 KiB~ @   7.0s  [running] sleep 100\n");
    find_line(text, "~ sampled: a lower bound");
    find_line(text, "^ from wait (ru_maxrss): an upper bound");
    find_line(text, "\nPROCESS GROUPS\n  GROUP        PROCS     LARGEST   AT ONCE (at least .. at most)\n");
    /* Two cc1 that overlap: at most both peaks at once; at least the larger one alone. */
    find_line(text, "  cc1              2   488.3 MiB    488.3 MiB .. 976.6 MiB\n");
    find_line(text, "  static-prog      1   878.9 MiB^         n/a .. 878.9 MiB\n"); /* a bound is no lower bound */
    find_line(text, "  ld               1   781.3 MiB~   781.3 MiB .. n/a\n");       /* sampled only: unproven */
    find_line(text, "; n/a: not proven)");
    assert_null(strstr(text, "filter:"));
    assert_null(strstr(text, "TOTAL PEAK")); /* the sum of peaks that never met is gone */

    /* The long python3 command is cut in the middle: the program and the end stay, the row fits. */
    const char *py = find_line(text, "python3 ...xxx");
    const char *eol = strchr(py, '\n');
    const char *bol = py;
    while (bol > text && bol[-1] != '\n')
        bol--;
    assert_int_equal(eol - bol, SUMMARY_TEST_WIDTH);
    assert_memory_equal(eol - 3, "xxx", 3);
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

static char *json_text(const struct jobtable *jt, const struct report_filter *filter);
static const cJSON *field(const cJSON *obj, const char *key);
static double number(const cJSON *obj, const char *key);
static const char *string(const cJSON *obj, const char *key);

/* ---- text for a terminal ---- */

/* Independent of the code under test: whether text is valid UTF-8 (no overlong forms, no surrogates). */
static bool valid_utf8(const char *text)
{
    const unsigned char *p = (const unsigned char *)text;
    while (*p != '\0') {
        size_t n = *p < 0x80 ? 1 : (*p & 0xe0) == 0xc0 ? 2 : (*p & 0xf0) == 0xe0 ? 3 : (*p & 0xf8) == 0xf0 ? 4 : 0;
        if (n == 0 || (n == 2 && *p < 0xc2) || (n == 4 && *p > 0xf4))
            return false;
        uint32_t cp = n == 1 ? *p : (uint32_t)(*p & (0x7f >> n));
        for (size_t i = 1; i < n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
            return false;
        p += n;
    }
    return true;
}

/* Columns of one line: characters, not bytes, and colour sequences take none. */
static size_t line_columns(const char *line, size_t len)
{
    size_t cols = 0;
    for (size_t i = 0; i < len; i++) {
        if (line[i] == '\033') {
            while (i < len && line[i] != 'm')
                i++;
            continue;
        }
        cols += ((unsigned char)line[i] & 0xc0) != 0x80;
    }
    return cols;
}

static void expect_fit(const char *text, size_t width, size_t keep, const char *expected)
{
    char buf[ARGV_BLOB_MAX];
    size_t cols = report_text_fit_middle(text, width, keep, buf, sizeof buf);
    if (strcmp(buf, expected) != 0)
        fail_msg("fit '%s' in %zu: got '%s', expected '%s'", text, width, buf, expected);
    assert_int_equal(cols, line_columns(buf, strlen(buf)));
}

static void test_fit_middle_ascii(void **state)
{
    (void)state;
    static const char cc[] = "/usr/lib/gcc/cc1 -quiet -imultiarch x86_64-linux-gnu src/f001.c -o /tmp/ccX.s";
    expect_fit("cc -c foo.c", 11, 2, "cc -c foo.c"); /* fits: untouched */
    /* Cut between words: the program (kept) and the last arguments stay. */
    expect_fit(cc, 40, 16, "/usr/lib/gcc/cc1 ... -o /tmp/ccX.s");
    expect_fit(cc, 50, 16, "/usr/lib/gcc/cc1 ... src/f001.c -o /tmp/ccX.s");
    expect_fit(cc, 30, 16, "/usr/lib/gcc/cc1... /tmp/ccX.s");
    expect_fit(cc, 30, 3, "/usr/lib/gcc/... -o /tmp/ccX.s"); /* the head is cut only beyond what it keeps */
    expect_fit("gcc -c -o build/obj/foo.o src/long/path/to/the/file/being/compiled.c", 40, 3,
               "gcc -c -o ...o/the/file/being/compiled.c"); /* the most of the file */
    /* One long word: cut inside it, a third of the room for the head. */
    expect_fit("abcdefghijklmnopqrstuvwxyz", 12, 0, "abc...uvwxyz");
}

static void test_fit_middle_utf8_and_controls(void **state)
{
    (void)state;
    char buf[ARGV_BLOB_MAX];
    /* Two-byte characters: counted as one column each, never split. */
    expect_fit("prog é1 é2 é3 é4 é5 é6 é7 é8 fé.c", 20, 4, "prog ... é7 é8 fé.c");
    /* Three- and four-byte characters. */
    expect_fit("日本語のファイル名.c", 8, 0, "日...ル名.c");
    expect_fit("🙂🙂🙂🙂🙂🙂", 5, 0, "...🙂🙂");
    /* Control bytes (and escapes, and C1 CSI) become '?'; so do bytes that are not UTF-8. */
    expect_fit("a\tb\033[31mc\x7f", 20, 0, "a?b?[31mc?");
    expect_fit("x\xc2\x9b" "1m", 20, 0, "x?1m");
    expect_fit("\xff\xfe ok \xc3", 20, 0, "?? ok ?");
    expect_fit("\xc0\xaf \xed\xa0\x80 \xf4\x90\x80\x80", 20, 0, "?? ??? ????"); /* overlong, surrogate, > U+10FFFF */
    expect_fit("bidi \xe2\x80\xae" "evil", 20, 0, "bidi ?evil");
    /* Tiny widths: never more columns than asked, no room wasted on a lone ellipsis. */
    expect_fit("abcdef", 0, 0, "");
    expect_fit("abcdef", 2, 0, "ab");
    expect_fit("abcdef", 3, 3, "abc");
    expect_fit("abcdef", 4, 0, "...f");
    expect_fit("abcdef", 4, 3, "a...");
    expect_fit("abcdef", 5, 3, "ab...");
    expect_fit("ééééé", 4, 9, "é...");
    /* Every width of a mixed text: within the width, valid UTF-8. */
    static const char mixed[] = "/opt/ツール/bin/cc1 -o out/\xff\x01ü.o src/dir/ファイル.c";
    for (size_t w = 0; w < 70; w++) {
        size_t cols = report_text_fit_middle(mixed, w, 5, buf, sizeof buf);
        assert_true(cols <= w);
        assert_true(line_columns(buf, strlen(buf)) <= w);
        assert_true(valid_utf8(buf));
    }
    /* A buffer too small for the text: cut at a character, still terminated and valid. */
    report_text_fit_middle("ééééééé", 40, 0, buf, 6);
    assert_string_equal(buf, "éé");
}

static void test_line_fit_keeps_colours(void **state)
{
    (void)state;
    char buf[ARGV_BLOB_MAX];
    assert_int_equal(report_line_fit("\033[1mABCDEFGHIJ\033[0m", 7, buf, sizeof buf), 7);
    assert_string_equal(buf, "\033[1mABCD...\033[0m");
    assert_int_equal(report_line_fit("\033[1mABC\033[0m", 3, buf, sizeof buf), 3);
    assert_string_equal(buf, "\033[1mABC\033[0m");
    assert_int_equal(report_line_fit("≥ 1.7 GiB", 9, buf, sizeof buf), 9);
    assert_string_equal(buf, "≥ 1.7 GiB");
    assert_int_equal(report_text_columns("\033[33m~\033[0m é"), 3);
}

static void test_terminal_width(void **state)
{
    (void)state;
    FILE *f = tmpfile(); /* not a terminal */
    assert_non_null(f);
    int fd = fileno(f);
    unsetenv("COLUMNS");
    assert_int_equal(report_terminal_width(fd), REPORT_WIDTH_DEFAULT);
    setenv("COLUMNS", "132", 1);
    assert_int_equal(report_terminal_width(fd), 132);
    setenv("COLUMNS", "100000", 1);
    assert_int_equal(report_terminal_width(fd), REPORT_WIDTH_MAX);
    static const char *const insane[] = {"", "0", "-5", "80x", " 80", "abc", "0080"};
    for (size_t i = 0; i < sizeof insane / sizeof insane[0]; i++) {
        setenv("COLUMNS", insane[i], 1);
        assert_int_equal(report_terminal_width(fd), REPORT_WIDTH_DEFAULT);
    }
    unsetenv("COLUMNS");
    fclose(f);
}

/* Long, odd command lines in the fixture, then the summary at several widths: no line crosses the width. */
static void test_summary_fits_width(void **state)
{
    struct fixture *f = *state;
    static const size_t widths[] = {20, 40, 60, 80, 120, 200};
    static const char *const cc1[] = {
        "/usr/lib/gcc/x86_64-linux-gnu/12/cc1", "-quiet", "-imultiarch", "x86_64-linux-gnu", "-D_GNU_SOURCE",
        "src/very/deep/directory/tree/with/a/long/name/ファイル_0001.c", "-quiet", "-dumpdir", "/tmp/msf/",
        "-dumpbase", "ファイル_0001.c", "-mtune=generic", "-march=x86-64", "-o", "/tmp/ccYGNU1Z.s", NULL};
    struct jt_process *p = start_image(&f->jt, 107, 100, 8000, JT_SOURCE_AGENT, cc1);
    exact_peak(&f->jt, p, 8500, 25000);
    reap(&f->jt, 107, 8500, W_EXITCODE(3, 0), 25000);
    start_image(&f->jt, 108, 100, 8600, JT_SOURCE_AGENT,
                (const char *[]){"/opt/a-program-with-a-rather-long-name-for-its-group-column", "\033[2J", NULL});

    for (size_t w = 0; w < sizeof widths / sizeof widths[0]; w++) {
        for (int color = 0; color < 2; color++) {
            char *text = summary_text_width(&f->jt, NULL, color, widths[w]);
            assert_true(valid_utf8(text));
            assert_null(strstr(text, "\033[2J")); /* argv cannot drive the terminal */
            for (const char *line = text; *line != '\0';) {
                const char *eol = strchr(line, '\n');
                assert_non_null(eol);
                size_t cols = line_columns(line, (size_t)(eol - line));
                if (cols > widths[w])
                    fail_msg("%zu columns in %zu: '%.*s'", cols, widths[w], (int)(eol - line), line);
                line = eol + 1;
            }
            if (widths[w] == 80 && !color) {
                /* The cc1 row: program by name, middle cut, the end kept. */
                find_line(text, "    107   24.4 MiB  @   8.5s  [exit 3] cc1 ... -march=x86-64 -o /tmp/ccYGNU1Z.s\n");
            }
            if (widths[w] == 200 && !color) { /* room enough: the whole path, nothing cut */
                find_line(text, "  [running] /opt/a-program-with-a-rather-long-name-for-its-group-column ?[2J\n");
                find_line(text, "  (~ sampled: a lower bound; ^ from wait (ru_maxrss): an upper bound; ? no figure)\n");
            }
            if (widths[w] == 60 && !color) {
                find_line(text, "Duration: 10.0s  |  Samples: 3\nProcesses: 9 (5 with exact peaks)\n");
                find_line(text, "  GROUP         PROCS     LARGEST   AT ONCE\n"); /* the long header does not fit */
            }
            free(text);
        }
    }
}

/* ---- groups and the headline's lower bound ---- */

#define MIB 1024

/* A job table of its own: root sh at T0, then runs of `prog` (exact peaks) at the given times. */
static void group_job(struct jobtable *jt, const int64_t (*runs)[2], size_t n, uint64_t kib)
{
    jobtable_init(jt);
    jt->job.anchor = (struct clock_anchor){.mono_ns = T0, .wall_ns = WALL0};
    jt->job.start_ns = T0;
    jt->job.agent_enabled = true;
    struct jt_process *sh = start_image(jt, 300, 1, 0, JT_SOURCE_AGENT, (const char *[]){"sh", "-c", "x", NULL});
    sh->is_root = true;
    for (size_t i = 0; i < n; i++) {
        pid_t pid = 301 + (pid_t)i;
        struct jt_process *p = start_image(jt, pid, 300, runs[i][0], JT_SOURCE_AGENT,
                                           (const char *[]){"/usr/lib/gcc/cc1", "f.c", NULL});
        exact_peak(jt, p, runs[i][1], kib + i); /* the first is a little smaller */
        reap(jt, pid, runs[i][1], W_EXITCODE(0, 0), 0);
    }
    exact_peak(jt, sh, 900, 1000);
    reap(jt, 300, 900, W_EXITCODE(0, 0), 0);
    jobtable_finish(jt, T0 + 1 * NS);
}

static const struct report_group *group_named(const struct report_view *v, const char *name)
{
    for (size_t i = 0; i < v->n_groups; i++)
        if (strcmp(v->groups[i].name, name) == 0)
            return &v->groups[i];
    fail_msg("no group %s", name);
    return NULL;
}

static void test_group_figures(void **state)
{
    (void)state;
    struct jobtable jt;
    struct report_view v;
    static const int64_t apart[][2] = {{100, 300}, {400, 600}};
    static const int64_t together[][2] = {{100, 500}, {200, 600}};

    group_job(&jt, apart, 2, 24 * MIB);
    assert_int_equal(report_view_build(&v, &jt, NULL), 0);
    const struct report_group *g = group_named(&v, "cc1");
    assert_int_equal(g->count, 2);
    assert_int_equal(g->largest->pid, 302);
    assert_int_equal(g->largest_peak.kind, JT_PEAK_EXACT);
    assert_int_equal(g->footprint.upper.kib, 24 * MIB + 1); /* one after the other: not 48 MiB */
    assert_true(g->footprint.upper.proven);
    assert_true(g->lower.kib >= 24 * MIB);
    assert_int_equal(g->lower.source, REPORT_LOWER_PROCESS);
    report_view_free(&v);
    char *text = summary_text_width(&jt, NULL, false, 80);
    find_line(text, "  cc1        2    24.0 MiB     24.0 MiB .. 24.0 MiB\n");
    free(text);
    jobtable_free(&jt);

    group_job(&jt, together, 2, 24 * MIB);
    assert_int_equal(report_view_build(&v, &jt, NULL), 0);
    g = group_named(&v, "cc1");
    assert_int_equal(g->footprint.upper.kib, 48 * MIB + 1);
    assert_int_equal(v.groups[0].name, g->name); /* the largest footprint first */
    report_view_free(&v);
    jobtable_free(&jt);
}

/* `sh -c 'prog1; prog2'`: the samples came before and after the programs; their own peaks are the best
 * lower bound of the total, and the headline says so. */
static void test_total_lower_from_single_process(void **state)
{
    (void)state;
    struct jobtable jt;
    struct report_view v;
    static const int64_t runs[][2] = {{100, 400}, {450, 800}};

    group_job(&jt, runs, 2, 84 * MIB);
    assert_int_equal(jobtable_add_sample(&jt, T0 + 10 * MS, 1000, 1), 0);
    assert_int_equal(jobtable_add_sample(&jt, T0 + 850 * MS, 0, 0), 0);
    assert_int_equal(report_view_build(&v, &jt, NULL), 0);
    assert_int_equal(v.total_sampled.kib, 1000); /* the seed's figure keeps its meaning */
    assert_int_equal(v.total_lower.kib, 84 * MIB + 1);
    assert_int_equal(v.total_lower.source, REPORT_LOWER_PROCESS);
    assert_int_equal(v.total_lower.proc->pid, 302);
    report_view_free(&v);

    char *text = summary_text_width(&jt, NULL, false, 100);
    find_line(text, "  Total peak:   ≥ 84.0 MiB  (largest single process: pid 302, cc1; no sample caught more)\n");
    assert_null(strstr(text, " 0.0 KiB"));
    free(text);

    text = json_text(&jt, NULL);
    cJSON *root = cJSON_Parse(text);
    const cJSON *total = field(root, "total_peak");
    assert_int_equal(number(root, "max_total_rss_kib"), 1000);
    assert_int_equal(number(total, "lower_bound_kib"), 84 * MIB + 1);
    assert_string_equal(string(total, "lower_bound_source"), "process_peak");
    assert_int_equal(number(total, "lower_bound_pid"), 302);
    cJSON_Delete(root);
    free(text);

    /* A sample that caught more wins, and says so. */
    assert_int_equal(jobtable_add_sample(&jt, T0 + 300 * MS, 90 * MIB, 2), 0);
    text = summary_text_width(&jt, NULL, false, 80);
    find_line(text, "  Total peak:   ≥ 90.0 MiB  (highest sampled total, at 0.3s)\n");
    free(text);
    jobtable_free(&jt);

    /* Nothing known at all. */
    jobtable_init(&jt);
    jt.job.anchor = (struct clock_anchor){.mono_ns = T0, .wall_ns = WALL0};
    jt.job.start_ns = T0;
    jobtable_finish(&jt, T0 + NS);
    text = summary_text_width(&jt, NULL, false, 80);
    find_line(text, "  Total peak:     n/a       (no samples were taken and no process peak is known)\n");
    free(text);
    jobtable_free(&jt);
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
                         "exit_code,signal,bound_kib,filtered\n";
    assert_true(strncmp(text, header, strlen(header)) == 0);
    find_line(text, "\n104,100,static-prog,900000,878.91,2026-11-22T02:06:24.000Z,2026-11-22T02:06:24.000Z,bound,,"
                    "exited,0,,900000,\n");
    find_line(text, "\n103,100,\"/usr/bin/ld -o \"\"out\"\" x.o\",800000,781.25,");
    find_line(text, ",sampled,2026-11-22T02:06:23.000Z,signaled,,9,,\n");
    find_line(text, "\n102,100,\"cc1 -O2 bar,baz.c\",500000,488.28,");
    find_line(text, ",exact,2026-11-22T02:06:21.000Z,exited,1,,,\n");
    find_line(text, ",running,,,,\n");
    size_t lines = 0;
    for (const char *p = text; *p != '\0'; p++)
        lines += *p == '\n';
    assert_int_equal(lines, 8);
    free(text);
}

/* With a filter, every row's last column says how many processes it hid: the file stays plain CSV. */
static void test_csv_filtered_column(void **state)
{
    struct fixture *f = *state;
    struct report_filter filter;
    struct report_view v;
    struct capture c;
    char err[ERR_MAX];
    assert_int_equal(report_filter_init(&filter, "cc1", NULL, err, sizeof err), 0);
    assert_int_equal(report_view_build(&v, &f->jt, &filter), 0);
    capture_open(&c);
    assert_int_equal(report_csv_write(c.file, &v), 0);
    size_t hidden = v.hidden_count;
    report_view_free(&v);
    report_filter_free(&filter);
    char *text = capture_close(&c);
    assert_true(hidden > 0);
    char tail[32];
    snprintf(tail, sizeof tail, ",%zu\n", hidden);
    size_t rows = 0;
    for (const char *line = strchr(text, '\n') + 1; *line != '\0'; line = strchr(line, '\n') + 1) {
        const char *end = strchr(line, '\n');
        assert_non_null(end);
        assert_true(strncmp(end + 1 - strlen(tail), tail, strlen(tail)) == 0);
        rows++;
    }
    assert_int_equal(rows, 7 - hidden);
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
    assert_int_equal(number(total, "lower_bound_kib"), 1800000);
    assert_string_equal(string(total, "lower_bound_source"), "sampled_total");
    assert_true(cJSON_IsNull(field(total, "lower_bound_pid")));

    /* Groups, in the summary's order, with the summary's figures. */
    const cJSON *groups = field(root, "groups");
    assert_int_equal(cJSON_GetArraySize(groups), 6);
    const cJSON *cc1 = cJSON_GetArrayItem(groups, 0);
    assert_string_equal(string(cc1, "name"), "cc1");
    assert_int_equal(number(cc1, "count"), 2);
    assert_int_equal(number(cc1, "largest_peak_kib"), 500000);
    assert_string_equal(string(cc1, "largest_peak_kind"), "exact");
    assert_int_equal(number(cc1, "largest_peak_pid"), 101);
    assert_true(cJSON_IsNull(field(cc1, "footprint_sampled_kib")));
    assert_true(cJSON_IsNull(field(cc1, "footprint_sampled_time")));
    assert_int_equal(number(cc1, "footprint_lower_kib"), 500000);
    assert_string_equal(string(cc1, "footprint_lower_source"), "process_peak");
    assert_int_equal(number(cc1, "footprint_upper_kib"), 1000000);
    assert_true(cJSON_IsTrue(field(cc1, "footprint_upper_proven")));
    assert_int_equal(number(cc1, "processes_without_bound"), 0);
    const cJSON *ldg = cJSON_GetArrayItem(groups, 2);
    assert_string_equal(string(ldg, "name"), "ld");
    assert_string_equal(string(ldg, "largest_peak_kind"), "sampled");
    assert_false(cJSON_IsTrue(field(ldg, "footprint_upper_proven")));
    assert_int_equal(number(ldg, "processes_without_bound"), 1);
    const cJSON *stat = cJSON_GetArrayItem(groups, 1);
    assert_string_equal(string(stat, "footprint_lower_source"), "none"); /* a bound is no lower bound */
    assert_int_equal(number(stat, "footprint_lower_kib"), 0);

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
    /* What only sampling time knows must come back: a group's highest per-sample sum. */
    assert_int_equal(jobtable_group_sample(&f->jt, "cc1", 700000, T0 + 2 * NS), 0);
    /* CPU and I/O of every kind come back, with the totals they make (--with-cpu, --with-io). */
    f->jt.job.with_cpu = f->jt.job.with_io = true;
    assert_true(f->jt.n_procs >= 3);
    struct jt_process *p0 = f->jt.procs[0], *p1 = f->jt.procs[1], *p2 = f->jt.procs[2];
    p0->cpu = (struct jt_cpu){1234567, 89012, JT_PEAK_EXACT};
    p0->cpu_wait = (struct jt_cpu){2234567, 99012, JT_PEAK_BOUND};
    jobtable_io_reading(&f->jt, p0, &(struct jt_io){5242880, 1048576, 4096, 5246976, JT_PEAK_EXACT});
    p0->reaped_by_memwatch = true;
    p1->cpu = (struct jt_cpu){300000, 10000, JT_PEAK_SAMPLED};
    jobtable_io_reading(&f->jt, p1, &(struct jt_io){10, 20, 0, 0, JT_PEAK_SAMPLED});
    p2->cpu = (struct jt_cpu){0}; /* only a wait saw it */
    p2->cpu_wait = (struct jt_cpu){70000, 1, JT_PEAK_BOUND};
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
    assert_int_equal(b.total_upper.kib, a.total_upper.kib);
    assert_int_equal(jobtable_group_sampled_peak(&back, "cc1").kib, 700000);
    assert_int_equal(b.groups[0].lower.kib, 700000);
    assert_int_equal(b.groups[0].lower.source, REPORT_LOWER_SAMPLED);
    assert_int_equal(back.job.argc, 3);
    assert_string_equal(back.job.argv[2], "make -j2");
    assert_string_equal(back.job.hostname, "builder");
    assert_int_equal(back.job.end_ns - back.job.start_ns, 10 * NS);
    assert_true(back.job.with_cpu && back.job.with_io);
    assert_int_equal(b.cpu_total.user_us, a.cpu_total.user_us);
    assert_int_equal(b.cpu_total.kind, JT_PEAK_SAMPLED);
    assert_int_equal(b.cpu_unknown, a.cpu_unknown);
    assert_int_equal(b.io_total.rchar, a.io_total.rchar);
    assert_int_equal(b.io_total.kind, a.io_total.kind);
    const struct jt_process *q2 = NULL;
    for (size_t i = 0; i < back.n_procs; i++)
        if (back.procs[i]->pid == p2->pid)
            q2 = back.procs[i];
    assert_non_null(q2);
    struct jt_cpu c2 = jobtable_process_cpu(q2);
    assert_int_equal(c2.kind, JT_PEAK_BOUND);
    assert_int_equal(c2.user_us, 70000);
    assert_int_equal(b.io_total.write_bytes, a.io_total.write_bytes);

    /* The timeline comes back whole: the page of memwatch view draws the total over time from it. */
    assert_int_equal(back.n_samples, f->jt.n_samples);
    for (size_t i = 0; i < back.n_samples; i++) {
        assert_int_equal(back.samples[i].total_kib, f->jt.samples[i].total_kib);
        assert_int_equal(back.samples[i].process_count, f->jt.samples[i].process_count);
        assert_int_equal(back.samples[i].t_ns - back.job.start_ns, f->jt.samples[i].t_ns - f->jt.job.start_ns);
    }

    /* Written again, the read table gives the same report. */
    char *again = json_text(&back, NULL);
    cJSON *j1 = cJSON_Parse(text), *j2 = cJSON_Parse(again);
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

/* --group-by tree: one root over every process, its subtree bound the total's, a fan-out of two cc1 folded
 * at --tree-fold 1, children heaviest first; the JSON nests it and reads back to the same report. */
static void test_tree_view_and_round_trip(void **state)
{
    struct fixture *f = *state;
    struct report_view v;
    f->jt.job.group_by = JT_GROUP_TREE;
    f->jt.job.tree_fold = 1;
    assert_int_equal(jobtable_set_subtree_sampled(&f->jt, f->jt.procs[0],
                                                  (struct jt_peak){1800000, T0 + 5 * NS, JT_PEAK_SAMPLED}), 0);
    assert_int_equal(report_view_build(&v, &f->jt, NULL), 0);
    assert_non_null(v.tree);
    const struct report_tree_node *top = &v.tree[v.tree_first];
    assert_int_equal(top->proc->pid, 100);
    assert_int_equal(top->next_sibling, REPORT_NO_NODE);
    assert_int_equal(top->count, 7);
    assert_int_equal(top->subtree.upper.kib, v.total_upper.kib);
    assert_int_equal(top->lower.kib, 1800000);
    assert_int_equal(v.tree[top->first_child].proc->pid, 104); /* bound 900000: the heaviest child */
    size_t children = 0, folded = 0, more = 0;
    for (uint32_t c = top->first_child; c != REPORT_NO_NODE; c = v.tree[c].next_sibling) {
        children++;
        folded += v.tree[c].folded;
        more += v.tree[c].fold_more;
        assert_int_equal(v.tree[c].depth, 1);
        assert_int_equal(v.tree[c].count, 1);
    }
    assert_int_equal(children, 6);
    assert_int_equal(folded, 1);
    assert_int_equal(more, 1);
    report_view_free(&v);

    char err[ERR_MAX] = "";
    char *text = json_text(&f->jt, NULL);
    cJSON *j1 = cJSON_Parse(text);
    assert_string_equal(string(j1, "group_by"), "tree");
    const cJSON *tree = field(j1, "tree");
    assert_int_equal(cJSON_GetArraySize(tree), 1);
    assert_int_equal(cJSON_GetArraySize(field(cJSON_GetArrayItem(tree, 0), "children")), 6);
    assert_int_equal(number(cJSON_GetArrayItem(tree, 0), "subtree_processes"), 7);
    assert_int_equal(number(cJSON_GetArrayItem(tree, 0), "subtree_lower_kib"), 1800000);

    struct jobtable back;
    assert_int_equal(report_json_read(text, &back, err, sizeof err), 0);
    assert_int_equal(back.job.group_by, JT_GROUP_TREE);
    char *again = json_text(&back, NULL);
    cJSON *j2 = cJSON_Parse(again);
    cJSON_DeleteItemFromObject(j1, "samples");
    cJSON_DeleteItemFromObject(j2, "samples");
    char *t1 = cJSON_Print(j1), *t2 = cJSON_Print(j2);
    assert_string_equal(t1, t2);
    cJSON_free(t1);
    cJSON_free(t2);
    cJSON_Delete(j1);
    cJSON_Delete(j2);
    free(again);
    free(text);
    jobtable_free(&back);
}

/* --group-by ppid keys groups by the parent's pid; the CSV gets the key as a last column. */
static void test_group_by_ppid(void **state)
{
    struct fixture *f = *state;
    struct report_view v;
    f->jt.job.group_by = JT_GROUP_PPID;
    assert_int_equal(report_view_build(&v, &f->jt, NULL), 0);
    bool found = false;
    for (size_t i = 0; i < v.n_groups; i++)
        if (strcmp(v.groups[i].name, "100") == 0) {
            assert_int_equal(v.groups[i].count, 6);
            found = true;
        }
    assert_true(found);
    report_view_free(&v);
}

/* The leak heuristic on 32 synthetic readings a shape, 100 ms apart: only the steady rise is flagged. */
static bool leak_of_shape(uint64_t (*shape)(int i))
{
    struct jt_process p = {0};
    struct jt_job job = {.leak_check = JT_LEAK_REPORT, .leak_min_growth_pct = 50, .leak_min_duration_ms = 1000};
    struct report_leak found;
    for (int i = 0; i < 32; i++)
        assert_int_equal(jt_series_add(&p.series, T0 + i * 100 * MS, shape(i)), 0);
    bool flagged = report_leak_judge(&p, &job, &found);
    free(p.series.max_kib);
    return flagged;
}
static uint64_t shape_leak(int i) { return 1000 + 100 * (uint64_t)i; }
static uint64_t shape_sawtooth(int i) { return 1000 + 400 * (uint64_t)(i % 7); }
static uint64_t shape_plateau(int i) { return i < 6 ? 1000 + 500 * (uint64_t)i : 3500; }
static uint64_t shape_step(int i) { return i < 16 ? 1000 : 5000; }
static uint64_t shape_small(int i) { return 1000 + 10 * (uint64_t)i; } /* steady, but +31 % */

static void test_leak_heuristic(void **state)
{
    (void)state;
    assert_true(leak_of_shape(shape_leak));
    assert_false(leak_of_shape(shape_sawtooth));
    assert_false(leak_of_shape(shape_plateau));
    assert_false(leak_of_shape(shape_step));
    assert_false(leak_of_shape(shape_small));
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
    expect_read_error(REPORT_HEAD "\"processes\":[],\"timeline\":{\"elapsed_ms\":[1,2],\"total_kib\":[5],"
                      "\"process_count\":[1,1]}}", "timeline.total_kib: 1 values, the other arrays have 2");
    expect_read_error(REPORT_HEAD "\"processes\":[],\"timeline\":{\"elapsed_ms\":[-1],\"total_kib\":[5],"
                      "\"process_count\":[1]}}", "timeline.elapsed_ms[0]: expected a whole number");
    expect_read_error(REPORT_HEAD "\"processes\":[],\"timeline\":[]}", "timeline: expected an object");
    expect_read_error("{\"schema_version\":", "not valid JSON");
    expect_read_error("[]", "a report is a JSON object");
    expect_read_error("{\"schema_version\":2}", "schema_version 2 is newer");
    expect_read_error(REPORT_HEAD "\"processes\":5}", "processes: expected an array");
    expect_read_error(REPORT_HEAD "\"processes\":[],\"groups\":{}}", "groups: expected an array");
    expect_read_error(REPORT_HEAD "\"processes\":[],\"groups\":[{\"count\":1}]}", "groups[0].name: missing");
    expect_read_error(REPORT_HEAD "\"processes\":[],\"groups\":[{\"name\":\"a\",\"footprint_sampled_kib\":-1}]}",
                      "groups[0].footprint_sampled_kib: -1 is not a whole number");
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

    assert_int_equal(report_json_read(seed, &jt, err, sizeof err), 0);
    assert_int_equal(jt.n_procs, 1);
    assert_int_equal(jt.job.interval_ms, 100);
    assert_int_equal(report_view_build(&v, &jt, NULL), 0);
    assert_int_equal(v.rows[0].peak.kib, 2048);
    assert_int_equal(v.rows[0].peak.kind, JT_PEAK_SAMPLED);
    assert_string_equal(v.rows[0].command, "/usr/bin/cc -c a.c");
    assert_string_equal(v.rows[0].group, "cc");
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
        cmocka_unit_test(test_fit_middle_ascii),
        cmocka_unit_test(test_fit_middle_utf8_and_controls),
        cmocka_unit_test(test_line_fit_keeps_colours),
        cmocka_unit_test(test_terminal_width),
        cmocka_unit_test_setup_teardown(test_summary_fits_width, setup, teardown),
        cmocka_unit_test(test_group_figures),
        cmocka_unit_test(test_total_lower_from_single_process),
        cmocka_unit_test(test_csv_field_quoting),
        cmocka_unit_test_setup_teardown(test_csv_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv_filtered_column, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timeline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tree_view_and_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_by_ppid, setup, teardown),
        cmocka_unit_test(test_leak_heuristic),
        cmocka_unit_test(test_json_read_errors),
        cmocka_unit_test(test_json_read_seed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
