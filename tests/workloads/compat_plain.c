/* compat_plain [CODE [COMMAND]]: writes a fixed line on stdout and on stderr, says whether a sanitizer
 * runtime is mapped into it, runs COMMAND with system() when given, and exits with CODE.
 * Built plain, with each sanitizer (compat_asan, compat_ubsan, compat_tsan, compat_lsan) and with -m32
 * (compat_m32). Expectation (scenarios_compat.c): under memwatch the job's stdout, stderr and exit code are
 * byte for byte those of a bare run — no ld.so line, no sanitizer abort, and a program that does not link a
 * sanitizer runtime never gets one because its parent did. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define COMPAT_LINE_MAX 4096

static const char *compat_runtime_mapped(void)
{
    static const char *const names[] = {"libasan", "libtsan", "libubsan", "liblsan"};
    FILE *f = fopen("/proc/self/maps", "r");
    char line[COMPAT_LINE_MAX];
    const char *found = "none";
    while (f != NULL && fgets(line, sizeof line, f) != NULL) {
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            if (strstr(line, names[i]) != NULL)
                found = names[i];
        }
    }
    if (f != NULL)
        fclose(f);
    return found;
}

int main(int argc, char **argv)
{
    const char *name = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    int code = argc > 1 ? atoi(argv[1]) : 0;
    printf("%s: stdout, %zu-bit, sanitizer runtime: %s\n", name, sizeof(void *) * 8, compat_runtime_mapped());
    fprintf(stderr, "%s: stderr\n", name);
    fflush(NULL);
    if (argc > 2) {
        int status = system(argv[2]);
        printf("%s: system: %d\n", name, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return code;
}
