/* PATH search for the exec p-variants when the agent must pass its own envp (execvp semantics of glibc). */
#include "pathres.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <string.h>

/* What execvp does with a file the kernel cannot run: hand it to the shell as a script. */
static int pathres_script(const struct pathres_request *req, const char *path, pathres_execve_fn execve_fn)
{
    size_t argc = 0;
    while (req->argv != NULL && req->argv[argc] != NULL)
        argc++;
    /* sh, path, argv[1..], NULL */
    size_t n = argc > 1 ? argc + 2 : 3;
    char *sh_argv[n];
    sh_argv[0] = (char *)PATHRES_SHELL;
    sh_argv[1] = (char *)path;
    for (size_t i = 1; i < argc; i++)
        sh_argv[i + 1] = req->argv[i];
    sh_argv[n - 1] = NULL;
    return execve_fn(PATHRES_SHELL, sh_argv, req->envp);
}

static int pathres_try(const struct pathres_request *req, const char *path, pathres_execve_fn execve_fn)
{
    int r = execve_fn(path, req->argv, req->envp);
    if (r != -1 || errno != ENOEXEC)
        return r;
    return pathres_script(req, path, execve_fn);
}

/* Errors after which the search goes on to the next PATH element, as in glibc. */
static bool pathres_keep_searching(int err)
{
    switch (err) {
    case ENOENT:
    case ESTALE:
    case ENOTDIR:
    case ENODEV:
    case ETIMEDOUT:
        return true;
    default:
        return false;
    }
}

int pathres_execvpe(const struct pathres_request *req, pathres_execve_fn execve_fn)
{
    const char *file = req->file;
    if (file == NULL || file[0] == '\0') {
        errno = ENOENT;
        return -1;
    }
    if (strchr(file, '/') != NULL)
        return pathres_try(req, file, execve_fn);
    size_t file_len = strlen(file);
    if (file_len > NAME_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    const char *p = req->path_list != NULL ? req->path_list : PATHRES_DEFAULT_PATH;
    char candidate[PATHRES_PATH_MAX];
    bool saw_eacces = false;
    int last_err = ENOENT;
    for (;;) {
        size_t dir_len = strcspn(p, ":");
        if (dir_len + 1 + file_len + 1 <= sizeof(candidate)) {
            size_t at = dir_len;
            memcpy(candidate, p, dir_len);
            if (dir_len > 0) /* an empty element means the current directory */
                candidate[at++] = '/';
            memcpy(candidate + at, file, file_len + 1);
            int r = pathres_try(req, candidate, execve_fn);
            if (r != -1)
                return r;
            last_err = errno;
            if (last_err == EACCES)
                saw_eacces = true;
            else if (!pathres_keep_searching(last_err))
                return -1;
        }
        if (p[dir_len] == '\0')
            break;
        p += dir_len + 1;
    }
    errno = saw_eacces ? EACCES : last_err;
    return -1;
}
