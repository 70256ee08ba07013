/* The decoder treats every byte as untrusted: valid messages pass, each kind of damage is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "wire_decode.h"

#define FUZZ_ROUNDS 200000

static size_t make_start(struct mw_image_start *m, const char *argv, size_t argv_len)
{
    memset(m, 0, sizeof *m);
    size_t len = offsetof(struct mw_image_start, argv) + argv_len;
    m->h = (struct mw_header){MW_WIRE_MAGIC, MW_WIRE_VERSION, MW_MSG_IMAGE_START, (uint32_t)len, 0};
    m->ppid = 1;
    m->id = (struct mw_image_id){.starttime_ticks = 4242, .start_ns = 123};
    m->argc = 0;
    for (size_t i = 0; i < argv_len; i++)
        m->argc += argv[i] == '\0';
    m->argv_len = (uint32_t)argv_len;
    memcpy(m->argv, argv, argv_len);
    strcpy(m->exe, "/bin/true");
    return len;
}

static void test_valid_start(void **state)
{
    (void)state;
    struct mw_image_start m;
    size_t len = make_start(&m, "true\0--x", 9);
    struct wire_msg out;
    const char *why;
    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_OK);
    assert_int_equal(out.type, MW_MSG_IMAGE_START);
    assert_int_equal(out.u.start.ppid, 1);
    assert_int_equal(out.u.start.id.starttime_ticks, 4242);
    assert_ptr_equal(wire_msg_image(&out), &out.u.start.id);
    assert_string_equal(out.u.start.argv, "true");
    assert_string_equal(out.u.start.argv + 5, "--x");
}

static void test_start_damage(void **state)
{
    (void)state;
    struct mw_image_start m;
    struct wire_msg out;
    const char *why;
    size_t len = make_start(&m, "a\0b", 4);

    m.h.magic ^= 1;
    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_BAD);
    assert_string_equal(why, "bad magic");
    m.h.magic ^= 1;

    m.h.version = MW_WIRE_VERSION + 1;
    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_BAD);
    m.h.version = MW_WIRE_VERSION;

    assert_int_equal(wire_decode(&m, len - 1, &out, &why), WIRE_BAD); /* header length disagrees */

    m.argv[3] = 'x'; /* unterminated */
    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_BAD);
    m.argv[3] = '\0';

    memset(m.exe, 'e', sizeof m.exe); /* unterminated exe */
    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_BAD);
    strcpy(m.exe, "/x");

    m.argc = 1; /* two strings but argc 1 */
    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_BAD);
    m.argc = 2;

    m.ppid = -5;
    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_BAD);
    m.ppid = 1;

    m.h.request_id = 9; /* nothing of version 2 asks for a reply */
    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_BAD);
    m.h.request_id = 0;

    m.argv_len = 3000; /* lies about its size */
    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_BAD);
    m.argv_len = 4;

    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_OK);
}

static void test_peak_and_child(void **state)
{
    (void)state;
    struct mw_image_peak p = {.h = {MW_WIRE_MAGIC, MW_WIRE_VERSION, MW_MSG_IMAGE_PEAK, sizeof p, 0}};
    p.id = (struct mw_image_id){.starttime_ticks = 77, .start_ns = 1000};
    p.reason = MW_PEAK_EXIT;
    p.hwm_kib = 1000;
    struct wire_msg out;
    const char *why;
    assert_int_equal(wire_decode(&p, sizeof p, &out, &why), WIRE_OK);
    assert_int_equal(out.u.peak.hwm_kib, 1000);
    assert_int_equal(wire_msg_image(&out)->starttime_ticks, 77);
    assert_int_equal(wire_msg_image(&out)->start_ns, 1000);
    assert_int_equal(wire_decode(&p, sizeof p - 8, &out, &why), WIRE_BAD); /* a version 1 peak is shorter */
    p.h.request_id = 1;
    assert_int_equal(wire_decode(&p, sizeof p, &out, &why), WIRE_BAD);
    p.h.request_id = 0;
    p.reason = 77;
    assert_int_equal(wire_decode(&p, sizeof p, &out, &why), WIRE_BAD);
    p.reason = MW_PEAK_EXIT;
    /* I/O counters only with the flag that claims them; no unknown flag, reserved stays 0. */
    p.io_wchar = 5;
    assert_int_equal(wire_decode(&p, sizeof p, &out, &why), WIRE_BAD);
    p.flags = MW_PEAK_HAS_IO;
    assert_int_equal(wire_decode(&p, sizeof p, &out, &why), WIRE_OK);
    assert_int_equal(out.u.peak.io_wchar, 5);
    p.flags = 0x2;
    assert_int_equal(wire_decode(&p, sizeof p, &out, &why), WIRE_BAD);
    p.flags = MW_PEAK_HAS_IO;
    p.reserved = 1;
    assert_int_equal(wire_decode(&p, sizeof p, &out, &why), WIRE_BAD);
    p.reserved = 0;
    assert_int_equal(wire_decode(&p, sizeof p - 40, &out, &why), WIRE_BAD); /* a version 2 peak is shorter */

    struct mw_child_end c = {.h = {MW_WIRE_MAGIC, MW_WIRE_VERSION, MW_MSG_CHILD_END, sizeof c, 0}};
    c.id = (struct mw_image_id){.starttime_ticks = 5, .start_ns = 6};
    c.child_pid = 8;
    c.flags = MW_CHILD_HAS_RUSAGE;
    assert_int_equal(wire_decode(&c, sizeof c, &out, &why), WIRE_OK);
    assert_int_equal(out.u.child.child_pid, 8);
    assert_int_equal(wire_msg_image(&out)->starttime_ticks, 5); /* the reaper's image */
    c.child_pid = 0;
    assert_int_equal(wire_decode(&c, sizeof c, &out, &why), WIRE_BAD);
    c.child_pid = 8;
    c.flags = 0x80;
    assert_int_equal(wire_decode(&c, sizeof c, &out, &why), WIRE_BAD);
}

/* A kill peak names its target (pid and start time) and a signal; the sender's image is its id. */
static void test_kill_peak(void **state)
{
    (void)state;
    struct mw_kill_peak k = {.h = {MW_WIRE_MAGIC, MW_WIRE_VERSION, MW_MSG_KILL_PEAK, sizeof k, 0}};
    k.id = (struct mw_image_id){.starttime_ticks = 9, .start_ns = 10};
    k.target_pid = 1234;
    k.signal = 15;
    k.target_starttime = 4321;
    k.hwm_kib = 65536;
    struct wire_msg out;
    const char *why;
    assert_int_equal(wire_decode(&k, sizeof k, &out, &why), WIRE_OK);
    assert_int_equal(out.u.kill.hwm_kib, 65536);
    assert_int_equal(out.u.kill.target_starttime, 4321);
    assert_int_equal(wire_msg_image(&out)->starttime_ticks, 9); /* the killer's image */
    assert_int_equal(wire_decode(&k, sizeof k - 8, &out, &why), WIRE_BAD);
    k.target_pid = 0;
    assert_int_equal(wire_decode(&k, sizeof k, &out, &why), WIRE_BAD);
    k.target_pid = 1234;
    k.signal = 0;
    assert_int_equal(wire_decode(&k, sizeof k, &out, &why), WIRE_BAD);
    k.signal = 15;
    k.h.request_id = 2;
    assert_int_equal(wire_decode(&k, sizeof k, &out, &why), WIRE_BAD);
}

/* A message of the first wire version (connection-based, pid in the body) is refused as a whole. */
static void test_version_one_refused(void **state)
{
    (void)state;
    struct mw_image_start m;
    size_t len = make_start(&m, "a", 2);
    m.h.version = 1;
    struct wire_msg out;
    const char *why;
    assert_int_equal(wire_decode(&m, len, &out, &why), WIRE_BAD);
    assert_string_equal(why, "unsupported version");
}

static void test_unknown_type_is_not_an_error(void **state)
{
    (void)state;
    struct mw_header h = {MW_WIRE_MAGIC, MW_WIRE_VERSION, 99, sizeof h, 0};
    struct wire_msg out;
    const char *why;
    assert_int_equal(wire_decode(&h, sizeof h, &out, &why), WIRE_UNKNOWN_TYPE);
    assert_null(wire_msg_image(&out));
    assert_int_equal(wire_decode(&h, 3, &out, &why), WIRE_BAD);
    /* A reply type of a later version is not an error either: it may carry a request id. */
    struct mw_header reply = {MW_WIRE_MAGIC, MW_WIRE_VERSION, 0x100, sizeof reply, 3};
    assert_int_equal(wire_decode(&reply, sizeof reply, &out, &why), WIRE_UNKNOWN_TYPE);
}

/* Random and mutated inputs never crash the decoder, and anything it accepts is internally consistent. */
static void test_fuzz_never_crashes(void **state)
{
    (void)state;
    static unsigned char buf[MW_WIRE_MAX_MESSAGE + 64];
    struct mw_image_start seed;
    size_t seed_len = make_start(&seed, "cc\0-c\0x.c", 10);
    srand(1234);
    for (int i = 0; i < FUZZ_ROUNDS; i++) {
        size_t len;
        if (i % 2) {
            memcpy(buf, &seed, seed_len);
            len = seed_len;
            for (int k = 0; k < 4; k++)
                buf[(size_t)rand() % len] = (unsigned char)rand();
        } else {
            len = (size_t)rand() % sizeof buf;
            for (size_t k = 0; k < len; k++)
                buf[k] = (unsigned char)rand();
            if (len >= sizeof(struct mw_header)) {
                struct mw_header h = {MW_WIRE_MAGIC, MW_WIRE_VERSION, (uint16_t)(1 + rand() % 3), (uint32_t)len, 0};
                memcpy(buf, &h, sizeof h);
            }
        }
        struct wire_msg out;
        const char *why;
        if (wire_decode(buf, len, &out, &why) == WIRE_OK && out.type == MW_MSG_IMAGE_START) {
            assert_true(out.u.start.argv_len <= MW_ARGV_MAX);
            assert_non_null(memchr(out.u.start.exe, '\0', MW_EXE_MAX));
        }
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_start),
        cmocka_unit_test(test_start_damage),
        cmocka_unit_test(test_peak_and_child),
        cmocka_unit_test(test_kill_peak),
        cmocka_unit_test(test_version_one_refused),
        cmocka_unit_test(test_unknown_type_is_not_an_error),
        cmocka_unit_test(test_fuzz_never_crashes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
