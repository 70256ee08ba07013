/* Parsing of /proc/PID/io, shared by the agent and the collector's inspector: pure (no allocation, no stdio,
 * no errno, no globals), so it is async-signal-safe and works on the caller's buffer. */
#ifndef MEMWATCH_PROCIO_H
#define MEMWATCH_PROCIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROCIO_TEXT_MAX 512 /* the file is seven "key: number" lines, under 200 bytes */

/* The fields memwatch reads (proc(5)). */
struct procio {
    uint64_t rchar;       /* bytes read through read(2) and its kin, whatever served them (cache, pipes) */
    uint64_t wchar;       /* bytes written through write(2) and its kin */
    uint64_t read_bytes;  /* bytes fetched from storage */
    uint64_t write_bytes; /* bytes sent (or to be sent) to storage */
};

/* Parses text[0..len) (NUL-termination not needed). Every line of the four fields must be whole (ended by
 * '\n') and hold a decimal number that fits: a line the buffer cuts is never believed. 0, or -1 when a field
 * is missing or malformed (out is then zeroed). */
int procio_parse(const char *text, size_t len, struct procio *out);

#endif
