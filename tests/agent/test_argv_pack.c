/* Unit tests of argv packing into the wire's fixed argv buffer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "argv_pack.h"
#include "memwatch/wire.h"

static void test_fits(void **state)
{
    (void)state;
    char *argv[] = {"sh", "-c", "", "echo hi", NULL};
    char buf[64];
    struct argv_pack_result r = argv_pack(argv, 4, buf, sizeof(buf));
    assert_false(r.truncated);
    assert_int_equal(r.count, 4);
    assert_int_equal(r.len, 3 + 3 + 1 + 8);
    assert_memory_equal(buf, "sh\0-c\0\0echo hi\0", r.len);
}

static void test_exact_fit(void **state)
{
    (void)state;
    char *argv[] = {"abc", "de", NULL};
    char buf[7];
    struct argv_pack_result r = argv_pack(argv, 2, buf, sizeof(buf));
    assert_false(r.truncated);
    assert_int_equal(r.len, 7);
    assert_int_equal(r.count, 2);
}

static void test_truncated_keeps_prefix(void **state)
{
    (void)state;
    char *argv[] = {"abc", "defghij", "k", NULL};
    char buf[8];
    struct argv_pack_result r = argv_pack(argv, 3, buf, sizeof(buf));
    assert_true(r.truncated);
    assert_int_equal(r.len, 8);
    assert_int_equal(r.count, 2);
    assert_memory_equal(buf, "abc\0def\0", 8);
}

static void test_no_room_for_partial(void **state)
{
    (void)state;
    char *argv[] = {"abcdef", "xy", NULL};
    char buf[8];
    struct argv_pack_result r = argv_pack(argv, 2, buf, sizeof(buf));
    assert_true(r.truncated);
    assert_int_equal(r.count, 1); /* one byte left: no empty-looking argument is invented */
    assert_int_equal(r.len, 7);
}

static void test_stops_at_null_and_handles_null_argv(void **state)
{
    (void)state;
    char *argv[] = {"only", NULL};
    char buf[16];
    struct argv_pack_result r = argv_pack(argv, 5, buf, sizeof(buf));
    assert_false(r.truncated);
    assert_int_equal(r.count, 1);
    r = argv_pack(NULL, 3, buf, sizeof(buf));
    assert_int_equal(r.len, 0);
    assert_int_equal(r.count, 0);
    r = argv_pack(argv, 0, buf, sizeof(buf));
    assert_int_equal(r.len, 0);
}

static void test_huge_argv_in_wire_buffer(void **state)
{
    (void)state;
    static char arg[100];
    static char *argv[1001];
    memset(arg, 'x', sizeof(arg) - 1);
    for (size_t i = 0; i < 1000; i++)
        argv[i] = arg;
    char buf[MW_ARGV_MAX];
    memset(buf, 0x7f, sizeof(buf));
    struct argv_pack_result r = argv_pack(argv, 1000, buf, sizeof(buf));
    assert_true(r.truncated);
    assert_int_equal(r.len, MW_ARGV_MAX);
    assert_int_equal(buf[MW_ARGV_MAX - 1], '\0');
    /* Every packed string is terminated within the buffer. */
    size_t strings = 0;
    for (size_t i = 0; i < r.len; i++)
        strings += buf[i] == '\0';
    assert_int_equal(strings, r.count);
    assert_int_equal(r.count, MW_ARGV_MAX / 100 + 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fits),
        cmocka_unit_test(test_exact_fit),
        cmocka_unit_test(test_truncated_keeps_prefix),
        cmocka_unit_test(test_no_room_for_partial),
        cmocka_unit_test(test_stops_at_null_and_handles_null_argv),
        cmocka_unit_test(test_huge_argv_in_wire_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
