/* Packs an argv into the wire's fixed buffer: NUL-terminated strings back to back, truncated visibly. */
#ifndef MEMWATCH_AGENT_ARGV_PACK_H
#define MEMWATCH_AGENT_ARGV_PACK_H

#include <stdbool.h>
#include <stddef.h>

struct argv_pack_result {
    size_t len;     /* bytes used, every packed argument NUL-terminated */
    size_t count;   /* arguments packed, the last one possibly cut */
    bool truncated; /* something did not fit */
};

/* Packs at most argc arguments of argv (stopping early at a NULL entry; argv may be NULL) into
 * dst[0..cap). An argument that does not fit whole is cut to what fits, and packing stops there. */
struct argv_pack_result argv_pack(char *const argv[], size_t argc, char *dst, size_t cap);

#endif
