#include "xl_rejects.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_import.h"
#include "xl_jsonl.h"
#include "xl_banned.h"

struct xl_rejects {
	struct xl_jsonl_writer w;
	int has_file;
	char *path;
	long max_errors;
	uint64_t count;
};

int xl_rejects_open(struct xl_rejects **out, const char *path, long max_errors,
		    struct xl_err *err)
{
	struct xl_rejects *r = xl_xcalloc(1, sizeof(*r));

	r->max_errors = max_errors;
	if (path) {
		FILE *fp = fopen(path, "we");

		if (!fp) {
			int e = errno;

			free(r);
			return xl_err_set(err, XL_ECANTCREAT, "cannot create rejects file '%s': %s",
					  path, strerror(e));
		}
		r->path = xl_xstrdup(path);
		xl_jsonl_writer_init(&r->w, fp, r->path);
		r->has_file = 1;
	}
	*out = r;
	return 0;
}

/* Write one reject record; field and value may be NULL. */
static int add(struct xl_rejects *r, const char *file, uint64_t line, const char *field,
	       const char *value, const char *error, const json_t *record, const char *raw,
	       size_t rawlen, struct xl_err *err)
{
	int ret = 0;

	r->count++;
	if (r->has_file) {
		struct xl_buf src = XL_BUF_INIT;
		json_t *rec = json_object();

		xl_buf_addf(&src, "%s:%llu", file, (unsigned long long)line);
		json_object_set_new(rec, "error", xl_json_string_lossy(error, strlen(error)));
		json_object_set_new(rec, "source", xl_json_string_lossy(src.buf, src.len));
		json_object_set_new(rec, "line", json_integer((json_int_t)line));
		if (field)
			json_object_set_new(rec, "field", xl_json_str(field));
		if (field)
			json_object_set_new(rec, "value", value ? xl_json_str(value) : json_null());
		if (record)
			json_object_set(rec, "record", (json_t *)record);
		else if (raw)
			json_object_set_new(rec, "record", xl_json_string_lossy(raw, rawlen));
		else
			json_object_set_new(rec, "record", json_null());
		/* Written at once: after a crash the rejects so far are on disk. */
		ret = xl_jsonl_write(&r->w, rec, err);
		if (ret == 0)
			ret = xl_jsonl_writer_flush(&r->w, err);
		json_decref(rec);
		xl_buf_release(&src);
		if (ret < 0)
			return ret;
	}
	if (r->max_errors >= 0 && r->count > (uint64_t)r->max_errors)
		return xl_err_set(err, XL_ETOOBIG, "more than %ld records rejected; giving up",
				  r->max_errors);
	return 0;
}

int xl_rejects_add_read(struct xl_rejects *r, const struct xl_jsonl_reader *in,
			const char *error, const json_t *record, struct xl_err *err)
{
	size_t rawlen = 0;
	const char *raw = xl_jsonl_raw(in, &rawlen);

	return xl_rejects_add(r, xl_jsonl_file(in), xl_jsonl_line(in), error, record, raw,
			      rawlen, err);
}

int xl_rejects_add(struct xl_rejects *r, const char *file, uint64_t line,
		   const char *error, const json_t *record, const char *raw,
		   size_t rawlen, struct xl_err *err)
{
	return add(r, file, line, NULL, NULL, error, record, raw, rawlen, err);
}

int xl_rejects_add_import(struct xl_rejects *r, const struct xl_import_reject *rj,
			  struct xl_err *err)
{
	json_t *rec = NULL;
	int ret;

	if (rj->raw_is_json && rj->raw)
		xl_jsonl_parse(rj->raw, rj->rawlen, &rec, NULL);
	ret = add(r, rj->file, rj->line, rj->field, rj->value, rj->error, rec, rec ? NULL : rj->raw,
		  rj->rawlen, err);
	json_decref(rec);
	return ret;
}

uint64_t xl_rejects_count(const struct xl_rejects *r)
{
	return r->count;
}

int xl_rejects_close(struct xl_rejects *r, struct xl_err *err)
{
	int ret = 0;

	if (!r)
		return 0;
	if (r->has_file)
		ret = xl_jsonl_writer_close(&r->w, err);
	free(r->path);
	free(r);
	return ret;
}
