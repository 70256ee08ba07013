/* system_popen MODE MIB HOLD_MS: runs alloc_hold through the shell, MODE being:
 *   system          system("…/alloc_hold MIB HOLD_MS system")
 *   popen           popen("…/alloc_hold MIB HOLD_MS popen", "r"), read to EOF, pclose
 *   unsetenv_system unsetenv("LD_PRELOAD") first (a program scrubbing its own environment), then system
 * Records fact "parent" and exits 0 when the command exited 0.
 * memwatch must report: the shell and alloc_hold (in the shell's process or a child of it, as the shell
 * decides), alloc_hold's image with exact peak = the fact's hwm_kib. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "wl_common.h"

#define SYSTEM_POPEN_CMD_MAX (WL_PATH_MAX + 128)
#define SYSTEM_POPEN_READ_MAX 256

static int system_popen_status_ok(int status)
{
    return status != -1 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return WL_EXIT_BROKEN;
    const char *mode = argv[1];
    long mib = wl_arg_long(argv[2], "MIB");
    long hold_ms = wl_arg_long(argv[3], "HOLD_MS");
    char dir[WL_PATH_MAX];
    char cmd[SYSTEM_POPEN_CMD_MAX];
    wl_self_dir(dir, sizeof dir);
    snprintf(cmd, sizeof cmd, "'%s/alloc_hold' %ld %ld %s", dir, mib, hold_ms, mode);

    int ok = 0;
    if (strcmp(mode, "system") == 0) {
        ok = system_popen_status_ok(system(cmd));
    } else if (strcmp(mode, "unsetenv_system") == 0) {
        if (unsetenv("LD_PRELOAD") != 0)
            wl_die("unsetenv");
        ok = system_popen_status_ok(system(cmd));
    } else if (strcmp(mode, "popen") == 0) {
        FILE *p = popen(cmd, "r");
        if (p == NULL)
            wl_die("popen");
        char buf[SYSTEM_POPEN_READ_MAX];
        while (fread(buf, 1, sizeof buf, p) > 0) {
        }
        ok = system_popen_status_ok(pclose(p));
    } else {
        return 3;
    }
    wl_fact("parent", ok);
    return ok ? 0 : 1;
}
