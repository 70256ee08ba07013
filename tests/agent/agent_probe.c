/* agent_probe SCENARIO: one agent path per scenario (scrubbed environments through each exec variant,
 * system/popen, posix_spawn, vfork, fork, the wait family, closed descriptors); run under agent_sink by
 * agent_smoke.sh, which checks what the agent reported. Prints facts only the probe can see. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROBE_BIG_BYTES (64u * 1024u * 1024u)

extern char **environ;

static char *probe_empty_env[] = {NULL};

static void probe_scrub(void)
{
    unsetenv("LD_PRELOAD");
    unsetenv("MEMWATCH_SOCKET");
    unsetenv("MEMWATCH_AGENT_PATH");
}

static const char *probe_errno_name(int e)
{
    return e == EACCES ? "EACCES" : e == ENOENT ? "ENOENT" : e == ENOEXEC ? "ENOEXEC" : "other";
}

static int probe_wait_child(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A non-executable file found first on PATH: execvp must fail with EACCES, not ENOENT. */
static int probe_eacces(void)
{
    char dir[] = "/tmp/agent_probe.XXXXXX";
    char file[sizeof(dir) + 16];
    char path[sizeof(dir) + 16];
    if (mkdtemp(dir) == NULL)
        return 2;
    snprintf(file, sizeof(file), "%s/mwprobe_x", dir);
    snprintf(path, sizeof(path), "/nonexistent:%s", dir);
    int fd = open(file, O_CREAT | O_WRONLY, 0644);
    close(fd);
    setenv("PATH", path, 1);
    execlp("mwprobe_x", "mwprobe_x", (char *)NULL);
    int intact = errno;
    probe_scrub();
    execlp("mwprobe_x", "mwprobe_x", (char *)NULL);
    int scrubbed = errno;
    printf("probe errno-intact=%s errno-scrubbed=%s\n", probe_errno_name(intact), probe_errno_name(scrubbed));
    unlink(file);
    rmdir(dir);
    return 0;
}

/* A script without #! run through execvp: the kernel says ENOEXEC, execvp hands it to /bin/sh. */
static int probe_script(void)
{
    char dir[] = "/tmp/agent_probe.XXXXXX";
    char file[sizeof(dir) + 16];
    if (mkdtemp(dir) == NULL)
        return 2;
    snprintf(file, sizeof(file), "%s/mwscript", dir);
    FILE *f = fopen(file, "w");
    fputs("/bin/rm -f \"$0\"; exit 6\n", f);
    fclose(f);
    chmod(file, 0755);
    setenv("PATH", dir, 1);
    probe_scrub();
    execvp("mwscript", (char *[]){"mwscript", "arg1", NULL});
    return 1;
}

static int probe_system(int use_popen)
{
    probe_scrub();
    int rc;
    if (use_popen) {
        FILE *p = popen("/bin/true", "r");
        rc = p != NULL ? pclose(p) : -1;
    } else {
        rc = system("/bin/true");
    }
    printf("probe rc=%d env-restored=%s\n", rc, getenv("LD_PRELOAD") == NULL ? "yes" : "no");
    return 0;
}

static int probe_spawn(void)
{
    pid_t pid;
    char *argv[] = {"true", NULL};
    if (posix_spawnp(&pid, "true", NULL, NULL, argv, probe_empty_env) != 0)
        return 1;
    return probe_wait_child(pid);
}

static int probe_vfork(void)
{
    pid_t pid = vfork();
    if (pid == 0) {
        execle("/bin/true", "true", (char *)NULL, probe_empty_env);
        _exit(127);
    }
    return probe_wait_child(pid);
}

static int probe_fork_exit(void)
{
    pid_t pid = fork();
    if (pid == 0)
        _exit(7);
    errno = EDOM;
    int st;
    siginfo_t info;
    /* WNOWAIT leaves the child to be reaped (and reported) by the second call. */
    if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOWAIT) != 0 || waitid(P_PID, (id_t)pid, &info, WEXITED) != 0)
        return 1;
    printf("probe errno-kept=%s\n", errno == EDOM ? "yes" : "no");
    (void)st;
    return 0;
}

/* The host closes every descriptor it did not open; the agent must notice and reconnect to report. */
static int probe_closefrom(void)
{
    closefrom(3);
    char *p = mmap(NULL, PROBE_BIG_BYTES, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    memset(p, 1, PROBE_BIG_BYTES);
    munmap(p, PROBE_BIG_BYTES);
    int fd = open("/dev/null", O_RDONLY); /* takes a low number, never 500 */
    (void)fd;
    exit(5);
}

/* The collector vanished (the test kills it, then writes a byte on stdin): sends must fail quietly,
 * without SIGPIPE, and the job keeps its own exit code. */
static int probe_no_sigpipe(void)
{
    signal(SIGPIPE, SIG_DFL);
    char go;
    if (read(0, &go, 1) != 1)
        return 1;
    pid_t pid = fork();
    if (pid == 0)
        _exit(0);
    return probe_wait_child(pid) == 0 ? 4 : 1;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    const char *s = argc > 1 ? argv[1] : "";
    if (strcmp(s, "execle-empty") == 0)
        return execle("/bin/true", "true", (char *)NULL, probe_empty_env);
    if (strcmp(s, "execvpe-empty") == 0)
        return execvpe("true", (char *[]){"true", "x", NULL}, probe_empty_env);
    if (strcmp(s, "execlp-scrubbed") == 0) {
        probe_scrub();
        return execlp("true", "true", "y", (char *)NULL);
    }
    if (strcmp(s, "execv-scrubbed") == 0) {
        probe_scrub();
        return execv("/bin/true", (char *[]){"true", "z", NULL});
    }
    if (strcmp(s, "eacces") == 0)
        return probe_eacces();
    if (strcmp(s, "script") == 0)
        return probe_script();
    if (strcmp(s, "system") == 0)
        return probe_system(0);
    if (strcmp(s, "popen") == 0)
        return probe_system(1);
    if (strcmp(s, "spawn-empty") == 0)
        return probe_spawn();
    if (strcmp(s, "vfork") == 0)
        return probe_vfork();
    if (strcmp(s, "fork-exit") == 0)
        return probe_fork_exit();
    if (strcmp(s, "closefrom") == 0)
        return probe_closefrom();
    if (strcmp(s, "no-sigpipe") == 0)
        return probe_no_sigpipe();
    fprintf(stderr, "agent_probe: unknown scenario '%s'\n", s);
    return 2;
}
