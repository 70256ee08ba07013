/* The image the agent speaks for: its pid, its start message, and what fork and exit change in it. */
#ifndef MEMWATCH_AGENT_AGENT_H
#define MEMWATCH_AGENT_AGENT_H

#include <stdbool.h>

/* Built with -fvisibility=hidden: only the hooked libc entry points are exported. */
#define AGENT_EXPORT __attribute__((visibility("default")))

/* True when the constructor ran for this image and the caller is that process (not a vfork child, whose
 * VmHWM would be its parent's, nor a child made by a raw clone). Reads only. */
bool agent_owns_image(void);

/* Fork child: the process becomes its own image owner and sends a forked start message. Idempotent per
 * pid (the atfork handler and the fork hook both call it); async-signal-safe. */
void agent_fork_child(void);

/* exit(status) was called: the destructor will report that status. */
void agent_note_exit(int status);

#endif
