/* Unit tests of the collector's one UTF-8 decoder and of the rule that makes job text valid UTF-8: each
 * maximal ill-formed subpart becomes one U+FFFD (the expectations are what Python's errors="replace" gives). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

#define R UTF8_REPLACEMENT

static void expect_clean(const char *text, const char *want)
{
    char *copy;
    const char *got = utf8_clean(text, &copy);
    assert_non_null(got);
    assert_string_equal(got, want);
    assert_true(utf8_is_valid(got));
    assert_int_equal(utf8_is_valid(text), copy == NULL);
    if (copy == NULL)
        assert_ptr_equal(got, text); /* valid text is not copied */
    free(copy);
}

static void test_valid_text_is_kept(void **state)
{
    (void)state;
    expect_clean("", "");
    expect_clean("cc -O2 -c a.c", "cc -O2 -c a.c");
    expect_clean("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80");
    expect_clean("\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"); /* U+10FFFF, the last code point */
    expect_clean(R, R);                                   /* a real U+FFFD is text like any other */
    expect_clean("\xEE\x80\x80\xED\x9F\xBF", "\xEE\x80\x80\xED\x9F\xBF"); /* U+E000 and U+D7FF, around surrogates */
}

static void test_invalid_sequences(void **state)
{
    (void)state;
    expect_clean("\x80", R);                               /* lone continuation byte */
    expect_clean("a\x80\xBF" "b", "a" R R "b");            /* two of them: one each */
    expect_clean("\xC0\xAF", R R);                         /* overlong '/' (C0 is never a lead) */
    expect_clean("\xE0\x80\xAF", R R R);                   /* overlong in three bytes */
    expect_clean("\xF0\x80\x80\xAF", R R R R);             /* overlong in four */
    expect_clean("\xED\xA0\x80", R R R);                   /* a UTF-16 surrogate, U+D800 */
    expect_clean("\xED\xBF\xBF", R R R);                   /* U+DFFF */
    expect_clean("x\xE2\x82", "x" R);                      /* cut at the end: one for the whole prefix */
    expect_clean("x\xF0\x9F\x98", "x" R);
    expect_clean("\xC2", R);
    expect_clean("\xE2\x82" "A", R "A");                   /* cut before an ASCII byte */
    expect_clean("\xE2(\xA1", R "(" R);
    expect_clean("\xFF", R);                               /* never in UTF-8 */
    expect_clean("\xFE\xFE", R R);
    expect_clean("\xF5\x80", R R);                         /* past U+10FFFF's leads */
    expect_clean("\xF4\x90\x80\x80", R R R R);             /* U+110000 */
    expect_clean("/tmp/caf\xE9.txt", "/tmp/caf" R ".txt"); /* Latin-1, the common case */
}

static void test_decode(void **state)
{
    (void)state;
    uint32_t cp;
    assert_int_equal(utf8_decode("A", &cp), 1);
    assert_int_equal(cp, 'A');
    assert_int_equal(utf8_decode("\xC3\xA9", &cp), 2);
    assert_int_equal(cp, 0xE9);
    assert_int_equal(utf8_decode("\xE2\x82\xAC", &cp), 3);
    assert_int_equal(cp, 0x20AC);
    assert_int_equal(utf8_decode("\xF0\x9F\x98\x80", &cp), 4);
    assert_int_equal(cp, 0x1F600);
    assert_int_equal(utf8_decode(R, &cp), 3);
    assert_int_equal(cp, 0xFFFD);
    /* Ill-formed: the maximal subpart's length, never past the NUL. */
    assert_int_equal(utf8_decode("\xF0\x9F\x98", &cp), 3);
    assert_true(cp == UTF8_INVALID);
    assert_int_equal(utf8_decode("\xF0\x9F", &cp), 2);
    assert_true(cp == UTF8_INVALID);
    assert_int_equal(utf8_decode("\xED\xA0\x80", &cp), 1);
    assert_true(cp == UTF8_INVALID);
    assert_int_equal(utf8_decode("\xC2", &cp), 1);
    assert_true(cp == UTF8_INVALID);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_text_is_kept),
        cmocka_unit_test(test_invalid_sequences),
        cmocka_unit_test(test_decode),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
