/* The timeline CSV: one row per poller sample of the whole job (never filtered). */
#include "report.h"

#include "../units.h"
#include "format.h"

static const char timeline_header[] = "timestamp,elapsed_seconds,total_rss_kib,total_rss_mib,process_count\n";

int report_timeline_write(FILE *out, const struct report_view *v)
{
    const struct jobtable *jt = v->jt;
    struct report_out o;
    char when[CLOCK_RFC3339_MAX];

    report_out_init(&o, out);
    report_out_puts(&o, timeline_header);
    for (size_t i = 0; i < jt->n_samples; i++) {
        const struct jt_sample *s = &jt->samples[i];
        /* Rounded to the millisecond in integers, so elapsed time never prints as -0.000. */
        int64_t ms = report_elapsed_ms(jt, s->t_ns);
        report_format_instant(jt, s->t_ns, when, sizeof when);
        report_out_printf(&o, "%s,%lld.%03lld,%llu,%.2f,%u\n", when, (long long)(ms / 1000), (long long)(ms % 1000),
                          (unsigned long long)s->total_kib, units_kib_to_mib(s->total_kib), s->process_count);
    }
    return report_out_finish(&o);
}
