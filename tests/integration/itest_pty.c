/* A small pseudo-terminal driver: runs a program (usually an interactive shell) on a fresh pty, types into
 * it and waits for text on its screen, so the tests see memwatch as a person at a terminal does. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

#define ITEST_PTY_READ_CHUNK 4096
#define ITEST_PTY_REAP_MS 5000

int itest_pty_spawn(struct itest_ctx *ctx, struct itest_pty *t, const char *const *argv, int rows, int cols)
{
    memset(t, 0, sizeof t[0]);
    t->master = -1;
    t->cap = ITEST_PTY_SCREEN_MAX;
    t->text = malloc(t->cap);
    if (!t->text)
        return -1;
    t->text[0] = '\0';
    struct winsize ws = {.ws_row = (unsigned short)rows, .ws_col = (unsigned short)cols};
    pid_t pid = forkpty(&t->master, NULL, NULL, &ws);
    if (pid < 0) {
        ITEST_CHECK(ctx, false, "forkpty: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (chdir(ctx->dir) != 0)
            _exit(126);
        /* A known, quiet shell: no rc files, a prompt the tests can wait for, no preloads of ours. */
        unsetenv("LD_PRELOAD");
        setenv("TERM", "xterm", 1);
        setenv("PS1", ITEST_PTY_PROMPT, 1);
        unsetenv("PROMPT_COMMAND");
        setenv("HISTFILE", "/dev/null", 1);
        signal(SIGINT, SIG_DFL);
        signal(SIGQUIT, SIG_DFL);
        signal(SIGTSTP, SIG_DFL);
        signal(SIGTTIN, SIG_DFL);
        signal(SIGTTOU, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        execvp(argv[0], (char *const *)argv);
        _exit(127);
    }
    t->pid = pid;
    if (ctx->n_runs < ITEST_RUNS_MAX)
        ctx->sessions[ctx->n_runs++] = pid; /* killed whole at cleanup, whatever the test left */
    fcntl(t->master, F_SETFL, fcntl(t->master, F_GETFL) | O_NONBLOCK);
    return 0;
}

/* Reads what is there (waiting at most wait_ms for the first byte); false at EOF or error. */
static bool itest_pty_pump(struct itest_pty *t, int wait_ms)
{
    struct pollfd pfd = {.fd = t->master, .events = POLLIN};
    if (poll(&pfd, 1, wait_ms) <= 0)
        return true;
    char chunk[ITEST_PTY_READ_CHUNK];
    for (;;) {
        ssize_t n = read(t->master, chunk, sizeof chunk);
        if (n < 0 && errno == EAGAIN)
            return true;
        if (n <= 0)
            return false; /* EIO: the last process on the terminal closed it */
        if (t->len + (size_t)n + 1 > t->cap) {
            size_t cap = t->cap * 2 + (size_t)n;
            char *grown = realloc(t->text, cap);
            if (!grown)
                return false;
            t->text = grown;
            t->cap = cap;
        }
        memcpy(t->text + t->len, chunk, (size_t)n);
        t->len += (size_t)n;
        t->text[t->len] = '\0';
    }
}

bool itest_pty_expect(struct itest_ctx *ctx, struct itest_pty *t, const char *needle, int timeout_ms)
{
    int64_t deadline = itest_now_ms() + timeout_ms;
    for (;;) {
        if (strstr(t->text + t->seen, needle))
            break;
        int64_t left = deadline - itest_now_ms();
        if (left <= 0 || !itest_pty_pump(t, left > 100 ? 100 : (int)left))
            break;
    }
    const char *hit = strstr(t->text + t->seen, needle);
    if (hit)
        t->seen = (size_t)(hit - t->text) + strlen(needle);
    if (!ITEST_CHECK(ctx, hit != NULL, "the terminal never showed '%s' within %d ms", needle, timeout_ms))
        itest_pty_dump(t);
    return hit != NULL;
}

void itest_pty_send(struct itest_pty *t, const char *bytes)
{
    size_t len = strlen(bytes), off = 0;
    while (off < len) {
        ssize_t n = write(t->master, bytes + off, len - off);
        if (n < 0 && errno == EAGAIN) {
            itest_pty_pump(t, 10);
            continue;
        }
        if (n <= 0)
            return;
        off += (size_t)n;
    }
}

void itest_pty_settle(struct itest_pty *t, int ms)
{
    int64_t deadline = itest_now_ms() + ms;
    while (itest_now_ms() < deadline && itest_pty_pump(t, 20)) {
    }
}

void itest_pty_dump(const struct itest_pty *t)
{
    fprintf(stderr, "---- terminal (%zu bytes, escapes shown as \\e) ----\n", t->len);
    for (size_t i = 0; i < t->len; i++) {
        unsigned char c = (unsigned char)t->text[i];
        if (c == 0x1b)
            fputs("\\e", stderr);
        else if (c == '\r')
            continue;
        else if (c < 0x20 && c != '\n')
            fprintf(stderr, "^%c", c + '@');
        else
            fputc(c, stderr);
    }
    fputs("\n---- end of terminal ----\n", stderr);
}

int itest_pty_close(struct itest_ctx *ctx, struct itest_pty *t)
{
    int status = -1;
    if (t->pid > 0) {
        int64_t deadline = itest_now_ms() + ITEST_PTY_REAP_MS;
        for (;;) {
            itest_pty_pump(t, 20);
            pid_t w = waitpid(t->pid, &status, WNOHANG);
            if (w == t->pid)
                break;
            if (itest_now_ms() > deadline) {
                /* The whole session: the shell, memwatch and whatever the job left. */
                itest_kill_session(ctx, t->pid);
                waitpid(t->pid, &status, 0);
                status = -1;
                break;
            }
        }
    }
    if (t->master >= 0)
        close(t->master);
    free(t->text);
    memset(t, 0, sizeof t[0]);
    t->master = -1;
    return status;
}
