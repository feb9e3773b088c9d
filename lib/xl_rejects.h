#ifndef XL_REJECTS_H
#define XL_REJECTS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"
#include "xl_jsonl.h"

/*
 * The rejects file (--rejects FILE): one NDJSON line per rejected input
 * record, {"error","source","line","record"}, where source is "file:line"
 * and record is the parsed record, or the raw line as a string when it did
 * not parse, or null when even that is unavailable (an over-long line).
 * It also counts rejects against --max-errors, with or without a file.
 */
struct xl_rejects;

/*
 * Create the rejector. path NULL means count only. max_errors < 0 means no
 * limit. The file is created (truncated) at once, so a bad path fails
 * before any work: -XL_ECANTCREAT. *out is yours: xl_rejects_close().
 */
int xl_rejects_open(struct xl_rejects **out, const char *path, long max_errors,
		    struct xl_err *err);

/*
 * Record one reject. record may be NULL; raw (may be NULL) is used when it
 * is. Invalid UTF-8 in raw is replaced by U+FFFD so the line stays valid
 * JSON. Returns 0; -XL_ETOOBIG once more than max_errors records have been
 * rejected (the reject is still written: the caller should stop); or
 * -XL_EIO when the file cannot be written.
 */
int xl_rejects_add(struct xl_rejects *r, const char *file, uint64_t line,
		   const char *error, const json_t *record, const char *raw,
		   size_t rawlen, struct xl_err *err);

/*
 * xl_rejects_add for the line `in` read last: its file, line number and
 * raw text. Returns as xl_rejects_add.
 */
int xl_rejects_add_read(struct xl_rejects *r, const struct xl_jsonl_reader *in,
			const char *error, const json_t *record, struct xl_err *err);

/*
 * A reject from xl_import: {"error","source","line","field","value",
 * "record"} where record is the NDJSON record (an object) or the CSV row's
 * text. Returns as xl_rejects_add.
 */
struct xl_import_reject;
int xl_rejects_add_import(struct xl_rejects *r, const struct xl_import_reject *rj,
			  struct xl_err *err);

/* How many records were rejected so far. */
uint64_t xl_rejects_count(const struct xl_rejects *r);

/* Close the file (checking the write) and free r. Accepts NULL. 0 or -XL_EIO. */
int xl_rejects_close(struct xl_rejects *r, struct xl_err *err);

#endif
