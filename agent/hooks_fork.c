/* fork and _Fork: the child becomes a process of its own, with its own start message. vfork is not wrapped
 * (its child would return through this frame); exec hooks handle vfork children instead. */
#include <errno.h>
#include <sys/types.h>
#include <unistd.h>

#include "agent.h"
#include "real.h"

typedef pid_t (*fork_fn)(void);

static pid_t fork_run(enum real_id id)
{
    fork_fn fn = (fork_fn)real_lookup(id);
    if (fn == NULL) {
        errno = ENOSYS;
        return -1;
    }
    pid_t pid = fn();
    if (pid == 0)
        agent_fork_child(); /* errno preserved; a no-op when the atfork handler already ran */
    return pid;
}

AGENT_EXPORT pid_t fork(void)
{
    return fork_run(REAL_FORK);
}

#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
/* _Fork runs no atfork handlers, so the hook is the only place its child is seen. */
AGENT_EXPORT pid_t _Fork(void)
{
    return fork_run(REAL_FORK_ASYNC);
}
#endif
