/* Unit tests of the one /proc/PID/stat parser (common/procstat.c) that the agent and the inspector share. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../common/procstat.h"

#define TEST_STAT_BUF_MAX 1024

/* Fields 3 onwards of a real line; field 24 (rss) is 345, 26 (startcode) 4194304. */
#define TAIL_FIELDS                                                                                            \
    "S 1 4242 4242 0 -1 4194560 123 0 0 0 71 29 0 0 20 0 3 0 987654 12345678 345 18446744073709551615 "      \
    "4194304 4196000 140736 0 0 0 0 0 0 0 0 0 17 2 0 0 0 0 0\n"

static int parse(const char *text, struct procstat *st) { return procstat_parse(text, strlen(text), st); }

static void test_sample(void **state)
{
    (void)state;
    struct procstat st;
    assert_int_equal(parse("4242 (cc1) " TAIL_FIELDS, &st), 0);
    assert_string_equal(st.comm, "cc1");
    assert_int_equal(st.state, 'S');
    assert_int_equal(st.ppid, 1);
    assert_int_equal(st.utime_ticks, 71);
    assert_int_equal(st.stime_ticks, 29);
    assert_int_equal(st.threads, 3);
    assert_int_equal(st.starttime_ticks, 987654);
    assert_int_equal(st.rss_pages, 345);
    assert_int_equal(st.code_start, 4194304);
}

/* A name may hold spaces, '(' and ") " followed by what looks like fields: only the last ')' ends it. */
static void test_comm_with_parens(void **state)
{
    (void)state;
    struct procstat st;
    assert_int_equal(parse("4242 (we) (ird) S 9 9 name) " TAIL_FIELDS, &st), 0);
    assert_string_equal(st.comm, "we) (ird) S 9 9 name");
    assert_int_equal(st.ppid, 1);
    assert_int_equal(st.starttime_ticks, 987654);
    assert_int_equal(parse("7 ()) " TAIL_FIELDS, &st), 0);
    assert_string_equal(st.comm, ")");
    assert_int_equal(parse("7 () " TAIL_FIELDS, &st), 0);
    assert_string_equal(st.comm, "");
    /* Kernel threads have names longer than TASK_COMM_LEN; one longer than ours is cut, NUL-terminated. */
    char line[TEST_STAT_BUF_MAX];
    snprintf(line, sizeof line, "7 (%0100d) %s", 0, TAIL_FIELDS);
    assert_int_equal(parse(line, &st), 0);
    assert_int_equal(strlen(st.comm), PROCSTAT_COMM_MAX - 1);
}

/* Every prefix of a line that stops before field 24 is whole is refused; after it, startcode is optional. */
static void test_truncated(void **state)
{
    (void)state;
    const char line[] = "4242 (a b) " TAIL_FIELDS;
    const char *rss = strstr(line, " 345 ") + 1;
    size_t whole = (size_t)(rss - line) + strlen("345 ");
    struct procstat st;
    for (size_t len = 0; len < whole; len++)
        assert_int_equal(procstat_parse(line, len, &st), -1);
    assert_int_equal(procstat_parse(line, whole, &st), 0);
    assert_int_equal(st.rss_pages, 345);
    assert_int_equal(st.code_start, 0); /* not there */
    const char *code = strstr(line, " 4194304 ") + 1;
    assert_int_equal(procstat_parse(line, (size_t)(code - line) + 3, &st), 0);
    assert_int_equal(st.code_start, 0); /* cut: not believed */
    /* A line with no newline, ending right after field 24's space, and one stopping at field 24. */
    assert_int_equal(parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 7 ", &st), 0);
    assert_int_equal(st.rss_pages, 7);
    assert_int_equal(parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 7\n", &st), 0);
    assert_int_equal(parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0\n", &st), -1);
}

static void test_huge_numbers(void **state)
{
    (void)state;
    struct procstat st;
    /* The largest u64 fits (rsslim is often it); one more does not. */
    assert_int_equal(parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 18446744073709551615 0 7\n", &st), 0);
    assert_true(st.starttime_ticks == UINT64_MAX);
    assert_int_equal(parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 18446744073709551616 0 7\n", &st), -1);
    assert_int_equal(parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 99999999999999999999999 1 0 0 20 0 1 0 5 0 7\n", &st),
                     -1);
    /* A parent pid past what pid_t holds is no pid. */
    assert_int_equal(parse("1 (x) S 2147483648 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 7\n", &st), -1);
    assert_int_equal(parse("1 (x) S 2147483647 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 7\n", &st), 0);
    assert_int_equal(st.ppid, 2147483647);
}

static void test_malformed(void **state)
{
    (void)state;
    struct procstat st;
    assert_int_equal(parse("", &st), -1);
    assert_int_equal(parse("4242 name S 1 2 3\n", &st), -1);                       /* no parentheses */
    assert_int_equal(parse("4242 )x( S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 7\n", &st), -1); /* reversed */
    assert_int_equal(parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 12ab 0 7\n", &st), -1);
    assert_int_equal(parse("1 (x) S -1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 7\n", &st), -1);
    assert_int_equal(parse("1 (x) SS 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 7\n", &st), -1);
    assert_int_equal(parse("1 (x)S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0 7\n", &st), -1);
    /* Negative fields memwatch does not read (priority, nice) are fine. */
    assert_int_equal(parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 -51 -20 1 0 5 0 7\n", &st), 0);
    /* A failure leaves nothing half-filled. */
    assert_int_equal(parse("1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 5 0\n", &st), -1);
    assert_int_equal(st.ppid, 0);
    assert_int_equal(st.comm[0], '\0');
}

/* This process's own line, read as the agent and the inspector read it. */
static void test_self(void **state)
{
    (void)state;
    char buf[TEST_STAT_BUF_MAX];
    FILE *f = fopen("/proc/self/stat", "r");
    assert_non_null(f);
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    struct procstat st;
    assert_int_equal(procstat_parse(buf, n, &st), 0);
    assert_string_equal(st.comm, "test_procstat");
    assert_int_equal(st.state, 'R');
    assert_true(st.ppid > 0);
    assert_true(st.starttime_ticks > 0);
    assert_true(st.rss_pages > 0);
    assert_true(st.threads >= 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample),        cmocka_unit_test(test_comm_with_parens), cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_huge_numbers),  cmocka_unit_test(test_malformed),        cmocka_unit_test(test_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
