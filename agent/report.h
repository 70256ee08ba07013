/* The one reporting path: this process's datagram socket to the collector, message building and sending. */
#ifndef MEMWATCH_AGENT_REPORT_H
#define MEMWATCH_AGENT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "memwatch/wire.h"
#include "session.h"

/* A full queue (the collector is busy) blocks a send for at most the timeout, a few times; a collector
 * that stays stuck makes the agent fall silent (later sends never wait). */
#define REPORT_SEND_TIMEOUT_MS 1000
#define REPORT_SEND_FULL_TRIES 3
#define REPORT_SEND_EINTR_TRIES 8
/* Yields a thread waits for another one to finish a send before using a socket of its own. */
#define REPORT_LOCK_SPINS 1000
/* The socket is kept between reports only when RLIMIT_NOFILE allows at least this many descriptors; it
 * then sits at the highest number under min(limit, REPORT_FD_CEILING), the last one a program would get.
 * Under a smaller limit every report opens, sends and closes: the program never misses a descriptor. */
#define REPORT_FD_KEEP_MIN 256
#define REPORT_FD_CEILING 1024

/* This image's identity for every later message, and its start message, sent now. The message stays
 * owned by the caller. */
void report_image_start(const struct agent_settings *s, const struct mw_image_start *start, size_t len);

/* Fork child, before report_image_start: a lock held by another thread of the parent is stale. The
 * inherited socket is kept: a datagram's sender is whoever sends it. */
void report_image_forget(void);

/* VmHWM of this image, sent as an MW_MSG_IMAGE_PEAK (reason enum mw_peak_reason). Nothing is sent when
 * /proc/self/status cannot be read (no descriptor free): the collector keeps its figure non-exact. */
void report_peak(const struct agent_settings *s, uint32_t reason, int32_t exit_code);

struct report_child {
    pid_t pid;
    int wait_status;
    const struct rusage *ru; /* NULL when the wait call gave none */
};

/* A child this process reaped, sent as an MW_MSG_CHILD_END. */
void report_child_end(const struct agent_settings *s, const struct report_child *child);

/* A fatal signal this process is about to send: the target's VmHWM, read now, as an MW_MSG_KILL_PEAK. */
void report_kill_peak(const struct agent_settings *s, pid_t target, int signal);

void report_header(struct mw_header *h, enum mw_msg_type type, size_t length);
int64_t report_mono_ns(void);

#endif
