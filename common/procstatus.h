/* Parsing of /proc/PID/status, shared by the agent and the collector's inspector: pure (no allocation, no
 * stdio, no errno, no globals), so it is async-signal-safe and works on the caller's buffer. */
#ifndef MEMWATCH_PROCSTATUS_H
#define MEMWATCH_PROCSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROCSTATUS_TEXT_MAX 4096 /* the file is about 1.5 KiB */

/* The lines memwatch reads (proc(5)). */
struct procstatus {
    uint64_t hwm_kib; /* VmHWM: the peak resident set size */
    uint64_t rss_kib; /* VmRSS */
    bool has_hwm;
    bool has_rss;
};

/* Parses VmHWM and VmRSS out of text[0..len) (NUL-termination not needed); each must be a whole
 * "Key:  1234 kB" line. 0, or -1 when neither is there (kernel threads, zombies). */
int procstatus_parse(const char *text, size_t len, struct procstatus *out);

#endif
