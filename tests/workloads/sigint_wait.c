/* sigint_wait [exit|reraise]: waits for SIGINT, which only memwatch receives and must forward.
 *
 * Touches 4 MiB, records fact "sigint_wait", writes marker "sigint.ready", then waits (at most 120 s).
 * On SIGINT it writes marker "sigint.got" and either exits 130 ("exit") or dies of SIGINT again
 * ("reraise", the default). Without a signal it exits 1.
 * memwatch must: forward the SIGINT to the job, still write the complete JSON report, and exit 130. */
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "wl_common.h"

#define SIGINT_WAIT_MAX_MS 120000
#define SIGINT_STEP_MS 10

static volatile sig_atomic_t sigint_seen;

static void sigint_on_signal(int sig)
{
    (void)sig;
    sigint_seen = 1;
}

int main(int argc, char **argv)
{
    int reraise = !(argc > 1 && strcmp(argv[1], "exit") == 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = sigint_on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0)
        wl_die("sigaction");
    wl_touch_mib(4);
    wl_fact("sigint_wait", 0);
    wl_marker("sigint.ready", "ready\n");
    for (long waited = 0; !sigint_seen && waited < SIGINT_WAIT_MAX_MS; waited += SIGINT_STEP_MS)
        wl_sleep_ms(SIGINT_STEP_MS);
    if (!sigint_seen)
        return 1;
    wl_marker("sigint.got", "SIGINT\n");
    if (!reraise)
        return 130;
    signal(SIGINT, SIG_DFL);
    raise(SIGINT);
    return WL_EXIT_BROKEN;
}
