/* Phase 2 of build_pipeline: checksum routines, built into libmwhelper.a with cc and ar. */
#include "mwhelper.h"

#define MWH_FNV32_OFFSET 0x811C9DC5u
#define MWH_FNV32_PRIME 0x01000193u

uint32_t mwh_fnv1a32_u32le(const uint32_t *values, size_t count)
{
    uint32_t h = MWH_FNV32_OFFSET;
    for (size_t i = 0; i < count; i++) {
        for (unsigned shift = 0; shift < 32; shift += 8) {
            h ^= (values[i] >> shift) & 0xFFu;
            h *= MWH_FNV32_PRIME;
        }
    }
    return h;
}

uint64_t mwh_sum_u32(const uint32_t *values, size_t count)
{
    uint64_t sum = 0;
    for (size_t i = 0; i < count; i++)
        sum += values[i];
    return sum;
}

const char *mwh_version(void)
{
    return "mwhelper 1.0";
}
