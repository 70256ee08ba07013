/* posix_spawn and posix_spawnp: the child gets an environment repaired for the file it runs; the real call
 * does the rest. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "envfix.h"
#include "preload.h"
#include "real.h"
#include "session.h"

typedef int (*spawn_fn)(pid_t *, const char *, const posix_spawn_file_actions_t *, const posix_spawnattr_t *,
                        char *const[], char *const[]);

struct spawn_call {
    enum real_id real;
    pid_t *pid;
    const char *path;
    const posix_spawn_file_actions_t *actions;
    const posix_spawnattr_t *attr;
    char *const *argv;
    char *const *envp;
    int saved_errno;
};

static int spawn_cont(void *ctx, char *const envp[])
{
    const struct spawn_call *c = ctx;
    spawn_fn fn = (spawn_fn)real_lookup(c->real);
    errno = c->saved_errno;
    if (fn == NULL)
        return ENOSYS; /* posix_spawn reports errors by its result, not errno */
    return fn(c->pid, c->path, c->actions, c->attr, c->argv, envp);
}

/* What will run: posix_spawnp's PATH search is done here too, to read the file it will find. */
static void spawn_inspect(const struct spawn_call *c, struct preload_target *t)
{
    char found[PRELOAD_PATH_MAX];
    const char *path = c->path;
    if (c->real == REAL_POSIX_SPAWNP && path != NULL && strchr(path, '/') == NULL)
        path = preload_find_in_path(path, getenv("PATH"), found, sizeof found) ? found : NULL;
    if (path == NULL || preload_inspect_at(AT_FDCWD, path, t) != 0)
        t->elf_class = PRELOAD_CLASS_NONE;
}

static int spawn_run(struct spawn_call *c)
{
    c->saved_errno = errno;
    struct agent_settings scratch;
    const struct agent_settings *s = session_peek(&scratch);
    if (s == NULL)
        return spawn_cont(c, c->envp);
    struct preload_target t = {PRELOAD_CLASS_NONE, false, ""};
    spawn_inspect(c, &t);
    return envfix_with(s, c->envp, &t, spawn_cont, c);
}

AGENT_EXPORT int posix_spawn(pid_t *pid, const char *path, const posix_spawn_file_actions_t *actions,
                             const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    struct spawn_call c = {REAL_POSIX_SPAWN, pid, path, actions, attr, argv, envp, 0};
    return spawn_run(&c);
}

AGENT_EXPORT int posix_spawnp(pid_t *pid, const char *file, const posix_spawn_file_actions_t *actions,
                              const posix_spawnattr_t *attr, char *const argv[], char *const envp[])
{
    struct spawn_call c = {REAL_POSIX_SPAWNP, pid, file, actions, attr, argv, envp, 0};
    return spawn_run(&c);
}
