/* Environment repair without malloc: puts the agent's LD_PRELOAD entry and variables back into an envp. */
#include "envfix.h"

#include <errno.h>
#include <stdalign.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "memwatch/wire.h"

#define ENVFIX_PRELOAD_NAME "LD_PRELOAD"

/* The value of entry when it is NAME=..., else NULL. */
static const char *envfix_value(const char *entry, const char *name)
{
    size_t n = strlen(name);
    if (strncmp(entry, name, n) != 0 || entry[n] != '=')
        return NULL;
    return entry + n + 1;
}

bool envfix_preload_has_agent(const char *list, const char *agent_path)
{
    if (list == NULL || agent_path == NULL)
        return false;
    const char *p = list;
    while (*p != '\0') {
        size_t len = strcspn(p, ": ");
        /* Another copy of the agent (build tree vs installed) must not be loaded a second time. */
        if (len > 0 && preload_same_file(p, len, agent_path))
            return true;
        p += len;
        if (*p != '\0')
            p++;
    }
    return false;
}

static size_t envfix_var_bytes(const char *name, const char *value)
{
    return strlen(name) + 1 + strlen(value) + 1;
}

struct envfix_seen {
    size_t entries;
    size_t preload_entries;
    size_t added_entries;
    const char *added;
    bool socket;
    bool agent_path;
    bool log;
};

static void envfix_scan(char *const envp[], struct envfix_seen *seen, const char **old_preload)
{
    for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
        const char *e = envp[i];
        const char *v;
        seen->entries++;
        if ((v = envfix_value(e, ENVFIX_PRELOAD_NAME)) != NULL) {
            if (seen->preload_entries++ == 0)
                *old_preload = v;
        } else if ((v = envfix_value(e, PRELOAD_ENV_ADDED)) != NULL) {
            if (seen->added_entries++ == 0)
                seen->added = v;
        } else if (envfix_value(e, MW_ENV_SOCKET) != NULL) {
            seen->socket = true;
        } else if (envfix_value(e, MW_ENV_AGENT_PATH) != NULL) {
            seen->agent_path = true;
        } else if (envfix_value(e, MW_ENV_AGENT_LOG) != NULL) {
            seen->log = true;
        }
    }
}

/* LD_PRELOAD and the variable naming what memwatch added to it, for this target. Returns the number of
 * entries added (0 or 1 each). */
static size_t envfix_plan_preload(struct envfix_plan *plan, const struct envfix_seen *seen, const char *agent,
                                  const struct preload_target *t)
{
    plan->preload = (struct preload_request){plan->old_preload, seen->added,
                                             preload_agent_for(agent, t, PRELOAD_OWN_CLASS),
                                             t != NULL ? t->runtimes : NULL};
    size_t added = 0;
    if (seen->preload_entries > 1 || !preload_is_composed(&plan->preload)) {
        plan->missing |= ENVFIX_PRELOAD;
        plan->preload_len = preload_compose(&plan->preload, NULL, 0);
        if (plan->preload_len > 0) {
            plan->bytes += sizeof(ENVFIX_PRELOAD_NAME "=") + plan->preload_len;
            added++;
        }
    }
    plan->inject = preload_injects(&plan->preload);
    bool right = plan->inject ? seen->added_entries == 1 && strcmp(seen->added, plan->preload.runtimes) == 0
                              : seen->added_entries == 0;
    if (!right) {
        plan->missing |= ENVFIX_ADDED;
        if (plan->inject) {
            plan->bytes += envfix_var_bytes(PRELOAD_ENV_ADDED, plan->preload.runtimes);
            added++;
        }
    }
    return added;
}

bool envfix_plan(const struct agent_settings *s, char *const envp[], const struct preload_target *target,
                 struct envfix_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    if (s == NULL || s->socket == NULL)
        return false;
    struct envfix_seen seen = {0};
    envfix_scan(envp, &seen, &plan->old_preload);

    bool know_agent = s->agent_path != NULL && s->agent_path[0] != '\0';
    bool want_log = s->log != NULL && s->log[0] != '\0';
    size_t added = 0;
    /* Without the agent's path, LD_PRELOAD is left as it is: it may hold the agent under a name we cannot
     * put back. */
    if (know_agent)
        added += envfix_plan_preload(plan, &seen, s->agent_path, target);
    if (!seen.socket) {
        plan->missing |= ENVFIX_SOCKET;
        plan->bytes += envfix_var_bytes(MW_ENV_SOCKET, s->socket);
        added++;
    }
    if (know_agent && !seen.agent_path) {
        plan->missing |= ENVFIX_AGENT_PATH;
        plan->bytes += envfix_var_bytes(MW_ENV_AGENT_PATH, s->agent_path);
        added++;
    }
    if (want_log && !seen.log) {
        plan->missing |= ENVFIX_LOG;
        plan->bytes += envfix_var_bytes(MW_ENV_AGENT_LOG, s->log);
        added++;
    }
    if (plan->missing == 0)
        return false;
    size_t dropped = (plan->missing & ENVFIX_PRELOAD) ? seen.preload_entries : 0;
    dropped += (plan->missing & ENVFIX_ADDED) ? seen.added_entries : 0;
    plan->slots = seen.entries - dropped + added + 1;
    return true;
}

size_t envfix_preload_value(const struct envfix_plan *plan, char *out, size_t cap)
{
    return preload_compose(&plan->preload, out, cap);
}

/* Appends NUL-terminated parts to a bounded output; the caller has checked the total fits. */
struct envfix_out {
    char *p;
};

static void envfix_put(struct envfix_out *o, const char *s)
{
    size_t n = strlen(s);
    memcpy(o->p, s, n);
    o->p += n;
}

static char *envfix_put_var(struct envfix_out *o, const char *name, const char *value)
{
    char *start = o->p;
    envfix_put(o, name);
    envfix_put(o, "=");
    envfix_put(o, value);
    *o->p++ = '\0';
    return start;
}

static char *envfix_put_preload(struct envfix_out *o, const struct envfix_plan *plan)
{
    char *start = o->p;
    envfix_put(o, ENVFIX_PRELOAD_NAME "=");
    o->p += preload_compose(&plan->preload, o->p, plan->preload_len + 1) + 1;
    return start;
}

static bool envfix_dropped(const struct envfix_plan *plan, const char *entry)
{
    return ((plan->missing & ENVFIX_PRELOAD) && envfix_value(entry, ENVFIX_PRELOAD_NAME) != NULL) ||
           ((plan->missing & ENVFIX_ADDED) && envfix_value(entry, PRELOAD_ENV_ADDED) != NULL);
}

char **envfix_build(const struct agent_settings *s, char *const envp[], const struct envfix_plan *plan,
                    const struct envfix_buf *buf)
{
    if (plan->missing == 0 || buf->n_slots < plan->slots || buf->n_bytes < plan->bytes)
        return NULL;
    struct envfix_out o = {buf->bytes};
    size_t n = 0;
    if ((plan->missing & ENVFIX_PRELOAD) && plan->preload_len > 0)
        buf->slots[n++] = envfix_put_preload(&o, plan);
    if ((plan->missing & ENVFIX_ADDED) && plan->inject)
        buf->slots[n++] = envfix_put_var(&o, PRELOAD_ENV_ADDED, plan->preload.runtimes);
    if (plan->missing & ENVFIX_SOCKET)
        buf->slots[n++] = envfix_put_var(&o, MW_ENV_SOCKET, s->socket);
    if (plan->missing & ENVFIX_AGENT_PATH)
        buf->slots[n++] = envfix_put_var(&o, MW_ENV_AGENT_PATH, s->agent_path);
    if (plan->missing & ENVFIX_LOG)
        buf->slots[n++] = envfix_put_var(&o, MW_ENV_AGENT_LOG, s->log);
    for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
        if (envfix_dropped(plan, envp[i]))
            continue;
        if (n + 1 >= plan->slots)
            return NULL; /* envp changed since the plan was made */
        buf->slots[n++] = envp[i];
    }
    buf->slots[n] = NULL;
    return buf->slots;
}

/* Slots first (aligned), then the strings, in one block of size bytes. */
static int envfix_call(const struct agent_settings *s, char *const envp[], const struct envfix_plan *plan,
                       char *block, envfix_cont k, void *ctx)
{
    size_t slot_bytes = plan->slots * sizeof(char *);
    struct envfix_buf buf = {(char **)(void *)block, plan->slots, block + slot_bytes, plan->bytes};
    char **fixed = envfix_build(s, envp, plan, &buf);
    return k(ctx, fixed != NULL ? fixed : envp);
}

/* The common case, on the stack: in its own frame so the fast path (nothing to change) does not pay for it. */
__attribute__((noinline)) static int envfix_on_stack(const struct agent_settings *s, char *const envp[],
                                                      const struct envfix_plan *plan, envfix_cont k, void *ctx)
{
    alignas(char *) char block[ENVFIX_STACK_MAX];
    return envfix_call(s, envp, plan, block, k, ctx);
}

/* A large environment: an anonymous mapping (mmap is async-signal-safe; malloc is not, and a vfork child
 * shares its parent's heap). */
static int envfix_mapped(const struct agent_settings *s, char *const envp[], const struct envfix_plan *plan,
                         size_t size, envfix_cont k, void *ctx)
{
    int saved = errno;
    void *block = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    errno = saved;
    if (block == MAP_FAILED)
        return k(ctx, envp); /* the exec still happens, only without the repair */
    int rc = envfix_call(s, envp, plan, block, k, ctx);
    saved = errno;
    munmap(block, size);
    errno = saved;
    return rc;
}

int envfix_with(const struct agent_settings *s, char *const envp[], const struct preload_target *target,
                envfix_cont k, void *ctx)
{
    struct envfix_plan plan;
    if (!envfix_plan(s, envp, target, &plan))
        return k(ctx, envp);
    size_t slot_bytes = plan.slots * sizeof(char *);
    if (plan.slots > SIZE_MAX / sizeof(char *) / 2 || plan.bytes > SIZE_MAX / 2)
        return k(ctx, envp);
    size_t size = slot_bytes + plan.bytes;
    if (size <= ENVFIX_STACK_MAX)
        return envfix_on_stack(s, envp, &plan, k, ctx);
    return envfix_mapped(s, envp, &plan, size, k, ctx);
}
