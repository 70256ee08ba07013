/* The one /proc/PID/stat parser (proc(5)): the agent and the collector both link this file. */
#include "procstat.h"

#include <string.h>

#include "decimal.h"

#define PROCSTAT_FIELD_STATE 3
#define PROCSTAT_FIELD_PPID 4
#define PROCSTAT_FIELD_UTIME 14
#define PROCSTAT_FIELD_STIME 15
#define PROCSTAT_FIELD_THREADS 20
#define PROCSTAT_FIELD_START 22
#define PROCSTAT_FIELD_RSS 24 /* the last field required */
#define PROCSTAT_FIELD_STARTCODE 26

/* Where a numeric field goes, or NULL for one memwatch does not read. */
static uint64_t *procstat_slot(struct procstat *out, unsigned field, uint64_t *ppid)
{
    switch (field) {
    case PROCSTAT_FIELD_PPID: return ppid;
    case PROCSTAT_FIELD_UTIME: return &out->utime_ticks;
    case PROCSTAT_FIELD_STIME: return &out->stime_ticks;
    case PROCSTAT_FIELD_THREADS: return &out->threads;
    case PROCSTAT_FIELD_START: return &out->starttime_ticks;
    case PROCSTAT_FIELD_RSS: return &out->rss_pages;
    case PROCSTAT_FIELD_STARTCODE: return &out->code_start;
    default: return NULL;
    }
}

/* Copies the name between the first '(' and the last ')', cut to fit; false when there is no such pair. */
static bool procstat_comm(const char *text, size_t len, struct procstat *out, const char **after)
{
    const char *open = memchr(text, '(', len);
    const char *close = NULL;
    for (size_t i = len; i > 0 && close == NULL; i--)
        if (text[i - 1] == ')')
            close = text + i - 1;
    if (open == NULL || close == NULL || close < open)
        return false;
    size_t n = (size_t)(close - open - 1);
    if (n >= sizeof out->comm)
        n = sizeof out->comm - 1;
    memcpy(out->comm, open + 1, n);
    out->comm[n] = '\0';
    *after = close + 1;
    return true;
}

static int procstat_fail(struct procstat *out)
{
    memset(out, 0, sizeof *out);
    return -1;
}

int procstat_parse(const char *text, size_t len, struct procstat *out)
{
    const char *p, *end = text + len;
    uint64_t ppid = 0;
    unsigned field = 2; /* the ')' closes field 2 */

    memset(out, 0, sizeof *out);
    if (!procstat_comm(text, len, out, &p))
        return procstat_fail(out);
    while (p < end && field < PROCSTAT_FIELD_STARTCODE) {
        if (*p != ' ') /* fields are separated by one space; a newline or NUL ends the line */
            break;
        const char *tok = ++p;
        while (p < end && *p != ' ' && *p != '\n' && *p != '\0')
            p++;
        field++;
        if (p == end) { /* the buffer ends inside the line: its last token may be cut short */
            if (field <= PROCSTAT_FIELD_RSS)
                return procstat_fail(out);
            break;
        }
        if (field == PROCSTAT_FIELD_STATE) {
            if (p - tok != 1)
                return procstat_fail(out);
            out->state = *tok;
            continue;
        }
        uint64_t *slot = procstat_slot(out, field, &ppid);
        if (slot != NULL && !decimal_u64(tok, p, slot))
            return procstat_fail(out);
    }
    if (field < PROCSTAT_FIELD_RSS || ppid > INT32_MAX)
        return procstat_fail(out);
    out->ppid = (int32_t)ppid;
    return 0;
}
