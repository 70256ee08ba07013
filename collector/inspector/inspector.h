/* The only door to the operating system's process information (procfs on Linux; libproc later). */
#ifndef MEMWATCH_INSPECTOR_H
#define MEMWATCH_INSPECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define INSPECTOR_COMM_MAX 16 /* TASK_COMM_LEN: what /proc shows of a program name */

struct inspector_proc {
    pid_t pid;
    pid_t ppid;
    char state; /* 'R', 'S', 'Z', ... */
    uint64_t starttime_ticks;
    uint64_t rss_kib;
    uint64_t utime_us;
    uint64_t stime_us;
    uint32_t threads;
    uint64_t code_start; /* address of the program text: moves on exec (ASLR), even to the same program */
    char comm[INSPECTOR_COMM_MAX];
};

struct inspector_host {
    char kernel[160];
    char hostname[256];
    uint64_t mem_total_kib;
};

/* Reads one process. Returns 0, or -1 with errno (ENOENT/ESRCH: it is gone). */
int inspector_read_proc(pid_t pid, struct inspector_proc *out);
/* argv as NUL-separated strings. *argc counts them; *truncated when they did not fit.
 * Returns 0, or -1 with errno. An empty command line (kernel thread, zombie) gives argc 0. */
int inspector_read_cmdline(pid_t pid, char *buf, size_t len, size_t *used, uint32_t *argc, bool *truncated);
/* Path of the executable, NUL-terminated. Returns 0 or -1. */
int inspector_read_exe(pid_t pid, char *buf, size_t len);

/* Calls fn for each child of every thread of a process just read (its thread count spares a directory
 * listing for single-threaded processes). Returns 0, or -1 with errno when it is gone or the system cannot
 * list children (then inspector_children_supported() says why). */
typedef void (*inspector_child_fn)(pid_t child, void *ctx);
int inspector_for_each_child(const struct inspector_proc *proc, inspector_child_fn fn, void *ctx);
/* False when the kernel lacks /proc/PID/task/TID/children (CONFIG_PROC_CHILDREN). */
bool inspector_children_supported(void);
/* Fallback discovery: calls fn for every process whose parent is ppid (a full scan: slow, rarely used). */
int inspector_scan_children(pid_t ppid, inspector_child_fn fn, void *ctx);

int inspector_host_facts(struct inspector_host *out);

#endif
