/* The job-table simulation: a small model of a job's processes and of what the agent, the poller and
 * memwatch's own waits tell the collector, fed to the job table the way collector/events.c and
 * collector/poller.c feed it; then every figure the table would report is checked against the truth. */
#include "jobtable_sim.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "jobtable.h"

#define SIM_SLOTS 10
#define SIM_IMAGES 6
#define SIM_QUEUE 512
#define SIM_PID_BASE 1000
#define SIM_PID_GENERATIONS 4 /* pids per slot: a small pid space, so pids are reused often */
#define SIM_MEMWATCH_PID 1
#define SIM_ARGV_MAX 24
#define SIM_STEP_NS 10000000LL /* 10 ms: a run spans a few seconds */
#define SIM_MAX_STEPS 400

enum sim_msg_type { SIM_START, SIM_PEAK, SIM_CHILD_END };

struct sim_msg {
    enum sim_msg_type type;
    int64_t t;
    pid_t pid;  /* the sender (kernel credentials) */
    pid_t ppid;
    uint64_t starttime;
    char argv[SIM_ARGV_MAX];
    size_t argv_len;
    bool forked;
    int64_t image_start; /* PEAK: which image */
    uint64_t kib;        /* PEAK: VmHWM; CHILD_END: ru_maxrss */
    bool at_exec;
    pid_t child;         /* CHILD_END */
    int status;
};

struct sim_image {
    int64_t start;
    uint64_t hwm;
    bool agent;       /* the agent entered it */
    bool parent_copy; /* a fork child's copy of its parent's program */
    bool sampled;     /* the poller read it at least once */
    char argv[SIM_ARGV_MAX];
    size_t argv_len;
};

struct sim_proc {
    bool used;  /* not yet reaped */
    bool alive; /* not yet exited (a zombie is used, not alive) */
    pid_t pid;
    uint64_t starttime;
    int parent; /* slot, or -1: memwatch (the root, and orphans it adopted) */
    struct sim_image img[SIM_IMAGES];
    int n_img;
    uint64_t rss;
    uint64_t children_maxrss; /* largest ru_maxrss of the children it reaped (wait4 folds them in) */
    bool fork_reported;       /* its fork report reached the table */
    bool lost_report;         /* one of its own reports was lost: its figures can only be as good as the rest */
    int status;
};

/* What a reaped process truly was, to judge the table's figures after it is gone. */
struct sim_record {
    pid_t pid;
    uint64_t starttime;
    uint64_t peak_counted; /* highest VmHWM of its images, the parent copy left out when an exec followed */
    uint64_t peak_any;     /* highest VmHWM of all its images */
    uint64_t maxrss;       /* what wait4 reports: peak_any and its reaped descendants */
    int64_t reaped_at;
    bool copy_missed; /* began as a fork child whose fork report never reached the table */
    bool lost_report;
};

struct sim {
    const uint8_t *data;
    size_t len, pos;
    int64_t now;
    int step;
    struct jobtable jt;
    struct sim_proc procs[SIM_SLOTS];
    struct sim_msg queue[SIM_QUEUE];
    size_t q_head, q_len;
    struct sim_record records[SIM_SLOTS * SIM_MAX_STEPS];
    size_t n_records;
    uint64_t next_starttime;
    unsigned next_pid[SIM_SLOTS];
    /* When a sample could first have seen a pid's last holder gone (INT64_MAX: not yet): the kernel does not
     * hand that pid out again for a long while after (JT_PID_REUSE_NS, generously short here). */
    int64_t freed_at[SIM_SLOTS][SIM_PID_GENERATIONS];
    uint64_t true_total_peak;
    size_t lost; /* agent messages that never arrived */
    bool hidden_images; /* an image no one could see ran between two of one process (see sim_peak_counted) */
    unsigned programs;
    char *why;
    size_t whylen;
    bool failed;
};

static uint8_t sim_byte(struct sim *s) { return s->pos < s->len ? s->data[s->pos++] : 0; }

__attribute__((format(printf, 2, 3))) static void sim_fail(struct sim *s, const char *fmt, ...)
{
    if (s->failed)
        return;
    s->failed = true;
    int n = snprintf(s->why, s->whylen, "step %d: ", s->step);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < s->whylen)
        vsnprintf(s->why + n, s->whylen - (size_t)n, fmt, ap);
    va_end(ap);
}

/* ---- truth ---- */

static void sim_track_total(struct sim *s)
{
    uint64_t total = 0;
    for (int i = 0; i < SIM_SLOTS; i++)
        if (s->procs[i].used && s->procs[i].alive)
            total += s->procs[i].rss;
    if (total > s->true_total_peak)
        s->true_total_peak = total;
}

static struct sim_image *sim_cur(struct sim_proc *p) { return &p->img[p->n_img - 1]; }

static void sim_set_rss(struct sim *s, struct sim_proc *p, uint64_t rss)
{
    p->rss = rss;
    if (rss > sim_cur(p)->hwm)
        sim_cur(p)->hwm = rss;
    sim_track_total(s);
}

static uint64_t sim_peak_any(const struct sim_proc *p)
{
    uint64_t v = 0;
    for (int i = 0; i < p->n_img; i++)
        if (p->img[i].hwm > v)
            v = p->img[i].hwm;
    return v;
}

/* The peak a table that knows all it could know counts: the fork child's copy of its parent is left out
 * when an exec followed, and so is an image without the agent that no sample caught and that exec'd an image
 * with it (nothing tells of it: the next image's agent cannot know what ran before it; README, "What it
 * cannot see yet"). */
static uint64_t sim_peak_counted(const struct sim_proc *p, bool *hidden)
{
    uint64_t v = 0;
    bool hidden_run = false; /* this image, and those after it up to one with the agent, went unseen */
    for (int i = p->n_img; i-- > 0;) {
        const struct sim_image *img = &p->img[i];
        bool unseen = !img->agent && !img->sampled;
        hidden_run = unseen && i + 1 < p->n_img && (p->img[i + 1].agent || hidden_run);
        *hidden |= hidden_run;
        if ((img->parent_copy && i + 1 < p->n_img) || hidden_run)
            continue;
        if (img->hwm > v)
            v = img->hwm;
    }
    return v;
}

/* ---- the agent's messages, queued as on one datagram socket: in send order, some lost ---- */

static void sim_send(struct sim *s, const struct sim_msg *m)
{
    if (s->q_len == SIM_QUEUE) {
        s->lost++; /* a full queue: the agent gives up after its timeout, the message is lost */
        return;
    }
    s->queue[(s->q_head + s->q_len++) % SIM_QUEUE] = *m;
}

static void sim_send_start(struct sim *s, const struct sim_proc *p, bool forked)
{
    const struct sim_image *img = &p->img[p->n_img - 1];
    struct sim_msg m = {.type = SIM_START, .t = img->start, .pid = p->pid, .starttime = p->starttime,
                        .forked = forked, .argv_len = img->argv_len};
    m.ppid = p->parent >= 0 ? s->procs[p->parent].pid : SIM_MEMWATCH_PID;
    memcpy(m.argv, img->argv, img->argv_len);
    sim_send(s, &m);
}

static void sim_send_peak(struct sim *s, const struct sim_proc *p, bool at_exec)
{
    const struct sim_image *img = &p->img[p->n_img - 1];
    struct sim_msg m = {.type = SIM_PEAK, .t = s->now, .pid = p->pid, .starttime = p->starttime,
                        .image_start = img->start, .kib = img->hwm, .at_exec = at_exec};
    sim_send(s, &m);
}

static void sim_deliver(struct sim *s, const struct sim_msg *m)
{
    if (m->type == SIM_START) {
        struct jt_image_desc d = {
            .pid = m->pid, .ppid = m->ppid, .starttime_ticks = m->starttime, .t_ns = m->t, .argv_blob = m->argv,
            .argv_len = m->argv_len, .forked = m->forked, .source = JT_SOURCE_AGENT,
        };
        for (size_t i = 0; i < m->argv_len; i++)
            d.argc += m->argv[i] == '\0';
        jobtable_image_started(&s->jt, &d);
        for (int i = 0; m->forked && i < SIM_SLOTS; i++)
            if (s->procs[i].pid == m->pid && s->procs[i].starttime == m->starttime)
                s->procs[i].fork_reported = true;
    } else if (m->type == SIM_PEAK) {
        struct jt_process *p = jobtable_find_live(&s->jt, m->pid);
        if (p && p->starttime_ticks == m->starttime) {
            struct jt_peak_report r = {.image_start_ns = m->image_start, .t_ns = m->t, .hwm_kib = m->kib,
                                       .at_exec = m->at_exec};
            jobtable_image_peak(&s->jt, p, &r);
        }
    } else {
        struct jt_reaped r = {.pid = m->child, .reaper = m->pid, .t_ns = m->t, .wait_status = m->status,
                              .maxrss_kib = m->kib};
        jobtable_reaped(&s->jt, &r);
    }
}

static void sim_deliver_some(struct sim *s, size_t n)
{
    for (; n > 0 && s->q_len > 0; n--) {
        sim_deliver(s, &s->queue[s->q_head]);
        s->q_head = (s->q_head + 1) % SIM_QUEUE;
        s->q_len--;
    }
}

/* The agent gave up on a message (the collector unreachable past its timeout, no descriptor free). Nothing
 * then proves that every process was seen: the total's bound is only checked in runs without a loss. */
static void sim_lose_newest(struct sim *s)
{
    if (s->q_len == 0)
        return;
    s->q_len--;
    s->lost++;
    const struct sim_msg *m = &s->queue[(s->q_head + s->q_len) % SIM_QUEUE];
    for (int i = 0; i < SIM_SLOTS; i++)
        if (s->procs[i].used && s->procs[i].pid == m->pid && s->procs[i].starttime == m->starttime)
            s->procs[i].lost_report = true;
}

/* ---- the job's actions ---- */

static int sim_pick(struct sim *s, bool want_used, bool want_alive)
{
    int start = sim_byte(s) % SIM_SLOTS;
    for (int k = 0; k < SIM_SLOTS; k++) {
        int i = (start + k) % SIM_SLOTS;
        if (s->procs[i].used == want_used && (!want_used || s->procs[i].alive == want_alive))
            return i;
    }
    return -1;
}

static void sim_image_argv(struct sim_image *img, unsigned program)
{
    int n = snprintf(img->argv, sizeof img->argv, "prog%u%c-x", program, '\0');
    img->argv_len = (size_t)n + 1;
}

/* Pids come back, but not soon: the kernel hands them out in increasing order up to pid_max (32768 at least),
 * which no job cycles through within a sampling interval and a second. False when the slot has no pid to
 * give (the fork fails). */
static bool sim_new_proc(struct sim *s, int slot, int parent)
{
    int gen = -1;
    for (int k = 0; k < SIM_PID_GENERATIONS && gen < 0; k++) {
        int g = (int)((s->next_pid[slot] + (unsigned)k) % SIM_PID_GENERATIONS);
        if (s->freed_at[slot][g] != INT64_MAX && s->now - s->freed_at[slot][g] > JT_PID_REUSE_NS)
            gen = g;
    }
    if (gen < 0)
        return false;
    s->next_pid[slot] = (unsigned)gen + 1;
    struct sim_proc *p = &s->procs[slot];
    memset(p, 0, sizeof *p);
    p->used = p->alive = true;
    p->pid = (pid_t)(SIM_PID_BASE + slot + SIM_SLOTS * gen);
    p->starttime = ++s->next_starttime;
    p->parent = parent;
    p->n_img = 1;
    return true;
}

/* The root: memwatch's child, its program with the agent (or not); memwatch adopts it at once through the
 * poller (session.c's adopt_root) and takes a first sample. */
static void sim_start_root(struct sim *s)
{
    (void)sim_new_proc(s, 0, -1);
    struct sim_proc *p = &s->procs[0];
    p->img[0].start = s->now;
    p->img[0].agent = sim_byte(s) % 4 != 0;
    sim_image_argv(&p->img[0], 0);
    sim_set_rss(s, p, 100 + sim_byte(s));
    if (p->img[0].agent)
        sim_send_start(s, p, false);
    s->now += SIM_STEP_NS;
    struct jt_image_desc d = {
        .pid = p->pid, .ppid = SIM_MEMWATCH_PID, .starttime_ticks = p->starttime, .t_ns = s->now,
        .argv_blob = p->img[0].argv, .argv_len = p->img[0].argv_len, .argc = 2, .source = JT_SOURCE_POLLER,
    };
    struct jt_process *root = jobtable_observed(&s->jt, &d, p->rss);
    if (root)
        root->is_root = true;
    jobtable_add_sample(&s->jt, s->now, p->rss, 1);
}

static void sim_fork(struct sim *s)
{
    int parent = sim_pick(s, true, true), slot = sim_pick(s, false, false);
    if (parent < 0 || slot < 0)
        return;
    struct sim_proc *pp = &s->procs[parent];
    if (!sim_new_proc(s, slot, parent))
        return;
    struct sim_proc *c = &s->procs[slot];
    c->img[0] = *sim_cur(pp);
    c->img[0].start = s->now;
    c->img[0].parent_copy = true;
    c->img[0].hwm = 0;
    sim_set_rss(s, c, pp->rss);
    if (c->img[0].agent)
        sim_send_start(s, c, true);
}

static void sim_exec(struct sim *s)
{
    int slot = sim_pick(s, true, true);
    uint8_t how = sim_byte(s);
    if (slot < 0)
        return;
    struct sim_proc *p = &s->procs[slot];
    if (sim_cur(p)->agent)
        sim_send_peak(s, p, true);
    if (how % 8 == 0 || p->n_img == SIM_IMAGES)
        return; /* the exec failed: the image goes on */
    struct sim_image *img = &p->img[p->n_img++];
    memset(img, 0, sizeof *img);
    img->start = s->now;
    img->agent = how % 4 != 1; /* else a static, setuid or 32-bit program the agent cannot enter */
    /* A new program each time: a sighting tells an exec by its command line (the poller also by the text
     * address; a re-exec of the same command line into a program without the agent is not modelled). */
    sim_image_argv(img, ++s->programs);
    sim_set_rss(s, p, 50 + how);
    if (img->agent)
        sim_send_start(s, p, false);
}

static void sim_grow(struct sim *s)
{
    int slot = sim_pick(s, true, true);
    uint8_t by = sim_byte(s);
    if (slot < 0)
        return;
    struct sim_proc *p = &s->procs[slot];
    sim_set_rss(s, p, by % 3 == 0 ? p->rss / 2 : p->rss + (uint64_t)by * 64);
}

/* exit(2) through the agent's hook, a raw exit_group (Go), or a fatal signal: no message for the last two. */
static void sim_exit(struct sim *s)
{
    int slot = sim_pick(s, true, true);
    uint8_t how = sim_byte(s);
    if (slot < 0)
        return;
    struct sim_proc *p = &s->procs[slot];
    if (how % 3 == 0 && sim_cur(p)->agent)
        sim_send_peak(s, p, false);
    p->status = how % 3 == 2 ? SIGKILL : (how & 7) << 8;
    p->alive = false;
    p->rss = 0;
    for (int i = 0; i < SIM_SLOTS; i++) /* orphans go to memwatch, the subreaper */
        if (s->procs[i].used && s->procs[i].parent == slot)
            s->procs[i].parent = -1;
}

static void sim_record(struct sim *s, const struct sim_proc *p, uint64_t maxrss)
{
    s->records[s->n_records++] = (struct sim_record){
        .pid = p->pid, .starttime = p->starttime, .peak_counted = sim_peak_counted(p, &s->hidden_images),
        .peak_any = sim_peak_any(p), .maxrss = maxrss, .reaped_at = s->now,
        .copy_missed = p->img[0].parent_copy && !p->fork_reported, .lost_report = p->lost_report};
}

/* A zombie is reaped: by its parent's wait (told by the parent's agent, if any) or by memwatch's own. */
static void sim_reap_slot(struct sim *s, int slot)
{
    struct sim_proc *p = &s->procs[slot];
    uint64_t maxrss = sim_peak_any(p) > p->children_maxrss ? sim_peak_any(p) : p->children_maxrss;
    sim_record(s, p, maxrss);
    s->freed_at[slot][(p->pid - SIM_PID_BASE - slot) / SIM_SLOTS] = INT64_MAX;
    if (p->parent >= 0) {
        struct sim_proc *pp = &s->procs[p->parent];
        if (maxrss > pp->children_maxrss)
            pp->children_maxrss = maxrss;
        if (sim_cur(pp)->agent) {
            struct sim_msg m = {.type = SIM_CHILD_END, .t = s->now, .pid = pp->pid, .starttime = pp->starttime,
                                .child = p->pid, .status = p->status, .kib = maxrss};
            sim_send(s, &m);
        }
    } else {
        /* memwatch reads what is queued before it records its own wait (session.c's reap_children). */
        sim_deliver_some(s, SIZE_MAX);
        struct jt_reaped r = {.pid = p->pid, .starttime_ticks = p->starttime, .by_collector = true, .t_ns = s->now,
                              .wait_status = p->status, .maxrss_kib = maxrss};
        jobtable_reaped(&s->jt, &r);
    }
    p->used = false;
}

static void sim_reap(struct sim *s)
{
    int slot = sim_pick(s, true, false);
    if (slot >= 0)
        sim_reap_slot(s, slot);
}

/* The poller: what is queued is read first (session.c drains before each sample), then each live process
 * is read (or missed), then the job's sample. */
static void sim_sample(struct sim *s)
{
    uint8_t miss = sim_byte(s);
    sim_deliver_some(s, SIZE_MAX);
    /* A listed process whose /proc entry is no more (or belongs to a newer process of that pid) is gone. */
    for (size_t i = 0; i < s->jt.live_cap; i++) {
        if (!s->jt.live_index[i])
            continue;
        struct jt_process *p = s->jt.procs[s->jt.live_index[i] - 1];
        bool there = false;
        for (int k = 0; k < SIM_SLOTS && !there; k++)
            there = s->procs[k].used && s->procs[k].pid == p->pid &&
                    (!p->starttime_ticks || s->procs[k].starttime == p->starttime_ticks);
        if (!there) {
            jobtable_gone(&s->jt, p, s->now);
            i = (size_t)-1; /* the live index changed: start over */
        }
    }
    uint64_t total = 0;
    uint32_t count = 0;
    for (int i = 0; i < SIM_SLOTS; i++) {
        struct sim_proc *p = &s->procs[i];
        if (!p->used || !p->alive || (miss >> (i % 8)) & 1)
            continue;
        const struct sim_image *img = sim_cur(p);
        struct jt_image_desc d = {
            .pid = p->pid, .starttime_ticks = p->starttime, .t_ns = s->now, .argv_blob = img->argv,
            .argv_len = img->argv_len, .source = JT_SOURCE_POLLER,
        };
        d.ppid = p->parent >= 0 ? s->procs[p->parent].pid : SIM_MEMWATCH_PID;
        for (size_t k = 0; k < img->argv_len; k++)
            d.argc += img->argv[k] == '\0';
        p->img[p->n_img - 1].sampled = true;
        if (jobtable_observed(&s->jt, &d, p->rss)) {
            total += p->rss;
            count++;
        }
    }
    jobtable_add_sample(&s->jt, s->now, total, count);
    for (int i = 0; i < SIM_SLOTS; i++)
        for (int g = 0; g < SIM_PID_GENERATIONS; g++)
            if (s->freed_at[i][g] == INT64_MAX)
                s->freed_at[i][g] = s->now;
}

/* ---- the checks ---- */

/* The true process a listed one stands for: same pid and start time, or (a process only a wait revealed,
 * start time unknown) same pid, reaped when the listed one ended. */
static const struct sim_record *sim_find_record(const struct sim *s, const struct jt_process *p)
{
    for (size_t i = 0; i < s->n_records; i++) {
        const struct sim_record *r = &s->records[i];
        if (r->pid == p->pid && (p->starttime_ticks ? r->starttime == p->starttime_ticks : r->reaped_at == p->end_ns))
            return r;
    }
    return NULL;
}

static void sim_check_process(struct sim *s, const struct jt_process *p)
{
    const struct sim_record *rec = sim_find_record(s, p);
    if (!rec) {
        sim_fail(s, "pid %d (starttime %llu) is listed but no such process ended", (int)p->pid,
                 (unsigned long long)p->starttime_ticks);
        return;
    }
    struct jt_peak pk = jobtable_process_peak(p);
    /* Exact: the true peak of the images counted; the table may count a fork child's copy of its parent
     * when nothing told it the image was one (its fork report lost), then the copy's true peak. */
    bool exact_ok = pk.kib == rec->peak_counted || (pk.kib == rec->peak_any && rec->copy_missed);
    if (pk.kind == JT_PEAK_EXACT && !exact_ok && !rec->lost_report) {
        char images[256];
        size_t n = 0;
        for (uint32_t i = 0; i < p->n_images && n < sizeof images - 64; i++)
            n += (size_t)snprintf(images + n, sizeof images - n, " [%s%s src %u exact %llu sampled %llu]",
                                  p->images[i].label, p->images[i].parent_copy ? " copy" : "", p->images[i].sources,
                                  (unsigned long long)p->images[i].exact.kib,
                                  (unsigned long long)p->images[i].sampled.kib);
        sim_fail(s, "pid %d: exact peak %llu, true peak %llu; images%s", (int)p->pid, (unsigned long long)pk.kib,
                 (unsigned long long)rec->peak_counted, images);
    }
    if (pk.kind == JT_PEAK_SAMPLED && pk.kib > rec->peak_any)
        sim_fail(s, "pid %d: sampled peak %llu above the true peak %llu", (int)p->pid, (unsigned long long)pk.kib,
                 (unsigned long long)rec->peak_any);
    if (pk.kind == JT_PEAK_BOUND && pk.kib < rec->peak_any)
        sim_fail(s, "pid %d (starttime %llu, listed %lld..%lld ms, record reaped %lld ms): bound %llu below the true "
                 "peak %llu", (int)p->pid, (unsigned long long)p->starttime_ticks,
                 (long long)(p->first_seen_ns / SIM_STEP_NS), (long long)(p->end_ns / SIM_STEP_NS),
                 (long long)(rec->reaped_at / SIM_STEP_NS), (unsigned long long)pk.kib,
                 (unsigned long long)rec->peak_any);
    if (p->bound_kib && p->bound_kib < rec->peak_any)
        sim_fail(s, "pid %d (starttime %llu, listed %lld..%lld ms, record reaped %lld ms): bound_kib %llu below the "
                 "true peak %llu", (int)p->pid, (unsigned long long)p->starttime_ticks,
                 (long long)(p->first_seen_ns / SIM_STEP_NS), (long long)(p->end_ns / SIM_STEP_NS),
                 (long long)(rec->reaped_at / SIM_STEP_NS), (unsigned long long)p->bound_kib,
                 (unsigned long long)rec->peak_any);
}

static void sim_check_final(struct sim *s)
{
    for (size_t i = 0; i < s->jt.n_procs; i++) {
        const struct jt_process *p = s->jt.procs[i];
        /* One entry per process: per (pid, start time), or, start time unknown (a process only a wait
         * revealed), per pid and lifetime. */
        for (size_t k = i + 1; k < s->jt.n_procs; k++) {
            const struct jt_process *q = s->jt.procs[k];
            bool same = q->pid == p->pid && q->starttime_ticks == p->starttime_ticks &&
                        (p->starttime_ticks || (q->first_seen_ns < p->end_ns && p->first_seen_ns < q->end_ns));
            if (same)
                sim_fail(s, "pid %d (starttime %llu) is listed twice", (int)p->pid,
                         (unsigned long long)p->starttime_ticks);
        }
        sim_check_process(s, p);
    }
    struct jt_peak sampled = jobtable_total_sampled_peak(&s->jt);
    struct jt_upper u;
    bool proven = jobtable_total_upper_bound(&s->jt, &u);
    uint64_t upper = u.kib;
    if (sampled.kib > s->true_total_peak)
        sim_fail(s, "sampled total %llu above the true total peak %llu", (unsigned long long)sampled.kib,
                 (unsigned long long)s->true_total_peak);
    if (proven && upper < s->true_total_peak && s->lost == 0 && !s->hidden_images)
        sim_fail(s, "proven upper bound %llu below the true total peak %llu", (unsigned long long)upper,
                 (unsigned long long)s->true_total_peak);
}

/* The job is over: every process left exits through the agent's hook (its children going to memwatch),
 * memwatch reaps them all, and every message still queued is delivered. */
static void sim_wind_down(struct sim *s)
{
    for (int i = 0; i < SIM_SLOTS; i++) {
        struct sim_proc *p = &s->procs[i];
        if (!p->used || !p->alive)
            continue;
        if (sim_cur(p)->agent)
            sim_send_peak(s, p, false);
        p->alive = false;
        p->rss = 0;
        for (int k = 0; k < SIM_SLOTS; k++)
            if (s->procs[k].used && s->procs[k].parent == i)
                s->procs[k].parent = -1;
    }
    s->now += SIM_STEP_NS;
    for (int i = 0; i < SIM_SLOTS; i++)
        if (s->procs[i].used)
            sim_reap_slot(s, i);
    sim_deliver_some(s, SIZE_MAX);
    jobtable_finish(&s->jt, s->now + SIM_STEP_NS);
}

/* JOBTABLE_SIM_TRACE=1: each step and the model's processes on stderr, to read a failing seed. */
static void sim_trace(const struct sim *s, uint8_t op)
{
    static const char *const names[] = {"fork", "exec", "grow", "exit", "reap", "sample", "deliver", "lose",
                                        "grow"};
    fprintf(stderr, "step %d t=%lldms %s (next byte %u) queue=%zu |", s->step, (long long)(s->now / SIM_STEP_NS),
            names[op], s->pos < s->len ? s->data[s->pos] : 0, s->q_len);
    for (int i = 0; i < SIM_SLOTS; i++) {
        const struct sim_proc *p = &s->procs[i];
        if (p->used)
            fprintf(stderr, " [%d] pid %d%s par %d imgs %d%s rss %llu;", i, (int)p->pid, p->alive ? "" : " zombie",
                    p->parent, p->n_img, p->img[p->n_img - 1].agent ? "" : " noagent", (unsigned long long)p->rss);
    }
    fputc('\n', stderr);
}

int jobtable_sim_run(const uint8_t *data, size_t len, char *why, size_t whylen)
{
    static struct sim s;
    memset(&s, 0, sizeof s);
    s.data = data;
    s.len = len;
    s.why = why;
    s.whylen = whylen;
    why[0] = '\0';
    jobtable_init(&s.jt);
    for (int i = 0; i < SIM_SLOTS; i++)
        for (int g = 0; g < SIM_PID_GENERATIONS; g++)
            s.freed_at[i][g] = -JT_PID_REUSE_NS; /* never held: free at once */
    s.now = SIM_STEP_NS;
    sim_start_root(&s);
    bool trace = getenv("JOBTABLE_SIM_TRACE") != NULL;
    for (s.step = 1; s.pos < s.len && s.step < SIM_MAX_STEPS && !s.failed; s.step++) {
        s.now += SIM_STEP_NS * (1 + sim_byte(&s) % 4);
        uint8_t op = sim_byte(&s) % 9;
        if (trace)
            sim_trace(&s, op);
        switch (op) {
        case 0: sim_fork(&s); break;
        case 1: sim_exec(&s); break;
        case 2: sim_grow(&s); break;
        case 3: sim_exit(&s); break;
        case 4: sim_reap(&s); break;
        case 5: sim_sample(&s); break;
        case 6: sim_deliver_some(&s, 1 + sim_byte(&s) % 4); break;
        case 7: sim_lose_newest(&s); break;
        default: sim_grow(&s); break;
        }
    }
    if (!s.failed) {
        sim_wind_down(&s);
        sim_check_final(&s);
    }
    jobtable_free(&s.jt);
    return s.failed ? -1 : 0;
}
