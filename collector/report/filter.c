/* --include / --exclude: which processes the reports list (totals always count every process). */
#include "report.h"

#include <stdio.h>
#include <string.h>

#define REPORT_REGERROR_MAX 128

static int report_filter_compile(regex_t *re, const char *option, const char *text, char *err, size_t errlen)
{
    char why[REPORT_REGERROR_MAX];
    int rc = regcomp(re, text, REG_EXTENDED | REG_NOSUB);
    if (rc == 0)
        return 0;
    regerror(rc, re, why, sizeof why);
    snprintf(err, errlen, "%s: '%s' is not a valid regex: %s", option, text, why);
    return -1;
}

int report_filter_init(struct report_filter *f, const char *include, const char *exclude, char *err,
                       size_t errlen)
{
    memset(f, 0, sizeof *f);
    if (include != NULL) {
        if (report_filter_compile(&f->include, "--include", include, err, errlen) != 0)
            return -1;
        f->has_include = true;
        f->include_text = include;
    }
    if (exclude != NULL) {
        if (report_filter_compile(&f->exclude, "--exclude", exclude, err, errlen) != 0) {
            report_filter_free(f);
            return -1;
        }
        f->has_exclude = true;
        f->exclude_text = exclude;
    }
    return 0;
}

void report_filter_free(struct report_filter *f)
{
    if (f->has_include)
        regfree(&f->include);
    if (f->has_exclude)
        regfree(&f->exclude);
    f->has_include = false;
    f->has_exclude = false;
}

bool report_filter_match(const struct report_filter *f, const char *command_line)
{
    const char *text = command_line != NULL ? command_line : "";
    if (f->has_include && regexec(&f->include, text, 0, NULL, 0) != 0)
        return false;
    if (f->has_exclude && regexec(&f->exclude, text, 0, NULL, 0) == 0)
        return false;
    return true;
}
