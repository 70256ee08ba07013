/* Decimal numbers in /proc's text: the one reader of them, for the /proc parsers that the agent and the
 * collector share (no libc call: the agent may run it where only async-signal-safe code may run). */
#ifndef MEMWATCH_DECIMAL_H
#define MEMWATCH_DECIMAL_H

#include <stdbool.h>
#include <stdint.h>

/* The whole token [s, end) as a decimal number; false on anything else (empty, a sign, a space) or on
 * overflow. */
static inline bool decimal_u64(const char *s, const char *end, uint64_t *out)
{
    uint64_t v = 0;
    if (s >= end)
        return false;
    for (; s < end; s++) {
        if (*s < '0' || *s > '9')
            return false;
        uint64_t d = (uint64_t)(*s - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = v;
    return true;
}

#endif
