/* Reads this process's /proc/self/status, stat and io with open/read only (async-signal-safe). */
#ifndef MEMWATCH_AGENT_PROC_SELF_H
#define MEMWATCH_AGENT_PROC_SELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../common/procstatus.h"

/* /proc/self/status is about 1.5 KiB; /proc/self/stat a few hundred bytes. */
#define PROC_SELF_BUF_MAX 4096

struct proc_stat {
    uint64_t utime_ticks;     /* field 14 */
    uint64_t stime_ticks;     /* field 15 */
    uint64_t starttime_ticks; /* field 22 */
};

/* The fields the agent needs of a stat line (common/procstat.h parses it). 0, or -1 when malformed. */
int proc_parse_stat(const char *text, size_t len, struct proc_stat *out);

/* The same, read from /proc/self; -1 when unreadable. They may change errno: callers save it. */
int proc_self_status(struct procstatus *out);
int proc_self_stat(struct proc_stat *out);
/* The same of another process (pid > 0), from /proc/PID; -1 when unreadable (gone, not ours to read). */
int proc_pid_status(pid_t pid, struct procstatus *out);
int proc_pid_stat(pid_t pid, struct proc_stat *out);

struct procio;
/* This process's I/O counters from /proc/self/io (common/procio.h parses them); -1 when unreadable (a
 * kernel without task I/O accounting). May change errno: callers save it. */
int proc_self_io(struct procio *out);

#endif
