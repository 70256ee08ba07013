/* Wire format between the preload agent and the collector: one versioned header, fixed-layout bodies. */
#ifndef MEMWATCH_WIRE_H
#define MEMWATCH_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Bump MW_WIRE_VERSION only for incompatible layout changes; new message types do not need it
 * (a collector counts and drops types it does not know).
 * Version 2: datagrams instead of one connection per image. The sender's pid is the kernel's
 * (SCM_CREDENTIALS), never a field of a message; every message names its image (struct mw_image_id).
 * Version 3: an image peak carries the process's I/O counters (/proc/self/io) at exit. */
#define MW_WIRE_MAGIC 0x4d57414eu /* "MWAN" */
#define MW_WIRE_VERSION 3u

/* Environment shared by agent and collector. */
#define MW_ENV_SOCKET "MEMWATCH_SOCKET"          /* path of the collector's socket */
#define MW_ENV_AGENT_PATH "MEMWATCH_AGENT_PATH"  /* absolute path of libmemwatch_agent.so */
#define MW_ENV_AGENT_LOG "MEMWATCH_AGENT_LOG"    /* optional debug log file of the agent */

#define MW_EXE_MAX 256   /* executable path bytes, NUL included */
#define MW_ARGV_MAX 2048 /* NUL-separated argv bytes */

/* Transport: the collector binds one SOCK_DGRAM Unix socket with SO_PASSCRED, so the kernel attaches the
 * sender's pid, uid and gid to every datagram. One datagram is one message. Agents send with sendto from
 * a socket of their own; a message that wants an answer (spawn gating, later) sets request_id and is sent
 * from an autobound socket (abstract address), to which the collector replies with sendto: a reply is a
 * message of the same format whose request_id repeats the request's. Types below 0x100 flow from agent to
 * collector; replies will take types from 0x100. Bulk data (heap snapshots, later) travels as numbered
 * chunks of one request_id, each a datagram under MW_WIRE_DATAGRAM_MAX. */
#define MW_WIRE_DATAGRAM_MAX 65536u

enum mw_msg_type {
    MW_MSG_IMAGE_START = 1, /* a process image began: constructor, or fork child */
    MW_MSG_IMAGE_PEAK = 2,  /* VmHWM of the current image, just before exec or at exit */
    MW_MSG_CHILD_END = 3,   /* the sender reaped a child through the wait family */
    MW_MSG_KILL_PEAK = 4,   /* the sender is about to send a fatal signal: the target's VmHWM just before */
};

struct mw_header {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t length;     /* whole message, header included */
    uint32_t request_id; /* 0: no reply wanted (every message of version 2) */
};

/* Which image of which process a message speaks for. The pid is the sender's, from the kernel; the
 * starttime tells a reused pid apart, the start instant tells the images of one process apart. */
struct mw_image_id {
    uint64_t starttime_ticks; /* field 22 of /proc/self/stat; 0 when it could not be read */
    int64_t start_ns;         /* CLOCK_MONOTONIC instant of the image's start message (its mono_ns) */
};

/* mw_image_start.flags */
#define MW_START_FORKED 0x1u         /* fork child: same image as the parent, new process */
#define MW_START_ARGV_TRUNCATED 0x2u /* argv did not fit in MW_ARGV_MAX */
#define MW_START_EXE_TRUNCATED 0x4u

/* Sent with length = offsetof(struct mw_image_start, argv) + argv_len: unused argv bytes stay off the wire. */
struct mw_image_start {
    struct mw_header h;
    struct mw_image_id id; /* id.start_ns is this message's instant */
    int32_t ppid;          /* what the process says; the collector checks membership through /proc */
    uint32_t flags;
    uint32_t argc;     /* argc of the program, even when argv is truncated */
    uint32_t argv_len; /* bytes used in argv, each argument NUL-terminated */
    char exe[MW_EXE_MAX]; /* NUL-terminated */
    char argv[MW_ARGV_MAX];
};

enum mw_peak_reason {
    MW_PEAK_EXEC = 1, /* the image is about to exec; a failed exec leaves it running */
    MW_PEAK_EXIT = 2, /* the process is exiting */
};

#define MW_EXIT_CODE_UNKNOWN (-1)

/* mw_image_peak.flags */
#define MW_PEAK_HAS_IO 0x1u /* the io_* fields hold /proc/self/io, read just before the report (exit only) */

struct mw_image_peak {
    struct mw_header h;
    struct mw_image_id id; /* the image whose peak this is */
    int64_t mono_ns;
    uint32_t reason;   /* enum mw_peak_reason */
    int32_t exit_code; /* status given to exit/_exit, or MW_EXIT_CODE_UNKNOWN */
    uint64_t hwm_kib;  /* VmHWM */
    uint64_t rss_kib;  /* VmRSS */
    uint64_t utime_us; /* getrusage(RUSAGE_SELF): the whole process, cumulative across its execs */
    uint64_t stime_us;
    uint32_t flags;    /* MW_PEAK_HAS_IO */
    uint32_t reserved; /* 0 */
    uint64_t io_rchar; /* /proc/self/io: bytes read and written through system calls ... */
    uint64_t io_wchar;
    uint64_t io_read_bytes; /* ... and from and to storage; all 0 without MW_PEAK_HAS_IO */
    uint64_t io_write_bytes;
};

/* mw_child_end.flags */
#define MW_CHILD_HAS_RUSAGE 0x1u

struct mw_child_end {
    struct mw_header h;
    struct mw_image_id id; /* the reaper's image */
    int64_t mono_ns;
    int32_t child_pid;   /* must be a child (or a descendant, for a subreaper) of the sender */
    int32_t wait_status; /* as wait4 returns it (WIFEXITED/WIFSIGNALED apply) */
    uint32_t flags;
    uint32_t reserved;
    uint64_t maxrss_kib; /* ru_maxrss: an upper bound of the child's peak */
    uint64_t utime_us;
    uint64_t stime_us;
};

/* Layouts are the same on every ABI the agent is built for (64- and 32-bit): no implicit padding. */
_Static_assert(sizeof(struct mw_header) == 16, "mw_header layout");
/* A process of the job is about to send a signal that ends a process by default (its own kill() hook): the
 * target's VmHWM read just before, the last figure anyone can read of a process killed without a word. */
struct mw_kill_peak {
    struct mw_header h;
    struct mw_image_id id;     /* the sender's image */
    int64_t mono_ns;
    int32_t target_pid;
    int32_t signal;
    uint64_t target_starttime; /* field 22 of /proc/TARGET/stat: which process of that pid */
    uint64_t hwm_kib;          /* the target's VmHWM */
};

_Static_assert(sizeof(struct mw_image_id) == 16, "mw_image_id layout");
_Static_assert(offsetof(struct mw_image_start, exe) == 48, "mw_image_start layout");
_Static_assert(sizeof(struct mw_image_peak) == 120, "mw_image_peak layout");
_Static_assert(sizeof(struct mw_child_end) == 80, "mw_child_end layout");
_Static_assert(sizeof(struct mw_kill_peak) == 64, "mw_kill_peak layout");

/* The largest message either side ever handles. */
#define MW_WIRE_MAX_MESSAGE (sizeof(struct mw_image_start))

#endif
