/* PATH search for the exec p-variants when the agent must pass its own envp (execvp semantics of glibc). */
#ifndef MEMWATCH_AGENT_PATHRES_H
#define MEMWATCH_AGENT_PATHRES_H

/* Longest candidate path built on the stack; longer PATH elements are skipped, as glibc does. */
#define PATHRES_PATH_MAX 4096
/* glibc's search path when PATH is unset (confstr _CS_PATH). */
#define PATHRES_DEFAULT_PATH "/bin:/usr/bin"
#define PATHRES_SHELL "/bin/sh"

typedef int (*pathres_execve_fn)(const char *path, char *const argv[], char *const envp[]);

struct pathres_request {
    const char *file;       /* as given to execvp: searched in path_list unless it contains a slash */
    char *const *argv;
    char *const *envp;
    const char *path_list;  /* value of PATH in the caller's environment, NULL when unset */
};

/* Tries each candidate with execve_fn; a file the kernel refuses with ENOEXEC is run by /bin/sh.
 * Returns only on failure (-1), or what execve_fn returned when it "succeeded" (tests). errno: EACCES
 * if some candidate was not executable, else the last error; ENOENT for an empty name. Uses only the
 * stack, so it is safe in a vfork child. */
int pathres_execvpe(const struct pathres_request *req, pathres_execve_fn execve_fn);

#endif
