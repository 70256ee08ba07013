/* --with-cpu and --with-io: a process that spent a known CPU time and wrote and read known byte counts is
 * reported within a stated tolerance, exact when the agent reported its end, a lower bound when only the
 * poller saw it (--no-agent: its parent's wait is invisible, so only samples of its counters exist). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

/* Tolerances. The workload reads its CPU time last, then records facts and exits: microseconds, but a
 * shared machine may preempt it; /proc/PID/stat counts whole clock ticks. Bytes: the facts file's lines. */
#define USAGE_CPU_AFTER_S 0.05  /* the exact figure may exceed the truth by this (exit path) */
#define USAGE_CPU_TICK_S 0.011  /* a sampled or stat figure may round down by a tick (100 Hz) */
#define USAGE_BYTES_SLACK 4096.0

static double usage_cpu(const cJSON *proc)
{
    return itest_json_num(proc, "cpu_user_seconds") + itest_json_num(proc, "cpu_system_seconds");
}

int scenario_usage(struct itest_ctx *ctx, const char *arg)
{
    bool agent = strcmp(arg, "agent") == 0;
    struct itest_run r;
    struct itest_opts o = {.agent = agent, .interval_ms = 50,
                           .extra = (const char *const[]){"--with-cpu", "--with-io", NULL}};
    if (itest_run_workload(ctx, &r, &o, "usage", agent ? NULL : "child", NULL) != 0)
        return -1;
    cJSON *rep = itest_report(ctx, &r, &(struct itest_expect){0});
    struct itest_facts facts;
    if (rep == NULL || itest_facts_load(ctx, &facts) != 0) {
        cJSON_Delete(rep);
        return -1;
    }
    const struct itest_fact *cpu = itest_facts_find(&facts, "usage_cpu_us", 0);
    const struct itest_fact *wrote = itest_facts_find(&facts, "usage_wrote", 0);
    const struct itest_fact *read = itest_facts_find(&facts, "usage_read", 0);
    const cJSON *proc = cpu ? itest_json_process(ctx, rep, cpu->pid, "the CPU burner") : NULL;
    ITEST_CHECK(ctx, cpu && wrote && read && proc, "the workload's facts or its process are missing");
    if (cpu && wrote && read && proc) {
        double truth = (double)cpu->value / 1e6, got = usage_cpu(proc);
        const char *kind = itest_json_str(proc, "cpu_kind");
        double written = itest_json_num(proc, "io_written_bytes"), rd = itest_json_num(proc, "io_read_bytes");
        itest_note(ctx, "cpu %.3f s (%s), truth %.3f s; written %.0f, read %.0f bytes (%s)", got, kind, truth,
                   written, rd, itest_json_str(proc, "io_kind"));
        if (agent) {
            ITEST_CHECK(ctx, strcmp(kind, "exact") == 0, "cpu_kind %s, expected exact", kind);
            ITEST_CHECK(ctx, got >= truth && got <= truth + USAGE_CPU_AFTER_S,
                        "exact CPU %.3f s outside [%.3f, %.3f + %.2f]", got, truth, truth, USAGE_CPU_AFTER_S);
            ITEST_CHECK(ctx, strcmp(itest_json_str(proc, "io_kind"), "exact") == 0, "io_kind not exact");
            ITEST_CHECK(ctx, written >= wrote->value && written <= wrote->value + USAGE_BYTES_SLACK,
                        "io_written_bytes %.0f, wrote %ld", written, wrote->value);
            ITEST_CHECK(ctx, rd >= read->value, "io_read_bytes %.0f, read %ld", rd, read->value);
        } else {
            /* Sampled: a lower bound, never above the truth (a tick of rounding aside). */
            ITEST_CHECK(ctx, strcmp(kind, "sampled") == 0, "cpu_kind %s, expected sampled", kind);
            ITEST_CHECK(ctx, got <= truth + USAGE_CPU_TICK_S, "sampled CPU %.3f s above the truth %.3f s", got,
                        truth);
            const char *io_kind = itest_json_str(proc, "io_kind");
            ITEST_CHECK(ctx, strcmp(io_kind, "sampled") == 0, "io_kind %s, expected sampled", io_kind);
            ITEST_CHECK(ctx, written <= wrote->value + USAGE_BYTES_SLACK, "sampled bytes written %.0f above %ld",
                        written, wrote->value);
        }
        /* The job's totals: exact with the agent; else lower bounds that still hold the burner's work (the
         * root's counters and memwatch's wait of it include its child's). */
        const cJSON *ct = cJSON_GetObjectItemCaseSensitive(rep, "cpu_total");
        const cJSON *it = cJSON_GetObjectItemCaseSensitive(rep, "io_total");
        double total = itest_json_num(ct, "user_seconds") + itest_json_num(ct, "system_seconds");
        ITEST_CHECK(ctx, strcmp(itest_json_str(ct, "kind"), agent ? "exact" : "sampled") == 0,
                    "cpu_total kind %s", itest_json_str(ct, "kind"));
        ITEST_CHECK(ctx, total >= truth - USAGE_CPU_TICK_S && total <= truth + 2 * USAGE_CPU_AFTER_S,
                    "cpu_total %.3f s, the burner's truth %.3f s", total, truth);
        double tw = itest_json_num(it, "written_bytes");
        ITEST_CHECK(ctx, strcmp(itest_json_str(it, "kind"), agent ? "exact" : "sampled") == 0,
                    "io_total kind %s", itest_json_str(it, "kind"));
        ITEST_CHECK(ctx, tw >= wrote->value && tw <= wrote->value + 2 * USAGE_BYTES_SLACK,
                    "io_total written_bytes %.0f, wrote %ld", tw, wrote->value);
    }
    itest_facts_free(&facts);
    cJSON_Delete(rep);
    return 0;
}
