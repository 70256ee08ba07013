/* MPI example for memwatch: a domain of --size N 32-byte elements decomposed over the ranks, in phases
 * whose memory differs per rank, each phase ending with a barrier and a per-rank memory report. */
#include <errno.h>
#include <limits.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MPIC_DEFAULT_SIZE (4L * 1024 * 1024) /* elements: 128 MiB of domain */
#define MPIC_DEFAULT_PHASE_MS 1200           /* five phases: about 6 s in all */
#define MPIC_STATUS_LINE_MAX 256
#define MPIC_FFT_PASSES 6
#define MPIC_PHASE_COUNT 5

/* One element of the domain: 32 bytes, the unit --size counts. */
typedef struct {
    double x, y, z, w;
} mpic_elem;

typedef struct {
    long size;     /* elements in the whole domain */
    long phase_ms; /* how long each phase holds its memory, so a sampler sees it too */
} mpic_options;

typedef struct {
    int rank, ranks;
    MPI_Datatype elem_type;
    int *counts, *displs; /* per rank, in elements (rank 0 only needs them, all compute them) */
    mpic_elem *local;
    long local_n;
    double checksum;
} mpic_state;

/* VmRSS and VmHWM in KiB of the calling process. */
typedef struct {
    long rss_kib, hwm_kib;
} mpic_mem;

static const char *const mpic_phase_names[MPIC_PHASE_COUNT] = {
    "initialisation", "distribution", "working buffers", "communication", "cleanup",
};

static void mpic_die(const mpic_state *st, const char *what)
{
    fprintf(stderr, "mpi_distributed_compute: rank %d: %s: %s\n", st->rank, what, strerror(errno));
    MPI_Abort(MPI_COMM_WORLD, 1);
}

static void *mpic_alloc(const mpic_state *st, size_t count, size_t elem_size)
{
    if (count == 0)
        count = 1;
    void *p = calloc(count, elem_size);
    if (!p)
        mpic_die(st, "calloc");
    return p;
}

static int mpic_parse_long(const char *text, long min, long *out)
{
    char *end = NULL;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || v < min)
        return -1;
    *out = v;
    return 0;
}

static int mpic_parse_args(int argc, char **argv, mpic_options *opt)
{
    opt->size = MPIC_DEFAULT_SIZE;
    opt->phase_ms = MPIC_DEFAULT_PHASE_MS;
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        long *target = NULL;
        long min = 0;
        if (strcmp(argv[i], "--size") == 0) {
            target = &opt->size;
            min = 1;
        } else if (strcmp(argv[i], "--phase-ms") == 0) {
            target = &opt->phase_ms;
        }
        if (!target || !value || mpic_parse_long(value, min, target) != 0) {
            fprintf(stderr, "usage: mpi_distributed_compute [--size ELEMENTS] [--phase-ms MS]\n");
            return -1;
        }
        i++;
    }
    return 0;
}

static mpic_mem mpic_read_mem(void)
{
    mpic_mem m = {-1, -1};
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return m;
    char line[MPIC_STATUS_LINE_MAX];
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            m.rss_kib = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmHWM:", 6) == 0)
            m.hwm_kib = strtol(line + 6, NULL, 10);
    }
    fclose(f);
    return m;
}

static void mpic_sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* Holds the phase's memory for phase_ms, then reports every rank's RSS and HWM from rank 0. */
static void mpic_end_phase(const mpic_state *st, const mpic_options *opt, int phase)
{
    mpic_sleep_ms(opt->phase_ms);
    mpic_mem mine = mpic_read_mem();
    long sendbuf[2] = {mine.rss_kib, mine.hwm_kib};
    long *all = st->rank == 0 ? mpic_alloc(st, (size_t)st->ranks * 2, sizeof(long)) : NULL;
    MPI_Gather(sendbuf, 2, MPI_LONG, all, 2, MPI_LONG, 0, MPI_COMM_WORLD);
    if (st->rank == 0) {
        long total = 0;
        for (int r = 0; r < st->ranks; r++) {
            printf("phase %d %-16s rank %2d  rss %8.1f MiB  hwm %8.1f MiB\n", phase + 1, mpic_phase_names[phase], r,
                   all[2 * r] / 1024.0, all[2 * r + 1] / 1024.0);
            total += all[2 * r];
        }
        printf("phase %d %-16s total    rss %8.1f MiB\n", phase + 1, mpic_phase_names[phase], total / 1024.0);
        fflush(stdout);
        free(all);
    }
    MPI_Barrier(MPI_COMM_WORLD);
}

static void mpic_fill(mpic_elem *e, long n, long first_index)
{
    for (long i = 0; i < n; i++) {
        double g = (double)(first_index + i);
        e[i] = (mpic_elem){g, g * 0.5, 1.0 / (g + 1.0), (double)((first_index + i) % 97)};
    }
}

/* Splits size elements over the ranks: the first size % ranks ranks take one more. */
static int mpic_decompose(mpic_state *st, long size)
{
    st->counts = mpic_alloc(st, (size_t)st->ranks, sizeof(int));
    st->displs = mpic_alloc(st, (size_t)st->ranks, sizeof(int));
    long base = size / st->ranks, extra = size % st->ranks, offset = 0;
    for (int r = 0; r < st->ranks; r++) {
        long n = base + (r < extra ? 1 : 0);
        if (n > INT_MAX || offset > INT_MAX)
            return -1;
        st->counts[r] = (int)n;
        st->displs[r] = (int)offset;
        offset += n;
    }
    st->local_n = st->counts[st->rank];
    return 0;
}

/* Phases 1 and 2: rank 0 builds the whole domain, scatters n/np to each rank, then drops it. */
static void mpic_initialise_and_distribute(mpic_state *st, const mpic_options *opt)
{
    mpic_elem *global = NULL;
    if (st->rank == 0) {
        global = mpic_alloc(st, (size_t)opt->size, sizeof(mpic_elem));
        mpic_fill(global, opt->size, 0);
    }
    mpic_end_phase(st, opt, 0);

    st->local = mpic_alloc(st, (size_t)st->local_n, sizeof(mpic_elem));
    MPI_Scatterv(global, st->counts, st->displs, st->elem_type, st->local, (int)st->local_n, st->elem_type, 0,
                 MPI_COMM_WORLD);
    free(global);
    mpic_end_phase(st, opt, 1);
}

/* Phase 3: an FFT-like butterfly between two out-of-place work buffers, each as large as the local domain. */
static void mpic_working_buffers(mpic_state *st, const mpic_options *opt)
{
    long n = st->local_n;
    mpic_elem *a = mpic_alloc(st, (size_t)n, sizeof(mpic_elem));
    mpic_elem *b = mpic_alloc(st, (size_t)n, sizeof(mpic_elem));
    memcpy(a, st->local, (size_t)n * sizeof(mpic_elem));
    for (int pass = 0; pass < MPIC_FFT_PASSES; pass++) {
        long stride = 1L << pass;
        for (long i = 0; i < n; i++) {
            long j = i ^ stride;
            const mpic_elem *p = &a[i], *q = &a[j < n ? j : i];
            b[i] = (mpic_elem){p->x + q->y, p->y - q->x, p->z * 0.5 + q->w, p->w};
        }
        mpic_elem *t = a;
        a = b;
        b = t;
    }
    for (long i = 0; i < n; i++)
        st->checksum += a[i].x * 1e-9 + a[i].z;
    mpic_end_phase(st, opt, 2);
    free(a);
    free(b);
}

/* Phase 4: temporary send/receive buffers around an all-to-all and an allreduce: a short spike per rank. */
static void mpic_communicate(mpic_state *st, const mpic_options *opt)
{
    int min_local = st->counts[st->ranks - 1];
    int per_peer = min_local / st->ranks;
    size_t total = (size_t)per_peer * (size_t)st->ranks;
    mpic_elem *sendbuf = mpic_alloc(st, total, sizeof(mpic_elem));
    mpic_elem *recvbuf = mpic_alloc(st, total, sizeof(mpic_elem));
    memcpy(sendbuf, st->local, total * sizeof(mpic_elem));
    MPI_Alltoall(sendbuf, per_peer, st->elem_type, recvbuf, per_peer, st->elem_type, MPI_COMM_WORLD);
    double local_sum = 0.0, global_sum = 0.0;
    for (size_t i = 0; i < total; i++)
        local_sum += recvbuf[i].w;
    MPI_Allreduce(&local_sum, &global_sum, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
    st->checksum += global_sum;
    mpic_end_phase(st, opt, 3);
    free(sendbuf);
    free(recvbuf);
}

/* Phase 5: everything freed; the final reduction proves every rank took part. */
static void mpic_cleanup(mpic_state *st, const mpic_options *opt)
{
    free(st->local);
    st->local = NULL;
    double total = 0.0;
    MPI_Reduce(&st->checksum, &total, 1, MPI_DOUBLE, MPI_SUM, 0, MPI_COMM_WORLD);
    mpic_end_phase(st, opt, 4);
    if (st->rank == 0)
        printf("done: %d ranks, %ld elements (%.1f MiB), checksum %.6e\n", st->ranks, opt->size,
               opt->size * (double)sizeof(mpic_elem) / 1048576.0, total);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    mpic_state st = {0};
    MPI_Comm_rank(MPI_COMM_WORLD, &st.rank);
    MPI_Comm_size(MPI_COMM_WORLD, &st.ranks);
    mpic_options opt;
    if (mpic_parse_args(argc, argv, &opt) != 0 || mpic_decompose(&st, opt.size) != 0) {
        if (st.rank == 0)
            fprintf(stderr, "mpi_distributed_compute: bad arguments or --size too large for %d ranks\n", st.ranks);
        MPI_Finalize();
        return 2;
    }
    MPI_Type_contiguous(4, MPI_DOUBLE, &st.elem_type);
    MPI_Type_commit(&st.elem_type);
    if (st.rank == 0)
        printf("mpi_distributed_compute: %d ranks, %ld elements of %zu bytes, %ld ms per phase\n", st.ranks,
               opt.size, sizeof(mpic_elem), opt.phase_ms);

    mpic_initialise_and_distribute(&st, &opt);
    mpic_working_buffers(&st, &opt);
    mpic_communicate(&st, &opt);
    mpic_cleanup(&st, &opt);

    MPI_Type_free(&st.elem_type);
    free(st.counts);
    free(st.displs);
    MPI_Finalize();
    return 0;
}
