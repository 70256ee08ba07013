/* The leak heuristic of --leak-check: a steady growth read from one process's bounded RSS series. */
#include "report.h"

/* A bucket no sample fell into holds 0 (a sampled process always has pages resident). */
bool report_leak_judge(const struct jt_process *p, const struct jt_job *job, struct report_leak *out)
{
    const struct jt_series *s = &p->series;
    uint32_t first = UINT32_MAX, last = 0, points = 0;
    for (uint32_t i = 0; i < s->count; i++) {
        if (s->max_kib[i] == 0)
            continue;
        first = first == UINT32_MAX ? i : first;
        last = i;
        points++;
    }
    if (points < REPORT_LEAK_MIN_POINTS)
        return false;
    *out = (struct report_leak){.proc = p, .start_kib = s->max_kib[first], .points = points,
                                .start_ns = s->t0_ns + (int64_t)first * s->bucket_ns,
                                .end_ns = s->t0_ns + (int64_t)last * s->bucket_ns};
    if (out->end_ns - out->start_ns < (int64_t)job->leak_min_duration_ms * 1000000LL)
        return false;
    /* Bucket i of [first, last] falls into span (i - first) * SEGMENTS / (last - first + 1). */
    uint32_t span = last - first + 1;
    for (uint32_t i = first; i <= last; i++) {
        uint32_t seg = (uint32_t)((uint64_t)(i - first) * REPORT_LEAK_SEGMENTS / span);
        if (s->max_kib[i] > out->segment_max_kib[seg])
            out->segment_max_kib[seg] = s->max_kib[i];
    }
    out->end_kib = out->segment_max_kib[REPORT_LEAK_SEGMENTS - 1];
    if (out->end_kib <= out->start_kib)
        return false;
    uint64_t growth = out->end_kib - out->start_kib;
    out->growth_pct = (uint32_t)(growth * 100 / out->start_kib > UINT32_MAX ? UINT32_MAX : growth * 100 / out->start_kib);
    if (out->growth_pct < job->leak_min_growth_pct)
        return false;
    uint64_t step = growth / REPORT_LEAK_STEP_SHARE;
    for (int k = 1; k < REPORT_LEAK_SEGMENTS; k++)
        if (out->segment_max_kib[k] == 0 || out->segment_max_kib[k] <= out->segment_max_kib[k - 1] + step)
            return false;
    return true;
}
