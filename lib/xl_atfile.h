#ifndef XL_ATFILE_H
#define XL_ATFILE_H

#include <stdio.h>

#include "xl_err.h"

/*
 * An output file that appears whole or not at all: written to a temporary
 * file in the same directory, then flushed, fsync'ed and renamed over the
 * target. A crash or an error leaves the old file (if any) as it was.
 */
struct xl_atfile {
	FILE *fp;       /* write here between open and commit */
	char *path;     /* the target */
	char *tmp;      /* the temporary file */
};

/*
 * Create the temporary file for path (mode 0666 less the umask). 0, or
 * -XL_ECANTCREAT with err naming the file, also when path exists and is
 * not a regular file (a rename would replace a device or a link). A run
 * killed before commit leaves "path.tmp.PID" behind. On success f must be finished
 * with xl_atfile_commit or xl_atfile_abort.
 */
int xl_atfile_open(struct xl_atfile *f, const char *path, struct xl_err *err);

/*
 * Flush, fsync and rename into place; f is released either way. 0, or
 * -XL_EIO (the temporary file is removed, the target untouched).
 */
int xl_atfile_commit(struct xl_atfile *f, struct xl_err *err);

/* Throw the temporary file away and release f. Accepts an unopened f. */
void xl_atfile_abort(struct xl_atfile *f);

#endif
