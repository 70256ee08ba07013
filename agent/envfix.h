/* Environment repair without malloc: puts the agent's LD_PRELOAD entry and variables back into an envp, and
 * orders LD_PRELOAD for the program about to be exec'd (its sanitizer runtime first, the agent of its class
 * or none). */
#ifndef MEMWATCH_AGENT_ENVFIX_H
#define MEMWATCH_AGENT_ENVFIX_H

#include <stdbool.h>
#include <stddef.h>

#include "preload.h"
#include "session.h"

/* What a repaired envp needs: pointer slots (terminating NULL included) and string bytes. */
struct envfix_plan {
    unsigned missing;         /* ENVFIX_* bits of what must be added, rewritten or removed */
    size_t slots;
    size_t bytes;
    const char *old_preload;  /* value of the first LD_PRELOAD entry, NULL when absent */
    struct preload_request preload; /* composes the new LD_PRELOAD value */
    size_t preload_len;       /* its length; 0 when the entry goes away */
    bool inject;              /* PRELOAD_ENV_ADDED must then name preload.runtimes; else be absent */
};

#define ENVFIX_PRELOAD 0x1u
#define ENVFIX_SOCKET 0x2u
#define ENVFIX_AGENT_PATH 0x4u
#define ENVFIX_LOG 0x8u
#define ENVFIX_ADDED 0x10u

/* Caller-provided storage for a repaired envp. */
struct envfix_buf {
    char **slots;
    size_t n_slots;
    char *bytes;
    size_t n_bytes;
};

/* envfix_with() builds a repaired envp on its stack up to this many bytes (slots and strings); a larger one
 * goes to an anonymous mapping for the duration of the call. */
#define ENVFIX_STACK_MAX 2048u

/* Fills *plan for an exec of target (NULL: unknown, treated as a plain program of any class); true when
 * envp must change (envp NULL counts as empty). */
bool envfix_plan(const struct agent_settings *s, char *const envp[], const struct preload_target *target,
                 struct envfix_plan *plan);

/* Writes the new LD_PRELOAD value of *plan (without the name) into out; returns its length, as
 * preload_compose. */
size_t envfix_preload_value(const struct envfix_plan *plan, char *out, size_t cap);

/* Builds the repaired envp into *buf following *plan: the agent's entries first, then every other entry
 * in order (LD_PRELOAD and PRELOAD_ENV_ADDED entries dropped when rewritten). NULL when buf is too small. */
char **envfix_build(const struct agent_settings *s, char *const envp[], const struct envfix_plan *plan,
                    const struct envfix_buf *buf);

/* Calls k(ctx, envp2) where envp2 is envp itself when nothing must change, else a repaired copy that lives
 * exactly as long as the call (on this function's stack up to ENVFIX_STACK_MAX, else mmap'd and unmapped
 * after). Returns what k returns. Touches no global state and calls only async-signal-safe functions, so it
 * is safe in a vfork child (there, a mapping is left to the parent when the exec succeeds: only for an
 * environment over ENVFIX_STACK_MAX that needs a repair). */
typedef int (*envfix_cont)(void *ctx, char *const envp[]);
int envfix_with(const struct agent_settings *s, char *const envp[], const struct preload_target *target,
                envfix_cont k, void *ctx);

/* True when the colon/space separated preload list names the agent (same path, or same file name). */
bool envfix_preload_has_agent(const char *list, const char *agent_path);

#endif
