/* agent_sink: a stand-in collector that prints, one line each, the messages agents send; for manual
 * checks of the agent and for its smoke tests.
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

#define SINK_CONNS_MAX 1024
#define SINK_LINGER_MS 3000 /* after the command ended, how long agents of orphans may stay connected */
#define SINK_PATH_MAX 108

extern char **environ;

struct sink {
    int listen_fd;
    struct pollfd fds[SINK_CONNS_MAX + 1]; /* [0] is the listener */
    int conn_id[SINK_CONNS_MAX + 1];
    size_t n_fds;
    int next_id;
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

static void sink_start(int id, const struct mw_image_start *m, size_t len)
{
    size_t fixed = offsetof(struct mw_image_start, argv);
    if (len < fixed || m->argv_len != len - fixed || m->exe[MW_EXE_MAX - 1] != '\0' ||
        (m->argv_len > 0 && m->argv[m->argv_len - 1] != '\0')) {
        printf("bad conn=%d start length=%zu\n", id, len);
        return;
    }
    printf("start conn=%d pid=%d ppid=%d starttime=%llu flags=%s%s argc=%u exe=%s argv=", id, m->pid, m->ppid,
           (unsigned long long)m->starttime_ticks, (m->flags & MW_START_FORKED) ? "forked," : "",
           (m->flags & MW_START_ARGV_TRUNCATED) ? "argv_truncated," : "", m->argc, m->exe);
    sink_print_argv(m->argv, m->argv_len);
    fputc('\n', stdout);
}

static void sink_peak(int id, const struct mw_image_peak *m)
{
    printf("peak conn=%d pid=%d reason=%s hwm_kib=%llu rss_kib=%llu exit=%d\n", id, m->pid,
           m->reason == MW_PEAK_EXEC ? "exec" : m->reason == MW_PEAK_EXIT ? "exit" : "?",
           (unsigned long long)m->hwm_kib, (unsigned long long)m->rss_kib, m->exit_code);
}

static void sink_child_end(int id, const struct mw_child_end *m)
{
    int st = m->wait_status;
    printf("child_end conn=%d parent=%d child=%d %s=%d maxrss_kib=%llu rusage=%s\n", id, m->parent_pid,
           m->child_pid, WIFEXITED(st) ? "exited" : "signaled", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st),
           (unsigned long long)m->maxrss_kib, (m->flags & MW_CHILD_HAS_RUSAGE) ? "yes" : "no");
}

static void sink_decode(struct sink *k, int id, const void *buf, size_t len)
{
    const struct mw_header *h = buf;
    k->messages++;
    if (len < sizeof(*h) || h->magic != MW_WIRE_MAGIC || h->version != MW_WIRE_VERSION || h->length != len) {
        printf("bad conn=%d length=%zu\n", id, len);
        return;
    }
    if (h->type == MW_MSG_IMAGE_START)
        sink_start(id, buf, len);
    else if (h->type == MW_MSG_IMAGE_PEAK && len == sizeof(struct mw_image_peak))
        sink_peak(id, buf);
    else if (h->type == MW_MSG_CHILD_END && len == sizeof(struct mw_child_end))
        sink_child_end(id, buf);
    else
        printf("bad conn=%d type=%u length=%zu\n", id, h->type, len);
}

static int sink_listen(struct sink *k, const char *path)
{
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof(addr.sun_path)) {
        fprintf(stderr, "agent_sink: socket path too long: %s\n", path);
        return -1;
    }
    strcpy(addr.sun_path, path);
    k->listen_fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    if (k->listen_fd < 0 || bind(k->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
        listen(k->listen_fd, 128) != 0) {
        fprintf(stderr, "agent_sink: cannot listen on %s: %s\n", path, strerror(errno));
        return -1;
    }
    k->fds[0] = (struct pollfd){.fd = k->listen_fd, .events = POLLIN};
    k->n_fds = 1;
    return 0;
}

static void sink_accept(struct sink *k)
{
    int fd = accept4(k->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0)
        return;
    if (k->n_fds > SINK_CONNS_MAX) {
        close(fd);
        return;
    }
    k->conn_id[k->n_fds] = ++k->next_id;
    k->fds[k->n_fds++] = (struct pollfd){.fd = fd, .events = POLLIN};
}

static void sink_read(struct sink *k, size_t i)
{
    char buf[MW_WIRE_MAX_MESSAGE + 64];
    ssize_t n = recv(k->fds[i].fd, buf, sizeof(buf), MSG_TRUNC);
    if (n > 0) {
        sink_decode(k, k->conn_id[i], buf, (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n);
        return;
    }
    printf("close conn=%d\n", k->conn_id[i]);
    close(k->fds[i].fd);
    k->fds[i] = k->fds[--k->n_fds];
    k->conn_id[i] = k->conn_id[k->n_fds];
}

/* One round of the loop; how many descriptors had something (0 when idle or interrupted). */
static int sink_poll(struct sink *k, int timeout_ms)
{
    int n = poll(k->fds, k->n_fds, timeout_ms);
    if (n <= 0)
        return 0;
    if (k->fds[0].revents & POLLIN)
        sink_accept(k);
    for (size_t i = k->n_fds; i-- > 1;)
        if (k->fds[i].revents & (POLLIN | POLLHUP | POLLERR))
            sink_read(k, i);
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
    int64_t ended_at = 0;
    /* Connections made before the command ended are in the listen queue by then: stop only after a
     * quiet round with none open, or when orphans' agents outstay the linger time. */
    while (!sink_stop) {
        if (ended_at == 0 && waitpid(pid, &status, WNOHANG) == pid)
            ended_at = sink_now_ms();
        int active = sink_poll(k, ended_at != 0 ? 0 : 50);
        if (ended_at != 0 && ((active == 0 && k->n_fds == 1) || sink_now_ms() - ended_at > SINK_LINGER_MS))
            break;
        if (ended_at != 0 && active == 0)
            sink_poll(k, 20);
    }
    unlink(sock);
    rmdir(dir);
    free(env);
    printf("end messages=%lu open_connections=%zu\n", k->messages, k->n_fds - 1);
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
