/* The JSON report, built with cJSON: the seed's fields with their meaning, memwatch's beside them. */
#include "report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "../utf8.h"
#include "format.h"
#include "json_build.h"

#define JSON_NS_PER_MS 1000000LL
#define JSON_KEY_MAX 32 /* the longest key of the report, with JSON_HEX_SUFFIX */
#define JSON_HEX_SUFFIX "_hex"

/* The exact bytes of s as lowercase hex. */
static cJSON *json_hex(struct json_builder *b, const char *s)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = strlen(s);
    char *hex = malloc(2 * n + 1);
    if (hex == NULL)
        return json_check(b, NULL);
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[(unsigned char)s[i] >> 4];
        hex[2 * i + 1] = digits[(unsigned char)s[i] & 0x0f];
    }
    hex[2 * n] = '\0';
    cJSON *item = cJSON_CreateString(hex);
    free(hex);
    return json_check(b, item);
}

/* Beside a field whose bytes are not valid UTF-8, "<key>_hex" keeps them exactly (the field itself has
 * U+FFFD): a program name or argument in Latin-1 is still recoverable. */
static void json_add_hex(struct json_builder *b, cJSON *obj, const char *key, cJSON *hex)
{
    char hex_key[JSON_KEY_MAX];
    snprintf(hex_key, sizeof hex_key, "%s" JSON_HEX_SUFFIX, key);
    json_add(b, obj, hex_key, hex);
}

static void json_exact_string(struct json_builder *b, cJSON *obj, const char *key, const char *s)
{
    json_string(b, obj, key, s);
    if (s != NULL && !utf8_is_valid(s))
        json_add_hex(b, obj, key, json_hex(b, s));
}

/* An array of argv's strings, each through text (json_text or json_hex). */
static cJSON *json_argv_array(struct json_builder *b, char *const *argv, uint32_t argc,
                              cJSON *(*text)(struct json_builder *, const char *))
{
    cJSON *arr = json_check(b, cJSON_CreateArray());
    for (uint32_t i = 0; arr != NULL && i < argc; i++) {
        cJSON *s = text(b, argv[i]);
        if (s != NULL && !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            b->failed = true;
        }
    }
    return arr;
}

/* An argv array, and when one of its strings is not valid UTF-8, "<key>_hex": every string's exact bytes. */
static void json_add_argv(struct json_builder *b, cJSON *obj, const char *key, char *const *argv, uint32_t argc)
{
    bool valid = true;
    json_add(b, obj, key, json_argv_array(b, argv, argc, json_text));
    for (uint32_t i = 0; valid && i < argc; i++)
        valid = utf8_is_valid(argv[i]);
    if (!valid)
        json_add_hex(b, obj, key, json_argv_array(b, argv, argc, json_hex));
}

static cJSON *json_image(struct json_builder *b, const struct jt_image *img)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    struct jt_peak peak = jobtable_image_best_peak(img);

    json_add_argv(b, o, "argv", img->argv, img->argc);
    json_bool(b, o, "argv_truncated", img->argv_truncated);
    json_exact_string(b, o, "exe", img->exe);
    json_bool(b, o, "parent_copy", img->parent_copy);
    json_bool(b, o, "agent", (img->sources & JT_SOURCE_AGENT) != 0);
    json_bool(b, o, "unreported", img->unreported);
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
        /* The table fills a bucket no sample fell into with 0, and a process that is sampled always has pages
         * resident (an exiting zombie's 0 is no reading of its memory): 0 means "no sample", written null. */
        uint64_t kib = s->max_kib[i];
        cJSON *n = json_check(b, kib != 0 ? cJSON_CreateNumber((double)kib) : cJSON_CreateNull());
        if (n != NULL && !cJSON_AddItemToArray(max, n)) {
            cJSON_Delete(n);
            b->failed = true;
        }
    }
    json_add(b, o, "max_kib", max);
    return o;
}

#define JSON_US_PER_S 1e6

/* Always written (cheap, and the seed's readers ignore new keys): the figure and its kind, and a wait's. */
static void json_process_cpu(struct json_builder *b, cJSON *o, const struct jt_process *p)
{
    struct jt_cpu cpu = jobtable_process_cpu(p);
    bool wait = p->cpu_wait.kind == JT_PEAK_BOUND;
    json_number(b, o, "cpu_user_seconds", (double)cpu.user_us / JSON_US_PER_S);
    json_number(b, o, "cpu_system_seconds", (double)cpu.sys_us / JSON_US_PER_S);
    json_string(b, o, "cpu_kind", report_peak_kind_name(cpu.kind));
    json_number_or_null(b, o, "cpu_bound_user_seconds", wait, (double)p->cpu_wait.user_us / JSON_US_PER_S);
    json_number_or_null(b, o, "cpu_bound_system_seconds", wait, (double)p->cpu_wait.sys_us / JSON_US_PER_S);
}

/* The process's (--with-io) or the job's counters; null when unknown. */
static void json_io(struct json_builder *b, cJSON *o, const char *prefix, const struct jt_io *io)
{
    static const char *const names[] = {"read_bytes", "written_bytes", "storage_read_bytes",
                                        "storage_written_bytes"};
    const uint64_t values[] = {io->rchar, io->wchar, io->read_bytes, io->write_bytes};
    char key[64];
    bool known = io->kind != JT_PEAK_NONE;
    for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
        snprintf(key, sizeof key, "%s%s", prefix, names[i]);
        json_number_or_null(b, o, key, known, (double)values[i]);
    }
    snprintf(key, sizeof key, "%skind", prefix);
    json_string(b, o, key, report_peak_kind_name(io->kind));
}

static void json_process_io(struct json_builder *b, cJSON *o, const struct jt_io *io)
{
    json_io(b, o, "io_", io);
}

static cJSON *json_cpu_total(struct json_builder *b, const struct report_view *v)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    json_number(b, o, "user_seconds", (double)v->cpu_total.user_us / JSON_US_PER_S);
    json_number(b, o, "system_seconds", (double)v->cpu_total.sys_us / JSON_US_PER_S);
    json_string(b, o, "kind", report_peak_kind_name(v->cpu_total.kind));
    json_number(b, o, "processes_unknown", (double)v->cpu_unknown);
    return o;
}

static cJSON *json_io_total(struct json_builder *b, const struct report_view *v)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    json_io(b, o, "", &v->io_total);
    json_number(b, o, "processes_unknown", (double)v->io_unknown);
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
    json_process_cpu(b, o, p);
    if (b->jt->job.with_io) {
        struct jt_io io = jobtable_process_io(b->jt, p);
        json_process_io(b, o, &io);
        json_bool(b, o, "reaped_by_memwatch", p->reaped_by_memwatch);
    }
    for (uint32_t i = 0; images != NULL && i < p->n_images; i++) {
        cJSON *img = json_image(b, &p->images[i]);
        if (img != NULL && !cJSON_AddItemToArray(images, img)) {
            cJSON_Delete(img);
            b->failed = true;
        }
    }
    json_add(b, o, "images", images);
    if (jobtable_subtree_sampled(b->jt)) {
        struct jt_peak sub = jobtable_subtree_sampled_peak(b->jt, p);
        bool sampled = sub.kind != JT_PEAK_NONE;
        json_number_or_null(b, o, "subtree_sampled_kib", sampled, (double)sub.kib);
        json_instant(b, o, "subtree_sampled_time", sampled, sub.at_ns);
    }
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

/* "sampled_total" / "process_peak" / "none": which figure a lower bound is (the total's or a group's). */
static const char *json_lower_source(enum report_lower_source source, bool group)
{
    switch (source) {
    case REPORT_LOWER_SAMPLED:
        return group ? "sampled_sum" : "sampled_total";
    case REPORT_LOWER_PROCESS:
        return "process_peak";
    default:
        return "none";
    }
}


/* An upper bound and why it is or is not proven: PREFIX_kib, PREFIX_proven and the two counts. */
static void json_upper(struct json_builder *b, cJSON *o, const char *prefix, const struct jt_upper *u)
{
    char kib[64], proven[64];
    snprintf(kib, sizeof kib, "%s_kib", prefix);
    snprintf(proven, sizeof proven, "%s_proven", prefix);
    json_number(b, o, kib, (double)u->kib);
    json_bool(b, o, proven, u->proven);
    json_number(b, o, "processes_without_bound", (double)u->unbounded);
    json_number(b, o, "processes_without_agent", (double)u->agentless);
}

static cJSON *json_total_peak(struct json_builder *b, const struct report_view *v)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    const struct report_lower *lower = &v->total_lower;
    bool sampled = v->total_sampled.kind != JT_PEAK_NONE;
    json_number(b, o, "sampled_kib", (double)v->total_sampled.kib);
    json_instant(b, o, "sampled_time", sampled, v->total_sampled.at_ns);
    json_number(b, o, "lower_bound_kib", (double)lower->kib);
    json_string(b, o, "lower_bound_source", json_lower_source(lower->source, false));
    json_number_or_null(b, o, "lower_bound_pid", lower->source == REPORT_LOWER_PROCESS,
                        lower->proc != NULL ? lower->proc->pid : 0);
    json_upper(b, o, "upper_bound", &v->total_upper);
    return o;
}

/* One limit and its verdict; NULL (JSON null) when it was not given. */
static cJSON *json_limit(struct json_builder *b, const struct report_limit *l)
{
    if (l->breach == REPORT_BREACH_NONE)
        return json_check(b, cJSON_CreateNull());
    cJSON *o = json_check(b, cJSON_CreateObject());
    uint64_t limit_kib = (l->limit_bytes + 1023) / 1024;
    json_number(b, o, "limit_bytes", (double)l->limit_bytes);
    json_string(b, o, "verdict", report_breach_name(l->breach));
    json_number(b, o, "figure_kib", (double)l->figure_kib);
    json_string(b, o, "figure_kind", l->breach == REPORT_BREACH_PROVEN ? "lower_bound" : "upper_bound");
    json_instant(b, o, "figure_time", l->at_ns != 0, l->at_ns);
    json_number(b, o, "excess_kib", (double)(l->figure_kib > limit_kib ? l->figure_kib - limit_kib : 0));
    json_number_or_null(b, o, "pid", l->proc != NULL, l->proc != NULL ? l->proc->pid : 0);
    return o;
}

static cJSON *json_limits(struct json_builder *b, const struct report_view *v)
{
    if (v->limit_total.breach == REPORT_BREACH_NONE && v->limit_proc.breach == REPORT_BREACH_NONE)
        return json_check(b, cJSON_CreateNull());
    cJSON *o = json_check(b, cJSON_CreateObject());
    json_add(b, o, "total", json_limit(b, &v->limit_total));
    json_add(b, o, "per_process", json_limit(b, &v->limit_proc));
    return o;
}

/* The summary's groups, every one of them, in its order. */
static cJSON *json_group(struct json_builder *b, const struct report_group *g)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    const struct jt_footprint *fp = &g->footprint;
    json_string(b, o, "name", g->name);
    json_number(b, o, "count", (double)g->count);
    json_number(b, o, "largest_peak_kib", (double)g->largest_peak.kib);
    json_string(b, o, "largest_peak_kind", report_peak_kind_name(g->largest_peak.kind));
    json_number(b, o, "largest_peak_pid", g->largest != NULL ? g->largest->pid : 0);
    json_number_or_null(b, o, "footprint_sampled_kib", fp->sampled.kind != JT_PEAK_NONE, (double)fp->sampled.kib);
    json_instant(b, o, "footprint_sampled_time", fp->sampled.kind != JT_PEAK_NONE, fp->sampled.at_ns);
    json_number(b, o, "footprint_lower_kib", (double)g->lower.kib);
    json_string(b, o, "footprint_lower_source", json_lower_source(g->lower.source, true));
    json_upper(b, o, "footprint_upper", &fp->upper);
    return o;
}

static cJSON *json_groups(struct json_builder *b, const struct report_view *v)
{
    cJSON *arr = json_check(b, cJSON_CreateArray());
    for (size_t i = 0; arr != NULL && i < v->n_groups; i++) {
        cJSON *g = json_group(b, &v->groups[i]);
        if (g != NULL && !cJSON_AddItemToArray(arr, g)) {
            cJSON_Delete(g);
            b->failed = true;
        }
    }
    return arr;
}

/* Deeper nodes are listed flat in the children of their ancestor at this depth (each says its own depth):
 * every report stays within the nesting a JSON reader accepts (cJSON's own limit is 1000). */
#define JSON_TREE_DEPTH_MAX 64

static cJSON *json_tree_node(struct json_builder *b, const struct report_tree_node *n)
{
    cJSON *o = json_check(b, cJSON_CreateObject());
    const struct jt_image *img = jobtable_current_image(n->proc);
    json_number(b, o, "pid", n->proc->pid);
    json_string(b, o, "command", img != NULL && img->label != NULL ? img->label : "");
    json_number(b, o, "depth", n->depth);
    json_bool(b, o, "reparented", n->reparented);
    json_number(b, o, "max_rss_kib", (double)n->peak.kib);
    json_string(b, o, "peak_kind", report_peak_kind_name(n->peak.kind));
    json_number(b, o, "subtree_processes", (double)n->count);
    json_number_or_null(b, o, "subtree_sampled_kib", n->subtree.sampled.kind != JT_PEAK_NONE,
                        (double)n->subtree.sampled.kib);
    json_instant(b, o, "subtree_sampled_time", n->subtree.sampled.kind != JT_PEAK_NONE, n->subtree.sampled.at_ns);
    json_number(b, o, "subtree_lower_kib", (double)n->lower.kib);
    json_string(b, o, "subtree_lower_source", json_lower_source(n->lower.source, true));
    json_upper(b, o, "subtree_upper", &n->subtree.upper);
    json_add(b, o, "children", json_check(b, cJSON_CreateArray()));
    return o;
}

static void json_array_append(struct json_builder *b, cJSON *arr, cJSON *item)
{
    if (item != NULL && (arr == NULL || !cJSON_AddItemToArray(arr, item))) {
        cJSON_Delete(item);
        b->failed = true;
    }
}

/* The whole tree, folded nothing, each node's children heaviest first; walked without recursion. */
static cJSON *json_tree(struct json_builder *b, const struct report_view *v)
{
    if (v->tree == NULL)
        return json_check(b, cJSON_CreateNull());
    cJSON *top = json_check(b, cJSON_CreateArray());
    cJSON **made = calloc(v->jt->n_procs ? v->jt->n_procs : 1, sizeof *made); /* node -> its object */
    if (made == NULL) {
        b->failed = true;
        return top;
    }
    const struct report_tree_node *nodes = v->tree;
    for (uint32_t i = v->tree_first; i != REPORT_NO_NODE && !b->failed;) {
        made[i] = json_tree_node(b, &nodes[i]);
        uint32_t holder = nodes[i].parent;
        while (holder != REPORT_NO_NODE && nodes[holder].depth >= JSON_TREE_DEPTH_MAX)
            holder = nodes[holder].parent;
        json_array_append(b, holder == REPORT_NO_NODE ? top : cJSON_GetObjectItemCaseSensitive(made[holder], "children"),
                          made[i]);
        uint32_t next = nodes[i].first_child;
        for (uint32_t k = i; next == REPORT_NO_NODE && k != REPORT_NO_NODE; k = nodes[k].parent)
            next = nodes[k].next_sibling;
        i = next;
    }
    free(made);
    return top;
}

/* null without --leak-check; else its settings and every finding with the numbers behind it. */
static cJSON *json_leak_check(struct json_builder *b, const struct report_view *v)
{
    const struct jt_job *job = &v->jt->job;
    if (job->leak_check == JT_LEAK_OFF)
        return json_check(b, cJSON_CreateNull());
    cJSON *o = json_check(b, cJSON_CreateObject());
    cJSON *findings = json_check(b, cJSON_CreateArray());
    json_string(b, o, "mode", report_leak_check_name(job->leak_check));
    json_number(b, o, "min_growth_percent", job->leak_min_growth_pct);
    json_number(b, o, "min_duration_seconds", job->leak_min_duration_ms / 1000.0);
    for (size_t i = 0; i < v->n_leaks; i++) {
        const struct report_leak *l = &v->leaks[i];
        cJSON *f = json_check(b, cJSON_CreateObject());
        cJSON *quarters = json_check(b, cJSON_CreateArray());
        json_number(b, f, "pid", l->proc->pid);
        json_string(b, f, "command", jobtable_current_image(l->proc)->label);
        json_number(b, f, "start_kib", (double)l->start_kib);
        json_number(b, f, "end_kib", (double)l->end_kib);
        json_number(b, f, "growth_percent", l->growth_pct);
        json_instant(b, f, "start_time", true, l->start_ns);
        json_instant(b, f, "end_time", true, l->end_ns);
        json_number(b, f, "sampled_buckets", l->points);
        for (int k = 0; k < REPORT_LEAK_SEGMENTS; k++)
            json_array_append(b, quarters, json_check(b, cJSON_CreateNumber((double)l->segment_max_kib[k])));
        json_add(b, f, "quarter_max_kib", quarters);
        json_array_append(b, findings, f);
    }
    json_add(b, o, "findings", findings);
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
    bool has_job = job->argc > 0; /* memwatch listen started none: no command, no exit code */
    if (has_job)
        json_add_argv(b, root, "command", job->argv, job->argc);
    json_instant(b, root, "start_time", true, job->start_ns);
    json_instant(b, root, "end_time", true, job->end_ns);
    json_number(b, root, "duration_seconds", (double)(duration_ms > 0 ? duration_ms : 0) / 1000.0);
    json_number(b, root, "interval_ms", job->interval_ms);
    json_number(b, root, "samples", (double)jt->n_samples);
    if (has_job)
        json_number(b, root, "exit_code", job->exit_code);
    json_bool(b, root, "agent", job->agent_enabled);
    json_bool(b, root, "agent_32bit", job->agent_32bit);
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
    json_add(b, root, "limits", json_limits(b, v));
    json_number(b, root, "process_count", (double)v->n_processes);
    json_number(b, root, "exact_peak_count", (double)v->n_exact);
    json_add(b, root, "filter", json_filter(b, v));
    json_string(b, root, "group_by", report_group_by_name(jt->job.group_by));
    json_add(b, root, "groups", json_groups(b, v));
    json_add(b, root, "tree", json_tree(b, v));
    json_add(b, root, "leak_check", json_leak_check(b, v));
    json_bool(b, root, "with_cpu", jt->job.with_cpu);
    json_bool(b, root, "with_io", jt->job.with_io);
    json_add(b, root, "cpu_total", json_cpu_total(b, v));
    if (jt->job.with_io)
        json_add(b, root, "io_total", json_io_total(b, v));
    json_number(b, root, "dropped_messages",
                (double)(jt->stats.bad_messages + jt->stats.orphan_messages + jt->stats.dropped_foreign));
    /* Of those, the messages from processes not shown to belong to the job (and forged child ends). */
    json_number(b, root, "dropped_foreign", (double)jt->stats.dropped_foreign);
    return root;
}

/* The document is streamed: our code writes its punctuation and layout (one member of the envelope a line,
 * one process a line), cJSON prints each value compactly. A job of 10,000 processes never holds the whole
 * tree or its whole text, and nothing depends on how cJSON lays out what it prints. */
#define JSON_INDENT "  "
#define JSON_ITEM_INDENT JSON_INDENT JSON_INDENT

/* Prints one value compactly after its prefix; false when cJSON could not (no memory). */
static bool json_put_value(struct report_out *o, const char *prefix, const cJSON *value)
{
    char *text = cJSON_PrintUnformatted(value);
    if (text == NULL)
        return false;
    report_out_puts(o, prefix);
    report_out_puts(o, text);
    cJSON_free(text);
    return true;
}

/* "key": value for each member of the envelope, one a line; keys are this file's own words, no escaping. */
static bool json_put_members(struct report_out *o, const cJSON *root)
{
    const cJSON *item;
    cJSON_ArrayForEach(item, root)
    {
        report_out_printf(o, "%s" JSON_INDENT "\"%s\": ", item == root->child ? "" : ",\n", item->string);
        if (!json_put_value(o, "", item))
            return false;
    }
    return true;
}

/* The job-wide samples (the timeline CSV's rows), streamed as three arrays of one line each: a report read
 * back (memwatch view) draws the total over time from them. */
static void json_put_timeline(struct report_out *o, const struct jobtable *jt)
{
    report_out_puts(o, ",\n" JSON_INDENT "\"timeline\": {\"elapsed_ms\": [");
    for (size_t i = 0; i < jt->n_samples; i++)
        report_out_printf(o, i ? ",%lld" : "%lld", (long long)report_elapsed_ms(jt, jt->samples[i].t_ns));
    report_out_puts(o, "],\n" JSON_ITEM_INDENT "\"total_kib\": [");
    for (size_t i = 0; i < jt->n_samples; i++)
        report_out_printf(o, i ? ",%llu" : "%llu", (unsigned long long)jt->samples[i].total_kib);
    report_out_puts(o, "],\n" JSON_ITEM_INDENT "\"process_count\": [");
    for (size_t i = 0; i < jt->n_samples; i++)
        report_out_printf(o, i ? ",%u" : "%u", jt->samples[i].process_count);
    report_out_puts(o, "]}");
}

int report_json_write(FILE *out, const struct report_view *v)
{
    struct json_builder b = {.jt = v->jt, .failed = false};
    struct report_out o;
    cJSON *root = json_envelope(&b, v);

    report_out_init(&o, out);
    report_out_puts(&o, "{\n");
    if (root == NULL || b.failed || !json_put_members(&o, root))
        b.failed = true;
    cJSON_Delete(root);
    report_out_puts(&o, ",\n" JSON_INDENT "\"processes\": [");
    for (size_t i = 0; i < v->n_rows && !b.failed; i++) {
        cJSON *p = json_process(&b, &v->rows[i]);
        if (p == NULL || b.failed || !json_put_value(&o, i ? ",\n" JSON_ITEM_INDENT : "\n" JSON_ITEM_INDENT, p))
            b.failed = true;
        cJSON_Delete(p);
    }
    report_out_puts(&o, v->n_rows ? "\n" JSON_INDENT "]" : "]");
    json_put_timeline(&o, v->jt);
    report_out_puts(&o, "\n}\n");
    int rc = report_out_finish(&o);
    if (b.failed) {
        errno = ENOMEM;
        return -1;
    }
    return rc;
}
