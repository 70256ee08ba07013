/* compat_small_stack: on a thread with a 64 KiB stack, vforks and execs itself ("child") three ways whose
 * environment the agent must rebuild: an empty envp (env -i), a huge one (thousands of variables, more than
 * the agent's stack block) and posix_spawn with the huge one. Each child prints one line. Expectation
 * (scenarios_compat.c): the same output and exit code under memwatch as bare; the agent's exec hooks fit in
 * the small stack. */
#include <pthread.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define SMALL_STACK (64 * 1024)
#define HUGE_VARS 12000
#define VAR_MAX 32

static const char *self;
static char **huge_env;

static int wait_child(pid_t pid)
{
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_vfork(char *const envp[], const char *tag)
{
    char *argv[] = {(char *)self, "child", (char *)tag, NULL};
    pid_t pid = vfork();
    if (pid == 0) {
        execve(self, argv, envp);
        _exit(127);
    }
    return wait_child(pid);
}

static int run_spawn(char *const envp[], const char *tag)
{
    char *argv[] = {(char *)self, "child", (char *)tag, NULL};
    pid_t pid;
    if (posix_spawn(&pid, self, NULL, NULL, argv, envp) != 0)
        return -1;
    return wait_child(pid);
}

static void *small_thread(void *arg)
{
    int *rc = arg;
    char *empty[] = {NULL};
    rc[0] = run_vfork(empty, "empty");
    rc[1] = run_vfork(huge_env, "huge");
    rc[2] = run_spawn(huge_env, "spawn");
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "child") == 0) {
        printf("child %s\n", argv[2]);
        return 3;
    }
    self = argv[0];
    huge_env = calloc(HUGE_VARS + 1, sizeof(char *));
    for (int i = 0; huge_env != NULL && i < HUGE_VARS; i++) {
        huge_env[i] = malloc(VAR_MAX);
        if (huge_env[i] == NULL)
            return 1;
        snprintf(huge_env[i], VAR_MAX, "COMPAT_%d=%d", i, i);
    }
    fflush(stdout);
    pthread_attr_t attr;
    pthread_t th;
    int rc[3] = {-1, -1, -1};
    if (huge_env == NULL || pthread_attr_init(&attr) != 0 || pthread_attr_setstacksize(&attr, SMALL_STACK) != 0 ||
        pthread_create(&th, &attr, small_thread, rc) != 0 || pthread_join(th, NULL) != 0)
        return 1;
    printf("exits %d %d %d\n", rc[0], rc[1], rc[2]);
    return 0;
}
