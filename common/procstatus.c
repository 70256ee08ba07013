/* The one /proc/PID/status parser (proc(5)): the agent and the collector both link this file. */
#include "procstatus.h"

#include <string.h>

#include "decimal.h"

/* The value of a "Key:   1234 kB" line [line, line + len) when its key is key. */
static bool procstatus_field(const char *line, size_t len, const char *key, uint64_t *out)
{
    size_t key_len = strlen(key);
    if (len < key_len || memcmp(line, key, key_len) != 0)
        return false;
    const char *p = line + key_len, *end = line + len;
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9')
        p++;
    if (end - p != 3 || memcmp(p, " kB", 3) != 0)
        return false;
    return decimal_u64(digits, p, out);
}

int procstatus_parse(const char *text, size_t len, struct procstatus *out)
{
    memset(out, 0, sizeof *out);
    const char *p = text, *end = text + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL) /* a line the buffer cut is never believed */
            break;
        size_t line_len = (size_t)(nl - p);
        if (procstatus_field(p, line_len, "VmHWM:", &out->hwm_kib))
            out->has_hwm = true;
        else if (procstatus_field(p, line_len, "VmRSS:", &out->rss_kib))
            out->has_rss = true;
        p = nl + 1;
    }
    return out->has_hwm || out->has_rss ? 0 : -1;
}
