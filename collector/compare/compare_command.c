/* `memwatch compare` and ci-check's verdict: read two reports, compare them, write the table and the files,
 * and say the outcome in one exit code. */
#include "compare_command.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../report/format.h"

#define COMPARE_ERROR_MAX 1024

static void compare_say(const char *what, const char *msg) { fprintf(stderr, "memwatch: %s: %s\n", what, msg); }

void compare_gate_from_options(struct compare_gate *g, const struct cli_options *opt)
{
    memset(g, 0, sizeof *g);
    g->metrics = opt->metrics ? opt->metrics : COMPARE_DEFAULT_METRICS;
    if (!opt->has_threshold && !opt->has_max_increase) {
        compare_gate_defaults(g);
        return;
    }
    g->has_threshold = opt->has_threshold;
    g->threshold_pct = opt->threshold_pct;
    g->has_max_increase = opt->has_max_increase;
    g->max_increase_kib = opt->max_increase_bytes / 1024;
}

static int compare_output_prepare(struct compare_output *o, char *err, size_t errlen)
{
    if (o->to_stdout || o->path == NULL)
        return 0;
    if (outfile_prepare(&o->file, o->option, o->path, err, errlen) != 0)
        return -1;
    o->used = true;
    return 0;
}

typedef int (*compare_formatter)(FILE *, const struct compare_result *);

/* Writes and publishes one output; 0, or -1 after saying what failed. */
static int compare_output_write(struct compare_output *o, const struct compare_result *r, compare_formatter write)
{
    char err[COMPARE_ERROR_MAX] = "";
    if (o->to_stdout) {
        if (write(stdout, r) != 0 || fflush(stdout) != 0) {
            compare_say(o->option, "cannot write to standard output");
            return -1;
        }
        return 0;
    }
    if (!o->used)
        return 0;
    FILE *f = outfile_stream(&o->file);
    o->used = false;
    if (f == NULL || write(f, r) != 0 || outfile_commit(&o->file, err, sizeof err) != 0) {
        if (err[0] == '\0')
            snprintf(err, sizeof err, "cannot write %s '%s': %s", o->option, o->path, strerror(errno));
        outfile_discard(&o->file);
        fprintf(stderr, "memwatch: %s\n", err);
        return -1;
    }
    return 0;
}

static void compare_output_discard(struct compare_output *o)
{
    if (o->used)
        outfile_discard(&o->file);
    o->used = false;
}

/* Both runs grouped by one key, said when it is not the one a run was reported with. */
static int compare_align(struct report_file *base, struct report_file *cand)
{
    enum jt_group_by b = base->jt.job.group_by, c = cand->jt.job.group_by;
    bool regrouped = false;
    if (compare_align_groups(base, cand, &regrouped) != 0)
        return -1;
    if (regrouped)
        fprintf(stderr, "memwatch: compare: groups are matched by %s (the base was grouped by %s, the candidate "
                "by %s)\n", report_group_by_name(base->jt.job.group_by), report_group_by_name(b),
                report_group_by_name(c));
    return 0;
}

/* The table goes to standard output unless a file format took it; then to standard error. */
static int compare_write_table(FILE *out, const struct compare_result *r, const struct cli_options *opt)
{
    int fd = fileno(out);
    struct compare_text_options t = {report_terminal_width(fd), cli_use_color(opt, fd)};
    return compare_write_text(out, r, &t);
}

int compare_command(const struct cli_options *opt)
{
    char err[COMPARE_ERROR_MAX] = "";
    struct compare_output json = {"--json", opt->json_stdout, opt->json_path, .used = false};
    struct compare_output md = {"--markdown", opt->markdown_stdout, opt->markdown_path, .used = false};
    struct report_file base, cand;
    struct compare_gate gate;
    struct compare_result r;

    if (compare_output_prepare(&json, err, sizeof err) != 0 || compare_output_prepare(&md, err, sizeof err) != 0) {
        fprintf(stderr, "memwatch: %s\n", err);
        compare_output_discard(&json);
        return CLI_EXIT_FAILURE;
    }
    if (report_file_load(&base, opt->baseline_path, err, sizeof err) != 0) {
        compare_say("compare", err);
        compare_output_discard(&json);
        compare_output_discard(&md);
        return CLI_EXIT_FAILURE;
    }
    if (report_file_load(&cand, opt->candidate_path, err, sizeof err) != 0) {
        compare_say("compare", err);
        report_file_free(&base);
        compare_output_discard(&json);
        compare_output_discard(&md);
        return CLI_EXIT_FAILURE;
    }
    compare_gate_from_options(&gate, opt);
    int rc = CLI_EXIT_FAILURE;
    if (compare_align(&base, &cand) != 0 || compare_build(&r, &base, &cand, &gate) != 0) {
        compare_say("compare", "out of memory");
        compare_output_discard(&json);
        compare_output_discard(&md);
    } else {
        bool ok = true;
        if (!opt->quiet) {
            FILE *table = json.to_stdout || md.to_stdout ? stderr : stdout;
            if (compare_write_table(table, &r, opt) != 0 || fflush(table) != 0) {
                compare_say("compare", "cannot write the table");
                ok = false;
            }
        }
        ok = compare_output_write(&json, &r, compare_write_json) == 0 && ok;
        ok = compare_output_write(&md, &r, compare_write_markdown) == 0 && ok;
        rc = !ok ? CLI_EXIT_FAILURE : compare_failed(&r) ? CLI_EXIT_COMPARE_REGRESSION : 0;
        compare_free(&r);
    }
    report_file_free(&cand);
    report_file_free(&base);
    return rc;
}

/* ---- ci-check ---- */

int ci_check_prepare(struct ci_check *c, const struct cli_options *opt, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    struct stat st;
    if (stat(opt->baseline_path, &st) != 0 && errno == ENOENT) {
        /* No baseline yet: this run's report will be it, so it must be writable now. */
        if (outfile_prepare(&c->baseline_out, "--baseline", opt->baseline_path, err, errlen) != 0)
            return -1;
        c->baseline_out_used = true;
    } else {
        char why[COMPARE_ERROR_MAX];
        if (report_file_load(&c->baseline, opt->baseline_path, why, sizeof why) != 0) {
            snprintf(err, errlen, "ci-check: --baseline %s", why);
            return -1;
        }
        c->baseline_loaded = true;
    }
    c->markdown = (struct compare_output){"--markdown", opt->markdown_stdout, opt->markdown_path, .used = false};
    if (compare_output_prepare(&c->markdown, err, errlen) != 0) {
        ci_check_discard(c);
        return -1;
    }
    return 0;
}

void ci_check_discard(struct ci_check *c)
{
    if (c->baseline_out_used)
        outfile_discard(&c->baseline_out);
    compare_output_discard(&c->markdown);
    if (c->baseline_loaded)
        report_file_free(&c->baseline);
    c->baseline_out_used = c->baseline_loaded = false;
}

/* Copies the run's report into the new baseline file and publishes it; 0, or -1 after saying why. */
static int ci_check_write_baseline(struct ci_check *c, const char *report_path)
{
    char err[COMPARE_ERROR_MAX] = "", buf[65536];
    FILE *in = fopen(report_path, "r");
    FILE *out = outfile_stream(&c->baseline_out);
    bool ok = in != NULL && out != NULL;
    size_t n;
    while (ok && (n = fread(buf, 1, sizeof buf, in)) > 0)
        ok = fwrite(buf, 1, n, out) == n;
    ok = ok && !ferror(in);
    if (in)
        fclose(in);
    c->baseline_out_used = false;
    if (!ok || outfile_commit(&c->baseline_out, err, sizeof err) != 0) {
        if (err[0] == '\0')
            snprintf(err, sizeof err, "cannot write --baseline '%s': %s", c->baseline_out.path, strerror(errno));
        outfile_discard(&c->baseline_out);
        fprintf(stderr, "memwatch: ci-check: %s\n", err);
        return -1;
    }
    return 0;
}

static int ci_check_first_run(struct ci_check *c, const struct cli_options *opt, const char *report_path,
                              int exit_code)
{
    if (exit_code != 0) {
        fprintf(stderr, "memwatch: ci-check: no baseline written: the check failed (exit %d)\n", exit_code);
        ci_check_discard(c);
        return exit_code;
    }
    if (ci_check_write_baseline(c, report_path) != 0) {
        ci_check_discard(c);
        return CLI_EXIT_FAILURE;
    }
    fprintf(stderr, "memwatch: ci-check: no baseline at '%s' yet: wrote this run's report there; the check "
            "passes\n", opt->baseline_path);
    ci_check_discard(c);
    return 0;
}

int ci_check_conclude(struct ci_check *c, const struct cli_options *opt, const char *report_path, int exit_code)
{
    if (!c->baseline_loaded)
        return ci_check_first_run(c, opt, report_path, exit_code);
    char err[COMPARE_ERROR_MAX] = "";
    struct report_file cand;
    struct compare_gate gate;
    struct compare_result r;
    if (report_file_load(&cand, report_path, err, sizeof err) != 0) {
        compare_say("ci-check", err);
        ci_check_discard(c);
        return exit_code ? exit_code : CLI_EXIT_FAILURE;
    }
    if (opt->json_path == NULL) /* a temporary file, gone when memwatch ends: no name to show */
        cand.path = "(this run)";
    compare_gate_from_options(&gate, opt);
    int rc = CLI_EXIT_FAILURE;
    if (compare_align(&c->baseline, &cand) != 0 || compare_build(&r, &c->baseline, &cand, &gate) != 0) {
        compare_say("ci-check", "out of memory");
    } else {
        bool ok = true;
        if (!opt->quiet) {
            fputc('\n', stderr);
            ok = compare_write_table(stderr, &r, opt) == 0;
        } else {
            fprintf(stderr, "memwatch: ci-check: %s the gate against '%s'\n",
                    compare_failed(&r) ? "REGRESSION: outside" : "within", opt->baseline_path);
        }
        ok = compare_output_write(&c->markdown, &r, compare_write_markdown) == 0 && ok;
        rc = !ok ? CLI_EXIT_FAILURE : compare_failed(&r) ? CLI_EXIT_REGRESSION : 0;
        compare_free(&r);
    }
    report_file_free(&cand);
    ci_check_discard(c);
    /* The job's own failure, and a breached limit, come first. */
    return exit_code != 0 ? exit_code : rc;
}
