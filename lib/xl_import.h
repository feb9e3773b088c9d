#ifndef XL_IMPORT_H
#define XL_IMPORT_H

#include <stddef.h>
#include <stdint.h>

#include "xl_csv.h"
#include "xl_db.h"
#include "xl_err.h"

/*
 * Import CSV or NDJSON rows into a table, all in one transaction: every
 * value is checked against its field's type, foreign keys are looked up,
 * and the good rows go through COPY into a staging table and from there
 * into the table (INSERT ... ON CONFLICT on the natural key with upsert).
 * A bad row is reported with its file, line, field and value and the good
 * ones still load; past max_errors refusals nothing is loaded. Memory stays
 * flat whatever the input size.
 *
 * Tables: categories, products, users, orders (one row per order line,
 * grouped by order_ref), interactions, reviews. Their fields are listed in
 * xlcfi-etl(1).
 */
enum xl_import_format {
	XL_IMPORT_AUTO = 0,      /* by file name (.csv / .ndjson, .jsonl, .json), else by content */
	XL_IMPORT_CSV = 1,
	XL_IMPORT_NDJSON = 2
};

struct xl_import_opts {
	const char *table;
	enum xl_import_format format;
	enum xl_csv_encoding encoding;
	char *const *maps;          /* "SRC=DST" renames of input fields */
	size_t nmaps;
	char *const *sets;          /* "FIELD=VALUE": the value when the input has none */
	size_t nsets;
	const char *currency;       /* for rows without one; NULL = KRW */
	const char *timezone;       /* for times without an offset; NULL = Asia/Seoul */
	int upsert;
	int dry_run;                /* check everything, load nothing */
	long max_errors;            /* < 0: no limit */
	size_t max_line;            /* 0 = 16 MiB */
	char *const *paths;         /* none: stdin */
	size_t npaths;
};

/* One refused row. Strings are borrowed for the call. */
struct xl_import_reject {
	const char *file;
	uint64_t line;
	const char *field;          /* NULL when the row as a whole is bad */
	const char *value;          /* the refused value, or NULL */
	const char *error;
	const char *raw;            /* the row's text (a CSV row, or an NDJSON line) */
	size_t rawlen;
	int raw_is_json;
};

struct xl_import_hooks {
	/* Each refused row; return 0 (any other value is ignored). May be NULL. */
	void (*reject)(const struct xl_import_reject *rj, void *arg);
	/*
	 * Every few thousand rows, and once more when the input is all read:
	 * rows read, bytes read, total bytes (0 if unknown).
	 */
	void (*progress)(uint64_t rows, uint64_t bytes, uint64_t total, void *arg);
	void *arg;
};

struct xl_import_stats {
	uint64_t read;              /* data rows read (headers not counted) */
	uint64_t loaded;            /* rows accepted: inserted, updated or already so */
	uint64_t rejected;          /* loaded + rejected == read */
	uint64_t inserted;
	uint64_t updated;
	const char *encoding;       /* CSV: "UTF-8" or "CP949"; static */
	const char *format;         /* "csv" or "ndjson"; static */
	/*
	 * 1 when the references were checked and locked in bulk and the
	 * per-row foreign-key triggers skipped (orders and interactions, for
	 * a role that may set session_replication_role).
	 */
	int bulk;
};

/*
 * Check options before connecting: the table exists in xlcfi's list,
 * --upsert is available for it, a map or set is NAME=VALUE and a set
 * names one of its fields, the currency is known. 0 or -XL_EINVAL with the
 * reason.
 */
int xl_import_check(const struct xl_import_opts *o, struct xl_err *err);

/* The checks that need the database (--timezone is one it knows). 0 or -XL_EINVAL. */
int xl_import_check_db(struct xl_db *db, const struct xl_import_opts *o, struct xl_err *err);

/*
 * Run the import. Returns 0 when it went through (rows may have been
 * refused: see stats), or:
 *   -XL_EINVAL   the input as a whole is unusable: a required column is
 *                missing or named twice in a CSV header (nothing loaded);
 *   -XL_ETOOBIG  more than max_errors rows were refused (nothing loaded);
 *   -XL_ENOINPUT an input file cannot be opened (nothing loaded);
 *   database and connection errors as xl_db_exec (nothing loaded).
 * With dry_run everything is checked and then rolled back.
 */
int xl_import_run(struct xl_db *db, const struct xl_import_opts *o,
		  const struct xl_import_hooks *hooks, struct xl_import_stats *stats,
		  struct xl_err *err);

#endif
