/* Job-table rules: exec relabels, PID reuse, fork children, late reports, peak kinds, the total's bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <cmocka.h>

#include "jobtable.h"

#define MS 1000000LL

struct fixture {
    struct jobtable jt;
};

static int setup(void **state)
{
    static struct fixture f;
    jobtable_init(&f.jt);
    f.jt.job.start_ns = 0;
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    jobtable_free(&f->jt);
    return 0;
}

/* A desc whose argv blob is `blob` of `len` bytes (NULs included). */
static struct jt_image_desc desc(pid_t pid, int64_t t, const char *blob, size_t len, enum jt_source src)
{
    uint32_t argc = 0;
    for (size_t i = 0; i < len; i++)
        argc += blob[i] == '\0';
    return (struct jt_image_desc){
        .pid = pid, .ppid = 1, .starttime_ticks = 1000, .t_ns = t, .argv_blob = blob, .argv_len = len,
        .argc = argc, .source = src,
    };
}

#define DESC(pid, t, lit, src) desc((pid), (t), (lit), sizeof(lit), (src))

static void peak(struct jobtable *jt, struct jt_process *p, int64_t image_start, int64_t t, uint64_t kib)
{
    struct jt_peak_report r = {.image_start_ns = image_start, .t_ns = t, .hwm_kib = kib};
    jobtable_image_peak(jt, p, &r);
}

static void test_exec_relabels(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(10, 1 * MS, "sh\0-c\0exec python3 x.py", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &a);
    assert_non_null(p);
    peak(jt, p, 1 * MS, 2 * MS, 1500);
    struct jt_image_desc b = DESC(10, 3 * MS, "python3\0x.py", JT_SOURCE_AGENT);
    assert_ptr_equal(jobtable_image_started(jt, &b), p);
    assert_int_equal(jt->n_procs, 1);
    assert_int_equal(p->n_images, 2);
    assert_string_equal(jobtable_current_image(p)->label, "python3 x.py");
    assert_int_equal(p->images[0].end_ns, 3 * MS);
    assert_string_equal(jobtable_group_name(jobtable_current_image(p)), "python3");
}

static void test_late_peak_goes_to_its_image(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(11, 1 * MS, "make", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &a);
    struct jt_image_desc b = DESC(11, 5 * MS, "cc\0-c\0x.c", JT_SOURCE_AGENT);
    jobtable_image_started(jt, &b);
    /* The old image's last report is read after the new image's start. */
    peak(jt, p, 1 * MS, 4 * MS, 9000);
    peak(jt, p, 5 * MS, 6 * MS, 700);
    assert_int_equal(p->images[0].exact.kib, 9000);
    assert_int_equal(p->images[1].exact.kib, 700);
    struct jt_peak pk = jobtable_process_peak(p);
    assert_int_equal(pk.kind, JT_PEAK_EXACT);
    assert_int_equal(pk.kib, 9000);
}

static void test_pid_reuse_is_a_new_process(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(12, 1 * MS, "first", JT_SOURCE_POLLER);
    struct jt_process *p1 = jobtable_observed(jt, &a, 100);
    struct jt_image_desc b = DESC(12, 9 * MS, "second", JT_SOURCE_POLLER);
    b.starttime_ticks = 2000;
    struct jt_process *p2 = jobtable_observed(jt, &b, 200);
    assert_ptr_not_equal(p1, p2);
    assert_int_equal(jt->n_procs, 2);
    assert_int_equal(p1->end, JT_END_GONE);
    assert_int_equal(p2->end, JT_END_RUNNING);
    assert_ptr_equal(jobtable_find_live(jt, 12), p2);
}

static void test_fork_child_merges_with_poller_sighting(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc seen = DESC(13, 3 * MS, "worker\0--fast", JT_SOURCE_POLLER);
    struct jt_process *p = jobtable_observed(jt, &seen, 4000);
    struct jt_image_desc forked = DESC(13, 2 * MS, "worker\0--fast", JT_SOURCE_AGENT);
    forked.forked = true;
    assert_ptr_equal(jobtable_image_started(jt, &forked), p);
    assert_int_equal(p->n_images, 1);
    assert_true(p->forked);
    assert_int_equal(p->images[0].start_ns, 2 * MS);
    assert_true(p->images[0].sources & JT_SOURCE_AGENT);
}

static void test_fork_report_after_exec_report(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc exec = DESC(14, 5 * MS, "cc1\0x.c", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &exec);
    struct jt_image_desc forked = DESC(14, 2 * MS, "gcc\0x.c", JT_SOURCE_AGENT);
    forked.forked = true;
    jobtable_image_started(jt, &forked);
    assert_int_equal(p->n_images, 2);
    assert_string_equal(p->images[0].label, "gcc x.c");
    assert_string_equal(p->images[1].label, "cc1 x.c");
    assert_int_equal(p->images[0].end_ns, 5 * MS);
    assert_string_equal(jobtable_current_image(p)->label, "cc1 x.c");
}

static void test_reaped_records_end_and_bound(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(15, 1 * MS, "victim", JT_SOURCE_POLLER);
    struct jt_process *p = jobtable_observed(jt, &a, 50000);
    struct jt_reaped r = {.pid = 15, .t_ns = 8 * MS, .wait_status = SIGKILL, .maxrss_kib = 210000};
    assert_ptr_equal(jobtable_reaped(jt, &r), p);
    assert_int_equal(p->end, JT_END_SIGNALED);
    assert_int_equal(p->signal, SIGKILL);
    assert_int_equal(p->end_ns, 8 * MS);
    assert_null(jobtable_find_live(jt, 15));
    struct jt_peak pk = jobtable_process_peak(p);
    assert_int_equal(pk.kind, JT_PEAK_SAMPLED); /* a lower bound, never passed off as exact */
    assert_int_equal(pk.kib, 50000);
    assert_int_equal(p->bound_kib, 210000);
}

static void test_only_bound_known(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(16, 1 * MS, "static-tool", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &a);
    struct jt_reaped r = {.pid = 16, .t_ns = 2 * MS, .wait_status = 0, .maxrss_kib = 3000};
    jobtable_reaped(jt, &r);
    struct jt_peak pk = jobtable_process_peak(p);
    assert_int_equal(pk.kind, JT_PEAK_BOUND);
    assert_int_equal(pk.kib, 3000);
    assert_int_equal(p->end, JT_END_EXITED);
    assert_int_equal(p->exit_code, 0);
}

static void test_late_status_upgrades_gone(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(17, 1 * MS, "quick", JT_SOURCE_POLLER);
    struct jt_process *p = jobtable_observed(jt, &a, 10);
    jobtable_gone(jt, p, 2 * MS);
    assert_int_equal(p->end, JT_END_GONE);
    /* The wait happened before the poller saw it vanish; its report arrives after. */
    struct jt_reaped r = {.pid = 17, .t_ns = 2 * MS - MS / 2, .wait_status = 3 << 8};
    assert_ptr_equal(jobtable_reaped(jt, &r), p);
    assert_int_equal(p->end, JT_END_EXITED);
    assert_int_equal(p->exit_code, 3);
}

/* A wait stamped after the poller saw a process vanish is another process of that pid (the pid came back):
 * the ended one keeps its end, and the reaper's unseen child is listed on its own. */
static void test_later_wait_is_another_process(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc parent = DESC(30, 1 * MS, "make", JT_SOURCE_AGENT);
    jobtable_image_started(jt, &parent);
    struct jt_image_desc a = DESC(31, 2 * MS, "cc", JT_SOURCE_POLLER);
    a.ppid = 30;
    struct jt_process *first = jobtable_observed(jt, &a, 10);
    jobtable_gone(jt, first, 3 * MS);
    struct jt_reaped r = {.pid = 31, .reaper = 30, .t_ns = 3 * MS + JT_PID_REUSE_NS + MS, .wait_status = 0,
                          .maxrss_kib = 5000};
    struct jt_process *second = jobtable_reaped(jt, &r);
    assert_non_null(second);
    assert_ptr_not_equal(second, first);
    assert_int_equal(first->end, JT_END_GONE);
    assert_int_equal(second->end, JT_END_EXITED);
    assert_int_equal(second->bound_kib, 5000);
    assert_true(second->first_seen_ns >= first->end_ns); /* it began after the first one ended */
}

/* memwatch's own wait names the zombie by its start time: a live entry of another start time is not it. */
static void test_wait_with_start_time(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(33, 1 * MS, "old", JT_SOURCE_POLLER); /* starttime 1000 */
    struct jt_process *old = jobtable_observed(jt, &a, 10);
    struct jt_reaped r = {.pid = 33, .starttime_ticks = 2000, .by_collector = true, .t_ns = 5 * MS,
                          .wait_status = 2 << 8, .maxrss_kib = 700};
    struct jt_process *reaped = jobtable_reaped(jt, &r);
    assert_non_null(reaped);
    assert_ptr_not_equal(reaped, old);
    assert_int_equal(reaped->starttime_ticks, 2000);
    assert_int_equal(reaped->exit_code, 2);
    assert_int_equal(old->end, JT_END_GONE); /* the stale entry ended before its pid came back */
}

/* An exec the agent announced and nothing followed (a static program, or a failed exec then death): an
 * unreported image stands after it, so the stale figure is not the process's exact peak. */
static void test_unfollowed_exec(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc fork_copy = DESC(35, 1 * MS, "make", JT_SOURCE_AGENT);
    fork_copy.forked = true;
    struct jt_process *p = jobtable_image_started(jt, &fork_copy);
    struct jt_peak_report at_exec = {.image_start_ns = 1 * MS, .t_ns = 2 * MS, .hwm_kib = 668, .at_exec = true};
    jobtable_image_peak(jt, p, &at_exec);
    struct jt_reaped r = {.pid = 35, .by_collector = true, .t_ns = 4 * MS, .maxrss_kib = 103564};
    jobtable_reaped(jt, &r);
    jobtable_finish(jt, 5 * MS);
    assert_int_equal(p->n_images, 2);
    assert_true(jobtable_current_image(p)->unreported);
    struct jt_peak pk = jobtable_process_peak(p);
    assert_int_not_equal(pk.kind, JT_PEAK_EXACT);
    assert_int_equal(pk.kib, 103564); /* the wait's bound, not the parent's 668 */
    struct jt_upper u;
    assert_false(jobtable_total_upper_bound(jt, &u));
    assert_int_equal(u.agentless, 1);
}

/* A peak naming an image whose start report was lost: not another image's figure. */
static void test_peak_of_a_lost_start(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(36, 1 * MS, "sh", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &a);
    struct jt_peak_report exec = {.image_start_ns = 1 * MS, .t_ns = 2 * MS, .hwm_kib = 300, .at_exec = true};
    jobtable_image_peak(jt, p, &exec);
    struct jt_peak_report exit = {.image_start_ns = 3 * MS, .t_ns = 6 * MS, .hwm_kib = 50000};
    jobtable_image_peak(jt, p, &exit); /* the start of the image at 3 ms never arrived */
    assert_int_equal(p->n_images, 2);
    assert_int_equal(p->images[0].exact.kib, 300);
    assert_int_equal(p->images[1].exact.kib, 50000);
    assert_int_equal(jobtable_process_peak(p).kib, 50000);
}

static void test_orphan_keeps_its_place(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc parent = DESC(20, 1 * MS, "parent", JT_SOURCE_AGENT);
    jobtable_image_started(jt, &parent);
    struct jt_image_desc child = DESC(21, 2 * MS, "orphan", JT_SOURCE_AGENT);
    child.ppid = 20;
    struct jt_process *c = jobtable_image_started(jt, &child);
    struct jt_reaped r = {.pid = 20, .t_ns = 3 * MS};
    jobtable_reaped(jt, &r);
    /* Reparented to memwatch, the subreaper: still the same process of the job. */
    struct jt_image_desc later = DESC(21, 4 * MS, "orphan", JT_SOURCE_POLLER);
    later.ppid = 99;
    assert_ptr_equal(jobtable_observed(jt, &later, 500), c);
    assert_int_equal(c->ppid, 20); /* its real parent, not the subreaper that adopted it */
    assert_int_equal(c->end, JT_END_RUNNING);
    jobtable_finish(jt, 10 * MS);
    assert_int_equal(c->last_seen_ns, 10 * MS);
}

static void test_poller_relabel_only_without_agent(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(30, 1 * MS, "nginx", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &a);
    /* The program rewrote its own command line: not an exec. */
    struct jt_image_desc b = DESC(30, 2 * MS, "nginx: worker process", JT_SOURCE_POLLER);
    jobtable_observed(jt, &b, 100);
    assert_int_equal(p->n_images, 1);
    /* An announced exec the agent could not follow (static program): the poller is believed. */
    struct jt_peak_report r = {.t_ns = 3 * MS, .hwm_kib = 100, .at_exec = true};
    jobtable_image_peak(jt, p, &r);
    struct jt_image_desc c = DESC(30, 4 * MS, "static-prog", JT_SOURCE_POLLER);
    jobtable_observed(jt, &c, 300);
    assert_int_equal(p->n_images, 2);
    assert_string_equal(jobtable_current_image(p)->label, "static-prog");
}

static void test_total_bounds_bracket_truth(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    /* Four processes holding 100 MiB each at once; the poller saw three of them at their height. */
    for (int i = 0; i < 4; i++) {
        struct jt_image_desc d = DESC(40 + i, (1 + i) * MS, "holder", JT_SOURCE_AGENT);
        struct jt_process *p = jobtable_image_started(jt, &d);
        peak(jt, p, 0, 20 * MS, 102400);
        struct jt_reaped r = {.pid = 40 + i, .t_ns = 30 * MS};
        jobtable_reaped(jt, &r);
    }
    jobtable_add_sample(jt, 10 * MS, 3 * 102400, 4);
    jobtable_finish(jt, 40 * MS);
    struct jt_upper upper;
    assert_true(jobtable_total_upper_bound(jt, &upper));
    assert_int_equal(upper.unbounded, 0);
    assert_int_equal(upper.agentless, 0);
    assert_int_equal(upper.kib, 4 * 102400);
    struct jt_peak lower = jobtable_total_sampled_peak(jt);
    assert_true(lower.kib <= 4 * 102400);
    assert_int_equal(lower.at_ns, 10 * MS);
}

static void test_sequential_processes_do_not_add_up(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    for (int i = 0; i < 3; i++) {
        struct jt_image_desc d = DESC(50 + i, (10 * i + 1) * MS, "step", JT_SOURCE_AGENT);
        struct jt_process *p = jobtable_image_started(jt, &d);
        peak(jt, p, 0, (10 * i + 2) * MS, 1000);
        struct jt_reaped r = {.pid = 50 + i, .t_ns = (10 * i + 5) * MS};
        jobtable_reaped(jt, &r);
    }
    jobtable_finish(jt, 40 * MS);
    struct jt_upper upper;
    assert_true(jobtable_total_upper_bound(jt, &upper));
    assert_int_equal(upper.kib, 1000);
}

#define MIB 1024

/* A cc1 (exact 24 MiB) alive from start_ms to end_ms, as the agent and a wait report it. */
static struct jt_process *cc1_run(struct jobtable *jt, pid_t pid, int64_t start_ms, int64_t end_ms)
{
    struct jt_image_desc d = DESC(pid, start_ms * MS, "/usr/lib/gcc/cc1\0-quiet\0f.c", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &d);
    assert_non_null(p);
    peak(jt, p, 0, end_ms * MS, 24 * MIB);
    struct jt_reaped r = {.pid = pid, .t_ns = end_ms * MS};
    assert_non_null(jobtable_reaped(jt, &r));
    return p;
}

static struct jt_footprint footprint_of(const struct jobtable *jt, const char *name)
{
    struct jt_footprint fp;
    const char *names[] = {name};
    assert_int_equal(jobtable_group_footprints(jt, names, 1, &fp), 0);
    return fp;
}

static void test_group_in_turn_is_one_peak(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    cc1_run(jt, 70, 1, 10);
    cc1_run(jt, 71, 20, 30);
    jobtable_finish(jt, 40 * MS);
    struct jt_footprint fp = footprint_of(jt, "cc1");
    assert_true(fp.upper.proven);
    assert_int_equal(fp.upper.kib, 24 * MIB); /* never together: not 48 */
    assert_int_equal(fp.single.kib, 24 * MIB);
    assert_int_equal(fp.single.kind, JT_PEAK_EXACT);
    assert_int_equal(fp.sampled.kind, JT_PEAK_NONE);
}

static void test_group_together_adds_up(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    cc1_run(jt, 72, 1, 10);
    cc1_run(jt, 73, 5, 30);
    struct jt_image_desc sh = DESC(74, 2 * MS, "sh\0-c\0cc1", JT_SOURCE_POLLER);
    jobtable_observed(jt, &sh, 100 * MIB); /* another program, seen only by the poller */
    jobtable_finish(jt, 40 * MS);
    struct jt_footprint fp = footprint_of(jt, "cc1");
    assert_int_equal(fp.upper.kib, 48 * MIB);
    assert_true(fp.upper.proven); /* the sh proves nothing, but it is not of the group */
    assert_int_equal(fp.upper.unbounded, 0);
    struct jt_upper total;
    assert_false(jobtable_total_upper_bound(jt, &total)); /* the job's total does count it */
    assert_int_equal(total.kib, 148 * MIB);
    assert_int_equal(total.unbounded, 1);
    assert_int_equal(total.agentless, 1); /* the sh ran without the agent */
}

/* An exec hands a process over from one image to the next, within a group or across groups: no sum. */
static void test_exec_hands_over(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc sh = DESC(75, 1 * MS, "sh\0-c\0exec cc1 f.c", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &sh);
    peak(jt, p, 1 * MS, 5 * MS, 10 * MIB);
    struct jt_image_desc first = DESC(75, 5 * MS, "cc1\0f.c", JT_SOURCE_AGENT);
    jobtable_image_started(jt, &first);
    peak(jt, p, 5 * MS, 8 * MS, 24 * MIB);
    struct jt_image_desc again = DESC(75, 8 * MS, "cc1\0g.c", JT_SOURCE_AGENT);
    jobtable_image_started(jt, &again);
    peak(jt, p, 8 * MS, 10 * MS, 20 * MIB);
    struct jt_reaped r = {.pid = 75, .t_ns = 10 * MS};
    jobtable_reaped(jt, &r);
    jobtable_finish(jt, 20 * MS);
    struct jt_upper total;
    assert_true(jobtable_total_upper_bound(jt, &total));
    assert_int_equal(total.kib, 24 * MIB);
    struct jt_footprint fp[2];
    const char *names[] = {"cc1", "sh"};
    assert_int_equal(jobtable_group_footprints(jt, names, 2, fp), 0);
    assert_int_equal(fp[0].upper.kib, 24 * MIB);
    assert_int_equal(fp[1].upper.kib, 10 * MIB);
}

/* What the poller read in one pass is summed per program; the largest sum is kept with its instant. */
static void test_group_sampled_sum(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(80, 1 * MS, "cc1\0a.c", JT_SOURCE_POLLER);
    struct jt_image_desc b = DESC(81, 1 * MS, "/usr/bin/cc1\0b.c", JT_SOURCE_POLLER);
    struct jt_image_desc c = DESC(82, 1 * MS, "as\0a.s", JT_SOURCE_POLLER);
    jobtable_observed(jt, &a, 1000);
    jobtable_observed(jt, &b, 2000);
    jobtable_observed(jt, &c, 500);
    assert_int_equal(jobtable_add_sample(jt, 1 * MS, 3500, 3), 0);
    a.t_ns = b.t_ns = 2 * MS;
    jobtable_observed(jt, &a, 1500); /* b is not read in this pass: its old figure does not count */
    assert_int_equal(jobtable_add_sample(jt, 2 * MS, 1500, 1), 0);
    a.t_ns = b.t_ns = 3 * MS;
    jobtable_observed(jt, &a, 1200);
    jobtable_observed(jt, &b, 1000);
    assert_int_equal(jobtable_add_sample(jt, 3 * MS, 2200, 2), 0);

    struct jt_peak cc1 = jobtable_group_sampled_peak(jt, "cc1");
    assert_int_equal(cc1.kind, JT_PEAK_SAMPLED);
    assert_int_equal(cc1.kib, 3000);
    assert_int_equal(cc1.at_ns, 1 * MS);
    assert_int_equal(jobtable_group_sampled_peak(jt, "as").kib, 500);
    assert_int_equal(jobtable_group_sampled_peak(jt, "ld").kind, JT_PEAK_NONE);
    jobtable_finish(jt, 4 * MS);
    struct jt_footprint fp = footprint_of(jt, "cc1");
    assert_int_equal(fp.sampled.kib, 3000);
    assert_false(fp.upper.proven); /* the poller alone proves nothing */
    assert_int_equal(fp.upper.unbounded, 2);
}

/* Many groups in one sweep: each gets its own bound, as if swept alone. */
static void test_group_footprints_many(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    static const char *const progs[] = {"as", "cc1", "ld", "zz"};
    for (int i = 0; i < 12; i++) {
        char blob[16];
        int n = snprintf(blob, sizeof blob, "%s", progs[i % 3]);
        struct jt_image_desc d = desc(90 + i, (1 + i) * MS, blob, (size_t)n + 1, JT_SOURCE_AGENT);
        struct jt_process *p = jobtable_image_started(jt, &d);
        peak(jt, p, 0, 50 * MS, (uint64_t)(i % 3 + 1) * 1000);
        struct jt_reaped r = {.pid = 90 + i, .t_ns = 50 * MS};
        jobtable_reaped(jt, &r);
    }
    jobtable_finish(jt, 60 * MS);
    struct jt_footprint fp[4];
    assert_int_equal(jobtable_group_footprints(jt, progs, 4, fp), 0);
    for (int g = 0; g < 3; g++) {
        assert_int_equal(fp[g].upper.kib, 4 * (uint64_t)(g + 1) * 1000);
        assert_true(fp[g].upper.proven);
    }
    assert_int_equal(fp[3].upper.kib, 0); /* a name no image has */
    assert_int_equal(fp[3].single.kind, JT_PEAK_NONE);
}

static void test_start_read_after_reap(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    /* The poller caught the child; its parent's wait was read before the exec'd image's own start. */
    struct jt_image_desc seen = DESC(60, 2 * MS, "make\0-j2", JT_SOURCE_POLLER);
    seen.ppid = 59;
    struct jt_process *p = jobtable_observed(jt, &seen, 100);
    struct jt_reaped r = {.pid = 60, .t_ns = 9 * MS};
    jobtable_reaped(jt, &r);
    struct jt_image_desc exec = DESC(60, 3 * MS, "cc\0-c\0a.c", JT_SOURCE_AGENT);
    exec.ppid = 59;
    assert_ptr_equal(jobtable_image_started(jt, &exec), p);
    assert_int_equal(jt->n_procs, 1);
    assert_int_equal(p->end, JT_END_EXITED);
    assert_string_equal(jobtable_current_image(p)->label, "cc -c a.c");
    assert_int_equal(jobtable_current_image(p)->end_ns, 9 * MS);
}

static void test_vfork_copy_is_not_an_image(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc parent = DESC(70, 1 * MS, "sh\0-c\0loop", JT_SOURCE_AGENT);
    jobtable_image_started(jt, &parent);
    /* Between vfork and exec the child shows its parent's command line and memory. */
    struct jt_image_desc copy = DESC(71, 2 * MS, "sh\0-c\0loop", JT_SOURCE_POLLER);
    copy.ppid = 70;
    struct jt_process *c = jobtable_observed(jt, &copy, 1800);
    struct jt_image_desc exec = DESC(71, 3 * MS, "/bin/true", JT_SOURCE_AGENT);
    exec.ppid = 70;
    assert_ptr_equal(jobtable_image_started(jt, &exec), c);
    assert_int_equal(c->n_images, 1);
    peak(jt, c, 3 * MS, 4 * MS, 1400);
    struct jt_peak pk = jobtable_process_peak(c);
    assert_int_equal(pk.kind, JT_PEAK_EXACT);
    assert_int_equal(pk.kib, 1400);
}

static void test_reattach_is_the_same_image(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(80, 1 * MS, "python3\0-c\0x", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &a);
    /* close_fds closed the agent's socket; it reconnected and repeated its start. */
    assert_ptr_equal(jobtable_image_started(jt, &a), p);
    assert_int_equal(p->n_images, 1);
    assert_int_equal(jt->n_procs, 1);
}

static void test_fork_copy_not_in_process_peak(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc parent = DESC(90, 1 * MS, "rustc\0lib.rs", JT_SOURCE_AGENT);
    jobtable_image_started(jt, &parent);
    struct jt_image_desc forked = DESC(91, 2 * MS, "rustc\0lib.rs", JT_SOURCE_AGENT);
    forked.ppid = 90;
    forked.forked = true;
    struct jt_process *c = jobtable_image_started(jt, &forked);
    peak(jt, c, 2 * MS, 3 * MS, 62000); /* the parent's pages, counted in the child's RSS after fork */
    struct jt_image_desc exec = DESC(91, 3 * MS, "cc\0-m64", JT_SOURCE_AGENT);
    exec.ppid = 90;
    jobtable_image_started(jt, &exec);
    peak(jt, c, 3 * MS, 4 * MS, 2800);
    assert_true(c->images[0].parent_copy);
    struct jt_peak pk = jobtable_process_peak(c);
    assert_int_equal(pk.kind, JT_PEAK_EXACT);
    assert_int_equal(pk.kib, 2800);
    /* A fork child that never execs is its own program: its peak counts. */
    struct jt_image_desc worker = DESC(92, 5 * MS, "rustc\0lib.rs", JT_SOURCE_AGENT);
    worker.ppid = 90;
    worker.forked = true;
    struct jt_process *w = jobtable_image_started(jt, &worker);
    peak(jt, w, 5 * MS, 6 * MS, 64000);
    assert_int_equal(jobtable_process_peak(w).kib, 64000);
}

static void test_exact_peak_time_from_nearby_sample(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(93, 1 * MS, "rank", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &a);
    struct jt_image_desc seen = DESC(93, 20 * MS, "rank", JT_SOURCE_POLLER);
    jobtable_observed(jt, &seen, 98000);
    peak(jt, p, 1 * MS, 90 * MS, 100000);
    assert_int_equal(jobtable_process_peak(p).at_ns, 20 * MS);
    peak(jt, p, 1 * MS, 95 * MS, 200000); /* no sample came near: the report's instant */
    assert_int_equal(jobtable_process_peak(p).at_ns, 95 * MS);
}

static void test_identical_command_lines_share_one_block(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_process *p[3];
    for (int i = 0; i < 3; i++) {
        struct jt_image_desc d = DESC(100 + i, (1 + i) * MS, "/bin/true", JT_SOURCE_AGENT);
        d.exe = "/usr/bin/true";
        p[i] = jobtable_image_started(jt, &d);
    }
    assert_ptr_equal(p[0]->images[0].argv, p[2]->images[0].argv);
    assert_int_equal(jt->argv_pool.count, 1);
    assert_string_equal(p[1]->images[0].exe, "/usr/bin/true");
    /* Same argv, no exe: a different block, so "unknown" is never passed off as a path. */
    struct jt_image_desc other = DESC(110, 9 * MS, "/bin/true", JT_SOURCE_POLLER);
    struct jt_process *q = jobtable_observed(jt, &other, 10);
    assert_ptr_not_equal(q->images[0].argv, p[0]->images[0].argv);
    assert_null(q->images[0].exe);
    assert_string_equal(q->images[0].label, "/bin/true");
    assert_int_equal(jt->argv_pool.count, 2);
}

static void test_truncated_argv_matches_its_prefix(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc whole = DESC(120, 1 * MS, "gen\0--data\0aaaaaaaaaa", JT_SOURCE_POLLER);
    struct jt_process *p = jobtable_observed(jt, &whole, 10);
    struct jt_image_desc cut = DESC(120, 2 * MS, "gen\0--data\0aaaa", JT_SOURCE_AGENT);
    cut.argv_truncated = true;
    assert_ptr_equal(jobtable_image_started(jt, &cut), p);
    assert_int_equal(p->n_images, 1);
    struct jt_image_desc differs = DESC(120, 3 * MS, "gen\0--datb", JT_SOURCE_AGENT);
    differs.argv_truncated = true;
    jobtable_image_started(jt, &differs);
    assert_int_equal(p->n_images, 2);
}

static void test_series_keeps_peak_when_full(void **state)
{
    (void)state;
    struct jt_series s = {0};
    for (int i = 0; i < 10000; i++)
        assert_int_equal(jt_series_add_max(&s, (int64_t)i * 10 * MS, i == 4321 ? 999999 : (uint64_t)i % 100, 64), 0);
    assert_true(s.count <= 64);
    uint64_t best = 0;
    for (uint32_t i = 0; i < s.count; i++)
        best = s.max_kib[i] > best ? s.max_kib[i] : best;
    assert_int_equal(best, 999999);
    free(s.max_kib);
}

/* A 20-minute process sampled every 500 ms keeps finer buckets than the old 64 (--series-buckets). */
static void test_series_grows_with_duration(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc d = DESC(77, 1, "long", JT_SOURCE_POLLER);
    struct jt_process *p = NULL;
    for (int i = 0; i < 2400; i++) {
        d.t_ns = MS + (int64_t)i * 500 * MS;
        p = jobtable_observed(jt, &d, i == 1234 ? 888888 : 1000 + (uint64_t)i);
    }
    assert_non_null(p);
    assert_true(p->series.count > 512 && p->series.count <= JT_SERIES_DEFAULT);
    uint64_t best = 0;
    for (uint32_t i = 0; i < p->series.count; i++)
        best = p->series.max_kib[i] > best ? p->series.max_kib[i] : best;
    assert_int_equal(best, 888888);
    assert_true(jt->series_buckets > 0 && jt->series_buckets <= JT_SERIES_DEFAULT);
}

static void test_many_processes_live_index(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    for (int i = 1; i <= 5000; i++) {
        struct jt_image_desc d = DESC(i, i, "p", JT_SOURCE_AGENT);
        assert_non_null(jobtable_image_started(jt, &d));
        if (i % 3 == 0) {
            struct jt_reaped r = {.pid = i, .t_ns = i + 1};
            assert_non_null(jobtable_reaped(jt, &r));
        }
    }
    for (int i = 1; i <= 5000; i++) {
        struct jt_process *p = jobtable_find_live(jt, i);
        if (i % 3 == 0)
            assert_null(p);
        else
            assert_true(p && p->pid == i);
    }
    assert_int_equal(jt->live_count, 5000 - 5000 / 3);
}

/* CPU figures keep their kinds: a reading while the process ran raises a sampled figure, the agent's count at
 * exit makes it exact and no later reading moves it, and a wait's rusage (which counts the children it waited
 * for) stays apart as a bound, used only when nothing else is known. */
static void test_cpu_kinds(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(40, 1 * MS, "worker", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &a);
    jobtable_cpu_reading(p, 100000, 5000);
    jobtable_cpu_reading(p, 90000, 7000); /* an older reading lowers nothing */
    struct jt_cpu c = jobtable_process_cpu(p);
    assert_int_equal(c.kind, JT_PEAK_SAMPLED);
    assert_int_equal(c.user_us, 100000);
    assert_int_equal(c.sys_us, 7000);
    struct jt_peak_report exit = {.image_start_ns = 1 * MS, .t_ns = 5 * MS, .hwm_kib = 900, .utime_us = 120000,
                                  .stime_us = 8000};
    jobtable_image_peak(jt, p, &exit);
    jobtable_cpu_reading(p, 999999, 999999);
    c = jobtable_process_cpu(p);
    assert_int_equal(c.kind, JT_PEAK_EXACT);
    assert_int_equal(c.user_us, 120000);
    struct jt_reaped r = {.pid = 40, .t_ns = 6 * MS, .has_rusage = true, .utime_us = 500000, .stime_us = 9000};
    jobtable_reaped(jt, &r);
    c = jobtable_process_cpu(p);
    assert_int_equal(c.kind, JT_PEAK_EXACT); /* the wait's figure counts children: never the process's */
    assert_int_equal(p->cpu_wait.kind, JT_PEAK_BOUND);

    struct jt_image_desc b = DESC(41, 1 * MS, "static-tool", JT_SOURCE_POLLER);
    struct jt_process *q = jobtable_observed(jt, &b, 800);
    struct jt_reaped rq = {.pid = 41, .t_ns = 6 * MS, .has_rusage = true, .utime_us = 30000, .stime_us = 1000};
    jobtable_reaped(jt, &rq);
    c = jobtable_process_cpu(q);
    assert_int_equal(c.kind, JT_PEAK_BOUND); /* only a wait saw it: an upper bound */
    assert_int_equal(c.user_us, 30000);
}

/* I/O counters are kept only when asked for (--with-io), beside the processes; an exact reading (at exit)
 * wins over sampled ones, which only raise a figure that is not exact. */
static void test_io_kept_when_asked(void **state)
{
    struct jobtable *jt = &((struct fixture *)*state)->jt;
    struct jt_image_desc a = DESC(50, 1 * MS, "writer", JT_SOURCE_AGENT);
    struct jt_process *p = jobtable_image_started(jt, &a);
    struct jt_peak_report exit = {.image_start_ns = 1 * MS, .t_ns = 5 * MS, .hwm_kib = 900, .has_io = true,
                                  .io = {.rchar = 10, .wchar = 5242880}};
    jobtable_image_peak(jt, p, &exit);
    assert_int_equal(jobtable_process_io(jt, p).kind, JT_PEAK_NONE); /* not asked for: nothing kept */
    assert_null(jt->io);

    jt->job.with_io = true;
    struct jt_image_desc b = DESC(51, 1 * MS, "writer", JT_SOURCE_AGENT);
    struct jt_process *q = jobtable_image_started(jt, &b);
    jobtable_io_reading(jt, q, &(struct jt_io){.rchar = 4, .wchar = 1000, .kind = JT_PEAK_SAMPLED});
    jobtable_io_reading(jt, q, &(struct jt_io){.rchar = 2, .wchar = 4000, .kind = JT_PEAK_SAMPLED});
    struct jt_io io = jobtable_process_io(jt, q);
    assert_int_equal(io.kind, JT_PEAK_SAMPLED);
    assert_int_equal(io.rchar, 4);
    assert_int_equal(io.wchar, 4000);
    struct jt_peak_report qexit = exit;
    qexit.t_ns = 6 * MS;
    jobtable_image_peak(jt, q, &qexit);
    jobtable_io_reading(jt, q, &(struct jt_io){.rchar = 99, .wchar = 99999999, .kind = JT_PEAK_SAMPLED});
    io = jobtable_process_io(jt, q);
    assert_int_equal(io.kind, JT_PEAK_EXACT);
    assert_int_equal(io.wchar, 5242880);
    assert_int_equal(jobtable_process_io(jt, p).kind, JT_PEAK_NONE);
}

static void test_join_argv(void **state)
{
    (void)state;
    char *argv[] = {"a", "b c", ""};
    char *s = jobtable_join_argv(argv, 3);
    assert_string_equal(s, "a b c ");
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_exec_relabels, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_peak_goes_to_its_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pid_reuse_is_a_new_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_child_merges_with_poller_sighting, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_report_after_exec_report, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reaped_records_end_and_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(test_only_bound_known, setup, teardown),
        cmocka_unit_test_setup_teardown(test_late_status_upgrades_gone, setup, teardown),
        cmocka_unit_test_setup_teardown(test_later_wait_is_another_process, setup, teardown),
        cmocka_unit_test_setup_teardown(test_wait_with_start_time, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unfollowed_exec, setup, teardown),
        cmocka_unit_test_setup_teardown(test_peak_of_a_lost_start, setup, teardown),
        cmocka_unit_test_setup_teardown(test_orphan_keeps_its_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poller_relabel_only_without_agent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_total_bounds_bracket_truth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequential_processes_do_not_add_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_in_turn_is_one_peak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_together_adds_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exec_hands_over, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_sampled_sum, setup, teardown),
        cmocka_unit_test_setup_teardown(test_group_footprints_many, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_read_after_reap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vfork_copy_is_not_an_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reattach_is_the_same_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_copy_not_in_process_peak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_peak_time_from_nearby_sample, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identical_command_lines_share_one_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_argv_matches_its_prefix, setup, teardown),
        cmocka_unit_test(test_series_keeps_peak_when_full),
        cmocka_unit_test_setup_teardown(test_series_grows_with_duration, setup, teardown),
        cmocka_unit_test_setup_teardown(test_many_processes_live_index, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cpu_kinds, setup, teardown),
        cmocka_unit_test_setup_teardown(test_io_kept_when_asked, setup, teardown),
        cmocka_unit_test(test_join_argv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
