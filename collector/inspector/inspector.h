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
/* Whether a failed read's errno says the process is gone (any other failure, EMFILE say, says nothing). */
bool inspector_gone(int err);
/* The kernel's high-water mark of the process's resident memory (VmHWM: the peak of its current image).
 * Returns 0, or -1 with errno (a zombie or kernel thread has none: ENODATA). */
int inspector_read_hwm(pid_t pid, uint64_t *hwm_kib);
/* Whether two processes share one address space (a vfork child before its exec shares its parent's): 1
 * yes, 0 no, -1 cannot tell (the kernel lacks kcmp, or refuses). */
int inspector_same_vm(pid_t a, pid_t b);
/* The I/O counters of a process (Linux: /proc/PID/io), which count nothing of its children. */
struct inspector_io {
    uint64_t rchar;       /* bytes read through system calls */
    uint64_t wchar;       /* bytes written through system calls */
    uint64_t read_bytes;  /* bytes fetched from storage */
    uint64_t write_bytes; /* bytes sent to storage */
};
/* Returns 0, or -1 with errno (EACCES: another user's process, which only ptrace access may read). */
int inspector_read_io(pid_t pid, struct inspector_io *out);
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

/* The machine's memory now, for the live line's bar. */
struct inspector_memory {
    uint64_t total_kib;
    uint64_t available_kib; /* MemAvailable: what could be given to programs without swapping */
};
/* Returns 0, or -1 with errno (and *out zeroed). */
int inspector_read_memory(struct inspector_memory *out);

#endif
