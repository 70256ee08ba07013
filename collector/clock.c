/* The monotonic clock memwatch orders events by, and its one conversion to RFC 3339 wall-clock text. */
#include "clock.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define CLOCK_NS_PER_SEC 1000000000LL
#define CLOCK_NS_PER_MS 1000000LL
#define CLOCK_FRACTION_DIGITS_MAX 9

static int64_t clock_read_ns(clockid_t id)
{
    struct timespec ts;
    if (clock_gettime(id, &ts) != 0)
        return 0;
    return (int64_t)ts.tv_sec * CLOCK_NS_PER_SEC + ts.tv_nsec;
}

int64_t clock_mono_ns(void)
{
    return clock_read_ns(CLOCK_MONOTONIC);
}

void clock_anchor_now(struct clock_anchor *anchor)
{
    /* The wall reading is taken between two monotonic ones, so the pair is off by at most half the gap. */
    int64_t before = clock_read_ns(CLOCK_MONOTONIC);
    int64_t wall = clock_read_ns(CLOCK_REALTIME);
    int64_t after = clock_read_ns(CLOCK_MONOTONIC);
    anchor->mono_ns = before + (after - before) / 2;
    anchor->wall_ns = wall;
}

int64_t clock_to_wall_ns(const struct clock_anchor *anchor, int64_t mono_ns)
{
    return anchor->wall_ns + (mono_ns - anchor->mono_ns);
}

int64_t clock_from_wall_ns(const struct clock_anchor *anchor, int64_t wall_ns)
{
    return anchor->mono_ns + (wall_ns - anchor->wall_ns);
}

/* Floor division, so instants before the epoch still print a valid time. */
static void clock_split(int64_t ns, time_t *sec, int64_t *rem_ns)
{
    int64_t s = ns / CLOCK_NS_PER_SEC;
    int64_t r = ns % CLOCK_NS_PER_SEC;
    if (r < 0) {
        r += CLOCK_NS_PER_SEC;
        s -= 1;
    }
    *sec = (time_t)s;
    *rem_ns = r;
}

void clock_format_rfc3339(int64_t wall_ns, char *buf, size_t len)
{
    time_t sec;
    int64_t rem_ns;
    struct tm tm;

    if (len == 0)
        return;
    clock_split(wall_ns, &sec, &rem_ns);
    if (gmtime_r(&sec, &tm) == NULL) {
        buf[0] = '\0';
        return;
    }
    int n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(rem_ns / CLOCK_NS_PER_MS));
    if (n < 0 || (size_t)n >= len)
        buf[0] = '\0'; /* a cut timestamp would be misread; an empty one is visibly wrong */
}

/* Reads exactly `digits` decimal digits at *p into *value. */
static bool clock_read_digits(const char **p, int digits, int *value)
{
    int v = 0;
    for (int i = 0; i < digits; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return false;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += digits;
    *value = v;
    return true;
}

static bool clock_expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

/* ".123" (1 to 9 digits) into nanoseconds; no fraction is zero. */
static bool clock_read_fraction(const char **p, int64_t *ns)
{
    int64_t v = 0;
    int digits = 0;

    *ns = 0;
    if (**p != '.')
        return true;
    (*p)++;
    while (isdigit((unsigned char)**p)) {
        if (digits == CLOCK_FRACTION_DIGITS_MAX)
            return false;
        v = v * 10 + (**p - '0');
        digits++;
        (*p)++;
    }
    if (digits == 0)
        return false;
    for (; digits < CLOCK_FRACTION_DIGITS_MAX; digits++)
        v *= 10;
    *ns = v;
    return true;
}

/* "Z", or a "+hh:mm" / "-hh:mm" offset, into seconds east of UTC. */
static bool clock_read_offset(const char **p, int *offset_sec)
{
    int hh, mm;
    char sign = **p;

    if (sign == 'Z' || sign == 'z') {
        (*p)++;
        *offset_sec = 0;
        return true;
    }
    if (sign != '+' && sign != '-')
        return false;
    (*p)++;
    if (!clock_read_digits(p, 2, &hh) || !clock_expect(p, ':') || !clock_read_digits(p, 2, &mm))
        return false;
    if (hh > 23 || mm > 59)
        return false;
    *offset_sec = (hh * 3600 + mm * 60) * (sign == '-' ? -1 : 1);
    return true;
}

static bool clock_fields_valid(const struct tm *tm)
{
    static const int days[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int year = tm->tm_year + 1900;
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

    if (tm->tm_mon < 0 || tm->tm_mon > 11 || tm->tm_mday < 1 || tm->tm_mday > days[tm->tm_mon])
        return false;
    if (tm->tm_mon == 1 && tm->tm_mday == 29 && !leap)
        return false;
    /* 60 is a leap second; timegm folds it into the next minute. */
    return tm->tm_hour <= 23 && tm->tm_min <= 59 && tm->tm_sec <= 60;
}

int clock_parse_rfc3339(const char *text, int64_t *wall_ns)
{
    struct tm tm;
    const char *p = text;
    int64_t frac_ns;
    int offset_sec;

    if (text == NULL)
        return -1;
    memset(&tm, 0, sizeof tm);
    if (!clock_read_digits(&p, 4, &tm.tm_year) || !clock_expect(&p, '-') || !clock_read_digits(&p, 2, &tm.tm_mon)
        || !clock_expect(&p, '-') || !clock_read_digits(&p, 2, &tm.tm_mday))
        return -1;
    if (*p != 'T' && *p != 't')
        return -1;
    p++;
    if (!clock_read_digits(&p, 2, &tm.tm_hour) || !clock_expect(&p, ':') || !clock_read_digits(&p, 2, &tm.tm_min)
        || !clock_expect(&p, ':') || !clock_read_digits(&p, 2, &tm.tm_sec))
        return -1;
    if (!clock_read_fraction(&p, &frac_ns) || !clock_read_offset(&p, &offset_sec) || *p != '\0')
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    if (!clock_fields_valid(&tm))
        return -1;
    time_t sec = timegm(&tm);
    *wall_ns = ((int64_t)sec - offset_sec) * CLOCK_NS_PER_SEC + frac_ns;
    return 0;
}
