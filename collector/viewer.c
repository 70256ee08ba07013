/* memwatch view: reads a JSON report (memwatch's or the seed's) into a job table and writes its HTML page, so
 * a report from CI can be turned into a page anywhere. */
#include "viewer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "outfile.h"
#include "report/report.h"

#define VIEWER_ERROR_MAX 1024
#define VIEWER_READ_CHUNK 65536
#define VIEWER_REPORT_MAX (1024ull * 1024 * 1024) /* a report larger than this is no report of ours */

static void viewer_say(const char *msg) { fprintf(stderr, "memwatch: %s\n", msg); }

/* The whole file as a NUL-terminated string; NULL with errno set. */
static char *viewer_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + VIEWER_READ_CHUNK + 1 > cap) {
            cap = cap ? cap * 2 : VIEWER_READ_CHUNK * 2;
            char *t = cap > VIEWER_REPORT_MAX ? NULL : realloc(text, cap);
            if (t == NULL) {
                errno = cap > VIEWER_REPORT_MAX ? EFBIG : ENOMEM;
                break;
            }
            text = t;
        }
        size_t n = fread(text + len, 1, VIEWER_READ_CHUNK, f);
        len += n;
        if (n < VIEWER_READ_CHUNK) {
            int e = ferror(f) ? errno : 0;
            fclose(f);
            if (e != 0) {
                free(text);
                errno = e;
                return NULL;
            }
            text[len] = '\0';
            if (strlen(text) != len) { /* a NUL byte: a binary file, which the JSON parser would stop at */
                free(text);
                errno = EILSEQ;
                return NULL;
            }
            return text;
        }
    }
    int e = errno;
    fclose(f);
    free(text);
    errno = e;
    return NULL;
}

static int viewer_fail(struct outfile *out, const char *msg)
{
    viewer_say(msg);
    outfile_discard(out);
    return CLI_EXIT_FAILURE;
}

int viewer_run(const struct cli_options *opt)
{
    char err[VIEWER_ERROR_MAX], why[VIEWER_ERROR_MAX / 2], msg[VIEWER_ERROR_MAX * 2];
    struct outfile out;
    if (outfile_prepare(&out, "--html", opt->html_path, err, sizeof err) != 0) {
        viewer_say(err);
        return CLI_EXIT_FAILURE;
    }
    char *text = viewer_slurp(opt->view_report);
    if (text == NULL) {
        const char *problem = errno == EILSEQ ? "not a JSON report (it holds a NUL byte)"
                                              : outfile_errno_text(errno, why, sizeof why);
        snprintf(msg, sizeof msg, "cannot read '%s': %s", opt->view_report, problem);
        return viewer_fail(&out, msg);
    }
    struct jobtable jt;
    int rc = report_json_read(text, &jt, why, sizeof why);
    free(text);
    if (rc != 0) {
        snprintf(msg, sizeof msg, "'%s' is not a memwatch report: %s", opt->view_report, why);
        return viewer_fail(&out, msg);
    }
    struct report_view view;
    if (report_view_build(&view, &jt, NULL) != 0) {
        jobtable_free(&jt);
        return viewer_fail(&out, "cannot build the report: out of memory");
    }
    FILE *f = outfile_stream(&out);
    err[0] = '\0';
    if (f == NULL || report_html_write(f, &view) != 0 || outfile_commit(&out, err, sizeof err) != 0) {
        if (err[0] == '\0')
            snprintf(err, sizeof err, "cannot write --html '%s': %s", opt->html_path,
                     outfile_errno_text(errno, why, sizeof why));
        report_view_free(&view);
        jobtable_free(&jt);
        return viewer_fail(&out, err);
    }
    report_view_free(&view);
    jobtable_free(&jt);
    return 0;
}
