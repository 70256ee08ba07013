/* The agent's settings, read once from the environment into fixed buffers (socket, agent path, log). */
#include "session.h"

#include <dlfcn.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>

#include "memwatch/wire.h"

#define SESSION_SOCKET_MAX (sizeof(((struct sockaddr_un *)0)->sun_path))
#define SESSION_PATH_MAX PATH_MAX

enum session_state { SESSION_UNLOADED, SESSION_LOADING, SESSION_LOADED };

static struct {
    atomic_int state;
    bool inert;
    char socket[SESSION_SOCKET_MAX];
    char agent_path[SESSION_PATH_MAX];
    char log[SESSION_PATH_MAX];
    struct agent_settings view;
} session;

/* A usable socket path: set, and short enough for sockaddr_un. */
static const char *session_socket_env(void)
{
    const char *v = getenv(MW_ENV_SOCKET);
    if (v == NULL || v[0] == '\0' || strlen(v) >= SESSION_SOCKET_MAX)
        return NULL;
    return v;
}

static const char *session_nonempty_env(const char *name)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : NULL;
}

static bool session_copy(char *dst, size_t cap, const char *src)
{
    if (src == NULL)
        return false;
    size_t n = strlen(src);
    if (n >= cap)
        return false;
    memcpy(dst, src, n + 1);
    return true;
}

/* Without MEMWATCH_AGENT_PATH (agent preloaded by hand), the file we were loaded from still lets the
 * environment repair work. */
static bool session_own_path(char *dst, size_t cap)
{
    Dl_info info;
    if (dladdr((void *)&session_get, &info) == 0 || info.dli_fname == NULL || info.dli_fname[0] == '\0')
        return false;
    if (info.dli_fname[0] == '/')
        return session_copy(dst, cap, info.dli_fname);
    char resolved[PATH_MAX];
    return cap >= PATH_MAX && realpath(info.dli_fname, resolved) != NULL && session_copy(dst, cap, resolved);
}

static void session_load(void)
{
    const char *socket = session_socket_env();
    session.inert = socket == NULL || !session_copy(session.socket, sizeof(session.socket), socket);
    if (session.inert)
        return;
    session.view.socket = session.socket;
    if (session_copy(session.agent_path, sizeof(session.agent_path), session_nonempty_env(MW_ENV_AGENT_PATH)) ||
        session_own_path(session.agent_path, sizeof(session.agent_path)))
        session.view.agent_path = session.agent_path;
    if (session_copy(session.log, sizeof(session.log), session_nonempty_env(MW_ENV_AGENT_LOG)))
        session.view.log = session.log;
}

const struct agent_settings *session_peek(struct agent_settings *scratch)
{
    if (atomic_load_explicit(&session.state, memory_order_acquire) == SESSION_LOADED)
        return session.inert ? NULL : &session.view;
    scratch->socket = session_socket_env();
    if (scratch->socket == NULL)
        return NULL;
    scratch->agent_path = session_nonempty_env(MW_ENV_AGENT_PATH);
    scratch->log = session_nonempty_env(MW_ENV_AGENT_LOG);
    return scratch;
}

const struct agent_settings *session_get(struct agent_settings *scratch)
{
    int expected = SESSION_UNLOADED;
    if (atomic_compare_exchange_strong(&session.state, &expected, SESSION_LOADING)) {
        session_load();
        atomic_store_explicit(&session.state, SESSION_LOADED, memory_order_release);
    }
    /* A thread (or signal handler) that finds another loading must not wait for it. */
    return session_peek(scratch);
}
