/* The integration harness's entry point: `harness SCENARIO MEMWATCH WORKLOADS_DIR` runs one scenario in a
 * private temporary directory and exits 0 (pass), 1 (fail) or 77 (skip), as ctest expects. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

#define ITEST_DUMP_MAX 8192
#define ITEST_CLEANUP_REAP_MS 10000

static const struct itest_scenario itest_scenarios[] = {
    {"alloc_hold_agent", scenario_alloc_hold, "agent"},
    {"alloc_hold_noagent", scenario_alloc_hold, "noagent"},
    {"tree3_agent", scenario_tree3, "agent"},
    {"tree3_noagent", scenario_tree3, "noagent"},
    {"orphan_agent", scenario_orphan, "agent"},
    {"orphan_noagent", scenario_orphan, "noagent"},
    {"orphan_wait_agent", scenario_orphan, "agent,wait"},
    {"orphan_wait_noagent", scenario_orphan, "noagent,wait"},
    {"exit_0_agent", scenario_exit_code, "0,agent"},
    {"exit_3_agent", scenario_exit_code, "3,agent"},
    {"exit_kill9_agent", scenario_exit_code, "kill9,agent"},
    {"exit_0_noagent", scenario_exit_code, "0,noagent"},
    {"exit_3_noagent", scenario_exit_code, "3,noagent"},
    {"exit_kill9_noagent", scenario_exit_code, "kill9,noagent"},
    {"sigint_agent", scenario_sigint, "reraise,agent"},
    {"sigint_noagent", scenario_sigint, "reraise,noagent"},
    {"sigint_exit130", scenario_sigint, "exit,agent"},
    {"bad_no_command", scenario_bad_input, "no_command"},
    {"bad_unknown_option", scenario_bad_input, "unknown_option"},
    {"bad_interval_zero", scenario_bad_input, "interval_zero"},
    {"bad_interval_abc", scenario_bad_input, "interval_abc"},
    {"bad_regex", scenario_bad_input, "regex"},
    {"bad_json_dir", scenario_bad_input, "json_dir"},
    {"bad_csv_readonly", scenario_bad_input, "csv_readonly"},
    {"cmd_not_found", scenario_cannot_run, "not_found"},
    {"cmd_not_executable", scenario_cannot_run, "not_executable"},
    {"exec_relabel_agent", scenario_exec_relabel, "agent"},
    {"exec_relabel_noagent", scenario_exec_relabel, "noagent"},
    {"exec_relabel_sh", scenario_exec_relabel, "agent,sh"},
    {"csv_timeline", scenario_csv_timeline, NULL},
    {"filter", scenario_filter, NULL},
    {"streams", scenario_streams, NULL},
    {"cli_interval", scenario_cli_refusals, "interval"},
    {"cli_wrong_subcommand", scenario_cli_refusals, "wrong_subcommand"},
    {"cli_empty_command", scenario_cli_refusals, "empty_command"},
    {"cli_json_hint", scenario_cli_refusals, "json_hint"},
    {"cli_agent_missing", scenario_cli_refusals, "agent_missing"},
    {"csv_stdout", scenario_csv_stdout, NULL},
    {"csv_filtered", scenario_csv_filtered, NULL},
    {"series_null", scenario_series_null, NULL},
    {"listen_no_job", scenario_listen_no_job, NULL},
    {"fork", scenario_fork, "exit"},
    {"fork_underscore_exit", scenario_fork, "_exit"},
    {"vfork_exec", scenario_vfork_exec, NULL},
    {"posix_spawn", scenario_posix_spawn, NULL},
    {"exec_execl", scenario_exec_variant, "execl"},
    {"exec_execle", scenario_exec_variant, "execle"},
    {"exec_execlp", scenario_exec_variant, "execlp"},
    {"exec_execv", scenario_exec_variant, "execv"},
    {"exec_execve", scenario_exec_variant, "execve"},
    {"exec_execve_noenv", scenario_exec_variant, "execve_noenv"},
    {"exec_execvp", scenario_exec_variant, "execvp"},
    {"exec_execvpe", scenario_exec_variant, "execvpe"},
    {"exec_fexecve", scenario_exec_variant, "fexecve"},
    {"exec_execveat", scenario_exec_variant, "execveat"},
    {"system", scenario_system_popen, "system"},
    {"popen", scenario_system_popen, "popen"},
    {"unsetenv_system", scenario_system_popen, "unsetenv_system"},
    {"threads_fork", scenario_threads_fork, NULL},
    {"static_child", scenario_static_child, NULL},
    {"env_i", scenario_env_i, NULL},
    {"python_subprocess", scenario_python, NULL},
    {"sigkill_child", scenario_sigkill_child, NULL},
    {"exec_missing", scenario_exec_missing, NULL},
    {"collector_killed", scenario_collector_killed, NULL},
    {"storm", scenario_storm, NULL},
    {"spike", scenario_spike, NULL},
    {"four_children", scenario_four_children, NULL},
    {"long_argv", scenario_long_argv, NULL},
    {"concurrent_soft", scenario_concurrent, "soft"},
    {"concurrent_hard", scenario_concurrent, "hard"},
    {"drop_priv", scenario_drop_priv, NULL},
    {"foreign", scenario_foreign, NULL},
    {"lowfd", scenario_lowfd, NULL},
    {"compat_asan", scenario_compat, "compat_asan"},
    {"compat_ubsan", scenario_compat, "compat_ubsan"},
    {"compat_tsan", scenario_compat, "compat_tsan"},
    {"compat_lsan", scenario_compat, "compat_lsan"},
    {"compat_user_preload", scenario_compat, "user_preload"},
    {"compat_m32", scenario_compat, "m32"},
    {"compat_small_stack", scenario_compat, "small_stack"},
    {"compat_odd_path", scenario_compat, "odd_path"},
    {"limits_total", scenario_limits, "total"},
    {"limits_per_process", scenario_limits, "per_process"},
    {"limits_within", scenario_limits, "within"},
    {"limits_job_fails", scenario_limits, "job_fails"},
    {"limits_possible", scenario_limits, "possible"},
    {"limits_kill", scenario_limits, "kill"},
    {"limits_post_run", scenario_limits, "post_run"},
    {"compare_improve", scenario_compare, "improve"},
    {"compare_regress", scenario_compare, "regress"},
    {"compare_threshold", scenario_compare, "threshold"},
    {"compare_seed", scenario_compare, "seed"},
    {"compare_bad", scenario_compare, "bad"},
    {"compare_groupings", scenario_compare, "groupings"},
    {"ci_check", scenario_compare, "ci_check"},
    {"views_tree", scenario_views, "tree"},
    {"views_group_exe", scenario_views, "exe"},
    {"views_group_ppid", scenario_views, "ppid"},
    {"leak_steady", scenario_views, "leak_leak"},
    {"leak_sawtooth", scenario_views, "leak_sawtooth"},
    {"leak_plateau", scenario_views, "leak_plateau"},
    {"leak_step", scenario_views, "leak_step"},
    {"usage_agent", scenario_usage, "agent"},
    {"usage_noagent", scenario_usage, "noagent"},
    {"honest_exec_into_static", scenario_honest, "exec_into_static"},
    {"honest_unseen_child", scenario_honest, "unseen_child"},
    {"honest_vfork_shared", scenario_honest, "vfork_shared"},
    {"honest_script_root", scenario_honest, "script_root"},
    {"honest_failed_exec", scenario_honest, "failed_exec"},
    {"honest_raw_exit", scenario_honest, "raw_exit"},
    {"honest_killed_worker", scenario_honest, "killed_worker"},
    {"outputs_symlink", scenario_outputs, "symlink"},
    {"outputs_fifo", scenario_outputs, "fifo"},
    {"outputs_own_stdout", scenario_outputs, "own_stdout"},
    {"outputs_nothing_visible", scenario_outputs, "nothing_visible"},
    {"tty_returns", scenario_tty, "returns"},
    {"tty_reads", scenario_tty, "reads"},
    {"tty_ctrl_c", scenario_tty, "ctrl_c"},
    {"tty_ctrl_z", scenario_tty, "ctrl_z"},
    {"tty_background", scenario_tty, "background"},
    {"tty_nested_shell", scenario_tty, "nested_shell"},
    {"tty_editor", scenario_tty, "editor"},
    {"tty_quick_start", scenario_tty, "quick_start"},
    {"live_scroll", scenario_live, "scroll"},
    {"live_resize", scenario_live, "resize"},
    {"live_raw", scenario_live, "raw"},
    {"live_plain", scenario_live, "plain"},
    {"text_invalid_utf8_agent", scenario_text, "agent"},
    {"text_invalid_utf8_noagent", scenario_text, "noagent"},
};

#define ITEST_N_SCENARIOS (sizeof itest_scenarios / sizeof itest_scenarios[0])

bool itest_check(struct itest_ctx *ctx, bool ok, const char *file, int line, const char *fmt, ...)
{
    ctx->checks++;
    if (ok)
        return true;
    ctx->failures++;
    const char *base = strrchr(file, '/');
    printf("FAIL %s:%d: ", base ? base + 1 : file, line);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    return false;
}

void itest_note(const struct itest_ctx *ctx, const char *fmt, ...)
{
    printf("[%s] ", ctx->name);
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
}

static const struct itest_scenario *itest_find_scenario(const char *name)
{
    for (size_t i = 0; i < ITEST_N_SCENARIOS; i++) {
        if (strcmp(itest_scenarios[i].name, name) == 0)
            return &itest_scenarios[i];
    }
    return NULL;
}

/* Kills whatever the scenario left running and reaps every child, so no process outlives the test. */
static void itest_cleanup_processes(struct itest_ctx *ctx)
{
    for (int i = 0; i < ctx->n_runs && i < ITEST_RUNS_MAX; i++)
        itest_kill_session(ctx, ctx->sessions[i]);
    struct timespec step = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
    for (int waited = 0; waited < ITEST_CLEANUP_REAP_MS; waited += 10) {
        pid_t p = waitpid(-1, NULL, WNOHANG);
        if (p < 0 && errno == ECHILD)
            return;
        if (p <= 0)
            nanosleep(&step, NULL);
    }
    itest_note(ctx, "some children could not be reaped");
}

static void itest_dump_diagnostics(const struct itest_ctx *ctx)
{
    char path[ITEST_PATH_MAX];
    char label[64];
    for (int i = 0; i < ctx->n_runs; i++) {
        char name[32];
        snprintf(name, sizeof name, "mw%d.err", i);
        snprintf(label, sizeof label, "memwatch run %d stderr", i);
        itest_dump_file(label, itest_path(ctx, name, path, sizeof path), ITEST_DUMP_MAX);
    }
    itest_dump_file("facts", itest_path(ctx, "facts", path, sizeof path), ITEST_DUMP_MAX);
    itest_dump_file("agent log", itest_path(ctx, "agent.log", path, sizeof path), ITEST_DUMP_MAX);
}

static int itest_setup(struct itest_ctx *ctx)
{
    if (access(ctx->memwatch, X_OK) != 0) {
        printf("FAIL: memwatch '%s' is not executable: %s\n", ctx->memwatch, strerror(errno));
        return -1;
    }
    /* Orphans of a killed or finished memwatch come to us, so we can wait for them and clean up. */
    if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) != 0) {
        printf("FAIL: prctl(PR_SET_CHILD_SUBREAPER): %s\n", strerror(errno));
        return -1;
    }
    const char *tmp = getenv("TMPDIR");
    snprintf(ctx->dir, sizeof ctx->dir, "%s/memwatch-itest-%s-XXXXXX", tmp && *tmp ? tmp : "/tmp", ctx->name);
    if (mkdtemp(ctx->dir) == NULL) {
        printf("FAIL: mkdtemp '%s': %s\n", ctx->dir, strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "--list") == 0) {
        for (size_t i = 0; i < ITEST_N_SCENARIOS; i++)
            printf("%s\n", itest_scenarios[i].name);
        return 0;
    }
    if (argc != 4) {
        fprintf(stderr, "usage: %s SCENARIO MEMWATCH WORKLOADS_DIR | --list\n", argv[0]);
        return 2;
    }
    const struct itest_scenario *sc = itest_find_scenario(argv[1]);
    if (sc == NULL) {
        fprintf(stderr, "%s: unknown scenario '%s'\n", argv[0], argv[1]);
        return 2;
    }
    static struct itest_ctx ctx;
    static char memwatch_abs[ITEST_PATH_MAX], wldir_abs[ITEST_PATH_MAX];
    ctx.name = sc->name;
    /* memwatch runs in the temporary directory: relative paths would no longer hold there. */
    ctx.memwatch = realpath(argv[2], memwatch_abs) ? memwatch_abs : argv[2];
    ctx.wldir = realpath(argv[3], wldir_abs) ? wldir_abs : argv[3];
    if (itest_setup(&ctx) != 0)
        return 1;

    int rc = sc->fn(&ctx, sc->arg);
    itest_cleanup_processes(&ctx);
    if (rc != ITEST_SKIP && ctx.checks == 0)
        ITEST_CHECK(&ctx, false, "scenario %s made no check", sc->name);
    if (ctx.failures > 0)
        itest_dump_diagnostics(&ctx);
    if (getenv("ITEST_KEEP") != NULL)
        itest_note(&ctx, "kept %s", ctx.dir);
    else
        itest_remove_tree(ctx.dir);

    if (ctx.failures > 0) {
        printf("%s: FAILED (%d of %d checks)\n", sc->name, ctx.failures, ctx.checks);
        return 1;
    }
    if (rc == ITEST_SKIP) {
        printf("%s: SKIPPED\n", sc->name);
        return ITEST_SKIP;
    }
    printf("%s: passed (%d checks)\n", sc->name, ctx.checks);
    return 0;
}
