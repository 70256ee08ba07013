/* The real libc functions behind the hooks, found with dlsym(RTLD_NEXT) on first use. */
#ifndef MEMWATCH_AGENT_REAL_H
#define MEMWATCH_AGENT_REAL_H

enum real_id {
    REAL_EXECVE,
    REAL_EXECV,
    REAL_EXECVP,
    REAL_EXECVPE,
    REAL_FEXECVE,
    REAL_EXECVEAT,
    REAL_POSIX_SPAWN,
    REAL_POSIX_SPAWNP,
    REAL_FORK,
    REAL_FORK_ASYNC, /* _Fork */
    REAL_EXIT,
    REAL_EXIT_NOW,   /* _exit */
    REAL_EXIT_NOW_C, /* _Exit */
    REAL_WAIT4,
    REAL_WAITID,
    REAL_SYSTEM,
    REAL_POPEN,
    REAL_KILL,
    REAL_COUNT
};

/* The next definition of the function after the agent, or NULL when libc has none. Safe before the
 * constructor; the first call for a name may take the dynamic linker's lock. */
void *real_lookup(enum real_id id);

/* Resolves every name now (constructor), so hooks later never enter the dynamic linker, in particular
 * not from a vfork child or after fork in a threaded program. */
void real_resolve_all(void);

#endif
