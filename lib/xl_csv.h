#ifndef XL_CSV_H
#define XL_CSV_H

#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"

/*
 * A streaming CSV reader over libcsv: RFC 4180 quoting (commas, quotes and
 * newlines inside quoted fields), CRLF or LF, a UTF-8 byte order mark
 * dropped, and text in UTF-8 or CP949 (what Korean Excel writes),
 * converted to UTF-8. Rows are returned one at a time with the file and
 * the line they start on; memory is bounded by the longest row.
 */
enum xl_csv_encoding {
	XL_CSV_AUTO = 0,    /* UTF-8 if the first 256 KiB are valid UTF-8, else CP949 */
	XL_CSV_UTF8 = 1,
	XL_CSV_CP949 = 2
};

struct xl_csv_row {
	size_t nfields;
	const char *const *fields;   /* NUL-terminated UTF-8; borrowed until the next read */
	const size_t *lens;          /* their lengths (a field may hold a NUL byte) */
	const char *file;            /* borrowed */
	uint64_t line;               /* the line the row starts on */
	int first_in_file;           /* 1 for a file's first row (its header) */
	const char *raw;             /* the row's text, UTF-8, line ends kept; borrowed */
	size_t rawlen;
};

struct xl_csv_reader;

/*
 * Start reading paths (stdin when npaths is 0; "-" is stdin). Rows longer
 * than max_row bytes (0 = 16 MiB) are refused. *out is yours:
 * xl_csv_close(). Cannot fail.
 */
void xl_csv_open(struct xl_csv_reader **out, char *const *paths, size_t npaths, size_t max_row,
		 enum xl_csv_encoding enc);

/*
 * The same on lines already opened (so a caller can peek at them first);
 * r takes lines over and sets its flags. Cannot fail.
 */
struct xl_lines;
void xl_csv_open_lines(struct xl_csv_reader **out, struct xl_lines *lines, size_t max_row,
		       enum xl_csv_encoding enc);

/*
 * Read the next row: 1 and *row, 0 at the end, or an error about one row
 * or file after which reading can go on: -XL_EINVAL (malformed quoting,
 * an unterminated quote at the end of a file, bytes that are not valid in
 * the encoding), -XL_ETOOBIG, -XL_ENOINPUT, -XL_EIO. On -XL_EINVAL
 * row->file, row->line and row->raw say where.
 */
int xl_csv_read(struct xl_csv_reader *r, struct xl_csv_row *row, struct xl_err *err);

/* The encoding in use ("UTF-8" or "CP949"), known after the first read. */
const char *xl_csv_encoding_name(const struct xl_csv_reader *r);

/* Bytes read so far and the total size of the input files (0 if unknown). */
uint64_t xl_csv_bytes(const struct xl_csv_reader *r);
uint64_t xl_csv_total_size(const struct xl_csv_reader *r);

/* Free r. Accepts NULL. */
void xl_csv_close(struct xl_csv_reader *r);

#endif
