#ifndef XL_JSONL_H
#define XL_JSONL_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "xl_buf.h"
#include "xl_err.h"

/*
 * Newline-delimited JSON: one object per line, UTF-8.
 *
 * The reader goes through the files it is given in order ("-" is stdin;
 * none at all means stdin), tracks file:line, strips a UTF-8 byte order
 * mark at the start of each file, accepts CRLF, skips blank lines, and
 * refuses (but skips past) a line longer than its limit without holding
 * more than the limit in memory. Each record must be one JSON object with
 * nothing after it on the line.
 */

#define XL_JSONL_MAX_LINE_DEFAULT ((size_t)16 << 20)

struct xl_jsonl_reader;

/*
 * Start reading paths[0..npaths-1] (stdin when npaths is 0). Lines longer
 * than max_line bytes (0 = XL_JSONL_MAX_LINE_DEFAULT) are refused. The
 * files are opened as they are reached. *out is yours: xl_jsonl_close().
 * Cannot fail.
 */
void xl_jsonl_open(struct xl_jsonl_reader **out, char *const *paths, size_t npaths,
		   size_t max_line);

/*
 * Read the next record. Returns:
 *   1 and *rec (a new reference, yours) for a record;
 *   0 at the end of the last file;
 *   -XL_EINVAL for a line that is not a JSON object (malformed, invalid
 *     UTF-8, an array, trailing garbage); err says why, with the column;
 *   -XL_ETOOBIG for a line over the limit (it has been skipped);
 *   -XL_ENOINPUT when a file cannot be opened (reading goes on with the next);
 *   -XL_EIO on a read error (the rest of that file is skipped).
 * Every error is about one line or one file: call again to carry on. The
 * message does not include the position; use xl_jsonl_file/line.
 */
int xl_jsonl_read(struct xl_jsonl_reader *r, json_t **rec, struct xl_err *err);

/*
 * The lower half of xl_jsonl_read: the next non-blank line, BOM and CR
 * removed, without parsing it. 1 and *line, *len (borrowed until the next
 * call), 0 at the end, or the same per-line and per-file errors.
 */
int xl_jsonl_read_line(struct xl_jsonl_reader *r, const char **line, size_t *len,
		       struct xl_err *err);

/*
 * The upper half: parse one line as a record. 0 and *rec (a new
 * reference, yours), or -XL_EINVAL with the column in err's message.
 * Thread-safe.
 */
int xl_jsonl_parse(const char *line, size_t len, json_t **rec, struct xl_err *err);

/* Name of the current file ("<stdin>" for stdin); borrowed. */
const char *xl_jsonl_file(const struct xl_jsonl_reader *r);

/* 1-based number of the line last read (0 before the first). */
uint64_t xl_jsonl_line(const struct xl_jsonl_reader *r);

/*
 * The text of the line last read, without its line ending, for reject
 * records; borrowed until the next read. NULL after a too-long line or a
 * file error.
 */
const char *xl_jsonl_raw(const struct xl_jsonl_reader *r, size_t *len);

/* Close the current file and free r. Accepts NULL. */
void xl_jsonl_close(struct xl_jsonl_reader *r);

/*
 * Append v to out as compact JSON (no spaces), UTF-8 left as is, keys in
 * insertion order, reals in their shortest exact form ("0.1"). Returns 0,
 * or -XL_ETOOBIG if out's cap is hit, or -XL_EINVAL for a NaN/infinite real.
 */
int xl_jsonl_dump(struct xl_buf *out, const json_t *v);

/*
 * Copy s (n bytes) into a new JSON string, replacing each invalid UTF-8
 * sequence with U+FFFD, for text that must go into a record whatever it
 * holds (a raw line, a file name). Returns a new reference. Cannot fail.
 */
json_t *xl_json_string_lossy(const char *s, size_t n);

/* xl_json_string_lossy of a C string. */
json_t *xl_json_str(const char *s);

/*
 * A record writer on a stdio stream. Records are collected and written in
 * 64 KiB batches (one record at a time when the stream is a terminal). It
 * checks every write and the final fclose(), so a full disk is reported as
 * an error instead of a silent truncated output.
 */
struct xl_jsonl_writer {
	FILE *fp;
	const char *name;     /* for messages: "<stdout>" or a path; borrowed */
	struct xl_buf line;   /* records not yet written */
	int line_buffered;    /* write each record at once */
	int failed;           /* errno of the first failed write, or 0 */
};

/* Set up w on fp (not owned until xl_jsonl_writer_close). Cannot fail. */
void xl_jsonl_writer_init(struct xl_jsonl_writer *w, FILE *fp, const char *name);

/*
 * Queue one record and a newline. 0, or -XL_EINVAL (a NaN; nothing of the
 * record is written) or -XL_EIO (an earlier write failed) with err set.
 */
int xl_jsonl_write(struct xl_jsonl_writer *w, const json_t *rec, struct xl_err *err);

/*
 * Queue text that already holds whole records, each ending in '\n'.
 * 0 or -XL_EIO.
 */
int xl_jsonl_write_text(struct xl_jsonl_writer *w, const char *text, size_t len,
			struct xl_err *err);

/*
 * Write out what is queued and fflush the stream: call it before waiting
 * for more input in a command that streams, so readers are not kept
 * waiting. 0 or -XL_EIO.
 */
int xl_jsonl_writer_flush(struct xl_jsonl_writer *w, struct xl_err *err);

/*
 * Flush and fclose() the stream (stdout too) and release w. 0, or -XL_EIO
 * if anything written was lost. Call once.
 */
int xl_jsonl_writer_close(struct xl_jsonl_writer *w, struct xl_err *err);

#endif
