#ifndef XL_RECORDS_H
#define XL_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "xl_err.h"
#include "xl_jsonl.h"
#include "xl_rejects.h"

/*
 * A command's record loop: records read (xl_records_next), records to
 * stdout, refused records to the rejects file (--rejects, --max-errors),
 * and the exit status the run has earned so far. Nothing here prints: a
 * refusal is told through the command's say function.
 */

/* Tell a refusal (file NULL: a problem with no record position). */
typedef void xl_records_say_fn(const char *file, uint64_t line, const char *msg);

struct xl_records {
	struct xl_jsonl_writer out;     /* stdout */
	struct xl_rejects *rej;
	int status;                     /* exit status so far (xl_exit.h) */
	xl_records_say_fn *say;         /* may be NULL; set by the caller after _open */
};

/* Start: -XL_ECANTCREAT when the rejects file cannot be created. */
int xl_records_open(struct xl_records *r, const char *rejects_path, long max_errors, struct xl_err *err);

/* Write a record to stdout. 0 or -XL_EIO. */
int xl_records_write(struct xl_records *r, const json_t *rec, struct xl_err *err);

/* xl_records_write as a callback for the lib's streaming calls: arg is the struct xl_records. */
int xl_records_write_cb(json_t *rec, void *records, struct xl_err *err);

/*
 * Tell and keep a refused record (record may be NULL; raw then stands for
 * it). Returns 0; -XL_ETOOBIG when --max-errors is passed (the run should
 * stop); -XL_EIO when the rejects file cannot be written.
 */
int xl_records_reject(struct xl_records *r, const char *file, uint64_t line, const char *msg,
		      const json_t *record, const char *raw, size_t rawlen, struct xl_err *err);

/* xl_records_reject for the record read last from in, at its position. */
int xl_records_refuse(struct xl_records *r, const struct xl_jsonl_reader *in, const char *msg,
		      const json_t *record, struct xl_err *err);

/*
 * The next record of in: 1 and *rec (yours), or 0 at the end. On the way,
 * a line that is not a record is refused (told and kept), and a file that
 * cannot be read is told, noted in the exit status and skipped. Errors
 * as xl_records_reject.
 */
int xl_records_next(struct xl_records *r, struct xl_jsonl_reader *in, json_t **rec, struct xl_err *err);

/*
 * Give every record of in to fn, in order. fn returns 0 to go on;
 * -XL_EINVAL (err set) refuses that record (told and kept, as
 * xl_records_reject) and goes on; any other negative code stops. Returns 0
 * at the end of the input, fn's code, or xl_records_next's errors
 * (-XL_ETOOBIG when --max-errors is passed).
 */
typedef int xl_records_fn(const json_t *rec, void *arg, struct xl_err *err);
int xl_records_each(struct xl_records *r, struct xl_jsonl_reader *in, xl_records_fn *fn, void *arg,
		    struct xl_err *err);

/*
 * Note an exit status earned by the run (e.g. 75 for an outcome left
 * unknown). The most pressing one wins: an I/O error, then "try again
 * later", then anything else over a data error.
 */
void xl_records_note(struct xl_records *r, int status);

/*
 * Finish: close the rejects file and stdout, checking both. Returns the
 * exit status: the one noted, else 65 when anything was rejected, else 0;
 * 74 with err set when closing failed. err is cleared first: after the
 * call it holds a message only when closing failed.
 */
int xl_records_close(struct xl_records *r, struct xl_err *err);

/* Flush what was written and close the rejects file, for a run that stops on an error. */
void xl_records_abandon(struct xl_records *r);

#endif
