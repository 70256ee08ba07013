/* system and popen: glibc spawns /bin/sh with the global environ, so when the host scrubbed the agent
 * from it (unsetenv("LD_PRELOAD")), the missing variables are put back with setenv for the duration of
 * the call, and the host's view is restored afterwards.
 * setenv rather than pointing environ at a copy: libc then owns every string and its own lock orders
 * concurrent setenv calls, so no other thread can keep a pointer into this frame. Caveat: during the call
 * another thread sees the agent's variables, and two concurrent calls may restore under each other (a
 * child may then start without the agent); mixing setenv/getenv with threads is unsafe in libc anyway. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <limits.h>
#include <string.h>

#include "agent.h"
#include "envfix.h"
#include "preload.h"
#include "memwatch/wire.h"
#include "real.h"
#include "session.h"

extern char **environ;

/* The host's LD_PRELOAD is copied here to be put back; longer values are left alone. */
#define SYSTEM_PRELOAD_MAX 4096
/* What glibc's system and popen run. */
#define SYSTEM_SHELL "/bin/sh"

typedef int (*system_fn)(const char *);
typedef FILE *(*popen_fn)(const char *, const char *);

struct system_call {
    const char *command;
    const char *mode; /* popen only */
    int status;       /* system's result */
    FILE *stream;     /* popen's result */
};

/* One variable the repair set or removed, with what it was, so exactly that is undone. */
struct system_var {
    const char *name;
    bool changed;
    bool existed;
    char *old; /* cap bytes */
    size_t cap;
};

struct system_undo {
    struct system_var preload;
    struct system_var added;
    unsigned added_vars; /* ENVFIX_SOCKET, ENVFIX_AGENT_PATH, ENVFIX_LOG that were absent */
    char old_preload[SYSTEM_PRELOAD_MAX];
    char old_added[PRELOAD_RUNTIMES_MAX];
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

/* Sets name to value (NULL: removes it), keeping the old value for system_var_restore. */
static void system_var_set(struct system_var *v, const char *name, const char *value)
{
    const char *old = getenv(name);
    size_t old_len = old != NULL ? strlen(old) : 0;
    if (old_len >= v->cap)
        return; /* could not be put back: left alone */
    v->name = name;
    v->existed = old != NULL;
    if (old != NULL)
        memcpy(v->old, old, old_len + 1); /* before setenv may drop the host's string */
    int rc = value != NULL ? setenv(name, value, 1) : unsetenv(name);
    v->changed = rc == 0;
}

static void system_var_restore(const struct system_var *v)
{
    if (!v->changed)
        return;
    if (v->existed)
        setenv(v->name, v->old, 1);
    else
        unsetenv(v->name);
}

static void system_set_preload(const struct envfix_plan *plan, struct system_undo *u)
{
    char value[SYSTEM_PRELOAD_MAX + PATH_MAX + PRELOAD_RUNTIMES_MAX];
    size_t len = envfix_preload_value(plan, value, sizeof(value));
    if (len >= sizeof(value))
        return;
    system_var_set(&u->preload, "LD_PRELOAD", len > 0 ? value : NULL);
}

static void system_add(const char *name, const char *value, unsigned bit, struct system_undo *u)
{
    if (setenv(name, value, 0) == 0)
        u->added_vars |= bit;
}

static void system_repair(const struct agent_settings *s, const struct envfix_plan *plan, struct system_undo *u)
{
    if (plan->missing & ENVFIX_PRELOAD)
        system_set_preload(plan, u);
    if (plan->missing & ENVFIX_ADDED)
        system_var_set(&u->added, PRELOAD_ENV_ADDED, plan->inject ? plan->preload.runtimes : NULL);
    if (plan->missing & ENVFIX_SOCKET)
        system_add(MW_ENV_SOCKET, s->socket, ENVFIX_SOCKET, u);
    if (plan->missing & ENVFIX_AGENT_PATH)
        system_add(MW_ENV_AGENT_PATH, s->agent_path, ENVFIX_AGENT_PATH, u);
    if (plan->missing & ENVFIX_LOG)
        system_add(MW_ENV_AGENT_LOG, s->log, ENVFIX_LOG, u);
}

static void system_restore(const struct system_undo *u)
{
    system_var_restore(&u->preload);
    system_var_restore(&u->added);
    if (u->added_vars & ENVFIX_SOCKET)
        unsetenv(MW_ENV_SOCKET);
    if (u->added_vars & ENVFIX_AGENT_PATH)
        unsetenv(MW_ENV_AGENT_PATH);
    if (u->added_vars & ENVFIX_LOG)
        unsetenv(MW_ENV_AGENT_LOG);
}

static void system_run(struct system_call *c)
{
    int saved = errno;
    struct agent_settings scratch;
    const struct agent_settings *s = session_get(&scratch);
    struct envfix_plan plan;
    struct preload_target sh = {PRELOAD_CLASS_NONE, false, ""};
    if (s != NULL)
        preload_inspect_at(AT_FDCWD, SYSTEM_SHELL, &sh);
    if (s == NULL || !envfix_plan(s, environ, &sh, &plan)) {
        errno = saved;
        system_invoke(c);
        return;
    }
    struct system_undo undo;
    memset(&undo, 0, sizeof(undo));
    undo.preload.old = undo.old_preload;
    undo.preload.cap = sizeof(undo.old_preload);
    undo.added.old = undo.old_added;
    undo.added.cap = sizeof(undo.old_added);
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
