/* Helpers shared by the workload programs: touch memory, read our own VmHWM, leave facts for the harness. */
#ifndef MEMWATCH_WL_COMMON_H
#define MEMWATCH_WL_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Workloads record what memwatch must report in this file of their working directory (the harness runs
 * memwatch in a private temporary directory), one line per fact:
 *   pid=123 ppid=100 role=leaf hwm_kib=4567 value=0
 * Each line is one O_APPEND write, so processes of one job can share the file. */
#define WL_FACTS_FILE "facts"
#define WL_ROLE_MAX 64
#define WL_PATH_MAX 4096

/* Exit status of a workload whose own setup failed (never a status a scenario expects). */
#define WL_EXIT_BROKEN 99

/* Maps and writes every page of `mib` MiB so it is resident; the memory stays until the process ends. */
void wl_touch_mib(size_t mib);
/* Same, in KiB. */
void wl_touch_kib(size_t kib);
/* VmHWM / VmRSS of this process from /proc/self/status, 0 when unreadable. No malloc, no stdio. */
uint64_t wl_hwm_kib(void);
uint64_t wl_rss_kib(void);

/* Appends a fact line for this process: role, its VmHWM now and a free value. Async-signal-safe enough
 * for a fork child (open/write/close, stack buffers only). */
void wl_fact(const char *role, long value);
/* Records fact "fds" whose value is how many descriptors >= 3 this image holds without FD_CLOEXEC: at
 * the start of main, each is one leaked into it by an ancestor (memwatch, the agent). */
void wl_fact_leaked_fds(void);
/* Creates (or overwrites) a small marker file holding `text`. */
void wl_marker(const char *path, const char *text);
/* Waits until the file exists; returns 0, or -1 after timeout_ms. */
int wl_wait_file(const char *path, long timeout_ms);

void wl_sleep_ms(long ms);
/* Parses a non-negative decimal argument or exits WL_EXIT_BROKEN with a message naming it. */
long wl_arg_long(const char *text, const char *what);
/* Prints "workload NAME: message: strerror" to stderr and exits WL_EXIT_BROKEN. */
void wl_die(const char *what) __attribute__((noreturn));
/* Directory holding the running executable (the workloads directory), into buf of WL_PATH_MAX. */
void wl_self_dir(char *buf, size_t len);
/* The workloads directory into dir, the path of workload NAME into prog, and that directory put first on
 * PATH, so the p-variants of exec find the workloads by name. */
void wl_workloads_on_path(const char *name, char *dir, size_t dir_len, char *prog, size_t prog_len);

#endif
