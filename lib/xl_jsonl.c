#include "xl_jsonl.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "xl_alloc.h"
#include "xl_enc.h"
#include "xl_lines.h"
#include "xl_num.h"
#include "xl_banned.h"

struct xl_jsonl_reader {
	struct xl_lines *lines;
	const char *raw;
	size_t rawlen;
};

void xl_jsonl_open(struct xl_jsonl_reader **out, char *const *paths, size_t npaths,
		   size_t max_line)
{
	struct xl_jsonl_reader *r = xl_xcalloc(1, sizeof(*r));

	xl_lines_open(&r->lines, paths, npaths, max_line ? max_line : XL_JSONL_MAX_LINE_DEFAULT,
		      XL_LINES_STRIP_BOM | XL_LINES_STRIP_CR | XL_LINES_SKIP_BLANK);
	*out = r;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_ARRAY:   return "an array";
	case JSON_STRING:  return "a string";
	case JSON_INTEGER:
	case JSON_REAL:    return "a number";
	case JSON_TRUE:
	case JSON_FALSE:   return "a boolean";
	case JSON_NULL:    return "null";
	default:           return "not an object";
	}
}

int xl_jsonl_read_line(struct xl_jsonl_reader *r, const char **line, size_t *len,
		       struct xl_err *err)
{
	int ret = xl_lines_next(r->lines, line, len, err);

	r->raw = ret > 0 ? *line : NULL;
	r->rawlen = ret > 0 ? *len : 0;
	return ret;
}

int xl_jsonl_parse(const char *line, size_t len, json_t **rec, struct xl_err *err)
{
	json_error_t jerr;
	json_t *v = json_loadb(line, len, JSON_DECODE_ANY, &jerr);

	if (!v)
		return xl_err_set(err, XL_EINVAL, "invalid JSON at column %d: %s", jerr.column, jerr.text);
	if (!json_is_object(v)) {
		const char *what = type_name(v);

		json_decref(v);
		return xl_err_set(err, XL_EINVAL, "record is %s, not a JSON object", what);
	}
	*rec = v;
	return 0;
}

int xl_jsonl_read(struct xl_jsonl_reader *r, json_t **rec, struct xl_err *err)
{
	const char *line = NULL;
	size_t len = 0;
	int ret = xl_jsonl_read_line(r, &line, &len, err);

	if (ret <= 0)
		return ret;
	ret = xl_jsonl_parse(line, len, rec, err);
	return ret < 0 ? ret : 1;
}

const char *xl_jsonl_file(const struct xl_jsonl_reader *r)
{
	return xl_lines_file(r->lines);
}

uint64_t xl_jsonl_line(const struct xl_jsonl_reader *r)
{
	return xl_lines_line(r->lines);
}

const char *xl_jsonl_raw(const struct xl_jsonl_reader *r, size_t *len)
{
	if (len)
		*len = r->rawlen;
	return r->raw;
}

void xl_jsonl_close(struct xl_jsonl_reader *r)
{
	if (!r)
		return;
	xl_lines_close(r->lines);
	free(r);
}

/* Which bytes need an escape in a JSON string: controls, '"' and '\\'. */
static const unsigned char needs_escape[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	['"'] = 1, ['\\'] = 1,
};

static int dump_string(struct xl_buf *out, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	char *p;

	/*
	 * Worst case every byte becomes \u00XX: reserve that once, then write
	 * freely. Under a cap that the worst case passes, reserve the exact size.
	 */
	if (n > (SIZE_MAX - 2) / 6 || xl_buf_grow(out, n * 6 + 2) < 0) {
		size_t need = n + 2;

		for (size_t i = 0; i < n; i++)
			if (needs_escape[u[i]])
				need += u[i] >= 0x20 || u[i] == '\b' || u[i] == '\f' || u[i] == '\n' ||
					u[i] == '\r' || u[i] == '\t' ? 1 : 5;
		if (xl_buf_grow(out, need) < 0)
			return -XL_ETOOBIG;
	}
	p = out->buf + out->len;
	*p++ = '"';
	for (size_t i = 0; i < n;) {
		size_t start = i;
		unsigned char c;

		while (i < n && !needs_escape[u[i]])
			i++;
		memcpy(p, s + start, i - start);
		p += i - start;
		if (i == n)
			break;
		c = u[i++];
		*p++ = '\\';
		switch (c) {
		case '"':  *p++ = '"'; break;
		case '\\': *p++ = '\\'; break;
		case '\b': *p++ = 'b'; break;
		case '\f': *p++ = 'f'; break;
		case '\n': *p++ = 'n'; break;
		case '\r': *p++ = 'r'; break;
		case '\t': *p++ = 't'; break;
		default:
			*p++ = 'u';
			*p++ = '0';
			*p++ = '0';
			*p++ = hex[c >> 4];
			*p++ = hex[c & 15];
		}
	}
	*p++ = '"';
	out->len = (size_t)(p - out->buf);
	out->buf[out->len] = '\0';
	return 0;
}

static int dump_integer(struct xl_buf *out, json_int_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		*--p = '-';
	return xl_buf_add(out, p, (size_t)(tmp + sizeof(tmp) - p));
}

int xl_jsonl_dump(struct xl_buf *out, const json_t *v)
{
	char num[XL_NUM_DBL_BUFSZ];
	int ret = 0, n;

	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *val;
		int first = 1;

		ret = xl_buf_addch(out, '{');
		json_object_foreach((json_t *)v, key, val) {
			if (ret == 0 && !first)
				ret = xl_buf_addch(out, ',');
			first = 0;
			if (ret == 0)
				ret = dump_string(out, key, strlen(key));
			if (ret == 0)
				ret = xl_buf_addch(out, ':');
			if (ret == 0)
				ret = xl_jsonl_dump(out, val);
			if (ret < 0)
				return ret;
		}
		return ret ? ret : xl_buf_addch(out, '}');
	}
	case JSON_ARRAY: {
		size_t i, len = json_array_size(v);

		ret = xl_buf_addch(out, '[');
		for (i = 0; i < len && ret == 0; i++) {
			if (i)
				ret = xl_buf_addch(out, ',');
			if (ret == 0)
				ret = xl_jsonl_dump(out, json_array_get(v, i));
		}
		return ret ? ret : xl_buf_addch(out, ']');
	}
	case JSON_STRING:
		return dump_string(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return dump_integer(out, json_integer_value(v));
	case JSON_REAL:
		n = xl_num_format_double(num, sizeof(num), json_real_value(v));
		if (n < 0)
			return n;
		return xl_buf_add(out, num, (size_t)n);
	case JSON_TRUE:
		return xl_buf_add(out, "true", 4);
	case JSON_FALSE:
		return xl_buf_add(out, "false", 5);
	case JSON_NULL:
	default:
		return xl_buf_add(out, "null", 4);
	}
}

#define WRITER_BATCH ((size_t)64 << 10)

json_t *xl_json_string_lossy(const char *s, size_t n)
{
	struct xl_buf b = XL_BUF_INIT;
	json_t *v;

	for (size_t i = 0; i < n;) {
		size_t len = xl_enc_utf8_char(s + i, n - i);

		if (len) {
			xl_buf_add(&b, s + i, len);
			i += len;
		} else {
			xl_buf_add(&b, "\xEF\xBF\xBD", 3);
			i++;
		}
	}
	v = json_stringn(b.buf, b.len);
	xl_buf_release(&b);
	return v ? v : json_string("");
}

json_t *xl_json_str(const char *s)
{
	return xl_json_string_lossy(s, strlen(s));
}

void xl_jsonl_writer_init(struct xl_jsonl_writer *w, FILE *fp, const char *name)
{
	w->fp = fp;
	w->name = name;
	w->failed = 0;
	w->line_buffered = isatty(fileno(fp));
	xl_buf_init(&w->line, 0);
}

int xl_jsonl_writer_flush(struct xl_jsonl_writer *w, struct xl_err *err)
{
	if (w->line.len && !w->failed &&
	    (fwrite(w->line.buf, 1, w->line.len, w->fp) != w->line.len || fflush(w->fp) != 0))
		w->failed = errno ? errno : EIO;
	xl_buf_reset(&w->line);
	if (w->failed)
		return xl_err_set(err, XL_EIO, "cannot write to '%s': %s", w->name, strerror(w->failed));
	return 0;
}

int xl_jsonl_write(struct xl_jsonl_writer *w, const json_t *rec, struct xl_err *err)
{
	size_t start = w->line.len;
	int ret;

	if (w->failed)
		return xl_err_set(err, XL_EIO, "cannot write to '%s': %s", w->name, strerror(w->failed));
	ret = xl_jsonl_dump(&w->line, rec);
	if (ret < 0) {
		xl_buf_setlen(&w->line, start);
		return xl_err_set(err, XL_EINVAL, "cannot serialise record: %s",
				  ret == -XL_EINVAL ? "a number is NaN or infinite" : "too large");
	}
	xl_buf_addch(&w->line, '\n');
	if (w->line_buffered || w->line.len >= WRITER_BATCH)
		return xl_jsonl_writer_flush(w, err);
	return 0;
}

int xl_jsonl_write_text(struct xl_jsonl_writer *w, const char *text, size_t len,
			struct xl_err *err)
{
	if (w->failed)
		return xl_err_set(err, XL_EIO, "cannot write to '%s': %s", w->name, strerror(w->failed));
	xl_buf_add(&w->line, text, len);
	if (w->line_buffered || w->line.len >= WRITER_BATCH)
		return xl_jsonl_writer_flush(w, err);
	return 0;
}

int xl_jsonl_writer_close(struct xl_jsonl_writer *w, struct xl_err *err)
{
	int ret = xl_jsonl_writer_flush(w, err);

	errno = 0;
	if (fclose(w->fp) != 0 && ret == 0)
		ret = xl_err_set(err, XL_EIO, "cannot write to '%s': %s", w->name,
				 errno ? strerror(errno) : "write error");
	xl_buf_release(&w->line);
	return ret;
}
