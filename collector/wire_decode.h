/* Decoding and validation of agent messages: every byte from the socket is untrusted. */
#ifndef MEMWATCH_WIRE_DECODE_H
#define MEMWATCH_WIRE_DECODE_H

#include <stddef.h>

#include "memwatch/wire.h"

struct wire_msg {
    uint16_t type; /* enum mw_msg_type */
    union {
        struct mw_image_start start;
        struct mw_image_peak peak;
        struct mw_child_end child;
        struct mw_kill_peak kill;
    } u;
};

enum wire_result {
    WIRE_OK = 0,
    WIRE_UNKNOWN_TYPE, /* well-formed header, type from a newer agent: drop quietly */
    WIRE_BAD,          /* malformed: count and drop */
};

/* Validates buf[0..len) and copies it into *out. On failure *why names the first problem. */
enum wire_result wire_decode(const void *buf, size_t len, struct wire_msg *out, const char **why);
/* The image a decoded message speaks for (its sender's, for a child end); NULL for a type without one. */
const struct mw_image_id *wire_msg_image(const struct wire_msg *msg);

#endif
