/* Wire format between the preload agent and the collector: one versioned header, fixed-layout bodies. */
#ifndef MEMWATCH_WIRE_H
#define MEMWATCH_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* Bump MW_WIRE_VERSION only for incompatible layout changes; new message types do not need it
 * (a collector counts and drops types it does not know). */
#define MW_WIRE_MAGIC 0x4d57414eu /* "MWAN" */
#define MW_WIRE_VERSION 1u

/* Environment shared by agent and collector. */
#define MW_ENV_SOCKET "MEMWATCH_SOCKET"          /* path of the collector's socket */
#define MW_ENV_AGENT_PATH "MEMWATCH_AGENT_PATH"  /* absolute path of libmemwatch_agent.so */
#define MW_ENV_AGENT_LOG "MEMWATCH_AGENT_LOG"    /* optional debug log file of the agent */

#define MW_EXE_MAX 256   /* executable path bytes, NUL included */
#define MW_ARGV_MAX 2048 /* NUL-separated argv bytes */

enum mw_msg_type {
    MW_MSG_IMAGE_START = 1, /* a process image began: constructor, or fork child */
    MW_MSG_IMAGE_PEAK = 2,  /* VmHWM of the current image, just before exec or at exit */
    MW_MSG_CHILD_END = 3,   /* a parent reaped a child through the wait family */
};

struct mw_header {
    uint32_t magic;
    uint16_t version;
    uint16_t type;
    uint32_t length; /* whole message, header included */
    uint32_t reserved;
};

/* mw_image_start.flags */
#define MW_START_FORKED 0x1u         /* fork child: same image as the parent, new process */
#define MW_START_ARGV_TRUNCATED 0x2u /* argv did not fit in MW_ARGV_MAX */
#define MW_START_EXE_TRUNCATED 0x4u

/* Sent with length = offsetof(struct mw_image_start, argv) + argv_len: unused argv bytes stay off the wire. */
struct mw_image_start {
    struct mw_header h;
    int32_t pid;
    int32_t ppid;
    uint64_t starttime_ticks; /* field 22 of /proc/self/stat: tells a reused PID apart */
    int64_t mono_ns;          /* CLOCK_MONOTONIC */
    uint32_t flags;
    uint32_t argc;     /* argc of the program, even when argv is truncated */
    uint32_t argv_len; /* bytes used in argv, each argument NUL-terminated */
    uint32_t reserved;
    char exe[MW_EXE_MAX]; /* NUL-terminated */
    char argv[MW_ARGV_MAX];
};

enum mw_peak_reason {
    MW_PEAK_EXEC = 1, /* the image is about to exec; a failed exec leaves it running */
    MW_PEAK_EXIT = 2, /* the process is exiting */
};

#define MW_EXIT_CODE_UNKNOWN (-1)

struct mw_image_peak {
    struct mw_header h;
    int32_t pid;
    uint32_t reason; /* enum mw_peak_reason */
    int64_t mono_ns;
    uint64_t hwm_kib; /* VmHWM */
    uint64_t rss_kib; /* VmRSS */
    uint64_t utime_us;
    uint64_t stime_us;
    int32_t exit_code; /* status given to exit/_exit, or MW_EXIT_CODE_UNKNOWN */
    uint32_t reserved;
};

/* mw_child_end.flags */
#define MW_CHILD_HAS_RUSAGE 0x1u

struct mw_child_end {
    struct mw_header h;
    int32_t parent_pid;
    int32_t child_pid;
    int64_t mono_ns;
    int32_t wait_status; /* as wait4 returns it (WIFEXITED/WIFSIGNALED apply) */
    uint32_t flags;
    uint64_t maxrss_kib; /* ru_maxrss: an upper bound of the child's peak */
    uint64_t utime_us;
    uint64_t stime_us;
};

/* The largest message either side ever handles. */
#define MW_WIRE_MAX_MESSAGE (sizeof(struct mw_image_start))

#endif
