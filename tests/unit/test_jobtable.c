/* Job-table rules: exec relabels, PID reuse, fork children, late reports, peak kinds, the total's bounds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
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
    char name[32];
    jobtable_command_name(p, name, sizeof name);
    assert_string_equal(name, "python3");
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
    struct jt_reaped r = {.pid = 17, .t_ns = 3 * MS, .wait_status = 3 << 8};
    assert_ptr_equal(jobtable_reaped(jt, &r), p);
    assert_int_equal(p->end, JT_END_EXITED);
    assert_int_equal(p->exit_code, 3);
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
    uint64_t upper = 0;
    size_t unbounded = 99;
    assert_true(jobtable_total_upper_bound(jt, &upper, &unbounded));
    assert_int_equal(unbounded, 0);
    assert_int_equal(upper, 4 * 102400);
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
    uint64_t upper;
    size_t unbounded;
    assert_true(jobtable_total_upper_bound(jt, &upper, &unbounded));
    assert_int_equal(upper, 1000);
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
        assert_int_equal(jt_series_add(&s, (int64_t)i * 10 * MS, i == 4321 ? 999999 : (uint64_t)i % 100), 0);
    assert_true(s.count <= JT_SERIES_MAX);
    uint64_t best = 0;
    for (uint32_t i = 0; i < s.count; i++)
        best = s.max_kib[i] > best ? s.max_kib[i] : best;
    assert_int_equal(best, 999999);
    free(s.max_kib);
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
        cmocka_unit_test_setup_teardown(test_orphan_keeps_its_place, setup, teardown),
        cmocka_unit_test_setup_teardown(test_poller_relabel_only_without_agent, setup, teardown),
        cmocka_unit_test_setup_teardown(test_total_bounds_bracket_truth, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sequential_processes_do_not_add_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_start_read_after_reap, setup, teardown),
        cmocka_unit_test_setup_teardown(test_vfork_copy_is_not_an_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reattach_is_the_same_image, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fork_copy_not_in_process_peak, setup, teardown),
        cmocka_unit_test_setup_teardown(test_exact_peak_time_from_nearby_sample, setup, teardown),
        cmocka_unit_test_setup_teardown(test_identical_command_lines_share_one_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_truncated_argv_matches_its_prefix, setup, teardown),
        cmocka_unit_test(test_series_keeps_peak_when_full),
        cmocka_unit_test_setup_teardown(test_many_processes_live_index, setup, teardown),
        cmocka_unit_test(test_join_argv),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
