#include "xl_records.h"

#include <stdio.h>

#include "xl_exit.h"
#include "xl_banned.h"

int xl_records_open(struct xl_records *r, const char *rejects_path, long max_errors, struct xl_err *err)
{
	r->status = XL_EXIT_OK;
	r->rej = NULL;
	r->say = NULL;
	xl_jsonl_writer_init(&r->out, stdout, "<stdout>");
	return xl_rejects_open(&r->rej, rejects_path, max_errors, err);
}

int xl_records_write(struct xl_records *r, const json_t *rec, struct xl_err *err)
{
	return xl_jsonl_write(&r->out, rec, err);
}

int xl_records_write_cb(json_t *rec, void *records, struct xl_err *err)
{
	return xl_records_write(records, rec, err);
}

int xl_records_reject(struct xl_records *r, const char *file, uint64_t line, const char *msg,
		      const json_t *record, const char *raw, size_t rawlen, struct xl_err *err)
{
	int ret;

	if (r->say)
		r->say(file, line, msg);
	ret = xl_rejects_add(r->rej, file, line, msg, record, raw, rawlen, err);
	if (ret == -XL_ETOOBIG)
		xl_records_note(r, XL_EXIT_DATAERR);
	return ret;
}

int xl_records_refuse(struct xl_records *r, const struct xl_jsonl_reader *in, const char *msg,
		      const json_t *record, struct xl_err *err)
{
	size_t rawlen = 0;
	const char *raw = record ? NULL : xl_jsonl_raw(in, &rawlen);

	return xl_records_reject(r, xl_jsonl_file(in), xl_jsonl_line(in), msg, record, raw, rawlen, err);
}

int xl_records_next(struct xl_records *r, struct xl_jsonl_reader *in, json_t **rec, struct xl_err *err)
{
	for (;;) {
		struct xl_err why = XL_ERR_INIT;
		int ret = xl_jsonl_read(in, rec, &why);

		if (ret >= 0)
			return ret;
		if (ret == -XL_ENOINPUT || ret == -XL_EIO) {
			if (r->say)
				r->say(NULL, 0, why.msg);
			xl_records_note(r, xl_err_status(&why));
			continue;
		}
		ret = xl_records_refuse(r, in, why.msg, NULL, err);
		if (ret < 0)
			return ret;
	}
}

int xl_records_each(struct xl_records *r, struct xl_jsonl_reader *in, xl_records_fn *fn, void *arg,
		    struct xl_err *err)
{
	json_t *rec = NULL;
	int ret;

	while ((ret = xl_records_next(r, in, &rec, err)) == 1) {
		ret = fn(rec, arg, err);
		if (ret == -XL_EINVAL)
			ret = xl_records_refuse(r, in, err->msg, rec, err);
		json_decref(rec);
		if (ret < 0)
			return ret;
	}
	return ret;
}

static int rank(int status)
{
	switch (status) {
	case XL_EXIT_OK: return 0;
	case XL_EXIT_DATAERR: return 1;
	case XL_EXIT_TEMPFAIL: return 3;
	case XL_EXIT_IOERR: return 4;
	default: return 2;
	}
}

void xl_records_note(struct xl_records *r, int status)
{
	if (rank(status) > rank(r->status))
		r->status = status;
}

int xl_records_close(struct xl_records *r, struct xl_err *err)
{
	struct xl_err later = XL_ERR_INIT;

	if (err)
		*err = later;
	if (xl_rejects_count(r->rej))
		xl_records_note(r, XL_EXIT_DATAERR);
	if (xl_rejects_close(r->rej, err) < 0)
		xl_records_note(r, XL_EXIT_IOERR);
	r->rej = NULL;
	if (xl_jsonl_writer_close(&r->out, &later) < 0) {
		if (err && r->status != XL_EXIT_IOERR)
			*err = later;
		xl_records_note(r, XL_EXIT_IOERR);
	}
	return r->status;
}

void xl_records_abandon(struct xl_records *r)
{
	struct xl_err ignore = XL_ERR_INIT;

	xl_jsonl_writer_flush(&r->out, &ignore);
	xl_rejects_close(r->rej, &ignore);
	r->rej = NULL;
}
