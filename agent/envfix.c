/* Environment repair without malloc: puts the agent's LD_PRELOAD entry and variables back into an envp. */
#include "envfix.h"

#include <string.h>

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

static const char *envfix_basename(const char *path, size_t len, size_t *base_len)
{
    size_t start = len;
    while (start > 0 && path[start - 1] != '/')
        start--;
    *base_len = len - start;
    return path + start;
}

bool envfix_preload_has_agent(const char *list, const char *agent_path)
{
    if (list == NULL || agent_path == NULL)
        return false;
    size_t agent_len = strlen(agent_path);
    size_t agent_base_len;
    const char *agent_base = envfix_basename(agent_path, agent_len, &agent_base_len);
    const char *p = list;
    while (*p != '\0') {
        size_t len = strcspn(p, ": ");
        if (len > 0) {
            size_t base_len;
            const char *base = envfix_basename(p, len, &base_len);
            if (len == agent_len && memcmp(p, agent_path, len) == 0)
                return true;
            /* Another copy of the agent (build tree vs installed) must not be loaded a second time. */
            if (agent_base_len > 0 && base_len == agent_base_len && memcmp(base, agent_base, base_len) == 0)
                return true;
        }
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

static size_t envfix_preload_bytes(const char *agent_path, const char *old)
{
    size_t n = sizeof(ENVFIX_PRELOAD_NAME "=") + strlen(agent_path);
    if (old != NULL && *old != '\0')
        n += 1 + strlen(old);
    return n;
}

struct envfix_seen {
    size_t entries;
    size_t preload_entries;
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
        } else if (envfix_value(e, MW_ENV_SOCKET) != NULL) {
            seen->socket = true;
        } else if (envfix_value(e, MW_ENV_AGENT_PATH) != NULL) {
            seen->agent_path = true;
        } else if (envfix_value(e, MW_ENV_AGENT_LOG) != NULL) {
            seen->log = true;
        }
    }
}

bool envfix_plan(const struct agent_settings *s, char *const envp[], struct envfix_plan *plan)
{
    memset(plan, 0, sizeof(*plan));
    if (s == NULL || s->socket == NULL)
        return false;
    struct envfix_seen seen = {0};
    envfix_scan(envp, &seen, &plan->old_preload);

    bool know_agent = s->agent_path != NULL && s->agent_path[0] != '\0';
    bool want_log = s->log != NULL && s->log[0] != '\0';
    size_t added = 0;
    if (know_agent && !envfix_preload_has_agent(plan->old_preload, s->agent_path)) {
        plan->missing |= ENVFIX_PRELOAD;
        plan->bytes += envfix_preload_bytes(s->agent_path, plan->old_preload);
        added++;
    }
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
    plan->slots = seen.entries - dropped + added + 1;
    return true;
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

static char *envfix_put_preload(struct envfix_out *o, const char *agent_path, const char *old)
{
    char *start = o->p;
    envfix_put(o, ENVFIX_PRELOAD_NAME "=");
    envfix_put(o, agent_path);
    if (old != NULL && *old != '\0') {
        envfix_put(o, ":");
        envfix_put(o, old);
    }
    *o->p++ = '\0';
    return start;
}

char **envfix_build(const struct agent_settings *s, char *const envp[], const struct envfix_plan *plan,
                    const struct envfix_buf *buf)
{
    if (plan->missing == 0 || buf->n_slots < plan->slots || buf->n_bytes < plan->bytes)
        return NULL;
    struct envfix_out o = {buf->bytes};
    size_t n = 0;
    if (plan->missing & ENVFIX_PRELOAD)
        buf->slots[n++] = envfix_put_preload(&o, s->agent_path, plan->old_preload);
    if (plan->missing & ENVFIX_SOCKET)
        buf->slots[n++] = envfix_put_var(&o, MW_ENV_SOCKET, s->socket);
    if (plan->missing & ENVFIX_AGENT_PATH)
        buf->slots[n++] = envfix_put_var(&o, MW_ENV_AGENT_PATH, s->agent_path);
    if (plan->missing & ENVFIX_LOG)
        buf->slots[n++] = envfix_put_var(&o, MW_ENV_AGENT_LOG, s->log);
    for (size_t i = 0; envp != NULL && envp[i] != NULL; i++) {
        if ((plan->missing & ENVFIX_PRELOAD) && envfix_value(envp[i], ENVFIX_PRELOAD_NAME) != NULL)
            continue;
        if (n + 1 >= plan->slots)
            return NULL; /* envp changed since the plan was made */
        buf->slots[n++] = envp[i];
    }
    buf->slots[n] = NULL;
    return buf->slots;
}

int envfix_with(const struct agent_settings *s, char *const envp[], envfix_cont k, void *ctx)
{
    struct envfix_plan plan;
    if (!envfix_plan(s, envp, &plan) || plan.slots > ENVFIX_STACK_SLOTS_MAX || plan.bytes > ENVFIX_STACK_BYTES_MAX)
        return k(ctx, envp);
    /* On the stack on purpose: this may run in a vfork child, which shares the parent's heap. */
    char *slots[plan.slots];
    char bytes[plan.bytes];
    struct envfix_buf buf = {slots, plan.slots, bytes, plan.bytes};
    char **fixed = envfix_build(s, envp, &plan, &buf);
    return k(ctx, fixed != NULL ? fixed : envp);
}
