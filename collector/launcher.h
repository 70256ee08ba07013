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
    int tty_fd;           /* memwatch's controlling terminal (/dev/tty), or -1 */
    bool tty_foreground;  /* memwatch's process group had the terminal when the job started */
};

/* Finds the agent: $MEMWATCH_AGENT, beside the memwatch binary (build tree), or the installed layout.
 * Returns 0 with what LD_PRELOAD must name in buf: "<root>/$LIB/libmemwatch_agent.so" when there is an agent
 * for each ELF class, else the agent's absolute path; never a path ld.so would split (a space or colon in it
 * is replaced by a link in a private folder). Returns -1 when there is no agent (buf says what was tried), or
 * LAUNCHER_AGENT_UNUSABLE when there is one that cannot be injected (buf says why). */
#define LAUNCHER_AGENT_UNUSABLE (-2)
int launcher_find_agent(char *buf, size_t len);

/* Removes the private link launcher_find_agent may have made; for the end of the session. */
void launcher_agent_release(void);

/* Forks and execs the job with PATH lookup as a shell does. Returns 0, or the exit code memwatch must
 * use (126, 127, 125) with a message in err. */
int launcher_start(struct launcher_job *job, char *err, size_t errlen);

/* At the end of the run: if memwatch had the terminal when the job started and a process of the job took it
 * and left it to a group that is now empty (a killed `bash -i`), takes it back; a live foreground group (the
 * user's shell after Ctrl-Z and bg) is left alone. Closes the terminal. */
void launcher_release_terminal(struct launcher_job *job);

/* True when a signal memwatch received already reached the job by itself: the terminal sent it to the
 * foreground group (Ctrl-C, Ctrl-\, hangup), or a process of memwatch's own group signalled the group. */
bool launcher_signal_reached_job(int si_code, pid_t sender);

/* 128+N for a signal, the code for an exit: the shell's convention. */
int launcher_exit_code(int wait_status);

/* Ends memwatch the way the job ended: by the same signal when the job was killed by one (so a calling shell
 * sees a signal death, as bare: bash stops a loop on a child's SIGINT), else returns. Core dumps are off for
 * memwatch's own death. */
void launcher_die_like(int wait_status);

#endif
