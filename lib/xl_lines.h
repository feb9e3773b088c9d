#ifndef XL_LINES_H
#define XL_LINES_H

#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"

/*
 * Lines from a list of files ("-" is stdin; none means stdin), read in
 * 256 KiB chunks with the position of each line tracked. A line longer
 * than the limit is refused and skipped without holding more than the
 * limit in memory. This is the layer under the NDJSON and CSV readers.
 */
enum xl_lines_flags {
	XL_LINES_STRIP_BOM = 1 << 0,   /* drop a UTF-8 byte order mark at the start of each file */
	XL_LINES_STRIP_CR = 1 << 1,    /* drop the '\r' of a CRLF line end */
	XL_LINES_SKIP_BLANK = 1 << 2   /* skip lines of only spaces and tabs (still counted) */
};

struct xl_lines;

/*
 * Start reading; files are opened as they are reached. max_line 0 means
 * 16 MiB. *out is yours: xl_lines_close(). Cannot fail.
 */
void xl_lines_open(struct xl_lines **out, char *const *paths, size_t npaths, size_t max_line,
		   unsigned flags);

/* Change the flags; for use before the first line is read. */
void xl_lines_set_flags(struct xl_lines *l, unsigned flags);

/*
 * The next line without its '\n': 1 and *line, *len (borrowed until the
 * next call), 0 after the last file, or an error about one line or file
 * after which reading can go on: -XL_ETOOBIG (the line was skipped),
 * -XL_ENOINPUT (the file cannot be opened), -XL_EIO (the rest of the file
 * is skipped). A last line without '\n' is returned like any other.
 */
int xl_lines_next(struct xl_lines *l, const char **line, size_t *len, struct xl_err *err);

/* The current file's name ("<stdin>" for stdin) and its index in the list; borrowed. */
const char *xl_lines_file(const struct xl_lines *l);
size_t xl_lines_file_index(const struct xl_lines *l);

/* 1-based number of the last line returned in the current file (0 before it). */
uint64_t xl_lines_line(const struct xl_lines *l);

/* Bytes read so far over all files, and the total size of the regular files (0 if unknown). */
uint64_t xl_lines_bytes(const struct xl_lines *l);
uint64_t xl_lines_total_size(const struct xl_lines *l);

/*
 * The first bytes of the input (up to one chunk of the first file that
 * opens), without consuming them, for sniffing an encoding. *data is
 * borrowed until the next call. 0, or an error as xl_lines_next.
 */
int xl_lines_peek(struct xl_lines *l, const char **data, size_t *len, struct xl_err *err);

/* Close the current file and free l. Accepts NULL. */
void xl_lines_close(struct xl_lines *l);

#endif
