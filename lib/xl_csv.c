#include "xl_csv.h"

#include <csv.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_enc.h"
#include "xl_lines.h"
#include "xl_banned.h"

#define MAX_ROW_DEFAULT ((size_t)16 << 20)
#define MAX_FIELDS 4096

struct xl_csv_reader {
	struct xl_lines *lines;
	enum xl_csv_encoding enc;
	int enc_known;
	struct xl_enc *cp949;
	struct csv_parser parser;
	size_t max_row;

	/* The row being built: fields as offsets into text. */
	struct xl_buf text;
	size_t *offs, *lens;
	size_t nfields, alloc;
	int row_done;
	int too_many;
	int field_nul;

	/* What is handed out. */
	const char **ptrs;
	size_t ptrs_alloc;
	struct xl_buf raw;
	struct xl_buf conv;
	uint64_t row_line;
	size_t row_file;
	const char *row_file_name;
	size_t last_file;
	int started;         /* a row is in progress */
	int file_open;       /* a file has lines in the parser */
	size_t cur_file;
	int bad_row;         /* the row in progress is to be rejected */
	char bad_msg[256];

	/* A line read but not fed yet (the first of a new file). */
	int held;
	const char *held_line;
	size_t held_len;
};

static void on_field(void *data, size_t len, void *arg)
{
	struct xl_csv_reader *r = arg;

	if (r->nfields >= MAX_FIELDS) {
		r->too_many = 1;
		return;
	}
	XL_ALLOC_GROW(r->offs, r->nfields + 1, r->alloc);
	r->lens = xl_xrealloc(r->lens, r->alloc * sizeof(*r->lens));
	r->offs[r->nfields] = r->text.len;
	r->lens[r->nfields] = len;
	if (data && memchr(data, '\0', len))
		r->field_nul = 1;
	xl_buf_add(&r->text, data ? data : "", len);
	xl_buf_addch(&r->text, '\0');
	r->nfields++;
}

static void on_row(int c, void *arg)
{
	struct xl_csv_reader *r = arg;

	(void)c;
	r->row_done = 1;
}

void xl_csv_open(struct xl_csv_reader **out, char *const *paths, size_t npaths, size_t max_row,
		 enum xl_csv_encoding enc)
{
	struct xl_lines *lines;

	xl_lines_open(&lines, paths, npaths, max_row ? max_row : MAX_ROW_DEFAULT, XL_LINES_STRIP_BOM);
	xl_csv_open_lines(out, lines, max_row, enc);
}

void xl_csv_open_lines(struct xl_csv_reader **out, struct xl_lines *lines, size_t max_row,
		       enum xl_csv_encoding enc)
{
	struct xl_csv_reader *r = xl_xcalloc(1, sizeof(*r));

	r->max_row = max_row ? max_row : MAX_ROW_DEFAULT;
	r->enc = enc;
	r->enc_known = 0;   /* decide_encoding also opens the CP949 converter */
	r->lines = lines;
	xl_lines_set_flags(lines, XL_LINES_STRIP_BOM);
	csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
	xl_buf_init(&r->text, 0);
	xl_buf_init(&r->raw, 0);
	xl_buf_init(&r->conv, 0);
	r->last_file = (size_t)-1;
	*out = r;
}

const char *xl_csv_encoding_name(const struct xl_csv_reader *r)
{
	return r->enc == XL_CSV_CP949 ? "CP949" : "UTF-8";
}

uint64_t xl_csv_bytes(const struct xl_csv_reader *r)
{
	return xl_lines_bytes(r->lines);
}

uint64_t xl_csv_total_size(const struct xl_csv_reader *r)
{
	return xl_lines_total_size(r->lines);
}

static void reset_row(struct xl_csv_reader *r)
{
	xl_buf_reset(&r->text);
	xl_buf_reset(&r->raw);
	r->nfields = 0;
	r->row_done = 0;
	r->too_many = 0;
	r->field_nul = 0;
	r->bad_row = 0;
	r->bad_msg[0] = '\0';
}

/* Start over after a malformed row: libcsv keeps no state we want. */
static void reset_parser(struct xl_csv_reader *r)
{
	csv_free(&r->parser);
	csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI | CSV_APPEND_NULL);
}

static int decide_encoding(struct xl_csv_reader *r, struct xl_err *err)
{
	const char *data;
	size_t len;
	int ret;

	if (r->enc == XL_CSV_AUTO) {
		ret = xl_lines_peek(r->lines, &data, &len, err);
		if (ret < 0)
			return ret;
		r->enc = xl_enc_utf8_valid_prefix(data, len) == len ? XL_CSV_UTF8 : XL_CSV_CP949;
	}
	if (r->enc == XL_CSV_CP949 && !r->cp949) {
		ret = xl_enc_open(&r->cp949, "UTF-8", "CP949", err);
		if (ret < 0)
			return ret;
	}
	r->enc_known = 1;
	return 0;
}

static void fill_row(struct xl_csv_reader *r, struct xl_csv_row *row)
{
	if (r->ptrs_alloc < r->nfields + 1) {
		r->ptrs_alloc = r->nfields + 1;
		r->ptrs = xl_xrealloc(r->ptrs, r->ptrs_alloc * sizeof(*r->ptrs));
	}
	for (size_t i = 0; i < r->nfields; i++)
		r->ptrs[i] = r->text.buf + r->offs[i];
	row->nfields = r->nfields;
	row->fields = r->ptrs;
	row->lens = r->lens;
	row->file = r->row_file_name;
	row->line = r->row_line;
	row->first_in_file = r->row_file != r->last_file;
	row->raw = r->raw.buf;
	row->rawlen = r->raw.len;
}

/* A finished row: hand it out, or its problem. */
static int finish_row(struct xl_csv_reader *r, struct xl_csv_row *row, struct xl_err *err)
{
	int ret = 1;

	fill_row(r, row);
	if (r->bad_row)
		ret = xl_err_set(err, XL_EINVAL, "%s", r->bad_msg);
	else if (r->too_many)
		ret = xl_err_set(err, XL_EINVAL, "more than %d fields in a row", MAX_FIELDS);
	else if (r->field_nul)
		ret = xl_err_set(err, XL_EINVAL, "a field holds a NUL byte");
	/* The header is the first row of a file even when it is rejected. */
	r->last_file = r->row_file;
	r->started = 0;
	return ret;
}

/* The end of a file: flush the last row (it had no final newline). 1, 0 or an error. */
static int finish_file(struct xl_csv_reader *r, struct xl_csv_row *row, struct xl_err *err)
{
	int bad = csv_fini(&r->parser, on_field, on_row, r) != 0;

	reset_parser(r);
	r->file_open = 0;
	if (!r->started)
		return 0;
	if (bad) {
		r->bad_row = 1;
		snprintf(r->bad_msg, sizeof(r->bad_msg),
			 "unterminated quoted field (it runs to the end of the file)");
		return finish_row(r, row, err);
	}
	if (r->row_done)
		return finish_row(r, row, err);
	reset_row(r);
	r->started = 0;
	return 0;
}

/* A line that could not be read whole: its row is lost and reported. */
static int line_error(struct xl_csv_reader *r, struct xl_csv_row *row, int ret)
{
	if (ret == -XL_ETOOBIG) {
		reset_parser(r);
		if (!r->started) {
			r->row_line = xl_lines_line(r->lines);
			r->row_file = xl_lines_file_index(r->lines);
			r->row_file_name = xl_lines_file(r->lines);
		}
		fill_row(r, row);
		r->last_file = r->row_file;
		reset_row(r);
		r->started = 0;
	} else {
		row->file = xl_lines_file(r->lines);
		row->line = xl_lines_line(r->lines);
		if (ret == -XL_EIO)
			r->file_open = 0;
	}
	return ret;
}

/* Feed one line to the parser. 1 when a row is complete (or bad), else 0. */
static int feed(struct xl_csv_reader *r, const char *line, size_t len, struct xl_err *err)
{
	size_t done;

	if (!r->started) {
		r->started = 1;
		r->row_line = xl_lines_line(r->lines);
		r->row_file = xl_lines_file_index(r->lines);
		r->row_file_name = xl_lines_file(r->lines);
	}
	if (r->enc == XL_CSV_CP949) {
		xl_buf_reset(&r->conv);
		if (xl_enc_convert(r->cp949, line, len, &r->conv, 0, NULL, err) < 0 && !r->bad_row) {
			r->bad_row = 1;
			snprintf(r->bad_msg, sizeof(r->bad_msg), "line %llu is not valid CP949: %.120s",
				 (unsigned long long)xl_lines_line(r->lines), err->msg);
		}
		line = r->conv.buf;
		len = r->conv.len;
	} else if (!r->bad_row && !xl_enc_is_utf8(line, len)) {
		r->bad_row = 1;
		snprintf(r->bad_msg, sizeof(r->bad_msg),
			 "line %llu is not valid UTF-8 (for CP949 use --encoding cp949)",
			 (unsigned long long)xl_lines_line(r->lines));
	}
	if (r->raw.len + len + 1 > r->max_row) {
		reset_parser(r);
		r->bad_row = 1;
		snprintf(r->bad_msg, sizeof(r->bad_msg), "row is longer than the limit of %zu bytes",
			 r->max_row);
		return 1;
	}
	xl_buf_add(&r->raw, line, len);
	xl_buf_addch(&r->raw, '\n');
	done = csv_parse(&r->parser, line, len, on_field, on_row, r);
	if (done == len && csv_parse(&r->parser, "\n", 1, on_field, on_row, r) != 1)
		done = len + 1;
	if (done != len) {
		/* Malformed quoting: drop the row, start clean at the next line. */
		if (!r->bad_row)
			snprintf(r->bad_msg, sizeof(r->bad_msg), "malformed quoting on line %llu: %s",
				 (unsigned long long)xl_lines_line(r->lines),
				 csv_strerror(csv_error(&r->parser)));
		r->bad_row = 1;
		reset_parser(r);
		return 1;
	}
	if (r->row_done) {
		xl_buf_setlen(&r->raw, r->raw.len - 1);
		return 1;
	}
	if (r->nfields == 0 && r->text.len == 0 && (len == 0 || (len == 1 && line[0] == '\r'))) {
		/* A blank line between rows: libcsv skips it, and so do we. */
		reset_row(r);
		r->started = 0;
	}
	return 0;
}

int xl_csv_read(struct xl_csv_reader *r, struct xl_csv_row *row, struct xl_err *err)
{
	int ret;

	memset(row, 0, sizeof(*row));
	if (!r->enc_known && (ret = decide_encoding(r, err)) < 0)
		return ret;
	if (!r->started)
		reset_row(r);
	for (;;) {
		if (!r->held) {
			ret = xl_lines_next(r->lines, &r->held_line, &r->held_len, err);
			if (ret == 0) {
				if (r->file_open && (ret = finish_file(r, row, err)) != 0)
					return ret;
				return 0;
			}
			if (ret < 0)
				return line_error(r, row, ret);
			r->held = 1;
			/* A new file: the old one ends first (perhaps without a final newline). */
			if (r->file_open && xl_lines_file_index(r->lines) != r->cur_file &&
			    (ret = finish_file(r, row, err)) != 0)
				return ret;
		}
		r->held = 0;
		r->cur_file = xl_lines_file_index(r->lines);
		r->file_open = 1;
		if (feed(r, r->held_line, r->held_len, err))
			return finish_row(r, row, err);
	}
}

void xl_csv_close(struct xl_csv_reader *r)
{
	if (!r)
		return;
	csv_free(&r->parser);
	xl_lines_close(r->lines);
	xl_enc_free(r->cp949);
	xl_buf_release(&r->text);
	xl_buf_release(&r->raw);
	xl_buf_release(&r->conv);
	free(r->offs);
	free(r->lens);
	free(r->ptrs);
	free(r);
}
