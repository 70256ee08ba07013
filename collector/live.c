/* The live status line: a snapshot of the job table, rendered by pure functions, drawn on the terminal's
 * last row inside a scroll region (as apt's progress bar is), one write() per frame. */
#include "live.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/timerfd.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "inspector/inspector.h"
#include "units.h"
#include "utf8.h"

#define LIVE_REFRESH_MS 250   /* ~4 frames a second: moving, yet cheap */
#define LIVE_AUTO_DELAY_MS 1000 /* a job shorter than this gets no line: no flicker for `true` */
#define LIVE_PLAIN_MS 5000    /* off a terminal, a log line this often */
#define LIVE_MISSED_TICKS 4   /* more expirations at once: memwatch was stopped, the screen may have changed */
#define LIVE_FRESH_MAX 512    /* live processes re-read at each refresh; more use the poller's last figures */
#define LIVE_BAR_MIN 5        /* cells of the smallest bar worth drawing */
#define LIVE_BAR_MAX 40
#define LIVE_NAME_MIN 4       /* columns of a cut name: three characters and the ellipsis */
#define LIVE_NAME_COLS_MAX 32 /* a long name leaves room for the bar and the legend */
#define LIVE_PLAIN_NAME_COLS 64
#define LIVE_PATIENCE_MS 1000 /* how long a frame cut short by a full terminal may take to finish */
#define LIVE_NS_PER_MS 1000000LL

#define LIVE_SGR_JOB "\033[1;36m"
#define LIVE_SGR_OTHER "\033[33m"
#define LIVE_SGR_FREE "\033[32m"
#define LIVE_SGR_RESET "\033[0m"
#define LIVE_CHAR_JOB '#'
#define LIVE_CHAR_OTHER '='
#define LIVE_CHAR_FREE '.'

/* ---- text: UTF-8, display columns, a bounded output buffer ---- */

struct live_range {
    uint32_t lo, hi;
};

static bool live_in(uint32_t cp, const struct live_range *r, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (cp >= r[i].lo && cp <= r[i].hi)
            return true;
    return false;
}

/* Columns a terminal gives a code point: -1 for controls (never printed), 0 for combining marks, 2 for East
 * Asian wide and emoji. The common blocks only: an unknown character counts one. */
static int live_cp_columns(uint32_t cp)
{
    static const struct live_range zero[] = {
        {0x0300, 0x036F}, {0x1AB0, 0x1AFF}, {0x1DC0, 0x1DFF}, {0x200B, 0x200F},
        {0x20D0, 0x20FF}, {0xFE00, 0xFE0F}, {0xFE20, 0xFE2F},
    };
    static const struct live_range wide[] = {
        {0x1100, 0x115F}, {0x2E80, 0x303E}, {0x3041, 0x33FF}, {0x3400, 0x4DBF}, {0x4E00, 0x9FFF},
        {0xA000, 0xA4CF}, {0xAC00, 0xD7A3}, {0xF900, 0xFAFF}, {0xFE30, 0xFE4F}, {0xFF00, 0xFF60},
        {0xFFE0, 0xFFE6}, {0x1F300, 0x1F64F}, {0x1F900, 0x1F9FF}, {0x20000, 0x3FFFD},
    };
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return -1;
    if (live_in(cp, zero, sizeof zero / sizeof zero[0]))
        return 0;
    return live_in(cp, wide, sizeof wide / sizeof wide[0]) ? 2 : 1;
}

/* Length of the escape sequence at s (CSI with its parameters, or ESC and one byte). */
static size_t live_escape_length(const char *s)
{
    if (s[1] == '\0')
        return 1;
    if (s[1] != '[')
        return 2;
    size_t i = 2;
    while (s[i] && !((unsigned char)s[i] >= 0x40 && (unsigned char)s[i] <= 0x7E))
        i++;
    return s[i] ? i + 1 : i;
}

int live_text_columns(const char *text)
{
    int cols = 0;
    for (const char *s = text; *s;) {
        if (*s == '\033') {
            s += live_escape_length(s);
            continue;
        }
        uint32_t cp;
        s += utf8_decode(s, &cp);
        int w = live_cp_columns(cp);
        cols += w > 0 ? w : 0;
    }
    return cols;
}

/* A bounded output: what does not fit is dropped whole, and cols counts only what was kept. */
struct live_out {
    char *buf;
    size_t len;
    size_t used;
    int cols;
    bool color;
};

static bool live_put(struct live_out *o, const char *bytes, size_t n, int cols)
{
    if (o->len == 0 || o->used + n >= o->len)
        return false;
    memcpy(o->buf + o->used, bytes, n);
    o->used += n;
    o->buf[o->used] = '\0';
    o->cols += cols;
    return true;
}

/* ASCII text: one column per byte. */
static void live_text(struct live_out *o, const char *ascii) { live_put(o, ascii, strlen(ascii), (int)strlen(ascii)); }

static void live_sgr(struct live_out *o, const char *sgr)
{
    if (o->color)
        live_put(o, sgr, strlen(sgr), 0);
}

/* Columns the name takes as live_name would print it in full. */
static int live_name_columns(const char *name, bool utf8)
{
    int cols = 0;
    for (const unsigned char *s = (const unsigned char *)name; *s;) {
        uint32_t cp;
        s += utf8_decode((const char *)s, &cp);
        int w = live_cp_columns(cp);
        cols += (w < 0 || cp == UTF8_INVALID || (!utf8 && cp >= 0x80)) ? 1 : w;
    }
    return cols;
}

/* A process name (untrusted bytes) in at most max_cols columns: controls and invalid bytes become '?' (a name
 * must never move the cursor), non-ASCII too unless the terminal takes UTF-8; a cut ends in an ellipsis. */
static void live_name(struct live_out *o, const char *name, int max_cols, bool utf8)
{
    if (max_cols <= 0)
        return;
    bool cut = live_name_columns(name, utf8) > max_cols;
    int budget = cut ? max_cols - 1 : max_cols;
    int used = 0;
    for (const unsigned char *s = (const unsigned char *)name; *s;) {
        uint32_t cp;
        size_t n = utf8_decode((const char *)s, &cp);
        int w = live_cp_columns(cp);
        bool replace = w < 0 || cp == UTF8_INVALID || (!utf8 && cp >= 0x80);
        int cols = replace ? 1 : w;
        if (used + cols > budget)
            break;
        if (replace ? !live_put(o, "?", 1, 1) : !live_put(o, (const char *)s, n, cols))
            break;
        used += cols;
        s += n;
    }
    if (cut)
        live_put(o, utf8 ? "\xE2\x80\xA6" : "~", utf8 ? 3 : 1, 1);
}

/* ---- rendering ---- */

/* Three figures are enough for a line that changes four times a second: "840 MiB", "1.2 GiB". */
static void live_size(uint64_t kib, char *buf, size_t len)
{
    units_format_size(kib, buf, len);
    char *dot = strchr(buf, '.');
    if (dot && dot - buf >= 3 && dot[1] != '\0')
        memmove(dot, dot + 2, strlen(dot + 2) + 1);
}

/* The figures of a view as the line prints them. */
struct live_words {
    char elapsed[UNITS_DURATION_MAX];
    char now[UNITS_SIZE_MAX + 8];
    char peak[UNITS_SIZE_MAX + 8];
    char procs[32];
    char top_size[UNITS_SIZE_MAX];
};

static void live_words(const struct live_view *v, struct live_words *w)
{
    char size[UNITS_SIZE_MAX];
    units_format_elapsed(v->elapsed_ns, w->elapsed, sizeof w->elapsed);
    live_size(v->now_kib, size, sizeof size);
    snprintf(w->now, sizeof w->now, "%s now", size);
    live_size(v->peak_kib, size, sizeof size);
    snprintf(w->peak, sizeof w->peak, "%s peak", size);
    snprintf(w->procs, sizeof w->procs, "%u proc%s", (unsigned)v->procs, v->procs == 1 ? "" : "s");
    live_size(v->top_kib, w->top_size, sizeof w->top_size);
}

/* Cells of the bar for this job, everything else and free memory, rounded, each non-empty part at least one
 * cell when there are cells enough. RSS counts shared pages in every process: the job is clamped to the
 * machine. */
static void live_bar_cells(const struct live_view *v, int cells, int out[3])
{
    uint64_t total = v->mem_total_kib;
    uint64_t used = total - (v->mem_available_kib < total ? v->mem_available_kib : total);
    uint64_t job = v->now_kib < total ? v->now_kib : total;
    uint64_t other = used > job ? used - job : 0;
    uint64_t c = (uint64_t)cells;
    int job_cells = (int)((job * c + total / 2) / total);
    int upto_other = (int)(((job + other) * c + total / 2) / total);
    if (job > 0 && job_cells == 0)
        job_cells = 1;
    if (upto_other < job_cells)
        upto_other = job_cells;
    if (other > 0 && upto_other == job_cells && upto_other < cells)
        upto_other++;
    if (upto_other > cells)
        upto_other = cells;
    if (job_cells > upto_other)
        job_cells = upto_other;
    out[0] = job_cells;
    out[1] = upto_other - job_cells;
    out[2] = cells - upto_other;
}

static void live_bar(struct live_out *o, const struct live_view *v, int cells)
{
    static const char *const sgr[3] = {LIVE_SGR_JOB, LIVE_SGR_OTHER, LIVE_SGR_FREE};
    static const char glyph[3] = {LIVE_CHAR_JOB, LIVE_CHAR_OTHER, LIVE_CHAR_FREE};
    int parts[3];
    live_bar_cells(v, cells, parts);
    live_text(o, " [");
    for (int p = 0; p < 3; p++) {
        if (parts[p] == 0)
            continue;
        live_sgr(o, sgr[p]);
        for (int i = 0; i < parts[p]; i++)
            live_put(o, &glyph[p], 1, 1);
        live_sgr(o, LIVE_SGR_RESET);
    }
    live_text(o, "]");
}

static void live_legend(struct live_out *o)
{
    static const char *const sgr[3] = {LIVE_SGR_JOB, LIVE_SGR_OTHER, LIVE_SGR_FREE};
    static const char *const key[3] = {"#", "=", "."};
    static const char *const word[3] = {"job ", "other ", "free"};
    live_text(o, "  ");
    for (int p = 0; p < 3; p++) {
        live_sgr(o, sgr[p]);
        live_text(o, key[p]);
        live_sgr(o, LIVE_SGR_RESET);
        live_text(o, word[p]);
    }
}

#define LIVE_LEGEND_COLS 17 /* "#job =other .free" */

/* Which parts fit, decided in order of importance; the bar grows last into what is left. */
struct live_layout {
    bool peak, bar, procs, top, legend;
    int bar_cells;
    int name_cols;
};

static struct live_layout live_plan(const struct live_view *v, const struct live_words *w, const struct live_style *st)
{
    struct live_layout l = {0};
    int width = st->width;
    int used = (int)strlen(w->elapsed) + 1 + (int)strlen(w->now);
    int peak = 2 + (int)strlen(w->peak), procs = 2 + (int)strlen(w->procs);
    int top_fixed = (int)strlen(", top:  ()") + (int)strlen(w->top_size);
    if ((l.peak = used + peak <= width))
        used += peak;
    if ((l.bar = v->mem_total_kib > 0 && used + 3 + LIVE_BAR_MIN <= width))
        used += 3 + LIVE_BAR_MIN;
    if ((l.procs = used + procs <= width))
        used += procs;
    int name = live_name_columns(v->top_name, st->utf8);
    name = name < LIVE_NAME_COLS_MAX ? name : LIVE_NAME_COLS_MAX;
    int name_min = name < LIVE_NAME_MIN ? name : LIVE_NAME_MIN;
    if ((l.top = v->top_name[0] && used + top_fixed + name_min <= width)) {
        l.name_cols = width - used - top_fixed < name ? width - used - top_fixed : name;
        used += top_fixed + l.name_cols;
    }
    if ((l.legend = l.bar && used + 2 + LIVE_LEGEND_COLS <= width))
        used += 2 + LIVE_LEGEND_COLS;
    if (l.bar) {
        int grow = width - used < LIVE_BAR_MAX - LIVE_BAR_MIN ? width - used : LIVE_BAR_MAX - LIVE_BAR_MIN;
        l.bar_cells = LIVE_BAR_MIN + grow;
    }
    return l;
}

size_t live_render_line(const struct live_view *v, const struct live_style *style, char *buf, size_t len)
{
    struct live_out o = {.buf = buf, .len = len, .color = style->color};
    if (len > 0)
        buf[0] = '\0';
    if (style->width <= 0)
        return 0;
    struct live_words w;
    live_words(v, &w);
    char head[UNITS_DURATION_MAX + UNITS_SIZE_MAX + 16];
    int head_cols = snprintf(head, sizeof head, "%s %s", w.elapsed, w.now);
    if (head_cols > style->width) { /* narrower than the essentials: cut them, ASCII as they are */
        head[style->width] = '\0';
        live_text(&o, head);
        return o.used;
    }
    struct live_layout l = live_plan(v, &w, style);
    live_text(&o, w.elapsed);
    if (l.bar)
        live_bar(&o, v, l.bar_cells);
    live_text(&o, " ");
    live_text(&o, w.now);
    if (l.peak) {
        live_text(&o, ", ");
        live_text(&o, w.peak);
    }
    if (l.procs) {
        live_text(&o, ", ");
        live_text(&o, w.procs);
    }
    if (l.top) {
        live_text(&o, ", top: ");
        live_name(&o, v->top_name, l.name_cols, style->utf8);
        live_text(&o, " (");
        live_text(&o, w.top_size);
        live_text(&o, ")");
    }
    if (l.legend)
        live_legend(&o);
    return o.used;
}

size_t live_render_plain(const struct live_view *v, char *buf, size_t len)
{
    struct live_out o = {.buf = buf, .len = len};
    if (len > 0)
        buf[0] = '\0';
    struct live_words w;
    live_words(v, &w);
    char head[160];
    snprintf(head, sizeof head, "[%s] %s, %s, %s", w.elapsed, w.now, w.peak, w.procs);
    live_text(&o, head);
    if (v->top_name[0]) {
        live_text(&o, ", top: ");
        live_name(&o, v->top_name, LIVE_PLAIN_NAME_COLS, true);
        live_text(&o, " (");
        live_text(&o, w.top_size);
        live_text(&o, ")");
    }
    live_text(&o, "\n");
    return o.used;
}

/* ---- terminal frames ---- */

/* DECSC/DECRC (ESC 7, ESC 8) save and restore the cursor and its colours: the job's text goes on where it
 * was, in its own colours. DECSTBM (CSI top;bottom r) sets the scroll region and homes the cursor. */
#define LIVE_SAVE "\0337"
#define LIVE_RESTORE "\0338"
#define LIVE_REGION_FULL "\033[r"

size_t live_frame_setup(int rows, char *buf, size_t len)
{
    /* IND (ESC D) scrolls when the cursor is on the last row, keeping its column (a newline would not):
     * the row is freed without moving the job's text under the cursor. */
    int n = snprintf(buf, len, LIVE_SAVE LIVE_REGION_FULL LIVE_RESTORE "\033D" LIVE_SAVE "\033[1;%dr" LIVE_RESTORE
                     "\033[A", rows - 1);
    return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

size_t live_frame_draw(int rows, const char *line, char *buf, size_t len)
{
    int n = snprintf(buf, len, LIVE_SAVE "\033[%d;1H" LIVE_SGR_RESET "\033[2K%s" LIVE_SGR_RESET LIVE_RESTORE, rows,
                     line);
    return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

size_t live_frame_erase(int rows, char *buf, size_t len)
{
    int n;
    if (rows > 0)
        n = snprintf(buf, len, LIVE_SAVE LIVE_REGION_FULL "\033[%d;1H\033[2K" LIVE_RESTORE, rows);
    else
        n = snprintf(buf, len, LIVE_SAVE LIVE_REGION_FULL LIVE_RESTORE "%s", rows == 0 ? "\033[J" : "");
    return n > 0 && (size_t)n < len ? (size_t)n : 0;
}

/* ---- the running line ---- */

static bool live_locale_utf8(void)
{
    const char *vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
        const char *v = getenv(vars[i]);
        if (v && v[0])
            return strcasestr(v, "UTF-8") || strcasestr(v, "utf8");
    }
    return false;
}

static enum live_mode live_choose_mode(const struct live_config *cfg)
{
    if (cfg->when == CLI_LIVE_NEVER || (cfg->when == CLI_LIVE_AUTO && cfg->quiet))
        return LIVE_OFF;
    const char *term = getenv("TERM");
    bool capable = term && term[0] && strcmp(term, "dumb") != 0;
    if (isatty(STDERR_FILENO) && capable)
        return LIVE_TERMINAL;
    /* A dumb terminal cannot keep a row aside: it gets the log line, as a file does. */
    return cfg->when == CLI_LIVE_ALWAYS ? LIVE_PLAIN : LIVE_OFF;
}

/* A descriptor of its own on the terminal, non-blocking: a terminal stopped by Ctrl-S must not stop the
 * collector, and O_NONBLOCK on stderr's shared description would reach the job. */
static void live_open_terminal(struct live *lv)
{
    char name[256];
    lv->fd = STDERR_FILENO;
    if (ttyname_r(STDERR_FILENO, name, sizeof name) != 0)
        return;
    int fd = open(name, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
        lv->fd = fd;
        lv->own_fd = true;
    }
}

static bool live_arm(struct live *lv, const struct live_config *cfg)
{
    int first_ms = lv->mode == LIVE_PLAIN ? LIVE_PLAIN_MS
                   : cfg->when == CLI_LIVE_ALWAYS ? LIVE_REFRESH_MS : LIVE_AUTO_DELAY_MS;
    int every_ms = lv->mode == LIVE_PLAIN ? LIVE_PLAIN_MS : LIVE_REFRESH_MS;
    struct itimerspec its = {
        .it_value = {first_ms / 1000, (long)(first_ms % 1000) * LIVE_NS_PER_MS},
        .it_interval = {every_ms / 1000, (long)(every_ms % 1000) * LIVE_NS_PER_MS},
    };
    lv->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = cfg->epoll_tag};
    return lv->timer_fd >= 0 && timerfd_settime(lv->timer_fd, 0, &its, NULL) == 0 &&
           epoll_ctl(cfg->epoll_fd, EPOLL_CTL_ADD, lv->timer_fd, &ev) == 0;
}

static void live_close(struct live *lv)
{
    if (lv->timer_fd >= 0)
        close(lv->timer_fd);
    if (lv->own_fd)
        close(lv->fd);
    lv->timer_fd = lv->fd = -1;
    lv->own_fd = false;
    lv->mode = LIVE_OFF;
}

void live_start(struct live *lv, const struct live_config *cfg)
{
    memset(lv, 0, sizeof *lv);
    lv->fd = lv->timer_fd = -1;
    lv->mode = live_choose_mode(cfg);
    if (lv->mode == LIVE_OFF)
        return;
    lv->jt = cfg->jt;
    lv->start_ns = cfg->start_ns;
    if (lv->mode == LIVE_TERMINAL) {
        const char *no_color = getenv("NO_COLOR");
        bool auto_color = cfg->color == CLI_COLOR_AUTO && !(no_color && no_color[0]);
        lv->style.color = cfg->color == CLI_COLOR_ALWAYS || auto_color;
        lv->style.utf8 = live_locale_utf8();
        live_open_terminal(lv);
    } else {
        lv->fd = STDERR_FILENO;
    }
    if (!live_arm(lv, cfg))
        live_close(lv); /* the line is a convenience: the run goes on without it */
}

/* The live processes' RSS now: re-read (not recorded: the report's figures stay the poller's and the
 * agent's), or the poller's last figures for a job too large to read four times a second. */
static void live_snapshot(struct live *lv, struct live_view *v)
{
    const struct jobtable *jt = lv->jt;
    memset(v, 0, sizeof *v);
    v->elapsed_ns = clock_mono_ns() - lv->start_ns;
    bool fresh = jt->live_count <= LIVE_FRESH_MAX;
    const struct jt_process *top = NULL;
    for (size_t i = 0; i < jt->live_cap; i++) {
        if (!jt->live_index[i])
            continue;
        const struct jt_process *p = jt->procs[jt->live_index[i] - 1];
        uint64_t rss = p->last_rss_kib;
        struct inspector_proc ip;
        if (fresh && (inspector_read_proc(p->pid, &ip) != 0 || ip.state == 'Z' ||
                      (p->starttime_ticks && ip.starttime_ticks != p->starttime_ticks)))
            continue; /* gone, or its pid reused by a process outside the job */
        if (fresh)
            rss = ip.rss_kib;
        v->now_kib += rss;
        v->procs++;
        if (!top || rss > v->top_kib) {
            top = p;
            v->top_kib = rss;
        }
    }
    if (top)
        snprintf(v->top_name, sizeof v->top_name, "%s", jobtable_group_name(jobtable_current_image(top)));
    for (; lv->samples_seen < jt->n_samples; lv->samples_seen++)
        if (jt->samples[lv->samples_seen].total_kib > lv->peak_kib)
            lv->peak_kib = jt->samples[lv->samples_seen].total_kib;
    if (v->now_kib > lv->peak_kib)
        lv->peak_kib = v->now_kib;
    v->peak_kib = lv->peak_kib;
    struct inspector_memory mem;
    if (inspector_read_memory(&mem) == 0) {
        v->mem_total_kib = mem.total_kib;
        v->mem_available_kib = mem.available_kib;
    }
}

/* Writes a frame with one write(). A frame a full non-blocking terminal cut short is finished (waiting up
 * to LIVE_PATIENCE_MS) rather than left mid-sequence; one refused whole is dropped unless `must`. Returns 0,
 * or the errno of the failure. */
static int live_write(struct live *lv, const char *buf, size_t n, bool must)
{
    /* A write racing a change of foreground group must not stop memwatch (SIGTTOU under `stty tostop`), and
     * a closed pipe must not kill it: both blocked, a pending SIGPIPE taken back. */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTTOU);
    sigaddset(&block, SIGPIPE);
    sigprocmask(SIG_BLOCK, &block, &old);
    size_t off = 0;
    int failure = 0;
    for (int waited = 0; off < n;) {
        ssize_t w = write(lv->fd, buf + off, n - off);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && errno == EAGAIN && (off > 0 || must) && waited < LIVE_PATIENCE_MS) {
            struct pollfd pfd = {.fd = lv->fd, .events = POLLOUT};
            poll(&pfd, 1, 10);
            waited += 10;
        } else if (!(w < 0 && errno == EINTR)) {
            failure = w < 0 ? errno : EIO;
            break;
        }
    }
    if (failure == EPIPE) {
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        struct timespec zero = {0, 0};
        sigtimedwait(&pipe_only, NULL, &zero);
    }
    sigprocmask(SIG_SETMASK, &old, NULL);
    return failure;
}

enum live_terminal { LIVE_TTY_OURS, LIVE_TTY_RAW, LIVE_TTY_SMALL, LIVE_TTY_ELSEWHERE };

/* Asked before every frame: the job (or a shell inside it) may have taken the terminal, or put it in raw
 * mode for a full-screen program, since the last one. */
static enum live_terminal live_terminal_state(const struct live *lv, struct winsize *ws)
{
    if (tcgetpgrp(lv->fd) != getpgrp())
        return LIVE_TTY_ELSEWHERE;
    struct termios t;
    if (tcgetattr(lv->fd, &t) != 0 || !(t.c_lflag & ICANON))
        return LIVE_TTY_RAW;
    if (ioctl(lv->fd, TIOCGWINSZ, ws) != 0 || ws->ws_row < LIVE_MIN_ROWS || ws->ws_col < LIVE_MIN_COLS)
        return LIVE_TTY_SMALL;
    return LIVE_TTY_OURS;
}

/* Takes the line and the region away (memwatch's group has the terminal). */
static void live_remove(struct live *lv, bool must)
{
    if (lv->drawn_rows == 0)
        return;
    struct winsize ws = {0};
    bool same = ioctl(lv->fd, TIOCGWINSZ, &ws) == 0 && ws.ws_row == lv->drawn_rows && ws.ws_col == lv->drawn_cols;
    char frame[LIVE_FRAME_MAX];
    int rows = lv->stale ? -1 : same ? lv->drawn_rows : 0;
    size_t n = live_frame_erase(rows, frame, sizeof frame);
    if (live_write(lv, frame, n, must) == 0) {
        lv->drawn_rows = lv->drawn_cols = 0;
        lv->stale = false;
    }
}

static void live_draw_terminal(struct live *lv, const struct live_view *v)
{
    struct winsize ws = {0};
    enum live_terminal state = live_terminal_state(lv, &ws);
    if (state == LIVE_TTY_ELSEWHERE) {
        lv->stale = lv->drawn_rows > 0; /* not ours to write to: set up again when it comes back */
        return;
    }
    if (state != LIVE_TTY_OURS) {
        live_remove(lv, false);
        return;
    }
    char frame[LIVE_FRAME_MAX], line[LIVE_LINE_MAX];
    size_t n = 0;
    bool resized = lv->drawn_rows && (lv->drawn_rows != ws.ws_row || lv->drawn_cols != ws.ws_col);
    if (resized) /* the old line may be anywhere below the cursor now (terminals reflow differently) */
        n += live_frame_erase(0, frame, sizeof frame);
    if (!lv->drawn_rows || resized || lv->stale)
        n += live_frame_setup(ws.ws_row, frame + n, sizeof frame - n);
    struct live_style style = lv->style;
    style.width = ws.ws_col - 1; /* the last column stays empty: no terminal wraps or scrolls the row */
    live_render_line(v, &style, line, sizeof line);
    n += live_frame_draw(ws.ws_row, line, frame + n, sizeof frame - n);
    if (live_write(lv, frame, n, false) == 0) {
        lv->drawn_rows = ws.ws_row;
        lv->drawn_cols = ws.ws_col;
        lv->stale = false;
    }
}

static void live_refresh(struct live *lv)
{
    struct live_view v;
    live_snapshot(lv, &v);
    if (lv->mode == LIVE_TERMINAL) {
        live_draw_terminal(lv, &v);
        return;
    }
    char line[LIVE_LINE_MAX];
    size_t n = live_render_plain(&v, line, sizeof line);
    if (live_write(lv, line, n, true) == EPIPE)
        live_close(lv); /* nobody reads stderr any more */
}

void live_tick(struct live *lv)
{
    uint64_t expirations = 0;
    if (lv->mode == LIVE_OFF || read(lv->timer_fd, &expirations, sizeof expirations) != (ssize_t)sizeof expirations)
        return;
    if (expirations > LIVE_MISSED_TICKS && lv->drawn_rows)
        lv->stale = true;
    lv->due = true;
    live_refresh(lv);
}

void live_resize(struct live *lv)
{
    if (lv->mode == LIVE_TERMINAL && lv->due)
        live_refresh(lv);
}

void live_suspend(struct live *lv)
{
    if (lv->mode != LIVE_TERMINAL)
        return;
    struct winsize ws;
    if (live_terminal_state(lv, &ws) != LIVE_TTY_ELSEWHERE)
        live_remove(lv, true);
}

void live_stop(struct live *lv)
{
    live_suspend(lv);
    if (lv->mode != LIVE_OFF)
        live_close(lv);
}
