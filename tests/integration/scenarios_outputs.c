/* Where reports go: a symlink keeps being a symlink, a FIFO, a device and memwatch's own redirected stdout are
 * written through, never replaced, and no temporary file is visible while the job runs. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define OUT_TEXT_MAX (1 << 20)
#define OUT_CSV_HEADER "pid,ppid,command,max_rss_kib,max_rss_mib,first_seen,last_seen"

/* memwatch run -q OPTION -- sh -c SCRIPT, in the test folder. */
static int out_run(struct itest_ctx *ctx, struct itest_run *r, const char *option, const char *script)
{
    itest_run_init(r);
    itest_run_add(r, "run");
    itest_run_add(r, "-q");
    itest_run_add(r, "%s", option);
    itest_run_add(r, "--");
    itest_run_add(r, "sh");
    itest_run_add(r, "-c");
    itest_run_add(r, "%s", script);
    if (itest_run(ctx, r) != 0)
        return -1;
    return ITEST_CHECK(ctx, r->exit_code == 0, "memwatch %s exited %d", option, r->exit_code) ? 0 : -1;
}

static bool out_file_has(const char *path, const char *needle)
{
    char *text = itest_read_file(path, OUT_TEXT_MAX, NULL);
    bool has = text && strstr(text, needle);
    free(text);
    return has;
}

/* A symlink's target gets the report; the link stays a link. */
static void out_symlink(struct itest_ctx *ctx)
{
    char real[ITEST_PATH_MAX], link[ITEST_PATH_MAX];
    itest_path(ctx, "real.json", real, sizeof real);
    itest_path(ctx, "link.json", link, sizeof link);
    FILE *f = fopen(real, "w");
    if (f) {
        fputs("old content\n", f);
        fclose(f);
    }
    ITEST_CHECK(ctx, symlink("real.json", link) == 0, "symlink: %s", strerror(errno));
    struct itest_run r;
    char opt[ITEST_PATH_MAX + 16];
    snprintf(opt, sizeof opt, "--json=%s", link);
    if (out_run(ctx, &r, opt, "true") != 0)
        return;
    struct stat st;
    ITEST_CHECK(ctx, lstat(link, &st) == 0 && S_ISLNK(st.st_mode), "link.json is no longer a symlink");
    ITEST_CHECK(ctx, out_file_has(real, "\"schema_version\""), "the symlink's target did not get the report");
    ITEST_CHECK(ctx, !out_file_has(real, "old content"), "the symlink's target kept its old content");
}

/* A FIFO is written through to its reader, and is still a FIFO after. */
static void out_fifo(struct itest_ctx *ctx)
{
    char fifo[ITEST_PATH_MAX], got[ITEST_PATH_MAX];
    itest_path(ctx, "reports.fifo", fifo, sizeof fifo);
    itest_path(ctx, "from_fifo.csv", got, sizeof got);
    if (!ITEST_CHECK(ctx, mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno)))
        return;
    pid_t reader = fork();
    if (reader == 0) {
        int in = open(fifo, O_RDONLY), out = open(got, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        char buf[4096];
        ssize_t n;
        while (in >= 0 && out >= 0 && (n = read(in, buf, sizeof buf)) > 0)
            if (write(out, buf, (size_t)n) != n)
                _exit(1);
        _exit(0);
    }
    struct itest_run r;
    char opt[ITEST_PATH_MAX + 16];
    snprintf(opt, sizeof opt, "--csv=%s", fifo);
    out_run(ctx, &r, opt, "true");
    int status = 0;
    ITEST_CHECK(ctx, itest_wait_pid(ctx, reader, 10000, &status) == 0, "the FIFO's reader never saw its end");
    ITEST_CHECK(ctx, out_file_has(got, OUT_CSV_HEADER), "the FIFO's reader did not get the CSV");
    struct stat st;
    ITEST_CHECK(ctx, lstat(fifo, &st) == 0 && S_ISFIFO(st.st_mode), "the FIFO was replaced");
}

/* --csv=/dev/stdout while memwatch's stdout is a file the job also writes: appended after the job's output
 * through the same descriptor, never a new file renamed over it. And a device stays a device. */
static void out_own_stdout(struct itest_ctx *ctx)
{
    struct itest_run r;
    if (out_run(ctx, &r, "--csv=/dev/stdout", "echo job-line-1; echo job-line-2") != 0)
        return;
    char *text = itest_read_file(r.out_path, OUT_TEXT_MAX, NULL);
    const char *job = text ? strstr(text, "job-line-1\njob-line-2\n") : NULL;
    const char *csv = text ? strstr(text, OUT_CSV_HEADER) : NULL;
    ITEST_CHECK(ctx, job && csv && csv > job, "stdout should hold the job's lines, then the CSV: '%.300s'",
                text ? text : "(unreadable)");
    free(text);
    if (out_run(ctx, &r, "--json=/dev/null", "true") != 0)
        return;
    struct stat st;
    ITEST_CHECK(ctx, stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null is no longer a device");
}

/* While the job runs, the output's folder shows no temporary file; after, only the report. */
static void out_nothing_visible(struct itest_ctx *ctx)
{
    struct itest_run r;
    if (out_run(ctx, &r, "--json=report.json", "ls -a > listing.txt") != 0)
        return;
    char path[ITEST_PATH_MAX];
    char *listing = itest_read_file(itest_path(ctx, "listing.txt", path, sizeof path), OUT_TEXT_MAX, NULL);
    ITEST_CHECK(ctx, listing && !strstr(listing, "memwatch") && !strstr(listing, "report.json"),
                "the job saw memwatch's files while it ran: '%.300s'", listing ? listing : "(unreadable)");
    free(listing);
    DIR *d = opendir(ctx->dir);
    for (struct dirent *e; d && (e = readdir(d)) != NULL;)
        ITEST_CHECK(ctx, !strstr(e->d_name, ".memwatch-"), "temporary file '%s' left behind", e->d_name);
    if (d)
        closedir(d);
}

int scenario_outputs(struct itest_ctx *ctx, const char *arg)
{
    if (strcmp(arg, "symlink") == 0)
        out_symlink(ctx);
    else if (strcmp(arg, "fifo") == 0)
        out_fifo(ctx);
    else if (strcmp(arg, "own_stdout") == 0)
        out_own_stdout(ctx);
    else if (strcmp(arg, "nothing_visible") == 0)
        out_nothing_visible(ctx);
    else
        ITEST_CHECK(ctx, false, "no outputs case '%s'", arg);
    return 0;
}
