/* agent_sink: a stand-in collector that prints, one line each, the datagrams agents send (with the
 * sender's pid from the kernel); for manual checks of the agent and for its smoke tests.
 *   agent_sink SOCKET                  listen until SIGINT/SIGTERM
 *   agent_sink --run AGENT_SO -- CMD   run CMD under the agent, wait for it and its agents, exit with its
 *                                      status (128+N when killed by signal N) */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "memwatch/wire.h"

#define SINK_BATCH 32
#define SINK_LINGER_MS 3000 /* after the command ended, how long orphans' agents may still report */
#define SINK_QUIET_MS 200   /* after the command ended, a pause this long with no message ends the run */
#define SINK_PATH_MAX 108

extern char **environ;

struct sink {
    int fd;
    unsigned long messages;
};

static volatile sig_atomic_t sink_stop;

static void sink_on_signal(int sig)
{
    (void)sig;
    sink_stop = 1;
}

static void sink_print_argv(const char *argv, size_t len)
{
    fputc('[', stdout);
    for (size_t i = 0; i < len; i++)
        fputs(argv[i] == '\0' ? (i + 1 < len ? "," : "") : (char[]){argv[i], '\0'}, stdout);
    fputc(']', stdout);
}

static void sink_start(pid_t pid, const struct mw_image_start *m, size_t len)
{
    size_t fixed = offsetof(struct mw_image_start, argv);
    if (len < fixed || m->argv_len != len - fixed || m->exe[MW_EXE_MAX - 1] != '\0' ||
        (m->argv_len > 0 && m->argv[m->argv_len - 1] != '\0')) {
        printf("bad pid=%d start length=%zu\n", (int)pid, len);
        return;
    }
    printf("start pid=%d ppid=%d starttime=%llu flags=%s%s argc=%u exe=%s argv=", (int)pid, m->ppid,
           (unsigned long long)m->id.starttime_ticks, (m->flags & MW_START_FORKED) ? "forked," : "",
           (m->flags & MW_START_ARGV_TRUNCATED) ? "argv_truncated," : "", m->argc, m->exe);
    sink_print_argv(m->argv, m->argv_len);
    fputc('\n', stdout);
}

static void sink_peak(pid_t pid, const struct mw_image_peak *m)
{
    printf("peak pid=%d reason=%s hwm_kib=%llu rss_kib=%llu exit=%d\n", (int)pid,
           m->reason == MW_PEAK_EXEC ? "exec" : m->reason == MW_PEAK_EXIT ? "exit" : "?",
           (unsigned long long)m->hwm_kib, (unsigned long long)m->rss_kib, m->exit_code);
}

static void sink_child_end(pid_t pid, const struct mw_child_end *m)
{
    int st = m->wait_status;
    printf("child_end pid=%d child=%d %s=%d maxrss_kib=%llu rusage=%s\n", (int)pid, m->child_pid,
           WIFEXITED(st) ? "exited" : "signaled", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
           (unsigned long long)m->maxrss_kib, (m->flags & MW_CHILD_HAS_RUSAGE) ? "yes" : "no");
}

static void sink_decode(struct sink *k, pid_t pid, const void *buf, size_t len)
{
    const struct mw_header *h = buf;
    k->messages++;
    if (len < sizeof(*h) || h->magic != MW_WIRE_MAGIC || h->version != MW_WIRE_VERSION || h->length != len) {
        printf("bad pid=%d length=%zu\n", (int)pid, len);
        return;
    }
    if (h->type == MW_MSG_IMAGE_START)
        sink_start(pid, buf, len);
    else if (h->type == MW_MSG_IMAGE_PEAK && len == sizeof(struct mw_image_peak))
        sink_peak(pid, buf);
    else if (h->type == MW_MSG_CHILD_END && len == sizeof(struct mw_child_end))
        sink_child_end(pid, buf);
    else
        printf("bad pid=%d type=%u length=%zu\n", (int)pid, h->type, len);
}

static int sink_listen(struct sink *k, const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "agent_sink: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    int on = 1;
    k->fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (k->fd < 0 || setsockopt(k->fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) != 0 ||
        bind(k->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0) {
        fprintf(stderr, "agent_sink: cannot bind %s: %s\n", path, strerror(errno));
        return -1;
    }
    return 0;
}

/* The sender's pid, from the kernel: the wire carries none. */
static pid_t sink_sender(struct msghdr *mh)
{
    for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c != NULL; c = CMSG_NXTHDR(mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS)
            return ((const struct ucred *)CMSG_DATA(c))->pid;
    return 0;
}

static void sink_read(struct sink *k)
{
    char buf[MW_WIRE_MAX_MESSAGE + 64];
    union {
        struct cmsghdr align;
        char space[CMSG_SPACE(sizeof(struct ucred))];
    } ctl;
    struct iovec iov = {buf, sizeof(buf)};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.space,
                        .msg_controllen = sizeof(ctl.space)};
    ssize_t n = recvmsg(k->fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
    if (n > 0)
        sink_decode(k, sink_sender(&mh), buf, (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n);
}

/* One round of the loop; how many messages were read (0 when idle or interrupted). */
static int sink_poll(struct sink *k, int timeout_ms)
{
    struct pollfd p = {.fd = k->fd, .events = POLLIN};
    if (poll(&p, 1, timeout_ms) <= 0 || !(p.revents & POLLIN))
        return 0;
    int n = 0;
    for (; n < SINK_BATCH; n++) {
        unsigned long before = k->messages;
        sink_read(k);
        if (k->messages == before)
            break;
    }
    fflush(stdout);
    return n;
}

static int64_t sink_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* environ plus the agent's variables, for the command. */
static char **sink_child_env(const char *sock, const char *agent)
{
    size_t n = 0;
    while (environ[n] != NULL)
        n++;
    char **env = calloc(n + 4, sizeof(char *));
    static char vars[3][SINK_PATH_MAX + 4096];
    if (env == NULL)
        return NULL;
    snprintf(vars[0], sizeof(vars[0]), "MEMWATCH_SOCKET=%s", sock);
    snprintf(vars[1], sizeof(vars[1]), "MEMWATCH_AGENT_PATH=%s", agent);
    snprintf(vars[2], sizeof(vars[2]), "LD_PRELOAD=%s", agent);
    size_t j = 0;
    for (size_t i = 0; i < 3; i++)
        env[j++] = vars[i];
    for (size_t i = 0; i < n; i++)
        if (strncmp(environ[i], "LD_PRELOAD=", 11) != 0 && strncmp(environ[i], "MEMWATCH_", 9) != 0)
            env[j++] = environ[i];
    env[j] = NULL;
    return env;
}

static int sink_run(struct sink *k, const char *agent, char **cmd)
{
    char dir[] = "/tmp/agent_sink.XXXXXX";
    char sock[SINK_PATH_MAX];
    if (mkdtemp(dir) == NULL)
        return 125;
    snprintf(sock, sizeof(sock), "%s/sock", dir);
    if (sink_listen(k, sock) != 0)
        return 125;
    char **env = sink_child_env(sock, agent);
    pid_t pid;
    int err = env != NULL ? posix_spawnp(&pid, cmd[0], NULL, NULL, cmd, env) : ENOMEM;
    if (err != 0) {
        fprintf(stderr, "agent_sink: cannot run %s: %s\n", cmd[0], strerror(err));
        return 127;
    }
    int status = 0;
    int64_t ended_at = 0, heard_at = 0;
    /* Reports sent before the command ended are queued by then: stop after a quiet pause, or when
     * orphans' agents outstay the linger time. */
    while (!sink_stop) {
        if (ended_at == 0 && waitpid(pid, &status, WNOHANG) == pid)
            ended_at = sink_now_ms();
        if (sink_poll(k, ended_at != 0 ? 20 : 50) > 0)
            heard_at = sink_now_ms();
        int64_t now = sink_now_ms();
        if (ended_at != 0 && (now - (heard_at > ended_at ? heard_at : ended_at) > SINK_QUIET_MS ||
                              now - ended_at > SINK_LINGER_MS))
            break;
    }
    unlink(sock);
    rmdir(dir);
    free(env);
    printf("end messages=%lu\n", k->messages);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
    static struct sink k;
    struct sigaction sa = {.sa_handler = sink_on_signal};
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    if (argc >= 5 && strcmp(argv[1], "--run") == 0 && strcmp(argv[3], "--") == 0)
        return sink_run(&k, argv[2], argv + 4);
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: agent_sink SOCKET | agent_sink --run AGENT_SO -- CMD [ARGS...]\n");
        return 2;
    }
    if (sink_listen(&k, argv[1]) != 0)
        return 1;
    while (!sink_stop)
        sink_poll(&k, 1000);
    unlink(argv[1]);
    return 0;
}
