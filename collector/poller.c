/* The poller: reads only job processes (and their children lists), never a scan of all of /proc. */
#include "poller.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "inspector/inspector.h"
#include "memwatch/wire.h"

static void work_push(pid_t pid, void *ctx)
{
    struct poller *pl = ctx;
    if (pl->n_work == pl->cap_work) {
        size_t cap = pl->cap_work ? pl->cap_work * 2 : 64;
        pid_t *w = realloc(pl->work, cap * sizeof *w);
        if (!w)
            return; /* this pass sees less; the next one tries again */
        pl->work = w;
        pl->cap_work = cap;
    }
    pl->work[pl->n_work++] = pid;
}

void poller_init(struct poller *pl, struct jobtable *jt)
{
    memset(pl, 0, sizeof *pl);
    pl->jt = jt;
    pl->self = getpid();
}

void poller_free(struct poller *pl)
{
    free(pl->work);
    memset(pl, 0, sizeof *pl);
}

struct pass_totals {
    uint64_t rss_kib;
    uint32_t count;
};

/* A command line for the job table; an empty one (exiting process) is shown as "[comm]" like ps does. */
static void describe(struct poller *pl, const struct inspector_proc *ip, struct jt_image_desc *d, char *buf,
                     size_t len)
{
    size_t used = 0;
    uint32_t argc = 0;
    bool truncated = false;
    pl->proc_reads++;
    if (inspector_read_cmdline(ip->pid, buf, len, &used, &argc, &truncated) != 0 || argc == 0) {
        used = (size_t)snprintf(buf, len, "[%s]", ip->comm) + 1;
        argc = 1;
        truncated = false;
        d->placeholder = true;
    }
    d->argv_blob = buf;
    d->argv_len = used;
    d->argc = argc;
    d->argv_truncated = truncated;
}

/* Only a process the agent has not entered can be a vfork child before its exec (the agent reports each
 * image it enters), and only one whose parent is of the job matters: one kcmp for each such sighting. */
static bool shares_parent_vm(struct poller *pl, const struct jt_process *p, const struct inspector_proc *ip)
{
    if (p && (jobtable_current_image(p)->sources & JT_SOURCE_AGENT))
        return false;
    if (ip->ppid <= 0 || !jobtable_find_live(pl->jt, ip->ppid))
        return false;
    return inspector_same_vm(ip->pid, ip->ppid) == 1;
}

/* Only asked for with --with-io: one more read per process and pass. An unreadable one (another user's
 * process, which only ptrace access may read) stays unknown. */
static void read_io(struct poller *pl, struct jt_process *p)
{
    struct inspector_io io;
    pl->proc_reads++;
    if (inspector_read_io(p->pid, &io) != 0)
        return;
    struct jt_io reading = {io.rchar, io.wchar, io.read_bytes, io.write_bytes, JT_PEAK_SAMPLED};
    jobtable_io_reading(pl->jt, p, &reading);
}

static void visit(struct poller *pl, pid_t pid, int64_t now, struct pass_totals *tot)
{
    struct jt_process *p = jobtable_find_live(pl->jt, pid);
    if (p && p->last_seen_ns == now && (p->sources & JT_SOURCE_POLLER))
        return; /* already visited in this pass */
    struct inspector_proc ip;
    pl->proc_reads++;
    if (inspector_read_proc(pid, &ip) != 0) {
        /* Only a process that is no more is gone: a read that failed for want of a descriptor (EMFILE)
         * or memory says nothing about it. */
        if (p && inspector_gone(errno))
            jobtable_gone(pl->jt, p, now);
        return;
    }
    if (ip.state == 'Z')
        return; /* holds no memory; whoever reaps it reports how it ended */
    uint64_t hwm_kib = 0;
    pl->proc_reads++;
    if (inspector_read_hwm(pid, &hwm_kib) != 0)
        hwm_kib = 0;
    char argv[MW_ARGV_MAX];
    struct jt_image_desc d = {
        .pid = pid, .ppid = ip.ppid, .starttime_ticks = ip.starttime_ticks, .t_ns = now,
        .source = JT_SOURCE_POLLER, .hwm_kib = hwm_kib,
    };
    bool reused = p && p->starttime_ticks && p->starttime_ticks != ip.starttime_ticks;
    bool exec_seen = p && (strcmp(p->comm, ip.comm) != 0 || p->code_start != ip.code_start);
    if (!p || reused || exec_seen)
        describe(pl, &ip, &d, argv, sizeof argv);
    /* A vfork child before its exec holds its parent's memory, not memory of its own: counted once. */
    uint64_t own_kib = shares_parent_vm(pl, p, &ip) ? 0 : ip.rss_kib;
    if (own_kib == 0)
        d.hwm_kib = 0;
    p = jobtable_observed(pl->jt, &d, own_kib);
    if (!p)
        return;
    snprintf(p->comm, sizeof p->comm, "%s", ip.comm);
    p->code_start = ip.code_start;
    jobtable_cpu_reading(p, ip.utime_us, ip.stime_us);
    if (pl->jt->job.with_io)
        read_io(pl, p);
    tot->rss_kib += own_kib;
    tot->count++;
    pl->proc_reads++;
    if (inspector_children_supported())
        inspector_for_each_child(&ip, work_push, pl);
    else
        inspector_scan_children(pid, work_push, pl);
}

static void run_pass(struct poller *pl, int64_t now, struct pass_totals *tot)
{
    /* Visiting may end processes (and so reorder the live index): take the pids first. */
    for (size_t i = 0; i < pl->jt->live_cap; i++)
        if (pl->jt->live_index[i])
            work_push(pl->jt->procs[pl->jt->live_index[i] - 1]->pid, pl);
    struct inspector_proc self = {.pid = pl->self, .threads = 1};
    if (inspector_children_supported())
        inspector_for_each_child(&self, work_push, pl);
    for (size_t i = 0; i < pl->n_work; i++)
        visit(pl, pl->work[i], now, tot);
    pl->n_work = 0;
}

void poller_adopt(struct poller *pl, pid_t pid, int64_t now_ns)
{
    struct pass_totals tot = {0};
    work_push(pid, pl);
    for (size_t i = 0; i < pl->n_work; i++)
        visit(pl, pl->work[i], now_ns, &tot);
    pl->n_work = 0;
}

void poller_sample(struct poller *pl, int64_t now_ns)
{
    struct pass_totals tot = {0};
    run_pass(pl, now_ns, &tot);
    jobtable_add_sample(pl->jt, now_ns, tot.rss_kib, tot.count);
    pl->passes++;
}
