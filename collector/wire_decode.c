/* Decoding and validation of agent messages: lengths, types and strings checked before anything is used. */
#include "wire_decode.h"

#include <string.h>

static enum wire_result bad(const char **why, const char *text)
{
    *why = text;
    return WIRE_BAD;
}

static enum wire_result decode_start(const void *buf, size_t len, struct wire_msg *out, const char **why)
{
    const size_t fixed = offsetof(struct mw_image_start, argv);
    if (len < fixed)
        return bad(why, "image start shorter than its fixed part");
    struct mw_image_start *m = &out->u.start;
    memset(m, 0, sizeof *m);
    memcpy(m, buf, len);
    if (m->argv_len != len - fixed)
        return bad(why, "image start argv_len disagrees with the message length");
    if (m->ppid < 0)
        return bad(why, "image start with an invalid ppid");
    if (memchr(m->exe, '\0', sizeof m->exe) == NULL)
        return bad(why, "image start exe not terminated");
    if (m->argv_len && m->argv[m->argv_len - 1] != '\0')
        return bad(why, "image start argv not terminated");
    uint32_t strings = 0;
    for (uint32_t i = 0; i < m->argv_len; i++)
        strings += m->argv[i] == '\0';
    if (strings > m->argc)
        return bad(why, "image start carries more arguments than argc");
    if (m->flags & ~(MW_START_FORKED | MW_START_ARGV_TRUNCATED | MW_START_EXE_TRUNCATED))
        return bad(why, "image start with unknown flags");
    return WIRE_OK;
}

static enum wire_result decode_peak(const void *buf, size_t len, struct wire_msg *out, const char **why)
{
    if (len != sizeof(struct mw_image_peak))
        return bad(why, "image peak of the wrong length");
    memcpy(&out->u.peak, buf, len);
    const struct mw_image_peak *m = &out->u.peak;
    if (m->reason != MW_PEAK_EXEC && m->reason != MW_PEAK_EXIT)
        return bad(why, "image peak with an unknown reason");
    if ((m->flags & ~MW_PEAK_HAS_IO) || m->reserved != 0)
        return bad(why, "image peak with unknown flags");
    if (!(m->flags & MW_PEAK_HAS_IO) && (m->io_rchar | m->io_wchar | m->io_read_bytes | m->io_write_bytes))
        return bad(why, "image peak with I/O counters it does not claim");
    return WIRE_OK;
}

static enum wire_result decode_child(const void *buf, size_t len, struct wire_msg *out, const char **why)
{
    if (len != sizeof(struct mw_child_end))
        return bad(why, "child end of the wrong length");
    memcpy(&out->u.child, buf, len);
    const struct mw_child_end *m = &out->u.child;
    if (m->child_pid <= 0)
        return bad(why, "child end with an invalid pid");
    if (m->flags & ~MW_CHILD_HAS_RUSAGE)
        return bad(why, "child end with unknown flags");
    return WIRE_OK;
}

static enum wire_result decode_kill(const void *buf, size_t len, struct wire_msg *out, const char **why)
{
    if (len != sizeof(struct mw_kill_peak))
        return bad(why, "kill peak of the wrong length");
    memcpy(&out->u.kill, buf, len);
    const struct mw_kill_peak *m = &out->u.kill;
    if (m->target_pid <= 0 || m->signal <= 0 || m->signal >= 65)
        return bad(why, "kill peak with an invalid target or signal");
    return WIRE_OK;
}

enum wire_result wire_decode(const void *buf, size_t len, struct wire_msg *out, const char **why)
{
    struct mw_header h;
    *why = NULL;
    if (len < sizeof h)
        return bad(why, "shorter than a header");
    if (len > MW_WIRE_MAX_MESSAGE)
        return bad(why, "longer than any message");
    memcpy(&h, buf, sizeof h);
    if (h.magic != MW_WIRE_MAGIC)
        return bad(why, "bad magic");
    if (h.version != MW_WIRE_VERSION)
        return bad(why, "unsupported version");
    if (h.length != len)
        return bad(why, "header length disagrees with the message size");
    out->type = h.type;
    switch (h.type) {
    case MW_MSG_IMAGE_START:
        if (h.request_id != 0)
            return bad(why, "image start asks for a reply");
        return decode_start(buf, len, out, why);
    case MW_MSG_IMAGE_PEAK:
        if (h.request_id != 0)
            return bad(why, "image peak asks for a reply");
        return decode_peak(buf, len, out, why);
    case MW_MSG_CHILD_END:
        if (h.request_id != 0)
            return bad(why, "child end asks for a reply");
        return decode_child(buf, len, out, why);
    case MW_MSG_KILL_PEAK:
        if (h.request_id != 0)
            return bad(why, "kill peak asks for a reply");
        return decode_kill(buf, len, out, why);
    default:
        *why = "unknown message type";
        return WIRE_UNKNOWN_TYPE;
    }
}

const struct mw_image_id *wire_msg_image(const struct wire_msg *msg)
{
    switch (msg->type) {
    case MW_MSG_IMAGE_START: return &msg->u.start.id;
    case MW_MSG_IMAGE_PEAK: return &msg->u.peak.id;
    case MW_MSG_CHILD_END: return &msg->u.child.id;
    case MW_MSG_KILL_PEAK: return &msg->u.kill.id;
    default: return NULL;
    }
}
