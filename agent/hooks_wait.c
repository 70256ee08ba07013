/* The wait family: the real call decides; when it reaped a child, the parent reports how it ended and
 * its ru_maxrss (an upper bound of the child's peak). */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>
#include <sys/wait.h>

#include "agent.h"
#include "real.h"
#include "report.h"
#include "session.h"

typedef pid_t (*wait4_fn)(pid_t, int *, int, struct rusage *);
typedef int (*waitid_fn)(idtype_t, id_t, siginfo_t *, int);

static void wait_report(pid_t pid, int status, const struct rusage *ru)
{
    /* Stopped and continued children were not reaped. */
    if (pid <= 0 || !(WIFEXITED(status) || WIFSIGNALED(status)) || !agent_owns_image())
        return;
    int saved = errno;
    struct agent_settings scratch;
    const struct agent_settings *s = session_get(&scratch);
    struct report_child child = {pid, status, ru};
    if (s != NULL)
        report_child_end(s, &child);
    errno = saved;
}

/* wait, waitpid and wait3 are wait4 with fixed arguments (so they are on Linux); going through wait4
 * gives the child's rusage even when the caller did not ask for it. */
static pid_t wait_run(pid_t pid, int *status, int options, struct rusage *ru_user)
{
    wait4_fn fn = (wait4_fn)real_lookup(REAL_WAIT4);
    if (fn == NULL) {
        errno = ENOSYS;
        return -1;
    }
    struct rusage ru_own;
    struct rusage *ru = ru_user != NULL ? ru_user : &ru_own;
    int st_own = 0;
    int *st = status != NULL ? status : &st_own; /* the caller's pointer, so a bad one fails as before */
    pid_t r = fn(pid, st, options, ru);
    if (r > 0)
        wait_report(r, *st, ru);
    return r;
}

AGENT_EXPORT pid_t wait(int *status)
{
    return wait_run(-1, status, 0, NULL);
}

AGENT_EXPORT pid_t waitpid(pid_t pid, int *status, int options)
{
    return wait_run(pid, status, options, NULL);
}

AGENT_EXPORT pid_t wait3(int *status, int options, struct rusage *ru)
{
    return wait_run(-1, status, options, ru);
}

AGENT_EXPORT pid_t wait4(pid_t pid, int *status, int options, struct rusage *ru)
{
    return wait_run(pid, status, options, ru);
}

/* The wait status a wait4 would have given for an exited or killed child. */
static bool waitid_status(const siginfo_t *info, int *status)
{
    switch (info->si_code) {
    case CLD_EXITED:
        *status = (info->si_status & 0xff) << 8;
        return true;
    case CLD_KILLED:
        *status = info->si_status & 0x7f;
        return true;
    case CLD_DUMPED:
        *status = (info->si_status & 0x7f) | 0x80;
        return true;
    default:
        return false;
    }
}

AGENT_EXPORT int waitid(idtype_t idtype, id_t id, siginfo_t *info, int options)
{
    waitid_fn fn = (waitid_fn)real_lookup(REAL_WAITID);
    if (fn == NULL) {
        errno = ENOSYS;
        return -1;
    }
    int r = fn(idtype, id, info, options);
    int status;
    /* WNOWAIT leaves the child waitable; WNOHANG with nothing to reap leaves si_pid 0. */
    if (r == 0 && info != NULL && !(options & WNOWAIT) && info->si_pid > 0 && waitid_status(info, &status))
        wait_report(info->si_pid, status, NULL);
    return r;
}
