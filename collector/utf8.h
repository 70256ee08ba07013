/* UTF-8: the one decoder the collector uses for untrusted text (argv, exe paths, host names), and the one
 * rule that makes such text valid UTF-8 for report files.
 *
 * The rule is the Unicode Standard's "maximal subpart" practice (chapter 3, U+FFFD substitution), the one
 * Python's errors="replace", WHATWG encoders and ICU follow: each maximal subpart of an ill-formed sequence
 * (the longest prefix of a well-formed sequence, or else one byte) becomes one U+FFFD. So E2 82 41 is
 * U+FFFD 'A', and a surrogate ED A0 80 is three U+FFFD (ED cannot start one with A0 after it). */
#ifndef MEMWATCH_UTF8_H
#define MEMWATCH_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF8_INVALID UINT32_MAX /* what utf8_decode gives for an ill-formed subpart: no code point is it */
#define UTF8_REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD, what replaces one ill-formed subpart */
#define UTF8_REPLACEMENT_LEN 3

/* The character at s (NUL-terminated, *s != 0): returns the bytes it takes (1 to 4) with *cp its code
 * point, or, for ill-formed bytes, the length of their maximal subpart (1 to 3) with *cp UTF8_INVALID. */
size_t utf8_decode(const char *s, uint32_t *cp);

/* Whether text is entirely well-formed UTF-8. */
bool utf8_is_valid(const char *text);

/* text as valid UTF-8: text itself when it is, else a malloc'd copy (stored in *copy, which the caller
 * frees; NULL otherwise) where each maximal ill-formed subpart is U+FFFD. NULL with ENOMEM on no memory. */
const char *utf8_clean(const char *text, char **copy);

#endif
