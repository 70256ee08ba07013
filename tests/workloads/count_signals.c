/* count_signals: counts the SIGINTs it receives, so a test can tell a signal delivered once from one that a
 * wrapper delivered again.
 *
 * Writes its pid into marker "count.ready", then waits (at most 120 s) for marker "count.stop"; after it,
 * waits 300 ms for late deliveries and exits with the number of SIGINTs received. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "wl_common.h"

#define COUNT_WAIT_MS 120000
#define COUNT_LATE_MS 300

static volatile sig_atomic_t count_received;

static void count_on_signal(int sig)
{
    (void)sig;
    count_received++;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = count_on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0)
        wl_die("sigaction");
    char pid[32];
    snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    wl_marker("count.ready", pid);
    if (wl_wait_file("count.stop", COUNT_WAIT_MS) != 0)
        return WL_EXIT_BROKEN;
    wl_sleep_ms(COUNT_LATE_MS);
    return (int)count_received;
}
