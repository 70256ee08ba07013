/* The exec family: report the image's peak, repair the environment for the file about to run, then run the
 * real call. Stack only: these run in vfork children, which share their parent's memory. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "agent.h"
#include "envfix.h"
#include "memwatch/wire.h"
#include "pathres.h"
#include "preload.h"
#include "real.h"
#include "report.h"
#include "session.h"

extern char **environ;

enum exec_kind {
    EXEC_VE,  /* execve, execle */
    EXEC_V,   /* execv, execl: environ */
    EXEC_VP,  /* execvp, execlp: PATH search, environ */
    EXEC_VPE, /* execvpe */
    EXEC_FD,  /* fexecve */
    EXEC_AT,  /* execveat */
};

struct exec_call {
    enum exec_kind kind;
    const char *path; /* file name for the p-variants */
    char *const *argv;
    char *const *envp; /* what the real call would pass: environ for the variants without envp */
    int fd;            /* EXEC_FD, EXEC_AT */
    int flags;         /* EXEC_AT */
    int saved_errno;
};

typedef int (*exec_ve_fn)(const char *, char *const[], char *const[]);
typedef int (*exec_v_fn)(const char *, char *const[]);
typedef int (*exec_fd_fn)(int, char *const[], char *const[]);
typedef int (*exec_at_fn)(int, const char *, char *const[], char *const[], int);

static int exec_absent(void)
{
    errno = ENOSYS;
    return -1;
}

static int exec_real_execve(const char *path, char *const argv[], char *const envp[])
{
    exec_ve_fn fn = (exec_ve_fn)real_lookup(REAL_EXECVE);
    return fn != NULL ? fn(path, argv, envp) : exec_absent();
}

static int exec_cont(void *ctx, char *const envp[])
{
    const struct exec_call *c = ctx;
    errno = c->saved_errno;
    switch (c->kind) {
    case EXEC_VE:
    case EXEC_V:
    case EXEC_VP: /* a candidate of the PATH search, see exec_candidate */
    case EXEC_VPE:
        return exec_real_execve(c->path, c->argv, envp);
    case EXEC_FD: {
        exec_fd_fn fn = (exec_fd_fn)real_lookup(REAL_FEXECVE);
        return fn != NULL ? fn(c->fd, c->argv, envp) : exec_absent();
    }
    case EXEC_AT: {
        exec_at_fn fn = (exec_at_fn)real_lookup(REAL_EXECVEAT);
        return fn != NULL ? fn(c->fd, c->path, c->argv, envp, c->flags) : exec_absent();
    }
    }
    return exec_absent();
}

/* The call exactly as the program made it: the agent is inert here. */
static int exec_unchanged(const struct exec_call *c)
{
    errno = c->saved_errno;
    if (c->kind == EXEC_VP) {
        exec_v_fn fn = (exec_v_fn)real_lookup(REAL_EXECVP);
        return fn != NULL ? fn(c->path, c->argv) : exec_absent();
    }
    if (c->kind == EXEC_VPE) {
        exec_ve_fn fn = (exec_ve_fn)real_lookup(REAL_EXECVPE);
        return fn != NULL ? fn(c->path, c->argv, c->envp) : exec_absent();
    }
    return exec_cont((void *)c, c->envp);
}

/* Reads what is about to run (its class, the sanitizer runtimes it links), so LD_PRELOAD can be ordered
 * for it; an unreadable file leaves *t unknown, which keeps the environment as it was. */
static void exec_inspect(const struct exec_call *c, struct preload_target *t)
{
    t->elf_class = PRELOAD_CLASS_NONE;
    t->dynamic = false;
    t->runtimes[0] = '\0';
    if (c->kind == EXEC_FD || (c->kind == EXEC_AT && (c->flags & AT_EMPTY_PATH) && c->path != NULL &&
                               c->path[0] == '\0'))
        preload_inspect_fd(c->fd, t);
    else if (c->path != NULL) /* NULL: the real call fails with EFAULT, as bare */
        preload_inspect_at(c->kind == EXEC_AT ? c->fd : AT_FDCWD, c->path, t);
}

/* One exec with its environment repaired for the file it runs. */
static int exec_fixed(const struct agent_settings *s, struct exec_call *c)
{
    struct preload_target t;
    exec_inspect(c, &t);
    errno = c->saved_errno;
    return envfix_with(s, c->envp, &t, exec_cont, c);
}

/* A candidate of the PATH search of the p-variants: each file is judged on its own. */
static int exec_candidate(const char *path, char *const argv[], char *const envp[])
{
    struct exec_call c = {.kind = EXEC_VE, .path = path, .argv = argv, .envp = envp, .saved_errno = errno};
    struct agent_settings scratch;
    const struct agent_settings *s = session_peek(&scratch);
    if (s == NULL)
        return exec_cont(&c, envp);
    return exec_fixed(s, &c);
}

/* The p-variants search PATH here (glibc's execvp cannot be handed the file to run). */
static int exec_search(const struct exec_call *c)
{
    struct pathres_request req = {c->path, c->argv, c->envp, getenv("PATH")};
    errno = c->saved_errno;
    return pathres_execvpe(&req, exec_candidate);
}

/* The one path of every exec hook. */
static int exec_run(struct exec_call *c)
{
    c->saved_errno = errno;
    struct agent_settings scratch;
    const struct agent_settings *s = session_peek(&scratch);
    if (s == NULL)
        return exec_unchanged(c);
    /* A vfork child fails this test: its VmHWM is its parent's, and it may not write agent state. A
     * process that passes it is not sharing memory, so the reporting path may (re)connect. */
    if (agent_owns_image())
        report_peak(s, MW_PEAK_EXEC, MW_EXIT_CODE_UNKNOWN);
    if (c->kind == EXEC_VP || c->kind == EXEC_VPE)
        return exec_search(c);
    return exec_fixed(s, c);
}

AGENT_EXPORT int execve(const char *path, char *const argv[], char *const envp[])
{
    struct exec_call c = {.kind = EXEC_VE, .path = path, .argv = argv, .envp = envp};
    return exec_run(&c);
}

AGENT_EXPORT int execv(const char *path, char *const argv[])
{
    struct exec_call c = {.kind = EXEC_V, .path = path, .argv = argv, .envp = environ};
    return exec_run(&c);
}

AGENT_EXPORT int execvp(const char *file, char *const argv[])
{
    struct exec_call c = {.kind = EXEC_VP, .path = file, .argv = argv, .envp = environ};
    return exec_run(&c);
}

AGENT_EXPORT int execvpe(const char *file, char *const argv[], char *const envp[])
{
    struct exec_call c = {.kind = EXEC_VPE, .path = file, .argv = argv, .envp = envp};
    return exec_run(&c);
}

AGENT_EXPORT int fexecve(int fd, char *const argv[], char *const envp[])
{
    struct exec_call c = {.kind = EXEC_FD, .argv = argv, .envp = envp, .fd = fd};
    return exec_run(&c);
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
AGENT_EXPORT int execveat(int dirfd, const char *path, char *const argv[], char *const envp[], int flags)
{
    struct exec_call c = {.kind = EXEC_AT, .path = path, .argv = argv, .envp = envp, .fd = dirfd, .flags = flags};
    return exec_run(&c);
}
#endif

/* The l-variants: arguments counted on a copy of the list, then gathered into an array on the stack. */
static size_t exec_count_args(const char *arg0, va_list *ap)
{
    size_t n = 0;
    for (const char *a = arg0; a != NULL; a = va_arg(*ap, const char *))
        n++;
    return n;
}

/* Consumes the arguments and their terminating NULL, so execle can read envp next. */
static void exec_gather_args(char **argv, size_t n, const char *arg0, va_list *ap)
{
    if (n > 0) {
        argv[0] = (char *)arg0;
        for (size_t i = 1; i < n; i++)
            argv[i] = va_arg(*ap, char *);
        (void)va_arg(*ap, char *);
    }
    argv[n] = NULL;
}

/* The one path of the l-variants: the list (and, for execle, the envp after its NULL) gathered into an
 * array on this frame's stack, then the call made from here. */
static int exec_list(struct exec_call *c, const char *arg0, va_list ap, bool envp_follows)
{
    va_list walk;
    va_copy(walk, ap);
    size_t n = exec_count_args(arg0, &walk);
    va_end(walk);
    char *argv[n + 1];
    va_copy(walk, ap);
    exec_gather_args(argv, n, arg0, &walk);
    if (envp_follows)
        c->envp = va_arg(walk, char *const *);
    va_end(walk);
    c->argv = argv;
    return exec_run(c);
}

AGENT_EXPORT int execl(const char *path, const char *arg, ...)
{
    struct exec_call c = {.kind = EXEC_V, .path = path, .envp = environ};
    va_list ap;
    va_start(ap, arg);
    int rc = exec_list(&c, arg, ap, false);
    va_end(ap);
    return rc;
}

AGENT_EXPORT int execlp(const char *file, const char *arg, ...)
{
    struct exec_call c = {.kind = EXEC_VP, .path = file, .envp = environ};
    va_list ap;
    va_start(ap, arg);
    int rc = exec_list(&c, arg, ap, false);
    va_end(ap);
    return rc;
}

AGENT_EXPORT int execle(const char *path, const char *arg, ...)
{
    struct exec_call c = {.kind = EXEC_VE, .path = path};
    va_list ap;
    va_start(ap, arg);
    int rc = exec_list(&c, arg, ap, true);
    va_end(ap);
    return rc;
}
