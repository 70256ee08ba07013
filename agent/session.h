/* The agent's settings, read once from the environment into fixed buffers (socket, agent path, log). */
#ifndef MEMWATCH_AGENT_SESSION_H
#define MEMWATCH_AGENT_SESSION_H

/* A read-only view of the settings; the strings outlive the hook call that asked for them. */
struct agent_settings {
    const char *socket;     /* collector socket path; never NULL in a view handed out */
    const char *agent_path; /* absolute path of the agent, or NULL when unknown */
    const char *log;        /* debug log file, or NULL */
};

/* The settings of this image, loaded on first use (hooks may run before the constructor); *scratch is
 * used only while another thread is loading them. NULL when the agent is inert (MEMWATCH_SOCKET unset,
 * empty or too long for a socket address). Writes module state: never call it where a vfork child may
 * be running. */
const struct agent_settings *session_get(struct agent_settings *scratch);

/* The same view without writing anything global: when the settings are not loaded yet, *scratch is
 * filled with pointers into the current environment. For the exec hooks (vfork children). */
const struct agent_settings *session_peek(struct agent_settings *scratch);

#endif
