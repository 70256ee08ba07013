/* Agent scenarios: every path by which a process of the job can start, change image or end, each checked
 * for the exact peak the workload measured of itself. They pass only with a working agent. Each
 * expectation sits beside its workload, in the comment heading tests/workloads/NAME.c. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "itest.h"

#define AGENT_INTERVAL_MS 100
#define AGENT_READY_TIMEOUT_MS 60000
#define AGENT_ORPHAN_TIMEOUT_MS 120000
#define AGENT_SAMPLED_MIN_RATIO 0.95
#define AGENT_SLACK_KIB ITEST_KERNEL_SLACK_KIB
#define AGENT_STORM_N 10000
#define AGENT_STORM_TIMEOUT_MS 800000
#define AGENT_MIB 1024.0
#define AGENT_PATH_MAX 8192

static bool agent_kind_is(const cJSON *obj, const char *kind)
{
    const char *k = itest_json_str(obj, "peak_kind");
    return k != NULL && strcmp(k, kind) == 0;
}

static void agent_expect_ppid(struct itest_ctx *ctx, const cJSON *p, pid_t ppid, const char *what)
{
    if (p != NULL)
        ITEST_CHECK(ctx, itest_json_num(p, "ppid") == ppid, "%s: ppid %.0f, expected %d", what,
                    itest_json_num(p, "ppid"), (int)ppid);
}

static void agent_expect_exit(struct itest_ctx *ctx, const struct itest_run *r, int code)
{
    ITEST_CHECK(ctx, r->exit_code == code, "memwatch exited %d, expected %d", r->exit_code, code);
}

static void agent_expect_process_count(struct itest_ctx *ctx, const cJSON *rep, int n)
{
    ITEST_CHECK(ctx, itest_json_num(rep, "process_count") == n, "process_count %.0f, expected %d",
                itest_json_num(rep, "process_count"), n);
}

/* A fact that must exist, or a failure naming it. */
static const struct itest_fact *agent_fact(struct itest_ctx *ctx, const struct itest_facts *f, const char *role)
{
    const struct itest_fact *fa = itest_facts_find(f, role, 0);
    ITEST_CHECK(ctx, fa != NULL, "workload sanity: no '%s' fact recorded", role);
    return fa;
}

/* The usual shape: a job of one workload at 100 ms, memwatch exit 0, report loaded with its invariants. */
struct agent_job {
    struct itest_run run;
    struct itest_facts facts;
    cJSON *rep;
};

static int agent_job_finish(struct itest_ctx *ctx, struct agent_job *j, int exit_code)
{
    agent_expect_exit(ctx, &j->run, exit_code);
    itest_expect_silent(ctx, &j->run);
    itest_facts_load(ctx, &j->facts);
    itest_expect_no_leaked_fds(ctx, &j->facts);
    j->rep = itest_report(ctx, &j->run, &(struct itest_expect){.exit_code = exit_code});
    return j->rep != NULL ? 0 : -1;
}

static void agent_job_free(struct agent_job *j)
{
    cJSON_Delete(j->rep);
    itest_facts_free(&j->facts);
}

int scenario_fork(struct itest_ctx *ctx, const char *arg)
{
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "fork_child", "32", "300", arg, NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *child = agent_fact(ctx, &j.facts, "child");
        const struct itest_fact *parent = agent_fact(ctx, &j.facts, "parent");
        if (child != NULL && parent != NULL) {
            const cJSON *p = itest_expect_exact_fact(ctx, j.rep, child, "fork_child");
            agent_expect_ppid(ctx, p, parent->pid, "fork child");
            itest_expect_end(ctx, p, "exited", 0, "fork child");
            ITEST_CHECK(ctx, p == NULL || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "forked")),
                        "fork child: forked is not true");
            ITEST_CHECK(ctx, p == NULL || itest_json_array_size(p, "images") == 1, "fork child: %d images, expected 1",
                        itest_json_array_size(p, "images"));
            char path[AGENT_PATH_MAX];
            snprintf(path, sizeof path, "%s/fork_child", ctx->wldir);
            itest_expect_argv(ctx, cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(p, "images"), 0),
                              (const char *[]){path, "32", "300", arg, NULL}, "fork child image");
            itest_expect_exact_fact(ctx, j.rep, parent, "fork_child");
            agent_expect_process_count(ctx, j.rep, 2);
        }
    }
    agent_job_free(&j);
    return 0;
}

int scenario_vfork_exec(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "vfork_exec", "16", "300", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *child = agent_fact(ctx, &j.facts, "vfork");
        const struct itest_fact *parent = agent_fact(ctx, &j.facts, "parent");
        if (child != NULL && parent != NULL) {
            const cJSON *p = itest_expect_exact_fact(ctx, j.rep, child, "alloc_hold");
            agent_expect_ppid(ctx, p, parent->pid, "vfork child");
            itest_expect_end(ctx, p, "exited", 0, "vfork child");
            itest_expect_exact_fact(ctx, j.rep, parent, "vfork_exec");
            agent_expect_process_count(ctx, j.rep, 2);
        }
    }
    agent_job_free(&j);
    return 0;
}

int scenario_posix_spawn(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "spawn_child", "16", "300", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *parent = agent_fact(ctx, &j.facts, "parent");
        const char *roles[] = {"posix_spawn", "posix_spawnp"};
        for (size_t i = 0; i < 2 && parent != NULL; i++) {
            const struct itest_fact *child = agent_fact(ctx, &j.facts, roles[i]);
            if (child == NULL)
                continue;
            const cJSON *p = itest_expect_exact_fact(ctx, j.rep, child, "alloc_hold");
            agent_expect_ppid(ctx, p, parent->pid, roles[i]);
            itest_expect_end(ctx, p, "exited", 0, roles[i]);
        }
        agent_expect_process_count(ctx, j.rep, 3);
    }
    agent_job_free(&j);
    return 0;
}

int scenario_exec_variant(struct itest_ctx *ctx, const char *arg)
{
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "exec_variant", arg, "16", "300", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *child = agent_fact(ctx, &j.facts, arg);
        const struct itest_fact *parent = agent_fact(ctx, &j.facts, "parent");
        if (child != NULL && parent != NULL) {
            char what[64];
            snprintf(what, sizeof what, "%s child", arg);
            const cJSON *p = itest_expect_exact_fact(ctx, j.rep, child, "alloc_hold");
            agent_expect_ppid(ctx, p, parent->pid, what);
            itest_expect_end(ctx, p, "exited", 0, what);
            ITEST_CHECK(ctx, p == NULL || itest_json_array_size(p, "images") == 2,
                        "%s: %d images, expected 2 (the fork copy, then alloc_hold)", what,
                        itest_json_array_size(p, "images"));
            ITEST_CHECK(ctx, p == NULL || itest_json_image(p, "exec_variant", NULL) != NULL,
                        "%s: the fork copy of exec_variant is not among its images", what);
            itest_expect_exact_fact(ctx, j.rep, parent, "exec_variant");
            agent_expect_process_count(ctx, j.rep, 2);
        }
    }
    agent_job_free(&j);
    return 0;
}

/* Every listed process must have an exact peak (all are dynamically linked and end normally). */
static void agent_expect_all_exact(struct itest_ctx *ctx, const cJSON *rep)
{
    int bad = 0;
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(rep, "processes"))
    {
        if (agent_kind_is(p, "exact"))
            continue;
        if (bad++ < 5)
            ITEST_CHECK(ctx, false, "pid %.0f '%s': peak_kind '%s', expected exact", itest_json_num(p, "pid"),
                        itest_json_str(p, "command"), itest_json_str(p, "peak_kind"));
    }
    ITEST_CHECK(ctx, bad == 0, "%d processes without an exact peak", bad);
}

int scenario_system_popen(struct itest_ctx *ctx, const char *arg)
{
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "system_popen", arg, "16", "300", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *child = agent_fact(ctx, &j.facts, arg);
        if (child != NULL)
            itest_expect_exact_fact(ctx, j.rep, child, "alloc_hold");
        agent_expect_all_exact(ctx, j.rep);
        ITEST_CHECK(ctx, itest_json_num(j.rep, "process_count") >= 2, "process_count %.0f, expected at least 2",
                    itest_json_num(j.rep, "process_count"));
    }
    agent_job_free(&j);
    return 0;
}

int scenario_threads_fork(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "threads_fork", "40", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        agent_expect_process_count(ctx, j.rep, 41);
        agent_expect_all_exact(ctx, j.rep);
        ITEST_CHECK(ctx, itest_facts_count(&j.facts, "tf_exec") == 20 && itest_facts_count(&j.facts, "tf_fork") == 20,
                    "workload sanity: %zu tf_exec and %zu tf_fork facts, expected 20 each",
                    itest_facts_count(&j.facts, "tf_exec"), itest_facts_count(&j.facts, "tf_fork"));
        const struct itest_fact *fa;
        for (size_t i = 0; (fa = itest_facts_find(&j.facts, "tf_exec", i)) != NULL; i++)
            itest_expect_exact_fact(ctx, j.rep, fa, "alloc_hold");
        for (size_t i = 0; (fa = itest_facts_find(&j.facts, "tf_fork", i)) != NULL; i++) {
            const cJSON *p = itest_expect_exact_fact(ctx, j.rep, fa, "threads_fork");
            ITEST_CHECK(ctx, p == NULL || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(p, "forked")),
                        "fork-only child %d: forked is not true", (int)fa->pid);
        }
    }
    agent_job_free(&j);
    return 0;
}

/* A figure from polling or from a wait, never exact: sampled at most the truth, bound at least it. */
static void agent_expect_not_exact(struct itest_ctx *ctx, const cJSON *p, uint64_t hwm, const char *what)
{
    if (p == NULL)
        return;
    const char *kind = itest_json_str(p, "peak_kind");
    bool sampled = agent_kind_is(p, "sampled"), bound = agent_kind_is(p, "bound");
    ITEST_CHECK(ctx, sampled || bound, "%s: peak_kind '%s', expected sampled or bound", what, kind ? kind : "(none)");
    double peak = itest_json_num(p, "max_rss_kib");
    if (sampled)
        ITEST_CHECK(ctx,
                    peak >= AGENT_SAMPLED_MIN_RATIO * (double)hwm && peak <= (double)hwm + AGENT_SLACK_KIB,
                    "%s: sampled max_rss_kib %.0f, the workload measured VmHWM %llu", what, peak,
                    (unsigned long long)hwm);
    double b = itest_json_num(p, "bound_kib");
    if (bound)
        ITEST_CHECK(ctx, !isnan(b), "%s: peak_kind bound but bound_kib is null", what);
    if (!isnan(b))
        ITEST_CHECK(ctx, b + AGENT_SLACK_KIB >= (double)hwm, "%s: bound_kib %.0f below the measured VmHWM %llu", what,
                    b, (unsigned long long)hwm);
}

int scenario_static_child(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    char prog[AGENT_PATH_MAX];
    snprintf(prog, sizeof prog, "%s/alloc_hold_static", ctx->wldir);
    if (access(prog, X_OK) != 0) {
        itest_note(ctx, "no static libc (libc.a) to build %s: skipped", prog);
        return ITEST_SKIP;
    }
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "run_child", prog, "64", "1500", "static", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *child = agent_fact(ctx, &j.facts, "static");
        const struct itest_fact *parent = agent_fact(ctx, &j.facts, "run_child");
        if (child != NULL && parent != NULL) {
            const cJSON *p = itest_json_process(ctx, j.rep, child->pid, "static child");
            agent_expect_not_exact(ctx, p, child->hwm_kib, "static child");
            agent_expect_ppid(ctx, p, parent->pid, "static child");
            itest_expect_end(ctx, p, "exited", 0, "static child");
            char cmd[AGENT_PATH_MAX + 32];
            snprintf(cmd, sizeof cmd, "%s 64 1500 static", prog);
            const char *got = itest_json_str(p, "command");
            ITEST_CHECK(ctx, p == NULL || (got != NULL && strcmp(got, cmd) == 0),
                        "static child: command '%s', expected '%s'", got ? got : "(none)", cmd);
            const cJSON *img = itest_json_image(p, "alloc_hold_static", NULL);
            ITEST_CHECK(ctx, img == NULL || !agent_kind_is(img, "exact"),
                        "static child: its static image claims an exact peak");
            itest_expect_exact_fact(ctx, j.rep, parent, "run_child");
        }
    }
    agent_job_free(&j);
    return 0;
}

int scenario_env_i(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    char env[AGENT_PATH_MAX], prog[AGENT_PATH_MAX];
    if (!itest_find_in_path("env", env, sizeof env)) {
        itest_note(ctx, "no env(1) in PATH: skipped");
        return ITEST_SKIP;
    }
    snprintf(prog, sizeof prog, "%s/alloc_hold", ctx->wldir);
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "run_child", env, "-i", prog, "16", "300", "env_i", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *child = agent_fact(ctx, &j.facts, "env_i");
        if (child != NULL) {
            const cJSON *p = itest_expect_exact_fact(ctx, j.rep, child, "alloc_hold");
            const cJSON *env_img = itest_json_image(p, "env", NULL);
            ITEST_CHECK(ctx, p == NULL || env_img != NULL, "env -i child: no 'env' image before alloc_hold");
            ITEST_CHECK(ctx, env_img == NULL || agent_kind_is(env_img, "exact"),
                        "env -i child: the env image's peak is not exact");
        }
        agent_expect_all_exact(ctx, j.rep);
    }
    agent_job_free(&j);
    return 0;
}

int scenario_python(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    char python[AGENT_PATH_MAX];
    if (!itest_find_in_path("python3", python, sizeof python)) {
        itest_note(ctx, "no python3 in PATH: skipped");
        return ITEST_SKIP;
    }
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    itest_run_prepare(ctx, &j.run, &o);
    itest_run_add(&j.run, "%s", python);
    itest_run_add(&j.run, "-c");
    /* close_fds=True is the default: the child inherits no descriptor of the parent's agent. */
    itest_run_add(&j.run, "import subprocess, sys; subprocess.run([sys.argv[1], '16', '300', 'python'], check=True)");
    itest_run_add(&j.run, "%s/alloc_hold", ctx->wldir);
    if (itest_run(ctx, &j.run) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *child = agent_fact(ctx, &j.facts, "python");
        if (child != NULL)
            itest_expect_exact_fact(ctx, j.rep, child, "alloc_hold");
    }
    agent_job_free(&j);
    return 0;
}

int scenario_sigkill_child(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "kill_child", "200", "1000", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *victim = agent_fact(ctx, &j.facts, "victim");
        const struct itest_fact *parent = agent_fact(ctx, &j.facts, "parent");
        if (victim != NULL && parent != NULL) {
            const cJSON *p = itest_json_process(ctx, j.rep, victim->pid, "SIGKILLed child");
            itest_expect_end(ctx, p, "signaled", SIGKILL, "SIGKILLed child");
            agent_expect_not_exact(ctx, p, victim->hwm_kib, "SIGKILLed child");
            agent_expect_ppid(ctx, p, parent->pid, "SIGKILLed child");
            itest_expect_exact_fact(ctx, j.rep, parent, "kill_child");
        }
    }
    agent_job_free(&j);
    return 0;
}

int scenario_exec_missing(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "exec_missing", NULL) != 0)
        return 0;
    if (j.run.exit_code != 0)
        itest_note(ctx, "exec_missing exited %d: its stderr (below) names each wrong result", j.run.exit_code);
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *fa = agent_fact(ctx, &j.facts, "exec_missing");
        if (fa != NULL) {
            const cJSON *p = itest_expect_exact_fact(ctx, j.rep, fa, "exec_missing");
            ITEST_CHECK(ctx, p == NULL || itest_json_array_size(p, "images") == 1,
                        "exec_missing: %d images, expected 1 (a failed exec starts no image)",
                        itest_json_array_size(p, "images"));
            itest_expect_end(ctx, p, "exited", 0, "exec_missing");
        }
    }
    agent_job_free(&j);
    return 0;
}


/* A SIGKILLed memwatch cannot remove its private socket directory: the harness does, when it has the
 * shape memwatch makes (DIR/memwatch-XXXXXX/SOCKET). */
static void agent_remove_socket_dir(char *socket_path)
{
    char *slash = strrchr(socket_path, '/');
    if (slash == NULL)
        return;
    *slash = '\0';
    const char *dir_name = strrchr(socket_path, '/');
    if (dir_name != NULL && strncmp(dir_name + 1, "memwatch-", 9) == 0) {
        *slash = '/';
        unlink(socket_path);
        *slash = '\0';
        rmdir(socket_path);
    }
}

int scenario_collector_killed(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    struct itest_run r;
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    itest_run_prepare(ctx, &r, &o);
    itest_run_add(&r, "%s/after_kill", ctx->wldir);
    if (itest_run_start(ctx, &r) != 0)
        return 0;
    if (!ITEST_CHECK(ctx, itest_wait_file(ctx, "after_kill.ready", AGENT_READY_TIMEOUT_MS),
                     "the job never became ready (no after_kill.ready)"))
        return 0;
    struct itest_facts f;
    itest_facts_load(ctx, &f);
    const struct itest_fact *root = agent_fact(ctx, &f, "root");
    char socket_path[ITEST_PATH_MAX];
    bool have_socket = root != NULL && itest_job_socket(root->pid, socket_path, sizeof socket_path);
    kill(r.pid, SIGKILL);
    int status = 0;
    ITEST_CHECK(ctx, itest_wait_pid(ctx, r.pid, AGENT_READY_TIMEOUT_MS, &status) == 0 && WIFSIGNALED(status),
                "memwatch did not die of the SIGKILL");
    char path[ITEST_PATH_MAX];
    int fd = open(itest_path(ctx, "after_kill.go", path, sizeof path), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ITEST_CHECK(ctx, fd >= 0, "cannot create %s: %s", path, strerror(errno));
    if (fd >= 0)
        close(fd);
    if (root != NULL) {
        /* memwatch is gone: the job root is now the harness's child (we are its subreaper). */
        bool reaped = itest_wait_pid(ctx, root->pid, AGENT_ORPHAN_TIMEOUT_MS, &status) == 0;
        if (ITEST_CHECK(ctx, reaped, "the job (pid %d) did not finish after memwatch was killed", (int)root->pid)) {
            ITEST_CHECK(ctx, WIFEXITED(status) && WEXITSTATUS(status) == 7,
                        "the job ended with %s %d, expected exit 7 (signal 13 is SIGPIPE)",
                        WIFSIGNALED(status) ? "signal" : "exit",
                        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        }
        char *marker = itest_read_file(itest_path(ctx, "after_kill.exit", path, sizeof path), 64, NULL);
        ITEST_CHECK(ctx, marker != NULL && strcmp(marker, "exit 7\n") == 0,
                    "after_kill.exit is '%s', expected 'exit 7' (8: a child failed without its collector)",
                    marker ? marker : "(missing)");
        free(marker);
    }
    if (have_socket)
        agent_remove_socket_dir(socket_path);
    itest_facts_free(&f);
    return 0;
}

int scenario_storm(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    long n = AGENT_STORM_N;
    const char *env_n = getenv("ITEST_STORM_N"); /* smaller storms while debugging */
    if (env_n != NULL && atol(env_n) > 0)
        n = atol(env_n);
    char nbuf[32];
    snprintf(nbuf, sizeof nbuf, "%ld", n);
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .timeout_ms = AGENT_STORM_TIMEOUT_MS};
    if (itest_run_workload(ctx, &j.run, &o, "storm", nbuf, "2", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        agent_expect_process_count(ctx, j.rep, (int)n + 1);
        ITEST_CHECK(ctx, itest_json_num(j.rep, "exact_peak_count") == n + 1, "exact_peak_count %.0f, expected %ld",
                    itest_json_num(j.rep, "exact_peak_count"), n + 1);
        agent_expect_all_exact(ctx, j.rep);
    }
    agent_job_free(&j);
    return 0;
}

int scenario_spike(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    char prog[AGENT_PATH_MAX];
    snprintf(prog, sizeof prog, "%s/alloc_hold", ctx->wldir);
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true}; /* the default interval: 500 ms, 25 times the spike */
    if (itest_run_workload(ctx, &j.run, &o, "run_child", prog, "300", "20", "spike", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *spike = agent_fact(ctx, &j.facts, "spike");
        if (spike != NULL) {
            ITEST_CHECK(ctx, spike->hwm_kib >= 300 * 1024, "workload sanity: spike VmHWM %llu < 300 MiB",
                        (unsigned long long)spike->hwm_kib);
            itest_expect_exact_fact(ctx, j.rep, spike, "alloc_hold");
            const cJSON *tp = cJSON_GetObjectItemCaseSensitive(j.rep, "total_peak");
            ITEST_CHECK(ctx, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tp, "upper_bound_proven")),
                        "total_peak.upper_bound_proven is not true with every peak exact");
            ITEST_CHECK(ctx, itest_json_num(tp, "upper_bound_kib") + AGENT_SLACK_KIB >= (double)spike->hwm_kib,
                        "total_peak.upper_bound_kib %.0f below the spike's own VmHWM %llu",
                        itest_json_num(tp, "upper_bound_kib"), (unsigned long long)spike->hwm_kib);
        }
    }
    agent_job_free(&j);
    return 0;
}

int scenario_four_children(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "hold_many", "4", "100", "1500", NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *parent = agent_fact(ctx, &j.facts, "parent");
        double children = 0;
        const struct itest_fact *fa;
        for (size_t i = 0; (fa = itest_facts_find(&j.facts, "child", i)) != NULL; i++) {
            children += (double)fa->hwm_kib;
            itest_expect_exact_fact(ctx, j.rep, fa, "hold_many");
        }
        ITEST_CHECK(ctx, itest_facts_count(&j.facts, "child") == 4 && children >= 4 * 100 * AGENT_MIB,
                    "workload sanity: %zu child facts, %.0f KiB in all", itest_facts_count(&j.facts, "child"),
                    children);
        if (parent != NULL) {
            /* At any instant the total is at most the sum of every process's own peak. */
            double everything = children + (double)parent->hwm_kib;
            const cJSON *tp = cJSON_GetObjectItemCaseSensitive(j.rep, "total_peak");
            double sampled = itest_json_num(tp, "sampled_kib"), upper = itest_json_num(tp, "upper_bound_kib");
            ITEST_CHECK(ctx, sampled <= everything + AGENT_SLACK_KIB,
                        "total_peak.sampled_kib %.0f exceeds the sum of all VmHWMs %.0f", sampled, everything);
            ITEST_CHECK(ctx, sampled >= AGENT_SAMPLED_MIN_RATIO * 4 * 100 * AGENT_MIB,
                        "total_peak.sampled_kib %.0f: the 1.5 s when all four held 100 MiB was not sampled", sampled);
            ITEST_CHECK(ctx, cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(tp, "upper_bound_proven")),
                        "total_peak.upper_bound_proven is not true with every peak exact");
            ITEST_CHECK(ctx, upper + AGENT_SLACK_KIB >= children,
                        "total_peak.upper_bound_kib %.0f below the children's sum %.0f", upper, children);
            agent_expect_process_count(ctx, j.rep, 5);
        }
    }
    agent_job_free(&j);
    return 0;
}

#define AGENT_LONG_ARG_LEN 5000 /* well past the wire's MW_ARGV_MAX (2048 bytes) */

int scenario_long_argv(struct itest_ctx *ctx, const char *arg)
{
    (void)arg;
    static char long_arg[AGENT_LONG_ARG_LEN + 1];
    memset(long_arg, 'x', AGENT_LONG_ARG_LEN);
    struct agent_job j = {0};
    struct itest_opts o = {.agent = true, .interval_ms = AGENT_INTERVAL_MS};
    if (itest_run_workload(ctx, &j.run, &o, "alloc_hold", "4", "300", "long", long_arg, NULL) != 0)
        return 0;
    if (agent_job_finish(ctx, &j, 0) == 0) {
        const struct itest_fact *fa = agent_fact(ctx, &j.facts, "long");
        const cJSON *p = fa ? itest_expect_exact_fact(ctx, j.rep, fa, "alloc_hold") : NULL;
        const cJSON *img = itest_json_image(p, "alloc_hold", "long");
        ITEST_CHECK(ctx, p == NULL || img != NULL, "long argv: the first arguments did not survive truncation");
        /* The agent's copy is cut and marked; memwatch may know the whole argv (it started the root). */
        const cJSON *argv = img ? cJSON_GetObjectItemCaseSensitive(img, "argv") : NULL;
        const cJSON *last = argv ? cJSON_GetArrayItem(argv, cJSON_GetArraySize(argv) - 1) : NULL;
        bool whole = cJSON_IsString(last) && strlen(last->valuestring) == AGENT_LONG_ARG_LEN;
        ITEST_CHECK(ctx, img == NULL || whole || cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(img, "argv_truncated")),
                    "long argv: a %d-byte argument neither whole nor marked argv_truncated", AGENT_LONG_ARG_LEN);
        const char *cmd = itest_json_str(p, "command");
        ITEST_CHECK(ctx, p == NULL || (cmd != NULL && strstr(cmd, "/alloc_hold 4 300 long") != NULL),
                    "long argv: command '%.120s' lost its head", cmd ? cmd : "(none)");
    }
    agent_job_free(&j);
    return 0;
}
