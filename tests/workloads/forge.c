/* forge: a process of the job forges a child-end message naming its sibling, while an outsider (the
 * harness) forges messages of its own.
 *
 * The root forks a victim that blocks on a pipe, and a forger that sends, on the job's socket, an
 * MW_MSG_CHILD_END saying the victim exited 42 (it is not the victim's parent), then exits 0. The root
 * reaps the forger, records fact "victim" (value = its pid), creates forge.ready and waits for forge.go
 * (the harness sends its own forged messages in between); then it lets the victim go (it exits 23),
 * reaps it and exits 0. memwatch must report: the victim exited 23, three processes, and the forged
 * messages counted in dropped_foreign. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memwatch/wire.h"
#include "wl_common.h"

#define FORGE_VICTIM_CODE 23
#define FORGE_FORGED_CODE 42
#define FORGE_GO_TIMEOUT_MS 60000

static void forge_send(pid_t victim)
{
    const char *path = getenv(MW_ENV_SOCKET);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (path == NULL || strlen(path) >= sizeof addr.sun_path)
        _exit(WL_EXIT_BROKEN);
    strcpy(addr.sun_path, path);
    struct mw_child_end m = {.h = {MW_WIRE_MAGIC, MW_WIRE_VERSION, MW_MSG_CHILD_END, sizeof m, 0}};
    m.child_pid = (int32_t)victim;
    m.wait_status = FORGE_FORGED_CODE << 8;
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || sendto(fd, &m, sizeof m, 0, (struct sockaddr *)&addr, sizeof addr) != (ssize_t)sizeof m)
        _exit(WL_EXIT_BROKEN);
    close(fd);
}

int main(void)
{
    int go[2];
    if (pipe(go) != 0)
        wl_die("pipe");
    pid_t victim = fork();
    if (victim < 0)
        wl_die("fork");
    if (victim == 0) {
        close(go[1]);
        char c;
        while (read(go[0], &c, 1) < 0 && errno == EINTR)
            ;
        exit(FORGE_VICTIM_CODE);
    }
    close(go[0]);
    pid_t forger = fork();
    if (forger < 0)
        wl_die("fork");
    if (forger == 0) {
        forge_send(victim);
        exit(0);
    }
    int status;
    if (waitpid(forger, &status, 0) != forger || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        wl_die("forger");
    wl_fact("victim", (long)victim);
    wl_marker("forge.ready", "ready\n");
    if (wl_wait_file("forge.go", FORGE_GO_TIMEOUT_MS) != 0)
        wl_die("forge.go");
    close(go[1]);
    if (waitpid(victim, &status, 0) != victim || !WIFEXITED(status) || WEXITSTATUS(status) != FORGE_VICTIM_CODE)
        return 1;
    return 0;
}
