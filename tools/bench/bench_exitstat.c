/* Benchmark helper: runs a command and records, at the instant its main process exits, that process's own
 * VmHWM and CPU time (not its children's, unlike wait4 and /usr/bin/time), as JSON in OUTFILE. It stops the
 * command at exit with ptrace(PTRACE_O_TRACEEXIT), which costs nothing while the command runs. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define BENCH_EXITSTAT_LINE_MAX 1024
#define BENCH_EXITSTAT_PATH_MAX 64

typedef struct {
    long hwm_kib, rss_kib;
    long long cpu_ns;              /* /proc/PID/schedstat: the main thread's time on a CPU */
    long long utime_ticks, stime_ticks; /* /proc/PID/stat: the whole thread group's */
} bench_exitstat_facts;

static void bench_exitstat_read_status(pid_t pid, bench_exitstat_facts *f)
{
    char path[BENCH_EXITSTAT_PATH_MAX], line[BENCH_EXITSTAT_LINE_MAX];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return;
    while (fgets(line, sizeof line, fp)) {
        if (strncmp(line, "VmHWM:", 6) == 0)
            f->hwm_kib = strtol(line + 6, NULL, 10);
        else if (strncmp(line, "VmRSS:", 6) == 0)
            f->rss_kib = strtol(line + 6, NULL, 10);
    }
    fclose(fp);
}

static void bench_exitstat_read_cpu(pid_t pid, bench_exitstat_facts *f)
{
    char path[BENCH_EXITSTAT_PATH_MAX], line[BENCH_EXITSTAT_LINE_MAX];
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    FILE *fp = fopen(path, "r");
    if (fp) {
        if (fscanf(fp, "%lld", &f->cpu_ns) != 1)
            f->cpu_ns = -1;
        fclose(fp);
    }
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    fp = fopen(path, "r");
    if (!fp)
        return;
    if (fgets(line, sizeof line, fp)) {
        /* Fields after the command (which may hold spaces) start after its last ')'. */
        const char *p = strrchr(line, ')');
        if (p && sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lld %lld", &f->utime_ticks,
                        &f->stime_ticks) != 2)
            f->utime_ticks = f->stime_ticks = -1;
    }
    fclose(fp);
}

static int bench_exitstat_write(const char *path, const bench_exitstat_facts *f, int status)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    fprintf(fp,
            "{\"hwm_kib\": %ld, \"rss_kib_at_exit\": %ld, \"cpu_ns\": %lld, \"utime_ticks\": %lld, "
            "\"stime_ticks\": %lld, \"clk_tck\": %ld, \"wait_status\": %d}\n",
            f->hwm_kib, f->rss_kib, f->cpu_ns, f->utime_ticks, f->stime_ticks, sysconf(_SC_CLK_TCK), status);
    return fclose(fp);
}

/* Follows the traced child until it is gone; reads its facts at the exit stop. */
static int bench_exitstat_follow(pid_t pid, bench_exitstat_facts *f)
{
    int status;
    for (;;) {
        if (waitpid(pid, &status, 0) < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (WIFEXITED(status) || WIFSIGNALED(status))
            return status;
        int sig = WSTOPSIG(status);
        if (sig == SIGTRAP && (status >> 16) == PTRACE_EVENT_EXIT) {
            bench_exitstat_read_status(pid, f);
            bench_exitstat_read_cpu(pid, f);
            sig = 0;
        } else if (sig == SIGTRAP) {
            sig = 0; /* the stop after the first exec */
        }
        ptrace(PTRACE_CONT, pid, NULL, (void *)(long)sig);
    }
}

int main(int argc, char **argv)
{
    if (argc < 4 || strcmp(argv[2], "--") != 0) {
        fprintf(stderr, "usage: bench_exitstat OUTFILE -- COMMAND [ARGS...]\n");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "bench_exitstat: fork: %s\n", strerror(errno));
        return 1;
    }
    if (pid == 0) {
        if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) != 0) {
            fprintf(stderr, "bench_exitstat: ptrace(PTRACE_TRACEME): %s\n", strerror(errno));
            _exit(126);
        }
        execvp(argv[3], argv + 3);
        fprintf(stderr, "bench_exitstat: cannot run '%s': %s\n", argv[3], strerror(errno));
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) < 0 || !WIFSTOPPED(status))
        return 1;
    ptrace(PTRACE_SETOPTIONS, pid, NULL, (void *)(long)(PTRACE_O_TRACEEXIT | PTRACE_O_EXITKILL));
    ptrace(PTRACE_CONT, pid, NULL, NULL);
    bench_exitstat_facts facts = {-1, -1, -1, -1, -1};
    status = bench_exitstat_follow(pid, &facts);
    if (status < 0 || bench_exitstat_write(argv[1], &facts, status) != 0) {
        fprintf(stderr, "bench_exitstat: %s: %s\n", status < 0 ? "waitpid" : argv[1], strerror(errno));
        return 1;
    }
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return WEXITSTATUS(status);
}
