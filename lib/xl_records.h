#ifndef XL_RECORDS_H
#define XL_RECORDS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "xl_err.h"
#include "xl_jsonl.h"
#include "xl_rejects.h"

/*
 * The output side of a command's record loop: records to stdout, refused
 * records to the rejects file (--rejects, --max-errors), and the exit
 * status the run has earned so far. Nothing here prints: the command
 * names each refusal on stderr itself.
 */
struct xl_records {
	struct xl_jsonl_writer out;     /* stdout */
	struct xl_rejects *rej;
	int status;                     /* exit status so far (xl_exit.h) */
};

/* Start: -XL_ECANTCREAT when the rejects file cannot be created. */
int xl_records_open(struct xl_records *r, const char *rejects_path, long max_errors, struct xl_err *err);

/* Write a record to stdout. 0 or -XL_EIO. */
int xl_records_write(struct xl_records *r, const json_t *rec, struct xl_err *err);

/* xl_records_write as a callback for the lib's streaming calls: arg is the struct xl_records. */
int xl_records_write_cb(json_t *rec, void *records, struct xl_err *err);

/*
 * Keep a refused record (record may be NULL; raw then stands for it).
 * Returns 0; -XL_ETOOBIG when --max-errors is passed (the run should
 * stop); -XL_EIO when the rejects file cannot be written.
 */
int xl_records_reject(struct xl_records *r, const char *file, uint64_t line, const char *msg,
		      const json_t *record, const char *raw, size_t rawlen, struct xl_err *err);

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
