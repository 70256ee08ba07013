/* Reading memwatch's JSON report and checking it: the schema's invariants for every report, and the
 * comparisons of a reported peak with what a workload measured of itself. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#define ITEST_JSON_MAX_BYTES (512u * 1024u * 1024u)
/* The kernel's approximate counters (ITEST_KERNEL_SLACK_KIB) make the agent's later reading differ a
 * little either way from the workload's own; the exit path (atexit, the agent) may add a few pages. */
#define ITEST_EXACT_SLACK_BELOW_KIB ITEST_KERNEL_SLACK_KIB
#define ITEST_EXACT_SLACK_ABOVE_MIN_KIB ITEST_KERNEL_SLACK_KIB
#define ITEST_EXACT_SLACK_ABOVE_DIVISOR 50 /* 2% */
#define ITEST_LABEL_MAX 8192

double itest_json_num(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(it) ? it->valuedouble : NAN;
}

const char *itest_json_str(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(it) ? it->valuestring : NULL;
}

bool itest_json_is_null(const cJSON *obj, const char *key)
{
    return cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(obj, key));
}

int itest_json_array_size(const cJSON *obj, const char *key)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsArray(it) ? cJSON_GetArraySize(it) : -1;
}

bool itest_is_utc_time(const char *s)
{
    if (s == NULL)
        return false;
    int y, mo, d, h, mi, sec, consumed = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &consumed) != 6 || consumed != 19)
        return false;
    const char *p = s + consumed;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    return p[0] == 'Z' && p[1] == '\0';
}

const char *itest_json_join_argv(const cJSON *argv, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    const cJSON *a;
    cJSON_ArrayForEach(a, argv)
    {
        if (!cJSON_IsString(a))
            continue;
        int n = snprintf(buf + used, len - used, "%s%s", used ? " " : "", a->valuestring);
        if (n < 0 || (size_t)n >= len - used)
            break;
        used += (size_t)n;
    }
    return buf;
}

cJSON *itest_json_load(struct itest_ctx *ctx, const char *path)
{
    size_t len = 0;
    char *text = itest_read_file(path, ITEST_JSON_MAX_BYTES, &len);
    if (!ITEST_CHECK(ctx, text != NULL, "no JSON report at %s", path))
        return NULL;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    ITEST_CHECK(ctx, doc != NULL, "%s is not valid JSON (%zu bytes; error near '%.40s')", path, len,
                cJSON_GetErrorPtr() ? cJSON_GetErrorPtr() : "?");
    free(text);
    return doc;
}

static bool itest_kind_valid(const char *k)
{
    return k != NULL && (strcmp(k, "exact") == 0 || strcmp(k, "sampled") == 0 || strcmp(k, "bound") == 0 ||
                         strcmp(k, "none") == 0);
}

static void itest_check_time_field(struct itest_ctx *ctx, const cJSON *obj, const char *key, bool nullable,
                                   const char *what)
{
    if (nullable && itest_json_is_null(obj, key))
        return;
    const char *t = itest_json_str(obj, key);
    ITEST_CHECK(ctx, itest_is_utc_time(t), "%s: %s is '%s', not an RFC 3339 UTC time ending in Z", what, key,
                t ? t : "(missing or not a string)");
}

static void itest_check_image(struct itest_ctx *ctx, const cJSON *img, bool last, const char *what)
{
    const cJSON *argv = cJSON_GetObjectItemCaseSensitive(img, "argv");
    ITEST_CHECK(ctx, cJSON_IsArray(argv) && cJSON_GetArraySize(argv) > 0,
                "%s: image argv is not a non-empty array", what);
    ITEST_CHECK(ctx, itest_kind_valid(itest_json_str(img, "peak_kind")), "%s: image peak_kind invalid", what);
    ITEST_CHECK(ctx, !isnan(itest_json_num(img, "peak_kib")), "%s: image peak_kib is not a number", what);
    itest_check_time_field(ctx, img, "start", false, what);
    itest_check_time_field(ctx, img, "end", true, what);
    /* An exact figure is the agent's, for that very image. */
    const char *kind = itest_json_str(img, "peak_kind");
    ITEST_CHECK(ctx, !(kind && strcmp(kind, "exact") == 0) || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(img, "agent")),
                "%s: an image the agent never entered claims an exact peak", what);
    if (!last)
        ITEST_CHECK(ctx, itest_json_str(img, "end") != NULL, "%s: an image followed by another has no end", what);
}

static void itest_check_end(struct itest_ctx *ctx, const cJSON *p, const char *what)
{
    const char *end = itest_json_str(p, "end");
    bool valid = end != NULL && (strcmp(end, "exited") == 0 || strcmp(end, "signaled") == 0 ||
                                 strcmp(end, "gone") == 0 || strcmp(end, "running") == 0);
    if (!ITEST_CHECK(ctx, valid, "%s: end '%s' is not exited/signaled/gone/running", what, end ? end : "(none)"))
        return;
    if (strcmp(end, "exited") == 0) {
        ITEST_CHECK(ctx, !isnan(itest_json_num(p, "exit_code")) && itest_json_is_null(p, "signal"),
                    "%s: exited but exit_code/signal are not number/null", what);
    } else if (strcmp(end, "signaled") == 0) {
        ITEST_CHECK(ctx, !isnan(itest_json_num(p, "signal")) && itest_json_is_null(p, "exit_code"),
                    "%s: signaled but signal/exit_code are not number/null", what);
    }
}

/* Invariants of one listed process; returns whether it is the root. */
static bool itest_check_process(struct itest_ctx *ctx, const cJSON *p, int index)
{
    char what[96];
    snprintf(what, sizeof what, "processes[%d] (pid %.0f)", index, itest_json_num(p, "pid"));
    ITEST_CHECK(ctx, itest_json_num(p, "pid") > 0, "%s: pid is not a positive number", what);
    ITEST_CHECK(ctx, itest_json_num(p, "ppid") >= 0, "%s: ppid is not a number >= 0", what);
    const char *command = itest_json_str(p, "command");
    ITEST_CHECK(ctx, command != NULL, "%s: command is not a string", what);
    double peak = itest_json_num(p, "max_rss_kib");
    ITEST_CHECK(ctx, peak >= 0, "%s: max_rss_kib is not a number >= 0", what);
    itest_check_time_field(ctx, p, "first_seen", false, what);
    itest_check_time_field(ctx, p, "last_seen", false, what);
    const char *first = itest_json_str(p, "first_seen"), *last = itest_json_str(p, "last_seen");
    if (first && last)
        ITEST_CHECK(ctx, strcmp(first, last) <= 0, "%s: first_seen %s after last_seen %s", what, first, last);
    const char *kind = itest_json_str(p, "peak_kind");
    ITEST_CHECK(ctx, itest_kind_valid(kind), "%s: peak_kind '%s' invalid", what, kind ? kind : "(none)");
    itest_check_time_field(ctx, p, "peak_time", true, what);
    double bound = itest_json_num(p, "bound_kib");
    ITEST_CHECK(ctx, !isnan(bound) || itest_json_is_null(p, "bound_kib"), "%s: bound_kib neither number nor null",
                what);
    /* An upper bound below a figure the process really reached is no bound. */
    if (!isnan(bound) && peak >= 0)
        ITEST_CHECK(ctx, bound + ITEST_KERNEL_SLACK_KIB >= peak, "%s: bound_kib %.0f < max_rss_kib %.0f (%s)",
                    what, bound, peak, kind ? kind : "?");
    itest_check_end(ctx, p, what);
    const cJSON *root = cJSON_GetObjectItemCaseSensitive(p, "root");
    ITEST_CHECK(ctx, cJSON_IsBool(root), "%s: root is not a boolean", what);
    ITEST_CHECK(ctx, cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(p, "forked")), "%s: forked is not a boolean",
                what);

    const cJSON *images = cJSON_GetObjectItemCaseSensitive(p, "images");
    if (ITEST_CHECK(ctx, cJSON_IsArray(images), "%s: images is not an array", what)) {
        int n = cJSON_GetArraySize(images);
        for (int i = 0; i < n; i++)
            itest_check_image(ctx, cJSON_GetArrayItem(images, i), i == n - 1, what);
        const cJSON *cur = n > 0 ? cJSON_GetArrayItem(images, n - 1) : NULL;
        const cJSON *trunc = cur ? cJSON_GetObjectItemCaseSensitive(cur, "argv_truncated") : NULL;
        if (cur != NULL && command != NULL && !cJSON_IsTrue(trunc)) {
            char joined[ITEST_LABEL_MAX];
            itest_json_join_argv(cJSON_GetObjectItemCaseSensitive(cur, "argv"), joined, sizeof joined);
            ITEST_CHECK(ctx, strcmp(joined, command) == 0,
                        "%s: command '%s' is not the current image's argv '%s'", what, command, joined);
        }
    }
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(p, "series");
    ITEST_CHECK(ctx, cJSON_IsObject(series) && cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(series, "max_kib")),
                "%s: series.max_kib is not an array", what);
    return cJSON_IsTrue(root);
}

static void itest_check_total_peak(struct itest_ctx *ctx, const cJSON *rep)
{
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(rep, "total_peak");
    if (!ITEST_CHECK(ctx, cJSON_IsObject(tp), "total_peak is not an object"))
        return;
    double sampled = itest_json_num(tp, "sampled_kib");
    ITEST_CHECK(ctx, sampled >= 0, "total_peak.sampled_kib is not a number >= 0");
    ITEST_CHECK(ctx, itest_json_num(rep, "max_total_rss_kib") == sampled,
                "max_total_rss_kib %.0f != total_peak.sampled_kib %.0f", itest_json_num(rep, "max_total_rss_kib"),
                sampled);
    double upper = itest_json_num(tp, "upper_bound_kib");
    const cJSON *proven = cJSON_GetObjectItemCaseSensitive(tp, "upper_bound_proven");
    ITEST_CHECK(ctx, cJSON_IsBool(proven), "total_peak.upper_bound_proven is not a boolean");
    ITEST_CHECK(ctx, !isnan(itest_json_num(tp, "processes_without_bound")),
                "total_peak.processes_without_bound is not a number");
    if (cJSON_IsTrue(proven)) {
        ITEST_CHECK(ctx, !isnan(upper), "upper_bound_proven but upper_bound_kib is not a number");
        ITEST_CHECK(ctx, isnan(upper) || sampled <= upper,
                    "total_peak.sampled_kib %.0f > proven upper_bound_kib %.0f", sampled, upper);
        ITEST_CHECK(ctx, itest_json_num(tp, "processes_without_bound") == 0,
                    "upper_bound_proven with processes_without_bound %.0f",
                    itest_json_num(tp, "processes_without_bound"));
    }
}

static void itest_check_header(struct itest_ctx *ctx, const cJSON *rep, const struct itest_run *r,
                               const struct itest_expect *e)
{
    ITEST_CHECK(ctx, itest_json_num(rep, "schema_version") == 1, "schema_version is not 1");
    ITEST_CHECK(ctx, itest_json_str(rep, "memwatch_version") != NULL, "memwatch_version is not a string");
    ITEST_CHECK(ctx, itest_json_array_size(rep, "command") > 0, "command is not a non-empty array");
    itest_check_time_field(ctx, rep, "start_time", false, "report");
    itest_check_time_field(ctx, rep, "end_time", false, "report");
    itest_check_time_field(ctx, rep, "max_total_rss_time", true, "report");
    const char *st = itest_json_str(rep, "start_time"), *et = itest_json_str(rep, "end_time");
    if (st && et)
        ITEST_CHECK(ctx, strcmp(st, et) <= 0, "start_time %s after end_time %s", st, et);
    ITEST_CHECK(ctx, itest_json_num(rep, "duration_seconds") >= 0, "duration_seconds is not a number >= 0");
    ITEST_CHECK(ctx, itest_json_num(rep, "interval_ms") == r->interval_ms, "interval_ms %.0f, expected %d",
                itest_json_num(rep, "interval_ms"), r->interval_ms);
    ITEST_CHECK(ctx, itest_json_num(rep, "samples") >= 0, "samples is not a number >= 0");
    ITEST_CHECK(ctx, itest_json_num(rep, "exit_code") == e->exit_code, "JSON exit_code %.0f, expected %d",
                itest_json_num(rep, "exit_code"), e->exit_code);
    const cJSON *agent = cJSON_GetObjectItemCaseSensitive(rep, "agent");
    ITEST_CHECK(ctx, cJSON_IsBool(agent) && cJSON_IsTrue(agent) == r->agent, "agent is not %s",
                r->agent ? "true" : "false");
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(rep, "host");
    ITEST_CHECK(ctx,
                itest_json_str(host, "hostname") != NULL && itest_json_str(host, "kernel") != NULL &&
                    itest_json_num(host, "mem_total_kib") > 0,
                "host is not {hostname, kernel, mem_total_kib > 0}");
    /* A dropped message may hide a process: then the total's bound may not be called proven. */
    double unverified = itest_json_num(rep, "dropped_foreign");
    const cJSON *tp = cJSON_GetObjectItemCaseSensitive(rep, "total_peak");
    ITEST_CHECK(ctx, unverified == 0 || !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tp, "upper_bound_proven")),
                "%.0f messages dropped, yet the upper bound is called proven", unverified);
    /* Reports of a sender reaped before memwatch could tie it to the job (by a parent without the agent, or
     * glibc's own wait inside system()) may be dropped on a loaded machine: counted, and the bound then
     * unproven (above). Nothing else may be dropped: no malformed message, none for no process. */
    ITEST_CHECK(ctx, itest_json_num(rep, "dropped_messages") == unverified,
                "dropped_messages is %.0f, of which only %.0f from senders that could not be tied to the job",
                itest_json_num(rep, "dropped_messages"), unverified);
    if (unverified > 0)
        itest_note(ctx, "%.0f reports of gone senders could not be tied to the job", unverified);
}

/* One entry per process: two entries of one pid must be two processes, one after the other (a reused pid),
 * never two lifetimes that overlap. Sorted by pid, then first sighting: each entry against the next. */
struct itest_lifetime {
    double pid;
    const char *first, *last;
};

static int itest_lifetime_cmp(const void *x, const void *y)
{
    const struct itest_lifetime *a = x, *b = y;
    if (a->pid != b->pid)
        return a->pid < b->pid ? -1 : 1;
    return strcmp(a->first ? a->first : "", b->first ? b->first : "");
}

static void itest_check_one_entry_each(struct itest_ctx *ctx, const cJSON *procs)
{
    size_t n = (size_t)cJSON_GetArraySize(procs), i = 0;
    struct itest_lifetime *lt = calloc(n ? n : 1, sizeof *lt);
    if (!lt)
        return;
    const cJSON *p;
    cJSON_ArrayForEach(p, procs)
    {
        lt[i++] = (struct itest_lifetime){itest_json_num(p, "pid"), itest_json_str(p, "first_seen"),
                                          itest_json_str(p, "last_seen")};
    }
    qsort(lt, n, sizeof *lt, itest_lifetime_cmp);
    for (i = 0; i + 1 < n; i++) {
        if (lt[i].pid != lt[i + 1].pid)
            continue;
        bool apart = lt[i].last && lt[i + 1].first && strcmp(lt[i].last, lt[i + 1].first) <= 0;
        ITEST_CHECK(ctx, apart, "pid %.0f is listed twice with overlapping lifetimes", lt[i].pid);
    }
    free(lt);
}

static void itest_check_processes(struct itest_ctx *ctx, const cJSON *rep, const struct itest_run *r)
{
    const cJSON *procs = cJSON_GetObjectItemCaseSensitive(rep, "processes");
    if (!ITEST_CHECK(ctx, cJSON_IsArray(procs), "processes is not an array"))
        return;
    bool filtered = !itest_json_is_null(rep, "filter");
    int n = cJSON_GetArraySize(procs), roots = 0, exact = 0;
    double prev_peak = INFINITY;
    for (int i = 0; i < n; i++) {
        const cJSON *p = cJSON_GetArrayItem(procs, i);
        if (itest_check_process(ctx, p, i)) {
            roots++;
            ITEST_CHECK(ctx, itest_json_num(p, "ppid") == r->pid,
                        "root process's ppid %.0f is not memwatch's pid %d", itest_json_num(p, "ppid"), (int)r->pid);
        }
        const char *kind = itest_json_str(p, "peak_kind");
        exact += kind != NULL && strcmp(kind, "exact") == 0;
        double peak = itest_json_num(p, "max_rss_kib");
        ITEST_CHECK(ctx, peak <= prev_peak, "processes not sorted largest peak first at index %d", i);
        prev_peak = peak;
    }
    if (filtered)
        return;
    itest_check_one_entry_each(ctx, procs);
    ITEST_CHECK(ctx, roots == 1, "%d processes marked root, expected 1", roots);
    ITEST_CHECK(ctx, itest_json_num(rep, "process_count") == n, "process_count %.0f but %d processes listed",
                itest_json_num(rep, "process_count"), n);
    ITEST_CHECK(ctx, itest_json_num(rep, "exact_peak_count") == exact,
                "exact_peak_count %.0f but %d exact listed", itest_json_num(rep, "exact_peak_count"), exact);
}

cJSON *itest_report(struct itest_ctx *ctx, const struct itest_run *r, const struct itest_expect *e)
{
    cJSON *rep = itest_json_load(ctx, r->json_path);
    if (rep == NULL)
        return NULL;
    itest_check_header(ctx, rep, r, e);
    itest_check_total_peak(ctx, rep);
    itest_check_processes(ctx, rep, r);
    return rep;
}

const cJSON *itest_json_process(struct itest_ctx *ctx, const cJSON *report, pid_t pid, const char *what)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(report, "processes"))
    {
        if (itest_json_num(p, "pid") == pid)
            return p;
    }
    ITEST_CHECK(ctx, false, "%s (pid %d) is not in the report", what, (int)pid);
    return NULL;
}

static const char *itest_basename(const char *path)
{
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

const cJSON *itest_json_image(const cJSON *proc, const char *prog, const char *arg)
{
    const cJSON *found = NULL, *img;
    cJSON_ArrayForEach(img, cJSON_GetObjectItemCaseSensitive(proc, "images"))
    {
        const cJSON *argv = cJSON_GetObjectItemCaseSensitive(img, "argv");
        const cJSON *a0 = cJSON_GetArrayItem(argv, 0);
        if (!cJSON_IsString(a0) || strcmp(itest_basename(a0->valuestring), prog) != 0)
            continue;
        bool has_arg = arg == NULL;
        const cJSON *a;
        cJSON_ArrayForEach(a, argv) has_arg = has_arg || (cJSON_IsString(a) && strcmp(a->valuestring, arg) == 0);
        if (has_arg)
            found = img;
    }
    return found;
}

void itest_expect_exact_image(struct itest_ctx *ctx, const cJSON *image, const struct itest_fact *fact,
                              const char *what)
{
    if (!ITEST_CHECK(ctx, image != NULL, "%s: no such image in the report", what))
        return;
    const char *kind = itest_json_str(image, "peak_kind");
    ITEST_CHECK(ctx, kind != NULL && strcmp(kind, "exact") == 0, "%s: image peak_kind '%s', expected exact", what,
                kind ? kind : "(none)");
    double peak = itest_json_num(image, "peak_kib");
    double lo = (double)fact->hwm_kib - ITEST_EXACT_SLACK_BELOW_KIB;
    double slack = (double)fact->hwm_kib / ITEST_EXACT_SLACK_ABOVE_DIVISOR;
    if (slack < ITEST_EXACT_SLACK_ABOVE_MIN_KIB)
        slack = ITEST_EXACT_SLACK_ABOVE_MIN_KIB;
    double hi = (double)fact->hwm_kib + slack;
    ITEST_CHECK(ctx, peak >= lo && peak <= hi,
                "%s: image peak_kib %.0f, the workload measured VmHWM %llu (accepted %.0f..%.0f)", what, peak,
                (unsigned long long)fact->hwm_kib, lo, hi);
}

const cJSON *itest_expect_exact_fact(struct itest_ctx *ctx, const cJSON *report, const struct itest_fact *fact,
                                     const char *prog)
{
    char what[128];
    snprintf(what, sizeof what, "%s '%s' (pid %d)", prog, fact->role, (int)fact->pid);
    const cJSON *proc = itest_json_process(ctx, report, fact->pid, what);
    if (proc == NULL)
        return NULL;
    const cJSON *img = itest_json_image(proc, prog, fact->role);
    if (img == NULL)
        img = itest_json_image(proc, prog, NULL);
    itest_expect_exact_image(ctx, img, fact, what);
    const char *kind = itest_json_str(proc, "peak_kind");
    ITEST_CHECK(ctx, kind != NULL && strcmp(kind, "exact") == 0, "%s: process peak_kind '%s', expected exact", what,
                kind ? kind : "(none)");
    if (img != NULL)
        ITEST_CHECK(ctx, itest_json_num(proc, "max_rss_kib") >= itest_json_num(img, "peak_kib"),
                    "%s: process max_rss_kib %.0f below its image's peak %.0f", what,
                    itest_json_num(proc, "max_rss_kib"), itest_json_num(img, "peak_kib"));
    return proc;
}

void itest_expect_argv(struct itest_ctx *ctx, const cJSON *image, const char *const *argv, const char *what)
{
    if (!ITEST_CHECK(ctx, image != NULL, "%s: no image", what))
        return;
    const cJSON *jargv = cJSON_GetObjectItemCaseSensitive(image, "argv");
    int n = 0;
    while (argv[n] != NULL)
        n++;
    char got[ITEST_LABEL_MAX];
    itest_json_join_argv(jargv, got, sizeof got);
    bool same = cJSON_GetArraySize(jargv) == n;
    for (int i = 0; same && i < n; i++) {
        const cJSON *a = cJSON_GetArrayItem(jargv, i);
        same = cJSON_IsString(a) && strcmp(a->valuestring, argv[i]) == 0;
    }
    ITEST_CHECK(ctx, same, "%s: image argv is '%s' (%d args), expected %d args starting '%s'", what, got,
                cJSON_GetArraySize(jargv), n, argv[0]);
}

void itest_expect_end(struct itest_ctx *ctx, const cJSON *proc, const char *end, int code, const char *what)
{
    if (proc == NULL)
        return;
    const char *got = itest_json_str(proc, "end");
    if (!ITEST_CHECK(ctx, got != NULL && strcmp(got, end) == 0, "%s: end '%s', expected '%s'", what,
                     got ? got : "(none)", end))
        return;
    if (strcmp(end, "exited") == 0)
        ITEST_CHECK(ctx, itest_json_num(proc, "exit_code") == code, "%s: exit_code %.0f, expected %d", what,
                    itest_json_num(proc, "exit_code"), code);
    else if (strcmp(end, "signaled") == 0)
        ITEST_CHECK(ctx, itest_json_num(proc, "signal") == code, "%s: signal %.0f, expected %d", what,
                    itest_json_num(proc, "signal"), code);
}
