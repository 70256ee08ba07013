/* Output files that are checked before the job starts and appear whole or not at all. */
#ifndef MEMWATCH_OUTFILE_H
#define MEMWATCH_OUTFILE_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct outfile {
    const char *option; /* "--json", as the user typed it, for messages */
    const char *path;
    int fd;             /* an unnamed (O_TMPFILE) or temporary file in the target's folder */
    bool named_tmp;     /* fallback: fd is tmp_path, a visible temporary name */
    char tmp_path[PATH_MAX];
    FILE *stream;
};

/* Proves the file can be written (same folder, same filesystem) without creating it yet.
 * Returns 0, or -1 with "cannot write --json 'x': No such file or directory (ENOENT)" in err. */
int outfile_prepare(struct outfile *f, const char *option, const char *path, char *err, size_t errlen);
/* The stream to write the report into. */
FILE *outfile_stream(struct outfile *f);
/* Publishes the file under its name atomically. Returns 0, or -1 with a message in err. */
int outfile_commit(struct outfile *f, char *err, size_t errlen);
/* Drops the file: nothing is left behind. */
void outfile_discard(struct outfile *f);

/* "No such file or directory (ENOENT)": the house format of an errno in messages. */
const char *outfile_errno_text(int err, char *buf, size_t len);

#endif
