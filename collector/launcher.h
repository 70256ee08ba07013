/* Starts the job: the agent's environment, its own process group, the terminal, the exit status. */
#ifndef MEMWATCH_LAUNCHER_H
#define MEMWATCH_LAUNCHER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define LAUNCHER_ERROR_MAX 512

struct launcher_job {
    char **argv;
    const char *agent_path;  /* NULL: no agent */
    const char *socket_path; /* where the agent reports */
    const sigset_t *child_sigmask; /* the mask the job starts with (memwatch blocks signals for signalfd) */
    /* Filled by launcher_start. */
    pid_t pid;
    bool has_terminal; /* the job was made the terminal's foreground group */
};

/* Finds the agent: $MEMWATCH_AGENT, beside the memwatch binary (build tree), or the installed layout.
 * Returns 0 with the absolute path in buf, or -1 (buf says what was tried). */
int launcher_find_agent(char *buf, size_t len);

/* Forks and execs the job with PATH lookup as a shell does. Returns 0, or the exit code memwatch must
 * use (126, 127, 125) with a message in err. */
int launcher_start(struct launcher_job *job, char *err, size_t errlen);

/* Gives the terminal back to memwatch's process group if the job had it. */
void launcher_restore_terminal(struct launcher_job *job);

/* 128+N for a signal, the code for an exit: the shell's convention. */
int launcher_exit_code(int wait_status);

#endif
