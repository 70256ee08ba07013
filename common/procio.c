/* The one /proc/PID/io parser (proc(5)): the agent and the collector both link this file. */
#include "procio.h"

#include <string.h>

#include "decimal.h"

#define PROCIO_FIELDS 4

/* Where the value of a "key: " line goes, or NULL for a key memwatch does not read; *bit names it. */
static uint64_t *procio_slot(struct procio *out, const char *line, size_t key_len, unsigned *bit)
{
    static const char *const keys[PROCIO_FIELDS] = {"rchar", "wchar", "read_bytes", "write_bytes"};
    uint64_t *slots[PROCIO_FIELDS] = {&out->rchar, &out->wchar, &out->read_bytes, &out->write_bytes};
    for (unsigned i = 0; i < PROCIO_FIELDS; i++) {
        if (strlen(keys[i]) == key_len && memcmp(line, keys[i], key_len) == 0) {
            *bit = 1u << i;
            return slots[i];
        }
    }
    return NULL;
}

static int procio_fail(struct procio *out)
{
    memset(out, 0, sizeof *out);
    return -1;
}

int procio_parse(const char *text, size_t len, struct procio *out)
{
    const char *p = text, *end = text + len;
    unsigned seen = 0;

    memset(out, 0, sizeof *out);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (nl == NULL)
            break; /* a cut line: whatever it holds is not believed */
        const char *colon = memchr(p, ':', (size_t)(nl - p));
        unsigned bit = 0;
        uint64_t *slot = colon != NULL ? procio_slot(out, p, (size_t)(colon - p), &bit) : NULL;
        if (slot != NULL) {
            const char *v = colon + 1;
            while (v < nl && *v == ' ')
                v++;
            if ((seen & bit) || !decimal_u64(v, nl, slot))
                return procio_fail(out);
            seen |= bit;
        }
        p = nl + 1;
    }
    return seen == (1u << PROCIO_FIELDS) - 1 ? 0 : procio_fail(out);
}
