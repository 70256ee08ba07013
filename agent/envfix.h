/* Environment repair without malloc: puts the agent's LD_PRELOAD entry and variables back into an envp. */
#ifndef MEMWATCH_AGENT_ENVFIX_H
#define MEMWATCH_AGENT_ENVFIX_H

#include <stdbool.h>
#include <stddef.h>

#include "session.h"

/* What a repaired envp needs: pointer slots (terminating NULL included) and string bytes. */
struct envfix_plan {
    unsigned missing;         /* ENVFIX_* bits of what must be added or rewritten */
    size_t slots;
    size_t bytes;
    const char *old_preload;  /* value of the first LD_PRELOAD entry, NULL when absent */
};

#define ENVFIX_PRELOAD 0x1u
#define ENVFIX_SOCKET 0x2u
#define ENVFIX_AGENT_PATH 0x4u
#define ENVFIX_LOG 0x8u

/* Caller-provided storage for a repaired envp. */
struct envfix_buf {
    char **slots;
    size_t n_slots;
    char *bytes;
    size_t n_bytes;
};

/* Above these, envfix_with() leaves the envp as it is rather than risk the caller's stack. */
#define ENVFIX_STACK_SLOTS_MAX (32u * 1024u)
#define ENVFIX_STACK_BYTES_MAX (64u * 1024u)

/* Fills *plan; true when envp lacks something (envp NULL counts as empty). */
bool envfix_plan(const struct agent_settings *s, char *const envp[], struct envfix_plan *plan);

/* Builds the repaired envp into *buf following *plan: the agent's entries first, then every other entry
 * in order (LD_PRELOAD entries dropped when rewritten). NULL when buf is too small. */
char **envfix_build(const struct agent_settings *s, char *const envp[], const struct envfix_plan *plan,
                    const struct envfix_buf *buf);

/* Calls k(ctx, envp2) where envp2 is envp itself when nothing is missing, else a repaired copy on this
 * function's stack (so it lives exactly as long as the call). Returns what k returns. Touches no global
 * state, so it is safe in a vfork child. */
typedef int (*envfix_cont)(void *ctx, char *const envp[]);
int envfix_with(const struct agent_settings *s, char *const envp[], envfix_cont k, void *ctx);

/* True when the colon/space separated preload list names the agent (same path, or same file name). */
bool envfix_preload_has_agent(const char *list, const char *agent_path);

#endif
