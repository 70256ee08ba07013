/* Output files written atomically: an unnamed file in the target's folder, linked and renamed at the end. */
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OUTFILE_PROC_FD_MAX 64

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

int outfile_prepare(struct outfile *f, const char *option, const char *path, char *err, size_t errlen)
{
    memset(f, 0, sizeof *f);
    f->option = option;
    f->path = path;
    f->fd = -1;
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return failure(f, EISDIR, err, errlen);
    char dir[PATH_MAX];
    if (strlen(path) >= sizeof dir - 16)
        return failure(f, ENAMETOOLONG, err, errlen);
    folder_of(path, dir, sizeof dir);
    f->fd = open(dir, O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (f->fd >= 0)
        return 0;
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
        return failure(f, errno, err, errlen);
    /* Filesystems without O_TMPFILE: a hidden temporary name beside the target, removed on discard. */
    snprintf(f->tmp_path, sizeof f->tmp_path, "%s.memwatch-XXXXXX", path);
    f->fd = mkostemp(f->tmp_path, O_CLOEXEC);
    if (f->fd < 0)
        return failure(f, errno, err, errlen);
    f->named_tmp = true;
    return 0;
}

FILE *outfile_stream(struct outfile *f)
{
    if (!f->stream && f->fd >= 0) {
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

int outfile_commit(struct outfile *f, char *err, size_t errlen)
{
    int fd = f->stream ? fileno(f->stream) : f->fd;
    if (f->stream && (fflush(f->stream) != 0 || ferror(f->stream))) {
        int e = errno ? errno : EIO;
        outfile_discard(f);
        return failure(f, e, err, errlen);
    }
    /* mkostemp made the fallback 0600; an O_TMPFILE file already has 0666 less the umask. */
    if (f->named_tmp && fchmod(fd, 0666 & ~umask(umask(0))) != 0) {
        int e = errno;
        outfile_discard(f);
        return failure(f, e, err, errlen);
    }
    if (!f->named_tmp) {
        char proc_fd[OUTFILE_PROC_FD_MAX];
        snprintf(proc_fd, sizeof proc_fd, "/proc/self/fd/%d", fd);
        snprintf(f->tmp_path, sizeof f->tmp_path, "%s.memwatch-%d", f->path, (int)getpid());
        unlink(f->tmp_path);
        if (linkat(AT_FDCWD, proc_fd, AT_FDCWD, f->tmp_path, AT_SYMLINK_FOLLOW) != 0) {
            int e = errno;
            f->tmp_path[0] = '\0';
            outfile_discard(f);
            return failure(f, e, err, errlen);
        }
        f->named_tmp = true;
    }
    if (close_stream(f) != 0 || rename(f->tmp_path, f->path) != 0) {
        int e = errno;
        outfile_discard(f);
        return failure(f, e, err, errlen);
    }
    f->named_tmp = false;
    return 0;
}

void outfile_discard(struct outfile *f)
{
    close_stream(f);
    if (f->named_tmp && f->tmp_path[0])
        unlink(f->tmp_path);
    f->named_tmp = false;
}
