/* Phase 2 of build_pipeline: the C helper library the Rust binary links (checksums over u32 tables). */
#ifndef MWHELPER_H
#define MWHELPER_H

#include <stddef.h>
#include <stdint.h>

/* FNV-1a over each value's 4 little-endian bytes, whatever the host's byte order. */
uint32_t mwh_fnv1a32_u32le(const uint32_t *values, size_t count);

/* Sum of the values, 64-bit so no table of this example can overflow it. */
uint64_t mwh_sum_u32(const uint32_t *values, size_t count);

/* Version of the helper, so the binary can print what it linked. */
const char *mwh_version(void);

#endif
