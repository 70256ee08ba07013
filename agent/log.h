/* Debug log of the agent: one line per event, appended with write(2) to MEMWATCH_AGENT_LOG, never stdio. */
#ifndef MEMWATCH_AGENT_LOG_H
#define MEMWATCH_AGENT_LOG_H

#include "session.h"

#define AGENT_LOG_LINE_MAX 512

/* Appends "memwatch-agent[PID] EVENT VALUE" when a log file is configured; async-signal-safe, no
 * allocation, errno preserved, silent on failure. */
void agent_log(const struct agent_settings *s, const char *event, long value);

#endif
