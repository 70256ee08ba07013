/* UTF-8 decoding and cleaning of untrusted text: one table of well-formed sequences (Unicode Table 3-7). */
#include "utf8.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* A lead byte's range, the sequence length it starts and the range its second byte must fall in (which
 * rules out overlong forms, surrogates and code points past U+10FFFF); later bytes are 80..BF. */
struct utf8_form {
    unsigned char lead_min, lead_max, len, second_min, second_max;
};

static const struct utf8_form utf8_forms[] = {
    {0xC2, 0xDF, 2, 0x80, 0xBF}, {0xE0, 0xE0, 3, 0xA0, 0xBF}, {0xE1, 0xEC, 3, 0x80, 0xBF},
    {0xED, 0xED, 3, 0x80, 0x9F}, {0xEE, 0xEF, 3, 0x80, 0xBF}, {0xF0, 0xF0, 4, 0x90, 0xBF},
    {0xF1, 0xF3, 4, 0x80, 0xBF}, {0xF4, 0xF4, 4, 0x80, 0x8F},
};

#define UTF8_N_FORMS (sizeof utf8_forms / sizeof utf8_forms[0])

size_t utf8_decode(const char *s, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s;
    *cp = p[0];
    if (p[0] < 0x80)
        return 1;
    *cp = UTF8_INVALID;
    for (size_t f = 0; f < UTF8_N_FORMS; f++) {
        const struct utf8_form *form = &utf8_forms[f];
        if (p[0] < form->lead_min || p[0] > form->lead_max)
            continue;
        if (p[1] < form->second_min || p[1] > form->second_max) /* also stops at the NUL */
            return 1;
        uint32_t v = p[0] & (0x7Fu >> form->len);
        for (size_t i = 1; i < form->len; i++) {
            if (i > 1 && (p[i] & 0xC0) != 0x80)
                return i; /* the well-formed prefix so far is the maximal subpart */
            v = (v << 6) | (p[i] & 0x3Fu);
        }
        *cp = v;
        return form->len;
    }
    return 1; /* a continuation byte, C0, C1 or F5..FF: never a lead */
}

bool utf8_is_valid(const char *text)
{
    for (const char *s = text; *s != '\0';) {
        uint32_t cp;
        s += utf8_decode(s, &cp);
        if (cp == UTF8_INVALID)
            return false;
    }
    return true;
}

const char *utf8_clean(const char *text, char **copy)
{
    *copy = NULL;
    if (utf8_is_valid(text))
        return text;
    /* Each ill-formed subpart is at least one byte and becomes UTF8_REPLACEMENT_LEN. */
    size_t n = strlen(text);
    char *out = malloc(n * UTF8_REPLACEMENT_LEN + 1);
    if (out == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    char *w = out;
    for (const char *s = text; *s != '\0';) {
        uint32_t cp;
        size_t len = utf8_decode(s, &cp);
        if (cp == UTF8_INVALID) {
            memcpy(w, UTF8_REPLACEMENT, UTF8_REPLACEMENT_LEN);
            w += UTF8_REPLACEMENT_LEN;
        } else {
            memcpy(w, s, len);
            w += len;
        }
        s += len;
    }
    *w = '\0';
    *copy = out;
    return out;
}
