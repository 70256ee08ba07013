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
#define JT_RECENT_SCAN 256 /* how far back a late image report looks for its ended process */

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

/* A per-process extras array (elem-sized entries by process id) grown to hold id, new entries zeroed: the
 * array (moved, perhaps), with *cap updated; NULL on allocation failure, the old array left as it was. */
static void *extras_grow(void *array, size_t *cap, size_t elem, uint32_t id)
{
    if (id < *cap)
        return array;
    size_t n = *cap ? *cap : 64;
    while (n <= id)
        n *= 2;
    char *grown = realloc(array, n * elem);
    if (!grown)
        return NULL;
    memset(grown + *cap * elem, 0, (n - *cap) * elem);
    *cap = n;
    return grown;
}

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
    for (size_t i = 0; i < jt->group_samples.cap; i++)
        free(jt->group_samples.slots[i].name);
    free(jt->group_samples.slots);
    free(jt->io);
    free(jt->subtree);
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
    img->agent_start_ns = d->source == JT_SOURCE_AGENT ? d->t_ns : 0;
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
    /* A start already known (a repeated report): same image, however a merge moved its start since. */
    for (uint32_t i = 0; d->source == JT_SOURCE_AGENT && i < p->n_images; i++)
        if (p->images[i].agent_start_ns == d->t_ns)
            return p;
    if (d->forked) {
        /* A fork child's own report of the image it began with: it may arrive after the poller (or
         * after its own exec's report) created the process. */
        p->forked = true;
        if (first->start_ns <= d->t_ns || !(first->sources & JT_SOURCE_AGENT)) {
            first->sources |= d->source;
            first->agent_start_ns = d->t_ns;
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
        cur->agent_start_ns = d->t_ns;
        cur->placeholder = false;
        cur->parent_copy = false;
        cur->sampled = (struct jt_peak){0};
        cur->start_ns = d->t_ns < cur->start_ns ? d->t_ns : cur->start_ns;
        return p;
    }
    /* The poller may have seen this image before the agent's report: merge rather than duplicate. */
    if (!(cur->sources & JT_SOURCE_AGENT) && image_same_label(cur, d)) {
        cur->sources |= d->source;
        cur->agent_start_ns = d->t_ns;
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

int jt_series_add_max(struct jt_series *s, int64_t t_ns, uint64_t kib, uint32_t max)
{
    if (max < 2)
        max = 2;
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
    while (idx >= max) {
        series_merge_pairs(s);
        idx = (t_ns - s->t0_ns) / s->bucket_ns;
    }
    if ((uint32_t)idx >= s->cap) {
        uint32_t cap = s->cap;
        while (cap <= (uint32_t)idx)
            cap *= 2;
        if (cap > max)
            cap = max;
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

int jt_series_add(struct jt_series *s, int64_t t_ns, uint64_t kib)
{
    return jt_series_add_max(s, t_ns, kib, JT_SERIES_DEFAULT);
}

/* A process's series grows to the table's maximum while the budget lasts; after that, only to the floor. */
static void series_record(struct jobtable *jt, struct jt_series *s, int64_t t_ns, uint64_t kib)
{
    uint32_t max = jt->series_max ? jt->series_max : JT_SERIES_DEFAULT;
    if (jt->series_buckets >= JT_SERIES_BUDGET && max > JT_SERIES_FLOOR)
        max = s->cap > JT_SERIES_FLOOR ? s->cap : JT_SERIES_FLOOR;
    uint32_t before = s->cap;
    if (jt_series_add_max(s, t_ns, kib, max) == 0 && s->cap > before && s->cap > JT_SERIES_FLOOR)
        jt->series_buckets += s->cap - (before > JT_SERIES_FLOOR ? before : JT_SERIES_FLOOR);
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
        bool real_argv = d->argv_blob && !d->placeholder;
        /* A placeholder only stood in for a command line nobody could read yet: this sighting names it. */
        if (real_argv && cur->placeholder && !(cur->sources & JT_SOURCE_AGENT) && image_set_argv(jt, cur, d) == 0)
            cur->placeholder = false;
        else if (real_argv && believe && !image_same_label(cur, d) && d->t_ns >= cur->start_ns)
            image_insert(jt, p, d);
    }
    struct jt_image *cur = jobtable_current_image(p);
    /* VmHWM covers the spikes between samples since the image began; RSS alone only the instants. */
    uint64_t seen_kib = d->hwm_kib > rss_kib ? d->hwm_kib : rss_kib;
    if (seen_kib > cur->sampled.kib || cur->sampled.kind == JT_PEAK_NONE) {
        cur->sampled.kib = seen_kib;
        cur->sampled.at_ns = d->t_ns;
        cur->sampled.kind = JT_PEAK_SAMPLED;
    }
    p->last_rss_kib = rss_kib;
    p->last_rss_ns = d->t_ns;
    series_record(jt, &p->series, d->t_ns, rss_kib);
    return p;
}

/* The image an agent report names by its start instant (0: the current one). One the poller saw first, with
 * no agent report yet, is it when it began at or after that instant and before any image the agent named.
 * Otherwise the image's start report was lost: a placeholder stands for it, the agent's own. */
static struct jt_image *image_by_agent_start(struct jobtable *jt, struct jt_process *p, int64_t start_ns)
{
    if (start_ns == 0)
        return jobtable_current_image(p);
    for (uint32_t i = 0; i < p->n_images; i++)
        if (p->images[i].agent_start_ns == start_ns)
            return &p->images[i];
    for (uint32_t i = 0; i < p->n_images; i++) {
        struct jt_image *img = &p->images[i];
        if (img->start_ns < start_ns)
            continue;
        if (img->agent_start_ns)
            break;
        img->agent_start_ns = img->start_ns = start_ns;
        img->sources |= JT_SOURCE_AGENT;
        if (i > 0 && p->images[i - 1].end_ns > start_ns)
            p->images[i - 1].end_ns = start_ns;
        return img;
    }
    static const char blob[] = "[unknown]";
    struct jt_image_desc d = {.pid = p->pid, .ppid = p->ppid, .starttime_ticks = p->starttime_ticks,
                              .t_ns = start_ns, .argv_blob = blob, .argv_len = sizeof blob, .argc = 1,
                              .placeholder = true, .source = JT_SOURCE_AGENT};
    return image_insert(jt, p, &d);
}

void jobtable_image_peak(struct jobtable *jt, struct jt_process *p, const struct jt_peak_report *r)
{
    struct jt_image *img = image_by_agent_start(jt, p, r->image_start_ns);
    if (!img)
        return;
    if (img->exact.kind != JT_PEAK_EXACT || r->hwm_kib >= img->exact.kib) {
        img->exact.kib = r->hwm_kib;
        img->exact.at_ns = r->t_ns;
        img->exact.kind = JT_PEAK_EXACT;
    }
    if (r->at_exec)
        jobtable_cpu_reading(p, r->utime_us, r->stime_us);
    else
        p->cpu = (struct jt_cpu){r->utime_us, r->stime_us, JT_PEAK_EXACT};
    if (r->has_io && jt->job.with_io) {
        struct jt_io io = r->io;
        io.kind = r->at_exec ? JT_PEAK_SAMPLED : JT_PEAK_EXACT;
        jobtable_io_reading(jt, p, &io);
    }
    img->exec_pending = r->at_exec;
    if (r->t_ns > p->last_seen_ns)
        p->last_seen_ns = r->t_ns;
    bound_cover_figures(p);
}

/* The process a wait result at t_ns names: the live one with that pid unless it was first seen after the
 * wait (a reused pid: the result is an earlier process's), else one that vanished before the wait explained
 * it. The whole table is searched: with 2,000 processes alive, the one a late wait names can be far back. */
void jobtable_hwm_reading(struct jobtable *jt, struct jt_process *p, int64_t t_ns, uint64_t hwm_kib)
{
    (void)jt;
    struct jt_image *cur = jobtable_current_image(p);
    if (!cur || (cur->sampled.kind == JT_PEAK_SAMPLED && cur->sampled.kib >= hwm_kib))
        return;
    cur->sampled = (struct jt_peak){hwm_kib, t_ns, JT_PEAK_SAMPLED};
    bound_cover_figures(p);
}

#define JT_ANCESTRY_MAX 32

/* Whether reaper is p's parent, or an ancestor (a subreaper of the job reaps orphans). */
static bool reaped_by(const struct jobtable *jt, const struct jt_process *p, pid_t reaper)
{
    for (int depth = 0; p && depth < JT_ANCESTRY_MAX; depth++) {
        if (p->ppid == reaper)
            return true;
        p = p->ppid > 1 ? jobtable_find_live(jt, p->ppid) : NULL;
    }
    return false;
}

/* Whether a wait result names p: by start time when the reaper could tell it (memwatch reads the zombie's),
 * else a process that began before the wait and whose parent (or ancestor) is the reaper. */
static bool reaped_names(const struct jobtable *jt, const struct jt_process *p, const struct jt_reaped *r)
{
    if (r->starttime_ticks && p->starttime_ticks)
        return p->starttime_ticks == r->starttime_ticks;
    if (p->first_seen_ns > r->t_ns)
        return false;
    return r->reaper <= 0 || reaped_by(jt, p, r->reaper);
}

static struct jt_process *reaped_identity(struct jobtable *jt, const struct jt_reaped *r)
{
    struct jt_process *p = jobtable_find_live(jt, r->pid);
    if (p && reaped_names(jt, p, r))
        return p;
    /* The live one is another process of that pid: the one reaped was not seen to vanish. */
    if (p && r->starttime_ticks && p->starttime_ticks)
        jobtable_gone(jt, p, r->t_ns);
    for (size_t i = jt->n_procs; i-- > 0;) {
        struct jt_process *q = jt->procs[i];
        /* One the poller saw vanish was reaped about then (the pass is stamped when it starts, the wait when
         * it returns): a wait stamped well after is another process's, the pid having come back. */
        if (q->pid == r->pid && q->end == JT_END_GONE && r->t_ns <= q->end_ns + JT_PID_REUSE_NS &&
            reaped_names(jt, q, r))
            return q;
    }
    return NULL;
}

/* A process nobody saw (no agent, between two samples) that a process of the job reaped: it was a process of
 * the job. It lived at most from its reaper's start to the wait; its command line is unknown. */
static struct jt_process *reaped_unseen(struct jobtable *jt, const struct jt_reaped *r)
{
    const struct jt_process *reaper = r->reaper > 0 ? jobtable_find_live(jt, r->reaper) : NULL;
    if (!reaper && !r->by_collector)
        return NULL;
    /* It began after its reaper did, and after any earlier process of that pid ended (pids are reused). */
    int64_t began = reaper ? reaper->first_seen_ns : jt->job.start_ns;
    for (size_t i = jt->n_procs; i-- > 0;) {
        if (jt->procs[i]->pid == r->pid) {
            if (jt->procs[i]->end_ns > began)
                began = jt->procs[i]->end_ns;
            break;
        }
    }
    static const char blob[] = "[unknown]";
    struct jt_image_desc d = {
        .pid = r->pid, .ppid = r->reaper, .starttime_ticks = r->starttime_ticks, .t_ns = began, .argv_blob = blob,
        .argv_len = sizeof blob, .argc = 1, .placeholder = true, .source = JT_SOURCE_REAPER,
    };
    struct jt_process *p = process_new(jt, &d);
    if (p)
        p->last_seen_ns = r->t_ns;
    return p;
}

struct jt_process *jobtable_reaped(struct jobtable *jt, const struct jt_reaped *r)
{
    struct jt_process *p = reaped_identity(jt, r);
    if (!p)
        p = reaped_unseen(jt, r);
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
    if (r->has_rusage)
        p->cpu_wait = (struct jt_cpu){r->utime_us, r->stime_us, JT_PEAK_BOUND};
    /* A zombie's own count is final: nothing of it runs any more (the agent's, when there, came first). */
    if (r->has_own_cpu && p->cpu.kind != JT_PEAK_EXACT)
        p->cpu = (struct jt_cpu){r->own_user_us, r->own_sys_us, JT_PEAK_EXACT};
    if (r->has_own_io && jt->job.with_io) {
        struct jt_io io = r->own_io;
        io.kind = JT_PEAK_EXACT;
        jobtable_io_reading(jt, p, &io);
    }
    if (r->by_collector)
        p->reaped_by_memwatch = true;
    process_end(jt, p, r->t_ns);
    return p;
}

/* ---- sampled group sums ---- */

#define JT_GROUPS_MIN_CAP 32

static uint32_t name_hash(const char *name)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (const unsigned char *c = (const unsigned char *)name; *c; c++)
        h = (h ^ *c) * 16777619u;
    return h;
}

/* The slot holding name, or the empty slot where it would go (cap is a power of two, never full). */
static struct jt_group_sample *group_slot_find(const struct jt_group_samples *gs, const char *name)
{
    size_t mask = gs->cap - 1;
    for (size_t i = name_hash(name) & mask;; i = (i + 1) & mask)
        if (!gs->slots[i].name || strcmp(gs->slots[i].name, name) == 0)
            return &gs->slots[i];
}

static int group_samples_grow(struct jt_group_samples *gs)
{
    struct jt_group_samples grown = {.cap = gs->cap ? gs->cap * 2 : JT_GROUPS_MIN_CAP, .count = gs->count};
    grown.slots = calloc(grown.cap, sizeof *grown.slots);
    if (!grown.slots)
        return -1;
    for (size_t i = 0; i < gs->cap; i++)
        if (gs->slots[i].name)
            *group_slot_find(&grown, gs->slots[i].name) = gs->slots[i];
    free(gs->slots);
    *gs = grown;
    return 0;
}

/* The group's entry, created empty if new; NULL on allocation failure. */
static struct jt_group_sample *group_sample_get(struct jobtable *jt, const char *name)
{
    struct jt_group_samples *gs = &jt->group_samples;
    if ((gs->count + 1) * 2 > gs->cap && group_samples_grow(gs) != 0)
        return NULL;
    struct jt_group_sample *g = group_slot_find(gs, name);
    if (!g->name) {
        if (!(g->name = strdup(name)))
            return NULL;
        gs->count++;
    }
    return g;
}

int jobtable_group_sample(struct jobtable *jt, const char *name, uint64_t kib, int64_t at_ns)
{
    struct jt_group_sample *g = group_sample_get(jt, name);
    if (!g)
        return -1;
    if (g->peak.kind == JT_PEAK_NONE || kib > g->peak.kib)
        g->peak = (struct jt_peak){kib, at_ns, JT_PEAK_SAMPLED};
    return 0;
}

struct jt_peak jobtable_group_sampled_peak(const struct jobtable *jt, const char *name)
{
    if (!jt->group_samples.cap)
        return (struct jt_peak){0};
    const struct jt_group_sample *g = group_slot_find(&jt->group_samples, name);
    return g->name ? g->peak : (struct jt_peak){0};
}

/* Sums the processes the poller read at t_ns by group, then raises each group's maximum: a sum over
 * processes read in one pass is memory they held at (nearly) one moment. */
static int group_samples_pass(struct jobtable *jt, int64_t t_ns)
{
    int rc = 0;
    for (size_t i = 0; i < jt->live_cap; i++) {
        const struct jt_process *p = jt->live_index[i] ? jt->procs[jt->live_index[i] - 1] : NULL;
        if (!p || p->last_rss_ns != t_ns)
            continue;
        char key[JT_GROUP_KEY_MAX];
        struct jt_group_sample *g = group_sample_get(jt, jobtable_group_key(jt, p, jobtable_current_image(p), key));
        if (!g) {
            rc = -1;
            continue;
        }
        if (g->pass_ns != t_ns)
            g->pass_kib = 0;
        g->pass_ns = t_ns;
        g->pass_kib += p->last_rss_kib;
    }
    for (size_t i = 0; i < jt->group_samples.cap; i++) {
        struct jt_group_sample *g = &jt->group_samples.slots[i];
        if (g->name && g->pass_ns == t_ns && (g->peak.kind == JT_PEAK_NONE || g->pass_kib > g->peak.kib))
            g->peak = (struct jt_peak){g->pass_kib, t_ns, JT_PEAK_SAMPLED};
    }
    return rc;
}

/* The live process that was p's parent: the one with pid ppid, already seen when p was first seen. */
static struct jt_process *live_parent(const struct jobtable *jt, const struct jt_process *p)
{
    struct jt_process *parent = p->ppid > 0 ? jobtable_find_live(jt, p->ppid) : NULL;
    return parent && parent != p && parent->first_seen_ns <= p->first_seen_ns ? parent : NULL;
}

/* Adds each process read at t_ns to its own subtree sum and its live ancestors', then raises each subtree's
 * maximum. An ancestor that has ended breaks the chain: the sums stay lower bounds. */
static void subtree_samples_pass(struct jobtable *jt, int64_t t_ns)
{
    struct jt_subtree_sample *grown =
        jt->n_procs ? extras_grow(jt->subtree, &jt->cap_subtree, sizeof *jt->subtree, (uint32_t)(jt->n_procs - 1)) : NULL;
    if (!grown)
        return; /* no memory for them: the subtrees' lower bounds stay their largest single peaks */
    jt->subtree = grown;
    for (size_t i = 0; i < jt->live_cap; i++) {
        const struct jt_process *p = jt->live_index[i] ? jt->procs[jt->live_index[i] - 1] : NULL;
        if (!p || p->last_rss_ns != t_ns)
            continue;
        size_t depth = 0;
        for (struct jt_process *q = jt->procs[p->id]; q && depth <= jt->n_procs; q = live_parent(jt, q), depth++) {
            struct jt_subtree_sample *s = &jt->subtree[q->id];
            if (s->pass_ns != t_ns)
                s->pass_kib = 0;
            s->pass_ns = t_ns;
            s->pass_kib += p->last_rss_kib;
        }
    }
    for (size_t i = 0; i < jt->live_cap; i++) {
        const struct jt_process *q = jt->live_index[i] ? jt->procs[jt->live_index[i] - 1] : NULL;
        struct jt_subtree_sample *s = q ? &jt->subtree[q->id] : NULL;
        if (s && s->pass_ns == t_ns && (s->peak.kind == JT_PEAK_NONE || s->pass_kib > s->peak.kib))
            s->peak = (struct jt_peak){s->pass_kib, t_ns, JT_PEAK_SAMPLED};
    }
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
    if (jobtable_subtree_sampled(jt))
        subtree_samples_pass(jt, t_ns);
    return group_samples_pass(jt, t_ns);
}

/* An exec the agent announced (its peak sent just before) that no image report followed: the program could
 * not load the agent (static, setuid, another ELF class), or the exec failed and the process died without a
 * word. Either way what ran after is unknown to the agent: an unreported image stands for it, so the figure
 * sent before the exec is never taken for the process's peak. */
static void add_unreported_image(struct jobtable *jt, struct jt_process *p)
{
    struct jt_image *cur = jobtable_current_image(p);
    if (!cur || !cur->exec_pending)
        return;
    static const char blob[] = "[unknown]";
    struct jt_image_desc d = {
        .pid = p->pid, .ppid = p->ppid, .starttime_ticks = p->starttime_ticks,
        .t_ns = cur->exact.at_ns > cur->start_ns ? cur->exact.at_ns : cur->start_ns + 1,
        .argv_blob = blob, .argv_len = sizeof blob, .argc = 1, .placeholder = true,
    };
    cur->exec_pending = false;
    struct jt_image *img = image_insert(jt, p, &d);
    if (img)
        img->unreported = true;
}

void jobtable_finish(struct jobtable *jt, int64_t end_ns)
{
    jt->job.end_ns = end_ns;
    for (size_t i = 0; i < jt->n_procs; i++) {
        struct jt_process *p = jt->procs[i];
        if (!p->end_ns && p->last_seen_ns < end_ns && p->end == JT_END_RUNNING)
            p->last_seen_ns = end_ns;
        add_unreported_image(jt, p);
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

void jobtable_cpu_reading(struct jt_process *p, uint64_t user_us, uint64_t sys_us)
{
    if (p->cpu.kind == JT_PEAK_EXACT)
        return;
    p->cpu.kind = JT_PEAK_SAMPLED;
    if (user_us > p->cpu.user_us)
        p->cpu.user_us = user_us;
    if (sys_us > p->cpu.sys_us)
        p->cpu.sys_us = sys_us;
}

static uint64_t max_u64(uint64_t a, uint64_t b) { return a > b ? a : b; }

void jobtable_io_reading(struct jobtable *jt, const struct jt_process *p, const struct jt_io *io)
{
    struct jt_io *grown = extras_grow(jt->io, &jt->cap_io, sizeof *jt->io, p->id);
    if (!grown)
        return;
    jt->io = grown;
    struct jt_io *mine = &jt->io[p->id];
    if (io->kind == JT_PEAK_EXACT) {
        *mine = *io;
        return;
    }
    if (mine->kind == JT_PEAK_EXACT || io->kind == JT_PEAK_NONE)
        return;
    mine->rchar = max_u64(mine->rchar, io->rchar);
    mine->wchar = max_u64(mine->wchar, io->wchar);
    mine->read_bytes = max_u64(mine->read_bytes, io->read_bytes);
    mine->write_bytes = max_u64(mine->write_bytes, io->write_bytes);
    mine->kind = JT_PEAK_SAMPLED;
}

struct jt_io jobtable_process_io(const struct jobtable *jt, const struct jt_process *p)
{
    return p->id < jt->cap_io ? jt->io[p->id] : (struct jt_io){.kind = JT_PEAK_NONE};
}

struct jt_peak jobtable_subtree_sampled_peak(const struct jobtable *jt, const struct jt_process *p)
{
    return p->id < jt->cap_subtree ? jt->subtree[p->id].peak : (struct jt_peak){.kind = JT_PEAK_NONE};
}

int jobtable_set_subtree_sampled(struct jobtable *jt, const struct jt_process *p, struct jt_peak peak)
{
    struct jt_subtree_sample *grown = extras_grow(jt->subtree, &jt->cap_subtree, sizeof *jt->subtree, p->id);
    if (!grown)
        return -1;
    jt->subtree = grown;
    jt->subtree[p->id].peak = peak;
    return 0;
}

struct jt_cpu jobtable_process_cpu(const struct jt_process *p)
{
    return p->cpu.kind != JT_PEAK_NONE ? p->cpu : p->cpu_wait;
}

/* Whether the agent entered every image of p: a program it could not enter (static, setuid, --no-agent) may
 * have started processes nobody saw, whose figures no sum over the table holds. */
static bool agent_in_all(const struct jt_process *p)
{
    for (uint32_t i = 0; i < p->n_images; i++)
        if (!(p->images[i].sources & JT_SOURCE_AGENT))
            return false;
    return true;
}

/* EXACT when every part is, SAMPLED when any is not (or is unknown), NONE when there were no parts. */
static enum jt_peak_kind total_kind(size_t parts, size_t exact)
{
    return parts == 0 ? JT_PEAK_NONE : exact == parts ? JT_PEAK_EXACT : JT_PEAK_SAMPLED;
}

struct jt_cpu jobtable_total_cpu(const struct jobtable *jt, size_t *unknown)
{
    struct jt_cpu t = {0};
    size_t exact = 0;
    *unknown = 0;
    /* Another lower bound: memwatch's waits counted every process they reaped and all these had reaped, seen
     * or not (a process still running holds its own). */
    struct jt_cpu waited = {0};
    for (size_t i = 0; i < jt->n_procs; i++) {
        const struct jt_process *p = jt->procs[i];
        const struct jt_cpu *c = &p->cpu;
        *unknown += c->kind == JT_PEAK_NONE;
        exact += c->kind == JT_PEAK_EXACT && agent_in_all(p);
        t.user_us += c->user_us;
        t.sys_us += c->sys_us;
        const struct jt_cpu *w = p->reaped_by_memwatch && p->cpu_wait.kind == JT_PEAK_BOUND ? &p->cpu_wait
                                 : p->end == JT_END_RUNNING                              ? c
                                                                                         : NULL;
        if (w != NULL) {
            waited.user_us += w->user_us;
            waited.sys_us += w->sys_us;
        }
    }
    t.kind = total_kind(jt->n_procs, exact);
    if (t.kind != JT_PEAK_EXACT && waited.user_us + waited.sys_us > t.user_us + t.sys_us) {
        t.user_us = waited.user_us;
        t.sys_us = waited.sys_us;
    }
    return t;
}

struct jt_io jobtable_total_io(const struct jobtable *jt, size_t *unknown)
{
    struct jt_io t = {0};
    bool exact = jt->n_procs > 0;
    *unknown = 0;
    for (size_t i = 0; i < jt->n_procs; i++) {
        const struct jt_process *p = jt->procs[i];
        const struct jt_io pio = jobtable_process_io(jt, p), *io = &pio;
        /* Ended by a wait of a process of the job, which adds its counters to its reaper's. */
        bool in_reaper = !p->reaped_by_memwatch && p->end != JT_END_RUNNING;
        if (io->kind != JT_PEAK_EXACT || p->end == JT_END_RUNNING || !agent_in_all(p) ||
            (in_reaper && !(p->sources & JT_SOURCE_REAPER)))
            exact = false;
        if (in_reaper)
            continue;
        *unknown += io->kind == JT_PEAK_NONE;
        t.rchar += io->rchar;
        t.wchar += io->wchar;
        t.read_bytes += io->read_bytes;
        t.write_bytes += io->write_bytes;
    }
    t.kind = jt->n_procs == 0 ? JT_PEAK_NONE : exact ? JT_PEAK_EXACT : JT_PEAK_SAMPLED;
    return t;
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

/* The upper bounds sweep the lifetimes of images, each holding its proven figure: an image counts in one
 * set (the whole job, or the group of its program), and each set gets its own running sum. */
/* 16 bytes an event (the sweep holds two per image, and qsort a copy of them): the set (relative to the
 * pass, below SWEEP_SETS_PER_PASS) in the low bits of one word, the change of KiB above them. */
#define SWEEP_SET_BITS 20
#define SWEEP_SETS_PER_PASS ((size_t)1 << SWEEP_SET_BITS)
struct sweep_event {
    int64_t t_ns;
    int64_t delta_set; /* delta_kib * SWEEP_SETS_PER_PASS + set: +peak at start, -peak at end */
};

static struct sweep_event sweep_event_of(int64_t t_ns, int64_t delta_kib, size_t set)
{
    return (struct sweep_event){t_ns, delta_kib * (int64_t)SWEEP_SETS_PER_PASS + (int64_t)set};
}

static size_t sweep_set(const struct sweep_event *e)
{
    return (size_t)(e->delta_set & (int64_t)(SWEEP_SETS_PER_PASS - 1));
}

static int64_t sweep_delta(const struct sweep_event *e)
{
    return (e->delta_set - (int64_t)sweep_set(e)) / (int64_t)SWEEP_SETS_PER_PASS;
}

static int sweep_cmp(const void *a, const void *b)
{
    const struct sweep_event *x = a, *y = b;
    if (sweep_set(x) != sweep_set(y))
        return sweep_set(x) < sweep_set(y) ? -1 : 1;
    if (x->t_ns != y->t_ns)
        return x->t_ns < y->t_ns ? -1 : 1;
    /* At one instant, count starts before ends: the bound must cover a hand-over. */
    int64_t dx = sweep_delta(x), dy = sweep_delta(y);
    return (dx < dy) - (dx > dy);
}

static int64_t image_end_ns(const struct jobtable *jt, const struct jt_process *p, const struct jt_image *img)
{
    if (img->end_ns)
        return img->end_ns;
    if (p->end_ns)
        return p->end_ns;
    return jt->job.end_ns > img->start_ns ? jt->job.end_ns : img->start_ns;
}

/* Neither an exact peak nor its process's bound: nothing proves what the image stayed under. */
static bool image_unbounded(const struct jt_process *p, const struct jt_image *img)
{
    return img->exact.kind != JT_PEAK_EXACT && !p->bound_kib;
}

/* The figure an image can be proven to stay under: its exact peak, else its process's bound; when
 * neither is known the sampled figure stands in. */
static uint64_t image_upper(const struct jt_process *p, const struct jt_image *img)
{
    uint64_t v = img->exact.kind == JT_PEAK_EXACT ? img->exact.kib : p->bound_kib;
    /* A sample above a figure would disprove it: trust the larger. */
    return img->sampled.kib > v ? img->sampled.kib : v;
}

#define SWEEP_NO_SET ((size_t)-1)

/* The sets images are swept in: every image in one set (names and proc_set NULL), the group keyed names[i]
 * (sorted) in set i, or every image of procs[k] in set proc_set[k] (JT_NO_PARENT: none). */
struct sweep_sets {
    const struct jobtable *jt;
    const uint32_t *proc_set;
    const char *const *names;
    size_t n;
    struct jt_upper *upper;    /* n results: kib, and the processes counted in unbounded and agentless */
    uint32_t *last_unbounded;  /* n entries: id + 1 of the process last counted in unbounded */
    uint32_t *last_agentless;  /* n entries: likewise for agentless */
};

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static size_t sweep_set_of(const struct sweep_sets *sets, const struct jt_process *p, const struct jt_image *img)
{
    if (sets->proc_set)
        return sets->proc_set[p->id] == JT_NO_PARENT ? SWEEP_NO_SET : sets->proc_set[p->id];
    if (!sets->names)
        return 0;
    char buf[JT_GROUP_KEY_MAX];
    const char *key = jobtable_group_key(sets->jt, p, img, buf);
    const char *const *hit = bsearch(&key, sets->names, sets->n, sizeof *sets->names, name_cmp);
    return hit ? (size_t)(hit - sets->names) : SWEEP_NO_SET;
}

/* Appends the events of one process at ev; returns how many. */
static size_t sweep_process(const struct jobtable *jt, const struct jt_process *p, struct sweep_sets *sets,
                            size_t base, struct sweep_event *ev)
{
    size_t m = 0, held_set = SWEEP_NO_SET;
    int64_t held = 0; /* what the process holds in held_set right now */
    for (uint32_t k = 0; k < p->n_images; k++) {
        const struct jt_image *img = &p->images[k];
        size_t set = sweep_set_of(sets, p, img);
        if (set != SWEEP_NO_SET && (set < base || set - base >= SWEEP_SETS_PER_PASS))
            set = SWEEP_NO_SET; /* another pass's */
        int64_t v = set != SWEEP_NO_SET ? (int64_t)image_upper(p, img) : 0;
        if (set != SWEEP_NO_SET && image_unbounded(p, img) && sets->last_unbounded[set] != p->id + 1) {
            sets->last_unbounded[set] = p->id + 1;
            sets->upper[set].unbounded++;
        }
        if (set != SWEEP_NO_SET && !(img->sources & JT_SOURCE_AGENT) && sets->last_agentless[set] != p->id + 1) {
            sets->last_agentless[set] = p->id + 1;
            sets->upper[set].agentless++;
        }
        /* An exec within a set hands the process over from one image to the next: a change, not a sum. */
        if (k > 0 && set == held_set && p->images[k - 1].end_ns == img->start_ns) {
            ev[m++] = sweep_event_of(img->start_ns, v - held, set - base);
        } else {
            if (held_set != SWEEP_NO_SET)
                ev[m++] = sweep_event_of(image_end_ns(jt, p, &p->images[k - 1]), -held, held_set - base);
            if (set != SWEEP_NO_SET)
                ev[m++] = sweep_event_of(img->start_ns, v, set - base);
        }
        held = v;
        held_set = set;
    }
    if (held_set != SWEEP_NO_SET)
        ev[m++] = sweep_event_of(image_end_ns(jt, p, &p->images[p->n_images - 1]), -held, held_set - base);
    return m;
}

/* The highest running sum of each set into sets->upper[set].kib, SWEEP_SETS_PER_PASS sets a pass. Returns 0,
 * or -1 on allocation failure. */
static int sweep_sets_run(const struct jobtable *jt, struct sweep_sets *sets)
{
    size_t n = 0;
    for (size_t i = 0; i < jt->n_procs; i++)
        n += jt->procs[i]->n_images;
    struct sweep_event *ev = calloc(n ? 2 * n : 1, sizeof *ev);
    if (!ev)
        return -1;
    for (size_t base = 0; base < sets->n; base += SWEEP_SETS_PER_PASS) {
        size_t m = 0;
        for (size_t i = 0; i < jt->n_procs; i++)
            m += sweep_process(jt, jt->procs[i], sets, base, ev + m);
        qsort(ev, m, sizeof *ev, sweep_cmp);
        int64_t cur = 0;
        for (size_t i = 0; i < m; i++) {
            if (i > 0 && sweep_set(&ev[i]) != sweep_set(&ev[i - 1]))
                cur = 0;
            cur += sweep_delta(&ev[i]);
            struct jt_upper *u = &sets->upper[base + sweep_set(&ev[i])];
            if (cur > 0 && (uint64_t)cur > u->kib)
                u->kib = (uint64_t)cur;
        }
    }
    free(ev);
    for (size_t i = 0; i < sets->n; i++)
        sets->upper[i].proven = sets->upper[i].unbounded == 0 && sets->upper[i].agentless == 0;
    return 0;
}

bool jobtable_total_upper_bound(const struct jobtable *jt, struct jt_upper *out)
{
    uint32_t last_unbounded = 0, last_agentless = 0;
    struct sweep_sets sets = {.jt = jt, .names = NULL, .n = 1, .upper = out, .last_unbounded = &last_unbounded,
                              .last_agentless = &last_agentless};
    memset(out, 0, sizeof *out);
    if (sweep_sets_run(jt, &sets) != 0) {
        out->unbounded = jt->n_procs;
        return false;
    }
    out->dropped = jt->stats.dropped_foreign;
    out->proven = out->proven && out->dropped == 0;
    return out->proven;
}

/* Largest exact or sampled peak of one image of each group: a lower bound of its footprint. A fork
 * child's copy of its parent is left out, as in jobtable_process_peak. */
static void footprint_singles(const struct jobtable *jt, const struct sweep_sets *sets, struct jt_footprint *out)
{
    for (size_t i = 0; i < jt->n_procs; i++) {
        const struct jt_process *p = jt->procs[i];
        for (uint32_t k = 0; k < p->n_images; k++) {
            if (p->images[k].parent_copy && k + 1 < p->n_images)
                continue;
            size_t set = sweep_set_of(sets, p, &p->images[k]);
            struct jt_peak pk = jobtable_image_best_peak(&p->images[k]);
            if (set == SWEEP_NO_SET || pk.kind == JT_PEAK_NONE)
                continue;
            if (out[set].single.kind == JT_PEAK_NONE || pk.kib > out[set].single.kib) {
                out[set].single = pk;
                out[set].single_of = p;
            }
        }
    }
}

int jobtable_group_footprints(const struct jobtable *jt, const char *const *names, size_t n,
                              struct jt_footprint *out)
{
    struct jt_upper *upper = calloc(n ? n : 1, sizeof *upper);
    uint32_t *last_unbounded = calloc(n ? n : 1, sizeof *last_unbounded);
    uint32_t *last_agentless = calloc(n ? n : 1, sizeof *last_agentless);
    struct sweep_sets sets = {.jt = jt, .names = names, .n = n, .upper = upper, .last_unbounded = last_unbounded,
                              .last_agentless = last_agentless};
    int rc = (upper && last_unbounded && last_agentless) ? sweep_sets_run(jt, &sets) : -1;
    for (size_t i = 0; rc == 0 && i < n; i++)
        out[i] = (struct jt_footprint){.sampled = jobtable_group_sampled_peak(jt, names[i]), .upper = upper[i]};
    if (rc == 0)
        footprint_singles(jt, &sets, out);
    free(upper);
    free(last_unbounded);
    free(last_agentless);
    return rc;
}

const char *jobtable_group_name(const struct jt_image *img)
{
    const char *arg0 = (img && img->argc) ? img->argv[0] : "?";
    const char *slash = strrchr(arg0, '/');
    return (slash && slash[1]) ? slash + 1 : arg0;
}

const char *jobtable_group_key(const struct jobtable *jt, const struct jt_process *p, const struct jt_image *img,
                               char *buf)
{
    switch (jt->job.group_by) {
    case JT_GROUP_EXE:
        return (img && img->exe && img->exe[0]) ? img->exe : "?";
    case JT_GROUP_PPID:
        snprintf(buf, JT_GROUP_KEY_MAX, "%d", (int)p->ppid);
        return buf;
    default:
        return jobtable_group_name(img);
    }
}

/* ---- the process tree ---- */

struct pid_entry {
    pid_t pid;
    uint32_t id;
};

static int pid_entry_cmp(const void *a, const void *b)
{
    const struct pid_entry *x = a, *y = b;
    if (x->pid != y->pid)
        return x->pid < y->pid ? -1 : 1;
    return (x->id > y->id) - (x->id < y->id);
}

/* The latest process sighted before p with pid p->ppid that had not ended long before p appeared (a pid is
 * not reused that fast), from the table sorted by pid then sighting. */
static uint32_t tree_parent_find(const struct jobtable *jt, const struct pid_entry *by_pid, const struct jt_process *p)
{
    size_t lo = 0, hi = jt->n_procs; /* first entry not below (ppid, p->id) */
    struct pid_entry key = {p->ppid, p->id};
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (pid_entry_cmp(&by_pid[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0 || by_pid[lo - 1].pid != p->ppid)
        return JT_NO_PARENT;
    const struct jt_process *parent = jt->procs[by_pid[lo - 1].id];
    if (parent->end_ns && parent->end_ns + JT_PID_REUSE_NS < p->first_seen_ns)
        return JT_NO_PARENT;
    return parent->id;
}

int jobtable_tree_parents(const struct jobtable *jt, uint32_t *parent, bool *reparented)
{
    struct pid_entry *by_pid = malloc((jt->n_procs ? jt->n_procs : 1) * sizeof *by_pid);
    if (!by_pid)
        return -1;
    uint32_t root = JT_NO_PARENT;
    for (size_t i = 0; i < jt->n_procs; i++) {
        by_pid[i] = (struct pid_entry){jt->procs[i]->pid, (uint32_t)i};
        if (jt->procs[i]->is_root && root == JT_NO_PARENT)
            root = (uint32_t)i;
    }
    qsort(by_pid, jt->n_procs, sizeof *by_pid, pid_entry_cmp);
    for (size_t i = 0; i < jt->n_procs; i++) {
        const struct jt_process *p = jt->procs[i];
        /* Parents are sighted before their children, so links only point back: no cycle. */
        parent[i] = i == root ? JT_NO_PARENT : tree_parent_find(jt, by_pid, p);
        reparented[i] = parent[i] == JT_NO_PARENT && i != root && root != JT_NO_PARENT;
        if (reparented[i])
            parent[i] = root;
    }
    free(by_pid);
    return 0;
}

/* Depths by parent links (every process reaches a top one), and the processes ordered by depth. */
static uint32_t tree_depths(const struct jobtable *jt, const uint32_t *parent, uint32_t *depth, uint32_t *order)
{
    const uint32_t unknown = UINT32_MAX;
    uint32_t max_depth = 0;
    for (size_t i = 0; i < jt->n_procs; i++)
        depth[i] = unknown;
    for (size_t i = 0; i < jt->n_procs; i++) {
        uint32_t d = 0, k = (uint32_t)i;
        while (depth[k] == unknown && parent[k] != JT_NO_PARENT) {
            k = parent[k];
            d++;
        }
        uint32_t base = depth[k] == unknown ? 0 : depth[k];
        depth[k] = base;
        for (uint32_t m = (uint32_t)i, left = d; m != k; m = parent[m], left--)
            depth[m] = base + left;
        if (base + d > max_depth)
            max_depth = base + d;
    }
    /* Counting sort by depth. */
    uint32_t *start = calloc((size_t)max_depth + 2, sizeof *start);
    if (!start)
        return unknown;
    for (size_t i = 0; i < jt->n_procs; i++)
        start[depth[i] + 1]++;
    for (uint32_t d = 0; d <= max_depth; d++)
        start[d + 1] += start[d];
    for (size_t i = 0; i < jt->n_procs; i++)
        order[start[depth[i]]++] = (uint32_t)i;
    free(start);
    return max_depth;
}

/* Each subtree's largest single image peak: a process's own, raised by its children's, deepest first. */
static void subtree_singles(const struct jobtable *jt, const uint32_t *parent, const uint32_t *order,
                            struct jt_footprint *out)
{
    for (size_t i = 0; i < jt->n_procs; i++) {
        const struct jt_process *p = jt->procs[i];
        for (uint32_t k = 0; k < p->n_images; k++) {
            if (p->images[k].parent_copy && k + 1 < p->n_images)
                continue;
            struct jt_peak pk = jobtable_image_best_peak(&p->images[k]);
            if (pk.kind != JT_PEAK_NONE && (out[i].single.kind == JT_PEAK_NONE || pk.kib > out[i].single.kib)) {
                out[i].single = pk;
                out[i].single_of = p;
            }
        }
    }
    for (size_t n = jt->n_procs; n-- > 0;) {
        uint32_t i = order[n];
        if (parent[i] == JT_NO_PARENT || out[i].single.kind == JT_PEAK_NONE)
            continue;
        struct jt_footprint *up = &out[parent[i]];
        if (up->single.kind == JT_PEAK_NONE || out[i].single.kib > up->single.kib) {
            up->single = out[i].single;
            up->single_of = out[i].single_of;
        }
    }
}

/* Subtrees of one depth are disjoint: one sweep a depth, each process in the set of its ancestor at that
 * depth, gives every subtree its own upper bound. */
static int subtree_uppers(const struct jobtable *jt, const uint32_t *parent, const uint32_t *depth,
                          const uint32_t *order, uint32_t max_depth, struct jt_footprint *out)
{
    size_t n = jt->n_procs ? jt->n_procs : 1;
    uint32_t *ancestor = malloc(n * sizeof *ancestor);
    struct jt_upper *upper = calloc(n, sizeof *upper);
    uint32_t *last_unbounded = calloc(n, sizeof *last_unbounded);
    uint32_t *last_agentless = calloc(n, sizeof *last_agentless);
    struct sweep_sets sets = {.jt = jt, .proc_set = ancestor, .n = jt->n_procs, .upper = upper,
                              .last_unbounded = last_unbounded, .last_agentless = last_agentless};
    int rc = (ancestor && upper && last_unbounded && last_agentless) ? 0 : -1;
    for (uint32_t d = 0; rc == 0 && d <= max_depth && jt->n_procs > 0; d++) {
        for (size_t k = 0; k < jt->n_procs; k++) { /* by depth: a parent's ancestor is known first */
            uint32_t i = order[k];
            ancestor[i] = depth[i] < d ? JT_NO_PARENT : depth[i] == d ? i : ancestor[parent[i]];
        }
        rc = sweep_sets_run(jt, &sets);
    }
    for (size_t i = 0; rc == 0 && i < jt->n_procs; i++) {
        out[i].upper = upper[i];
        out[i].upper.dropped = jt->stats.dropped_foreign;
        out[i].upper.proven = upper[i].proven && jt->stats.dropped_foreign == 0;
    }
    free(ancestor);
    free(upper);
    free(last_unbounded);
    free(last_agentless);
    return rc;
}

int jobtable_subtree_footprints(const struct jobtable *jt, const uint32_t *parent, struct jt_footprint *out)
{
    size_t n = jt->n_procs ? jt->n_procs : 1;
    uint32_t *depth = malloc(n * sizeof *depth);
    uint32_t *order = malloc(n * sizeof *order);
    int rc = (depth && order) ? 0 : -1;
    uint32_t max_depth = rc == 0 ? tree_depths(jt, parent, depth, order) : 0;
    if (max_depth == UINT32_MAX)
        rc = -1;
    for (size_t i = 0; rc == 0 && i < jt->n_procs; i++)
        out[i] = (struct jt_footprint){.sampled = jobtable_subtree_sampled_peak(jt, jt->procs[i])};
    if (rc == 0) {
        subtree_singles(jt, parent, order, out);
        rc = subtree_uppers(jt, parent, depth, order, max_depth, out);
    }
    free(depth);
    free(order);
    return rc;
}
