/* Starts the job as a shell would, with the agent preloaded, in its own process group. */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent/preload.h"
#include "agent_layout.h"
#include "build_info.h"
#include "cli.h"
#include "memwatch/wire.h"
#include "outfile.h"

extern char **environ;

#define LAUNCHER_AGENT_NAME MEMWATCH_AGENT_FILE
/* ld.so splits LD_PRELOAD at spaces and colons: a path holding one is never injected as it is. */
#define LAUNCHER_PRELOAD_SPLITS " :\t\n"
#define LAUNCHER_AGENT_LINK "agent"

/* The private folder made for a link to an agent whose own path LD_PRELOAD cannot carry. */
static struct {
    char dir[PATH_MAX];
    char link[PATH_MAX + sizeof(LAUNCHER_AGENT_NAME) + 16];
} launcher_link;

static bool readable(const char *path)
{
    return access(path, R_OK) == 0;
}

static int agent_candidate(const char *path, char *buf, size_t len)
{
    char resolved[PATH_MAX];
    if (!realpath(path, resolved) || !readable(resolved))
        return -1;
    snprintf(buf, len, "%s", resolved);
    return 0;
}

/* An agent root laid out by $LIB (agent/CMakeLists.txt): "<root>/$LIB/<file>" when both classes are there,
 * the 64-bit agent's own path when only it is. */
static int agent_root_candidate(const char *root, char *buf, size_t len)
{
    char path[PATH_MAX * 2];
    if (MEMWATCH_AGENT_LIB_64[0] == '\0')
        return -1;
    snprintf(path, sizeof path, "%s/%s/%s", root, MEMWATCH_AGENT_LIB_64, LAUNCHER_AGENT_NAME);
    if (!readable(path))
        return -1;
    char resolved[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s/%s", root, MEMWATCH_AGENT_LIB_32, LAUNCHER_AGENT_NAME);
    if (MEMWATCH_AGENT_LIB_32[0] == '\0' || !readable(path) || !realpath(root, resolved)) {
        snprintf(path, sizeof path, "%s/%s/%s", root, MEMWATCH_AGENT_LIB_64, LAUNCHER_AGENT_NAME);
        return agent_candidate(path, buf, len);
    }
    snprintf(buf, len, "%s/$LIB/%s", resolved, LAUNCHER_AGENT_NAME);
    return 0;
}

/* MEMWATCH_AGENT names a file, or an absolute "$LIB" path whose 64-bit expansion exists. */
static int agent_override(const char *named, char *buf, size_t len)
{
    const char *lib = strstr(named, "$LIB");
    if (lib == NULL)
        return agent_candidate(named, buf, len);
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%.*s%s%s", (int)(lib - named), named, MEMWATCH_AGENT_LIB_64, lib + 4);
    if (named[0] != '/' || MEMWATCH_AGENT_LIB_64[0] == '\0' || !readable(path))
        return -1;
    snprintf(buf, len, "%s", named);
    return 0;
}

static int agent_locate(char *buf, size_t len)
{
    const char *override = getenv("MEMWATCH_AGENT");
    if (override && override[0]) {
        if (agent_override(override, buf, len) == 0)
            return 0;
        snprintf(buf, len, "MEMWATCH_AGENT='%s'", override);
        return -1;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0) {
        snprintf(buf, len, "/proc/self/exe");
        return -1;
    }
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    *slash = '\0';
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", self, MEMWATCH_AGENT_ROOT_BUILD);
    if (agent_root_candidate(path, buf, len) == 0)
        return 0;
    snprintf(path, sizeof path, "%s/%s", self, MEMWATCH_AGENT_ROOT_INSTALLED);
    if (agent_root_candidate(path, buf, len) == 0)
        return 0;
    snprintf(path, sizeof path, "%s/%s", self, LAUNCHER_AGENT_NAME);
    if (agent_candidate(path, buf, len) == 0)
        return 0;
    snprintf(path, sizeof path, "%s/%s", self, MEMWATCH_AGENT_RELATIVE);
    if (agent_candidate(path, buf, len) == 0)
        return 0;
    snprintf(buf, len, "%.1000s/%s/%s/%s or %.1000s/%s/%s/%s", self, MEMWATCH_AGENT_ROOT_BUILD, MEMWATCH_AGENT_LIB_64,
             LAUNCHER_AGENT_NAME, self, MEMWATCH_AGENT_ROOT_INSTALLED, MEMWATCH_AGENT_LIB_64, LAUNCHER_AGENT_NAME);
    return -1;
}

/* A private folder for the link: in TMPDIR, or /tmp when TMPDIR's own path would be split too. Readable by
 * all (only memwatch's user can change it) so processes that drop privileges still load the agent. */
static int agent_link_dir(char *err, size_t errlen)
{
    const char *tmp = getenv("TMPDIR");
    const char *bases[] = {tmp && *tmp ? tmp : "/tmp", "/tmp"};
    int e = 0;
    for (size_t i = 0; i < 2; i++) {
        if (strpbrk(bases[i], LAUNCHER_PRELOAD_SPLITS) != NULL)
            continue;
        snprintf(launcher_link.dir, sizeof launcher_link.dir, "%s/memwatch-agent-XXXXXX", bases[i]);
        if (mkdtemp(launcher_link.dir) != NULL && chmod(launcher_link.dir, 0755) == 0)
            return 0;
        e = errno;
        if (launcher_link.dir[0] != '\0')
            rmdir(launcher_link.dir);
    }
    launcher_link.dir[0] = '\0';
    char why[128];
    snprintf(err, errlen, "cannot make a folder for a link to the agent in '%s' or /tmp: %s", bases[0],
             e ? outfile_errno_text(e, why, sizeof why) : "their path holds a space or colon");
    return -1;
}

/* Injects a link to found (an agent file, or "<root>/$LIB/<file>": then the link is to the root). */
static int agent_link(const char *found, char *buf, size_t len)
{
    char why[128], err[LAUNCHER_ERROR_MAX];
    if (agent_link_dir(err, sizeof err) != 0) {
        snprintf(buf, len, "the agent's path '%s' holds a space or colon, which LD_PRELOAD cannot carry; %s", found,
                 err);
        return LAUNCHER_AGENT_UNUSABLE;
    }
    const char *lib = strstr(found, "/$LIB/");
    char target[PATH_MAX];
    snprintf(target, sizeof target, "%.*s", lib ? (int)(lib - found) : (int)strlen(found), found);
    snprintf(launcher_link.link, sizeof launcher_link.link, "%s/%s", launcher_link.dir,
             lib ? LAUNCHER_AGENT_LINK : LAUNCHER_AGENT_NAME);
    if (symlink(target, launcher_link.link) != 0) {
        snprintf(buf, len, "cannot link '%s' to the agent '%s': %s", launcher_link.link, target,
                 outfile_errno_text(errno, why, sizeof why));
        launcher_agent_release();
        return LAUNCHER_AGENT_UNUSABLE;
    }
    if (lib)
        snprintf(buf, len, "%s%s", launcher_link.link, lib);
    else
        snprintf(buf, len, "%s", launcher_link.link);
    return 0;
}

int launcher_find_agent(char *buf, size_t len)
{
    char found[PATH_MAX + 64];
    if (agent_locate(found, sizeof found) != 0) {
        snprintf(buf, len, "%s", found);
        return -1;
    }
    if (strpbrk(found, LAUNCHER_PRELOAD_SPLITS) == NULL) {
        snprintf(buf, len, "%s", found);
        return 0;
    }
    return agent_link(found, buf, len);
}

void launcher_agent_release(void)
{
    if (launcher_link.dir[0] == '\0')
        return;
    if (launcher_link.link[0] != '\0')
        unlink(launcher_link.link);
    rmdir(launcher_link.dir);
    launcher_link.dir[0] = launcher_link.link[0] = '\0';
}

#define LAUNCHER_AGENT_VARS 4

/* The job's environment: environ with LD_PRELOAD ordered for the program the job starts (its sanitizer
 * runtime first, then the agent of its class, then the user's preloads) and the agent's variables set. */
struct launcher_env {
    char **envp;
    char *owned[LAUNCHER_AGENT_VARS];
};

static bool is_var(const char *entry, const char *name)
{
    size_t n = strlen(name);
    return strncmp(entry, name, n) == 0 && entry[n] == '=';
}

static void launcher_env_free(struct launcher_env *e)
{
    for (size_t i = 0; i < LAUNCHER_AGENT_VARS; i++)
        free(e->owned[i]);
    free(e->envp);
}

/* What the job's first program is: found as execvp will find it. Unknown when it cannot be read. */
static void launcher_root_target(const struct launcher_job *job, struct preload_target *t)
{
    char found[PRELOAD_PATH_MAX];
    const char *path = job->argv[0];
    if (path != NULL && strchr(path, '/') == NULL)
        path = preload_find_in_path(path, getenv("PATH"), found, sizeof found) ? found : NULL;
    if (path == NULL || preload_inspect_at(AT_FDCWD, path, t) != 0)
        t->elf_class = PRELOAD_CLASS_NONE;
}

/* The new LD_PRELOAD entry (NULL when the list is empty) and PRELOAD_ENV_ADDED entry (NULL when nothing was
 * put in for this program). */
static int launcher_preload(struct launcher_env *e, const struct launcher_job *job, const char *old,
                            const char *added)
{
    struct preload_target t = {PRELOAD_CLASS_NONE, false, ""};
    launcher_root_target(job, &t);
    /* A plain agent path serves programs of its own class only. */
    struct preload_target agent_file = {PRELOAD_CLASS_NONE, false, ""};
    preload_inspect_at(AT_FDCWD, job->agent_path, &agent_file);
    enum preload_class agent_class = agent_file.elf_class != PRELOAD_CLASS_NONE ? agent_file.elf_class
                                                                                 : PRELOAD_OWN_CLASS;
    struct preload_request r = {old, added, preload_agent_for(job->agent_path, &t, agent_class), t.runtimes};
    size_t n = preload_compose(&r, NULL, 0);
    if (n > 0) {
        e->owned[0] = malloc(sizeof "LD_PRELOAD=" + n);
        if (!e->owned[0])
            return -1;
        memcpy(e->owned[0], "LD_PRELOAD=", sizeof "LD_PRELOAD=" - 1);
        preload_compose(&r, e->owned[0] + sizeof "LD_PRELOAD=" - 1, n + 1);
    }
    if (preload_injects(&r) && asprintf(&e->owned[3], "%s=%s", PRELOAD_ENV_ADDED, t.runtimes) < 0) {
        e->owned[3] = NULL;
        return -1;
    }
    return 0;
}

static int launcher_env_build(struct launcher_env *e, const struct launcher_job *job)
{
    memset(e, 0, sizeof *e);
    size_t n = 0;
    while (environ[n])
        n++;
    e->envp = calloc(n + LAUNCHER_AGENT_VARS + 1, sizeof *e->envp);
    if (!e->envp)
        return -1;
    size_t k = 0;
    const char *user_preload = NULL, *added = NULL;
    for (size_t i = 0; i < n; i++) {
        if (is_var(environ[i], "LD_PRELOAD")) {
            if (!user_preload)
                user_preload = environ[i] + strlen("LD_PRELOAD=");
        } else if (is_var(environ[i], PRELOAD_ENV_ADDED)) {
            if (!added)
                added = environ[i] + strlen(PRELOAD_ENV_ADDED "=");
        } else if (!is_var(environ[i], MW_ENV_SOCKET) && !is_var(environ[i], MW_ENV_AGENT_PATH)) {
            e->envp[k++] = environ[i];
        }
    }
    if (launcher_preload(e, job, user_preload, added) != 0 ||
        asprintf(&e->owned[1], "%s=%s", MW_ENV_SOCKET, job->socket_path) < 0 ||
        asprintf(&e->owned[2], "%s=%s", MW_ENV_AGENT_PATH, job->agent_path) < 0) {
        launcher_env_free(e);
        return -1;
    }
    for (size_t i = 0; i < LAUNCHER_AGENT_VARS; i++) {
        if (e->owned[i])
            e->envp[k++] = e->owned[i];
    }
    return 0;
}

/* In the child: only async-signal-safe calls until exec; the exec's errno goes up the pipe. The job stays in
 * memwatch's process group, as under `time`: it has the terminal exactly when memwatch has it, so reading it,
 * Ctrl-C, Ctrl-Z and `fg`, a background start and a job-control shell inside the job all behave as bare. */
static void child_exec(const struct launcher_job *job, char **envp, int err_fd)
{
    /* Dispositions are left as memwatch inherited them (nohup's ignored SIGHUP must stay ignored); only the
     * mask memwatch set for its signalfd is undone. */
    sigprocmask(SIG_SETMASK, job->child_sigmask, NULL);
    execvpe(job->argv[0], job->argv, envp);
    int e = errno;
    ssize_t w = write(err_fd, &e, sizeof e);
    (void)w;
    _exit(CLI_EXIT_NOT_FOUND);
}

/* memwatch's controlling terminal, whichever of its streams are redirected; -1 when it has none. */
static void open_terminal(struct launcher_job *job)
{
    job->tty_fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NONBLOCK);
    job->tty_foreground = job->tty_fd >= 0 && tcgetpgrp(job->tty_fd) == getpgrp();
}

int launcher_start(struct launcher_job *job, char *err, size_t errlen)
{
    struct launcher_env env = {.envp = environ};
    int pipefd[2];
    job->tty_fd = -1;
    if ((job->agent_path && launcher_env_build(&env, job) != 0) || pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot prepare the job: %s", strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    open_terminal(job);
    pid_t pid = fork();
    if (pid == 0)
        child_exec(job, env.envp, pipefd[1]);
    int fork_errno = errno;
    close(pipefd[1]);
    if (job->agent_path)
        launcher_env_free(&env);
    if (pid < 0) {
        close(pipefd[0]);
        snprintf(err, errlen, "cannot start the job: fork: %s", strerror(fork_errno));
        return CLI_EXIT_FAILURE;
    }
    job->pid = pid;
    int exec_errno = 0;
    ssize_t n;
    do
        n = read(pipefd[0], &exec_errno, sizeof exec_errno);
    while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    if (n != (ssize_t)sizeof exec_errno)
        return 0;
    waitpid(pid, NULL, 0);
    launcher_release_terminal(job);
    char why[128];
    outfile_errno_text(exec_errno, why, sizeof why);
    if (exec_errno == ENOENT && !strchr(job->argv[0], '/')) {
        snprintf(err, errlen, "%s: command not found", job->argv[0]);
        return CLI_EXIT_NOT_FOUND;
    }
    snprintf(err, errlen, "cannot run '%s': %s", job->argv[0], why);
    return exec_errno == ENOENT ? CLI_EXIT_NOT_FOUND : CLI_EXIT_CANNOT_RUN;
}

void launcher_release_terminal(struct launcher_job *job)
{
    if (job->tty_fd < 0)
        return;
    pid_t fg = tcgetpgrp(job->tty_fd);
    if (job->tty_foreground && fg > 0 && fg != getpgrp() && kill(-fg, 0) != 0 && errno == ESRCH) {
        /* memwatch is in the background now: tcsetpgrp would stop it with SIGTTOU unless blocked. */
        sigset_t ttou, old;
        sigemptyset(&ttou);
        sigaddset(&ttou, SIGTTOU);
        sigprocmask(SIG_BLOCK, &ttou, &old);
        tcsetpgrp(job->tty_fd, getpgrp());
        sigprocmask(SIG_SETMASK, &old, NULL);
    }
    close(job->tty_fd);
    job->tty_fd = -1;
}

bool launcher_signal_reached_job(int si_code, pid_t sender)
{
    if (si_code == SI_KERNEL)
        return true;
    return (si_code == SI_USER || si_code == SI_QUEUE) && sender > 0 && getpgid(sender) == getpgrp();
}

void launcher_die_like(int wait_status)
{
    if (!WIFSIGNALED(wait_status))
        return;
    int sig = WTERMSIG(wait_status);
    struct rlimit no_core = {0, 0};
    setrlimit(RLIMIT_CORE, &no_core);
    signal(sig, SIG_DFL);
    sigset_t only;
    sigemptyset(&only);
    sigaddset(&only, sig);
    sigprocmask(SIG_UNBLOCK, &only, NULL);
    raise(sig);
}

int launcher_exit_code(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return CLI_EXIT_FAILURE;
}
