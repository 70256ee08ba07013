/* libFuzzer target for the agent message decoder (wire version 3): any bytes, no crash, and accepted
 * messages are sound. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "wire_decode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_start(const struct mw_image_start *m, size_t size)
{
    if (m->argv_len > MW_ARGV_MAX || m->argv_len != size - offsetof(struct mw_image_start, argv) ||
        !memchr(m->exe, '\0', MW_EXE_MAX) || (m->argv_len && m->argv[m->argv_len - 1] != '\0') || m->ppid < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_msg msg;
    const char *why;
    enum wire_result r = wire_decode(data, size, &msg, &why);
    if (r != WIRE_OK) {
        if (why == NULL || (r == WIRE_UNKNOWN_TYPE && wire_msg_image(&msg) != NULL))
            abort();
        return 0;
    }
    const struct mw_image_id *id = wire_msg_image(&msg);
    if (id == NULL || ((const struct mw_header *)data)->request_id != 0)
        abort();
    switch (msg.type) {
    case MW_MSG_IMAGE_START: check_start(&msg.u.start, size); break;
    case MW_MSG_IMAGE_PEAK:
        if (size != sizeof msg.u.peak || (msg.u.peak.reason != MW_PEAK_EXEC && msg.u.peak.reason != MW_PEAK_EXIT))
            abort();
        if ((msg.u.peak.flags & ~MW_PEAK_HAS_IO) ||
            (!(msg.u.peak.flags & MW_PEAK_HAS_IO) && (msg.u.peak.io_rchar || msg.u.peak.io_wchar)))
            abort();
        break;
    case MW_MSG_CHILD_END:
        if (size != sizeof msg.u.child || msg.u.child.child_pid <= 0)
            abort();
        break;
    case MW_MSG_KILL_PEAK:
        if (size != sizeof msg.u.kill || msg.u.kill.target_pid <= 0 || msg.u.kill.signal <= 0)
            abort();
        break;
    default: abort();
    }
    return 0;
}
