/* A strict RFC 4180 reader for checking memwatch's CSV outputs field by field. */
#include <stdlib.h>
#include <string.h>

#include "itest.h"

/* Reads one field at text[*pos]; returns a malloc'd copy, NULL on a syntax error or no memory. */
static char *itest_csv_field(const char *text, size_t *pos)
{
    size_t i = *pos;
    size_t cap = 64, used = 0;
    char *out = malloc(cap);
    if (out == NULL)
        return NULL;
    bool quoted = text[i] == '"';
    if (quoted)
        i++;
    for (;;) {
        char c = text[i];
        if (quoted) {
            if (c == '\0')
                goto bad; /* unterminated quote */
            if (c == '"') {
                if (text[i + 1] == '"') {
                    i += 2;
                    c = '"';
                } else {
                    i++;
                    if (text[i] != ',' && text[i] != '\n' && text[i] != '\r' && text[i] != '\0')
                        goto bad; /* text after the closing quote */
                    break;
                }
            } else {
                i++;
            }
        } else {
            if (c == ',' || c == '\n' || c == '\r' || c == '\0')
                break;
            if (c == '"')
                goto bad; /* a quote inside an unquoted field */
            i++;
        }
        if (used + 2 > cap) {
            char *n = realloc(out, cap *= 2);
            if (n == NULL)
                goto bad;
            out = n;
        }
        out[used++] = c;
    }
    out[used] = '\0';
    *pos = i;
    return out;
bad:
    free(out);
    return NULL;
}

int itest_csv_next(const char *text, size_t *pos, struct itest_csv_row *row)
{
    memset(row, 0, sizeof *row);
    if (text[*pos] == '\0')
        return 0;
    row->raw_start = text + *pos;
    for (;;) {
        if (row->n >= ITEST_CSV_FIELDS_MAX)
            return -1;
        char *f = itest_csv_field(text, pos);
        if (f == NULL)
            return -1;
        row->fields[row->n++] = f;
        char c = text[*pos];
        if (c == ',') {
            (*pos)++;
            continue;
        }
        row->raw_len = (size_t)(text + *pos - row->raw_start);
        if (c == '\r')
            (*pos)++;
        if (text[*pos] == '\n')
            (*pos)++;
        return 1;
    }
}

void itest_csv_row_free(struct itest_csv_row *row)
{
    for (size_t i = 0; i < row->n; i++)
        free(row->fields[i]);
    row->n = 0;
}
