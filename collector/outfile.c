/* Output files: checked before the job starts; a regular file appears whole or not at all (a temporary file
 * in its folder, renamed over it), anything else (a FIFO, a device, a process substitution, memwatch's own
 * stdout) is written through as it is, never replaced. A symlink's target is written, the link kept. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUTFILE_PROC_FD_MAX 64
#define OUTFILE_LINK_HOPS 40 /* as the kernel's own limit on nested symlinks */

const char *outfile_errno_text(int err, char *buf, size_t len)
{
    const char *name = strerrorname_np(err);
    snprintf(buf, len, "%s (%s)", strerror(err), name ? name : "?");
    return buf;
}

static int failure(const struct outfile *f, int err_no, char *err, size_t errlen)
{
    char why[128];
    snprintf(err, errlen, "cannot write %s '%s': %s", f->option, f->path,
             outfile_errno_text(err_no, why, sizeof why));
    return -1;
}

static void folder_of(const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "%s", path);
    char *dir = dirname(buf);
    if (dir != buf)
        memmove(buf, dir, strlen(dir) + 1);
}

/* /proc/self/fd/N, /proc/PID/fd/N of memwatch itself, or /dev/fd/N: the descriptor N, else -1. */
static int own_fd_of(const char *path)
{
    char self[OUTFILE_PROC_FD_MAX];
    snprintf(self, sizeof self, "/proc/%ld/fd/", (long)getpid());
    const char *prefixes[] = {"/proc/self/fd/", "/dev/fd/", self};
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        size_t n = strlen(prefixes[i]);
        if (strncmp(path, prefixes[i], n) != 0)
            continue;
        char *end;
        long fd = strtol(path + n, &end, 10);
        if (end != path + n && *end == '\0' && fd >= 0 && fd < INT_MAX && fcntl((int)fd, F_GETFD) >= 0)
            return (int)fd;
    }
    return -1;
}

/* Follows the symlinks of path, hop by hop, into f->target. Stops early at one of memwatch's own
 * descriptors (f->through_fd set): its file must be written through that descriptor, at its offset. */
static int resolve_target(struct outfile *f, const char *path)
{
    snprintf(f->target, sizeof f->target, "%s", path);
    for (int hop = 0; hop < OUTFILE_LINK_HOPS; hop++) {
        int own = own_fd_of(f->target);
        if (own >= 0) {
            f->through_fd = own;
            return 0;
        }
        char link[PATH_MAX];
        ssize_t n = readlink(f->target, link, sizeof link - 1);
        if (n < 0)
            return (errno == EINVAL || errno == ENOENT) ? 0 : -1; /* not a link, or a new file */
        link[n] = '\0';
        if (link[0] == '/') {
            snprintf(f->target, sizeof f->target, "%s", link);
            continue;
        }
        char dir[PATH_MAX];
        folder_of(f->target, dir, sizeof dir);
        if (snprintf(f->target, sizeof f->target, "%s/%s", dir, link) >= (int)sizeof f->target) {
            errno = ENAMETOOLONG;
            return -1;
        }
    }
    errno = ELOOP;
    return -1;
}

/* Opens a FIFO, device or socket for writing now; a FIFO without a reader yet is opened at commit, as a
 * shell's redirection would wait for one. */
static int open_through(struct outfile *f)
{
    f->fd = open(f->target, O_WRONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (f->fd < 0)
        return errno == ENXIO ? 0 : -1;
    return fcntl(f->fd, F_SETFL, fcntl(f->fd, F_GETFL) & ~O_NONBLOCK);
}

/* A regular file: an unnamed file in the target's folder now, so nothing shows while the job runs. Where
 * the filesystem has no O_TMPFILE, a named temporary file is only made (and at once removed) to prove
 * the folder writable; the one written is made at the end. */
static int open_atomic(struct outfile *f)
{
    char dir[PATH_MAX];
    folder_of(f->target, dir, sizeof dir);
    f->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (f->fd >= 0)
        return 0;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return -1;
    snprintf(f->tmp_path, sizeof f->tmp_path, "%s.memwatch-XXXXXX", f->target);
    int probe = mkostemp(f->tmp_path, O_CLOEXEC);
    if (probe < 0)
        return -1;
    close(probe);
    unlink(f->tmp_path);
    f->tmp_path[0] = '\0';
    f->named_tmp = true;
    return 0;
}

int outfile_prepare(struct outfile *f, const char *option, const char *path, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->option = option;
    f->path = path;
    f->fd = -1;
    f->through_fd = -1;
    if (strlen(path) >= PATH_MAX - 16)
        return failure(f, ENAMETOOLONG, err, errlen);
    if (strcmp(path, "-") == 0)
        f->through_fd = STDOUT_FILENO;
    else if (resolve_target(f, path) != 0)
        return failure(f, errno, err, errlen);
    if (f->through_fd >= 0) {
        f->through = true;
        f->fd = fcntl(f->through_fd, F_DUPFD_CLOEXEC, 0);
        return f->fd >= 0 ? 0 : failure(f, errno, err, errlen);
    }
    struct stat st;
    bool exists = stat(f->target, &st) == 0;
    if (exists && S_ISDIR(st.st_mode))
        return failure(f, EISDIR, err, errlen);
    f->through = exists && !S_ISREG(st.st_mode);
    int rc = f->through ? open_through(f) : open_atomic(f);
    return rc == 0 ? 0 : failure(f, errno, err, errlen);
}

FILE *outfile_stream(struct outfile *f)
{
    if (f->stream)
        return f->stream;
    if (f->fd < 0 && f->through)
        f->fd = open(f->target, O_WRONLY | O_CLOEXEC | O_NOCTTY); /* the FIFO's reader came late */
    else if (f->fd < 0 && f->named_tmp) {
        snprintf(f->tmp_path, sizeof f->tmp_path, "%s.memwatch-XXXXXX", f->target);
        f->fd = mkostemp(f->tmp_path, O_CLOEXEC);
        if (f->fd < 0)
            f->tmp_path[0] = '\0';
    }
    if (f->fd >= 0) {
        f->stream = fdopen(f->fd, "w");
        if (f->stream)
            f->fd = -1; /* owned by the stream now */
    }
    return f->stream;
}

static int close_stream(struct outfile *f)
{
    int rc = 0;
    if (f->stream) {
        if (fflush(f->stream) != 0 || ferror(f->stream))
            rc = -1;
        int keep = errno;
        fclose(f->stream);
        errno = keep;
        f->stream = NULL;
    } else if (f->fd >= 0) {
        close(f->fd);
        f->fd = -1;
    }
    return rc;
}

/* Gives an unnamed file a temporary name beside the target (rename needs one). */
static int name_unnamed(struct outfile *f, int fd)
{
    char proc_fd[OUTFILE_PROC_FD_MAX];
    snprintf(proc_fd, sizeof proc_fd, "/proc/self/fd/%d", fd);
    snprintf(f->tmp_path, sizeof f->tmp_path, "%s.memwatch-%d", f->target, (int)getpid());
    unlink(f->tmp_path);
    if (linkat(AT_FDCWD, proc_fd, AT_FDCWD, f->tmp_path, AT_SYMLINK_FOLLOW) != 0) {
        f->tmp_path[0] = '\0';
        return -1;
    }
    return 0;
}

int outfile_commit(struct outfile *f, char *err, size_t errlen)
{
    int fd = f->stream ? fileno(f->stream) : f->fd;
    if (f->stream && (fflush(f->stream) != 0 || ferror(f->stream))) {
        int e = errno ? errno : EIO;
        outfile_discard(f);
        return failure(f, e, err, errlen);
    }
    if (f->through)
        return close_stream(f) == 0 ? 0 : failure(f, errno ? errno : EIO, err, errlen);
    /* mkostemp made the fallback 0600; an O_TMPFILE file already has 0666 less the umask. */
    bool failed = (f->named_tmp && fchmod(fd, 0666 & ~umask(umask(0))) != 0) ||
                  (!f->named_tmp && name_unnamed(f, fd) != 0);
    if (failed || close_stream(f) != 0 || rename(f->tmp_path, f->target) != 0) {
        int e = errno;
        outfile_discard(f);
        return failure(f, e, err, errlen);
    }
    f->tmp_path[0] = '\0';
    return 0;
}

void outfile_discard(struct outfile *f)
{
    close_stream(f);
    if (f->tmp_path[0])
        unlink(f->tmp_path);
    f->tmp_path[0] = '\0';
}
