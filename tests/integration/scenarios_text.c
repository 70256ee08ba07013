/* Text from the job is bytes: a command line that is not valid UTF-8 still gives a JSON and a CSV that are
 * valid UTF-8 (checked here by a strict validator of the harness's own), that agree with each other, and
 * whose JSON keeps the exact bytes in argv_hex / command_hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#define TEXT_FILE_MAX (4 << 20)
#define TEXT_ROWS_MAX 16
#define TEXT_HOLD_MS "300" /* the child lives several samples: the poller reads its argv too */
#define TEXT_INTERVAL_MS 50
#define TEXT_ARG_MAX 256
#define TEXT_ARGS_MAX 16
#define TEXT_LINE_MAX 2048
#define R "\xEF\xBF\xBD" /* U+FFFD */

/* Each argument as the job passes it, and as the reports must show it: one U+FFFD per maximal ill-formed
 * subpart (the Unicode practice Python's errors="replace" follows). */
static const struct {
    const char *raw;
    const char *shown;
} text_args[] = {
    {"lone\x80" "cont", "lone" R "cont"},              /* a continuation byte alone */
    {"over\xC0\xAF" "long", "over" R R "long"},        /* an overlong '/' */
    {"sur\xED\xA0\x80" "rogate", "sur" R R R "rogate"}, /* a UTF-16 surrogate */
    {"byte\xFF", "byte" R},                            /* 0xFF: never in UTF-8 */
    {"q\xE9,\"x\"", "q" R ",\"x\""},                   /* Latin-1 in a field CSV must quote */
    {"caf\xC3\xA9", "caf\xC3\xA9"},                    /* valid: kept as it is */
    {"cut\xE2\x82", "cut" R},                          /* a sequence cut short at the end */
};

#define TEXT_N_ARGS (sizeof text_args / sizeof text_args[0])

/* Strict UTF-8, decoded by bit patterns (not the collector's table): no NUL, no overlong form, no surrogate,
 * nothing past U+10FFFF, nothing cut short. Returns the offset of the first bad byte, or len. */
static size_t text_utf8_bad_at(const unsigned char *s, size_t len)
{
    for (size_t i = 0; i < len;) {
        unsigned char c = s[i];
        size_t n;
        uint32_t cp, min;
        if (c == 0)
            return i;
        if (c < 0x80) {
            i++;
            continue;
        }
        if ((c & 0xE0) == 0xC0)
            n = 2, cp = c & 0x1Fu, min = 0x80;
        else if ((c & 0xF0) == 0xE0)
            n = 3, cp = c & 0x0Fu, min = 0x800;
        else if ((c & 0xF8) == 0xF0)
            n = 4, cp = c & 0x07u, min = 0x10000;
        else
            return i;
        if (i + n > len)
            return i;
        for (size_t k = 1; k < n; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (s[i + k] & 0x3Fu);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return i;
        i += n;
    }
    return len;
}

/* Reads a report file and checks it is valid UTF-8; the text (NUL-terminated), or NULL. */
static char *text_load_valid(struct itest_ctx *ctx, const char *path, const char *what)
{
    size_t len = 0;
    char *text = itest_read_file(path, TEXT_FILE_MAX, &len);
    if (!ITEST_CHECK(ctx, text != NULL && len > 0, "%s: cannot read %s", what, path))
        return NULL;
    size_t bad = text_utf8_bad_at((const unsigned char *)text, len);
    ITEST_CHECK(ctx, bad == len, "%s is not valid UTF-8 at byte %zu of %zu: '%.16s'", what, bad, len, text + bad);
    return text;
}

static void text_hex(const char *s, char *buf, size_t len)
{
    size_t used = 0;
    for (; *s != '\0' && used + 3 <= len; s++)
        used += (size_t)snprintf(buf + used, len - used, "%02x", (unsigned char)*s);
    buf[used] = '\0';
}

/* The argv the job's programs had: [prog, (child,) HOLD_MS, the arguments], raw or as shown. */
static size_t text_argv(const char *prog, bool child, bool raw, const char **argv)
{
    size_t n = 0;
    argv[n++] = prog;
    if (child)
        argv[n++] = "child";
    argv[n++] = TEXT_HOLD_MS;
    for (size_t i = 0; i < TEXT_N_ARGS; i++)
        argv[n++] = raw ? text_args[i].raw : text_args[i].shown;
    argv[n] = NULL;
    return n;
}

/* arr (an argv as shown) and arr_hex (its exact bytes) say what the program had. */
static void text_expect_argv(struct itest_ctx *ctx, const cJSON *obj, const char *key, const char *prog, bool child,
                             const char *what)
{
    const char *shown[TEXT_ARGS_MAX], *raw[TEXT_ARGS_MAX];
    char hex_key[64], hex[TEXT_ARG_MAX * 2 + 1];
    size_t n = text_argv(prog, child, false, shown);
    text_argv(prog, child, true, raw);
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(obj, key);
    snprintf(hex_key, sizeof hex_key, "%s_hex", key);
    const cJSON *arr_hex = cJSON_GetObjectItemCaseSensitive(obj, hex_key);
    if (!ITEST_CHECK(ctx, cJSON_GetArraySize(arr) == (int)n && cJSON_GetArraySize(arr_hex) == (int)n,
                     "%s: %s has %d strings and %s %d, expected %zu", what, key, cJSON_GetArraySize(arr), hex_key,
                     cJSON_GetArraySize(arr_hex), n))
        return;
    for (size_t i = 0; i < n; i++) {
        const cJSON *s = cJSON_GetArrayItem(arr, (int)i), *h = cJSON_GetArrayItem(arr_hex, (int)i);
        ITEST_CHECK(ctx, cJSON_IsString(s) && strcmp(s->valuestring, shown[i]) == 0,
                    "%s: %s[%zu] is '%s', expected '%s'", what, key, i, cJSON_IsString(s) ? s->valuestring : "?",
                    shown[i]);
        text_hex(raw[i], hex, sizeof hex);
        ITEST_CHECK(ctx, cJSON_IsString(h) && strcmp(h->valuestring, hex) == 0,
                    "%s: %s[%zu] is '%s', expected '%s'", what, hex_key, i, cJSON_IsString(h) ? h->valuestring : "?",
                    hex);
    }
}

/* The process's command label is its argv as shown, joined by spaces. */
static void text_expect_label(struct itest_ctx *ctx, const cJSON *proc, const char *prog, bool child, const char *what)
{
    const char *shown[TEXT_ARGS_MAX];
    char want[TEXT_LINE_MAX] = "";
    size_t n = text_argv(prog, child, false, shown);
    for (size_t i = 0; i < n; i++) {
        strncat(want, shown[i], sizeof want - strlen(want) - 1);
        if (i + 1 < n)
            strncat(want, " ", sizeof want - strlen(want) - 1);
    }
    const char *got = itest_json_str(proc, "command");
    ITEST_CHECK(ctx, got != NULL && strcmp(got, want) == 0, "%s: command is '%s', expected '%s'", what,
                got ? got : "(none)", want);
}

/* Every CSV row has the command JSON has for its pid, byte for byte. */
static void text_expect_csv_agrees(struct itest_ctx *ctx, const char *csv, const cJSON *rep)
{
    struct itest_csv_row row;
    size_t pos = 0;
    int rows = 0;
    for (int rc; (rc = itest_csv_next(csv, &pos, &row)) != 0; rows++) {
        if (!ITEST_CHECK(ctx, rc == 1, "the CSV is not RFC 4180 near byte %zu", pos))
            return;
        if (rows > 0 && ITEST_CHECK(ctx, row.n >= 3, "CSV row %d has %zu fields", rows, row.n)) {
            const cJSON *p = itest_json_process(ctx, rep, (pid_t)atoi(row.fields[0]), "a CSV row's pid");
            const char *cmd = itest_json_str(p, "command");
            ITEST_CHECK(ctx, cmd != NULL && strcmp(cmd, row.fields[2]) == 0,
                        "pid %s: CSV command '%s' differs from JSON's '%s'", row.fields[0], row.fields[2],
                        cmd ? cmd : "(none)");
        }
        itest_csv_row_free(&row);
    }
    ITEST_CHECK(ctx, rows - 1 == (int)itest_json_num(rep, "process_count"), "the CSV has %d rows, JSON %.0f processes",
                rows - 1, itest_json_num(rep, "process_count"));
}

static void text_check(struct itest_ctx *ctx, const struct itest_run *r, const char *csv_path, const char *prog)
{
    char *json = text_load_valid(ctx, r->json_path, "the JSON report");
    char *csv = text_load_valid(ctx, csv_path, "the CSV report");
    cJSON *rep = itest_report(ctx, r, &(struct itest_expect){.exit_code = 0});
    struct itest_facts f = {0};
    itest_facts_load(ctx, &f);
    const struct itest_fact *parent = itest_facts_find(&f, "parent", 0);
    const struct itest_fact *child = itest_facts_find(&f, "child", 0);
    if (rep != NULL && ITEST_CHECK(ctx, parent != NULL && child != NULL, "the workload left no parent/child facts")) {
        text_expect_argv(ctx, rep, "command", prog, false, "the job's command");
        const cJSON *pp = itest_json_process(ctx, rep, parent->pid, "the parent");
        const cJSON *cp = itest_json_process(ctx, rep, child->pid, "the child");
        const cJSON *pimg = itest_json_image(pp, "argv_text", NULL);
        const cJSON *cimg = itest_json_image(cp, "argv_text", "child");
        if (ITEST_CHECK(ctx, pimg != NULL && cimg != NULL, "no argv_text image in the parent or the child")) {
            text_expect_argv(ctx, pimg, "argv", prog, false, "the parent's image");
            text_expect_argv(ctx, cimg, "argv", prog, true, "the child's exec image");
            const cJSON *exe_hex = cJSON_GetObjectItemCaseSensitive(cimg, "exe_hex");
            ITEST_CHECK(ctx, exe_hex == NULL, "exe_hex is there although the path '%s' is valid UTF-8",
                        itest_json_str(cimg, "exe"));
        }
        text_expect_label(ctx, pp, prog, false, "the parent");
        text_expect_label(ctx, cp, prog, true, "the child");
    }
    if (rep != NULL && csv != NULL)
        text_expect_csv_agrees(ctx, csv, rep);
    itest_facts_free(&f);
    cJSON_Delete(rep);
    free(json);
    free(csv);
}

int scenario_text(struct itest_ctx *ctx, const char *arg)
{
    bool agent = strcmp(arg, "agent") == 0;
    char csv_path[ITEST_PATH_MAX], csv_opt[ITEST_PATH_MAX + 8], prog[ITEST_PATH_MAX];
    itest_path(ctx, "report.csv", csv_path, sizeof csv_path);
    snprintf(csv_opt, sizeof csv_opt, "--csv=%s", csv_path);
    snprintf(prog, sizeof prog, "%s/argv_text", ctx->wldir);
    const char *extra[] = {csv_opt, NULL};
    struct itest_opts o = {.agent = agent, .interval_ms = TEXT_INTERVAL_MS, .extra = extra};
    struct itest_run r;
    if (itest_run_workload(ctx, &r, &o, "argv_text", TEXT_HOLD_MS, text_args[0].raw, text_args[1].raw,
                           text_args[2].raw, text_args[3].raw, text_args[4].raw, text_args[5].raw, text_args[6].raw,
                           (const char *)NULL) != 0)
        return 0;
    ITEST_CHECK(ctx, r.exit_code == 0, "memwatch exited %d", r.exit_code);
    itest_expect_silent(ctx, &r);
    text_check(ctx, &r, csv_path, prog);
    return 0;
}
