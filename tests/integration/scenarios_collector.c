/* Collector scenarios: what polling alone must get right (run with and without the agent), exit codes,
 * signals, refused command lines and the CSV outputs. Each expectation sits beside its workload, in the
 * comment heading tests/workloads/NAME.c. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define SCEN_MIB 1024.0
#define SCEN_SAMPLED_MIN_RATIO 0.95 /* a hold of many intervals is sampled at (nearly) its full size */
#define SCEN_SAMPLED_SLACK_KIB ITEST_KERNEL_SLACK_KIB
#define SCEN_READY_TIMEOUT_MS 60000
#define SCEN_ORPHAN_HOLD "5000"
#define SCEN_TEXT_MAX (1024 * 1024)
#define SCEN_CMD_MAX 8192

/* Whether a comma-separated scenario argument holds word. */
static bool scen_has(const char *arg, const char *word)
{
    size_t wl = strlen(word);
    for (const char *p = arg; p != NULL && *p != '\0';) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == wl && strncmp(p, word, wl) == 0)
            return true;
        p = comma ? comma + 1 : NULL;
    }
    return false;
}

static bool scen_kind_is(const cJSON *obj, const char *kind)
{
    const char *k = itest_json_str(obj, "peak_kind");
    return k != NULL && strcmp(k, kind) == 0;
}

/* A sampled peak: never above what the process reached, and near it when it held still long enough. */
static void scen_expect_sampled(struct itest_ctx *ctx, const cJSON *proc, uint64_t hwm, const char *what)
{
    if (proc == NULL)
        return;
    const char *kind = itest_json_str(proc, "peak_kind");
    ITEST_CHECK(ctx, scen_kind_is(proc, "sampled"), "%s: peak_kind '%s', expected sampled (no agent)", what,
                kind ? kind : "(none)");
    double peak = itest_json_num(proc, "max_rss_kib");
    ITEST_CHECK(ctx, peak >= SCEN_SAMPLED_MIN_RATIO * (double)hwm && peak <= (double)hwm + SCEN_SAMPLED_SLACK_KIB,
                "%s: sampled max_rss_kib %.0f, the workload measured VmHWM %llu (accepted %.0f..%.0f)", what, peak,
                (unsigned long long)hwm, SCEN_SAMPLED_MIN_RATIO * (double)hwm, (double)hwm + SCEN_SAMPLED_SLACK_KIB);
}

static void scen_expect_command(struct itest_ctx *ctx, const cJSON *proc, const char *expected, const char *what)
{
    if (proc == NULL)
        return;
    const char *cmd = itest_json_str(proc, "command");
    ITEST_CHECK(ctx, cmd != NULL && strcmp(cmd, expected) == 0, "%s: command '%s', expected '%s'", what,
                cmd ? cmd : "(none)", expected);
}

static void scen_expect_exit(struct itest_ctx *ctx, const struct itest_run *r, int code)
{
    ITEST_CHECK(ctx, r->exit_code == code, "memwatch exited %d, expected %d", r->exit_code, code);
}

int scenario_alloc_hold(struct itest_ctx *ctx, const char *arg)
{
    bool agent = scen_has(arg, "agent");
    struct itest_opts o = {.agent = agent, .interval_ms = 100};
    struct itest_run r;
    if (itest_run_workload(ctx, &r, &o, "alloc_hold", "100", "1500", NULL) != 0)
        return 0;
    scen_expect_exit(ctx, &r, 0);
    itest_expect_silent(ctx, &r);
    struct itest_facts f;
    itest_facts_load(ctx, &f);
    itest_expect_no_leaked_fds(ctx, &f);
    const struct itest_fact *fa = itest_facts_find(&f, "alloc_hold", 0);
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){.exit_code = 0});
    if (ITEST_CHECK(ctx, fa != NULL, "no alloc_hold fact") && rep != NULL) {
        ITEST_CHECK(ctx, fa->hwm_kib >= 100 * 1024 && fa->hwm_kib <= 108 * 1024,
                    "workload sanity: alloc_hold 100 measured VmHWM %llu KiB", (unsigned long long)fa->hwm_kib);
        const cJSON *p = itest_json_process(ctx, rep, fa->pid, "alloc_hold");
        char cmd[SCEN_CMD_MAX];
        snprintf(cmd, sizeof cmd, "%s/alloc_hold 100 1500", ctx->wldir);
        scen_expect_command(ctx, p, cmd, "alloc_hold");
        itest_expect_end(ctx, p, "exited", 0, "alloc_hold");
        ITEST_CHECK(ctx, itest_json_num(rep, "process_count") == 1, "process_count %.0f, expected 1",
                    itest_json_num(rep, "process_count"));
        if (agent) {
            itest_expect_exact_fact(ctx, rep, fa, "alloc_hold");
            ITEST_CHECK(ctx, itest_json_array_size(p, "images") == 1, "alloc_hold: %d images, expected 1",
                        itest_json_array_size(p, "images"));
        } else {
            scen_expect_sampled(ctx, p, fa->hwm_kib, "alloc_hold");
        }
        ITEST_CHECK(ctx, itest_json_num(rep, "samples") >= 3, "only %.0f samples in a 1.5 s job at 100 ms",
                    itest_json_num(rep, "samples"));
        ITEST_CHECK(ctx, itest_json_num(rep, "max_total_rss_kib") >= SCEN_SAMPLED_MIN_RATIO * (double)fa->hwm_kib,
                    "max_total_rss_kib %.0f, below %.0f%% of the process's VmHWM %llu",
                    itest_json_num(rep, "max_total_rss_kib"), SCEN_SAMPLED_MIN_RATIO * 100,
                    (unsigned long long)fa->hwm_kib);
    }
    cJSON_Delete(rep);
    itest_facts_free(&f);
    return 0;
}

int scenario_tree3(struct itest_ctx *ctx, const char *arg)
{
    bool agent = scen_has(arg, "agent");
    struct itest_opts o = {.agent = agent, .interval_ms = 100};
    struct itest_run r;
    if (itest_run_workload(ctx, &r, &o, "tree", "2", "2048", "1500", NULL) != 0)
        return 0;
    scen_expect_exit(ctx, &r, 0);
    itest_expect_silent(ctx, &r);
    struct itest_facts f;
    itest_facts_load(ctx, &f);
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){.exit_code = 0});
    ITEST_CHECK(ctx, itest_facts_count(&f, "tree") == 7, "workload sanity: %zu tree facts, expected 7",
                itest_facts_count(&f, "tree"));
    if (rep != NULL) {
        ITEST_CHECK(ctx, itest_json_num(rep, "process_count") == 7, "process_count %.0f, expected 7",
                    itest_json_num(rep, "process_count"));
        const struct itest_fact *fa;
        for (size_t i = 0; (fa = itest_facts_find(&f, "tree", i)) != NULL; i++) {
            char what[64], cmd[SCEN_CMD_MAX];
            snprintf(what, sizeof what, "tree level %ld pid %d", fa->value, (int)fa->pid);
            const cJSON *p = itest_json_process(ctx, rep, fa->pid, what);
            if (p == NULL)
                continue;
            ITEST_CHECK(ctx, itest_json_num(p, "ppid") == fa->ppid, "%s: ppid %.0f, expected %d", what,
                        itest_json_num(p, "ppid"), (int)fa->ppid);
            snprintf(cmd, sizeof cmd, "%s/tree %ld 2048 1500", ctx->wldir, fa->value);
            scen_expect_command(ctx, p, cmd, what);
            ITEST_CHECK(ctx, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "root")) == (fa->value == 2),
                        "%s: root flag wrong", what);
            /* Without the agent only memwatch's own child has a known end: its parents reaped the others. */
            const char *end = itest_json_str(p, "end");
            if (agent || fa->value == 2 || end == NULL || strcmp(end, "gone") != 0)
                itest_expect_end(ctx, p, "exited", 0, what);
            if (agent)
                ITEST_CHECK(ctx, scen_kind_is(p, "exact"), "%s: peak_kind '%s', expected exact", what,
                            itest_json_str(p, "peak_kind"));
        }
    }
    cJSON_Delete(rep);
    itest_facts_free(&f);
    return 0;
}

/* After memwatch returned without --wait-orphans: the grandchild must still be running (memwatch neither
 * waited for it nor killed it); it comes to the harness, which waits for it to finish cleanly. */
static void scen_orphan_after_return(struct itest_ctx *ctx, const cJSON *rep, const struct itest_fact *gc)
{
    char path[ITEST_PATH_MAX];
    ITEST_CHECK(ctx, !itest_exists(itest_path(ctx, "orphan.done", path, sizeof path)),
                "memwatch without --wait-orphans returned only after the orphan finished");
    const cJSON *p = itest_json_process(ctx, rep, gc->pid, "orphaned grandchild");
    const char *end = itest_json_str(p, "end");
    ITEST_CHECK(ctx, p == NULL || (end != NULL && strcmp(end, "running") == 0),
                "orphaned grandchild: end '%s', expected 'running' (it was alive when memwatch reported)",
                end ? end : "(none)");
    int status = 0;
    bool reaped = itest_wait_pid(ctx, gc->pid, SCEN_READY_TIMEOUT_MS, &status) == 0;
    ITEST_CHECK(ctx, reaped && WIFEXITED(status) && WEXITSTATUS(status) == 0,
                "the orphan did not finish on its own with status 0 after memwatch returned (status 0x%x)", status);
}

int scenario_orphan(struct itest_ctx *ctx, const char *arg)
{
    bool agent = scen_has(arg, "agent");
    bool wait = scen_has(arg, "wait");
    struct itest_opts o = {.agent = agent, .interval_ms = 100, .wait_orphans = wait};
    struct itest_run r;
    if (itest_run_workload(ctx, &r, &o, "orphan", SCEN_ORPHAN_HOLD, "300", NULL) != 0)
        return 0;
    scen_expect_exit(ctx, &r, 0);
    itest_expect_silent(ctx, &r);
    struct itest_facts f;
    itest_facts_load(ctx, &f);
    const struct itest_fact *gc = itest_facts_find(&f, "grandchild", 0);
    const struct itest_fact *mid = itest_facts_find(&f, "middle", 0);
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){.exit_code = 0});
    if (ITEST_CHECK(ctx, gc != NULL && mid != NULL, "workload sanity: grandchild/middle facts missing") && rep) {
        const cJSON *p = itest_json_process(ctx, rep, gc->pid, "orphaned grandchild");
        char cmd[SCEN_CMD_MAX];
        snprintf(cmd, sizeof cmd, "%s/orphan grandchild %s", ctx->wldir, SCEN_ORPHAN_HOLD);
        scen_expect_command(ctx, p, cmd, "orphaned grandchild");
        if (p != NULL)
            ITEST_CHECK(ctx, itest_json_num(p, "ppid") == mid->pid || itest_json_num(p, "ppid") == r.pid,
                        "orphaned grandchild: ppid %.0f is neither the middle process %d nor memwatch %d",
                        itest_json_num(p, "ppid"), (int)mid->pid, (int)r.pid);
        if (agent) {
            const cJSON *m = itest_json_process(ctx, rep, mid->pid, "middle process");
            itest_expect_end(ctx, m, "exited", 0, "middle process");
        }
        if (wait) {
            char path[ITEST_PATH_MAX];
            ITEST_CHECK(ctx, itest_exists(itest_path(ctx, "orphan.done", path, sizeof path)),
                        "memwatch --wait-orphans returned before the orphan finished");
            itest_expect_end(ctx, p, "exited", 0, "orphaned grandchild");
            if (agent)
                itest_expect_exact_fact(ctx, rep, gc, "orphan");
        } else {
            scen_orphan_after_return(ctx, rep, gc);
        }
    }
    cJSON_Delete(rep);
    itest_facts_free(&f);
    return 0;
}

int scenario_exit_code(struct itest_ctx *ctx, const char *arg)
{
    bool agent = scen_has(arg, "agent");
    bool kill9 = scen_has(arg, "kill9");
    int code = kill9 ? 128 + SIGKILL : scen_has(arg, "3") ? 3 : 0;
    struct itest_opts o = {.agent = agent, .interval_ms = 100};
    struct itest_run r;
    if (itest_run_workload(ctx, &r, &o, "exit_with", kill9 ? "kill9" : code == 3 ? "3" : "0", "300", NULL) != 0)
        return 0;
    scen_expect_exit(ctx, &r, code);
    itest_expect_silent(ctx, &r);
    struct itest_facts f;
    itest_facts_load(ctx, &f);
    const struct itest_fact *fa = itest_facts_find(&f, "exit_with", 0);
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){.exit_code = code});
    if (ITEST_CHECK(ctx, fa != NULL, "no exit_with fact") && rep != NULL) {
        const cJSON *p = itest_json_process(ctx, rep, fa->pid, "exit_with");
        if (kill9) {
            itest_expect_end(ctx, p, "signaled", SIGKILL, "exit_with kill9");
            ITEST_CHECK(ctx, p == NULL || scen_kind_is(p, "sampled") || scen_kind_is(p, "bound"),
                        "exit_with kill9: peak_kind '%s', expected sampled or bound (no exit report after SIGKILL)",
                        itest_json_str(p, "peak_kind"));
        } else {
            itest_expect_end(ctx, p, "exited", code, "exit_with");
            if (agent)
                itest_expect_exact_fact(ctx, rep, fa, "exit_with");
        }
        double bound = itest_json_num(p, "bound_kib");
        if (!isnan(bound))
            ITEST_CHECK(ctx, bound + SCEN_SAMPLED_SLACK_KIB >= (double)fa->hwm_kib,
                        "exit_with: bound_kib %.0f below the measured VmHWM %llu", bound,
                        (unsigned long long)fa->hwm_kib);
    }
    cJSON_Delete(rep);
    itest_facts_free(&f);
    return 0;
}

int scenario_sigint(struct itest_ctx *ctx, const char *arg)
{
    bool agent = scen_has(arg, "agent");
    bool reraise = scen_has(arg, "reraise");
    struct itest_opts o = {.agent = agent, .interval_ms = 100};
    struct itest_run r;
    itest_run_prepare(ctx, &r, &o);
    itest_run_add(&r, "%s/sigint_wait", ctx->wldir);
    itest_run_add(&r, "%s", reraise ? "reraise" : "exit");
    if (itest_run_start(ctx, &r) != 0)
        return 0;
    bool ready = itest_wait_file(ctx, "sigint.ready", SCEN_READY_TIMEOUT_MS);
    ITEST_CHECK(ctx, ready, "the job never became ready (no sigint.ready)");
    if (ready)
        kill(r.pid, SIGINT);
    if (itest_run_wait(ctx, &r) != 0 || !ready)
        return 0;
    scen_expect_exit(ctx, &r, 130);
    char path[ITEST_PATH_MAX];
    ITEST_CHECK(ctx, itest_exists(itest_path(ctx, "sigint.got", path, sizeof path)),
                "the job never received the SIGINT sent to memwatch");
    struct itest_facts f;
    itest_facts_load(ctx, &f);
    const struct itest_fact *fa = itest_facts_find(&f, "sigint_wait", 0);
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){.exit_code = 130});
    if (fa != NULL && rep != NULL) {
        const cJSON *p = itest_json_process(ctx, rep, fa->pid, "sigint_wait");
        if (reraise) {
            itest_expect_end(ctx, p, "signaled", SIGINT, "sigint_wait");
        } else {
            itest_expect_end(ctx, p, "exited", 130, "sigint_wait");
            if (agent)
                itest_expect_exact_fact(ctx, rep, fa, "sigint_wait");
        }
    }
    cJSON_Delete(rep);
    itest_facts_free(&f);
    return 0;
}

/* Only the harness's own files may be in the temporary directory after a refused command line. */
static void scen_expect_no_leftovers(struct itest_ctx *ctx)
{
    DIR *d = opendir(ctx->dir);
    if (d == NULL)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        size_t len = strlen(n);
        bool harness = strcmp(n, ".") == 0 || strcmp(n, "..") == 0 || strcmp(n, "ro") == 0 ||
                       strcmp(n, "noexec") == 0 ||
                       (strncmp(n, "mw", 2) == 0 && len > 4 &&
                        (strcmp(n + len - 4, ".out") == 0 || strcmp(n + len - 4, ".err") == 0));
        ITEST_CHECK(ctx, harness, "file '%s' left behind in the job directory", n);
    }
    closedir(d);
}

/* memwatch's one-line complaint: exactly one line on stderr, starting "memwatch: ". */
static void scen_expect_one_error_line(struct itest_ctx *ctx, const struct itest_run *r, const char *what)
{
    char *err = itest_read_file(r->err_path, SCEN_TEXT_MAX, NULL);
    char *out = itest_read_file(r->out_path, SCEN_TEXT_MAX, NULL);
    size_t lines = 0;
    for (const char *p = err ? err : ""; *p; p++)
        lines += *p == '\n';
    ITEST_CHECK(ctx, err != NULL && strncmp(err, "memwatch: ", 10) == 0 && lines == 1,
                "%s: stderr should be exactly one line starting 'memwatch: ', got %zu lines: '%.300s'", what, lines,
                err ? err : "(unreadable)");
    ITEST_CHECK(ctx, out != NULL && out[0] == '\0', "%s: stdout not empty: '%.200s'", what, out ? out : "?");
    free(err);
    free(out);
}

/* Runs memwatch with the prepared arguments and expects a refusal: 125, one line, job never started. */
static void scen_expect_refused(struct itest_ctx *ctx, struct itest_run *r, const char *what)
{
    if (itest_run(ctx, r) != 0)
        return;
    ITEST_CHECK(ctx, r->exit_code == 125, "%s: memwatch exited %d, expected 125", what, r->exit_code);
    scen_expect_one_error_line(ctx, r, what);
    char path[ITEST_PATH_MAX];
    ITEST_CHECK(ctx, !itest_exists(itest_path(ctx, "marker", path, sizeof path)), "%s: the job was started", what);
    scen_expect_no_leftovers(ctx);
}

/* `memwatch ARGS... [-- touch_marker DIR/marker]` with an output that would be valid. */
static void scen_bad(struct itest_ctx *ctx, const char *what, const char *const *args, bool with_job)
{
    struct itest_run r;
    itest_run_init(&r);
    for (size_t i = 0; args[i] != NULL; i++) {
        if (strcmp(args[i], "@OK_JSON") == 0)
            itest_run_add(&r, "--json=%s/ok.json", ctx->dir);
        else if (strcmp(args[i], "@OK_CSV") == 0)
            itest_run_add(&r, "%s/ok.csv", ctx->dir);
        else if (strncmp(args[i], "@RO/", 4) == 0)
            itest_run_add(&r, "%s/%s", ctx->dir, args[i] + 1);
        else
            itest_run_add(&r, "%s", args[i]);
    }
    if (with_job) {
        itest_run_add(&r, "--");
        itest_run_add(&r, "%s/touch_marker", ctx->wldir);
        itest_run_add(&r, "%s/marker", ctx->dir);
    }
    scen_expect_refused(ctx, &r, what);
}

/* A directory the harness cannot write into, even as root: DIR/ro (mode 0555), else /sys. NULL: none. */
static const char *scen_readonly_dir(struct itest_ctx *ctx, char *buf, size_t len)
{
    itest_path(ctx, "ro", buf, len);
    if (mkdir(buf, 0555) != 0)
        return NULL;
    char probe[ITEST_PATH_MAX + 16];
    snprintf(probe, sizeof probe, "%s/probe", buf);
    int fd = open(probe, O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd < 0)
        return buf;
    close(fd);
    unlink(probe);
    /* Root writes anywhere it has permission bits for; sysfs refuses new files even to root. */
    fd = open("/sys/memwatch-itest-probe", O_WRONLY | O_CREAT | O_EXCL, 0644);
    if (fd >= 0) {
        close(fd);
        unlink("/sys/memwatch-itest-probe");
        return NULL;
    }
    snprintf(buf, len, "/sys");
    return buf;
}

int scenario_bad_input(struct itest_ctx *ctx, const char *arg)
{
    if (strcmp(arg, "no_command") == 0) {
        scen_bad(ctx, "run without command", (const char *[]){"run", NULL}, false);
        scen_bad(ctx, "run -- without command", (const char *[]){"run", "--", NULL}, false);
        scen_bad(ctx, "run -q --json=F without command", (const char *[]){"run", "-q", "@OK_JSON", NULL}, false);
    } else if (strcmp(arg, "unknown_option") == 0) {
        scen_bad(ctx, "--frobnicate", (const char *[]){"run", "--frobnicate", "@OK_JSON", NULL}, true);
        scen_bad(ctx, "-Z", (const char *[]){"run", "-Z", "@OK_JSON", NULL}, true);
        scen_bad(ctx, "unknown subcommand", (const char *[]){"frobnicate", NULL}, true);
    } else if (strcmp(arg, "interval_zero") == 0) {
        scen_bad(ctx, "-i 0", (const char *[]){"run", "-i", "0", "@OK_JSON", NULL}, true);
        scen_bad(ctx, "-i 0ms", (const char *[]){"run", "-i", "0ms", "@OK_JSON", NULL}, true);
    } else if (strcmp(arg, "interval_abc") == 0) {
        scen_bad(ctx, "-i abc", (const char *[]){"run", "-i", "abc", "@OK_JSON", NULL}, true);
        scen_bad(ctx, "-i 10xyz", (const char *[]){"run", "-i", "10xyz", "@OK_JSON", NULL}, true);
        scen_bad(ctx, "-i -5", (const char *[]){"run", "-i", "-5", "@OK_JSON", NULL}, true);
    } else if (strcmp(arg, "regex") == 0) {
        scen_bad(ctx, "--include '('", (const char *[]){"run", "--include", "(", "@OK_JSON", NULL}, true);
        scen_bad(ctx, "--exclude '['", (const char *[]){"run", "--exclude", "[", "@OK_JSON", NULL}, true);
    } else if (strcmp(arg, "json_dir") == 0) {
        scen_bad(ctx, "--json into a missing directory",
                 (const char *[]){"run", "--csv", "@OK_CSV", "--json=/nonexistent/dir/x.json", NULL}, true);
    } else if (strcmp(arg, "csv_readonly") == 0) {
        char ro[ITEST_PATH_MAX];
        if (scen_readonly_dir(ctx, ro, sizeof ro) == NULL) {
            itest_note(ctx, "no directory is read-only for this user: skipped");
            return ITEST_SKIP;
        }
        char csv[ITEST_PATH_MAX + 16], tl[ITEST_PATH_MAX + 16];
        snprintf(csv, sizeof csv, "%s/x.csv", ro);
        snprintf(tl, sizeof tl, "%s/t.csv", ro);
        scen_bad(ctx, "--csv into a read-only directory", (const char *[]){"run", "@OK_JSON", "--csv", csv, NULL},
                 true);
        scen_bad(ctx, "--timeline into a read-only directory",
                 (const char *[]){"run", "@OK_JSON", "--timeline", tl, NULL}, true);
        ITEST_CHECK(ctx, !itest_exists(csv) && !itest_exists(tl), "an output file was created in %s", ro);
        chmod(itest_path(ctx, "ro", ro, sizeof ro), 0755);
    }
    return 0;
}

int scenario_cannot_run(struct itest_ctx *ctx, const char *arg)
{
    bool not_found = strcmp(arg, "not_found") == 0;
    int expected = not_found ? 127 : 126;
    char first[ITEST_PATH_MAX], second[ITEST_PATH_MAX];
    if (not_found) {
        snprintf(first, sizeof first, "/nonexistent-memwatch-dir/prog");
        snprintf(second, sizeof second, "memwatch-no-such-command-xyz");
    } else {
        itest_path(ctx, "noexec", first, sizeof first);
        int fd = open(first, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (!ITEST_CHECK(ctx, fd >= 0, "cannot create %s: %s", first, strerror(errno)))
            return 0;
        ITEST_CHECK(ctx, write(fd, "#!/bin/sh\nexit 0\n", 17) == 17, "cannot write %s", first);
        close(fd);
        snprintf(second, sizeof second, "%s", ctx->dir); /* a directory */
    }
    const char *cmds[] = {first, second};
    for (size_t i = 0; i < 2; i++) {
        struct itest_run r;
        itest_run_init(&r);
        itest_run_add(&r, "run");
        itest_run_add(&r, "-q");
        itest_run_add(&r, "--");
        itest_run_add(&r, "%s", cmds[i]);
        if (itest_run(ctx, &r) != 0)
            continue;
        ITEST_CHECK(ctx, r.exit_code == expected, "memwatch run -- %s exited %d, expected %d", cmds[i], r.exit_code,
                    expected);
        scen_expect_one_error_line(ctx, &r, cmds[i]);
    }
    return 0;
}

int scenario_exec_relabel(struct itest_ctx *ctx, const char *arg)
{
    bool agent = scen_has(arg, "agent");
    bool via_sh = scen_has(arg, "sh");
    struct itest_opts o = {.agent = agent, .interval_ms = 100};
    struct itest_run r;
    if (via_sh) {
        itest_run_prepare(ctx, &r, &o);
        itest_run_add(&r, "sh");
        itest_run_add(&r, "-c");
        itest_run_add(&r, "exec \"$0\" second 8 800");
        itest_run_add(&r, "%s/exec_self", ctx->wldir);
        if (itest_run(ctx, &r) != 0)
            return 0;
    } else if (itest_run_workload(ctx, &r, &o, "exec_self", "first", "8", "800", NULL) != 0) {
        return 0;
    }
    scen_expect_exit(ctx, &r, 0);
    itest_expect_silent(ctx, &r);
    struct itest_facts f;
    itest_facts_load(ctx, &f);
    const struct itest_fact *first = itest_facts_find(&f, "first", 0);
    const struct itest_fact *second = itest_facts_find(&f, "second", 0);
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){.exit_code = 0});
    if (ITEST_CHECK(ctx, second != NULL && (via_sh || first != NULL), "workload sanity: facts missing") && rep) {
        const cJSON *p = itest_json_process(ctx, rep, second->pid, "exec_self");
        char cmd[SCEN_CMD_MAX], path[ITEST_PATH_MAX];
        snprintf(path, sizeof path, "%s/exec_self", ctx->wldir);
        const char *mib2 = via_sh ? "8" : "16";
        snprintf(cmd, sizeof cmd, "%s second %s 800", path, mib2);
        scen_expect_command(ctx, p, cmd, "exec_self after exec");
        ITEST_CHECK(ctx, itest_json_num(rep, "process_count") == 1, "process_count %.0f, expected 1 (one pid)",
                    itest_json_num(rep, "process_count"));
        if (agent && p != NULL) {
            ITEST_CHECK(ctx, itest_json_array_size(p, "images") == 2, "exec_self: %d images, expected 2",
                        itest_json_array_size(p, "images"));
            const cJSON *images = cJSON_GetObjectItemCaseSensitive(p, "images");
            const cJSON *img0 = cJSON_GetArrayItem(images, 0), *img1 = cJSON_GetArrayItem(images, 1);
            if (via_sh) {
                itest_expect_argv(ctx, img0, (const char *[]){"sh", "-c", "exec \"$0\" second 8 800", path, NULL},
                                  "image 0 (sh)");
            } else {
                itest_expect_argv(ctx, img0, (const char *[]){path, "first", "8", "800", NULL}, "image 0");
                itest_expect_exact_image(ctx, img0, first, "image 0 (first)");
            }
            itest_expect_argv(ctx, img1, (const char *[]){path, "second", mib2, "800", NULL}, "image 1");
            itest_expect_exact_image(ctx, img1, second, "image 1 (second)");
            ITEST_CHECK(ctx, scen_kind_is(p, "exact"), "exec_self: process peak_kind '%s', expected exact",
                        itest_json_str(p, "peak_kind"));
        } else if (p != NULL) {
            scen_expect_sampled(ctx, p, second->hwm_kib, "exec_self (no agent)");
        }
    }
    cJSON_Delete(rep);
    itest_facts_free(&f);
    return 0;
}

/* A MiB column is kib / 1024 rounded to the decimals it shows. */
static bool scen_mib_matches(const char *mib_text, double kib)
{
    const char *dot = strchr(mib_text, '.');
    int decimals = dot ? (int)strspn(dot + 1, "0123456789") : 0;
    double half_unit = 0.5 * pow(10.0, -decimals) + 1e-9;
    return fabs(atof(mib_text) - kib / SCEN_MIB) <= half_unit;
}

/* Reads a CSV file: header line into *header (exact text), then every record. Returns rows or -1. */
static int scen_csv_load(struct itest_ctx *ctx, const char *path, char **text, struct itest_csv_row *rows,
                         int max_rows)
{
    *text = itest_read_file(path, SCEN_TEXT_MAX, NULL);
    if (!ITEST_CHECK(ctx, *text != NULL, "no CSV at %s", path))
        return -1;
    size_t pos = 0;
    int n = 0;
    for (;;) {
        struct itest_csv_row row;
        int rc = itest_csv_next(*text, &pos, &row);
        if (rc == 0)
            break;
        if (!ITEST_CHECK(ctx, rc == 1, "%s: not RFC 4180 near byte %zu", path, pos))
            return -1;
        if (!ITEST_CHECK(ctx, n < max_rows, "%s: more than %d records", path, max_rows)) {
            itest_csv_row_free(&row);
            return -1;
        }
        rows[n++] = row;
    }
    return n;
}

static void scen_check_process_csv(struct itest_ctx *ctx, const char *path, const cJSON *rep)
{
    static const char header[] =
        "pid,ppid,command,max_rss_kib,max_rss_mib,first_seen,last_seen,peak_kind,peak_time,end,exit_code,signal,"
        "bound_kib,filtered";
    struct itest_csv_row rows[8];
    char *text = NULL;
    int n = scen_csv_load(ctx, path, &text, rows, 8);
    if (n >= 1) {
        size_t hl = strcspn(text, "\r\n");
        ITEST_CHECK(ctx, hl == strlen(header) && strncmp(text, header, hl) == 0, "CSV header is '%.*s', expected '%s'",
                    (int)hl, text, header);
        ITEST_CHECK(ctx, n - 1 == (int)itest_json_num(rep, "process_count"), "CSV has %d rows, JSON %.0f processes",
                    n - 1, itest_json_num(rep, "process_count"));
    }
    const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "processes"), 0);
    const char *cmd = itest_json_str(p, "command");
    for (int i = 1; i < n; i++) {
        ITEST_CHECK(ctx, rows[i].n == 14, "CSV row %d has %zu fields, expected 14", i, rows[i].n);
        if (rows[i].n < 14)
            continue;
        ITEST_CHECK(ctx, rows[i].fields[13][0] == '\0', "CSV filtered '%s' without a filter", rows[i].fields[13]);
        ITEST_CHECK(ctx, cmd != NULL && strcmp(rows[i].fields[2], cmd) == 0,
                    "CSV command field '%s' differs from the JSON command '%s'", rows[i].fields[2], cmd ? cmd : "?");
        ITEST_CHECK(ctx, itest_is_utc_time(rows[i].fields[5]) && itest_is_utc_time(rows[i].fields[6]),
                    "CSV first_seen/last_seen '%s' '%s' are not UTC times ending in Z", rows[i].fields[5],
                    rows[i].fields[6]);
        double kib = atof(rows[i].fields[3]);
        ITEST_CHECK(ctx, kib == itest_json_num(p, "max_rss_kib") && scen_mib_matches(rows[i].fields[4], kib),
                    "CSV max_rss_kib/mib '%s'/'%s' disagree with JSON %.0f", rows[i].fields[3], rows[i].fields[4],
                    itest_json_num(p, "max_rss_kib"));
        /* RFC 4180: the field is quoted and the quote inside is doubled. */
        char want[SCEN_CMD_MAX];
        snprintf(want, sizeof want, ",\"%s/alloc_hold 4 600 a,b\"\"c\",", ctx->wldir);
        char raw[SCEN_CMD_MAX];
        snprintf(raw, sizeof raw, "%.*s", (int)rows[i].raw_len, rows[i].raw_start);
        ITEST_CHECK(ctx, strstr(raw, want) != NULL, "CSV row '%s' does not hold the quoted command %s", raw, want);
    }
    for (int i = 0; i < n; i++)
        itest_csv_row_free(&rows[i]);
    free(text);
}

#define SCEN_TIMELINE_ROWS_MAX 4096

static void scen_check_timeline_csv(struct itest_ctx *ctx, const char *path, const cJSON *rep)
{
    static const char header[] = "timestamp,elapsed_seconds,total_rss_kib,total_rss_mib,process_count";
    static struct itest_csv_row rows[SCEN_TIMELINE_ROWS_MAX];
    char *text = NULL;
    int n = scen_csv_load(ctx, path, &text, rows, SCEN_TIMELINE_ROWS_MAX);
    if (n >= 1) {
        size_t hl = strcspn(text, "\r\n");
        ITEST_CHECK(ctx, hl == strlen(header) && strncmp(text, header, hl) == 0,
                    "timeline header is '%.*s', expected '%s'", (int)hl, text, header);
        ITEST_CHECK(ctx, n - 1 == (int)itest_json_num(rep, "samples"), "timeline has %d rows, JSON says %.0f samples",
                    n - 1, itest_json_num(rep, "samples"));
        ITEST_CHECK(ctx, n - 1 >= 2, "timeline has %d rows for a 0.6 s job at 100 ms", n - 1);
    }
    double prev = -1, max_kib = 0;
    for (int i = 1; i < n; i++) {
        if (!ITEST_CHECK(ctx, rows[i].n == 5, "timeline row %d has %zu fields, expected 5", i, rows[i].n))
            continue;
        ITEST_CHECK(ctx, itest_is_utc_time(rows[i].fields[0]), "timeline timestamp '%s' is not a UTC time ending in Z",
                    rows[i].fields[0]);
        double el = atof(rows[i].fields[1]), kib = atof(rows[i].fields[2]);
        ITEST_CHECK(ctx, el >= prev, "timeline elapsed_seconds goes back: %s after %.3f", rows[i].fields[1], prev);
        ITEST_CHECK(ctx, scen_mib_matches(rows[i].fields[3], kib), "timeline total_rss_mib %s != %s KiB / 1024",
                    rows[i].fields[3], rows[i].fields[2]);
        prev = el;
        if (kib > max_kib)
            max_kib = kib;
    }
    if (n > 1)
        ITEST_CHECK(ctx, max_kib == itest_json_num(rep, "max_total_rss_kib"),
                    "timeline's highest total %.0f != JSON max_total_rss_kib %.0f", max_kib,
                    itest_json_num(rep, "max_total_rss_kib"));
    for (int i = 0; i < n; i++)
        itest_csv_row_free(&rows[i]);
    free(text);
}

int scenario_csv_timeline(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    char csv[ITEST_PATH_MAX], tl[ITEST_PATH_MAX];
    itest_path(ctx, "procs.csv", csv, sizeof csv);
    itest_path(ctx, "timeline.csv", tl, sizeof tl);
    const char *extra[] = {"--csv", csv, "--timeline", tl, NULL};
    struct itest_opts o = {.agent = true, .interval_ms = 100, .extra = extra};
    struct itest_run r;
    itest_run_prepare(ctx, &r, &o);
    itest_run_add(&r, "%s/alloc_hold", ctx->wldir);
    itest_run_add(&r, "4");
    itest_run_add(&r, "600");
    itest_run_add(&r, "a,b\"c");
    if (itest_run(ctx, &r) != 0)
        return 0;
    scen_expect_exit(ctx, &r, 0);
    itest_expect_silent(ctx, &r);
    struct itest_facts f;
    if (itest_facts_load(ctx, &f) == 0)
        itest_expect_no_leaked_fds(ctx, &f);
    itest_facts_free(&f);
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){.exit_code = 0});
    if (rep != NULL) {
        const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "processes"), 0);
        const char *cmd = itest_json_str(p, "command");
        ITEST_CHECK(ctx, cmd != NULL && strstr(cmd, " a,b\"c") != NULL, "JSON command '%s' lost the argument a,b\"c",
                    cmd ? cmd : "(none)");
        scen_check_process_csv(ctx, csv, rep);
        scen_check_timeline_csv(ctx, tl, rep);
    }
    cJSON_Delete(rep);
    return 0;
}

int scenario_filter(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    const char *extra[] = {"--include", "tree", "--exclude", "tree [12] ", NULL};
    struct itest_opts o = {.agent = true, .interval_ms = 100, .extra = extra};
    struct itest_run r;
    if (itest_run_workload(ctx, &r, &o, "tree", "2", "1024", "300", NULL) != 0)
        return 0;
    scen_expect_exit(ctx, &r, 0);
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){.exit_code = 0});
    if (rep != NULL) {
        const cJSON *filter = cJSON_GetObjectItemCaseSensitive(rep, "filter");
        const char *inc = itest_json_str(filter, "include"), *exc = itest_json_str(filter, "exclude");
        ITEST_CHECK(ctx, inc != NULL && strcmp(inc, "tree") == 0 && exc != NULL && strcmp(exc, "tree [12] ") == 0,
                    "filter.include/exclude are '%s'/'%s'", inc ? inc : "(null)", exc ? exc : "(null)");
        ITEST_CHECK(ctx, itest_json_num(filter, "hidden_processes") == 3, "filter.hidden_processes %.0f, expected 3",
                    itest_json_num(filter, "hidden_processes"));
        ITEST_CHECK(ctx, itest_json_num(filter, "hidden_peak_kib") > 0, "filter.hidden_peak_kib is not > 0");
        int listed = itest_json_array_size(rep, "processes");
        ITEST_CHECK(ctx, listed == 4, "%d processes listed, expected the 4 leaves", listed);
        /* Job-wide figures are never filtered. */
        ITEST_CHECK(ctx, itest_json_num(rep, "process_count") == 7, "process_count %.0f, expected 7 (whole job)",
                    itest_json_num(rep, "process_count"));
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(rep, "processes"))
        {
            const char *cmd = itest_json_str(p, "command");
            ITEST_CHECK(ctx, cmd != NULL && strstr(cmd, "/tree 0 ") != NULL, "listed process '%s' is not a leaf",
                        cmd ? cmd : "(none)");
        }
    }
    cJSON_Delete(rep);
    return 0;
}

int scenario_streams(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    /* Human summary: on stderr, never on the job's stdout. */
    struct itest_run r;
    itest_run_init(&r);
    itest_run_add(&r, "run");
    itest_run_add(&r, "--json=%s/report.json", ctx->dir);
    itest_run_add(&r, "--");
    itest_run_add(&r, "%s/alloc_hold", ctx->wldir);
    itest_run_add(&r, "4");
    itest_run_add(&r, "300");
    if (itest_run(ctx, &r) == 0) {
        scen_expect_exit(ctx, &r, 0);
        char *out = itest_read_file(r.out_path, SCEN_TEXT_MAX, NULL);
        char *err = itest_read_file(r.err_path, SCEN_TEXT_MAX, NULL);
        ITEST_CHECK(ctx, out != NULL && out[0] == '\0', "stdout not empty with --json=FILE: '%.200s'", out ? out : "?");
        ITEST_CHECK(ctx, err != NULL && strstr(err, "alloc_hold") != NULL,
                    "the human summary on stderr does not name alloc_hold: '%.300s'", err ? err : "?");
        free(out);
        free(err);
    }
    /* --json without a file: the report on stdout, nothing on stderr with -q. */
    itest_run_init(&r);
    itest_run_add(&r, "run");
    itest_run_add(&r, "-q");
    itest_run_add(&r, "--json");
    itest_run_add(&r, "--");
    itest_run_add(&r, "%s/alloc_hold", ctx->wldir);
    itest_run_add(&r, "4");
    itest_run_add(&r, "300");
    if (itest_run(ctx, &r) == 0) {
        scen_expect_exit(ctx, &r, 0);
        snprintf(r.json_path, sizeof r.json_path, "%s", r.out_path);
        cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){.exit_code = 0});
        cJSON_Delete(rep);
        char *err = itest_read_file(r.err_path, SCEN_TEXT_MAX, NULL);
        ITEST_CHECK(ctx, err != NULL && err[0] == '\0', "stderr not empty with -q: '%.200s'", err ? err : "?");
        free(err);
    }
    return 0;
}

/* ---- The command line, polished (issue 7, section 4) ---- */

#define SCEN_LISTEN_READY_MS 30000
#define SCEN_POLL_MS 20

/* Runs memwatch with args (the @ forms of scen_bad) and expects exit `code` with one error line holding
 * `needle`; the job (touch_marker) must never start and no output may be left. */
static void scen_refused_saying(struct itest_ctx *ctx, const char *const *args, int code, const char *needle)
{
    struct itest_run r;
    itest_run_init(&r);
    for (size_t i = 0; args[i] != NULL; i++) {
        if (strcmp(args[i], "@OK_JSON") == 0)
            itest_run_add(&r, "--json=%s/ok.json", ctx->dir);
        else if (strcmp(args[i], "@MARKER") == 0)
            itest_run_add(&r, "%s/touch_marker", ctx->wldir);
        else if (strcmp(args[i], "@MARKER_ARG") == 0)
            itest_run_add(&r, "%s/marker", ctx->dir);
        else
            itest_run_add(&r, "%s", args[i]);
    }
    if (itest_run(ctx, &r) != 0)
        return;
    ITEST_CHECK(ctx, r.exit_code == code, "%s: memwatch exited %d, expected %d", needle, r.exit_code, code);
    scen_expect_one_error_line(ctx, &r, needle);
    char *err = itest_read_file(r.err_path, SCEN_TEXT_MAX, NULL);
    ITEST_CHECK(ctx, err != NULL && strstr(err, needle) != NULL, "stderr '%s' does not say \"%s\"",
                err ? err : "?", needle);
    free(err);
    char path[ITEST_PATH_MAX];
    ITEST_CHECK(ctx, !itest_exists(itest_path(ctx, "marker", path, sizeof path)), "%s: the job was started", needle);
    scen_expect_no_leftovers(ctx);
}

int scenario_cli_refusals(struct itest_ctx *ctx, const char *arg)
{
    if (strcmp(arg, "interval") == 0) {
        scen_refused_saying(ctx, (const char *[]){"run", "-i", "2h", "@OK_JSON", "--", "@MARKER", "@MARKER_ARG", NULL},
                            125, "--interval: '2h' is above the 1h maximum");
        scen_refused_saying(ctx, (const char *[]){"run", "-i", "0", "@OK_JSON", "--", "@MARKER", "@MARKER_ARG", NULL},
                            125, "--interval: '0' must be positive");
    } else if (strcmp(arg, "wrong_subcommand") == 0) {
        scen_refused_saying(ctx, (const char *[]){"run", "--socket", "s", "@OK_JSON", "--", "@MARKER", "@MARKER_ARG",
                                                  NULL},
                            125, "--socket belongs to 'memwatch listen'");
        scen_refused_saying(ctx, (const char *[]){"run", "--until-idle", "@OK_JSON", "--", "@MARKER", "@MARKER_ARG",
                                                  NULL},
                            125, "--until-idle belongs to 'memwatch listen'");
        scen_refused_saying(ctx, (const char *[]){"--version", "foo", NULL}, 125, "--version takes no arguments ('foo')");
    } else if (strcmp(arg, "empty_command") == 0) {
        scen_refused_saying(ctx, (const char *[]){"run", "@OK_JSON", "--", "", NULL}, 127, "'': command not found");
    } else if (strcmp(arg, "json_hint") == 0) {
        /* Without the hint, memwatch would try to run "out.json" and fail with 127 after the fact. */
        scen_refused_saying(ctx, (const char *[]){"run", "--json", "out.json", "@MARKER", "@MARKER_ARG", NULL}, 125,
                            "(options take files as --json=FILE)");
        scen_refused_saying(ctx, (const char *[]){"run", "--json", "--csv", "-", "--", "@MARKER", "@MARKER_ARG", NULL},
                            125, "--json and --csv - both write to standard output");
    } else if (strcmp(arg, "agent_missing") == 0) {
        /* Named by the user and absent: a mistake to report (125), not a quiet fall back to polling. */
        setenv("MEMWATCH_AGENT", "/nonexistent/libmemwatch_agent.so", 1);
        scen_refused_saying(ctx, (const char *[]){"run", "@OK_JSON", "--", "@MARKER", "@MARKER_ARG", NULL}, 125,
                            "MEMWATCH_AGENT '/nonexistent/libmemwatch_agent.so' cannot be used");
        unsetenv("MEMWATCH_AGENT");
    }
    return 0;
}

/* --csv - writes the CSV on standard output; -q keeps stderr empty. */
int scenario_csv_stdout(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    struct itest_run r;
    itest_run_init(&r);
    itest_run_add(&r, "run");
    itest_run_add(&r, "-q");
    itest_run_add(&r, "--csv");
    itest_run_add(&r, "-");
    itest_run_add(&r, "--");
    itest_run_add(&r, "%s/alloc_hold", ctx->wldir);
    itest_run_add(&r, "4");
    itest_run_add(&r, "300");
    if (itest_run(ctx, &r) != 0)
        return 0;
    scen_expect_exit(ctx, &r, 0);
    struct itest_csv_row rows[4];
    char *text = NULL;
    int n = scen_csv_load(ctx, r.out_path, &text, rows, 4);
    ITEST_CHECK(ctx, n == 2, "stdout holds %d CSV records, expected a header and one row", n);
    ITEST_CHECK(ctx, text != NULL && strncmp(text, "pid,ppid,command,", 17) == 0, "stdout does not start with the "
                "CSV header: '%.100s'", text ? text : "?");
    if (n == 2)
        ITEST_CHECK(ctx, strstr(rows[1].fields[2], "/alloc_hold 4 300") != NULL, "CSV row command '%s'",
                    rows[1].fields[2]);
    for (int i = 0; i < n; i++)
        itest_csv_row_free(&rows[i]);
    free(text);
    char *err = itest_read_file(r.err_path, SCEN_TEXT_MAX, NULL);
    ITEST_CHECK(ctx, err != NULL && err[0] == '\0', "stderr not empty with -q: '%.200s'", err ? err : "?");
    free(err);
    char dash[ITEST_PATH_MAX];
    ITEST_CHECK(ctx, !itest_exists(itest_path(ctx, "-", dash, sizeof dash)), "--csv - created a file named '-'");
    return 0;
}

/* A filter's mark in the CSV is its last column, the count it hid, on every row: still plain CSV. */
int scenario_csv_filtered(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    char csv[ITEST_PATH_MAX];
    itest_path(ctx, "procs.csv", csv, sizeof csv);
    const char *extra[] = {"--include", "tree", "--exclude", "tree [12] ", "--csv", csv, NULL};
    struct itest_opts o = {.agent = true, .interval_ms = 100, .extra = extra};
    struct itest_run r;
    if (itest_run_workload(ctx, &r, &o, "tree", "2", "1024", "300", NULL) != 0)
        return 0;
    scen_expect_exit(ctx, &r, 0);
    struct itest_csv_row rows[8];
    char *text = NULL;
    int n = scen_csv_load(ctx, csv, &text, rows, 8);
    ITEST_CHECK(ctx, n == 5, "%d CSV records, expected a header and the 4 leaves", n);
    for (int i = 0; i < n; i++) {
        const char *last = rows[i].n == 14 ? rows[i].fields[13] : "(no 14th field)";
        const char *want = i == 0 ? "filtered" : "3";
        ITEST_CHECK(ctx, strcmp(last, want) == 0, "CSV record %d: last field '%s', expected '%s'", i, last, want);
        itest_csv_row_free(&rows[i]);
    }
    free(text);
    return 0;
}

/* series.max_kib: null where no sample fell in a bucket (samples 300 ms apart in 100 ms buckets), never 0. */
int scenario_series_null(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    struct itest_opts o = {.agent = true, .interval_ms = 300};
    struct itest_run r;
    if (itest_run_workload(ctx, &r, &o, "alloc_hold", "8", "1500", NULL) != 0)
        return 0;
    scen_expect_exit(ctx, &r, 0);
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){.exit_code = 0});
    const cJSON *p = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(rep, "processes"), 0);
    const cJSON *max = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "series"), "max_kib");
    int nulls = 0, numbers = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, max)
    {
        nulls += cJSON_IsNull(v);
        numbers += cJSON_IsNumber(v);
        ITEST_CHECK(ctx, cJSON_IsNull(v) || (cJSON_IsNumber(v) && v->valuedouble > 0),
                    "series.max_kib holds something other than null or a positive size");
    }
    ITEST_CHECK(ctx, numbers >= 3 && nulls >= 2, "series.max_kib: %d sizes and %d nulls, expected >= 3 and >= 2",
                numbers, nulls);
    cJSON_Delete(rep);
    return 0;
}

/* Polls a growing file until it holds needle. */
static char *scen_wait_text(struct itest_ctx *ctx, const char *path, const char *needle, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += SCEN_POLL_MS) {
        char *text = itest_read_file(path, SCEN_TEXT_MAX, NULL);
        if (text != NULL && strstr(text, needle) != NULL)
            return text;
        free(text);
        usleep(SCEN_POLL_MS * 1000);
    }
    ITEST_CHECK(ctx, false, "%s never said '%s'", path, needle);
    return NULL;
}

/* The lines of memwatch listen's advice that start with two spaces, in order, as one shell script. */
static void scen_advice_lines(const char *err, const char *start, const char *stop, char *buf, size_t len)
{
    const char *from = strstr(err, start);
    const char *to = from ? strstr(from, stop) : NULL;
    buf[0] = '\0';
    if (from == NULL || to == NULL)
        return;
    from = strchr(from, '\n');
    snprintf(buf, len, "%.*s", from ? (int)(to - from) : 0, from ? from : "");
}

/* Runs sh -c script in the test directory, without the harness's LD_PRELOAD; its exit status or -1. */
static int scen_run_sh(struct itest_ctx *ctx, const char *script)
{
    pid_t pid = fork();
    if (pid == 0) {
        if (chdir(ctx->dir) != 0)
            _exit(126);
        unsetenv("LD_PRELOAD");
        execl("/bin/sh", "sh", "-c", script, (char *)NULL);
        _exit(127);
    }
    int status = 0;
    if (pid < 0 || itest_wait_pid(ctx, pid, ITEST_DEFAULT_TIMEOUT_MS, &status) != 0)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void scen_expect_file(struct itest_ctx *ctx, const char *name, const char *expected)
{
    char path[ITEST_PATH_MAX];
    char *text = itest_read_file(itest_path(ctx, name, path, sizeof path), SCEN_TEXT_MAX, NULL);
    ITEST_CHECK(ctx, text != NULL && strcmp(text, expected) == 0, "%s holds '%s', expected '%s'", name,
                text ? text : "(nothing)", expected);
    free(text);
}

/* The listener's reports have no job (no exit status, no command), and its undo lines restore the shell:
 * nothing of memwatch left, and a LD_PRELOAD the user had kept as it was. */
static void scen_listen_check(struct itest_ctx *ctx, const struct itest_run *r, const char *json_path)
{
    char *err = itest_read_file(r->err_path, SCEN_TEXT_MAX, NULL);
    ITEST_CHECK(ctx, err != NULL && strstr(err, "Exit status") == NULL, "listen summary has an Exit status line");
    ITEST_CHECK(ctx, err != NULL && strstr(err, "alloc_hold") != NULL, "listen summary does not list alloc_hold");
    free(err);
    cJSON *rep = itest_json_load(ctx, json_path);
    ITEST_CHECK(ctx, rep != NULL && cJSON_GetObjectItemCaseSensitive(rep, "command") == NULL &&
                         cJSON_GetObjectItemCaseSensitive(rep, "exit_code") == NULL,
                "listen JSON has a command or an exit_code");
    ITEST_CHECK(ctx, itest_json_array_size(rep, "processes") >= 1, "listen JSON lists no process");
    cJSON_Delete(rep);
    scen_expect_file(ctx, "after_none", "unset|unset|unset\n");
    scen_expect_file(ctx, "after_user", "unset|unset|libc.so.6\n");
}

int scenario_listen_no_job(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    char json[ITEST_PATH_MAX];
    itest_path(ctx, "listen.json", json, sizeof json);
    struct itest_run r;
    itest_run_init(&r);
    itest_run_add(&r, "listen");
    itest_run_add(&r, "--until-idle");
    itest_run_add(&r, "--color=never");
    itest_run_add(&r, "--json=%s", json);
    if (itest_run_start(ctx, &r) != 0)
        return 0;
    char *advice = scen_wait_text(ctx, r.err_path, "memwatch: stop with", SCEN_LISTEN_READY_MS);
    static char exports[SCEN_CMD_MAX], undo[SCEN_CMD_MAX], script[6 * SCEN_CMD_MAX];
    scen_advice_lines(advice ? advice : "", "run:\n", "memwatch: afterwards", exports, sizeof exports);
    scen_advice_lines(advice ? advice : "", "undo them with:\n", "memwatch: stop", undo, sizeof undo);
    free(advice);
    ITEST_CHECK(ctx, strstr(undo, "unset MEMWATCH_SOCKET MEMWATCH_AGENT_PATH") != NULL, "no unset line: '%s'", undo);
    const char *show = "printf '%s|%s|%s\\n' \"${MEMWATCH_SOCKET-unset}\" \"${MEMWATCH_AGENT_PATH-unset}\" "
                       "\"${LD_PRELOAD-unset}\"";
    snprintf(script, sizeof script,
             "unset LD_PRELOAD\n%s\n%s/alloc_hold 4 200\n%s\n%s >after_none\n"
             "LD_PRELOAD=libc.so.6; export LD_PRELOAD\n%s\n%s\n%s >after_user\n",
             exports, ctx->wldir, undo, show, exports, undo, show);
    ITEST_CHECK(ctx, scen_run_sh(ctx, script) == 0, "the job script failed:\n%s", script);
    if (itest_run_wait(ctx, &r) != 0)
        return 0;
    scen_expect_exit(ctx, &r, 0);
    scen_listen_check(ctx, &r, json);
    return 0;
}
