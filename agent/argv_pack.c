/* Packs an argv into the wire's fixed buffer: NUL-terminated strings back to back, truncated visibly. */
#include "argv_pack.h"

#include <string.h>

struct argv_pack_result argv_pack(char *const argv[], size_t argc, char *dst, size_t cap)
{
    struct argv_pack_result r = {0, 0, false};
    for (size_t i = 0; argv != NULL && i < argc && argv[i] != NULL; i++) {
        size_t n = strlen(argv[i]);
        size_t room = cap - r.len;
        if (n + 1 <= room) {
            memcpy(dst + r.len, argv[i], n + 1);
            r.len += n + 1;
            r.count++;
            continue;
        }
        r.truncated = true;
        /* Keep the start of the argument that overflows when at least one character of it fits:
         * it usually names the file the process works on. */
        if (room >= 2) {
            memcpy(dst + r.len, argv[i], room - 1);
            dst[cap - 1] = '\0';
            r.len = cap;
            r.count++;
        }
        break;
    }
    return r;
}
