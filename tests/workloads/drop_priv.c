/* drop_priv UID MIB: a child that gives up root (setgid/setuid to UID, as `su nobody` does) and then
 * execs a program of its own, which touches MIB MiB and exits 0.
 *
 * The leaf cannot write the facts file (the job's folder is root's): it prints its pid and VmHWM on a
 * pipe and the parent records fact "leaf" for it, then fact "parent"; exit 0 when the leaf exited 0.
 * memwatch must report: the leaf's image with an exact peak, although it ran as UID. */
#include <grp.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "wl_common.h"

#define DROP_LINE_MAX 128

static int drop_leaf(const char *mib)
{
    wl_touch_mib((size_t)wl_arg_long(mib, "MIB"));
    printf("%d %llu\n", (int)getpid(), (unsigned long long)wl_hwm_kib());
    return 0;
}

/* The fact line wl_fact would write, for another process. */
static void drop_fact_for(pid_t pid, unsigned long long hwm_kib)
{
    char line[DROP_LINE_MAX];
    int n = snprintf(line, sizeof line, "pid=%d ppid=%d role=leaf hwm_kib=%llu value=0\n", (int)pid,
                     (int)getpid(), hwm_kib);
    int fd = open(WL_FACTS_FILE, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0 || n <= 0 || write(fd, line, (size_t)n) != n)
        wl_die("facts");
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--leaf") == 0)
        return drop_leaf(argv[2]);
    if (argc < 3)
        return WL_EXIT_BROKEN;
    uid_t uid = (uid_t)wl_arg_long(argv[1], "UID");
    int out[2];
    if (pipe(out) != 0)
        wl_die("pipe");
    pid_t pid = fork();
    if (pid < 0)
        wl_die("fork");
    if (pid == 0) {
        dup2(out[1], STDOUT_FILENO);
        close(out[0]);
        close(out[1]);
        if (setgroups(0, NULL) != 0 || setgid((gid_t)uid) != 0 || setuid(uid) != 0)
            _exit(WL_EXIT_BROKEN);
        execl("/proc/self/exe", argv[0], "--leaf", argv[2], (char *)NULL);
        _exit(WL_EXIT_BROKEN);
    }
    close(out[1]);
    char line[DROP_LINE_MAX] = "";
    FILE *f = fdopen(out[0], "r");
    int leaf = 0;
    unsigned long long hwm = 0;
    bool have = f != NULL && fgets(line, sizeof line, f) != NULL && sscanf(line, "%d %llu", &leaf, &hwm) == 2;
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        wl_die("waitpid");
    if (have)
        drop_fact_for(leaf, hwm);
    wl_fact("parent", 0);
    return have && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
