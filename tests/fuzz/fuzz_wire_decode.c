/* libFuzzer target for the agent message decoder: any bytes, no crash, and accepted messages are sound. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_msg msg;
    const char *why;
    if (wire_decode(data, size, &msg, &why) != WIRE_OK)
        return 0;
    if (msg.type == MW_MSG_IMAGE_START) {
        const struct mw_image_start *m = &msg.u.start;
        if (m->argv_len > MW_ARGV_MAX || !memchr(m->exe, '\0', MW_EXE_MAX) ||
            (m->argv_len && m->argv[m->argv_len - 1] != '\0'))
            abort();
    }
    return 0;
}
