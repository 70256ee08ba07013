/* The agent's constructor and destructor: report the image's start, and its peak at a normal exit. */
#include "agent.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "argv_pack.h"
#include "log.h"
#include "memwatch/wire.h"
#include "proc_self.h"
#include "real.h"
#include "report.h"
#include "session.h"

/* 0 until the constructor ran; then the pid of the process this image's state belongs to. */
static _Atomic pid_t agent_pid;
/* The status given to exit(), valid only for the pid that recorded it. */
static int agent_exit_status;
static _Atomic pid_t agent_exit_pid;
/* Packed once in the constructor; a fork child reuses it with its own pid (same image, same argv). */
static struct mw_image_start agent_start;
static size_t agent_start_len;

/* The pid of the image's owner when the caller is that process, else 0: one getpid for both answers. */
static pid_t agent_owner(void)
{
    pid_t pid = atomic_load_explicit(&agent_pid, memory_order_acquire);
    return pid != 0 && pid == getpid() ? pid : 0;
}

bool agent_owns_image(void)
{
    return agent_owner() != 0;
}

static void agent_start_identity(struct mw_image_start *m)
{
    struct proc_stat st;
    m->ppid = (int32_t)getppid();
    m->id.starttime_ticks = proc_self_stat(&st) == 0 ? st.starttime_ticks : 0;
    m->id.start_ns = report_mono_ns();
}

static void agent_start_exe(struct mw_image_start *m)
{
    ssize_t n = readlink("/proc/self/exe", m->exe, sizeof(m->exe));
    if (n < 0)
        n = 0;
    if ((size_t)n >= sizeof(m->exe)) {
        n = (ssize_t)sizeof(m->exe) - 1;
        m->flags |= MW_START_EXE_TRUNCATED;
    }
    m->exe[n] = '\0';
}

static void agent_pack_start(int argc, char **argv)
{
    struct mw_image_start *m = &agent_start;
    memset(m, 0, sizeof(*m));
    agent_start_identity(m);
    agent_start_exe(m);
    size_t count = argc > 0 ? (size_t)argc : 0;
    struct argv_pack_result r = argv_pack(argv, count, m->argv, sizeof(m->argv));
    m->argc = (uint32_t)count;
    m->argv_len = (uint32_t)r.len;
    if (r.truncated)
        m->flags |= MW_START_ARGV_TRUNCATED;
    agent_start_len = offsetof(struct mw_image_start, argv) + r.len;
    report_header(&m->h, MW_MSG_IMAGE_START, agent_start_len);
}

void agent_fork_child(void)
{
    int saved = errno;
    pid_t was = atomic_load_explicit(&agent_pid, memory_order_acquire);
    pid_t me = getpid();
    if (was == 0 || was == me) {
        errno = saved;
        return;
    }
    struct agent_settings scratch;
    const struct agent_settings *s = session_get(&scratch);
    report_image_forget();
    agent_start_identity(&agent_start);
    agent_start.flags |= MW_START_FORKED;
    atomic_store_explicit(&agent_pid, me, memory_order_release);
    if (s != NULL)
        report_image_start(s, &agent_start, agent_start_len);
    agent_log(s, "forked-from", (long)was);
    errno = saved;
}

void agent_note_exit(int status)
{
    pid_t me = agent_owner();
    if (me == 0)
        return;
    agent_exit_status = status;
    atomic_store_explicit(&agent_exit_pid, me, memory_order_release);
}

/* glibc hands argc, argv and envp to ELF constructors; argv is the one copy that is never stale. */
__attribute__((constructor)) static void agent_init(int argc, char **argv, char **envp)
{
    (void)envp;
    int saved = errno;
    struct agent_settings scratch;
    const struct agent_settings *s = session_get(&scratch);
    if (s == NULL) {
        errno = saved;
        return;
    }
    real_resolve_all();
    agent_pack_start(argc, argv);
    atomic_store_explicit(&agent_pid, getpid(), memory_order_release);
    report_image_start(s, &agent_start, agent_start_len);
    /* Catches every fork that runs glibc's handlers, including forks inside libc (daemon()) that never
     * reach the fork hook. */
    pthread_atfork(NULL, NULL, agent_fork_child);
    agent_log(s, "start-argc", argc);
    errno = saved;
}

/* Normal exit (exit() or return from main): the last moment the image can report its peak. */
__attribute__((destructor)) static void agent_fini(void)
{
    int saved = errno;
    pid_t me = agent_owner();
    if (me != 0) {
        struct agent_settings scratch;
        const struct agent_settings *s = session_get(&scratch);
        bool known = atomic_load_explicit(&agent_exit_pid, memory_order_acquire) == me;
        if (s != NULL)
            report_peak(s, MW_PEAK_EXIT, known ? agent_exit_status : MW_EXIT_CODE_UNKNOWN);
    }
    errno = saved;
}
