/* Unit tests of the /proc/self/status and /proc/self/stat parsers, on sample texts and on this process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proc_self.h"

static const char status_sample[] = "Name:\tpython3\n"
                                    "Umask:\t0022\n"
                                    "State:\tS (sleeping)\n"
                                    "VmPeak:\t  312340 kB\n"
                                    "VmSize:\t  312340 kB\n"
                                    "VmHWM:\t  204812 kB\n"
                                    "VmRSS:\t   10240 kB\n"
                                    "RssAnon:\t    8000 kB\n"
                                    "Threads:\t1\n";

static void test_status_sample(void **state)
{
    (void)state;
    struct proc_status st;
    assert_int_equal(proc_parse_status(status_sample, strlen(status_sample), &st), 0);
    assert_true(st.has_hwm);
    assert_true(st.has_rss);
    assert_int_equal(st.hwm_kib, 204812);
    assert_int_equal(st.rss_kib, 10240);
}

static void test_status_length_bound(void **state)
{
    (void)state;
    /* Cut inside the VmHWM line: the parser must not read past len, nor take the cut number. */
    const char *cut = strstr(status_sample, "VmHWM:");
    size_t len = (size_t)(cut - status_sample) + strlen("VmHWM:\t  2048");
    char *copy = malloc(len); /* exactly len bytes: ASan catches any read beyond */
    assert_non_null(copy);
    memcpy(copy, status_sample, len);
    struct proc_status st;
    assert_int_equal(proc_parse_status(copy, len, &st), -1);
    assert_false(st.has_hwm);
    free(copy);
}

static void test_status_without_memory(void **state)
{
    (void)state;
    /* Kernel threads and zombies have no Vm lines. */
    const char text[] = "Name:\tkthreadd\nState:\tS (sleeping)\n";
    struct proc_status st;
    assert_int_equal(proc_parse_status(text, strlen(text), &st), -1);
    const char bad[] = "VmHWM:\t  12x kB\nVmRSS:\t99999999999999999999999 kB\n";
    assert_int_equal(proc_parse_status(bad, strlen(bad), &st), -1);
    const char no_unit[] = "VmHWM:\t 12\n";
    assert_int_equal(proc_parse_status(no_unit, strlen(no_unit), &st), -1);
}

static void test_stat_sample(void **state)
{
    (void)state;
    /* comm may contain spaces and ") ": only the last ')' ends it. */
    const char text[] = "4242 (we) (ird) name) S 1 4242 4242 0 -1 4194560 123 0 0 0 "
                        "71 29 0 0 20 0 1 0 987654 12345678 345 18446744073709551615\n";
    struct proc_stat st;
    assert_int_equal(proc_parse_stat(text, strlen(text), &st), 0);
    assert_int_equal(st.utime_ticks, 71);
    assert_int_equal(st.stime_ticks, 29);
    assert_int_equal(st.starttime_ticks, 987654);
}

static void test_stat_malformed(void **state)
{
    (void)state;
    struct proc_stat st;
    const char no_paren[] = "4242 name S 1 2 3\n";
    assert_int_equal(proc_parse_stat(no_paren, strlen(no_paren), &st), -1);
    const char short_line[] = "4242 (x) S 1 4242 4242 0 -1 4194560 123 0 0 0 71 29\n";
    assert_int_equal(proc_parse_stat(short_line, strlen(short_line), &st), -1);
    const char not_number[] = "1 (x) S 1 1 1 0 -1 0 0 0 0 0 1 1 0 0 20 0 1 0 12ab 0 0\n";
    assert_int_equal(proc_parse_stat(not_number, strlen(not_number), &st), -1);
}

static void test_self(void **state)
{
    (void)state;
    struct proc_status st;
    assert_int_equal(proc_self_status(&st), 0);
    assert_true(st.has_hwm);
    assert_true(st.hwm_kib >= st.rss_kib);
    assert_true(st.rss_kib > 0);
    struct proc_stat ps;
    assert_int_equal(proc_self_stat(&ps), 0);
    assert_true(ps.starttime_ticks > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_status_sample),
        cmocka_unit_test(test_status_length_bound),
        cmocka_unit_test(test_status_without_memory),
        cmocka_unit_test(test_stat_sample),
        cmocka_unit_test(test_stat_malformed),
        cmocka_unit_test(test_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
