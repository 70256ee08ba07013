/* Parsing of one /proc/PID/stat line, shared by the agent and the collector's inspector: pure (no
 * allocation, no stdio, no errno, no globals), so it is async-signal-safe and works on the caller's buffer. */
#ifndef MEMWATCH_PROCSTAT_H
#define MEMWATCH_PROCSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROCSTAT_COMM_MAX 64 /* kernel threads show up to 63 bytes of name (TASK_COMM_LEN is 16 for others) */

/* The fields memwatch reads, numbered as in proc(5). */
struct procstat {
    char comm[PROCSTAT_COMM_MAX]; /* field 2 without its parentheses, cut to fit, NUL-terminated */
    char state;                   /* field 3: 'R', 'S', 'Z', ... */
    int32_t ppid;                 /* field 4 */
    uint64_t utime_ticks;         /* field 14, clock ticks */
    uint64_t stime_ticks;         /* field 15 */
    uint64_t threads;             /* field 20 */
    uint64_t starttime_ticks;     /* field 22, ticks after boot */
    uint64_t rss_pages;           /* field 24 */
    uint64_t code_start;          /* field 26; 0 when the line stops before it (or the kernel hides it) */
};

/* Parses the line in text[0..len) (NUL-termination not needed). comm ends at the LAST ')' (a name may hold
 * spaces and ") "). Fields 3 to 24 must be there, each followed by a space or the line's end ('\n'): a token
 * the buffer cuts is never believed. The fields read must be decimal numbers that fit. 0, or -1 when the
 * line is malformed (out is then zeroed). */
int procstat_parse(const char *text, size_t len, struct procstat *out);

#endif
