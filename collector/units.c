/* Durations the user types (-i 500, 50ms, 1.5s) and the sizes and times memwatch prints. */
#include "units.h"

#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNITS_FRACTION_DIGITS_MAX 6 /* a microsecond of a minute is already below our resolution */
#define UNITS_NS_PER_MS 1000000LL
#define UNITS_NS_PER_TENTH 100000000LL
#define UNITS_NS_PER_SEC 1000000000LL

struct units_suffix {
    const char *name;
    uint64_t ms; /* milliseconds per unit */
};

/* A bare number is milliseconds: the seed accepted "-i 500" and scripts rely on it. */
static const struct units_suffix units_suffixes[] = {
    {"", 1}, {"ms", 1}, {"s", 1000}, {"m", 60 * 1000}, {"h", 60 * 60 * 1000},
};

/* Decimal digits at *p into *value, saturating: a huge number is a duration too long, not a typo. Returns
 * the number of digits read. */
static int units_read_integer(const char **p, uint64_t *value)
{
    uint64_t v = 0;
    int n = 0;
    while (isdigit((unsigned char)**p)) {
        unsigned d = (unsigned)(**p - '0');
        v = (v > (UINT64_MAX - d) / 10) ? UINT64_MAX : v * 10 + d;
        n++;
        (*p)++;
    }
    *value = v;
    return n;
}

static const struct units_suffix *units_find_suffix(const char *name)
{
    for (size_t i = 0; i < sizeof units_suffixes / sizeof units_suffixes[0]; i++)
        if (strcmp(name, units_suffixes[i].name) == 0)
            return &units_suffixes[i];
    return NULL;
}

enum units_duration_status units_parse_duration_ms(const char *text, uint32_t *ms)
{
    const char *p = text;
    uint64_t whole, frac = 0, frac_scale = 1;

    if (text == NULL || units_read_integer(&p, &whole) == 0)
        return UNITS_DURATION_INVALID;
    if (*p == '.') {
        p++;
        int digits = units_read_integer(&p, &frac);
        if (digits == 0 || digits > UNITS_FRACTION_DIGITS_MAX)
            return UNITS_DURATION_INVALID;
        for (int i = 0; i < digits; i++)
            frac_scale *= 10;
    }
    const struct units_suffix *u = units_find_suffix(p);
    /* Milliseconds are the resolution: "1.5ms" or "1.0005s" ask for what cannot be honoured. */
    if (u == NULL || (frac * u->ms) % frac_scale != 0)
        return UNITS_DURATION_INVALID;
    if (whole == 0 && frac == 0)
        return UNITS_DURATION_ZERO;
    if (whole > UINT32_MAX / u->ms)
        return UNITS_DURATION_TOO_LONG;
    uint64_t total = whole * u->ms + frac * u->ms / frac_scale;
    if (total > UINT32_MAX)
        return UNITS_DURATION_TOO_LONG;
    *ms = (uint32_t)total;
    return UNITS_DURATION_OK;
}

void units_format_size(uint64_t kib, char *buf, size_t len)
{
    static const char *const names[] = {"KiB", "MiB", "GiB"};
    const size_t n_units = sizeof names / sizeof names[0];
    uint64_t div = 1;
    size_t unit = 0;
    uint64_t tenths;

    /* Rounded to tenths first, so 1023.96 MiB prints as "1.0 GiB", never "1024.0 MiB". */
    for (;;) {
        tenths = kib / div * 10 + ((kib % div) * 10 + div / 2) / div;
        if (tenths < 10240 || unit + 1 == n_units)
            break;
        unit++;
        div *= 1024;
    }
    snprintf(buf, len, "%llu.%llu %s", (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10),
             names[unit]);
}

void units_format_hms(int64_t ns, char *buf, size_t len)
{
    uint64_t sec = ns > 0 ? (uint64_t)(ns / UNITS_NS_PER_SEC) : 0;
    snprintf(buf, len, "%02llu:%02llu:%02llu", (unsigned long long)(sec / 3600), (unsigned long long)(sec / 60 % 60),
             (unsigned long long)(sec % 60));
}

void units_format_elapsed(int64_t ns, char *buf, size_t len)
{
    uint64_t tenths = ns > 0 ? (uint64_t)((ns + UNITS_NS_PER_TENTH / 2) / UNITS_NS_PER_TENTH) : 0;
    uint64_t sec = tenths / 10;

    if (tenths < 600)
        snprintf(buf, len, "%llu.%llus", (unsigned long long)sec, (unsigned long long)(tenths % 10));
    else if (sec < 3600)
        snprintf(buf, len, "%llum%02llus", (unsigned long long)(sec / 60), (unsigned long long)(sec % 60));
    else
        snprintf(buf, len, "%lluh%02llum", (unsigned long long)(sec / 3600), (unsigned long long)(sec / 60 % 60));
}

double units_kib_to_mib(uint64_t kib)
{
    /* Integer rounding to hundredths keeps 1.005 MiB from wobbling with the binary double. */
    uint64_t hundredths = kib / 1024 * 100 + ((kib % 1024) * 100 + 512) / 1024;
    return (double)hundredths / 100.0;
}

/* A size unit and the bytes it stands for. */
struct units_size_unit {
    const char *name;
    double bytes;
};

static const struct units_size_unit units_sizes[] = {
    {"", 1.0}, {"B", 1.0},
    {"K", 1024.0}, {"KiB", 1024.0}, {"kB", 1e3}, {"KB", 1e3},
    {"M", 1048576.0}, {"MiB", 1048576.0}, {"MB", 1e6},
    {"G", 1073741824.0}, {"GiB", 1073741824.0}, {"GB", 1e9},
    {"T", 1099511627776.0}, {"TiB", 1099511627776.0}, {"TB", 1e12},
};

#define UNITS_SIZE_LIMIT 4611686018427387904.0 /* 2^62 bytes: far above any machine, far below overflow */

int units_parse_size_bytes(const char *text, uint64_t *bytes)
{
    /* Digits, at most one '.', digits: no sign, exponent, hex or spaces, which strtod alone would take. */
    size_t n = 0;
    bool dot = false;
    while (text != NULL && (isdigit((unsigned char)text[n]) || (text[n] == '.' && !dot))) {
        dot |= text[n] == '.';
        n++;
    }
    if (n == 0 || !isdigit((unsigned char)text[0]))
        return -1;
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno != 0 || end != text + n || !(v >= 0.0))
        return -1;
    for (size_t i = 0; i < sizeof units_sizes / sizeof units_sizes[0]; i++) {
        if (strcmp(end, units_sizes[i].name) != 0)
            continue;
        double b = ceil(v * units_sizes[i].bytes);
        if (!(b <= UNITS_SIZE_LIMIT))
            return -1;
        *bytes = (uint64_t)b;
        return 0;
    }
    return -1;
}
