#ifndef XL_EXPORT_H
#define XL_EXPORT_H

#include <stddef.h>
#include <stdint.h>

#include "xl_db.h"
#include "xl_err.h"

/*
 * Export a table or a query as NDJSON or CSV, streamed with COPY ... TO
 * STDOUT: memory stays flat whatever the size. Money columns stay
 * integers; timestamps are RFC 3339 in UTC. A --sql query runs in a READ
 * ONLY transaction, so it cannot change anything.
 */
enum xl_export_format {
	XL_EXPORT_NDJSON = 0,
	XL_EXPORT_CSV = 1
};

struct xl_export_opts {
	const char *table;          /* a table or view in the current schema, or NULL */
	const char *sql;            /* a single SELECT, or NULL (exactly one of the two) */
	enum xl_export_format format;
	int excel;                  /* CSV: CRLF line ends, and a BOM when UTF-8, for Excel */
	int cp949;                  /* CSV: encode as CP949 (characters it lacks become '?') */
	const char *since;          /* table mode: rows at or after this RFC 3339 time, or NULL */
	const char *until;          /* table mode: rows before this time, or NULL */
};

struct xl_export_stats {
	uint64_t rows;
	uint64_t bytes;
	uint64_t replaced;          /* characters CP949 could not hold */
};

/* Receives the output, in pieces of whole rows. 0 to go on, negative to stop. */
typedef int xl_export_write_fn(const char *data, size_t len, void *arg, struct xl_err *err);

/*
 * Check that the options fit together, before any connection is made:
 * 0 or -XL_EINVAL with the reason. xl_export_run checks them again.
 */
int xl_export_check(const struct xl_export_opts *o, struct xl_err *err);

/*
 * Run the export. Errors: -XL_EINVAL for options that do not fit together,
 * a bad --since/--until or a table with no time column for them;
 * -XL_ENOTFOUND for an unknown table; -XL_EDB for a query the server
 * refuses (with its message and SQLSTATE); the writer's error; or the
 * connection's.
 */
int xl_export_run(struct xl_db *db, const struct xl_export_opts *o, xl_export_write_fn *write,
		  void *arg, struct xl_export_stats *stats, struct xl_err *err);

#endif
