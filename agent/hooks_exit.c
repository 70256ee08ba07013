/* _exit and _Exit report the image's peak with the exit status; exit() only records the status for the
 * destructor, which reports after the host's atexit handlers have run (they can still allocate). */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"
#include "memwatch/wire.h"
#include "real.h"
#include "report.h"
#include "session.h"

typedef void (*exit_fn)(int);

/* The real function, or the raw system call when libc has none: these must never return. */
static _Noreturn void exit_forward(enum real_id id, int status)
{
    exit_fn fn = (exit_fn)real_lookup(id);
    if (fn != NULL)
        fn(status);
    syscall(SYS_exit_group, status);
    __builtin_unreachable();
}

static void exit_report(int status)
{
    if (!agent_owns_image())
        return; /* a vfork child that failed to exec, or the constructor never ran */
    struct agent_settings scratch;
    const struct agent_settings *s = session_get(&scratch);
    if (s != NULL)
        report_peak(s, MW_PEAK_EXIT, status);
}

AGENT_EXPORT void _exit(int status)
{
    exit_report(status);
    exit_forward(REAL_EXIT_NOW, status);
}

AGENT_EXPORT void _Exit(int status)
{
    exit_report(status);
    exit_forward(REAL_EXIT_NOW_C, status);
}

AGENT_EXPORT void exit(int status)
{
    agent_note_exit(status);
    exit_forward(REAL_EXIT, status);
}
