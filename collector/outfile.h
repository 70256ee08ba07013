/* Output files that are checked before the job starts and appear whole or not at all. */
#ifndef MEMWATCH_OUTFILE_H
#define MEMWATCH_OUTFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define OUTFILE_TMP_SUFFIX_MAX 32 /* ".memwatch-" and a pid or XXXXXX */

struct outfile {
    const char *option; /* "--json", as the user typed it, for messages */
    const char *path;   /* as the user gave it; "-" is standard output */
    char target[PATH_MAX]; /* path with its symlinks followed: the file written */
    bool through;       /* not a regular file (FIFO, device, memwatch's own stdout): written as it is */
    int through_fd;     /* memwatch's own descriptor that path names (/dev/stdout, "-"), or -1 */
    int fd;             /* regular: an unnamed (O_TMPFILE) file in the target's folder; through: the target */
    bool named_tmp;     /* no O_TMPFILE there: a named temporary file is made at the end, renamed at once */
    char tmp_path[PATH_MAX + OUTFILE_TMP_SUFFIX_MAX]; /* a temporary name that exists now, "" otherwise */
    FILE *stream;
};

/* Proves the output can be written before the job starts, creating nothing visible: a regular file (or a
 * new one) in its folder, anything else by opening it (a FIFO without a reader yet is opened at the end).
 * Returns 0, or -1 with "cannot write --json 'x': No such file or directory (ENOENT)" in err. */
int outfile_prepare(struct outfile *f, const char *option, const char *path, char *err, size_t errlen);
/* The stream to write the report into. */
FILE *outfile_stream(struct outfile *f);
/* Publishes a regular file under its name atomically (replacing the old one whole); flushes and closes
 * anything else. Returns 0, or -1 with a message in err. */
int outfile_commit(struct outfile *f, char *err, size_t errlen);
/* Drops the file: nothing is left behind. */
void outfile_discard(struct outfile *f);

/* "No such file or directory (ENOENT)": the house format of an errno in messages. */
const char *outfile_errno_text(int err, char *buf, size_t len);

#endif
