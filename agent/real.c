/* The real libc functions behind the hooks, found with dlsym(RTLD_NEXT) on first use. */
#include "real.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stddef.h>

static const char *const real_names[REAL_COUNT] = {
    [REAL_EXECVE] = "execve",
    [REAL_EXECV] = "execv",
    [REAL_EXECVP] = "execvp",
    [REAL_EXECVPE] = "execvpe",
    [REAL_FEXECVE] = "fexecve",
    [REAL_EXECVEAT] = "execveat",
    [REAL_POSIX_SPAWN] = "posix_spawn",
    [REAL_POSIX_SPAWNP] = "posix_spawnp",
    [REAL_FORK] = "fork",
    [REAL_FORK_ASYNC] = "_Fork",
    [REAL_EXIT] = "exit",
    [REAL_EXIT_NOW] = "_exit",
    [REAL_EXIT_NOW_C] = "_Exit",
    [REAL_WAIT4] = "wait4",
    [REAL_WAITID] = "waitid",
    [REAL_SYSTEM] = "system",
    [REAL_POPEN] = "popen",
    [REAL_KILL] = "kill",
};

/* A racing second lookup stores the same pointer, so relaxed atomics are enough; the marker tells
 * "looked up, absent" from "not looked up yet" so a missing name is not searched on every call. */
static _Atomic(void *) real_cache[REAL_COUNT];
static char real_absent;

void *real_lookup(enum real_id id)
{
    if ((unsigned)id >= REAL_COUNT)
        return NULL;
    void *fn = atomic_load_explicit(&real_cache[id], memory_order_relaxed);
    if (fn == NULL) {
        fn = dlsym(RTLD_NEXT, real_names[id]);
        if (fn == NULL)
            fn = &real_absent;
        atomic_store_explicit(&real_cache[id], fn, memory_order_relaxed);
    }
    return fn == &real_absent ? NULL : fn;
}

void real_resolve_all(void)
{
    for (int id = 0; id < REAL_COUNT; id++)
        (void)real_lookup((enum real_id)id);
}
