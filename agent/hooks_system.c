/* system and popen: glibc spawns /bin/sh with the global environ, so when the host scrubbed the agent
 * from it (unsetenv("LD_PRELOAD")), the missing variables are put back with setenv for the duration of
 * the call, and the host's view is restored afterwards.
 * setenv rather than pointing environ at a copy: libc then owns every string and its own lock orders
 * concurrent setenv calls, so no other thread can keep a pointer into this frame. Caveat: during the call
 * another thread sees the agent's variables, and two concurrent calls may restore under each other (a
 * child may then start without the agent); mixing setenv/getenv with threads is unsafe in libc anyway. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "agent.h"
#include "envfix.h"
#include "memwatch/wire.h"
#include "real.h"
#include "session.h"

extern char **environ;

/* The host's LD_PRELOAD is copied here to be put back; longer values are left alone. */
#define SYSTEM_PRELOAD_MAX 4096

typedef int (*system_fn)(const char *);
typedef FILE *(*popen_fn)(const char *, const char *);

struct system_call {
    const char *command;
    const char *mode; /* popen only */
    int status;       /* system's result */
    FILE *stream;     /* popen's result */
};

/* What the repair changed, so exactly that is undone. */
struct system_undo {
    unsigned added; /* ENVFIX_* variables that were absent */
    bool preload_rewritten;
    char old_preload[SYSTEM_PRELOAD_MAX];
};

static void system_invoke(struct system_call *c)
{
    if (c->mode == NULL) {
        system_fn fn = (system_fn)real_lookup(REAL_SYSTEM);
        c->status = fn != NULL ? fn(c->command) : -1;
    } else {
        popen_fn fn = (popen_fn)real_lookup(REAL_POPEN);
        c->stream = fn != NULL ? fn(c->command, c->mode) : NULL;
    }
}

static void system_set_preload(const struct agent_settings *s, const struct envfix_plan *plan,
                               struct system_undo *u)
{
    const char *old = plan->old_preload;
    char value[SYSTEM_PRELOAD_MAX + PATH_MAX + 2];
    size_t agent_len = strlen(s->agent_path);
    size_t old_len = old != NULL ? strlen(old) : 0;
    if (old_len >= sizeof(u->old_preload) || agent_len + 1 + old_len + 1 > sizeof(value))
        return;
    memcpy(value, s->agent_path, agent_len + 1);
    if (old_len > 0) {
        value[agent_len] = ':';
        memcpy(value + agent_len + 1, old, old_len + 1);
    }
    if (old != NULL)
        memcpy(u->old_preload, old, old_len + 1); /* before setenv may drop the host's string */
    if (setenv("LD_PRELOAD", value, 1) != 0)
        return;
    if (old != NULL)
        u->preload_rewritten = true;
    else
        u->added |= ENVFIX_PRELOAD;
}

static void system_add(const char *name, const char *value, unsigned bit, struct system_undo *u)
{
    if (setenv(name, value, 0) == 0)
        u->added |= bit;
}

static void system_repair(const struct agent_settings *s, const struct envfix_plan *plan, struct system_undo *u)
{
    if (plan->missing & ENVFIX_PRELOAD)
        system_set_preload(s, plan, u);
    if (plan->missing & ENVFIX_SOCKET)
        system_add(MW_ENV_SOCKET, s->socket, ENVFIX_SOCKET, u);
    if (plan->missing & ENVFIX_AGENT_PATH)
        system_add(MW_ENV_AGENT_PATH, s->agent_path, ENVFIX_AGENT_PATH, u);
    if (plan->missing & ENVFIX_LOG)
        system_add(MW_ENV_AGENT_LOG, s->log, ENVFIX_LOG, u);
}

static void system_restore(const struct system_undo *u)
{
    if (u->preload_rewritten)
        setenv("LD_PRELOAD", u->old_preload, 1);
    if (u->added & ENVFIX_PRELOAD)
        unsetenv("LD_PRELOAD");
    if (u->added & ENVFIX_SOCKET)
        unsetenv(MW_ENV_SOCKET);
    if (u->added & ENVFIX_AGENT_PATH)
        unsetenv(MW_ENV_AGENT_PATH);
    if (u->added & ENVFIX_LOG)
        unsetenv(MW_ENV_AGENT_LOG);
}

static void system_run(struct system_call *c)
{
    int saved = errno;
    struct agent_settings scratch;
    const struct agent_settings *s = session_get(&scratch);
    struct envfix_plan plan;
    if (s == NULL || !envfix_plan(s, environ, &plan)) {
        errno = saved;
        system_invoke(c);
        return;
    }
    struct system_undo undo = {0, false, {0}};
    system_repair(s, &plan, &undo);
    errno = saved;
    system_invoke(c);
    int err = errno;
    system_restore(&undo);
    errno = err;
}

AGENT_EXPORT int system(const char *command)
{
    struct system_call c = {.command = command};
    system_run(&c);
    return c.status;
}

AGENT_EXPORT FILE *popen(const char *command, const char *mode)
{
    struct system_call c = {.command = command, .mode = mode};
    system_run(&c);
    return c.stream;
}
