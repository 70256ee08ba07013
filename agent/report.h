/* The one reporting path: the image's connection to the collector, message building and sending. */
#ifndef MEMWATCH_AGENT_REPORT_H
#define MEMWATCH_AGENT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "memwatch/wire.h"
#include "session.h"

/* Connection bounds: a full listen queue is retried briefly, a stuck collector costs at most the send
 * timeout per message, then the agent falls silent. */
#define REPORT_CONNECT_TRIES 50
#define REPORT_CONNECT_PAUSE_NS (2L * 1000 * 1000)
#define REPORT_SEND_TIMEOUT_MS 1000
#define REPORT_SEND_EINTR_TRIES 8
/* Yields a thread waits for another one to finish a send before using a temporary connection. */
#define REPORT_LOCK_SPINS 1000
/* The connection is moved at or above this fd number, out of the host's way. */
#define REPORT_FD_FLOOR 500

/* Opens this image's connection and sends its start message. The message must stay valid (it is sent
 * again when the host closed our descriptor and a connection has to be re-opened). */
void report_image_open(const struct agent_settings *s, const struct mw_image_start *start, size_t len);

/* Fork child: forgets the parent's connection (closing the inherited copy) before report_image_open. */
void report_image_forget(void);

/* VmHWM of this image, sent as an MW_MSG_IMAGE_PEAK (reason enum mw_peak_reason). */
void report_peak(const struct agent_settings *s, uint32_t reason, int32_t exit_code);

struct report_child {
    pid_t pid;
    int wait_status;
    const struct rusage *ru; /* NULL when the wait call gave none */
};

/* A child this process reaped, sent as an MW_MSG_CHILD_END. */
void report_child_end(const struct agent_settings *s, const struct report_child *child);

void report_header(struct mw_header *h, enum mw_msg_type type, size_t length);
int64_t report_mono_ns(void);

#endif
