/* kill(): a process of the job about to send a signal that ends its target by default first reads the
 * target's VmHWM, the last figure anyone can read of a process killed without a word (a worker pool's
 * SIGTERM at the end). The real call then decides, with the caller's errno and result. */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <unistd.h>

#include "agent.h"
#include "real.h"
#include "report.h"
#include "session.h"

typedef int (*kill_fn)(pid_t, int);

/* Signals whose default action ends the process (and that a program sends to end another). */
static bool kill_is_fatal(int sig)
{
    switch (sig) {
    case SIGHUP: case SIGINT: case SIGQUIT: case SIGABRT: case SIGKILL: case SIGTERM: case SIGUSR1:
    case SIGUSR2: case SIGPIPE: case SIGALRM:
        return true;
    default:
        return false;
    }
}

AGENT_EXPORT int kill(pid_t pid, int sig)
{
    kill_fn fn = (kill_fn)real_lookup(REAL_KILL);
    if (fn == NULL) {
        errno = ENOSYS;
        return -1;
    }
    /* A vfork child may not touch agent state; one pid, never a group or everyone (-1). */
    if (pid > 0 && kill_is_fatal(sig) && agent_owns_image()) {
        int saved = errno;
        struct agent_settings scratch;
        const struct agent_settings *s = session_get(&scratch);
        if (s != NULL && pid != getpid())
            report_kill_peak(s, pid, sig);
        errno = saved;
    }
    return fn(pid, sig);
}
