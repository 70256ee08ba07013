/* Parsing and formatting of the quantities a user types and reads: durations and memory sizes. */
#ifndef MEMWATCH_UNITS_H
#define MEMWATCH_UNITS_H

#include <stddef.h>
#include <stdint.h>

#define UNITS_SIZE_MAX 24     /* "1023.9 GiB" and NUL, with room */
#define UNITS_DURATION_MAX 32 /* "123:59:59" or "12.3s" and NUL */

/* Why a duration was refused: the caller words the message (a zero and a huge value are not typos). */
enum units_duration_status {
    UNITS_DURATION_OK = 0,
    UNITS_DURATION_INVALID = -1, /* not a duration, or finer than a millisecond */
    UNITS_DURATION_ZERO = -2,
    UNITS_DURATION_TOO_LONG = -3, /* more milliseconds than a uint32_t holds */
};

/* "500" (milliseconds), "50ms", "2s", "1.5s", "1m". Returns UNITS_DURATION_OK and sets *ms (> 0), or one of
 * the refusals above with *ms untouched. */
enum units_duration_status units_parse_duration_ms(const char *text, uint32_t *ms);

/* A memory size: bytes ("1048576"), or a number (decimals allowed) with a unit: K, M, G, T and KiB, MiB,
 * GiB, TiB are powers of 1024; kB, MB, GB, TB powers of 1000; B is bytes. "512M", "8G", "1.5GiB", "700MB".
 * Returns 0 and the size in bytes (rounded up to a whole byte), or -1: empty, negative, an unknown unit, or
 * more than 2^62 bytes. */
int units_parse_size_bytes(const char *text, uint64_t *bytes);

/* "512.0 KiB" below 1 MiB, else "912.0 MiB" / "6.4 GiB": one decimal, rounded before the unit is chosen. */
void units_format_size(uint64_t kib, char *buf, size_t len);
/* "00:03:21" (hours grow past 99 as needed). */
void units_format_hms(int64_t ns, char *buf, size_t len);
/* "45.2s" below a minute, "3m21s" below an hour, else "1h02m". */
void units_format_elapsed(int64_t ns, char *buf, size_t len);
/* KiB to MiB rounded to 2 decimals, as the CSV columns carry it (1 decimal hid 50 KiB). */
double units_kib_to_mib(uint64_t kib);

#endif
