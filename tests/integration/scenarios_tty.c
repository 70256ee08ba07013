/* memwatch at a real terminal: an interactive bash on a pseudo-terminal types the commands a person would,
 * and each scenario checks what the person would see: the prompt coming back, the job reading the terminal,
 * Ctrl-C, Ctrl-Z and fg, a background start, a job-control shell and a full-screen editor inside the job. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "itest.h"

#define TTY_ROWS 24
#define TTY_COLS 80
#define TTY_PROMPT_MS 10000
#define TTY_JOB_MS 30000
#define TTY_READY_MS 15000
#define TTY_LINE_MAX 8192
#define TTY_STAT_MAX 1024

/* bash -i with no rc files: job control on, the prompt ITEST_PTY_PROMPT. */
static bool tty_shell(struct itest_ctx *ctx, struct itest_pty *t)
{
    static const char *const argv[] = {"bash", "--norc", "--noprofile", "-i", NULL};
    return itest_pty_spawn(ctx, t, argv, TTY_ROWS, TTY_COLS) == 0;
}

/* Waits for a shell's prompt, then types one command line at it, with the memwatch under test put in for every "MW" and the workloads folder for
 * every "WL". */
static void tty_type(struct itest_ctx *ctx, struct itest_pty *t, const char *line)
{
    char buf[TTY_LINE_MAX];
    size_t n = 0;
    for (const char *p = line; *p && n + 1 < sizeof buf; p++) {
        const char *with = (p[0] == 'M' && p[1] == 'W') ? ctx->memwatch : (p[0] == 'W' && p[1] == 'L') ? ctx->wldir
                                                                                                      : NULL;
        if (with) {
            n += (size_t)snprintf(buf + n, sizeof buf - n, "%s", with);
            p++;
        } else {
            buf[n++] = *p;
        }
    }
    buf[n < sizeof buf ? n : sizeof buf - 1] = '\0';
    itest_pty_expect(ctx, t, ITEST_PTY_PROMPT, TTY_JOB_MS);
    itest_pty_send(t, buf);
    itest_pty_send(t, "\n");
}

/* `echo "rc=$?"` and waits for the status the shell shows. */
static void tty_expect_status(struct itest_ctx *ctx, struct itest_pty *t, int code)
{
    char want[32];
    tty_type(ctx, t, "echo \"rc=$?\"");
    snprintf(want, sizeof want, "rc=%d\r", code);
    itest_pty_expect(ctx, t, want, TTY_PROMPT_MS);
}

static void tty_finish(struct itest_ctx *ctx, struct itest_pty *t)
{
    itest_pty_send(t, "exit\n");
    itest_pty_close(ctx, t);
}

/* State letter of /proc/PID/stat (R, S, T, ...), '?' when unreadable; the parent pid into *ppid. */
static char tty_proc_state(pid_t pid, pid_t *ppid)
{
    char path[64], buf[TTY_STAT_MAX];
    snprintf(path, sizeof path, "/proc/%ld/stat", (long)pid);
    size_t len = 0;
    char *text = itest_read_file(path, sizeof buf, &len);
    if (!text)
        return '?';
    char state = '?';
    long parent = 0;
    const char *close = strrchr(text, ')');
    if (close && sscanf(close + 1, " %c %ld", &state, &parent) != 2)
        state = '?';
    free(text);
    if (ppid)
        *ppid = (pid_t)parent;
    return state;
}

/* The pid a workload wrote into a marker file. */
static pid_t tty_marker_pid(struct itest_ctx *ctx, const char *name)
{
    char path[ITEST_PATH_MAX];
    if (!itest_wait_file(ctx, name, TTY_READY_MS))
        return 0;
    for (int tries = 0; tries < 100; tries++) {
        size_t len = 0;
        char *text = itest_read_file(itest_path(ctx, name, path, sizeof path), 64, &len);
        long pid = text ? strtol(text, NULL, 10) : 0;
        free(text);
        if (pid > 0)
            return (pid_t)pid;
        usleep(10000);
    }
    return 0;
}

/* A job started from an interactive shell returns with its exit status. */
static int tty_returns(struct itest_ctx *ctx)
{
    struct itest_pty t;
    if (!tty_shell(ctx, &t))
        return 1;
    tty_type(ctx, &t, "MW run -q -- true");
    tty_expect_status(ctx, &t, 0);
    tty_type(ctx, &t, "MW run -q -- sh -c 'exit 3'");
    tty_expect_status(ctx, &t, 3);
    tty_type(ctx, &t, "MW run -- sh -c 'echo from-the-job'");
    itest_pty_expect(ctx, &t, "from-the-job", TTY_JOB_MS);
    itest_pty_expect(ctx, &t, "Exit status: 0", TTY_JOB_MS);
    tty_expect_status(ctx, &t, 0);
    tty_finish(ctx, &t);
    return 0;
}

/* The job reads the terminal: a line typed reaches cat, Ctrl-D ends it. */
static int tty_reads(struct itest_ctx *ctx)
{
    struct itest_pty t;
    if (!tty_shell(ctx, &t))
        return 1;
    tty_type(ctx, &t, "MW run -q -- cat");
    itest_pty_settle(&t, 300);
    itest_pty_send(&t, "typed line\n");
    /* Once as the terminal echoes it, once as cat writes it back. */
    itest_pty_expect(ctx, &t, "typed line\r\n", TTY_JOB_MS);
    itest_pty_expect(ctx, &t, "typed line\r\n", TTY_JOB_MS);
    itest_pty_send(&t, "\x04");
    tty_expect_status(ctx, &t, 0);
    tty_type(ctx, &t, "echo piped | MW run -q -- cat");
    itest_pty_expect(ctx, &t, "piped\r\n", TTY_JOB_MS);
    tty_expect_status(ctx, &t, 0);
    tty_type(ctx, &t, "MW run -q -- cat </dev/null");
    tty_expect_status(ctx, &t, 0);
    tty_finish(ctx, &t);
    return 0;
}

/* Ctrl-C ends the job once (never a second, forwarded SIGINT), memwatch exits as the job did and writes
 * its report. */
static int tty_ctrl_c(struct itest_ctx *ctx)
{
    struct itest_pty t;
    if (!tty_shell(ctx, &t))
        return 1;
    char line[TTY_LINE_MAX];
    snprintf(line, sizeof line, "MW run -q --json=ctrl_c.json -- sh -c 'echo $$ > sleep.pid; exec sleep 100'");
    tty_type(ctx, &t, line);
    ITEST_CHECK(ctx, tty_marker_pid(ctx, "sleep.pid") > 0, "the job never started");
    itest_pty_send(&t, "\x03");
    tty_expect_status(ctx, &t, 130);
    char path[ITEST_PATH_MAX];
    cJSON *rep = itest_json_load(ctx, itest_path(ctx, "ctrl_c.json", path, sizeof path));
    if (rep)
        ITEST_CHECK(ctx, itest_json_num(rep, "exit_code") == 130, "the report's exit_code is %g, not 130",
                    itest_json_num(rep, "exit_code"));
    cJSON_Delete(rep);

    /* A job that handles SIGINT sees one Ctrl-C once. */
    tty_type(ctx, &t, "MW run -q -- WL/count_signals");
    ITEST_CHECK(ctx, tty_marker_pid(ctx, "count.ready") > 0, "count_signals never started");
    itest_pty_send(&t, "\x03");
    itest_pty_settle(&t, 300);
    FILE *stop = fopen(itest_path(ctx, "count.stop", path, sizeof path), "w");
    if (stop)
        fclose(stop);
    tty_expect_status(ctx, &t, 1);
    tty_finish(ctx, &t);
    return 0;
}

/* Ctrl-Z stops the job and memwatch, as it stops `time` and its child; fg resumes both. */
static int tty_ctrl_z(struct itest_ctx *ctx)
{
    struct itest_pty t;
    if (!tty_shell(ctx, &t))
        return 1;
    tty_type(ctx, &t, "MW run -q -- sh -c 'echo $$ > sleep.pid; exec sleep 100'");
    pid_t job = tty_marker_pid(ctx, "sleep.pid");
    ITEST_CHECK(ctx, job > 0, "the job never started");
    itest_pty_send(&t, "\x1a");
    itest_pty_expect(ctx, &t, "Stopped", TTY_JOB_MS);
    itest_pty_settle(&t, 200);
    pid_t memwatch = 0;
    char job_state = tty_proc_state(job, &memwatch);
    char mw_state = tty_proc_state(memwatch, NULL);
    ITEST_CHECK(ctx, job_state == 'T', "after Ctrl-Z the job is in state %c, not stopped", job_state);
    ITEST_CHECK(ctx, mw_state == 'T', "after Ctrl-Z memwatch is in state %c, not stopped", mw_state);
    tty_type(ctx, &t, "fg");
    itest_pty_settle(&t, 300);
    job_state = tty_proc_state(job, NULL);
    mw_state = tty_proc_state(memwatch, NULL);
    ITEST_CHECK(ctx, job_state == 'S', "after fg the job is in state %c, not running", job_state);
    ITEST_CHECK(ctx, mw_state == 'S', "after fg memwatch is in state %c, not running", mw_state);
    itest_pty_send(&t, "\x03");
    tty_expect_status(ctx, &t, 130);
    tty_finish(ctx, &t);
    return 0;
}

/* Started in the background, a job that reads the terminal stops (SIGTTIN) as it would bare; fg gives it
 * the terminal. */
static int tty_background(struct itest_ctx *ctx)
{
    struct itest_pty t;
    if (!tty_shell(ctx, &t))
        return 1;
    tty_type(ctx, &t, "MW run -q -- sh -c 'read x; echo \"got=$x\"' &");
    itest_pty_settle(&t, 500);
    tty_type(ctx, &t, "jobs");
    itest_pty_expect(ctx, &t, "Stopped", TTY_JOB_MS);
    tty_type(ctx, &t, "fg");
    itest_pty_settle(&t, 300);
    itest_pty_send(&t, "abc\n");
    itest_pty_expect(ctx, &t, "got=abc", TTY_JOB_MS);
    tty_expect_status(ctx, &t, 0);
    /* nohup: SIGHUP stays ignored, the output goes to nohup.out. */
    tty_type(ctx, &t, "nohup MW run -q -- sh -c 'echo nohup-$((40+2))'");
    tty_expect_status(ctx, &t, 0);
    char path[ITEST_PATH_MAX];
    size_t len = 0;
    char *out = itest_read_file(itest_path(ctx, "nohup.out", path, sizeof path), 4096, &len);
    ITEST_CHECK(ctx, out && strstr(out, "nohup-42"), "nohup.out does not hold the job's output");
    free(out);
    tty_finish(ctx, &t);
    return 0;
}

/* A job-control shell inside the job gets the terminal, runs and stops its own jobs, and leaves the outer
 * shell in charge when it exits. */
static int tty_nested_shell(struct itest_ctx *ctx)
{
    struct itest_pty t;
    if (!tty_shell(ctx, &t))
        return 1;
    tty_type(ctx, &t, "MW run -q -- bash --norc --noprofile -i");
    tty_type(ctx, &t, "sleep 100");
    itest_pty_settle(&t, 300);
    itest_pty_send(&t, "\x1a");
    itest_pty_expect(ctx, &t, "Stopped", TTY_JOB_MS);
    /* bash refuses the first exit while a job is stopped, and ends it (SIGHUP) on the second. */
    tty_type(ctx, &t, "exit 7");
    itest_pty_expect(ctx, &t, "There are stopped jobs", TTY_PROMPT_MS);
    tty_type(ctx, &t, "exit 7");
    tty_expect_status(ctx, &t, 7);
    tty_type(ctx, &t, "echo alive-$((1+1))");
    itest_pty_expect(ctx, &t, "alive-2\r", TTY_PROMPT_MS);
    tty_finish(ctx, &t);
    return 0;
}

/* A full-screen editor gets the terminal in raw mode and gives it back as it found it. */
static int tty_editor(struct itest_ctx *ctx)
{
    char vim[ITEST_PATH_MAX];
    if (!itest_find_in_path("vim", vim, sizeof vim) && !itest_find_in_path("vi", vim, sizeof vim)) {
        itest_note(ctx, "no vim or vi on PATH");
        return ITEST_SKIP;
    }
    struct itest_pty t;
    if (!tty_shell(ctx, &t))
        return 1;
    tty_type(ctx, &t, "before=$(stty -g)");
    char line[TTY_LINE_MAX];
    snprintf(line, sizeof line, "MW run -q -- %s -u NONE -i NONE -N -n edited.txt", vim);
    tty_type(ctx, &t, line);
    itest_pty_settle(&t, 1500);
    itest_pty_send(&t, "iwritten in the editor\x1b");
    itest_pty_settle(&t, 300);
    itest_pty_send(&t, ":wq\r");
    tty_expect_status(ctx, &t, 0);
    tty_type(ctx, &t, "[ \"$(stty -g)\" = \"$before\" ] && echo same-modes");
    itest_pty_expect(ctx, &t, "same-modes\r", TTY_PROMPT_MS);
    char path[ITEST_PATH_MAX];
    size_t len = 0;
    char *text = itest_read_file(itest_path(ctx, "edited.txt", path, sizeof path), 4096, &len);
    ITEST_CHECK(ctx, text && strstr(text, "written in the editor"), "the editor did not write its file");
    free(text);
    tty_finish(ctx, &t);
    return 0;
}

/* The README's Quick start command, as a new user types it (smaller COUNT, build in the test folder). */
static int tty_quick_start(struct itest_ctx *ctx)
{
    const char *src = getenv("MEMWATCH_SOURCE_DIR");
    char cc[ITEST_PATH_MAX], make[ITEST_PATH_MAX];
    if (!src || !itest_find_in_path("cc", cc, sizeof cc) || !itest_find_in_path("make", make, sizeof make)) {
        itest_note(ctx, "needs MEMWATCH_SOURCE_DIR, cc and make");
        return ITEST_SKIP;
    }
    struct itest_pty t;
    if (!tty_shell(ctx, &t))
        return 1;
    char line[TTY_LINE_MAX];
    snprintf(line, sizeof line, "MW run -- make -s -C %s/examples/many_small_files -j2 COUNT=20 BUILD_DIR=%s/msf",
             src, ctx->dir);
    tty_type(ctx, &t, line);
    itest_pty_expect(ctx, &t, "MEMORY SUMMARY", TTY_JOB_MS * 4);
    tty_expect_status(ctx, &t, 0);
    tty_finish(ctx, &t);
    return 0;
}

int scenario_tty(struct itest_ctx *ctx, const char *arg)
{
    static const struct {
        const char *name;
        int (*fn)(struct itest_ctx *);
    } cases[] = {
        {"returns", tty_returns},       {"reads", tty_reads},          {"ctrl_c", tty_ctrl_c},
        {"ctrl_z", tty_ctrl_z},         {"background", tty_background}, {"nested_shell", tty_nested_shell},
        {"editor", tty_editor},         {"quick_start", tty_quick_start},
    };
    char bash[ITEST_PATH_MAX];
    if (!itest_find_in_path("bash", bash, sizeof bash)) {
        itest_note(ctx, "no bash on PATH");
        return ITEST_SKIP;
    }
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        if (strcmp(arg, cases[i].name) == 0)
            return cases[i].fn(ctx);
    ITEST_CHECK(ctx, false, "no tty case '%s'", arg);
    return 1;
}
