/* Unit tests of live.c's pure parts: the line at each width, with and without colour, the bar's proportions,
 * names cut safely in display columns, the terminal frames; and the --live option. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cli.h"
#include "live.h"

#define MIB 1024ull
#define GIB (1024ull * 1024ull)
#define NS_PER_SEC 1000000000LL

/* The example of the issue: 12.3 s in, 840 MiB now, 1.2 GiB peak, 14 processes, cc1 the largest. */
static struct live_view example_view(void)
{
    struct live_view v = {
        .elapsed_ns = 12 * NS_PER_SEC + 300000000LL,
        .now_kib = 840 * MIB,
        .peak_kib = 1258291, /* 1.2 GiB */
        .procs = 14,
        .top_kib = 212 * MIB,
        .mem_total_kib = 16 * GIB,
        .mem_available_kib = 8 * GIB,
    };
    snprintf(v.top_name, sizeof v.top_name, "cc1");
    return v;
}

static const char *render(const struct live_view *v, int width, bool color, bool utf8)
{
    static char buf[LIVE_LINE_MAX];
    struct live_style st = {.width = width, .color = color, .utf8 = utf8};
    live_render_line(v, &st, buf, sizeof buf);
    return buf;
}

/* The text without escape sequences: what a terminal shows. */
static const char *strip(const char *s)
{
    static char out[LIVE_LINE_MAX];
    size_t n = 0;
    while (*s && n + 1 < sizeof out) {
        if (*s == '\033' && s[1] == '[') {
            s += 2;
            while (*s && !(*s >= 0x40 && *s <= 0x7E))
                s++;
            if (*s)
                s++;
            continue;
        }
        out[n++] = *s++;
    }
    out[n] = '\0';
    return out;
}

/* Counts of each bar glyph between the first '[' and the next ']'. */
static void bar_counts(const char *line, int counts[3])
{
    counts[0] = counts[1] = counts[2] = 0;
    const char *s = strchr(strip(line), '[');
    assert_non_null(s);
    for (s++; *s && *s != ']'; s++) {
        counts[0] += *s == '#';
        counts[1] += *s == '=';
        counts[2] += *s == '.';
    }
}

/* True when every byte sequence is well-formed UTF-8. */
static bool valid_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        int n = *p < 0x80 ? 1 : (*p >> 5) == 0x6 ? 2 : (*p >> 4) == 0xE ? 3 : (*p >> 3) == 0x1E ? 4 : 0;
        if (n == 0)
            return false;
        for (int i = 1; i < n; i++)
            if ((p[i] & 0xC0) != 0x80)
                return false;
        p += n;
    }
    return true;
}

static void test_plain_line_is_the_issue_example(void **state)
{
    (void)state;
    struct live_view v = example_view();
    char buf[LIVE_LINE_MAX];
    live_render_plain(&v, buf, sizeof buf);
    assert_string_equal(buf, "[12.3s] 840 MiB now, 1.2 GiB peak, 14 procs, top: cc1 (212 MiB)\n");
}

static void test_plain_line_small_and_empty(void **state)
{
    (void)state;
    struct live_view v = {.elapsed_ns = 5 * NS_PER_SEC, .now_kib = 1000, .peak_kib = 99 * MIB + 900, .procs = 1,
                          .top_kib = 1000};
    snprintf(v.top_name, sizeof v.top_name, "sh");
    char buf[LIVE_LINE_MAX];
    live_render_plain(&v, buf, sizeof buf);
    assert_string_equal(buf, "[5.0s] 1000 KiB now, 99.9 MiB peak, 1 proc, top: sh (1000 KiB)\n");
    struct live_view none = {.elapsed_ns = 75 * NS_PER_SEC};
    live_render_plain(&none, buf, sizeof buf);
    assert_string_equal(buf, "[1m15s] 0.0 KiB now, 0.0 KiB peak, 0 procs\n");
}

static void test_width_200_has_everything(void **state)
{
    (void)state;
    struct live_view v = example_view();
    const char *line = render(&v, 200, false, true);
    assert_true(live_text_columns(line) <= 200);
    assert_non_null(strstr(line, "12.3s ["));
    assert_non_null(strstr(line, "] 840 MiB now, 1.2 GiB peak, 14 procs, top: cc1 (212 MiB)  #job =other .free"));
    int c[3];
    bar_counts(line, c);
    assert_int_equal(c[0] + c[1] + c[2], 40); /* the bar stops growing at its maximum */
}

static void test_width_80(void **state)
{
    (void)state;
    struct live_view v = example_view();
    const char *line = render(&v, 79, false, true);
    assert_true(live_text_columns(line) <= 79);
    assert_non_null(strstr(line, "840 MiB now, 1.2 GiB peak, 14 procs, top: cc1 (212 MiB)"));
    int c[3];
    bar_counts(line, c);
    assert_true(c[0] + c[1] + c[2] >= 5);
    /* What is left after the words goes to the bar: the line is as wide as it may be. */
    assert_int_equal(live_text_columns(line), 79);
}

static void test_width_40_keeps_the_essentials(void **state)
{
    (void)state;
    struct live_view v = example_view();
    const char *line = render(&v, 39, false, true);
    assert_true(live_text_columns(line) <= 39);
    assert_non_null(strstr(line, "12.3s"));
    assert_non_null(strstr(line, "840 MiB now"));
    assert_non_null(strstr(line, "1.2 GiB peak"));
    assert_null(strstr(line, "top:"));
    line = render(&v, 40, false, true);
    assert_true(live_text_columns(line) <= 40);
}

static void test_colour_changes_only_escapes(void **state)
{
    (void)state;
    struct live_view v = example_view();
    int widths[] = {40, 80, 120, 200};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        char plain[LIVE_LINE_MAX];
        snprintf(plain, sizeof plain, "%s", render(&v, widths[i], false, true));
        const char *colored = render(&v, widths[i], true, true);
        assert_null(strchr(plain, '\033'));
        assert_string_equal(strip(colored), plain);
        assert_int_equal(live_text_columns(colored), live_text_columns(plain));
    }
    const char *colored = render(&v, 200, true, true);
    assert_non_null(strstr(colored, "\033[1;36m#"));
    assert_non_null(strstr(colored, "\033[33m="));
    assert_non_null(strstr(colored, "\033[32m."));
}

static void test_bar_proportions(void **state)
{
    (void)state;
    struct live_view v = example_view();
    v.mem_total_kib = 1000 * MIB;
    v.mem_available_kib = 500 * MIB;
    v.now_kib = 250 * MIB;
    int c[3];
    /* 200 columns: a bar of 40 cells, a quarter each for the job and the rest, half free. */
    bar_counts(render(&v, 200, false, false), c);
    assert_int_equal(c[0], 10);
    assert_int_equal(c[1], 10);
    assert_int_equal(c[2], 20);
    /* A job far below one cell still shows. */
    v.now_kib = 1;
    bar_counts(render(&v, 200, false, false), c);
    assert_int_equal(c[0], 1);
    assert_int_equal(c[0] + c[1] + c[2], 40);
    /* Shared pages can make the RSS sum exceed what is used: the job takes the used part and more, never more
     * than the machine. */
    v.now_kib = 2000 * MIB;
    bar_counts(render(&v, 200, false, false), c);
    assert_int_equal(c[0], 40);
    assert_int_equal(c[1] + c[2], 0);
    /* Unknown machine memory: no bar at all. */
    v.mem_total_kib = 0;
    assert_null(strchr(render(&v, 200, false, false), '['));
}

static void test_long_command_is_cut(void **state)
{
    (void)state;
    struct live_view v = example_view();
    memset(v.top_name, 'x', sizeof v.top_name - 1);
    v.top_name[sizeof v.top_name - 1] = '\0';
    const char *line = render(&v, 200, false, true);
    assert_true(live_text_columns(line) <= 200);
    assert_non_null(strstr(line, "x\xE2\x80\xA6 (212 MiB)"));
    line = render(&v, 79, false, false);
    assert_true(live_text_columns(line) <= 79);
    assert_non_null(strstr(line, "x~ (212 MiB)"));
}

static void test_names_are_utf8_safe(void **state)
{
    (void)state;
    static const char *const names[] = {
        "компилятор-с-очень-длинным-названием-для-проверки",
        "编译器编译器编译器编译器编译器编译器编译器编译器",
        "e\xCC\x81" "e\xCC\x81" "e\xCC\x81-combining",
        "bad\xFF\xC0\x80\xED\xA0\x80-bytes",
        "esc\033[2Jape\r\n\x07\x7f",
    };
    struct live_view v = example_view();
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        snprintf(v.top_name, sizeof v.top_name, "%s", names[i]);
        for (int width = 1; width <= 120; width++) {
            for (int mode = 0; mode < 4; mode++) {
                const char *line = render(&v, width, mode & 1, mode & 2);
                assert_true(live_text_columns(line) <= width);
                assert_true(valid_utf8(line));
                const char *shown = strip(line);
                for (const char *s = shown; *s; s++)
                    assert_true((unsigned char)*s >= 0x20 && *s != 0x7f); /* a name never moves the cursor */
                if (!(mode & 2))
                    for (const char *s = shown; *s; s++)
                        assert_true((unsigned char)*s < 0x80);
            }
        }
    }
    snprintf(v.top_name, sizeof v.top_name, "编译器编译器编译器编译器编译器编译器");
    const char *line = render(&v, 79, false, true);
    assert_true(live_text_columns(line) <= 79);
    assert_non_null(strstr(line, "编译器"));
}

static void test_never_wider_than_the_width(void **state)
{
    (void)state;
    struct live_view v = example_view();
    v.elapsed_ns = 100LL * 3600 * NS_PER_SEC;
    v.now_kib = 1023 * GIB;
    v.peak_kib = 1023 * GIB;
    v.procs = 4000000000u;
    v.top_kib = 1023 * GIB;
    snprintf(v.top_name, sizeof v.top_name, "a-rather-long-program-name-indeed");
    for (int width = 0; width <= 250; width++) {
        for (int mode = 0; mode < 4; mode++) {
            const char *line = render(&v, width, mode & 1, mode & 2);
            assert_true(live_text_columns(line) <= (width > 0 ? width : 0));
        }
    }
}

static void test_text_columns(void **state)
{
    (void)state;
    assert_int_equal(live_text_columns("abc"), 3);
    assert_int_equal(live_text_columns("\033[1;36mab\033[0m"), 2);
    assert_int_equal(live_text_columns("\xE2\x80\xA6"), 1);
    assert_int_equal(live_text_columns("编译"), 4);
    assert_int_equal(live_text_columns("e\xCC\x81"), 1);
}

static void test_frames(void **state)
{
    (void)state;
    char buf[LIVE_FRAME_MAX];
    live_frame_setup(24, buf, sizeof buf);
    assert_string_equal(buf, "\0337\033[r\0338\033D\0337\033[1;23r\0338\033[A");
    live_frame_draw(24, "hello", buf, sizeof buf);
    assert_string_equal(buf, "\0337\033[24;1H\033[0m\033[2Khello\033[0m\0338");
    live_frame_erase(24, buf, sizeof buf);
    assert_string_equal(buf, "\0337\033[r\033[24;1H\033[2K\0338");
    live_frame_erase(0, buf, sizeof buf);
    assert_string_equal(buf, "\0337\033[r\0338\033[J");
    live_frame_erase(-1, buf, sizeof buf);
    assert_string_equal(buf, "\0337\033[r\0338");
    char small[8];
    assert_int_equal(live_frame_draw(24, "hello", small, sizeof small), 0);
}

static int parse(const char *const *words, struct cli_options *o, char *err)
{
    int argc = 0;
    while (words[argc])
        argc++;
    return cli_parse(argc, (char **)words, o, err, CLI_ERROR_MAX);
}

static void test_cli_live(void **state)
{
    (void)state;
    struct cli_options o;
    char err[CLI_ERROR_MAX];
    const char *none[] = {"memwatch", "run", "--", "true", NULL};
    const char *bare[] = {"memwatch", "run", "--live", "--", "true", NULL};
    const char *auto_[] = {"memwatch", "run", "--live=auto", "--", "true", NULL};
    const char *never[] = {"memwatch", "run", "--live=never", "--", "true", NULL};
    const char *no[] = {"memwatch", "run", "--live", "--no-live", "--", "true", NULL};
    const char *bad[] = {"memwatch", "run", "--live=sometimes", "--", "true", NULL};
    assert_int_equal(parse(none, &o, err), 0);
    assert_int_equal(o.live, CLI_LIVE_AUTO);
    assert_int_equal(parse(bare, &o, err), 0);
    assert_int_equal(o.live, CLI_LIVE_ALWAYS);
    assert_int_equal(parse(auto_, &o, err), 0);
    assert_int_equal(o.live, CLI_LIVE_AUTO);
    assert_int_equal(parse(never, &o, err), 0);
    assert_int_equal(o.live, CLI_LIVE_NEVER);
    assert_int_equal(parse(no, &o, err), 0);
    assert_int_equal(o.live, CLI_LIVE_NEVER);
    assert_int_not_equal(parse(bad, &o, err), 0);
    assert_string_equal(err, "--live: 'sometimes' is not one of auto, always, never");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_line_is_the_issue_example),
        cmocka_unit_test(test_plain_line_small_and_empty),
        cmocka_unit_test(test_width_200_has_everything),
        cmocka_unit_test(test_width_80),
        cmocka_unit_test(test_width_40_keeps_the_essentials),
        cmocka_unit_test(test_colour_changes_only_escapes),
        cmocka_unit_test(test_bar_proportions),
        cmocka_unit_test(test_long_command_is_cut),
        cmocka_unit_test(test_names_are_utf8_safe),
        cmocka_unit_test(test_never_wider_than_the_width),
        cmocka_unit_test(test_text_columns),
        cmocka_unit_test(test_frames),
        cmocka_unit_test(test_cli_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
