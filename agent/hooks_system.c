/* system and popen: glibc spawns /bin/sh with the global environ, so when the host scrubbed the agent
 * from it (unsetenv("LD_PRELOAD")), environ points at a repaired copy for the duration of the call.
 * Caveat: during that call another thread sees the repaired environment, and a setenv it makes then is
 * lost when the host's array is put back (setenv/getenv racing with system are unsafe in libc anyway). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "agent.h"
#include "envfix.h"
#include "real.h"
#include "session.h"

extern char **environ;

typedef int (*system_fn)(const char *);
typedef FILE *(*popen_fn)(const char *, const char *);

struct system_call {
    const char *command;
    const char *mode; /* popen only */
    int status;       /* system's result */
    FILE *stream;     /* popen's result */
    int saved_errno;
};

static void system_invoke(struct system_call *c)
{
    errno = c->saved_errno;
    if (c->mode == NULL) {
        system_fn fn = (system_fn)real_lookup(REAL_SYSTEM);
        c->status = fn != NULL ? fn(c->command) : -1;
    } else {
        popen_fn fn = (popen_fn)real_lookup(REAL_POPEN);
        c->stream = fn != NULL ? fn(c->command, c->mode) : NULL;
    }
}

static int system_cont(void *ctx, char *const envp[])
{
    struct system_call *c = ctx;
    char **user = environ;
    if (envp == user) {
        system_invoke(c);
        return 0;
    }
    environ = (char **)envp;
    system_invoke(c);
    int err = errno;
    environ = user;
    errno = err;
    return 0;
}

static void system_run(struct system_call *c)
{
    c->saved_errno = errno;
    struct agent_settings scratch;
    const struct agent_settings *s = session_get(&scratch);
    if (s == NULL)
        system_invoke(c);
    else
        (void)envfix_with(s, environ, system_cont, c);
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
