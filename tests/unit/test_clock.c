/* Unit tests of clock.c: RFC 3339 text both ways, and the monotonic-to-wall anchor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "clock.h"

#define NS 1000000000LL

static void test_format_known_instants(void **state)
{
    (void)state;
    char buf[CLOCK_RFC3339_MAX];
    clock_format_rfc3339(0, buf, sizeof buf);
    assert_string_equal(buf, "1970-01-01T00:00:00.000Z");
    /* 2026-11-22T02:06:18.123Z */
    clock_format_rfc3339(1795313178LL * NS + 123456789, buf, sizeof buf);
    assert_string_equal(buf, "2026-11-22T02:06:18.123Z");
    clock_format_rfc3339(-1, buf, sizeof buf); /* a nanosecond before the epoch floors, not truncates */
    assert_string_equal(buf, "1969-12-31T23:59:59.999Z");
    clock_format_rfc3339(0, buf, 10); /* too small: empty, never a cut timestamp */
    assert_string_equal(buf, "");
}

static void test_parse_round_trip(void **state)
{
    (void)state;
    static const int64_t instants[] = {0, 1795313178LL * NS + 123000000, 951782400LL * NS + 999000000,
                                       4102444799LL * NS};
    char buf[CLOCK_RFC3339_MAX];
    for (size_t i = 0; i < sizeof instants / sizeof instants[0]; i++) {
        int64_t back = -1;
        clock_format_rfc3339(instants[i], buf, sizeof buf);
        assert_int_equal(clock_parse_rfc3339(buf, &back), 0);
        assert_int_equal(back, instants[i]);
    }
}

static void test_parse_variants(void **state)
{
    (void)state;
    int64_t t = 0;
    assert_int_equal(clock_parse_rfc3339("2026-11-22T02:06:18Z", &t), 0);
    assert_int_equal(t, 1795313178LL * NS);
    assert_int_equal(clock_parse_rfc3339("2026-11-22T02:06:18.5Z", &t), 0);
    assert_int_equal(t, 1795313178LL * NS + 500000000);
    assert_int_equal(clock_parse_rfc3339("2026-11-22T03:06:18.000+01:00", &t), 0);
    assert_int_equal(t, 1795313178LL * NS);
    assert_int_equal(clock_parse_rfc3339("2000-02-29T00:00:00Z", &t), 0);

    static const char *const bad[] = {
        "",  "2026-11-22", "2026-11-22T02:06:18", "2026-11-22T02:06:18.Z", "2026-11-22 02:06:18Z",
        "2026-13-01T00:00:00Z", "2026-02-29T00:00:00Z", "2026-11-22T24:00:00Z", "2026-11-22T02:06:18Zjunk",
        "2026-11-22T02:06:18.1234567890Z", "26-11-22T02:06:18Z",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        print_message("rejects '%s'\n", bad[i]);
        assert_int_equal(clock_parse_rfc3339(bad[i], &t), -1);
    }
}

static void test_anchor(void **state)
{
    (void)state;
    struct clock_anchor a;
    int64_t before = clock_mono_ns();
    clock_anchor_now(&a);
    int64_t after = clock_mono_ns();
    assert_true(before > 0);
    assert_true(a.mono_ns >= before && a.mono_ns <= after);
    assert_true(a.wall_ns > 1600000000LL * NS); /* the wall clock is past 2020 */
    assert_int_equal(clock_to_wall_ns(&a, a.mono_ns + 5 * NS), a.wall_ns + 5 * NS);
    assert_int_equal(clock_from_wall_ns(&a, clock_to_wall_ns(&a, 123456789)), 123456789);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format_known_instants),
        cmocka_unit_test(test_parse_round_trip),
        cmocka_unit_test(test_parse_variants),
        cmocka_unit_test(test_anchor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
