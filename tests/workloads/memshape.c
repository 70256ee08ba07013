/* memshape SHAPE DURATION_MS MIB: memory over time in one of four shapes, for --leak-check.
 *
 * Every STEP (50 ms) until DURATION_MS has passed, the resident memory follows SHAPE, up to MIB MiB above
 * the program's own:
 *   leak      grows by the same amount every step, never freed (a steady leak: must be flagged)
 *   sawtooth  grows to MIB and frees it all, five times (must not be flagged)
 *   plateau   grows to MIB in the first fifth, then holds it (warm-up: must not be flagged)
 *   step      holds nothing for half the time, then MIB at once (a one-off allocation: must not be flagged)
 * Records fact "memshape" (value = MIB) with its VmHWM. Exit 0. */
#include <string.h>
#include <sys/mman.h>

#include "wl_common.h"

#define MEMSHAPE_STEP_MS 50
#define MEMSHAPE_TEETH 5
#define MEMSHAPE_WARMUP_SHARE 5 /* the plateau's growth takes 1/this of the time */
#define MEMSHAPE_CHUNKS_MAX 4096
#define MEMSHAPE_KIB 1024

static void *chunks[MEMSHAPE_CHUNKS_MAX];
static size_t chunk_bytes[MEMSHAPE_CHUNKS_MAX];
static size_t n_chunks;
static size_t held_kib;

/* Holds kib KiB: maps and touches what is missing, or unmaps everything when asked for less. */
static void hold_kib(size_t kib)
{
    if (kib < held_kib) {
        for (size_t i = 0; i < n_chunks; i++)
            munmap(chunks[i], chunk_bytes[i]);
        n_chunks = 0;
        held_kib = 0;
    }
    if (kib <= held_kib || n_chunks == MEMSHAPE_CHUNKS_MAX)
        return;
    size_t bytes = (kib - held_kib) * MEMSHAPE_KIB;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        wl_die("mmap");
    memset(p, 0x5a, bytes);
    chunks[n_chunks] = p;
    chunk_bytes[n_chunks++] = bytes;
    held_kib = kib;
}

/* What SHAPE holds at step i of n. */
static size_t shape_kib(const char *shape, long i, long n, size_t top_kib)
{
    if (strcmp(shape, "leak") == 0)
        return top_kib * (size_t)(i + 1) / (size_t)n;
    if (strcmp(shape, "sawtooth") == 0) {
        long tooth = n / MEMSHAPE_TEETH > 0 ? n / MEMSHAPE_TEETH : 1;
        return top_kib * (size_t)(i % tooth + 1) / (size_t)tooth;
    }
    if (strcmp(shape, "plateau") == 0) {
        long warmup = n / MEMSHAPE_WARMUP_SHARE > 0 ? n / MEMSHAPE_WARMUP_SHARE : 1;
        return i < warmup ? top_kib * (size_t)(i + 1) / (size_t)warmup : top_kib;
    }
    if (strcmp(shape, "step") == 0)
        return i < n / 2 ? 0 : top_kib;
    wl_die("unknown shape");
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return WL_EXIT_BROKEN;
    long steps = wl_arg_long(argv[2], "DURATION_MS") / MEMSHAPE_STEP_MS;
    long mib = wl_arg_long(argv[3], "MIB");
    for (long i = 0; i < steps; i++) {
        hold_kib(shape_kib(argv[1], i, steps, (size_t)mib * MEMSHAPE_KIB));
        wl_sleep_ms(MEMSHAPE_STEP_MS);
    }
    wl_fact("memshape", mib);
    return 0;
}
