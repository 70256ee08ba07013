/* The JSON report, built with cJSON: the seed's fields with their meaning, memwatch's beside them. */
#include "report.h"

#include <errno.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "format.h"

#define JSON_NS_PER_MS 1000000LL

/* Remembers any failed cJSON allocation, so the tree is checked once instead of at every field. */
struct json_builder {
    const struct jobtable *jt;
    bool failed;
};

static cJSON *json_check(struct json_builder *b, cJSON *item)
{
    if (item == NULL)
        b->failed = true;
    return item;
}

static void json_add(struct json_builder *b, cJSON *obj, const char *key, cJSON *item)
{
    if (item == NULL || obj == NULL || !cJSON_AddItemToObject(obj, key, item)) {
        cJSON_Delete(item);
        b->failed = true;
    }
}

static void json_number(struct json_builder *b, cJSON *obj, const char *key, double n)
{
    json_add(b, obj, key, cJSON_CreateNumber(n));
}

static void json_bool(struct json_builder *b, cJSON *obj, const char *key, bool v)
{
    json_add(b, obj, key, cJSON_CreateBool(v));
}

/* A string, or null when there is none. */
static void json_string(struct json_builder *b, cJSON *obj, const char *key, const char *s)
{
    json_add(b, obj, key, s != NULL ? cJSON_CreateString(s) : cJSON_CreateNull());
}

static void json_number_or_null(struct json_builder *b, cJSON *obj, const char *key, bool known, double n)
{
    json_add(b, obj, key, known ? cJSON_CreateNumber(n) : cJSON_CreateNull());
}

static void json_instant(struct json_builder *b, cJSON *obj, const char *key, bool known, int64_t mono_ns)
{
    char when[CLOCK_RFC3339_MAX];
    if (!known) {
        json_add(b, obj, key, cJSON_CreateNull());
        return;
    }
    report_format_instant(b->jt, mono_ns, when, sizeof when);
    json_string(b, obj, key, when);
}

static cJSON *json_argv(struct json_builder *b, char *const *argv, uint32_t argc)
{
    cJSON *arr = json_check(b, cJSON_CreateArray());
    for (uint32_t i = 0; arr != NULL && i < argc; i++) {
        cJSON *s = json_check(b, cJSON_CreateString(argv[i]));
        if (s != NULL && !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            b->failed = true;
        }
    }
    return arr;
}

static cJSON *json_image(struct json_builder *b, const struct jt_image *img)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    struct jt_peak peak = jobtable_image_best_peak(img);

    json_add(b, o, "argv", json_argv(b, img->argv, img->argc));
    json_bool(b, o, "argv_truncated", img->argv_truncated);
    json_string(b, o, "exe", img->exe);
    json_bool(b, o, "parent_copy", img->parent_copy);
    json_instant(b, o, "start", true, img->start_ns);
    json_instant(b, o, "end", img->end_ns != 0, img->end_ns);
    json_number(b, o, "peak_kib", (double)peak.kib);
    json_string(b, o, "peak_kind", report_peak_kind_name(peak.kind));
    json_instant(b, o, "peak_time", report_peak_has_time(&peak), peak.at_ns);
    return o;
}

static cJSON *json_series(struct json_builder *b, const struct jt_series *s)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    cJSON *max = json_check(b, cJSON_CreateArray());

    json_instant(b, o, "t0", s->count > 0, s->t0_ns);
    json_number(b, o, "bucket_ms", s->count > 0 ? (double)(s->bucket_ns / JSON_NS_PER_MS) : 0.0);
    for (uint32_t i = 0; max != NULL && i < s->count; i++) {
        cJSON *n = json_check(b, cJSON_CreateNumber((double)s->max_kib[i]));
        if (n != NULL && !cJSON_AddItemToArray(max, n)) {
            cJSON_Delete(n);
            b->failed = true;
        }
    }
    json_add(b, o, "max_kib", max);
    return o;
}

static cJSON *json_process(struct json_builder *b, const struct report_row *row)
{
    const struct jt_process *p = row->proc;
    cJSON *o = json_check(b, cJSON_CreateObject());
    cJSON *images = json_check(b, cJSON_CreateArray());

    json_number(b, o, "pid", p->pid);
    json_number(b, o, "ppid", p->ppid);
    json_string(b, o, "command", row->command);
    json_number(b, o, "max_rss_kib", (double)row->peak.kib);
    json_instant(b, o, "first_seen", true, p->first_seen_ns);
    json_instant(b, o, "last_seen", true, p->last_seen_ns);
    json_string(b, o, "peak_kind", report_peak_kind_name(row->peak.kind));
    json_instant(b, o, "peak_time", report_peak_has_time(&row->peak), row->peak.at_ns);
    json_number_or_null(b, o, "bound_kib", p->bound_kib != 0, (double)p->bound_kib);
    json_string(b, o, "end", report_end_name(p->end));
    json_number_or_null(b, o, "exit_code", p->end == JT_END_EXITED, p->exit_code);
    json_number_or_null(b, o, "signal", p->end == JT_END_SIGNALED, p->signal);
    json_bool(b, o, "root", p->is_root);
    json_bool(b, o, "forked", p->forked);
    uint64_t user_us, sys_us;
    jobtable_process_cpu(p, &user_us, &sys_us);
    json_number(b, o, "cpu_user_seconds", (double)user_us / 1e6);
    json_number(b, o, "cpu_system_seconds", (double)sys_us / 1e6);
    for (uint32_t i = 0; images != NULL && i < p->n_images; i++) {
        cJSON *img = json_image(b, &p->images[i]);
        if (img != NULL && !cJSON_AddItemToArray(images, img)) {
            cJSON_Delete(img);
            b->failed = true;
        }
    }
    json_add(b, o, "images", images);
    json_add(b, o, "series", json_series(b, &p->series));
    return o;
}

static cJSON *json_host(struct json_builder *b, const struct jt_job *job)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    json_string(b, o, "hostname", job->hostname);
    json_string(b, o, "kernel", job->kernel);
    json_number(b, o, "mem_total_kib", (double)job->mem_total_kib);
    return o;
}

static cJSON *json_total_peak(struct json_builder *b, const struct report_view *v)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    bool sampled = v->total_sampled.kind != JT_PEAK_NONE;
    json_number(b, o, "sampled_kib", (double)v->total_sampled.kib);
    json_instant(b, o, "sampled_time", sampled, v->total_sampled.at_ns);
    json_number(b, o, "upper_bound_kib", (double)v->total_upper_kib);
    json_bool(b, o, "upper_bound_proven", v->total_upper_proven);
    json_number(b, o, "processes_without_bound", (double)v->total_upper_unbounded);
    return o;
}

/* null when no filter was asked for: scripts can tell "unfiltered" from "filtered, nothing hidden". */
static cJSON *json_filter(struct json_builder *b, const struct report_view *v)
{
    const struct report_filter *f = v->filter;
    if (f == NULL || (!f->has_include && !f->has_exclude))
        return json_check(b, cJSON_CreateNull());
    cJSON *o = json_check(b, cJSON_CreateObject());
    json_string(b, o, "include", f->has_include ? f->include_text : NULL);
    json_string(b, o, "exclude", f->has_exclude ? f->exclude_text : NULL);
    json_number(b, o, "hidden_processes", (double)v->hidden_count);
    json_number(b, o, "hidden_peak_kib", (double)v->hidden_peak_kib);
    return o;
}

static void json_job(struct json_builder *b, cJSON *root, const struct report_view *v)
{
    const struct jobtable *jt = v->jt;
    const struct jt_job *job = &jt->job;
    /* Whole milliseconds, so the figure reads the same in every language that parses it. */
    int64_t duration_ms = (job->end_ns - job->start_ns + JSON_NS_PER_MS / 2) / JSON_NS_PER_MS;

    json_number(b, root, "schema_version", REPORT_SCHEMA_VERSION);
    json_string(b, root, "memwatch_version", job->memwatch_version);
    json_add(b, root, "command", json_argv(b, job->argv, job->argc));
    json_instant(b, root, "start_time", true, job->start_ns);
    json_instant(b, root, "end_time", true, job->end_ns);
    json_number(b, root, "duration_seconds", (double)(duration_ms > 0 ? duration_ms : 0) / 1000.0);
    json_number(b, root, "interval_ms", job->interval_ms);
    json_number(b, root, "samples", (double)jt->n_samples);
    json_number(b, root, "exit_code", job->exit_code);
    json_bool(b, root, "agent", job->agent_enabled);
    json_add(b, root, "host", json_host(b, job));
}

/* Everything but the processes. */
static cJSON *json_envelope(struct json_builder *b, const struct report_view *v)
{
    cJSON *root = json_check(b, cJSON_CreateObject());
    const struct jobtable *jt = v->jt;

    json_job(b, root, v);
    json_number(b, root, "max_total_rss_kib", (double)v->total_sampled.kib);
    json_instant(b, root, "max_total_rss_time", v->total_sampled.kind != JT_PEAK_NONE, v->total_sampled.at_ns);
    json_add(b, root, "total_peak", json_total_peak(b, v));
    json_number(b, root, "process_count", (double)v->n_processes);
    json_number(b, root, "exact_peak_count", (double)v->n_exact);
    json_add(b, root, "filter", json_filter(b, v));
    json_number(b, root, "dropped_messages", (double)(jt->stats.bad_messages + jt->stats.orphan_messages));
    return root;
}

/* Writes cJSON's text of one process, indented two levels as it would stand inside the whole document.
 * JSON strings cannot hold a raw newline, so every newline in the text is between tokens. */
static void json_put_nested(struct report_out *o, const char *text)
{
    report_out_puts(o, "\n\t\t");
    for (const char *line = text; *line;) {
        const char *nl = strchr(line, '\n');
        if (!nl) {
            report_out_puts(o, line);
            break;
        }
        report_out_printf(o, "%.*s\n\t\t", (int)(nl - line), line);
        line = nl + 1;
    }
}

/* The document is printed by cJSON one process at a time, so a job of 10,000 processes never holds the
 * whole tree (or its whole text) in memory: the envelope's closing brace gives way to the process array. */
int report_json_write(FILE *out, const struct report_view *v)
{
    struct json_builder b = {.jt = v->jt, .failed = false};
    struct report_out o;
    cJSON *root = json_envelope(&b, v);
    char *text = (root != NULL && !b.failed) ? cJSON_Print(root) : NULL;
    cJSON_Delete(root);
    size_t len = text ? strlen(text) : 0;
    if (len < 2 || text[len - 1] != '}') {
        cJSON_free(text);
        errno = ENOMEM;
        return -1;
    }
    report_out_init(&o, out);
    text[len - 1] = '\0';
    while (len > 1 && text[len - 2] == '\n')
        text[--len - 1] = '\0';
    report_out_puts(&o, text);
    cJSON_free(text);
    report_out_puts(&o, ",\n\t\"processes\":\t[");
    for (size_t i = 0; i < v->n_rows && !b.failed; i++) {
        cJSON *p = json_process(&b, &v->rows[i]);
        char *ptext = (p != NULL && !b.failed) ? cJSON_Print(p) : NULL;
        cJSON_Delete(p);
        if (!ptext) {
            b.failed = true;
            break;
        }
        if (i)
            report_out_puts(&o, ",");
        json_put_nested(&o, ptext);
        cJSON_free(ptext);
    }
    report_out_puts(&o, v->n_rows ? "\n\t]\n}\n" : "]\n}\n");
    int rc = report_out_finish(&o);
    if (b.failed) {
        errno = ENOMEM;
        return -1;
    }
    return rc;
}
