/* The live status line: drawn on a pseudo-terminal while a job prints continuously, without garbling the
 * job's lines, following a resize, stepping aside for raw mode, gone at the end; and the plain log line when
 * stderr is a file. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "itest.h"

#define LIVE_ROWS 24
#define LIVE_COLS 80
#define LIVE_JOB_MS 60000
#define LIVE_EXIT_MS 15000
#define LIVE_LINES 400
#define LIVE_TEXT_MAX (1024 * 1024)

/* What memwatch writes to draw the line on the last row (live_frame_draw), and to take it away. */
#define LIVE_DRAW_HEAD "\0337\033[24;1H"
#define LIVE_RESTORE "\0338"
#define LIVE_ERASE_24 "\0337\033[r\033[24;1H\033[2K\0338"

/* Runs memwatch itself as the session leader of a rows x cols pty (so its process group has the terminal, as
 * after a shell started it), with the job's command after "--". */
static bool live_spawn(struct itest_ctx *ctx, struct itest_pty *t, const char *live, const char *script)
{
    const char *argv[] = {ctx->memwatch, "run", "-q", live, "--", "sh", "-c", script, NULL};
    return itest_pty_spawn(ctx, t, argv, LIVE_ROWS, LIVE_COLS) == 0;
}

/* Reads the terminal until memwatch has exited and closed it; its wait status, or -1. */
static int live_wait_exit(struct itest_ctx *ctx, struct itest_pty *t)
{
    int status = -1;
    struct timespec step = {0, 10 * 1000 * 1000};
    for (int waited = 0; waited < LIVE_EXIT_MS; waited += 10) {
        itest_pty_settle(t, 10);
        nanosleep(&step, NULL); /* settle returns at once after the terminal's end */
        if (waitpid(t->pid, &status, WNOHANG) == t->pid) {
            t->pid = 0; /* reaped: itest_pty_close has nobody to wait for */
            itest_pty_settle(t, 200); /* what was still in the pty's buffer */
            return status;
        }
    }
    ITEST_CHECK(ctx, false, "memwatch did not exit within %d ms", LIVE_EXIT_MS);
    return -1;
}

static size_t live_count(const char *text, const char *needle)
{
    size_t n = 0;
    for (const char *s = strstr(text, needle); s; s = strstr(s + 1, needle))
        n++;
    return n;
}

/* The job's text as it landed on the terminal: every draw frame removed whole (its line included), then
 * every other escape sequence and the carriage returns. */
static char *live_job_text(const char *text)
{
    char *out = malloc(strlen(text) + 1);
    if (!out)
        return NULL;
    size_t n = 0;
    for (const char *s = text; *s;) {
        if (strncmp(s, LIVE_DRAW_HEAD, strlen(LIVE_DRAW_HEAD)) == 0) {
            const char *end = strstr(s, LIVE_RESTORE);
            s = end ? end + strlen(LIVE_RESTORE) : s + strlen(s);
        } else if (s[0] == '\033' && s[1] == '[') {
            s += 2;
            while (*s && !(*s >= 0x40 && *s <= 0x7E))
                s++;
            s += *s != '\0';
        } else if (s[0] == '\033') {
            s += s[1] ? 2 : 1;
        } else if (*s == '\r') {
            s++;
        } else {
            out[n++] = *s++;
        }
    }
    out[n] = '\0';
    return out;
}

/* Every non-empty line of text is "line N", N counting from 0 to count-1. */
static void live_expect_lines(struct itest_ctx *ctx, const char *text, int count)
{
    int next = 0;
    bool intact = true;
    for (const char *s = text; *s;) {
        const char *eol = strchr(s, '\n');
        size_t len = eol ? (size_t)(eol - s) : strlen(s);
        if (len > 0) {
            char want[32];
            int wl = snprintf(want, sizeof want, "line %d", next);
            if (!ITEST_CHECK(ctx, (size_t)wl == len && strncmp(s, want, len) == 0,
                             "terminal line '%.*s' where '%s' was due", (int)(len < 120 ? len : 120), s, want)) {
                intact = false;
                break;
            }
            next++;
        }
        s += len + (eol != NULL);
    }
    if (intact)
        ITEST_CHECK(ctx, next == count, "%d of the job's %d lines reached the terminal", next, count);
}

/* 400 lines printed while the line is drawn: each whole and in order, the line drawn, the region reset at the
 * very end, the job's exit code memwatch's. */
static int live_scroll(struct itest_ctx *ctx)
{
    struct itest_pty t;
    char script[256];
    snprintf(script, sizeof script,
             "i=0; while [ $i -lt %d ]; do echo line $i; i=$((i+1)); sleep 0.005; done; exit 3", LIVE_LINES);
    if (!live_spawn(ctx, &t, "--live=always", script))
        return 0;
    int status = live_wait_exit(ctx, &t);
    ITEST_CHECK(ctx, status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 3,
                "memwatch ended with status 0x%x, not the job's exit 3", (unsigned)status);
    ITEST_CHECK(ctx, strstr(t.text, "\033[1;23r") != NULL, "the scroll region 1..23 was never set");
    size_t draws = live_count(t.text, LIVE_DRAW_HEAD);
    ITEST_CHECK(ctx, draws >= 1, "the status line was never drawn");
    const char *first = strstr(t.text, LIVE_DRAW_HEAD);
    ITEST_CHECK(ctx, first && strstr(first, " now, ") && strstr(first, " peak"), "the drawn line lacks its figures");
    size_t erase = strlen(LIVE_ERASE_24);
    ITEST_CHECK(ctx, t.len >= erase && strcmp(t.text + t.len - erase, LIVE_ERASE_24) == 0,
                "the terminal output does not end with the region reset and the row cleared");
    char *job = live_job_text(t.text);
    if (job)
        live_expect_lines(ctx, job, LIVE_LINES);
    itest_note(ctx, "%zu frames drawn among %d lines", draws, LIVE_LINES);
    if (ctx->failures)
        itest_pty_dump(&t);
    free(job);
    itest_pty_close(ctx, &t);
    return 0;
}

/* A resize sets the region up again for the new height and draws on the new last row. */
static int live_resize(struct itest_ctx *ctx)
{
    struct itest_pty t;
    if (!live_spawn(ctx, &t, "--live=always",
                    "i=0; while [ $i -lt 60 ]; do echo tick $i; i=$((i+1)); sleep 0.05; done"))
        return 0;
    itest_pty_expect(ctx, &t, "\033[1;23r", LIVE_JOB_MS);
    struct winsize ws = {.ws_row = 30, .ws_col = 100};
    ioctl(t.master, TIOCSWINSZ, &ws); /* the kernel sends SIGWINCH to the foreground group */
    itest_pty_expect(ctx, &t, "\033[1;29r", LIVE_JOB_MS);
    itest_pty_expect(ctx, &t, "\0337\033[30;1H", LIVE_JOB_MS);
    int status = live_wait_exit(ctx, &t);
    ITEST_CHECK(ctx, status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", (unsigned)status);
    ITEST_CHECK(ctx, t.len > 0 && strstr(t.text, "\0337\033[r\033[30;1H\033[2K\0338") != NULL,
                "the line was not erased on the resized terminal's last row");
    itest_pty_close(ctx, &t);
    return 0;
}

/* While the terminal is in raw mode (a full-screen program) nothing is drawn and the region is given back;
 * back in canonical mode the line returns. */
static int live_raw(struct itest_ctx *ctx)
{
    struct itest_pty t;
    if (!live_spawn(ctx, &t, "--live=always",
                    "sleep 1; echo start; stty -icanon; sleep 2; echo raw-done; stty icanon; sleep 2; echo end"))
        return 0;
    int status = live_wait_exit(ctx, &t);
    ITEST_CHECK(ctx, status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0, "status 0x%x", (unsigned)status);
    const char *start = strstr(t.text, "start");
    const char *raw_done = start ? strstr(start, "raw-done") : NULL;
    const char *end = raw_done ? strstr(raw_done, "end") : NULL;
    if (!ITEST_CHECK(ctx, start && raw_done && end, "the job's words are missing")) {
        itest_pty_dump(&t);
        itest_pty_close(ctx, &t);
        return 0;
    }
    /* At most one frame may land before the refresh sees raw mode; then the line is removed, and no frame
     * follows until canonical mode is back. */
    const char *last_draw = NULL;
    size_t draws = 0;
    for (const char *s = strstr(start, LIVE_DRAW_HEAD); s && s < raw_done; s = strstr(s + 1, LIVE_DRAW_HEAD)) {
        last_draw = s;
        draws++;
    }
    ITEST_CHECK(ctx, draws <= 1, "%zu frames drawn while the terminal was raw", draws);
    const char *removed = strstr(start, "\0337\033[r");
    ITEST_CHECK(ctx, removed && removed < raw_done && (!last_draw || removed > last_draw),
                "the line and its region were not removed in raw mode");
    const char *again = strstr(raw_done, LIVE_DRAW_HEAD);
    ITEST_CHECK(ctx, again && again < end, "the line did not come back in canonical mode");
    if (ctx->failures)
        itest_pty_dump(&t);
    itest_pty_close(ctx, &t);
    return 0;
}

/* stderr a file: one plain line every 5 s, nothing a terminal would interpret. */
static int live_plain(struct itest_ctx *ctx)
{
    static const char *const extra[] = {"--live=always", NULL};
    struct itest_opts o = {.agent = true, .extra = extra};
    struct itest_run r;
    itest_run_prepare(ctx, &r, &o);
    itest_run_add(&r, "sh");
    itest_run_add(&r, "-c");
    itest_run_add(&r, "sleep 5.6");
    if (itest_run(ctx, &r) != 0)
        return 0;
    ITEST_CHECK(ctx, r.exit_code == 0, "exit %d", r.exit_code);
    char *err = itest_read_file(r.err_path, LIVE_TEXT_MAX, NULL);
    if (!ITEST_CHECK(ctx, err != NULL, "cannot read memwatch's stderr"))
        return 0;
    ITEST_CHECK(ctx, strchr(err, '\033') == NULL, "an escape sequence in a file: '%.200s'", err);
    char elapsed[16], now[32], peak[32], top[64];
    unsigned procs = 0;
    int fields = sscanf(err, "[%15[^]]] %31[^,], %31[^,], %u proc%*[s], top: %63[^\n]", elapsed, now, peak, &procs,
                        top);
    ITEST_CHECK(ctx, fields == 5, "not a live log line: '%.200s'", err);
    if (fields == 5) {
        ITEST_CHECK(ctx, strcmp(elapsed, "5.0s") == 0 || strcmp(elapsed, "5.1s") == 0, "elapsed '%s'", elapsed);
        ITEST_CHECK(ctx, strstr(now, " now") && strstr(peak, " peak"), "figures '%s', '%s'", now, peak);
        ITEST_CHECK(ctx, procs >= 1, "%u processes", procs);
        ITEST_CHECK(ctx, strncmp(top, "sleep (", 7) == 0 || strncmp(top, "sh (", 4) == 0, "top '%s'", top);
    }
    ITEST_CHECK(ctx, live_count(err, "\n") == 1, "one line expected in 5.6 s: '%s'", err);
    free(err);
    return 0;
}

int scenario_live(struct itest_ctx *ctx, const char *arg)
{
    if (strcmp(arg, "scroll") == 0)
        return live_scroll(ctx);
    if (strcmp(arg, "resize") == 0)
        return live_resize(ctx);
    if (strcmp(arg, "raw") == 0)
        return live_raw(ctx);
    if (strcmp(arg, "plain") == 0)
        return live_plain(ctx);
    ITEST_CHECK(ctx, false, "unknown live scenario '%s'", arg);
    return 0;
}
