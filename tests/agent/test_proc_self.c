/* Unit tests of the /proc/self/status parser, on sample texts and on this process, and of reading
 * /proc/self/stat (its parser, common/procstat.c, is tested in tests/unit/test_procstat.c). */
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
    struct procstatus st;
    assert_int_equal(procstatus_parse(status_sample, strlen(status_sample), &st), 0);
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
    struct procstatus st;
    assert_int_equal(procstatus_parse(copy, len, &st), -1);
    assert_false(st.has_hwm);
    free(copy);
}

static void test_status_without_memory(void **state)
{
    (void)state;
    /* Kernel threads and zombies have no Vm lines. */
    const char text[] = "Name:\tkthreadd\nState:\tS (sleeping)\n";
    struct procstatus st;
    assert_int_equal(procstatus_parse(text, strlen(text), &st), -1);
    const char bad[] = "VmHWM:\t  12x kB\nVmRSS:\t99999999999999999999999 kB\n";
    assert_int_equal(procstatus_parse(bad, strlen(bad), &st), -1);
    const char no_unit[] = "VmHWM:\t 12\n";
    assert_int_equal(procstatus_parse(no_unit, strlen(no_unit), &st), -1);
}

static void test_self(void **state)
{
    (void)state;
    struct procstatus st;
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
        cmocka_unit_test(test_self),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
