/* A report read back from a file (memwatch's, or the seed's): its job table and its view, for compare,
 * ci-check and view. */
#include "report.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../outfile.h"

#define REPORT_FILE_CHUNK 65536
#define REPORT_FILE_MAX (1024ull * 1024 * 1024) /* a report larger than 1 GiB is no report of memwatch's */
#define REPORT_FILE_WHY_MAX 512

/* The whole stream as a NUL-terminated string; NULL with errno set (EFBIG too large, EILSEQ a NUL byte). */
static char *report_file_slurp(FILE *f)
{
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len + REPORT_FILE_CHUNK + 1 > cap) {
            size_t want = cap ? cap * 2 : REPORT_FILE_CHUNK * 2;
            char *t = want > REPORT_FILE_MAX ? NULL : realloc(text, want);
            if (t == NULL) {
                int e = want > REPORT_FILE_MAX ? EFBIG : ENOMEM;
                free(text);
                errno = e;
                return NULL;
            }
            text = t;
            cap = want;
        }
        size_t n = fread(text + len, 1, REPORT_FILE_CHUNK, f);
        len += n;
        if (n < REPORT_FILE_CHUNK)
            break;
    }
    if (ferror(f)) {
        int e = errno ? errno : EIO;
        free(text);
        errno = e;
        return NULL;
    }
    text[len] = '\0';
    if (strlen(text) != len) { /* a binary file, which the JSON parser would stop at */
        free(text);
        errno = EILSEQ;
        return NULL;
    }
    return text;
}

/* "-" is standard input. */
static char *report_file_read(const char *path, char *err, size_t errlen)
{
    char why[128];
    bool std_in = strcmp(path, "-") == 0;
    FILE *f = std_in ? stdin : fopen(path, "r");
    struct stat st;
    char *text = NULL;
    if (f != NULL && fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode))
        errno = EISDIR;
    else if (f != NULL)
        text = report_file_slurp(f);
    if (text == NULL) {
        const char *problem = errno == EILSEQ ? "not a JSON report (it holds a NUL byte)"
                              : errno == EFBIG ? "larger than 1 GiB: not a report"
                                               : outfile_errno_text(errno, why, sizeof why);
        snprintf(err, errlen, "cannot read '%s': %s", path, problem);
    }
    if (f != NULL && !std_in)
        fclose(f);
    return text;
}

int report_file_parse(struct report_file *rf, const char *path, const char *text, char *err, size_t errlen)
{
    char why[REPORT_FILE_WHY_MAX];
    memset(rf, 0, sizeof *rf);
    rf->path = path;
    if (report_json_read(text, &rf->jt, why, sizeof why) != 0) {
        snprintf(err, errlen, "'%s' is not a memwatch report: %s", path, why);
        return -1;
    }
    /* memwatch always names itself; the original tool never did. */
    rf->seed = rf->jt.job.memwatch_version == NULL;
    if (report_view_build(&rf->view, &rf->jt, NULL) != 0) {
        snprintf(err, errlen, "'%s': out of memory", path);
        jobtable_free(&rf->jt);
        return -1;
    }
    return 0;
}

int report_file_load(struct report_file *rf, const char *path, char *err, size_t errlen)
{
    memset(rf, 0, sizeof *rf);
    char *text = report_file_read(path, err, errlen);
    if (text == NULL)
        return -1;
    int rc = report_file_parse(rf, path, text, err, errlen);
    free(text);
    return rc;
}

int report_file_regroup(struct report_file *rf, enum jt_group_by group_by)
{
    if (rf->jt.job.group_by == group_by)
        return 0;
    report_view_free(&rf->view);
    rf->jt.job.group_by = group_by;
    return report_view_build(&rf->view, &rf->jt, NULL);
}

void report_file_free(struct report_file *rf)
{
    report_view_free(&rf->view);
    jobtable_free(&rf->jt);
}
