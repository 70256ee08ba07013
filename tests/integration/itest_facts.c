/* Reads the facts the workload programs recorded about themselves (see tests/workloads/wl_common.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itest.h"

#define ITEST_FACTS_MAX_BYTES (64u * 1024u * 1024u)

static int itest_fact_parse(const char *line, struct itest_fact *f)
{
    int pid, ppid;
    unsigned long long hwm;
    long value;
    char role[ITEST_ROLE_MAX];
    /* role never holds spaces: workloads name roles with plain words. */
    if (sscanf(line, "pid=%d ppid=%d role=%63s hwm_kib=%llu value=%ld", &pid, &ppid, role, &hwm, &value) != 5)
        return -1;
    f->pid = pid;
    f->ppid = ppid;
    snprintf(f->role, sizeof f->role, "%s", role);
    f->hwm_kib = hwm;
    f->value = value;
    return 0;
}

int itest_facts_load(struct itest_ctx *ctx, struct itest_facts *f)
{
    memset(f, 0, sizeof *f);
    char path[ITEST_PATH_MAX];
    char *text = itest_read_file(itest_path(ctx, "facts", path, sizeof path), ITEST_FACTS_MAX_BYTES, NULL);
    if (!ITEST_CHECK(ctx, text != NULL, "the workload left no facts file %s", path))
        return -1;
    size_t lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    f->v = calloc(lines + 1, sizeof *f->v);
    if (f->v == NULL) {
        free(text);
        return -1;
    }
    int rc = 0;
    for (char *line = text; line != NULL && *line != '\0';) {
        char *nl = strchr(line, '\n');
        if (nl != NULL)
            *nl = '\0';
        if (!ITEST_CHECK(ctx, itest_fact_parse(line, &f->v[f->n]) == 0, "malformed fact line '%s'", line))
            rc = -1;
        else
            f->n++;
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    return rc;
}

void itest_facts_free(struct itest_facts *f)
{
    free(f->v);
    f->v = NULL;
    f->n = 0;
}

const struct itest_fact *itest_facts_find(const struct itest_facts *f, const char *role, size_t nth)
{
    for (size_t i = 0; i < f->n; i++) {
        if (strcmp(f->v[i].role, role) == 0 && nth-- == 0)
            return &f->v[i];
    }
    return NULL;
}

size_t itest_facts_count(const struct itest_facts *f, const char *role)
{
    size_t n = 0;
    for (size_t i = 0; i < f->n; i++)
        n += strcmp(f->v[i].role, role) == 0;
    return n;
}

void itest_expect_no_leaked_fds(struct itest_ctx *ctx, const struct itest_facts *f)
{
    const struct itest_fact *fa;
    for (size_t i = 0; (fa = itest_facts_find(f, "fds", i)) != NULL; i++)
        ITEST_CHECK(ctx, fa->value == 0,
                    "pid %d started with %ld descriptors >= 3 lacking FD_CLOEXEC (leaked by memwatch or the agent)",
                    (int)fa->pid, fa->value);
}
