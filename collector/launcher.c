/* Starts the job as a shell would, with the agent preloaded, in its own process group. */
#include "launcher.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "build_info.h"
#include "cli.h"
#include "memwatch/wire.h"
#include "outfile.h"

extern char **environ;

#define LAUNCHER_AGENT_NAME "libmemwatch_agent.so"

static int agent_candidate(const char *path, char *buf, size_t len)
{
    char resolved[PATH_MAX];
    if (!realpath(path, resolved) || access(resolved, R_OK) != 0)
        return -1;
    snprintf(buf, len, "%s", resolved);
    return 0;
}

int launcher_find_agent(char *buf, size_t len)
{
    const char *override = getenv("MEMWATCH_AGENT");
    if (override && override[0]) {
        if (agent_candidate(override, buf, len) == 0)
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
    snprintf(path, sizeof path, "%s/%s", self, LAUNCHER_AGENT_NAME);
    if (agent_candidate(path, buf, len) == 0)
        return 0;
    snprintf(path, sizeof path, "%s/%s", self, MEMWATCH_AGENT_RELATIVE);
    if (agent_candidate(path, buf, len) == 0)
        return 0;
    snprintf(buf, len, "%s/%s or %s/%s", self, LAUNCHER_AGENT_NAME, self, MEMWATCH_AGENT_RELATIVE);
    return -1;
}

#define LAUNCHER_AGENT_VARS 3

/* The job's environment: environ with the agent first in LD_PRELOAD (the user's preloads kept) and the
 * agent's variables set. */
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
    const char *user_preload = "";
    for (size_t i = 0; i < n; i++) {
        if (is_var(environ[i], "LD_PRELOAD"))
            user_preload = environ[i] + strlen("LD_PRELOAD=");
        else if (!is_var(environ[i], MW_ENV_SOCKET) && !is_var(environ[i], MW_ENV_AGENT_PATH))
            e->envp[k++] = environ[i];
    }
    if (asprintf(&e->owned[0], "LD_PRELOAD=%s%s%s", job->agent_path, *user_preload ? ":" : "", user_preload) < 0 ||
        asprintf(&e->owned[1], "%s=%s", MW_ENV_SOCKET, job->socket_path) < 0 ||
        asprintf(&e->owned[2], "%s=%s", MW_ENV_AGENT_PATH, job->agent_path) < 0) {
        launcher_env_free(e);
        return -1;
    }
    for (size_t i = 0; i < LAUNCHER_AGENT_VARS; i++)
        e->envp[k++] = e->owned[i];
    return 0;
}

/* In the child: only async-signal-safe calls until exec; the exec's errno goes up the pipe. */
static void child_exec(const struct launcher_job *job, char **envp, int err_fd, bool take_terminal)
{
    setpgid(0, 0);
    if (take_terminal)
        tcsetpgrp(STDIN_FILENO, getpid());
    /* Dispositions are left as memwatch inherited them (nohup's ignored SIGHUP must stay ignored); only the
     * mask memwatch set for its signalfd is undone. */
    sigprocmask(SIG_SETMASK, job->child_sigmask, NULL);
    execvpe(job->argv[0], job->argv, envp);
    int e = errno;
    ssize_t w = write(err_fd, &e, sizeof e);
    (void)w;
    _exit(CLI_EXIT_NOT_FOUND);
}

static bool can_take_terminal(void)
{
    return isatty(STDIN_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp();
}

int launcher_start(struct launcher_job *job, char *err, size_t errlen)
{
    struct launcher_env env = {.envp = environ};
    int pipefd[2];
    if ((job->agent_path && launcher_env_build(&env, job) != 0) || pipe2(pipefd, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot prepare the job: %s", strerror(errno));
        return CLI_EXIT_FAILURE;
    }
    bool take_terminal = can_take_terminal();
    pid_t pid = fork();
    if (pid == 0)
        child_exec(job, env.envp, pipefd[1], take_terminal);
    int fork_errno = errno;
    close(pipefd[1]);
    if (job->agent_path)
        launcher_env_free(&env);
    if (pid < 0) {
        close(pipefd[0]);
        snprintf(err, errlen, "cannot start the job: fork: %s", strerror(fork_errno));
        return CLI_EXIT_FAILURE;
    }
    setpgid(pid, pid); /* also here, so signals sent right away reach the group */
    job->pid = pid;
    job->has_terminal = take_terminal;
    int exec_errno = 0;
    ssize_t n;
    do
        n = read(pipefd[0], &exec_errno, sizeof exec_errno);
    while (n < 0 && errno == EINTR);
    close(pipefd[0]);
    if (n != (ssize_t)sizeof exec_errno)
        return 0;
    waitpid(pid, NULL, 0);
    launcher_restore_terminal(job);
    char why[128];
    outfile_errno_text(exec_errno, why, sizeof why);
    if (exec_errno == ENOENT && !strchr(job->argv[0], '/')) {
        snprintf(err, errlen, "%s: command not found", job->argv[0]);
        return CLI_EXIT_NOT_FOUND;
    }
    snprintf(err, errlen, "cannot run '%s': %s", job->argv[0], why);
    return exec_errno == ENOENT ? CLI_EXIT_NOT_FOUND : CLI_EXIT_CANNOT_RUN;
}

void launcher_restore_terminal(struct launcher_job *job)
{
    if (!job->has_terminal)
        return;
    /* memwatch is in the background now: tcsetpgrp would stop it with SIGTTOU unless ignored. */
    struct sigaction ign = {.sa_handler = SIG_IGN}, old;
    sigaction(SIGTTOU, &ign, &old);
    tcsetpgrp(STDIN_FILENO, getpgrp());
    sigaction(SIGTTOU, &old, NULL);
    job->has_terminal = false;
}

int launcher_exit_code(int wait_status)
{
    if (WIFEXITED(wait_status))
        return WEXITSTATUS(wait_status);
    if (WIFSIGNALED(wait_status))
        return 128 + WTERMSIG(wait_status);
    return CLI_EXIT_FAILURE;
}
