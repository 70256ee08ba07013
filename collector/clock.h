/* One monotonic clock for ordering and durations, turned into wall-clock time only at output. */
#ifndef MEMWATCH_CLOCK_H
#define MEMWATCH_CLOCK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define CLOCK_RFC3339_MAX 32 /* "2026-11-22T02:06:18.123Z" and NUL */

/* A pair of readings of both clocks taken together, to convert monotonic instants to wall time. */
struct clock_anchor {
    int64_t mono_ns;
    int64_t wall_ns; /* nanoseconds since the epoch */
};

int64_t clock_mono_ns(void);
void clock_anchor_now(struct clock_anchor *anchor);
int64_t clock_to_wall_ns(const struct clock_anchor *anchor, int64_t mono_ns);
int64_t clock_from_wall_ns(const struct clock_anchor *anchor, int64_t wall_ns);

/* RFC 3339 UTC with millisecond precision and 'Z'. */
void clock_format_rfc3339(int64_t wall_ns, char *buf, size_t len);
/* Parses what clock_format_rfc3339 writes (fraction optional); returns 0 or -1. */
int clock_parse_rfc3339(const char *text, int64_t *wall_ns);

#endif
