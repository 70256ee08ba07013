/* Reads a JSON report (memwatch's, or the seed's) back into a job table, so two runs can be compared. */
#include "report.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "format.h"

#define READ_PATH_MAX 48     /* "processes[N]." */
#define READ_SUBPATH_MAX 96  /* "processes[N].images[M]." */
#define READ_MONO_BASE_NS 1000000000000LL /* instants of a read table: far from 0, which means "unknown" */
#define READ_NUMBER_MAX 9007199254740992.0 /* 2^53: beyond it a JSON number is no longer an exact integer */
#define READ_SIGNAL_MAX 127
#define READ_EXIT_CODE_MAX 255
#define READ_PID_MAX 2147483647.0
#define READ_KIB_MAX 4398046511104.0 /* 2^42 KiB (4 PiB): more memory than any machine has; above it, garbage */

struct reader {
    struct jobtable *jt;
    char *err;
    size_t errlen;
};

/* One process of the file, in the order it will be replayed into the table. */
struct read_proc {
    const cJSON *json;
    size_t index;
    int64_t first_seen_ns;
};

static int read_fail(struct reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int read_fail(struct reader *r, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err, r->errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static bool read_absent(const cJSON *item)
{
    return item == NULL || cJSON_IsNull(item);
}

/* A whole number in [min, max]; absent or null leaves *out alone unless required. */
static int read_integer(struct reader *r, const cJSON *obj, const char *path, const char *key, bool required,
                        double min, double max, double *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (read_absent(item))
        return required ? read_fail(r, "%s%s: missing", path, key) : 0;
    if (!cJSON_IsNumber(item))
        return read_fail(r, "%s%s: expected a number", path, key);
    double v = item->valuedouble;
    if (!(v >= min && v <= max) || v != (double)(long long)v)
        return read_fail(r, "%s%s: %g is not a whole number in [%.0f, %.0f]", path, key, v, min, max);
    *out = v;
    return 0;
}

static int read_u64(struct reader *r, const cJSON *obj, const char *path, const char *key, bool required,
                    uint64_t *out)
{
    double v = (double)*out;
    if (read_integer(r, obj, path, key, required, 0, READ_NUMBER_MAX, &v) != 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

/* A size in KiB: a whole number no machine's memory exceeds. */
static int read_kib(struct reader *r, const cJSON *obj, const char *path, const char *key, uint64_t *out)
{
    double v = (double)*out;
    if (read_integer(r, obj, path, key, false, 0, READ_KIB_MAX, &v) != 0)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

static int read_int(struct reader *r, const cJSON *obj, const char *path, const char *key, double min, double max,
                    int *out)
{
    double v = *out;
    if (read_integer(r, obj, path, key, false, min, max, &v) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* A string or null (*out NULL); anything else is an error. */
static int read_string(struct reader *r, const cJSON *obj, const char *path, const char *key, bool required,
                       const char **out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    *out = NULL;
    if (read_absent(item))
        return required ? read_fail(r, "%s%s: missing", path, key) : 0;
    if (!cJSON_IsString(item))
        return read_fail(r, "%s%s: expected a string", path, key);
    *out = item->valuestring;
    return 0;
}

static int read_bool(struct reader *r, const cJSON *obj, const char *path, const char *key, bool *out)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (read_absent(item))
        return 0;
    if (!cJSON_IsBool(item))
        return read_fail(r, "%s%s: expected true or false", path, key);
    *out = cJSON_IsTrue(item);
    return 0;
}

/* An RFC 3339 instant as a monotonic instant of the table; *known false when absent or null. */
static int read_instant(struct reader *r, const cJSON *obj, const char *path, const char *key, bool required,
                        int64_t *mono_ns)
{
    const char *text;
    int64_t wall;
    if (read_string(r, obj, path, key, required, &text) != 0)
        return -1;
    *mono_ns = 0;
    if (text == NULL)
        return 0;
    if (clock_parse_rfc3339(text, &wall) != 0)
        return read_fail(r, "%s%s: '%s' is not an RFC 3339 time", path, key, text);
    *mono_ns = clock_from_wall_ns(&r->jt->job.anchor, wall);
    return 0;
}

static int read_kind(struct reader *r, const cJSON *obj, const char *path, enum jt_peak_kind *kind)
{
    const char *name;
    if (read_string(r, obj, path, "peak_kind", false, &name) != 0)
        return -1;
    if (name != NULL && report_peak_kind_parse(name, kind) != 0)
        return read_fail(r, "%speak_kind: '%s' is not exact, sampled, bound or none", path, name);
    return 0;
}

/* argv as the back-to-back NUL-terminated blob the table's image descriptions carry. */
static char *read_argv_blob(struct reader *r, const cJSON *arr, const char *path, size_t *len, uint32_t *argc)
{
    const cJSON *s;
    size_t n = 0;
    *argc = 0;
    if (!cJSON_IsArray(arr)) {
        read_fail(r, "%sargv: expected an array of strings", path);
        return NULL;
    }
    cJSON_ArrayForEach(s, arr)
    {
        if (!cJSON_IsString(s)) {
            read_fail(r, "%sargv[%u]: expected a string", path, *argc);
            return NULL;
        }
        n += strlen(s->valuestring) + 1;
        (*argc)++;
    }
    char *blob = malloc(n ? n : 1);
    if (blob == NULL) {
        read_fail(r, "%sargv: out of memory", path);
        return NULL;
    }
    char *w = blob;
    cJSON_ArrayForEach(s, arr)
    {
        size_t k = strlen(s->valuestring) + 1;
        memcpy(w, s->valuestring, k);
        w += k;
    }
    *len = n;
    return blob;
}

/* The seed's reports have no images: its command string, split on spaces, stands for the one image. */
static char *read_seed_blob(struct reader *r, const char *command, size_t *len, uint32_t *argc)
{
    size_t n = strlen(command) + 1;
    char *blob = malloc(n);
    if (blob == NULL) {
        read_fail(r, "out of memory");
        return NULL;
    }
    memcpy(blob, command, n);
    *argc = 1;
    for (size_t i = 0; i + 1 < n; i++) {
        if (blob[i] == ' ') {
            blob[i] = '\0';
            (*argc)++;
        }
    }
    *len = n;
    return blob;
}

static int read_image_peak(struct reader *r, const cJSON *obj, const char *path, struct jt_image *img)
{
    enum jt_peak_kind kind = JT_PEAK_NONE;
    struct jt_peak peak = {0};
    int64_t at_ns = 0;
    if (read_kind(r, obj, path, &kind) != 0 || read_kib(r, obj, path, "peak_kib", &peak.kib) != 0
        || read_instant(r, obj, path, "peak_time", false, &at_ns) != 0)
        return -1;
    peak.at_ns = at_ns;
    peak.kind = kind;
    if (peak.at_ns == 0) /* reports without the image's peak instant: the agent reports at the image's end */
        peak.at_ns = img->end_ns != 0 ? img->end_ns : img->start_ns;
    if (kind == JT_PEAK_EXACT)
        img->exact = peak;
    else if (kind == JT_PEAK_SAMPLED)
        img->sampled = peak;
    else if (kind == JT_PEAK_BOUND)
        return read_fail(r, "%speak_kind: an image peak cannot be a bound", path);
    return 0;
}

/* Adds one image through the table's own entry point, so the table owns what it will free. */
static struct jt_process *read_image(struct reader *r, const cJSON *obj, const char *path,
                                     struct jt_image_desc *desc)
{
    struct jt_process *p;
    int64_t end_ns;
    char *blob;

    if (!cJSON_IsObject(obj)) {
        read_fail(r, "%.*s: expected an object", (int)strlen(path) - 1, path);
        return NULL;
    }
    blob = read_argv_blob(r, cJSON_GetObjectItemCaseSensitive(obj, "argv"), path, &desc->argv_len, &desc->argc);
    if (blob == NULL)
        return NULL;
    desc->argv_blob = blob;
    desc->argv_truncated = false;
    bool agent = true, unreported = false; /* reports before 0.2 had neither field */
    if (read_string(r, obj, path, "exe", false, &desc->exe) != 0
        || read_bool(r, obj, path, "argv_truncated", &desc->argv_truncated) != 0
        || read_bool(r, obj, path, "agent", &agent) != 0 || read_bool(r, obj, path, "unreported", &unreported) != 0
        || read_instant(r, obj, path, "start", true, &desc->t_ns) != 0
        || read_instant(r, obj, path, "end", false, &end_ns) != 0) {
        free(blob);
        return NULL;
    }
    p = jobtable_image_started(r->jt, desc);
    free(blob);
    if (p == NULL) {
        read_fail(r, "%s: out of memory", path);
        return NULL;
    }
    struct jt_image *img = jobtable_current_image(p);
    img->end_ns = end_ns;
    img->unreported = unreported;
    if (!agent) /* replayed as the agent's (so images are never merged), then marked as they were */
        img->sources = JT_SOURCE_POLLER;
    if (read_bool(r, obj, path, "parent_copy", &img->parent_copy) != 0)
        return NULL;
    return read_image_peak(r, obj, path, img) == 0 ? p : NULL;
}

static struct jt_process *read_images(struct reader *r, const cJSON *obj, const char *path,
                                      struct jt_image_desc *desc)
{
    const cJSON *images = cJSON_GetObjectItemCaseSensitive(obj, "images");
    char ipath[READ_SUBPATH_MAX];
    struct jt_process *p = NULL;
    size_t i = 0;
    const cJSON *img;

    if (!cJSON_IsArray(images) || cJSON_GetArraySize(images) == 0) {
        read_fail(r, "%simages: expected a non-empty array", path);
        return NULL;
    }
    cJSON_ArrayForEach(img, images)
    {
        snprintf(ipath, sizeof ipath, "%simages[%zu].", path, i++);
        if ((p = read_image(r, img, ipath, desc)) == NULL)
            return NULL;
    }
    return p;
}

/* A seed process: one image labelled with its command, a sampled peak (the seed only polled). */
static struct jt_process *read_seed_image(struct reader *r, const cJSON *obj, const char *path,
                                          struct jt_image_desc *desc)
{
    const char *command;
    struct jt_process *p;
    if (read_string(r, obj, path, "command", true, &command) != 0)
        return NULL;
    char *blob = read_seed_blob(r, command, &desc->argv_len, &desc->argc);
    if (blob == NULL)
        return NULL;
    desc->argv_blob = blob;
    p = jobtable_image_started(r->jt, desc);
    free(blob);
    if (p == NULL)
        read_fail(r, "%s: out of memory", path);
    return p;
}

static int read_series(struct reader *r, const cJSON *obj, const char *path, struct jt_series *s)
{
    const cJSON *series = cJSON_GetObjectItemCaseSensitive(obj, "series");
    const cJSON *max, *v;
    uint64_t bucket_ms = 0;
    char spath[READ_SUBPATH_MAX];
    uint32_t n = 0;

    if (read_absent(series))
        return 0;
    snprintf(spath, sizeof spath, "%sseries.", path);
    max = cJSON_GetObjectItemCaseSensitive(series, "max_kib");
    if (!cJSON_IsObject(series) || !cJSON_IsArray(max))
        return read_fail(r, "%smax_kib: expected an array of numbers", spath);
    int size = cJSON_GetArraySize(max);
    if (size == 0)
        return 0;
    if (size > (int)JT_SERIES_LIMIT)
        return read_fail(r, "%smax_kib: %d buckets, at most %u", spath, size, JT_SERIES_LIMIT);
    if (read_u64(r, series, spath, "bucket_ms", true, &bucket_ms) != 0
        || read_instant(r, series, spath, "t0", true, &s->t0_ns) != 0)
        return -1;
    if (bucket_ms == 0)
        return read_fail(r, "%sbucket_ms: must be positive", spath);
    s->max_kib = calloc((size_t)size, sizeof *s->max_kib);
    if (s->max_kib == NULL)
        return read_fail(r, "%s: out of memory", spath);
    s->cap = (uint32_t)size;
    s->bucket_ns = (int64_t)bucket_ms * 1000000;
    cJSON_ArrayForEach(v, max)
    {
        /* null: a bucket without a sample, which the table holds as 0. */
        if (cJSON_IsNull(v)) {
            s->max_kib[n++] = 0;
            s->count = n;
            continue;
        }
        if (!cJSON_IsNumber(v) || !(v->valuedouble >= 0 && v->valuedouble <= READ_KIB_MAX))
            return read_fail(r, "%smax_kib[%u]: expected a size in KiB", spath, n);
        s->max_kib[n++] = (uint64_t)v->valuedouble;
        s->count = n;
    }
    return 0;
}

/* How the process ended, fed through the table's own calls so it leaves the live index. */
static int read_end(struct reader *r, const cJSON *obj, const char *path, struct jt_process *p)
{
    const char *name;
    enum jt_end_kind end = JT_END_GONE; /* the seed did not say how processes ended */
    int code = 0, sig = 0;
    const struct jt_image *last = jobtable_current_image(p);
    struct jt_reaped reaped = {.pid = p->pid, .maxrss_kib = p->bound_kib};

    reaped.t_ns = last->end_ns != 0 ? last->end_ns : p->last_seen_ns;
    if (read_string(r, obj, path, "end", false, &name) != 0 || read_int(r, obj, path, "exit_code", 0,
                                                                         READ_EXIT_CODE_MAX, &code) != 0
        || read_int(r, obj, path, "signal", 1, READ_SIGNAL_MAX - 1, &sig) != 0)
        return -1;
    if (name != NULL && report_end_parse(name, &end) != 0)
        return read_fail(r, "%send: '%s' is not exited, signaled, gone or running", path, name);
    switch (end) {
    case JT_END_EXITED:
        reaped.wait_status = W_EXITCODE(code, 0);
        jobtable_reaped(r->jt, &reaped);
        break;
    case JT_END_SIGNALED:
        if (sig == 0)
            return read_fail(r, "%ssignal: missing for a signaled process", path);
        reaped.wait_status = W_EXITCODE(0, sig);
        jobtable_reaped(r->jt, &reaped);
        break;
    case JT_END_GONE:
        jobtable_gone(r->jt, p, reaped.t_ns);
        break;
    case JT_END_RUNNING:
        break;
    }
    return 0;
}

static int read_process_facts(struct reader *r, const cJSON *obj, const char *path, struct jt_process *p)
{
    int64_t first = 0, last = 0;
    if (read_kib(r, obj, path, "bound_kib", &p->bound_kib) != 0
        || read_bool(r, obj, path, "root", &p->is_root) != 0 || read_bool(r, obj, path, "forked", &p->forked) != 0
        || read_instant(r, obj, path, "first_seen", true, &first) != 0
        || read_instant(r, obj, path, "last_seen", true, &last) != 0)
        return -1;
    p->first_seen_ns = first;
    p->last_seen_ns = last;
    uint64_t subtree_kib = 0;
    int64_t subtree_at = 0;
    if (read_u64(r, obj, path, "subtree_sampled_kib", false, &subtree_kib) != 0
        || read_instant(r, obj, path, "subtree_sampled_time", false, &subtree_at) != 0)
        return -1;
    const cJSON *subtree = cJSON_GetObjectItemCaseSensitive(obj, "subtree_sampled_kib");
    if (subtree != NULL) /* the run summed subtrees (null: no sample saw this one) */
        r->jt->job.subtree_samples = true;
    if (!read_absent(subtree) &&
        jobtable_set_subtree_sampled(r->jt, p, (struct jt_peak){subtree_kib, subtree_at, JT_PEAK_SAMPLED}) != 0)
        return read_fail(r, "%ssubtree_sampled_kib: out of memory", path);
    return read_series(r, obj, path, &p->series);
}

/* A seed process only has one figure: its peak, the highest RSS the seed polled. */
static int read_seed_peak(struct reader *r, const cJSON *obj, const char *path, struct jt_process *p)
{
    uint64_t kib = 0;
    if (read_kib(r, obj, path, "max_rss_kib", &kib) != 0)
        return -1;
    if (!read_absent(cJSON_GetObjectItemCaseSensitive(obj, "max_rss_kib")))
        jobtable_current_image(p)->sampled = (struct jt_peak){kib, p->last_seen_ns, JT_PEAK_SAMPLED};
    return 0;
}

#define READ_SECONDS_MAX 1e12 /* CPU seconds: more than any job spends */

/* Seconds as whole microseconds; absent or null leaves *us alone. */
static int read_seconds(struct reader *r, const cJSON *obj, const char *path, const char *key, uint64_t *us)
{
    const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (read_absent(item))
        return 0;
    if (!cJSON_IsNumber(item) || !(item->valuedouble >= 0 && item->valuedouble <= READ_SECONDS_MAX))
        return read_fail(r, "%s%s: expected a number of seconds", path, key);
    *us = (uint64_t)(item->valuedouble * 1e6 + 0.5);
    return 0;
}

/* A kind named by key (absent: none). */
static int read_kind_of(struct reader *r, const cJSON *obj, const char *path, const char *key,
                        enum jt_peak_kind *kind)
{
    const char *name;
    *kind = JT_PEAK_NONE;
    if (read_string(r, obj, path, key, false, &name) != 0)
        return -1;
    if (name != NULL && report_peak_kind_parse(name, kind) != 0)
        return read_fail(r, "%s%s: '%s' is not exact, sampled, bound or none", path, key, name);
    return 0;
}

/* The figure and its kind, and a wait's. A report without cpu_kind (older) says nothing of its figures'
 * kinds: they are left unknown. */
static int read_process_cpu(struct reader *r, const cJSON *obj, const char *path, struct jt_process *p)
{
    enum jt_peak_kind kind = JT_PEAK_NONE;
    uint64_t sys_us = 0, wait_sys_us = 0;
    struct jt_cpu cpu = {0}, wait = {0};
    if (read_kind_of(r, obj, path, "cpu_kind", &kind) != 0
        || read_seconds(r, obj, path, "cpu_user_seconds", &cpu.user_us) != 0
        || read_seconds(r, obj, path, "cpu_system_seconds", &sys_us) != 0
        || read_seconds(r, obj, path, "cpu_bound_user_seconds", &wait.user_us) != 0
        || read_seconds(r, obj, path, "cpu_bound_system_seconds", &wait_sys_us) != 0)
        return -1;
    cpu.kind = kind;
    cpu.sys_us = sys_us;
    wait.sys_us = wait_sys_us;
    if (!read_absent(cJSON_GetObjectItemCaseSensitive(obj, "cpu_bound_user_seconds")))
        wait.kind = JT_PEAK_BOUND;
    if (cpu.kind == JT_PEAK_BOUND)
        wait = cpu; /* only a wait's figure was known */
    else if (cpu.kind != JT_PEAK_NONE)
        p->cpu = cpu;
    p->cpu_wait = wait;
    return 0;
}

/* Counters named PREFIX<field>, with PREFIXkind; all unknown when the kind is absent or none. */
static int read_io(struct reader *r, const cJSON *obj, const char *path, const char *prefix, struct jt_io *io)
{
    static const char *const names[] = {"read_bytes", "written_bytes", "storage_read_bytes",
                                        "storage_written_bytes"};
    uint64_t *values[] = {&io->rchar, &io->wchar, &io->read_bytes, &io->write_bytes};
    char key[64];
    memset(io, 0, sizeof *io);
    snprintf(key, sizeof key, "%skind", prefix);
    if (read_kind_of(r, obj, path, key, &io->kind) != 0)
        return -1;
    if (io->kind == JT_PEAK_BOUND)
        return read_fail(r, "%s%s: I/O counters are never a bound", path, key);
    for (size_t i = 0; io->kind != JT_PEAK_NONE && i < sizeof values / sizeof values[0]; i++) {
        snprintf(key, sizeof key, "%s%s", prefix, names[i]);
        if (read_u64(r, obj, path, key, true, values[i]) != 0)
            return -1;
    }
    return 0;
}

static int read_process(struct reader *r, const struct read_proc *rp)
{
    const cJSON *obj = rp->json;
    char path[READ_PATH_MAX];
    double pid = 0, ppid = 0;
    struct jt_image_desc desc = {.source = JT_SOURCE_AGENT};
    struct jt_process *p;
    bool seed = cJSON_GetObjectItemCaseSensitive(obj, "images") == NULL;

    snprintf(path, sizeof path, "processes[%zu].", rp->index);
    if (read_integer(r, obj, path, "pid", true, 1, READ_PID_MAX, &pid) != 0
        || read_integer(r, obj, path, "ppid", false, 0, READ_PID_MAX, &ppid) != 0)
        return -1;
    if (jobtable_find_live(r->jt, (pid_t)pid) != NULL)
        return read_fail(r, "%spid: %.0f is listed twice as alive at once", path, pid);
    desc.pid = (pid_t)pid;
    desc.ppid = (pid_t)ppid;
    desc.t_ns = rp->first_seen_ns;
    p = seed ? read_seed_image(r, obj, path, &desc) : read_images(r, obj, path, &desc);
    if (p == NULL || read_process_facts(r, obj, path, p) != 0)
        return -1;
    p->ppid = (pid_t)ppid;
    if (seed) { /* the seed only polled */
        if (read_seed_peak(r, obj, path, p) != 0)
            return -1;
        jobtable_current_image(p)->sources = JT_SOURCE_POLLER;
    }
    if (read_end(r, obj, path, p) != 0 || read_process_cpu(r, obj, path, p) != 0
        || read_bool(r, obj, path, "reaped_by_memwatch", &p->reaped_by_memwatch) != 0)
        return -1;
    struct jt_io io;
    if (read_io(r, obj, path, "io_", &io) != 0)
        return -1;
    if (io.kind != JT_PEAK_NONE)
        jobtable_io_reading(r->jt, p, &io);
    return 0;
}

static int read_proc_compare(const void *a, const void *b)
{
    const struct read_proc *x = a, *y = b;
    if (x->first_seen_ns != y->first_seen_ns)
        return x->first_seen_ns < y->first_seen_ns ? -1 : 1;
    return x->index < y->index ? -1 : (x->index > y->index);
}

/* Processes are replayed in order of first sighting, so a reused pid meets its predecessor already ended. */
static int read_processes(struct reader *r, const cJSON *root)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "processes");
    const cJSON *item;
    char path[READ_PATH_MAX];
    size_t n = 0;
    int rc = 0;

    if (!cJSON_IsArray(arr))
        return read_fail(r, "processes: expected an array");
    struct read_proc *order = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *order);
    if (order == NULL)
        return read_fail(r, "processes: out of memory");
    cJSON_ArrayForEach(item, arr)
    {
        snprintf(path, sizeof path, "processes[%zu].", n);
        if (!cJSON_IsObject(item)) {
            rc = read_fail(r, "processes[%zu]: expected an object", n);
            break;
        }
        order[n] = (struct read_proc){.json = item, .index = n};
        if ((rc = read_instant(r, item, path, "first_seen", true, &order[n].first_seen_ns)) != 0)
            break;
        n++;
    }
    if (rc == 0)
        qsort(order, n, sizeof *order, read_proc_compare);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = read_process(r, &order[i]);
    free(order);
    return rc;
}

static int read_strdup(struct reader *r, const cJSON *obj, const char *path, const char *key, char **out)
{
    const char *s;
    if (read_string(r, obj, path, key, false, &s) != 0)
        return -1;
    if (s != NULL && (*out = strdup(s)) == NULL)
        return read_fail(r, "%s%s: out of memory", path, key);
    return 0;
}

static int read_command(struct reader *r, const cJSON *root)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "command");
    const cJSON *s;
    struct jt_job *job = &r->jt->job;

    if (arr == NULL) /* a report of memwatch listen: no job was started */
        return 0;
    if (!cJSON_IsArray(arr))
        return read_fail(r, "command: expected an array of strings");
    job->argv = calloc((size_t)cJSON_GetArraySize(arr) + 1, sizeof *job->argv);
    if (job->argv == NULL)
        return read_fail(r, "command: out of memory");
    cJSON_ArrayForEach(s, arr)
    {
        if (!cJSON_IsString(s))
            return read_fail(r, "command[%u]: expected a string", job->argc);
        if ((job->argv[job->argc] = strdup(s->valuestring)) == NULL)
            return read_fail(r, "command: out of memory");
        job->argc++;
    }
    return 0;
}

static int read_host(struct reader *r, const cJSON *root)
{
    const cJSON *host = cJSON_GetObjectItemCaseSensitive(root, "host");
    struct jt_job *job = &r->jt->job;
    if (read_absent(host))
        return 0;
    if (!cJSON_IsObject(host))
        return read_fail(r, "host: expected an object");
    if (read_strdup(r, host, "host.", "hostname", &job->hostname) != 0
        || read_strdup(r, host, "host.", "kernel", &job->kernel) != 0)
        return -1;
    return read_kib(r, host, "host.", "mem_total_kib", &job->mem_total_kib);
}

/* --leak-check's settings (its findings are recomputed from the series). */
static int read_leak_check(struct reader *r, const cJSON *root)
{
    const cJSON *leak = cJSON_GetObjectItemCaseSensitive(root, "leak_check");
    struct jt_job *job = &r->jt->job;
    const char *mode = NULL;
    uint64_t growth = 0;
    double seconds = 0;
    if (read_absent(leak))
        return 0;
    if (!cJSON_IsObject(leak))
        return read_fail(r, "leak_check: expected an object");
    if (read_string(r, leak, "leak_check.", "mode", true, &mode) != 0
        || read_u64(r, leak, "leak_check.", "min_growth_percent", true, &growth) != 0)
        return -1;
    const cJSON *duration = cJSON_GetObjectItemCaseSensitive(leak, "min_duration_seconds");
    if (cJSON_IsNumber(duration) && duration->valuedouble >= 0 && duration->valuedouble < 1e9)
        seconds = duration->valuedouble;
    if (report_leak_check_parse(mode, &job->leak_check) != 0 || growth > UINT32_MAX)
        return read_fail(r, "leak_check: mode '%s' or min_growth_percent is not valid", mode);
    job->leak_min_growth_pct = (uint32_t)growth;
    job->leak_min_duration_ms = (uint32_t)(seconds * 1000.0 + 0.5);
    return 0;
}

/* The start instant anchors the table: wall times become monotonic instants on a fixed base. */
static int read_job(struct reader *r, const cJSON *root)
{
    struct jt_job *job = &r->jt->job;
    const char *start_text;
    uint64_t interval = 0, dropped = 0;

    if (read_string(r, root, "", "start_time", true, &start_text) != 0)
        return -1;
    if (clock_parse_rfc3339(start_text, &job->anchor.wall_ns) != 0)
        return read_fail(r, "start_time: '%s' is not an RFC 3339 time", start_text);
    job->anchor.mono_ns = READ_MONO_BASE_NS;
    job->start_ns = READ_MONO_BASE_NS;
    if (read_instant(r, root, "", "end_time", true, &job->end_ns) != 0 || read_command(r, root) != 0
        || read_u64(r, root, "", "interval_ms", false, &interval) != 0
        || read_int(r, root, "", "exit_code", 0, READ_EXIT_CODE_MAX, &job->exit_code) != 0
        || read_bool(r, root, "", "agent", &job->agent_enabled) != 0
        || read_bool(r, root, "", "agent_32bit", &job->agent_32bit) != 0
        || read_bool(r, root, "", "with_cpu", &job->with_cpu) != 0
        || read_bool(r, root, "", "with_io", &job->with_io) != 0
        || read_strdup(r, root, "", "memwatch_version", &job->memwatch_version) != 0 || read_host(r, root) != 0
        || read_u64(r, root, "", "dropped_messages", false, &dropped) != 0)
        return -1;
    if (interval > UINT32_MAX)
        return read_fail(r, "interval_ms: %llu is too large", (unsigned long long)interval);
    if (job->end_ns < job->start_ns)
        return read_fail(r, "end_time: before start_time");
    job->interval_ms = (uint32_t)interval;
    r->jt->stats.bad_messages = dropped;
    if (read_leak_check(r, root) != 0)
        return -1;
    const char *group_by = NULL; /* before the groups: their names are keys of this grouping */
    if (read_string(r, root, "", "group_by", false, &group_by) != 0)
        return -1;
    if (group_by != NULL && report_group_by_parse(group_by, &job->group_by) != 0)
        return read_fail(r, "group_by: '%s' is not one of command, exe, ppid, tree", group_by);
    return 0;
}

/* One array of the timeline: whole numbers, n of them (n is set by the first array read). */
static int read_timeline_array(struct reader *r, const cJSON *tl, const char *key, int *n, const cJSON **out)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(tl, key), *v;
    if (!cJSON_IsArray(arr))
        return read_fail(r, "timeline.%s: expected an array of numbers", key);
    int size = cJSON_GetArraySize(arr), i = 0;
    if (*n >= 0 && size != *n)
        return read_fail(r, "timeline.%s: %d values, the other arrays have %d", key, size, *n);
    cJSON_ArrayForEach(v, arr)
    {
        if (!cJSON_IsNumber(v) || v->valuedouble < 0 || v->valuedouble > READ_NUMBER_MAX)
            return read_fail(r, "timeline.%s[%d]: expected a whole number", key, i);
        i++;
    }
    *n = size;
    *out = arr->child;
    return 0;
}

/* The job-wide samples, when the report has them (memwatch's since the HTML report; the seed's never). */
static int read_timeline(struct reader *r, const cJSON *root, bool *found)
{
    const cJSON *tl = cJSON_GetObjectItemCaseSensitive(root, "timeline");
    const cJSON *t, *kib, *count;
    int n = -1;
    *found = false;
    if (read_absent(tl))
        return 0;
    if (!cJSON_IsObject(tl))
        return read_fail(r, "timeline: expected an object");
    if (read_timeline_array(r, tl, "elapsed_ms", &n, &t) != 0 || read_timeline_array(r, tl, "total_kib", &n, &kib) != 0
        || read_timeline_array(r, tl, "process_count", &n, &count) != 0)
        return -1;
    for (; t && kib && count; t = t->next, kib = kib->next, count = count->next) {
        int64_t at = r->jt->job.start_ns + (int64_t)t->valuedouble * 1000000;
        uint32_t procs = count->valuedouble > UINT32_MAX ? UINT32_MAX : (uint32_t)count->valuedouble;
        if (jobtable_add_sample(r->jt, at, (uint64_t)kib->valuedouble, procs) != 0)
            return read_fail(r, "timeline: out of memory");
    }
    *found = n > 0;
    return 0;
}

/* Without a timeline, its highest point still is in the report, and it keeps the sampled total peak. */
static int read_total_peak(struct reader *r, const cJSON *root)
{
    uint64_t samples = 0, kib = 0;
    int64_t at = 0;
    if (read_u64(r, root, "", "samples", false, &samples) != 0
        || read_kib(r, root, "", "max_total_rss_kib", &kib) != 0
        || read_instant(r, root, "", "max_total_rss_time", false, &at) != 0)
        return -1;
    if ((samples > 0 || kib > 0) && at != 0 && jobtable_add_sample(r->jt, at, kib, 0) != 0)
        return read_fail(r, "max_total_rss_kib: out of memory");
    return 0;
}

/* Of the groups, only what sampling saw is not derived from the processes: each group's highest per-sample
 * sum. The rest is recomputed from the table. */
static int read_groups(struct reader *r, const cJSON *root)
{
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(root, "groups");
    const cJSON *item;
    char path[READ_PATH_MAX];
    size_t n = 0;

    if (read_absent(arr))
        return 0;
    if (!cJSON_IsArray(arr))
        return read_fail(r, "groups: expected an array");
    cJSON_ArrayForEach(item, arr)
    {
        const char *name;
        uint64_t kib = 0;
        int64_t at = 0;
        snprintf(path, sizeof path, "groups[%zu].", n++);
        if (!cJSON_IsObject(item))
            return read_fail(r, "groups[%zu]: expected an object", n - 1);
        if (read_string(r, item, path, "name", true, &name) != 0
            || read_kib(r, item, path, "footprint_sampled_kib", &kib) != 0
            || read_instant(r, item, path, "footprint_sampled_time", false, &at) != 0)
            return -1;
        bool sampled = !read_absent(cJSON_GetObjectItemCaseSensitive(item, "footprint_sampled_kib"));
        if (sampled && jobtable_group_sample(r->jt, name, kib, at) != 0)
            return read_fail(r, "%sname: out of memory", path);
    }
    return 0;
}

static int read_report(struct reader *r, const cJSON *root)
{
    double version = REPORT_SCHEMA_VERSION;

    if (!cJSON_IsObject(root))
        return read_fail(r, "a report is a JSON object");
    if (read_integer(r, root, "", "schema_version", false, 1, 1e9, &version) != 0)
        return -1;
    if (version > REPORT_SCHEMA_VERSION)
        return read_fail(r, "schema_version %.0f is newer than this memwatch reads (%d)", version,
                         REPORT_SCHEMA_VERSION);
    if (cJSON_GetObjectItemCaseSensitive(root, "start_time") == NULL &&
        cJSON_GetObjectItemCaseSensitive(root, "processes") == NULL)
        return read_fail(r, "not a memwatch report (no start_time, no processes)");
    bool timeline = false;
    if (read_job(r, root) != 0 || read_processes(r, root) != 0 || read_timeline(r, root, &timeline) != 0
        || (!timeline && read_total_peak(r, root) != 0) || read_groups(r, root) != 0)
        return -1;
    r->jt->stats.agent_images = 0; /* counted by the replay, not by the run */
    return 0;
}

int report_json_read(const char *text, struct jobtable *jt, char *err, size_t errlen)
{
    struct reader r = {.jt = jt, .err = err, .errlen = errlen};
    const char *where = NULL;
    cJSON *root;
    int rc;

    jobtable_init(jt);
    root = cJSON_ParseWithOpts(text, &where, false);
    if (root == NULL) {
        size_t offset = where != NULL && where >= text ? (size_t)(where - text) : 0;
        return read_fail(&r, "not valid JSON (near byte %zu)", offset);
    }
    rc = read_report(&r, root);
    cJSON_Delete(root);
    if (rc != 0) {
        jobtable_free(jt);
        jobtable_init(jt);
    }
    return rc;
}
