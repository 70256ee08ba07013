/* The live status line: while the job runs, one line on stderr with its memory now, its peak and the machine's
 * memory, kept on the terminal's last row by a scroll region (or, off a terminal, a plain line every 5 s). */
#ifndef MEMWATCH_LIVE_H
#define MEMWATCH_LIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cli.h"
#include "jobtable.h"

#define LIVE_NAME_MAX 256   /* bytes of the top process's name kept for rendering */
#define LIVE_LINE_MAX 2048  /* one rendered line, colour sequences included */
#define LIVE_FRAME_MAX 4096 /* one terminal write: region, cursor moves and the line */
#define LIVE_MIN_COLS 20    /* narrower (or LIVE_MIN_ROWS lower) terminals get no line */
#define LIVE_MIN_ROWS 3

/* What one refresh shows: a snapshot, so rendering is a pure function of it. */
struct live_view {
    int64_t elapsed_ns;
    uint64_t now_kib;  /* the job's total RSS now */
    uint64_t peak_kib; /* the highest total seen so far */
    uint32_t procs;
    char top_name[LIVE_NAME_MAX]; /* the largest process now ("" when none); untrusted bytes */
    uint64_t top_kib;
    uint64_t mem_total_kib; /* the machine's; 0 when unknown (then no bar) */
    uint64_t mem_available_kib;
};

struct live_style {
    int width;  /* display columns the line may take */
    bool color;
    bool utf8;  /* the terminal takes UTF-8: names keep their characters, a cut shows "…" */
};

/* The status line, never wider than style->width columns: elapsed, a bar of the machine's memory
 * ('#' this job, '=' everything else, '.' free), the totals, the process count, the top process, and a
 * legend when there is room. NUL-terminated; returns its length in bytes. */
size_t live_render_line(const struct live_view *v, const struct live_style *style, char *buf, size_t len);
/* The CI-log line: "[12.3s] 840 MiB now, 1.2 GiB peak, 14 procs, top: cc1 (212 MiB)\n". */
size_t live_render_plain(const struct live_view *v, char *buf, size_t len);
/* Display columns of UTF-8 text, escape sequences taking none (what a terminal would advance). */
int live_text_columns(const char *text);

/* Terminal frames for a screen of `rows` rows; each is sent in one write(). */
/* Reserves the last row: scroll region 1..rows-1, the cursor kept on the job's text. */
size_t live_frame_setup(int rows, char *buf, size_t len);
/* Draws line on the last row, the job's cursor and colours restored around it. */
size_t live_frame_draw(int rows, const char *line, char *buf, size_t len);
/* Gives the whole screen back and clears the last row `rows`. rows 0 (the size changed since the line was
 * drawn) clears everything below the cursor instead, wherever the old line went; rows < 0 (the screen was
 * another program's meanwhile) clears nothing. */
size_t live_frame_erase(int rows, char *buf, size_t len);

enum live_mode { LIVE_OFF, LIVE_TERMINAL, LIVE_PLAIN };

struct live {
    enum live_mode mode;
    int fd;       /* the terminal (own non-blocking descriptor) or stderr */
    bool own_fd;
    int timer_fd;
    const struct jobtable *jt;
    int64_t start_ns;
    uint64_t peak_kib;
    size_t samples_seen;
    struct live_style style;
    int drawn_rows; /* rows of the screen the region was set for; 0 when the terminal is ours unmarked */
    int drawn_cols;
    bool stale; /* the terminal was someone else's meanwhile: set the region up again */
    bool due;   /* the first tick came: the delay is over, SIGWINCH may draw */
};

struct live_config {
    enum cli_live when;
    enum cli_color color;
    bool quiet; /* -q: no line unless asked for with --live=always */
    const struct jobtable *jt;
    int64_t start_ns;
    int epoll_fd;
    void *epoll_tag; /* what the event loop sees for the line's timer */
};

/* Decides whether there is a line and arms its timer. Never fails the run: no line is the fallback. */
void live_start(struct live *lv, const struct live_config *cfg);
/* The timer fired: refresh. */
void live_tick(struct live *lv);
/* SIGWINCH: set the region up for the new size and redraw now. */
void live_resize(struct live *lv);
/* Removes the line and the region now (before memwatch stops with the job, Ctrl-Z); the next refresh
 * brings them back. */
void live_suspend(struct live *lv);
/* Removes the line for good and closes the timer: before the summary, on every way out. */
void live_stop(struct live *lv);

#endif
