/* The HTML report: one self-contained page (the embedded page sources and the view's data as compact
 * columns) that draws the job's memory in a browser, with no network and no other file. */
#include "report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#ifdef MEMWATCH_HAVE_ZLIB
#include <zlib.h>
#endif

#include "../utf8.h"
#include "format.h"

#define HTML_NS_PER_MS 1000000LL
#define HTML_DATA_VERSION 2
#define HTML_BUF_FIRST 65536
/* Above these budgets the page would grow past a few megabytes and open slowly: per-process series and the
 * timeline are reduced into max-keeping buckets (each process's exact peak is a column of its own). */
#define HTML_SERIES_BUDGET 400000u /* bucket values over all processes */
#define HTML_TIMELINE_BUDGET 100000u /* job-wide samples */
#define HTML_BASE64_LINE 76

/* The page's sources, compiled in by collector/report/html/embed.cmake. */
extern const unsigned char html_asset_html[], html_asset_css[], html_asset_js[];
extern const size_t html_asset_html_len, html_asset_css_len, html_asset_js_len;

/* Where the page template takes the style, the script and the data. */
#define HTML_MARK_CSS "<!--memwatch:css-->"
#define HTML_MARK_JS "<!--memwatch:js-->"
#define HTML_MARK_DATA "<!--memwatch:data-->"

/* The data's text, grown in memory: it is compressed whole before it is written. */
struct html_buf {
    char *text;
    size_t len;
    size_t cap;
    bool failed;
};

static void buf_add(struct html_buf *b, const char *s, size_t n)
{
    if (b->failed)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : HTML_BUF_FIRST;
        while (b->len + n + 1 > cap)
            cap *= 2;
        char *t = realloc(b->text, cap);
        if (t == NULL) {
            b->failed = true;
            return;
        }
        b->text = t;
        b->cap = cap;
    }
    memcpy(b->text + b->len, s, n);
    b->len += n;
    b->text[b->len] = '\0';
}

static void buf_puts(struct html_buf *b, const char *s) { buf_add(b, s, strlen(s)); }

__attribute__((format(printf, 2, 3))) static void buf_printf(struct html_buf *b, const char *fmt, ...)
{
    char small[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof small) { /* only short numbers and keys pass through here */
        b->failed = true;
        return;
    }
    buf_add(b, small, (size_t)n);
}

/* A JSON string as valid UTF-8, with '<', '>' and '&' escaped too: the data sits inside a <script> element,
 * and a command line must never be able to close it. */
static void buf_string(struct html_buf *b, const char *s)
{
    char *copy;
    const char *clean = utf8_clean(s ? s : "", &copy);
    if (clean == NULL) {
        b->failed = true;
        return;
    }
    buf_puts(b, "\"");
    for (const unsigned char *c = (const unsigned char *)clean; *c; c++) {
        if (*c == '"' || *c == '\\') {
            char esc[3] = {'\\', (char)*c, 0};
            buf_puts(b, esc);
        } else if (*c < 0x20 || *c == '<' || *c == '>' || *c == '&' || *c == 0x7f) {
            buf_printf(b, "\\u%04x", *c);
        } else {
            buf_add(b, (const char *)c, 1);
        }
    }
    buf_puts(b, "\"");
    free(copy);
}

static int64_t html_ms(const struct jobtable *jt, int64_t mono_ns)
{
    return report_since_start_ns(jt, mono_ns) / HTML_NS_PER_MS;
}

/* A column of integers, delta-encoded (each value minus the one before) when delta is set. */
struct html_column {
    struct html_buf *b;
    bool delta;
    bool first;
    int64_t prev;
};

static void column_begin(struct html_column *c, struct html_buf *b, const char *key, bool delta)
{
    *c = (struct html_column){.b = b, .delta = delta, .first = true};
    buf_printf(b, "\"%s\":[", key);
}

static void column_add(struct html_column *c, int64_t v)
{
    buf_printf(c->b, c->first ? "%lld" : ",%lld", (long long)(c->delta ? v - c->prev : v));
    c->prev = v;
    c->first = false;
}

static void column_end(struct html_column *c, bool last) { buf_puts(c->b, last ? "]" : "],"); }

/* Group names of the rows: indexes into the view's groups (largest footprint first), found by name. */
struct html_group_index {
    const char *name;
    size_t index;
};

static int group_index_compare(const void *a, const void *b)
{
    return strcmp(((const struct html_group_index *)a)->name, ((const struct html_group_index *)b)->name);
}

static size_t group_of(const struct html_group_index *idx, size_t n, const char *name)
{
    struct html_group_index key = {.name = name};
    const struct html_group_index *hit = bsearch(&key, idx, n, sizeof *idx, group_index_compare);
    return hit ? hit->index : 0;
}

/* One figure with its kind: {"kib":N,"kind":"exact","ms":T}, ms null when the instant is unknown. */
static void buf_peak(struct html_buf *b, const struct jobtable *jt, const struct jt_peak *p)
{
    buf_printf(b, "{\"kib\":%llu,\"kind\":", (unsigned long long)p->kib);
    buf_string(b, report_peak_kind_name(p->kind));
    if (report_peak_has_time(p))
        buf_printf(b, ",\"ms\":%lld}", (long long)html_ms(jt, p->at_ns));
    else
        buf_puts(b, ",\"ms\":null}");
}

static void html_job(struct html_buf *b, const struct report_view *v)
{
    const struct jobtable *jt = v->jt;
    const struct jt_job *job = &jt->job;
    char when[CLOCK_RFC3339_MAX];
    char *label = jobtable_join_argv(job->argv, job->argc);

    report_format_instant(jt, job->start_ns, when, sizeof when);
    buf_printf(b, "{\"v\":%d,\"command\":", HTML_DATA_VERSION);
    buf_string(b, label ? label : "");
    free(label);
    /* A report read back from the seed's schema has no memwatch version: what it lacks is unknown. */
    bool seed = job->memwatch_version == NULL;
    buf_puts(b, ",\"schema\":");
    buf_string(b, seed ? "seed" : "memwatch");
    buf_puts(b, ",\"version\":");
    buf_string(b, seed ? "" : job->memwatch_version);
    buf_puts(b, ",\"host\":");
    buf_string(b, job->hostname ? job->hostname : "");
    buf_puts(b, ",\"start\":");
    buf_string(b, when);
    buf_printf(b, ",\"duration_ms\":%lld,\"interval_ms\":%u", (long long)html_ms(jt, job->end_ns), job->interval_ms);
    if (!seed && job->argc > 0)
        buf_printf(b, ",\"exit_code\":%d", job->exit_code);
    else
        buf_puts(b, ",\"exit_code\":null");
    buf_printf(b, ",\"agent\":%s,\"processes\":%zu,\"exact\":%zu,\"hidden\":%zu", job->agent_enabled ? "true" : "false",
               v->n_processes, v->n_exact, v->hidden_count);
}

static void html_totals(struct html_buf *b, const struct report_view *v)
{
    const struct jobtable *jt = v->jt;
    buf_puts(b, ",\"total_sampled\":");
    buf_peak(b, jt, &v->total_sampled);
    const struct report_lower *lo = &v->total_lower;
    buf_printf(b, ",\"total_lower\":{\"kib\":%llu,\"source\":\"%s\",\"ms\":", (unsigned long long)lo->kib,
               lo->source == REPORT_LOWER_SAMPLED ? "sampled" : lo->source == REPORT_LOWER_PROCESS ? "process" : "none");
    if (lo->source == REPORT_LOWER_SAMPLED)
        buf_printf(b, "%lld", (long long)html_ms(jt, lo->at_ns));
    else
        buf_puts(b, "null");
    buf_printf(b, ",\"pid\":%d}", lo->proc ? (int)lo->proc->pid : 0);
    const struct jt_upper *up = &v->total_upper;
    buf_printf(b, ",\"total_upper\":{\"kib\":%llu,\"proven\":%s,\"unbounded\":%zu,\"agentless\":%zu",
               (unsigned long long)up->kib, up->proven ? "true" : "false", up->unbounded, up->agentless);
    buf_printf(b, ",\"dropped\":%llu}", (unsigned long long)up->dropped);
    buf_puts(b, ",\"largest\":");
    if (v->largest)
        buf_printf(b, "%d", (int)v->largest->pid);
    else
        buf_puts(b, "null");
    buf_puts(b, ",\"groups\":[");
    for (size_t i = 0; i < v->n_groups; i++) {
        buf_puts(b, i ? "," : "");
        buf_string(b, v->groups[i].name);
    }
    buf_puts(b, "]");
}

/* The per-process facts as columns, in the view's order (largest peak first). */
static void html_processes(struct html_buf *b, const struct report_view *v)
{
    const struct jobtable *jt = v->jt;
    struct html_group_index *idx = calloc(v->n_groups + 1, sizeof *idx);
    struct html_column c;
    if (idx == NULL) {
        b->failed = true;
        return;
    }
    for (size_t i = 0; i < v->n_groups; i++)
        idx[i] = (struct html_group_index){v->groups[i].name, i};
    qsort(idx, v->n_groups, sizeof *idx, group_index_compare);

    buf_puts(b, ",\"p\":{");
    column_begin(&c, b, "pid", true);
    for (size_t i = 0; i < v->n_rows; i++)
        column_add(&c, v->rows[i].proc->pid);
    column_end(&c, false);
    column_begin(&c, b, "ppid", false);
    for (size_t i = 0; i < v->n_rows; i++)
        column_add(&c, v->rows[i].proc->ppid);
    column_end(&c, false);
    column_begin(&c, b, "start", true);
    for (size_t i = 0; i < v->n_rows; i++)
        column_add(&c, html_ms(jt, v->rows[i].proc->first_seen_ns));
    column_end(&c, false);
    column_begin(&c, b, "life", false); /* milliseconds from first sighting to the end */
    for (size_t i = 0; i < v->n_rows; i++) {
        const struct jt_process *p = v->rows[i].proc;
        int64_t end = p->end_ns ? p->end_ns : p->last_seen_ns;
        column_add(&c, html_ms(jt, end) - html_ms(jt, p->first_seen_ns));
    }
    column_end(&c, false);
    column_begin(&c, b, "peak", true);
    for (size_t i = 0; i < v->n_rows; i++)
        column_add(&c, (int64_t)v->rows[i].peak.kib);
    column_end(&c, false);
    column_begin(&c, b, "kind", false); /* enum jt_peak_kind: 0 none, 1 sampled, 2 bound, 3 exact */
    for (size_t i = 0; i < v->n_rows; i++)
        column_add(&c, v->rows[i].peak.kind);
    column_end(&c, false);
    column_begin(&c, b, "peak_ms", false); /* -1: unknown */
    for (size_t i = 0; i < v->n_rows; i++) {
        const struct jt_peak *pk = &v->rows[i].peak;
        column_add(&c, report_peak_has_time(pk) ? html_ms(jt, pk->at_ns) : -1);
    }
    column_end(&c, false);
    column_begin(&c, b, "group", false);
    for (size_t i = 0; i < v->n_rows; i++)
        column_add(&c, (int64_t)group_of(idx, v->n_groups, v->rows[i].group));
    column_end(&c, false);
    column_begin(&c, b, "end", false); /* enum jt_end_kind: 0 running, 1 exited, 2 signaled, 3 gone */
    for (size_t i = 0; i < v->n_rows; i++)
        column_add(&c, v->rows[i].proc->end);
    column_end(&c, false);
    column_begin(&c, b, "code", false); /* exit code, or signal number */
    for (size_t i = 0; i < v->n_rows; i++) {
        const struct jt_process *p = v->rows[i].proc;
        column_add(&c, p->end == JT_END_SIGNALED ? p->signal : p->exit_code);
    }
    column_end(&c, false);
    buf_puts(b, "\"cmd\":[");
    for (size_t i = 0; i < v->n_rows; i++) {
        buf_puts(b, i ? "," : "");
        buf_string(b, v->rows[i].command);
    }
    buf_puts(b, "]}");
    free(idx);
}

/* Each listed process's place in the process tree (never filtered, whatever --group-by says) and what its
 * subtree held at one moment, as columns in the rows' order: parent (its row, -1 for a top node or a parent
 * the filter hid), adopted (re-parented orphan), count (processes in the subtree, hidden ones too), lo (the
 * subtree's best lower bound, -1 for none), up and proven (its upper bound; unproven is no bound). */
static void html_tree(struct html_buf *b, const struct report_view *v)
{
    const struct jobtable *jt = v->jt;
    const struct report_tree_node *nodes = v->tree;
    struct report_tree_node *own = NULL;
    uint32_t first;
    int64_t *row_of = malloc((jt->n_procs ? jt->n_procs : 1) * sizeof *row_of);
    if (row_of == NULL || (nodes == NULL && report_tree_build(v, &own, &first) != 0)) {
        free(row_of);
        b->failed = true;
        return;
    }
    nodes = nodes ? nodes : own;
    for (size_t i = 0; i < jt->n_procs; i++)
        row_of[i] = -1;
    for (size_t r = 0; r < v->n_rows; r++)
        row_of[v->rows[r].proc->id] = (int64_t)r;
    struct html_column c;
    buf_puts(b, ",\"t\":{");
    column_begin(&c, b, "parent", false);
    for (size_t r = 0; r < v->n_rows; r++) {
        uint32_t up = nodes[v->rows[r].proc->id].parent;
        column_add(&c, up == REPORT_NO_NODE ? -1 : row_of[up]);
    }
    column_end(&c, false);
    column_begin(&c, b, "adopted", false);
    for (size_t r = 0; r < v->n_rows; r++)
        column_add(&c, nodes[v->rows[r].proc->id].reparented);
    column_end(&c, false);
    column_begin(&c, b, "count", false);
    for (size_t r = 0; r < v->n_rows; r++)
        column_add(&c, (int64_t)nodes[v->rows[r].proc->id].count);
    column_end(&c, false);
    column_begin(&c, b, "lo", true);
    for (size_t r = 0; r < v->n_rows; r++) {
        const struct report_lower *lo = &nodes[v->rows[r].proc->id].lower;
        column_add(&c, lo->source == REPORT_LOWER_NONE ? -1 : (int64_t)lo->kib);
    }
    column_end(&c, false);
    column_begin(&c, b, "up", true);
    for (size_t r = 0; r < v->n_rows; r++)
        column_add(&c, (int64_t)nodes[v->rows[r].proc->id].subtree.upper.kib);
    column_end(&c, false);
    column_begin(&c, b, "proven", false);
    for (size_t r = 0; r < v->n_rows; r++)
        column_add(&c, nodes[v->rows[r].proc->id].subtree.upper.proven);
    column_end(&c, true);
    buf_puts(b, "}");
    free(own);
    free(row_of);
}

/* The most buckets each series may keep so that all of them fit the budget: long series give way first. */
static uint32_t series_cap(const struct report_view *v)
{
    uint64_t total = 0;
    uint32_t longest = 0;
    for (size_t i = 0; i < v->n_rows; i++) {
        uint32_t n = v->rows[i].proc->series.count;
        total += n;
        longest = n > longest ? n : longest;
    }
    if (total <= HTML_SERIES_BUDGET)
        return longest;
    uint32_t lo = 1, hi = longest;
    while (lo < hi) { /* the largest cap whose sum stays within the budget */
        uint32_t mid = lo + (hi - lo + 1) / 2;
        uint64_t sum = 0;
        for (size_t i = 0; i < v->n_rows; i++) {
            uint32_t n = v->rows[i].proc->series.count;
            sum += n < mid ? n : mid;
        }
        if (sum <= HTML_SERIES_BUDGET)
            lo = mid;
        else
            hi = mid - 1;
    }
    return lo;
}

/* Each series as t0, bucket width and count, its values (0: no sample) delta-encoded back to back; a series
 * longer than cap is merged factor buckets at a time, keeping each one's maximum. */
static void html_series(struct html_buf *b, const struct report_view *v)
{
    const struct jobtable *jt = v->jt;
    uint32_t cap = series_cap(v);
    struct html_column c;
    buf_puts(b, ",\"s\":{");
    column_begin(&c, b, "t0", false);
    for (size_t i = 0; i < v->n_rows; i++)
        column_add(&c, v->rows[i].proc->series.count ? html_ms(jt, v->rows[i].proc->series.t0_ns) : 0);
    column_end(&c, false);
    column_begin(&c, b, "bucket", false);
    for (size_t i = 0; i < v->n_rows; i++) {
        const struct jt_series *s = &v->rows[i].proc->series;
        uint32_t factor = s->count > cap ? (s->count + cap - 1) / cap : 1;
        column_add(&c, s->bucket_ns * factor / HTML_NS_PER_MS);
    }
    column_end(&c, false);
    column_begin(&c, b, "n", false);
    for (size_t i = 0; i < v->n_rows; i++) {
        const struct jt_series *s = &v->rows[i].proc->series;
        uint32_t factor = s->count > cap ? (s->count + cap - 1) / cap : 1;
        column_add(&c, (s->count + factor - 1) / factor);
    }
    column_end(&c, false);
    column_begin(&c, b, "v", true);
    for (size_t i = 0; i < v->n_rows; i++) {
        const struct jt_series *s = &v->rows[i].proc->series;
        uint32_t factor = s->count > cap ? (s->count + cap - 1) / cap : 1;
        for (uint32_t k = 0; k < s->count; k += factor) {
            uint64_t m = 0;
            for (uint32_t j = k; j < k + factor && j < s->count; j++)
                m = s->max_kib[j] > m ? s->max_kib[j] : m;
            column_add(&c, (int64_t)m);
        }
    }
    column_end(&c, true);
    buf_puts(b, "}");
}

/* The job-wide samples; above the budget, each run of factor samples keeps its highest one (so the sampled
 * total peak survives). */
static void html_timeline(struct html_buf *b, const struct report_view *v)
{
    const struct jobtable *jt = v->jt;
    size_t n = jt->n_samples;
    size_t factor = n > HTML_TIMELINE_BUDGET ? (n + HTML_TIMELINE_BUDGET - 1) / HTML_TIMELINE_BUDGET : 1;
    struct html_column t, kib, count;
    buf_printf(b, ",\"tl\":{\"reduced\":%zu,", factor);
    column_begin(&t, b, "t", true);
    for (size_t i = 0; i < n; i += factor) {
        size_t best = i;
        for (size_t j = i; j < i + factor && j < n; j++)
            best = jt->samples[j].total_kib > jt->samples[best].total_kib ? j : best;
        column_add(&t, html_ms(jt, jt->samples[best].t_ns));
    }
    column_end(&t, false);
    column_begin(&kib, b, "kib", true);
    for (size_t i = 0; i < n; i += factor) {
        uint64_t m = 0;
        for (size_t j = i; j < i + factor && j < n; j++)
            m = jt->samples[j].total_kib > m ? jt->samples[j].total_kib : m;
        column_add(&kib, (int64_t)m);
    }
    column_end(&kib, false);
    column_begin(&count, b, "n", true);
    for (size_t i = 0; i < n; i += factor) {
        size_t best = i;
        for (size_t j = i; j < i + factor && j < n; j++)
            best = jt->samples[j].total_kib > jt->samples[best].total_kib ? j : best;
        column_add(&count, jt->samples[best].process_count);
    }
    column_end(&count, true);
    buf_puts(b, "}}");
}

static void out_base64(struct report_out *o, const unsigned char *data, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char line[HTML_BASE64_LINE + 2];
    size_t at = 0;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t w = (uint32_t)data[i] << 16;
        if (i + 1 < n)
            w |= (uint32_t)data[i + 1] << 8;
        if (i + 2 < n)
            w |= data[i + 2];
        line[at++] = alphabet[(w >> 18) & 63];
        line[at++] = alphabet[(w >> 12) & 63];
        line[at++] = i + 1 < n ? alphabet[(w >> 6) & 63] : '=';
        line[at++] = i + 2 < n ? alphabet[w & 63] : '=';
        if (at == HTML_BASE64_LINE || i + 3 >= n) {
            line[at++] = '\n';
            line[at] = '\0';
            report_out_puts(o, line);
            at = 0;
        }
    }
}

/* The data element: zlib-compressed and base64 when zlib is here (the page inflates it with
 * DecompressionStream), else the JSON itself, which buf_string made safe inside a script element. */
static int out_data(struct report_out *o, const struct html_buf *b)
{
#ifdef MEMWATCH_HAVE_ZLIB
    uLongf size = compressBound((uLong)b->len);
    unsigned char *z = malloc(size);
    if (z == NULL || compress2(z, &size, (const Bytef *)b->text, (uLong)b->len, Z_BEST_COMPRESSION) != Z_OK) {
        free(z);
        return -1;
    }
    report_out_puts(o, "<script type=\"application/json\" id=\"mw-data\" data-encoding=\"deflate-base64\">\n");
    out_base64(o, z, size);
    free(z);
#else
    report_out_puts(o, "<script type=\"application/json\" id=\"mw-data\" data-encoding=\"json\">");
    report_out_puts(o, b->text);
#endif
    report_out_puts(o, "</script>");
    return 0;
}

/* Writes the template, putting the style, the script and the data where its marks are. */
static int out_page(struct report_out *o, const struct html_buf *b)
{
    const char *page = (const char *)html_asset_html;
    struct {
        const char *mark;
        const unsigned char *text;
        size_t len;
    } parts[] = {{HTML_MARK_CSS, html_asset_css, html_asset_css_len},
                 {HTML_MARK_DATA, NULL, 0},
                 {HTML_MARK_JS, html_asset_js, html_asset_js_len}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        const char *at = strstr(page, parts[i].mark);
        if (at == NULL)
            return -1;
        report_out_printf(o, "%.*s", (int)(at - page), page);
        if (parts[i].text != NULL)
            report_out_printf(o, "%.*s", (int)parts[i].len, (const char *)parts[i].text);
        else if (out_data(o, b) != 0)
            return -1;
        page = at + strlen(parts[i].mark);
    }
    report_out_puts(o, page);
    (void)html_asset_html_len;
    return 0;
}

int report_html_write(FILE *out, const struct report_view *v)
{
    struct html_buf b = {0};
    struct report_out o;

    html_job(&b, v);
    html_totals(&b, v);
    html_processes(&b, v);
    html_tree(&b, v);
    html_series(&b, v);
    html_timeline(&b, v);
    report_out_init(&o, out);
    int built = b.failed ? -1 : out_page(&o, &b);
    free(b.text);
    int rc = report_out_finish(&o);
    if (built != 0) {
        errno = ENOMEM;
        return -1;
    }
    return rc;
}
