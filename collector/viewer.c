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

static void viewer_say(const char *msg) { fprintf(stderr, "memwatch: %s\n", msg); }

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
    struct report_file rf;
    if (report_file_load(&rf, opt->view_report, msg, sizeof msg) != 0)
        return viewer_fail(&out, msg);
    FILE *f = outfile_stream(&out);
    err[0] = '\0';
    if (f == NULL || report_html_write(f, &rf.view) != 0 || outfile_commit(&out, err, sizeof err) != 0) {
        if (err[0] == '\0')
            snprintf(err, sizeof err, "cannot write --html '%s': %s", opt->html_path,
                     outfile_errno_text(errno, why, sizeof why));
        report_file_free(&rf);
        return viewer_fail(&out, err);
    }
    report_file_free(&rf);
    return 0;
}
