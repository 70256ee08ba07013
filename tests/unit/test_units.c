/* Unit tests of units.c: what -i accepts and rejects, and how sizes and times print at their boundaries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "units.h"

struct duration_case {
    const char *text;
    enum units_duration_status rc;
    uint32_t ms;
};

#define OK UNITS_DURATION_OK
#define BAD UNITS_DURATION_INVALID
#define ZERO UNITS_DURATION_ZERO
#define TOOLONG UNITS_DURATION_TOO_LONG

static void test_duration_table(void **state)
{
    (void)state;
    static const struct duration_case cases[] = {
        {"500", OK, 500},       {"50ms", OK, 50},       {"2s", OK, 2000},         {"1.5s", OK, 1500},
        {"1m", OK, 60000},      {"1", OK, 1},           {"0.25s", OK, 250},       {"1.000s", OK, 1000},
        {"2h", OK, 7200000},    {"4294967295", OK, 4294967295u},
        {"0", ZERO, 0},         {"0ms", ZERO, 0},       {"0.0s", ZERO, 0},        {"00h", ZERO, 0},
        {"-5", BAD, 0},         {"", BAD, 0},           {"abc", BAD, 0},          {"5x", BAD, 0},
        {"5 s", BAD, 0},        {" 5", BAD, 0},         {"5s ", BAD, 0},          {"5msx", BAD, 0},
        {"+5", BAD, 0},         {"1.", BAD, 0},         {".5s", BAD, 0},          {"1.5", BAD, 0},
        {"1.5ms", BAD, 0},      {"1.0005s", BAD, 0},    {"5S", BAD, 0},           {"0x10", BAD, 0},
        {"0.0001s", BAD, 0},    {"99999999999999999999999x", BAD, 0},
        {"4294967296", TOOLONG, 0}, {"99999999999999999999999", TOOLONG, 0},            {"4294968s", TOOLONG, 0},
        {"71583m", TOOLONG, 0},    {"1194.0h", TOOLONG, 0},   {"18446744073709551616h", TOOLONG, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        uint32_t ms = 12345;
        enum units_duration_status rc = units_parse_duration_ms(cases[i].text, &ms);
        print_message("duration '%s'\n", cases[i].text);
        assert_int_equal(rc, cases[i].rc);
        if (cases[i].rc == OK)
            assert_int_equal(ms, cases[i].ms);
        else
            assert_int_equal(ms, 12345); /* untouched on failure */
    }
    assert_int_equal(units_parse_duration_ms(NULL, &(uint32_t){0}), BAD);
}

struct size_case {
    uint64_t kib;
    const char *text;
};

static void test_size_boundaries(void **state)
{
    (void)state;
    static const struct size_case cases[] = {
        {0, "0.0 KiB"},
        {1, "1.0 KiB"},
        {512, "512.0 KiB"},
        {1023, "1023.0 KiB"},
        {1024, "1.0 MiB"},
        {1075, "1.0 MiB"},          /* 1.0498 */
        {1076, "1.1 MiB"},          /* 1.0508 */
        {912 * 1024, "912.0 MiB"},
        {1048575, "1.0 GiB"},       /* 1023.999 MiB rounds to a whole GiB, never "1024.0 MiB" */
        {1048576, "1.0 GiB"},
        {1048524, "1023.9 MiB"},
        {6710886, "6.4 GiB"},
        {1024ull * 1024 * 1024 * 3, "3072.0 GiB"},
    };
    char buf[UNITS_SIZE_MAX];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        units_format_size(cases[i].kib, buf, sizeof buf);
        assert_string_equal(buf, cases[i].text);
    }
    units_format_size(UINT64_MAX, buf, sizeof buf); /* must not overflow or crash */
    assert_non_null(strstr(buf, "GiB"));
}

/* Every accepted spelling of a memory size, and the refused ones. */
static void test_parse_sizes(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        uint64_t bytes;
    } ok[] = {
        {"1048576", 1048576},          {"512M", 512ull << 20},      {"8G", 8ull << 30},
        {"1.5GiB", 3ull << 29},        {"700MB", 700000000},       {"4K", 4096},
        {"4KiB", 4096},                {"4kB", 4000},              {"4KB", 4000},
        {"2T", 2ull << 40},            {"1TiB", 1ull << 40},       {"1TB", 1000000000000ull},
        {"100B", 100},                 {"0.5K", 512},              {"1.0001K", 1025}, /* rounded up */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        uint64_t b = 0;
        assert_int_equal(units_parse_size_bytes(ok[i].text, &b), 0);
        assert_int_equal(b, ok[i].bytes);
    }
    static const char *const bad[] = {"", "-5M", "12X", "1e99G", "M", ".5M", "5 M", " 5M", "0x10", "5m",
                                      "1.2.3K", "inf", "nan", "99999999999T", "5MiBs"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        uint64_t b = 7;
        assert_int_equal(units_parse_size_bytes(bad[i], &b), -1);
        assert_int_equal(b, 7);
    }
}

static void test_hms(void **state)
{
    (void)state;
    char buf[UNITS_DURATION_MAX];
    units_format_hms(0, buf, sizeof buf);
    assert_string_equal(buf, "00:00:00");
    units_format_hms(201LL * 1000000000 + 999999999, buf, sizeof buf);
    assert_string_equal(buf, "00:03:21");
    units_format_hms(3600LL * 1000000000, buf, sizeof buf);
    assert_string_equal(buf, "01:00:00");
    units_format_hms(100LL * 3600 * 1000000000 + 61LL * 1000000000, buf, sizeof buf);
    assert_string_equal(buf, "100:01:01");
    units_format_hms(-5, buf, sizeof buf);
    assert_string_equal(buf, "00:00:00");
}

static void test_elapsed(void **state)
{
    (void)state;
    char buf[UNITS_DURATION_MAX];
    units_format_elapsed(45200000000LL, buf, sizeof buf);
    assert_string_equal(buf, "45.2s");
    units_format_elapsed(0, buf, sizeof buf);
    assert_string_equal(buf, "0.0s");
    units_format_elapsed(59960000000LL, buf, sizeof buf); /* rounds up into the next unit */
    assert_string_equal(buf, "1m00s");
    units_format_elapsed(201LL * 1000000000, buf, sizeof buf);
    assert_string_equal(buf, "3m21s");
    units_format_elapsed(3720LL * 1000000000, buf, sizeof buf);
    assert_string_equal(buf, "1h02m");
}

static void test_kib_to_mib(void **state)
{
    (void)state;
    assert_true(units_kib_to_mib(1024) == 1.0);
    assert_true(units_kib_to_mib(0) == 0.0);
    assert_true(units_kib_to_mib(1536) == 1.5);
    char buf[16];
    snprintf(buf, sizeof buf, "%.2f", units_kib_to_mib(1029));
    assert_string_equal(buf, "1.00");
    snprintf(buf, sizeof buf, "%.2f", units_kib_to_mib(1030));
    assert_string_equal(buf, "1.01");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_duration_table), cmocka_unit_test(test_size_boundaries), cmocka_unit_test(test_hms),
        cmocka_unit_test(test_elapsed),        cmocka_unit_test(test_kib_to_mib),
        cmocka_unit_test(test_parse_sizes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
