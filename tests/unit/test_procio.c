/* Unit tests of the one /proc/PID/io parser (common/procio.c) that the agent and the inspector share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/procio.h"

#define IO_TEXT                                                                                                \
    "rchar: 5251\nwchar: 5242880\nsyscr: 12\nsyscw: 5\nread_bytes: 4096\nwrite_bytes: 5246976\n"             \
    "cancelled_write_bytes: 0\n"

static int parse(const char *text, struct procio *io) { return procio_parse(text, strlen(text), io); }

static void test_sample(void **state)
{
    (void)state;
    struct procio io;
    assert_int_equal(parse(IO_TEXT, &io), 0);
    assert_int_equal(io.rchar, 5251);
    assert_int_equal(io.wchar, 5242880);
    assert_int_equal(io.read_bytes, 4096);
    assert_int_equal(io.write_bytes, 5246976);
}

/* Every prefix that cuts one of the four lines short is refused: a cut number is never believed. */
static void test_truncated(void **state)
{
    (void)state;
    struct procio io;
    const char *last = strstr(IO_TEXT, "\ncancelled");
    size_t whole = (size_t)(last - IO_TEXT) + 1;
    for (size_t n = 0; n < whole; n++) {
        assert_int_equal(procio_parse(IO_TEXT, n, &io), -1);
        assert_int_equal(io.wchar, 0);
    }
    for (size_t n = whole; n <= strlen(IO_TEXT); n++)
        assert_int_equal(procio_parse(IO_TEXT, n, &io), 0);
}

static void test_malformed(void **state)
{
    (void)state;
    struct procio io;
    assert_int_equal(parse("rchar: 1\nwchar: x\nread_bytes: 1\nwrite_bytes: 1\n", &io), -1);
    assert_int_equal(parse("rchar: 1\nwchar: -1\nread_bytes: 1\nwrite_bytes: 1\n", &io), -1);
    assert_int_equal(parse("rchar: 1\nwchar: 18446744073709551616\nread_bytes: 1\nwrite_bytes: 1\n", &io), -1);
    assert_int_equal(parse("rchar: 1\nrchar: 2\nwchar: 1\nread_bytes: 1\nwrite_bytes: 1\n", &io), -1);
    assert_int_equal(parse("rchar: 1\nwchar: 1\nread_bytes: 1\n", &io), -1);
    assert_int_equal(parse("", &io), -1);
    assert_int_equal(parse("rchar: 18446744073709551615\nwchar: 0\nread_bytes: 0\nwrite_bytes: 0\n", &io), 0);
    assert_true(io.rchar == UINT64_MAX);
}

/* This process's own file, when the kernel has task I/O accounting. */
static void test_self(void **state)
{
    (void)state;
    char buf[PROCIO_TEXT_MAX];
    FILE *f = fopen("/proc/self/io", "r");
    if (f == NULL)
        skip();
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    struct procio io;
    assert_int_equal(procio_parse(buf, n, &io), 0);
    assert_true(io.rchar > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
