/* The job table: merges agent reports, poller sightings and wait results into one model of the job. */
#include "jobtable.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define JT_LIVE_MIN_CAP 64
#define JT_SERIES_FIRST_BUCKET_NS 100000000LL /* 100 ms; doubles as the series fills */
#define JT_SERIES_FIRST_CAP 8
#define JT_RECENT_SCAN 256 /* how far back a late wait result looks for its vanished process */

/* ---- pid -> live process index (open addressing, linear probing, backward-shift delete) ---- */

static size_t live_slot(pid_t pid, size_t cap) { return ((uint32_t)pid * 2654435761u) & (cap - 1); }

static int live_grow(struct jobtable *jt)
{
    size_t cap = jt->live_cap ? jt->live_cap * 2 : JT_LIVE_MIN_CAP;
    uint32_t *slots = calloc(cap, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i < jt->live_cap; i++) {
        uint32_t v = jt->live_index[i];
        if (!v)
            continue;
        size_t s = live_slot(jt->procs[v - 1]->pid, cap);
        while (slots[s])
            s = (s + 1) & (cap - 1);
        slots[s] = v;
    }
    free(jt->live_index);
    jt->live_index = slots;
    jt->live_cap = cap;
    return 0;
}

static int live_insert(struct jobtable *jt, struct jt_process *p)
{
    if ((jt->live_count + 1) * 2 > jt->live_cap && live_grow(jt) != 0)
        return -1;
    size_t s = live_slot(p->pid, jt->live_cap);
    while (jt->live_index[s])
        s = (s + 1) & (jt->live_cap - 1);
    jt->live_index[s] = p->id + 1;
    jt->live_count++;
    return 0;
}

static void live_remove(struct jobtable *jt, const struct jt_process *p)
{
    size_t mask = jt->live_cap - 1;
    if (!jt->live_cap)
        return;
    size_t s = live_slot(p->pid, jt->live_cap);
    while (jt->live_index[s] && jt->live_index[s] != p->id + 1)
        s = (s + 1) & mask;
    if (!jt->live_index[s])
        return;
    jt->live_index[s] = 0;
    jt->live_count--;
    /* Backward shift: move later entries of the probe run into the hole so lookups never stop early. */
    size_t hole = s;
    for (size_t i = (s + 1) & mask; jt->live_index[i]; i = (i + 1) & mask) {
        size_t home = live_slot(jt->procs[jt->live_index[i] - 1]->pid, jt->live_cap);
        bool movable = (i > hole) ? (home <= hole || home > i) : (home <= hole && home > i);
        if (movable) {
            jt->live_index[hole] = jt->live_index[i];
            jt->live_index[i] = 0;
            hole = i;
        }
    }
}

struct jt_process *jobtable_find_live(const struct jobtable *jt, pid_t pid)
{
    if (!jt->live_cap)
        return NULL;
    size_t s = live_slot(pid, jt->live_cap);
    while (jt->live_index[s]) {
        struct jt_process *p = jt->procs[jt->live_index[s] - 1];
        if (p->pid == pid)
            return p;
        s = (s + 1) & (jt->live_cap - 1);
    }
    return NULL;
}

/* ---- lifecycle ---- */

void jobtable_init(struct jobtable *jt) { memset(jt, 0, sizeof *jt); }

/* ru_maxrss lags the kernel's lazily updated counters by a few pages: a bound below a figure actually seen
 * is raised to it, so bound_kib stays an upper bound of every figure of the process. */
static void bound_cover_figures(struct jt_process *p)
{
    if (!p->bound_kib)
        return;
    for (uint32_t i = 0; i < p->n_images; i++) {
        if (p->images[i].exact.kib > p->bound_kib)
            p->bound_kib = p->images[i].exact.kib;
        if (p->images[i].sampled.kib > p->bound_kib)
            p->bound_kib = p->images[i].sampled.kib;
    }
}

/* ---- argv blocks, pooled by content ---- */

/* Laid out as: this header, char *argv[argc + 1], the strings, the label, exe. Everything after the
 * pointers is position-independent, so two blocks are equal when those bytes are. */
struct jt_argv_block {
    struct jt_argv_block *next; /* in its pool bucket */
    uint32_t hash;
    uint32_t refs;
    uint32_t argc;
    size_t size; /* bytes after the pointers */
};

#define JT_POOL_MIN_CAP 256

static char **block_argv(struct jt_argv_block *b) { return (char **)(b + 1); }
static const char *block_bytes(const struct jt_argv_block *b)
{
    return (const char *)(b + 1) + ((size_t)b->argc + 1) * sizeof(char *);
}
static struct jt_argv_block *block_of(char **argv) { return (struct jt_argv_block *)argv - 1; }

static uint32_t block_hash(const struct jt_argv_block *b)
{
    uint32_t h = 2166136261u ^ b->argc; /* FNV-1a */
    const unsigned char *c = (const unsigned char *)block_bytes(b);
    for (size_t i = 0; i < b->size; i++)
        h = (h ^ c[i]) * 16777619u;
    return h;
}

static int pool_grow(struct jt_argv_pool *pool)
{
    size_t cap = pool->cap ? pool->cap * 2 : JT_POOL_MIN_CAP;
    struct jt_argv_block **buckets = calloc(cap, sizeof *buckets);
    if (!buckets)
        return -1;
    for (size_t i = 0; i < pool->cap; i++) {
        for (struct jt_argv_block *b = pool->buckets[i], *next; b; b = next) {
            next = b->next;
            b->next = buckets[b->hash & (cap - 1)];
            buckets[b->hash & (cap - 1)] = b;
        }
    }
    free(pool->buckets);
    pool->buckets = buckets;
    pool->cap = cap;
    return 0;
}

/* Returns the pooled block equal to fresh (freeing fresh), or fresh itself, now pooled. */
static struct jt_argv_block *pool_intern(struct jt_argv_pool *pool, struct jt_argv_block *fresh)
{
    fresh->hash = block_hash(fresh);
    if (pool->cap) {
        for (struct jt_argv_block *b = pool->buckets[fresh->hash & (pool->cap - 1)]; b; b = b->next) {
            if (b->hash == fresh->hash && b->argc == fresh->argc && b->size == fresh->size &&
                memcmp(block_bytes(b), block_bytes(fresh), b->size) == 0) {
                free(fresh);
                b->refs++;
                return b;
            }
        }
    }
    if (pool->count + 1 > pool->cap && pool_grow(pool) != 0) {
        fresh->refs = 1; /* unpooled, still correct: released by reference count alone */
        fresh->next = NULL;
        fresh->hash = 0;
        return fresh;
    }
    size_t slot = fresh->hash & (pool->cap - 1);
    fresh->refs = 1;
    fresh->next = pool->buckets[slot];
    pool->buckets[slot] = fresh;
    pool->count++;
    return fresh;
}

static void pool_release(struct jt_argv_pool *pool, struct jt_argv_block *b)
{
    if (--b->refs)
        return;
    if (pool->cap) {
        for (struct jt_argv_block **at = &pool->buckets[b->hash & (pool->cap - 1)]; *at; at = &(*at)->next) {
            if (*at == b) {
                *at = b->next;
                pool->count--;
                break;
            }
        }
    }
    free(b);
}

static void image_free(struct jobtable *jt, struct jt_image *img)
{
    if (img->argv)
        pool_release(&jt->argv_pool, block_of(img->argv));
    img->argv = NULL;
    img->exe = NULL;
    img->label = NULL;
}

void jobtable_free(struct jobtable *jt)
{
    for (size_t i = 0; i < jt->n_procs; i++) {
        struct jt_process *p = jt->procs[i];
        for (uint32_t k = 0; k < p->n_images; k++)
            image_free(jt, &p->images[k]);
        free(p->images);
        free(p->series.max_kib);
        free(p);
    }
    free(jt->procs);
    free(jt->argv_pool.buckets);
    free(jt->live_index);
    free(jt->samples);
    for (uint32_t i = 0; i < jt->job.argc; i++)
        free(jt->job.argv[i]);
    free(jt->job.argv);
    free(jt->job.memwatch_version);
    free(jt->job.kernel);
    free(jt->job.hostname);
    memset(jt, 0, sizeof *jt);
}

struct jt_image *jobtable_current_image(const struct jt_process *p)
{
    return p->n_images ? &p->images[p->n_images - 1] : NULL;
}

/* ---- images ---- */

/* Writes argv joined by spaces and a NUL at w; returns the end of what it wrote. */
static char *join_into(char *w, char *const *argv, uint32_t argc)
{
    for (uint32_t i = 0; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (i)
            *w++ = ' ';
        memcpy(w, argv[i], n);
        w += n;
    }
    *w++ = '\0';
    return w;
}

char *jobtable_join_argv(char *const *argv, uint32_t argc)
{
    size_t len = 1;
    for (uint32_t i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *s = malloc(len);
    if (s)
        join_into(s, argv, argc);
    return s;
}

/* Builds an image's argv from a blob of back-to-back NUL-terminated strings (stopping at the blob's end
 * even without a final NUL). argv, the strings, the label and exe share one block, pooled by content. */
static int image_set_argv(struct jobtable *jt, struct jt_image *img, const struct jt_image_desc *d)
{
    uint32_t n = 0;
    size_t strings = 0;
    for (size_t off = 0; off < d->argv_len; n++) {
        size_t len = strnlen(d->argv_blob + off, d->argv_len - off);
        strings += len + 1;
        off += len + 1;
    }
    size_t exe_len = (d->exe && d->exe[0]) ? strlen(d->exe) + 1 : 0;
    size_t label_len = strings ? strings : 1; /* the args joined by spaces, and a NUL */
    size_t pointers = ((size_t)n + 1) * sizeof(char *);
    /* Bytes: strings, label, a byte saying whether exe is known (so "" and unknown differ), exe. */
    size_t size = strings + label_len + 1 + exe_len;
    struct jt_argv_block *blk = malloc(sizeof *blk + pointers + size);
    if (!blk)
        return -1;
    blk->argc = n;
    blk->size = size;
    char *bytes = (char *)block_argv(blk) + pointers;
    char *w = bytes;
    for (size_t off = 0, i = 0; i < n; i++) {
        size_t len = strnlen(d->argv_blob + off, d->argv_len - off);
        memcpy(w, d->argv_blob + off, len);
        w[len] = '\0';
        w += len + 1;
        off += len + 1;
    }
    /* The label is the same bytes with spaces between the arguments. */
    char *label = bytes + strings;
    memcpy(label, bytes, strings);
    for (size_t i = 0; i + 1 < strings; i++)
        if (label[i] == '\0')
            label[i] = ' ';
    label[label_len - 1] = '\0';
    label[label_len] = exe_len != 0;
    if (exe_len)
        memcpy(label + label_len + 1, d->exe, exe_len);

    blk = pool_intern(&jt->argv_pool, blk);
    char **argv = block_argv(blk);
    bytes = (char *)argv + pointers;
    for (uint32_t i = 0, off = 0; i < n; i++) {
        argv[i] = bytes + off;
        off += (uint32_t)strlen(bytes + off) + 1;
    }
    argv[n] = NULL;
    image_free(jt, img);
    img->argv = argv;
    img->argc = n;
    img->label = bytes + strings;
    img->exe = exe_len ? bytes + strings + label_len + 1 : NULL;
    img->argv_truncated = d->argv_truncated || (d->argc > n);
    return 0;
}

/* The command line desc describes, compared with a label without building one. Where either side was cut
 * short (agent and poller cut at different lengths), the shorter must be a prefix of the longer. */
static bool label_matches(const char *label, bool label_truncated, const struct jt_image_desc *d)
{
    const char *l = label;
    uint32_t n = 0;
    for (size_t off = 0; off < d->argv_len; n++) {
        size_t len = strnlen(d->argv_blob + off, d->argv_len - off);
        if (n > 0 && *l++ != ' ')
            return l[-1] == '\0' && (label_truncated || d->argv_truncated);
        for (size_t i = 0; i < len; i++, l++)
            if (*l != d->argv_blob[off + i])
                return *l == '\0' && (label_truncated || d->argv_truncated);
        off += len + 1;
    }
    bool desc_truncated = d->argv_truncated || d->argc > n;
    return *l == '\0' || desc_truncated;
}

/* Inserts a new image at its place in start order; returns it, or NULL. */
static struct jt_image *image_insert(struct jobtable *jt, struct jt_process *p, const struct jt_image_desc *d)
{
    if (p->n_images == p->cap_images) {
        uint32_t cap = p->cap_images ? p->cap_images * 2 : 1;
        struct jt_image *imgs = realloc(p->images, cap * sizeof *imgs);
        if (!imgs)
            return NULL;
        p->images = imgs;
        p->cap_images = cap;
    }
    uint32_t at = p->n_images;
    while (at > 0 && p->images[at - 1].start_ns > d->t_ns)
        at--;
    struct jt_image fresh = {0};
    if (image_set_argv(jt, &fresh, d) != 0)
        return NULL;
    memmove(&p->images[at + 1], &p->images[at], (p->n_images - at) * sizeof *p->images);
    p->n_images++;
    struct jt_image *img = &p->images[at];
    *img = fresh;
    img->start_ns = d->t_ns;
    img->sources = d->source;
    img->placeholder = d->placeholder;
    /* Keep lifetimes contiguous: an image ends where the next one starts. */
    if (at > 0 && (p->images[at - 1].end_ns == 0 || p->images[at - 1].end_ns > d->t_ns))
        p->images[at - 1].end_ns = d->t_ns;
    if (at + 1 < p->n_images)
        img->end_ns = p->images[at + 1].start_ns;
    else if (p->end_ns)
        img->end_ns = p->end_ns > d->t_ns ? p->end_ns : d->t_ns;
    return img;
}

static bool image_same_label(const struct jt_image *img, const struct jt_image_desc *d)
{
    return label_matches(img->label, img->argv_truncated, d);
}

static bool is_parent_label(const struct jobtable *jt, pid_t ppid, const char *label)
{
    const struct jt_process *parent = ppid > 0 ? jobtable_find_live(jt, ppid) : NULL;
    return parent && strcmp(jobtable_current_image(parent)->label, label) == 0;
}

static struct jt_process *process_new(struct jobtable *jt, const struct jt_image_desc *d)
{
    if (jt->n_procs == jt->cap_procs) {
        size_t cap = jt->cap_procs ? jt->cap_procs * 2 : 64;
        struct jt_process **procs = realloc(jt->procs, cap * sizeof *procs);
        if (!procs)
            return NULL;
        jt->procs = procs;
        jt->cap_procs = cap;
    }
    struct jt_process *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->id = (uint32_t)jt->n_procs;
    p->pid = d->pid;
    p->ppid = d->ppid;
    p->starttime_ticks = d->starttime_ticks;
    p->first_seen_ns = d->t_ns;
    p->last_seen_ns = d->t_ns;
    p->sources = d->source;
    p->forked = d->forked;
    struct jt_image *first = image_insert(jt, p, d);
    if (!first) {
        free(p);
        return NULL;
    }
    first->parent_copy = d->forked || is_parent_label(jt, d->ppid, first->label);
    jt->procs[jt->n_procs++] = p;
    if (live_insert(jt, p) != 0) {
        jt->n_procs--;
        image_free(jt, &p->images[0]);
        free(p->images);
        free(p);
        return NULL;
    }
    return p;
}

static void process_end(struct jobtable *jt, struct jt_process *p, int64_t t_ns)
{
    if (p->end_ns)
        return;
    p->end_ns = t_ns > p->last_seen_ns ? t_ns : p->last_seen_ns;
    struct jt_image *img = jobtable_current_image(p);
    if (img && !img->end_ns)
        img->end_ns = p->end_ns;
    live_remove(jt, p);
}

void jobtable_gone(struct jobtable *jt, struct jt_process *p, int64_t t_ns)
{
    if (p->end != JT_END_RUNNING || p->end_ns)
        return;
    p->end = JT_END_GONE;
    process_end(jt, p, t_ns);
}

/* The live process for desc, after retiring one whose pid was reused (told apart by starttime). */
static struct jt_process *live_identity(struct jobtable *jt, const struct jt_image_desc *d)
{
    struct jt_process *p = jobtable_find_live(jt, d->pid);
    if (p && d->starttime_ticks && p->starttime_ticks && p->starttime_ticks != d->starttime_ticks) {
        jobtable_gone(jt, p, d->t_ns);
        p = NULL;
    }
    if (p && !p->starttime_ticks)
        p->starttime_ticks = d->starttime_ticks;
    return p;
}

static void process_touch(struct jt_process *p, const struct jt_image_desc *d)
{
    p->sources |= d->source;
    if (d->t_ns < p->first_seen_ns)
        p->first_seen_ns = d->t_ns;
    if (d->t_ns > p->last_seen_ns)
        p->last_seen_ns = d->t_ns;
    /* The first parent is the informative one; a later one is the subreaper that adopted an orphan. */
    if (p->ppid <= 0 && d->ppid > 0)
        p->ppid = d->ppid;
}

/* A process already ended whose report of an earlier image arrives late: same pid and start time, or
 * (start time unknown) an end after the image began. */
static struct jt_process *ended_identity(const struct jobtable *jt, const struct jt_image_desc *d)
{
    size_t stop = jt->n_procs > JT_RECENT_SCAN ? jt->n_procs - JT_RECENT_SCAN : 0;
    for (size_t i = jt->n_procs; i-- > stop;) {
        struct jt_process *p = jt->procs[i];
        if (p->pid != d->pid)
            continue;
        if (!p->end_ns)
            return NULL;
        if (p->starttime_ticks && d->starttime_ticks)
            return p->starttime_ticks == d->starttime_ticks ? p : NULL;
        return p->end_ns >= d->t_ns ? p : NULL;
    }
    return NULL;
}

/* A vfork child seen by the poller before its exec shares its parent's memory and command line: it is not
 * an image of its own. (A fork child would have reported itself through the agent's fork hook.) */
static bool is_vfork_copy(const struct jobtable *jt, const struct jt_process *p)
{
    const struct jt_image *cur = jobtable_current_image(p);
    if (p->n_images != 1 || p->forked || (cur->sources & JT_SOURCE_AGENT))
        return false;
    if (cur->placeholder)
        return true; /* nothing known of it but its name: the agent's report is the better one */
    const struct jt_process *parent = jobtable_find_live(jt, p->ppid);
    return parent && strcmp(jobtable_current_image(parent)->label, cur->label) == 0;
}

struct jt_process *jobtable_image_started(struct jobtable *jt, const struct jt_image_desc *d)
{
    if (d->source == JT_SOURCE_AGENT)
        jt->stats.agent_images++;
    struct jt_process *p = live_identity(jt, d);
    if (!p)
        p = ended_identity(jt, d);
    if (!p)
        return process_new(jt, d);
    process_touch(p, d);
    struct jt_image *first = &p->images[0];
    struct jt_image *cur = jobtable_current_image(p);
    /* The agent reconnects after a host closed its descriptor and repeats its start: same image. */
    for (uint32_t i = 0; i < p->n_images; i++)
        if (p->images[i].start_ns == d->t_ns && (p->images[i].sources & JT_SOURCE_AGENT))
            return p;
    if (d->forked) {
        /* A fork child's own report of the image it began with: it may arrive after the poller (or
         * after its own exec's report) created the process. */
        p->forked = true;
        if (first->start_ns <= d->t_ns || !(first->sources & JT_SOURCE_AGENT)) {
            first->sources |= d->source;
            if (d->t_ns < first->start_ns)
                first->start_ns = d->t_ns;
            if (p->n_images == 1 || image_same_label(first, d))
                first->parent_copy = true;
            return p;
        }
        struct jt_image *copy = image_insert(jt, p, d);
        if (copy)
            copy->parent_copy = true;
        return copy ? p : NULL;
    }
    if (is_vfork_copy(jt, p) && image_set_argv(jt, cur, d) == 0) {
        cur->sources = d->source;
        cur->placeholder = false;
        cur->parent_copy = false;
        cur->sampled = (struct jt_peak){0};
        cur->start_ns = d->t_ns < cur->start_ns ? d->t_ns : cur->start_ns;
        return p;
    }
    /* The poller may have seen this image before the agent's report: merge rather than duplicate. */
    if (!(cur->sources & JT_SOURCE_AGENT) && image_same_label(cur, d)) {
        cur->sources |= d->source;
        if (d->t_ns < cur->start_ns)
            cur->start_ns = d->t_ns;
        /* Take the agent's copy (it knows exe) unless the poller's command line is the longer one. */
        if (!cur->exe && d->exe && d->exe[0] && (cur->argv_truncated || !d->argv_truncated))
            image_set_argv(jt, cur, d);
        return p;
    }
    return image_insert(jt, p, d) ? p : NULL;
}

static void series_merge_pairs(struct jt_series *s)
{
    uint32_t n = (s->count + 1) / 2;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t a = s->max_kib[2 * i];
        uint64_t b = (2 * i + 1 < s->count) ? s->max_kib[2 * i + 1] : 0;
        s->max_kib[i] = a > b ? a : b;
    }
    s->count = n;
    s->bucket_ns *= 2;
}

int jt_series_add(struct jt_series *s, int64_t t_ns, uint64_t kib)
{
    if (!s->max_kib) {
        s->max_kib = calloc(JT_SERIES_FIRST_CAP, sizeof *s->max_kib);
        if (!s->max_kib)
            return -1;
        s->cap = JT_SERIES_FIRST_CAP;
        s->t0_ns = t_ns;
        s->bucket_ns = JT_SERIES_FIRST_BUCKET_NS;
    }
    if (t_ns < s->t0_ns)
        t_ns = s->t0_ns;
    int64_t idx = (t_ns - s->t0_ns) / s->bucket_ns;
    while (idx >= JT_SERIES_MAX) {
        series_merge_pairs(s);
        idx = (t_ns - s->t0_ns) / s->bucket_ns;
    }
    if ((uint32_t)idx >= s->cap) {
        uint32_t cap = s->cap;
        while (cap <= (uint32_t)idx)
            cap *= 2;
        if (cap > JT_SERIES_MAX)
            cap = JT_SERIES_MAX;
        uint64_t *m = realloc(s->max_kib, cap * sizeof *m);
        if (!m)
            return -1;
        s->max_kib = m;
        s->cap = cap;
    }
    while (s->count <= (uint32_t)idx)
        s->max_kib[s->count++] = 0;
    if (kib > s->max_kib[idx])
        s->max_kib[idx] = kib;
    return 0;
}

struct jt_process *jobtable_observed(struct jobtable *jt, const struct jt_image_desc *d, uint64_t rss_kib)
{
    struct jt_process *p = live_identity(jt, d);
    if (!p) {
        if (!d->argv_blob)
            return NULL; /* a new process needs its command line */
        p = process_new(jt, d);
        if (!p)
            return NULL;
    } else {
        process_touch(p, d);
        struct jt_image *cur = jobtable_current_image(p);
        /* The agent reports its own execs; a relabel from the poller is believed only where the agent
         * is absent or announced an exec it could not follow (into a static or setuid program). */
        bool believe = !(cur->sources & JT_SOURCE_AGENT) || cur->exec_pending;
        if (d->argv_blob && !d->placeholder && believe && !image_same_label(cur, d) && d->t_ns >= cur->start_ns)
            image_insert(jt, p, d);
    }
    struct jt_image *cur = jobtable_current_image(p);
    if (rss_kib > cur->sampled.kib || cur->sampled.kind == JT_PEAK_NONE) {
        cur->sampled.kib = rss_kib;
        cur->sampled.at_ns = d->t_ns;
        cur->sampled.kind = JT_PEAK_SAMPLED;
    }
    p->last_rss_kib = rss_kib;
    jt_series_add(&p->series, d->t_ns, rss_kib);
    return p;
}

static struct jt_image *image_by_start(struct jt_process *p, int64_t start_ns)
{
    if (start_ns == 0)
        return jobtable_current_image(p);
    for (uint32_t i = p->n_images; i-- > 0;)
        if (p->images[i].start_ns <= start_ns)
            return &p->images[i];
    return &p->images[0];
}

void jobtable_image_peak(struct jobtable *jt, struct jt_process *p, const struct jt_peak_report *r)
{
    (void)jt;
    struct jt_image *img = image_by_start(p, r->image_start_ns);
    if (img->exact.kind != JT_PEAK_EXACT || r->hwm_kib >= img->exact.kib) {
        img->exact.kib = r->hwm_kib;
        img->exact.at_ns = r->t_ns;
        img->exact.kind = JT_PEAK_EXACT;
    }
    if (r->utime_us > img->cpu_user_us)
        img->cpu_user_us = r->utime_us;
    if (r->stime_us > img->cpu_sys_us)
        img->cpu_sys_us = r->stime_us;
    img->exec_pending = r->at_exec;
    if (r->t_ns > p->last_seen_ns)
        p->last_seen_ns = r->t_ns;
    bound_cover_figures(p);
}

/* A recently vanished process with this pid, if the wait that explains it comes late. */
static struct jt_process *recently_gone(const struct jobtable *jt, pid_t pid)
{
    size_t stop = jt->n_procs > JT_RECENT_SCAN ? jt->n_procs - JT_RECENT_SCAN : 0;
    for (size_t i = jt->n_procs; i-- > stop;)
        if (jt->procs[i]->pid == pid)
            return jt->procs[i]->end == JT_END_GONE ? jt->procs[i] : NULL;
    return NULL;
}

struct jt_process *jobtable_reaped(struct jobtable *jt, const struct jt_reaped *r)
{
    struct jt_process *p = jobtable_find_live(jt, r->pid);
    if (!p)
        p = recently_gone(jt, r->pid);
    if (!p)
        return NULL;
    if (WIFEXITED(r->wait_status)) {
        p->end = JT_END_EXITED;
        p->exit_code = WEXITSTATUS(r->wait_status);
    } else if (WIFSIGNALED(r->wait_status)) {
        p->end = JT_END_SIGNALED;
        p->signal = WTERMSIG(r->wait_status);
    } else {
        return p; /* stopped or continued: not an end */
    }
    if (r->maxrss_kib > p->bound_kib)
        p->bound_kib = r->maxrss_kib;
    bound_cover_figures(p);
    p->sources |= JT_SOURCE_REAPER;
    struct jt_image *cur = jobtable_current_image(p);
    if (r->utime_us > cur->cpu_user_us)
        cur->cpu_user_us = r->utime_us;
    if (r->stime_us > cur->cpu_sys_us)
        cur->cpu_sys_us = r->stime_us;
    process_end(jt, p, r->t_ns);
    return p;
}

int jobtable_add_sample(struct jobtable *jt, int64_t t_ns, uint64_t total_kib, uint32_t process_count)
{
    if (jt->n_samples == jt->cap_samples) {
        size_t cap = jt->cap_samples ? jt->cap_samples * 2 : 256;
        struct jt_sample *s = realloc(jt->samples, cap * sizeof *s);
        if (!s)
            return -1;
        jt->samples = s;
        jt->cap_samples = cap;
    }
    jt->samples[jt->n_samples++] = (struct jt_sample){t_ns, total_kib, process_count};
    return 0;
}

void jobtable_finish(struct jobtable *jt, int64_t end_ns)
{
    jt->job.end_ns = end_ns;
    for (size_t i = 0; i < jt->n_procs; i++) {
        struct jt_process *p = jt->procs[i];
        if (!p->end_ns && p->last_seen_ns < end_ns && p->end == JT_END_RUNNING)
            p->last_seen_ns = end_ns;
    }
}

/* ---- peaks ---- */

#define JT_PEAK_TIME_TOLERANCE_PCT 95

struct jt_peak jobtable_image_best_peak(const struct jt_image *img)
{
    if (img->exact.kind != JT_PEAK_EXACT)
        return img->sampled;
    struct jt_peak pk = img->exact;
    if (img->sampled.kind == JT_PEAK_SAMPLED && img->sampled.kib * 100 >= pk.kib * JT_PEAK_TIME_TOLERANCE_PCT)
        pk.at_ns = img->sampled.at_ns;
    return pk;
}

struct jt_peak jobtable_process_peak(const struct jt_process *p)
{
    struct jt_peak best = {0};
    bool all_exact = p->n_images > 0;
    for (uint32_t i = 0; i < p->n_images; i++) {
        if (p->images[i].parent_copy && i + 1 < p->n_images)
            continue;
        struct jt_peak pk = jobtable_image_best_peak(&p->images[i]);
        if (pk.kind != JT_PEAK_EXACT)
            all_exact = false;
        if (pk.kind != JT_PEAK_NONE && (best.kind == JT_PEAK_NONE || pk.kib > best.kib))
            best = pk;
    }
    if (all_exact)
        return best;
    if (best.kind != JT_PEAK_NONE) {
        best.kind = JT_PEAK_SAMPLED;
        return best;
    }
    if (p->bound_kib)
        return (struct jt_peak){p->bound_kib, 0, JT_PEAK_BOUND};
    return best;
}

void jobtable_process_cpu(const struct jt_process *p, uint64_t *user_us, uint64_t *sys_us)
{
    *user_us = *sys_us = 0;
    for (uint32_t i = 0; i < p->n_images; i++) {
        if (p->images[i].cpu_user_us > *user_us)
            *user_us = p->images[i].cpu_user_us;
        if (p->images[i].cpu_sys_us > *sys_us)
            *sys_us = p->images[i].cpu_sys_us;
    }
}

struct jt_peak jobtable_total_sampled_peak(const struct jobtable *jt)
{
    struct jt_peak best = {0};
    for (size_t i = 0; i < jt->n_samples; i++) {
        if (best.kind == JT_PEAK_NONE || jt->samples[i].total_kib > best.kib) {
            best.kib = jt->samples[i].total_kib;
            best.at_ns = jt->samples[i].t_ns;
            best.kind = JT_PEAK_SAMPLED;
        }
    }
    return best;
}

struct sweep_event {
    int64_t t_ns;
    int64_t delta_kib; /* +peak at start, -peak at end */
};

static int sweep_cmp(const void *a, const void *b)
{
    const struct sweep_event *x = a, *y = b;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    /* At one instant, count starts before ends: the bound must cover a hand-over. */
    return (x->delta_kib < y->delta_kib) - (x->delta_kib > y->delta_kib);
}

static int64_t image_end_ns(const struct jobtable *jt, const struct jt_process *p, const struct jt_image *img)
{
    if (img->end_ns)
        return img->end_ns;
    if (p->end_ns)
        return p->end_ns;
    return jt->job.end_ns > img->start_ns ? jt->job.end_ns : img->start_ns;
}

/* The figure an image can be proven to stay under: its exact peak, else its process's bound; 0 and
 * *unbounded when neither is known (then the sampled figure stands in). */
static uint64_t image_upper(const struct jt_process *p, const struct jt_image *img, bool *unbounded)
{
    uint64_t v;
    if (img->exact.kind == JT_PEAK_EXACT)
        v = img->exact.kib;
    else if (p->bound_kib)
        v = p->bound_kib;
    else {
        *unbounded = true;
        v = 0;
    }
    /* A sample above a figure would disprove it: trust the larger. */
    return img->sampled.kib > v ? img->sampled.kib : v;
}

bool jobtable_total_upper_bound(const struct jobtable *jt, uint64_t *kib, size_t *unbounded_count)
{
    size_t n = 0, unbounded = 0;
    for (size_t i = 0; i < jt->n_procs; i++)
        n += jt->procs[i]->n_images;
    struct sweep_event *ev = calloc(n ? 2 * n : 1, sizeof *ev);
    if (!ev) {
        *kib = 0;
        *unbounded_count = n;
        return false;
    }
    size_t m = 0;
    for (size_t i = 0; i < jt->n_procs; i++) {
        const struct jt_process *p = jt->procs[i];
        bool lacks = false;
        int64_t held = 0; /* what the process holds in the sweep right now */
        for (uint32_t k = 0; k < p->n_images; k++) {
            const struct jt_image *img = &p->images[k];
            int64_t v = (int64_t)image_upper(p, img, &lacks);
            /* An exec hands the process over from one image to the next: a change, not a sum. */
            if (k > 0 && p->images[k - 1].end_ns == img->start_ns) {
                ev[m++] = (struct sweep_event){img->start_ns, v - held};
            } else {
                if (held)
                    ev[m++] = (struct sweep_event){image_end_ns(jt, p, &p->images[k - 1]), -held};
                ev[m++] = (struct sweep_event){img->start_ns, v};
            }
            held = v;
        }
        if (p->n_images)
            ev[m++] = (struct sweep_event){image_end_ns(jt, p, &p->images[p->n_images - 1]), -held};
        unbounded += lacks;
    }
    qsort(ev, m, sizeof *ev, sweep_cmp);
    int64_t cur = 0, best = 0;
    for (size_t i = 0; i < m; i++) {
        cur += ev[i].delta_kib;
        if (cur > best)
            best = cur;
    }
    free(ev);
    *kib = (uint64_t)best;
    *unbounded_count = unbounded;
    return unbounded == 0;
}

void jobtable_command_name(const struct jt_process *p, char *buf, size_t len)
{
    const struct jt_image *img = jobtable_current_image(p);
    const char *arg0 = (img && img->argc) ? img->argv[0] : "?";
    const char *slash = strrchr(arg0, '/');
    const char *base = (slash && slash[1]) ? slash + 1 : arg0;
    snprintf(buf, len, "%s", base);
}
