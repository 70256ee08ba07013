/* Running memwatch from the harness: a clean environment, a private session, a watchdog instead of any
 * timing assumption, and the file and process helpers the scenarios share. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"
#include "memwatch/wire.h"

#define ITEST_POLL_MS 10
#define ITEST_STAT_MAX 1024
#define ITEST_KILL_PASSES 50
#define ITEST_NFTW_FDS 16

int64_t itest_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void itest_sleep_ms(int ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

void itest_run_init(struct itest_run *r)
{
    memset(r, 0, sizeof *r);
    r->timeout_ms = ITEST_DEFAULT_TIMEOUT_MS;
    r->agent = true;
    r->interval_ms = ITEST_DEFAULT_INTERVAL_MS;
    r->exit_code = -1;
}

void itest_run_add(struct itest_run *r, const char *fmt, ...)
{
    if (r->argc >= ITEST_ARGS_MAX) {
        r->overflow = true;
        return;
    }
    size_t room = sizeof r->argbuf - r->argbuf_used;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(r->argbuf + r->argbuf_used, room, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= room) {
        r->overflow = true;
        return;
    }
    r->argv[1 + r->argc++] = r->argbuf + r->argbuf_used;
    r->argbuf_used += (size_t)n + 1;
}

void itest_run_prepare(struct itest_ctx *ctx, struct itest_run *r, const struct itest_opts *o)
{
    itest_run_init(r);
    char name[32];
    snprintf(name, sizeof name, "report%d.json", ctx->n_runs);
    itest_path(ctx, name, r->json_path, sizeof r->json_path);
    r->agent = o->agent;
    r->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : ITEST_DEFAULT_TIMEOUT_MS;
    itest_run_add(r, "run");
    if (!o->summary)
        itest_run_add(r, "-q");
    itest_run_add(r, "--json=%s", r->json_path);
    if (o->interval_ms > 0) {
        r->interval_ms = o->interval_ms;
        itest_run_add(r, "-i");
        itest_run_add(r, "%dms", o->interval_ms);
    }
    if (!o->agent)
        itest_run_add(r, "--no-agent");
    if (o->wait_orphans)
        itest_run_add(r, "--wait-orphans");
    for (size_t i = 0; o->extra != NULL && o->extra[i] != NULL; i++)
        itest_run_add(r, "%s", o->extra[i]);
    itest_run_add(r, "--");
}

/* In the child, before exec: nothing of the harness's environment may reach memwatch's job. */
static void itest_child_exec(struct itest_ctx *ctx, struct itest_run *r)
{
    setsid();
    if (chdir(ctx->dir) != 0)
        _exit(126);
    int in = open("/dev/null", O_RDONLY);
    int out = open(r->out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open(r->err_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (in < 0 || out < 0 || err < 0)
        _exit(126);
    dup2(in, STDIN_FILENO);
    dup2(out, STDOUT_FILENO);
    dup2(err, STDERR_FILENO);
    /* Whatever ctest or a shell left open must not reach memwatch: the job's descriptors are checked. */
    close_range(3, ~0u, 0);
    unsetenv("LD_PRELOAD");
    unsetenv("MEMWATCH_SOCKET");
    unsetenv("MEMWATCH_AGENT_PATH");
    unsetenv("MEMWATCH_AGENT_LOG");
    if (getenv("ITEST_AGENT_LOG") != NULL) {
        char log[ITEST_PATH_MAX];
        setenv("MEMWATCH_AGENT_LOG", itest_path(ctx, "agent.log", log, sizeof log), 1);
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    execv(ctx->memwatch, (char *const *)r->argv);
    dprintf(STDERR_FILENO, "harness: execv %s: %s\n", ctx->memwatch, strerror(errno));
    _exit(126);
}

int itest_run_start(struct itest_ctx *ctx, struct itest_run *r)
{
    if (!ITEST_CHECK(ctx, !r->overflow, "harness: too many or too long memwatch arguments"))
        return -1;
    if (!ITEST_CHECK(ctx, ctx->n_runs < ITEST_RUNS_MAX, "harness: too many memwatch runs"))
        return -1;
    char name[32];
    snprintf(name, sizeof name, "mw%d.out", ctx->n_runs);
    itest_path(ctx, name, r->out_path, sizeof r->out_path);
    snprintf(name, sizeof name, "mw%d.err", ctx->n_runs);
    itest_path(ctx, name, r->err_path, sizeof r->err_path);
    r->argv[0] = ctx->memwatch;
    r->argv[1 + r->argc] = NULL;
    fflush(stdout);
    pid_t pid = fork();
    if (!ITEST_CHECK(ctx, pid >= 0, "harness: fork: %s", strerror(errno)))
        return -1;
    if (pid == 0)
        itest_child_exec(ctx, r);
    r->pid = pid;
    ctx->sessions[ctx->n_runs++] = pid;
    return 0;
}

static int itest_take_reaped(struct itest_ctx *ctx, pid_t pid, int *status)
{
    for (size_t i = 0; i < ctx->n_reaped; i++) {
        if (ctx->reaped[i].pid == pid) {
            *status = ctx->reaped[i].status;
            ctx->reaped[i] = ctx->reaped[--ctx->n_reaped];
            return 0;
        }
    }
    return -1;
}

/* Waits for one child; other children reaped meanwhile are remembered for later itest_wait_pid calls. */
int itest_wait_pid(struct itest_ctx *ctx, pid_t pid, int timeout_ms, int *status)
{
    if (itest_take_reaped(ctx, pid, status) == 0)
        return 0;
    int64_t deadline = itest_now_ms() + timeout_ms;
    for (;;) {
        int st = 0;
        pid_t p = waitpid(-1, &st, WNOHANG);
        if (p == pid) {
            *status = st;
            return 0;
        }
        if (p > 0) {
            if (ctx->n_reaped < ITEST_REAPED_MAX)
                ctx->reaped[ctx->n_reaped++] = (struct itest_reaped){.pid = p, .status = st};
            continue;
        }
        if (p < 0 && errno == ECHILD)
            return -1;
        if (itest_now_ms() > deadline)
            return -1;
        itest_sleep_ms(ITEST_POLL_MS);
    }
}

int itest_run_wait(struct itest_ctx *ctx, struct itest_run *r)
{
    int status = 0;
    if (itest_wait_pid(ctx, r->pid, r->timeout_ms, &status) != 0) {
        r->timed_out = true;
        kill(r->pid, SIGKILL);
        itest_kill_session(ctx, r->pid);
        itest_wait_pid(ctx, r->pid, 10000, &status);
        ITEST_CHECK(ctx, false, "memwatch did not finish within %d s (killed)", r->timeout_ms / 1000);
        return -1;
    }
    r->status = status;
    if (WIFEXITED(status))
        r->exit_code = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        r->exit_code = 128 + WTERMSIG(status);
    return 0;
}

int itest_run(struct itest_ctx *ctx, struct itest_run *r)
{
    if (itest_run_start(ctx, r) != 0)
        return -1;
    return itest_run_wait(ctx, r);
}

/* Session id of a process from /proc/PID/stat, or -1. The command may hold ')' and spaces: parse after
 * the last ')'. */
static pid_t itest_session_of(const char *pid_name)
{
    char path[64];
    char buf[ITEST_STAT_MAX];
    snprintf(path, sizeof path, "/proc/%s/stat", pid_name);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    char *close_paren = strrchr(buf, ')');
    if (close_paren == NULL)
        return -1;
    char state;
    int ppid, pgrp, session;
    if (sscanf(close_paren + 1, " %c %d %d %d", &state, &ppid, &pgrp, &session) != 4)
        return -1;
    return (pid_t)session;
}

void itest_kill_session(struct itest_ctx *ctx, pid_t sid)
{
    (void)ctx;
    if (sid <= 0)
        return;
    pid_t self = getpid();
    for (int pass = 0; pass < ITEST_KILL_PASSES; pass++) {
        DIR *d = opendir("/proc");
        if (d == NULL)
            return;
        int found = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL) {
            if (e->d_name[0] < '0' || e->d_name[0] > '9')
                continue;
            pid_t pid = (pid_t)atoi(e->d_name);
            if (pid == self || itest_session_of(e->d_name) != sid)
                continue;
            kill(pid, SIGKILL);
            found++;
        }
        closedir(d);
        while (waitpid(-1, NULL, WNOHANG) > 0) {
        }
        if (found == 0)
            return;
        itest_sleep_ms(ITEST_POLL_MS);
    }
}

bool itest_wait_file(struct itest_ctx *ctx, const char *name, int timeout_ms)
{
    char path[ITEST_PATH_MAX];
    itest_path(ctx, name, path, sizeof path);
    int64_t deadline = itest_now_ms() + timeout_ms;
    while (!itest_exists(path)) {
        if (itest_now_ms() > deadline)
            return false;
        itest_sleep_ms(ITEST_POLL_MS);
    }
    return true;
}

const char *itest_path(const struct itest_ctx *ctx, const char *name, char *buf, size_t len)
{
    int n = snprintf(buf, len, "%s/%s", ctx->dir, name);
    if (n < 0 || (size_t)n >= len)
        buf[0] = '\0'; /* an impossible path rather than a wrong one */
    return buf;
}

bool itest_exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

char *itest_read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    size_t cap = 4096, used = 0;
    char *buf = malloc(cap);
    while (buf != NULL) {
        if (used + 1 >= cap) {
            if (cap >= max + 1)
                break;
            size_t ncap = cap * 2 > max + 1 ? max + 1 : cap * 2;
            char *nb = realloc(buf, ncap);
            if (nb == NULL) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap = ncap;
        }
        ssize_t n = read(fd, buf + used, cap - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    if (buf == NULL)
        return NULL;
    buf[used] = '\0';
    if (len != NULL)
        *len = used;
    return buf;
}

void itest_dump_file(const char *label, const char *path, size_t max)
{
    size_t len = 0;
    char *text = itest_read_file(path, max, &len);
    if (text == NULL)
        return;
    printf("---- %s (%s, %zu bytes shown) ----\n", label, path, len);
    for (char *line = text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        printf("  | %s\n", line);
        line = nl ? nl + 1 : NULL;
    }
    free(text);
}

bool itest_find_in_path(const char *prog, char *buf, size_t len)
{
    const char *path = getenv("PATH");
    if (path == NULL)
        path = "/usr/bin:/bin";
    while (*path != '\0') {
        const char *colon = strchr(path, ':');
        size_t dlen = colon ? (size_t)(colon - path) : strlen(path);
        if (dlen > 0) {
            snprintf(buf, len, "%.*s/%s", (int)dlen, path, prog);
            if (access(buf, X_OK) == 0)
                return true;
        }
        path += dlen + (colon ? 1 : 0);
    }
    return false;
}

static int itest_remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

int itest_remove_tree(const char *path)
{
    return nftw(path, itest_remove_one, ITEST_NFTW_FDS, FTW_DEPTH | FTW_PHYS);
}

int itest_run_workload(struct itest_ctx *ctx, struct itest_run *r, const struct itest_opts *o, const char *prog,
                       ...)
{
    itest_run_prepare(ctx, r, o);
    itest_run_add(r, "%s/%s", ctx->wldir, prog);
    va_list ap;
    va_start(ap, prog);
    for (const char *a = va_arg(ap, const char *); a != NULL; a = va_arg(ap, const char *))
        itest_run_add(r, "%s", a);
    va_end(ap);
    return itest_run(ctx, r);
}

void itest_expect_silent(struct itest_ctx *ctx, const struct itest_run *r)
{
    char *out = itest_read_file(r->out_path, 4096, NULL);
    char *err = itest_read_file(r->err_path, 4096, NULL);
    ITEST_CHECK(ctx, out != NULL && out[0] == '\0', "something wrote on the job's stdout: '%.200s'", out ? out : "?");
    ITEST_CHECK(ctx, err != NULL && err[0] == '\0', "something wrote on stderr under -q: '%.200s'", err ? err : "?");
    free(out);
    free(err);
}

bool itest_job_socket(pid_t pid, char *buf, size_t len)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
    size_t n = 0;
    char *env = itest_read_file(path, 1024 * 1024, &n);
    bool found = false;
    size_t key = strlen(MW_ENV_SOCKET "=");
    for (size_t i = 0; env != NULL && i < n && !found; i += strlen(env + i) + 1) {
        if (strncmp(env + i, MW_ENV_SOCKET "=", key) == 0) {
            int w = snprintf(buf, len, "%s", env + i + key);
            found = w > 0 && (size_t)w < len;
        }
    }
    free(env);
    return found;
}
