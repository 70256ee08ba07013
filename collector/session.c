/* One profiling session: the event loop (epoll over agents, a timerfd, a signalfd) and the final reports. */
#include "session.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build_info.h"
#include "clock.h"
#include "compare/compare_command.h"
#include "events.h"
#include "inspector/inspector.h"
#include "launcher.h"
#include "live.h"
#include "memwatch/wire.h"
#include "outfile.h"
#include "poller.h"
#include "report/report.h"
#include "units.h"

#define SESSION_ERROR_MAX 1024
#define SESSION_EPOLL_BATCH 64
#define SESSION_ROOT_ARGV_MAX 65536 /* the root's command line as /proc shows it */

/* Tags in epoll data for the sampling timer, the signalfd and the live line's timer; anything else is the
 * agents' socket, which events handles. */
static char session_timer_tag, session_signal_tag, session_live_tag;

struct session {
    const struct cli_options *opt;
    struct jobtable jt;
    struct events ev;
    struct poller poller;
    struct report_filter filter;
    struct outfile out[CLI_OUTPUTS];
    bool out_used[CLI_OUTPUTS];
    struct launcher_job job;
    char agent_path[4096];
    bool agent;
    int epoll_fd;
    int signal_fd;
    int timer_fd;
    sigset_t old_mask;
    bool root_done;
    int root_status;
    bool no_children; /* every descendant reaped: as subreaper, memwatch inherits the whole job */
    bool stop; /* listen: a signal asked to stop */
    int limit_code;         /* --kill-on-limit stopped the job for this limit's exit code; 0 when not */
    int64_t kill_deadline;  /* when SIGKILL follows the SIGTERM of --kill-on-limit; 0 when none pending */
    char post_json[PATH_MAX]; /* --post-run-cmd or ci-check without --json=FILE: a temporary report */
    struct ci_check ci;       /* ci-check: the baseline and the comparison's outputs */
    struct live live; /* the status line while the job runs */
};

static void say(const char *msg) { fprintf(stderr, "memwatch: %s\n", msg); }

/* --post-run-cmd and ci-check need a JSON report in a file: the user's --json=FILE, or a temporary one made
 * now. */
static int prepare_report_file(struct session *s, const char **json, char *err, size_t errlen)
{
    if ((!s->opt->post_run_cmd && s->opt->command != CLI_CI_CHECK) || *json)
        return 0;
    const char *tmp = getenv("TMPDIR");
    snprintf(s->post_json, sizeof s->post_json, "%s/memwatch-report-XXXXXX.json", tmp && tmp[0] ? tmp : "/tmp");
    int fd = mkstemps(s->post_json, 5);
    if (fd < 0) {
        char why[128];
        snprintf(err, errlen, "cannot make a temporary report file '%.900s': %s", s->post_json,
                 outfile_errno_text(errno, why, sizeof why));
        s->post_json[0] = '\0';
        return -1;
    }
    close(fd);
    *json = s->post_json;
    return 0;
}

static int prepare_outputs(struct session *s, char *err, size_t errlen)
{
    const char *paths[CLI_OUTPUTS];
    cli_output_paths(s->opt, paths);
    if (prepare_report_file(s, &paths[CLI_OUT_JSON], err, errlen) != 0)
        return -1;
    for (int i = 0; i < CLI_OUTPUTS; i++) {
        if (!paths[i])
            continue;
        if (outfile_prepare(&s->out[i], cli_output_names[i], paths[i], err, errlen) != 0)
            return -1;
        s->out_used[i] = true;
    }
    return 0;
}

static void discard_outputs(struct session *s)
{
    for (int i = 0; i < CLI_OUTPUTS; i++)
        if (s->out_used[i])
            outfile_discard(&s->out[i]);
}

static int setup_loop(struct session *s, char *err, size_t errlen)
{
    sigset_t mask;
    sigemptyset(&mask);
    int sigs[] = {SIGCHLD, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGWINCH, SIGTSTP};
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaddset(&mask, sigs[i]);
    sigprocmask(SIG_BLOCK, &mask, &s->old_mask);
    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    s->signal_fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    s->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (s->epoll_fd < 0 || s->signal_fd < 0 || s->timer_fd < 0) {
        snprintf(err, errlen, "cannot set up the event loop: %s", strerror(errno));
        return -1;
    }
    struct epoll_event sig_ev = {.events = EPOLLIN, .data.ptr = &session_signal_tag};
    struct epoll_event tim_ev = {.events = EPOLLIN, .data.ptr = &session_timer_tag};
    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->signal_fd, &sig_ev);
    epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->timer_fd, &tim_ev);
    events_init(&s->ev, &s->jt, s->epoll_fd);
    poller_init(&s->poller, &s->jt);
    return 0;
}

static void arm_timer(struct session *s)
{
    struct itimerspec its = {0};
    its.it_interval.tv_sec = s->opt->interval_ms / 1000;
    its.it_interval.tv_nsec = (long)(s->opt->interval_ms % 1000) * 1000000L;
    its.it_value = its.it_interval;
    timerfd_settime(s->timer_fd, 0, &its, NULL);
}

static char *dup_or_empty(const char *text) { return strdup(text ? text : ""); }

static void record_job_facts(struct session *s, char **argv, int argc)
{
    struct jt_job *job = &s->jt.job;
    clock_anchor_now(&job->anchor);
    job->start_ns = job->anchor.mono_ns;
    job->interval_ms = s->opt->interval_ms;
    job->agent_enabled = s->agent;
    job->agent_32bit = s->agent && strstr(s->agent_path, "$LIB") != NULL; /* both classes: see launcher */
    job->max_total_bytes = s->opt->max_total_bytes;
    job->max_proc_bytes = s->opt->max_proc_bytes;
    job->group_by = s->opt->group_by;
    job->subtree_samples = s->opt->html_path != NULL; /* the page's tree shows what samples saw of subtrees */
    job->tree_fold = s->opt->tree_fold;
    job->leak_check = s->opt->leak_check;
    job->leak_min_growth_pct = s->opt->leak_min_growth_pct;
    job->leak_min_duration_ms = s->opt->leak_min_duration_ms;
    job->with_cpu = s->opt->with_cpu;
    job->with_io = s->opt->with_io;
    job->argv = calloc((size_t)argc + 1, sizeof *job->argv);
    for (int i = 0; job->argv && i < argc; i++)
        job->argv[job->argc++] = strdup(argv[i]);
    struct inspector_host host;
    inspector_host_facts(&host);
    job->memwatch_version = strdup(MEMWATCH_VERSION);
    job->kernel = dup_or_empty(host.kernel);
    job->hostname = dup_or_empty(host.hostname);
    job->mem_total_kib = host.mem_total_kib;
}

static void reap_children(struct session *s)
{
    for (;;) {
        /* Peek first: the zombie's /proc entry still tells which process of that pid it is (start time). */
        siginfo_t si = {0};
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
            s->no_children = errno == ECHILD;
            return;
        }
        if (si.si_pid == 0)
            return;
        struct inspector_proc zombie = {0};
        bool read_zombie = inspector_read_proc(si.si_pid, &zombie) == 0 && zombie.state == 'Z';
        /* Its I/O counters too, final now (with --with-io only: one more read per process). */
        struct inspector_io zio;
        bool read_zio = read_zombie && s->jt.job.with_io && inspector_read_io(si.si_pid, &zio) == 0;
        int status;
        struct rusage ru;
        pid_t pid = wait4(si.si_pid, &status, WNOHANG, &ru);
        if (pid <= 0)
            return;
        struct jt_reaped r = {
            .pid = pid,
            .starttime_ticks = zombie.starttime_ticks,
            .by_collector = true,
            .t_ns = clock_mono_ns(),
            .wait_status = status,
            .maxrss_kib = (uint64_t)ru.ru_maxrss,
            .has_rusage = true,
            /* A zombie's stat counts its own CPU time, final; the wait's adds its reaped children's. */
            .has_own_cpu = read_zombie,
            .own_user_us = zombie.utime_us,
            .own_sys_us = zombie.stime_us,
            .has_own_io = read_zio,
            .own_io = {zio.rchar, zio.wchar, zio.read_bytes, zio.write_bytes, JT_PEAK_EXACT},
            .utime_us = (uint64_t)ru.ru_utime.tv_sec * 1000000u + (uint64_t)ru.ru_utime.tv_usec,
            .stime_us = (uint64_t)ru.ru_stime.tv_sec * 1000000u + (uint64_t)ru.ru_stime.tv_usec,
        };
        /* Reports the job's agents sent before exiting are queued: read them before the end lands. */
        events_drain(&s->ev);
        events_reaped(&s->ev, &r);
        if (pid == s->job.pid) {
            s->root_done = true;
            s->root_status = status;
        }
    }
}

/* A signal sent to memwatch alone goes to the job's processes that a signal to the group would have reached:
 * those still in memwatch's process group (a daemon that left it is left alone, as it would be bare). */
static void forward_signal(struct session *s, int signo)
{
    pid_t group = getpgrp();
    for (size_t i = 0; i < s->jt.n_procs; i++) {
        struct jt_process *p = s->jt.procs[i];
        if (p->end != JT_END_RUNNING || p->pid == getpid() || getpgid(p->pid) != group)
            continue;
        /* The last figure anyone can read if the signal ends it: its VmHWM now. */
        uint64_t hwm = 0;
        if (inspector_read_hwm(p->pid, &hwm) == 0 && hwm > 0)
            jobtable_hwm_reading(&s->jt, p, clock_mono_ns(), hwm);
        kill(p->pid, signo);
    }
}

/* The live line and its scroll region leave the terminal first, then memwatch stops by the same SIGTSTP (the
 * shell reports "Stopped" as for the bare job); after fg the next tick draws the line again. */
static void stop_like_the_job(struct session *s)
{
    live_suspend(&s->live);
    sigset_t tstp;
    sigemptyset(&tstp);
    sigaddset(&tstp, SIGTSTP);
    sigprocmask(SIG_UNBLOCK, &tstp, NULL);
    raise(SIGTSTP);
    sigprocmask(SIG_BLOCK, &tstp, NULL);
}

static void on_signal(struct session *s)
{
    struct signalfd_siginfo si;
    while (read(s->signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
            reap_children(s);
            continue;
        }
        if (si.ssi_signo == SIGTSTP) { /* Ctrl-Z reached the job too: stop beside it, as `time` does */
            stop_like_the_job(s);
            continue;
        }
        if (si.ssi_signo == SIGWINCH) { /* the terminal's own to the job too: never forwarded */
            live_resize(&s->live);
            continue;
        }
        if (s->opt->command == CLI_LISTEN) {
            s->stop = true;
            continue;
        }
        /* The job decides what the signal means; memwatch keeps watching and still reports. A signal the
         * terminal or the group already delivered to the job is not sent twice. */
        if (s->job.pid > 0 && !launcher_signal_reached_job(si.ssi_code, (pid_t)si.ssi_pid))
            forward_signal(s, (int)si.ssi_signo);
    }
}

#define SESSION_KILL_GRACE_NS (5 * 1000000000LL) /* --kill-on-limit: SIGTERM, then SIGKILL this much later */

/* The breach a sample proves, now: the sampled total, or a live process's sampled figure (VmHWM), above its
 * limit. Returns the limit's exit code and says what, or 0. */
static int live_breach(struct session *s, char *what, size_t len)
{
    const struct jobtable *jt = &s->jt;
    uint64_t total = jt->n_samples ? jt->samples[jt->n_samples - 1].total_kib : 0;
    char size[UNITS_SIZE_MAX];
    if (s->opt->max_total_bytes && total * 1024 > s->opt->max_total_bytes) {
        units_format_size(total, size, sizeof size);
        snprintf(what, len, "--max-total-rss: the job holds %s", size);
        return CLI_EXIT_LIMIT_TOTAL;
    }
    for (size_t i = 0; s->opt->max_proc_bytes && i < jt->n_procs; i++) {
        const struct jt_process *p = jt->procs[i];
        const struct jt_image *img = jobtable_current_image(p);
        if (p->end != JT_END_RUNNING || !img || img->sampled.kib * 1024 <= s->opt->max_proc_bytes)
            continue;
        units_format_size(img->sampled.kib, size, sizeof size);
        snprintf(what, len, "--max-per-proc-rss: pid %d reached %s", (int)p->pid, size);
        return CLI_EXIT_LIMIT_PROC;
    }
    return 0;
}

/* --kill-on-limit: at the first proven breach a sample shows, SIGTERM to the job, SIGKILL after the grace
 * period to what is left; the reports are written as for any end. */
static void enforce_limits(struct session *s)
{
    if (!s->opt->kill_on_limit || s->opt->command != CLI_RUN)
        return;
    int64_t now = clock_mono_ns();
    if (s->kill_deadline && now >= s->kill_deadline) {
        forward_signal(s, SIGKILL);
        s->kill_deadline = 0;
        return;
    }
    char what[SESSION_ERROR_MAX];
    if (s->limit_code || !(s->limit_code = live_breach(s, what, sizeof what)))
        return;
    fprintf(stderr, "memwatch: %s: stopping the job (SIGTERM, then SIGKILL after 5s)\n", what);
    forward_signal(s, SIGTERM);
    s->kill_deadline = now + SESSION_KILL_GRACE_NS;
}

static bool job_finished(const struct session *s)
{
    if (s->opt->command == CLI_LISTEN) {
        bool idle = events_heard(&s->ev) && s->jt.live_count == 0;
        return s->stop || (s->opt->until_idle && idle);
    }
    if (!s->root_done)
        return false;
    return !s->opt->wait_orphans || s->no_children;
}

static void event_loop(struct session *s)
{
    struct epoll_event events[SESSION_EPOLL_BATCH];
    while (!job_finished(s)) {
        int n = epoll_wait(s->epoll_fd, events, SESSION_EPOLL_BATCH, -1);
        if (n < 0 && errno != EINTR)
            break;
        for (int i = 0; i < n; i++) {
            void *tag = events[i].data.ptr;
            if (tag == &session_timer_tag) {
                uint64_t expirations;
                if (read(s->timer_fd, &expirations, sizeof expirations) > 0) {
                    events_drain(&s->ev);
                    poller_sample(&s->poller, clock_mono_ns());
                    enforce_limits(s);
                }
            } else if (tag == &session_live_tag) {
                live_tick(&s->live);
            } else if (tag == &session_signal_tag) {
                on_signal(s);
            } else {
                events_handle(&s->ev);
            }
        }
    }
}

typedef int (*session_formatter)(FILE *, const struct report_view *);

/* A job that succeeded but breached a limit fails with the limit's code, then a leak found by
 * --leak-check=fail with 12; a failing job's own code wins. */
static int limit_exit_code(const struct session *s, const struct report_view *view, int exit_code)
{
    bool total = false;
    if (exit_code != 0)
        return exit_code;
    if (report_limit_failed(view, s->opt->strict_limits, &total))
        return total ? CLI_EXIT_LIMIT_TOTAL : CLI_EXIT_LIMIT_PROC;
    return s->opt->leak_check == JT_LEAK_FAIL && view->n_leaks > 0 ? CLI_EXIT_LEAK : 0;
}

/* Writes every requested report; returns 0, or -1 after saying what failed. *exit_code becomes what memwatch
 * exits with (a limit's code, when one was breached). */
static int write_reports(struct session *s, int *exit_code)
{
    struct report_view view;
    if (report_view_build(&view, &s->jt, &s->filter) != 0) {
        say("cannot build the report: out of memory");
        discard_outputs(s);
        return -1;
    }
    *exit_code = limit_exit_code(s, &view, *exit_code);
    int rc = 0;
    if (!s->opt->quiet)
        report_summary_write(stderr, &view,
                             &(struct report_summary_options){report_terminal_width(STDERR_FILENO), cli_use_color(s->opt, STDERR_FILENO)});
    if (s->opt->json_stdout && (report_json_write(stdout, &view) != 0 || fflush(stdout) != 0)) {
        say("cannot write the JSON report to stdout");
        rc = -1;
    }
    session_formatter formats[CLI_OUTPUTS] = {[CLI_OUT_JSON] = report_json_write, [CLI_OUT_CSV] = report_csv_write,
                                              [CLI_OUT_TIMELINE] = report_timeline_write,
                                              [CLI_OUT_HTML] = report_html_write};
    for (int i = 0; i < CLI_OUTPUTS; i++) {
        if (!s->out_used[i])
            continue;
        char err[SESSION_ERROR_MAX];
        FILE *f = outfile_stream(&s->out[i]);
        if (!f || formats[i](f, &view) != 0 || outfile_commit(&s->out[i], err, sizeof err) != 0) {
            if (!f || err[0] == '\0')
                snprintf(err, sizeof err, "cannot write %s '%s': %s", s->out[i].option, s->out[i].path,
                         strerror(errno));
            outfile_discard(&s->out[i]);
            say(err);
            rc = -1;
        }
        s->out_used[i] = false;
    }
    report_view_free(&view);
    return rc;
}

static void finish(struct session *s)
{
    events_drain(&s->ev);
    int64_t end = clock_mono_ns();
    poller_sample(&s->poller, end);
    jobtable_finish(&s->jt, end);
}

static void teardown(struct session *s)
{
    events_close(&s->ev);
    launcher_agent_release();
    poller_free(&s->poller);
    report_filter_free(&s->filter);
    jobtable_free(&s->jt);
    if (s->epoll_fd >= 0)
        close(s->epoll_fd);
    if (s->signal_fd >= 0)
        close(s->signal_fd);
    if (s->timer_fd >= 0)
        close(s->timer_fd);
    sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
}

/* The end of every session: the last reads and sample, the reports, the teardown. False when a report could
 * not be written (said already). */
static bool session_conclude(struct session *s, int *exit_code)
{
    finish(s);
    s->jt.job.exit_code = *exit_code;
    bool reported = write_reports(s, exit_code) == 0;
    teardown(s);
    return reported;
}

/* An agent the user named and that cannot be used is a mistake to report, never a reason to fall back to
 * polling: the fallback is only for an agent not installed beside memwatch. */
static bool explicit_agent_missing(char *err, size_t errlen)
{
    const char *named = getenv("MEMWATCH_AGENT");
    if (named == NULL || named[0] == '\0')
        return false;
    char why[128];
    int e = access(named, R_OK) != 0 ? errno : EINVAL;
    snprintf(err, errlen, "MEMWATCH_AGENT '%.900s' cannot be used: %s", named, outfile_errno_text(e, why, sizeof why));
    return true;
}

/* What every session checks before anything starts: filters, outputs, the agent, the loop. */
static int session_prepare(struct session *s, const struct cli_options *opt, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    s->opt = opt;
    s->epoll_fd = s->signal_fd = s->timer_fd = -1;
    jobtable_init(&s->jt);
    s->jt.series_max = opt->series_buckets;
    sigprocmask(SIG_BLOCK, NULL, &s->old_mask);
    if (report_filter_init(&s->filter, opt->include, opt->exclude, err, errlen) != 0)
        return -1;
    if (prepare_outputs(s, err, errlen) != 0)
        return -1;
    if (opt->command == CLI_CI_CHECK && ci_check_prepare(&s->ci, opt, err, errlen) != 0)
        return -1;
    s->agent = !opt->no_agent;
    int found = s->agent ? launcher_find_agent(s->agent_path, sizeof s->agent_path) : 0;
    if (found == LAUNCHER_AGENT_UNUSABLE) {
        snprintf(err, errlen, "%.1000s", s->agent_path);
        return -1;
    }
    if (found != 0) {
        if (explicit_agent_missing(err, errlen))
            return -1;
        if (opt->command == CLI_LISTEN) {
            snprintf(err, errlen, "cannot find the agent (tried %.900s); set MEMWATCH_AGENT", s->agent_path);
            return -1;
        }
        fprintf(stderr, "memwatch: agent not found (tried %s): polling only, peaks are lower bounds\n",
                s->agent_path);
        s->agent = false;
    }
    if (setup_loop(s, err, errlen) != 0)
        return -1;
    if ((s->agent || opt->command == CLI_LISTEN) && events_listen(&s->ev, opt->socket_path, err, errlen) != 0)
        return -1;
    return 0;
}

static int fail_prepared(struct session *s, const char *err, int code)
{
    say(err);
    discard_outputs(s);
    ci_check_discard(&s->ci);
    if (s->post_json[0])
        unlink(s->post_json);
    teardown(s);
    return code;
}

/* The root enters the table with the argv memwatch gave it, even if it is already a zombie. */
/* The root enters the table as it runs now: launcher_start returned after its exec, so /proc shows the
 * program itself (`/bin/sh ./script.sh` for a script, not the `./script.sh` memwatch was given) and the
 * agent's report of that image merges with this sighting. Only when /proc cannot tell (already a zombie)
 * does memwatch's own argv stand in, as a placeholder the agent's report replaces. */
static struct jt_process *adopt_root(struct session *s, int64_t now)
{
    static char blob[SESSION_ROOT_ARGV_MAX];
    struct inspector_proc ip = {0};
    inspector_read_proc(s->job.pid, &ip);
    struct jt_image_desc d = {
        .pid = s->job.pid, .ppid = getpid(), .starttime_ticks = ip.starttime_ticks, .t_ns = now,
        .argv_blob = blob, .source = JT_SOURCE_POLLER,
    };
    if (inspector_read_cmdline(s->job.pid, blob, sizeof blob, &d.argv_len, &d.argc, &d.argv_truncated) != 0 ||
        d.argc == 0) {
        d.argv_len = 0;
        for (int i = 0; i < s->opt->job_argc && d.argv_len < sizeof blob; i++) {
            size_t n = strnlen(s->opt->job_argv[i], sizeof blob - d.argv_len - 1);
            memcpy(blob + d.argv_len, s->opt->job_argv[i], n);
            blob[d.argv_len + n] = '\0';
            d.argv_len += n + 1;
        }
        d.argc = (uint32_t)s->opt->job_argc;
        d.placeholder = true;
    }
    struct jt_process *root = jobtable_observed(&s->jt, &d, ip.state == 'Z' ? 0 : ip.rss_kib);
    if (!root)
        return NULL;
    root->is_root = true;
    snprintf(root->comm, sizeof root->comm, "%s", ip.comm);
    root->code_start = ip.code_start;
    poller_adopt(&s->poller, s->job.pid, now);
    return root;
}

/* --post-run-cmd, once the reports are written: /bin/sh -c CMD with the JSON report's path as $MEMWATCH_JSON
 * and $1. Returns its status as a shell shows it (128+N for a signal), and says so when it failed. */
static int post_run(struct session *s, const char *json)
{
    pid_t pid = fork();
    if (pid == 0) {
        setenv("MEMWATCH_JSON", json, 1);
        execl("/bin/sh", "sh", "-c", s->opt->post_run_cmd, "memwatch-post-run", json, (char *)NULL);
        _exit(CLI_EXIT_NOT_FOUND);
    }
    int status = 0, code = CLI_EXIT_FAILURE;
    if (pid > 0) {
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        code = launcher_exit_code(status);
    }
    if (code != 0)
        fprintf(stderr, "memwatch: --post-run-cmd failed (exit %d)%s\n", code,
                s->opt->post_run_strict ? "" : ": the job's exit status stands");
    return code;
}

int session_run(const struct cli_options *opt)
{
    static struct session s;
    char err[SESSION_ERROR_MAX] = "";
    if (session_prepare(&s, opt, err, sizeof err) != 0)
        return fail_prepared(&s, err, CLI_EXIT_FAILURE);
    /* Orphans of the job are reparented to memwatch, so they stay in the job and memwatch reaps them. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0)
        say("cannot become the job's subreaper: orphans may be missed");
    record_job_facts(&s, opt->job_argv, opt->job_argc);
    s.job.argv = opt->job_argv;
    s.job.agent_path = s.agent ? s.agent_path : NULL;
    s.job.socket_path = s.ev.path;
    s.job.child_sigmask = &s.old_mask;
    int rc = launcher_start(&s.job, err, sizeof err);
    if (rc != 0)
        return fail_prepared(&s, err, rc);
    int64_t now = clock_mono_ns();
    struct jt_process *root = adopt_root(&s, now);
    jobtable_add_sample(&s.jt, now, root ? root->last_rss_kib : 0, root ? 1 : 0);
    arm_timer(&s);
    struct live_config live = {.when = opt->live, .color = opt->color, .quiet = opt->quiet, .jt = &s.jt,
                               .start_ns = s.jt.job.start_ns, .epoll_fd = s.epoll_fd, .epoll_tag = &session_live_tag};
    live_start(&s.live, &live);
    event_loop(&s);
    live_stop(&s.live); /* the line and its scroll region go before anything else is written */
    launcher_release_terminal(&s.job);
    rc = s.root_done ? launcher_exit_code(s.root_status) : CLI_EXIT_FAILURE;
    const char *json = opt->json_path ? opt->json_path : s.post_json;
    if (!session_conclude(&s, &rc)) {
        ci_check_discard(&s.ci);
        if (s.post_json[0])
            unlink(s.post_json);
        return CLI_EXIT_FAILURE;
    }
    /* ci-check's verdict, then the user's command: the job's failure, a limit, a regression, in that order. */
    if (opt->command == CLI_CI_CHECK && !s.limit_code)
        rc = ci_check_conclude(&s.ci, opt, json, rc);
    ci_check_discard(&s.ci);
    int post = opt->post_run_cmd ? post_run(&s, json) : 0;
    if (s.post_json[0])
        unlink(s.post_json);
    if (post != 0 && opt->post_run_strict && rc == 0 && !s.limit_code)
        return post;
    if (s.limit_code) /* memwatch stopped the job: the breach, not the signal it used, is the outcome */
        return s.limit_code;
    if (s.root_done)
        launcher_die_like(s.root_status);
    return rc;
}

/* Exact inverses of the exports: the user's own LD_PRELOAD entries, if any, are kept. */
static void print_undo(const struct session *s)
{
    fprintf(stderr,
            "memwatch: afterwards, undo them with:\n"
            "  unset %s %s\n"
            "  LD_PRELOAD=${LD_PRELOAD#'%s'}; LD_PRELOAD=${LD_PRELOAD#:}; [ -n \"$LD_PRELOAD\" ] || unset LD_PRELOAD\n",
            MW_ENV_SOCKET, MW_ENV_AGENT_PATH, s->agent_path);
}

static void print_exports(const struct session *s)
{
    fprintf(stderr,
            "memwatch: listening. In the shell that starts the job, run:\n"
            "  export %s='%s'\n"
            "  export %s='%s'\n"
            "  export LD_PRELOAD='%s'${LD_PRELOAD:+:$LD_PRELOAD}\n",
            MW_ENV_SOCKET, s->ev.path, MW_ENV_AGENT_PATH, s->agent_path, s->agent_path);
    print_undo(s);
    fprintf(stderr, "memwatch: stop with Ctrl-C (or SIGTERM) to write the reports%s\n",
            s->opt->until_idle ? "; --until-idle stops after the last process ends" : "");
}

int session_listen(const struct cli_options *opt)
{
    static struct session s;
    char err[SESSION_ERROR_MAX] = "";
    if (opt->no_agent) {
        fprintf(stderr, "memwatch: listen needs the agent: --no-agent does not apply\n");
        return CLI_EXIT_FAILURE;
    }
    if (session_prepare(&s, opt, err, sizeof err) != 0)
        return fail_prepared(&s, err, CLI_EXIT_FAILURE);
    events_trust_user(&s.ev); /* no root to tie processes to: the user's own belong to the job */
    record_job_facts(&s, NULL, 0);
    print_exports(&s);
    arm_timer(&s);
    event_loop(&s);
    int code = 0;
    return session_conclude(&s, &code) ? code : CLI_EXIT_FAILURE;
}
