#include "xl_import.h"

#include <ctype.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_import_tables.h"
#include "xl_jsonl.h"
#include "xl_lines.h"
#include "xl_money.h"
#include "xl_num.h"
#include "xl_banned.h"

#define MAX_FIELDS 32
#define COPY_FLUSH ((size_t)256 << 10)
#define PROGRESS_EVERY 4096

/* A staging column and the fields that fill it (price and price_minor fill one). */
struct column {
	const char *name;
	const char *sqltype;
};

struct run {
	const struct xl_import_opts *o;
	const struct xl_import_hooks *h;
	const struct xl_itable *t;
	struct xl_db *db;
	struct xl_import_stats st;
	const char *currency;
	const char *tz;
	struct xl_vcontext vctx;           /* the defaults: currency and tz */

	struct column cols[MAX_FIELDS];
	size_t ncols;
	size_t field_col[MAX_FIELDS];        /* field index -> column index */
	size_t nfields;

	/* Where each field is found in the current CSV file (-1: nowhere). */
	long csv_index[MAX_FIELDS];
	size_t csv_width;

	/* NDJSON: the keys that may carry each field. */
	const char *keys[MAX_FIELDS][8];

	const char *set_value[MAX_FIELDS];   /* --set */

	struct xl_buf copy;                  /* COPY data not yet sent */
	struct xl_buf vals[MAX_FIELDS];      /* this row's canonical values */
	int have[MAX_FIELDS];
	uint64_t seq;
};

static void reject(struct run *r, const char *file, uint64_t line, const char *field,
		   const char *value, const char *error, const char *raw, size_t rawlen, int is_json)
{
	struct xl_import_reject rj = { file, line, field, value, error, raw, rawlen, is_json };

	r->st.rejected++;
	if (r->h && r->h->reject)
		r->h->reject(&rj, r->h->arg);
}

static int too_many(const struct run *r, struct xl_err *err)
{
	return xl_err_set(err, XL_ETOOBIG, "more than %ld rows refused; nothing was loaded",
			  r->o->max_errors);
}

static int over_limit(const struct run *r)
{
	return r->o->max_errors >= 0 && r->st.rejected > (uint64_t)r->o->max_errors;
}

/* Header names match case- and space-insensitively: "Unit Price" is unit_price. */
static void normalize(const char *in, size_t n, char *out, size_t size)
{
	size_t j = 0;

	while (n && isspace((unsigned char)*in))
		in++, n--;
	while (n && isspace((unsigned char)in[n - 1]))
		n--;
	for (size_t i = 0; i < n && j + 1 < size; i++) {
		unsigned char c = (unsigned char)in[i];

		out[j++] = c == ' ' || c == '-' ? '_' : (char)tolower(c);
	}
	out[j] = '\0';
}

/* The field an input name stands for, after --map; -1 for none. */
static long field_for(const struct run *r, const char *name)
{
	for (size_t m = 0; m < r->o->nmaps; m++) {
		const char *eq = strchr(r->o->maps[m], '=');
		char src[128];

		normalize(r->o->maps[m], (size_t)(eq - r->o->maps[m]), src, sizeof(src));
		if (!strcmp(src, name))
			name = eq + 1;
	}
	for (size_t i = 0; i < r->nfields; i++)
		if (!strcmp(r->t->fields[i].name, name))
			return (long)i;
	return -1;
}

static int plan(struct run *r, struct xl_err *err);

int xl_import_check(const struct xl_import_opts *o, struct xl_err *err)
{
	const struct xl_itable *t = xl_itable_find(o->table ? o->table : "");

	if (!o->table)
		return xl_err_set(err, XL_EINVAL, "give the table to import into with --table");
	if (!t)
		return xl_err_set(err, XL_EINVAL, "cannot import into '%s': the tables are %s",
				  o->table, xl_itable_names());
	if (o->upsert && !t->load_upsert)
		return xl_err_set(err, XL_EINVAL, "%s rows have no natural key: --upsert is not available",
				  o->table);
	if (o->currency && xl_money_exponent(o->currency) < 0)
		return xl_err_set(err, XL_EINVAL, "unknown currency '%s'", o->currency);
	for (size_t i = 0; i < o->nmaps + o->nsets; i++) {
		const char *s = i < o->nmaps ? o->maps[i] : o->sets[i - o->nmaps];
		const char *eq = strchr(s, '=');

		if (!eq || eq == s || (i < o->nmaps && !eq[1]))
			return xl_err_set(err, XL_EINVAL, "'%s' is not NAME=VALUE", s);
	}
	{
		/* --set must name a field of the table (after --map). */
		struct run *r = xl_xcalloc(1, sizeof(*r));
		int ret;

		r->o = o;
		r->t = t;
		ret = plan(r, err);
		free(r);
		return ret;
	}
}

int xl_import_check_db(struct xl_db *db, const struct xl_import_opts *o, struct xl_err *err)
{
	const char *params[] = { o->timezone ? o->timezone : "Asia/Seoul" };
	char *v = NULL;
	int ret = xl_db_query_value(db, "SELECT now() AT TIME ZONE $1", 1, params, &v, err);

	free(v);
	if (ret == -XL_EDB)
		return xl_err_set(err, XL_EINVAL, "unknown time zone '%s'", params[0]);
	return ret;
}

/* Staging columns, NDJSON keys and --set values, from the table's fields. */
static int plan(struct run *r, struct xl_err *err)
{
	const struct xl_itable *t = r->t;

	for (r->nfields = 0; t->fields[r->nfields].name; r->nfields++) {
		const struct xl_ifield *f = &t->fields[r->nfields];
		const char *col = f->column ? f->column : f->name;
		size_t c, k = 0;

		for (c = 0; c < r->ncols; c++)
			if (!strcmp(r->cols[c].name, col))
				break;
		if (c == r->ncols) {
			r->cols[c].name = col;
			r->cols[c].sqltype = f->sqltype;
			r->ncols++;
		}
		r->field_col[r->nfields] = c;
		r->keys[r->nfields][k++] = f->name;
		for (size_t m = 0; m < r->o->nmaps && k < 7; m++) {
			const char *eq = strchr(r->o->maps[m], '=');

			if (!strcmp(eq + 1, f->name))
				r->keys[r->nfields][k++] = r->o->maps[m];   /* compared up to '=' */
		}
		r->keys[r->nfields][k] = NULL;
	}
	for (size_t i = 0; i < r->o->nsets; i++) {
		const char *s = r->o->sets[i], *eq = strchr(s, '=');
		char name[128];
		long f;

		normalize(s, (size_t)(eq - s), name, sizeof(name));
		f = field_for(r, name);
		if (f < 0)
			return xl_err_set(err, XL_EINVAL, "--set: %s has no field '%s'", t->name, name);
		r->set_value[f] = eq + 1;
	}
	return 0;
}

/* The CSV header of a file: where each field is, and whether all that is required is there. */
static int read_header(struct run *r, const struct xl_csv_row *row, struct xl_err *err)
{
	for (size_t i = 0; i < r->nfields; i++)
		r->csv_index[i] = -1;
	for (size_t c = 0; c < row->nfields; c++) {
		char name[128];
		long f;

		normalize(row->fields[c], row->lens[c], name, sizeof(name));
		if (!*name)
			continue;
		for (size_t d = 0; d < c; d++) {
			char other[128];

			normalize(row->fields[d], row->lens[d], other, sizeof(other));
			if (!strcmp(name, other))
				return xl_err_set(err, XL_EINVAL, "%s:%llu: column '%s' appears twice in the header",
						  row->file, (unsigned long long)row->line, name);
		}
		f = field_for(r, name);
		if (f >= 0) {
			if (r->csv_index[f] >= 0)
				return xl_err_set(err, XL_EINVAL,
						  "%s:%llu: two columns give field '%s' (check --map)",
						  row->file, (unsigned long long)row->line, r->t->fields[f].name);
			r->csv_index[f] = (long)c;
		}
	}
	r->csv_width = row->nfields;
	for (size_t i = 0; i < r->nfields; i++) {
		const struct xl_ifield *f = &r->t->fields[i];
		int found = r->csv_index[i] >= 0 || r->set_value[i];

		if ((f->flags & XL_IF_REQUIRED) && !found)
			return xl_err_set(err, XL_EINVAL, "%s: missing column '%s' (the %s table needs it)",
					  row->file, f->name, r->t->name);
		if (f->group && !found) {
			int any = 0;

			for (size_t j = 0; j < r->nfields; j++)
				if (r->t->fields[j].group && !strcmp(r->t->fields[j].group, f->group) &&
				    (r->csv_index[j] >= 0 || r->set_value[j]))
					any = 1;
			if (!any) {
				char names[256] = "";

				for (size_t j = 0; j < r->nfields; j++)
					if (r->t->fields[j].group && !strcmp(r->t->fields[j].group, f->group))
						snprintf(names + strlen(names), sizeof(names) - strlen(names),
							 "%s'%s'", names[0] ? " or " : "", r->t->fields[j].name);
				return xl_err_set(err, XL_EINVAL, "%s: missing column %s (the %s table needs one)",
						  row->file, names, r->t->name);
			}
		}
	}
	return 0;
}

static int stage_row(struct run *r, const char *file, uint64_t line, const char *raw, size_t rawlen,
		     int refused, struct xl_err *err);

/*
 * A refused row of a grouped table (an order line): stage just its group
 * key, if it has a valid one, so that the rest of the group is refused too.
 */
static int stage_refused(struct run *r, const char *const *text, const char *file, uint64_t line,
			 const char *raw, size_t rawlen, struct xl_err *err)
{
	struct xl_err ignore = XL_ERR_INIT;

	if (!r->t->group_field)
		return 0;
	for (size_t c = 0; c < r->ncols; c++) {
		r->have[c] = 0;
		xl_buf_reset(&r->vals[c]);
	}
	for (size_t i = 0; i < r->nfields; i++) {
		const struct xl_ifield *f = &r->t->fields[i];
		size_t c = r->field_col[i];

		if (strcmp(f->name, r->t->group_field) || !text || !text[i] || !*text[i])
			continue;
		if (xl_value_check(f->type, f->min, f->max, f->values, text[i], &r->vctx, &r->vals[c], &ignore) < 0)
			return 0;
		r->have[c] = 1;
		return stage_row(r, file, line, raw, rawlen, 1, err);
	}
	return 0;
}

/*
 * Validate one row, given its fields' texts (NULL = absent), and queue it
 * for COPY or refuse it. Returns 0, or a negative error for the import.
 */
static int take_row(struct run *r, const char *const *text, const char *file, uint64_t line,
		    const char *raw, size_t rawlen, int is_json, struct xl_err *err)
{
	struct xl_err verr = XL_ERR_INIT;
	const char *currency = r->currency;
	char curbuf[8];

	r->st.read++;
	for (size_t c = 0; c < r->ncols; c++) {
		r->have[c] = 0;
		xl_buf_reset(&r->vals[c]);
	}
	for (size_t i = 0; i < r->nfields; i++) {
		const struct xl_ifield *f = &r->t->fields[i];
		const char *s = text[i];
		size_t c = r->field_col[i];
		struct xl_buf trimmed = XL_BUF_INIT;

		if (s) {
			/* Surrounding spaces are noise from spreadsheets. */
			size_t n = strlen(s);

			while (n && isspace((unsigned char)s[n - 1]))
				n--;
			while (n && isspace((unsigned char)*s))
				s++, n--;
			xl_buf_add(&trimmed, s, n);
			s = n ? trimmed.buf : NULL;
		}
		if (!s && r->set_value[i] && *r->set_value[i])
			s = r->set_value[i];
		if (!s || r->have[c]) {
			if (!s && (f->flags & XL_IF_REQUIRED)) {
				reject(r, file, line, f->name, NULL, "missing value", raw, rawlen, is_json);
				xl_buf_release(&trimmed);
				return stage_refused(r, text, file, line, raw, rawlen, err);
			}
			xl_buf_release(&trimmed);
			continue;
		}
		struct xl_vcontext vctx = { currency, r->tz };

		if (xl_value_check(f->type, f->min, f->max, f->values, s, &vctx, &r->vals[c], &verr) < 0) {
			reject(r, file, line, f->name, s, verr.msg, raw, rawlen, is_json);
			xl_buf_release(&trimmed);
			return stage_refused(r, text, file, line, raw, rawlen, err);
		}
		r->have[c] = 1;
		if (f->type == XL_V_CURRENCY) {
			snprintf(curbuf, sizeof(curbuf), "%s", r->vals[c].buf);
			currency = curbuf;
		}
		xl_buf_release(&trimmed);
	}
	/* Groups: at least one of price / price_minor, buyer / buyer_ref, ... */
	for (size_t i = 0; i < r->nfields; i++) {
		const struct xl_ifield *f = &r->t->fields[i];
		int any = 0;

		if (!f->group)
			continue;
		for (size_t j = 0; j < r->nfields; j++)
			if (r->t->fields[j].group && !strcmp(r->t->fields[j].group, f->group) &&
			    r->have[r->field_col[j]])
				any = 1;
		if (!any) {
			struct xl_buf names = XL_BUF_INIT;

			for (size_t j = 0; j < r->nfields; j++)
				if (r->t->fields[j].group && !strcmp(r->t->fields[j].group, f->group))
					xl_buf_addf(&names, "%s%s", names.len ? " or " : "", r->t->fields[j].name);
			xl_buf_addf(&names, " needed");
			reject(r, file, line, f->name, NULL, names.buf, raw, rawlen, is_json);
			xl_buf_release(&names);
			return stage_refused(r, text, file, line, raw, rawlen, err);
		}
	}
	/* The currency column takes the default when the row has none. */
	for (size_t c = 0; c < r->ncols; c++)
		if (!strcmp(r->cols[c].name, "currency") && !r->have[c]) {
			xl_buf_adds(&r->vals[c], currency);
			r->have[c] = 1;
		}
	return stage_row(r, file, line, raw, rawlen, 0, err);
}

/*
 * Queue one row for COPY from the current values (those not had are
 * NULL). A refused row is staged only to refuse the rest of its group.
 */
static int stage_row(struct run *r, const char *file, uint64_t line, const char *raw, size_t rawlen,
		     int refused, struct xl_err *err)
{
	xl_buf_addf(&r->copy, "%llu\t", (unsigned long long)++r->seq);
	xl_db_copy_escape(&r->copy, file, strlen(file));
	xl_buf_addf(&r->copy, "\t%llu\t", (unsigned long long)line);
	xl_db_copy_escape(&r->copy, raw, rawlen);
	xl_buf_adds(&r->copy, refused ? "\tt" : "\tf");
	for (size_t c = 0; c < r->ncols; c++) {
		xl_buf_addch(&r->copy, '\t');
		if (r->have[c])
			xl_db_copy_escape(&r->copy, r->vals[c].buf, r->vals[c].len);
		else
			xl_buf_add(&r->copy, "\\N", 2);
	}
	xl_buf_addch(&r->copy, '\n');
	if (r->copy.len >= COPY_FLUSH) {
		int ret = xl_db_copy_in_put(r->db, r->copy.buf, r->copy.len, err);

		xl_buf_reset(&r->copy);
		return ret;
	}
	return 0;
}

static void progress(struct run *r, struct xl_lines *lines)
{
	if (r->h && r->h->progress && r->st.read % PROGRESS_EVERY == 0)
		r->h->progress(r->st.read, xl_lines_bytes(lines), xl_lines_total_size(lines), r->h->arg);
}

/* The input is all read: say so once more, whatever the count, before the database's part. */
static void progress_read(struct run *r, struct xl_lines *lines)
{
	if (r->h && r->h->progress)
		r->h->progress(r->st.read, xl_lines_bytes(lines), xl_lines_total_size(lines), r->h->arg);
}

/* Each field's text in a CSV row (NULL when its column is absent or the row too short). */
static void csv_texts(const struct run *r, const struct xl_csv_row *row, const char **text)
{
	for (size_t i = 0; i < r->nfields; i++)
		text[i] = r->csv_index[i] >= 0 && (size_t)r->csv_index[i] < row->nfields ?
			  row->fields[r->csv_index[i]] : NULL;
}

static int read_csv(struct run *r, struct xl_lines *lines, struct xl_err *err)
{
	struct xl_csv_reader *in;
	struct xl_csv_row row;
	const char *text[MAX_FIELDS];
	int ret = 0, rr, headers = 0;

	xl_csv_open_lines(&in, lines, r->o->max_line, r->o->encoding);
	while ((rr = xl_csv_read(in, &row, err)) != 0) {
		if (rr == -XL_ENOINPUT || rr == -XL_EIO) {
			ret = rr;
			break;
		}
		if (row.first_in_file) {
			if (rr < 0) {
				ret = xl_err_prefix(err, "%s:%llu: the header: ", row.file,
						    (unsigned long long)row.line);
				break;
			}
			ret = read_header(r, &row, err);
			if (ret < 0)
				break;
			headers++;
			continue;
		}
		if (rr < 0) {
			r->st.read++;
			reject(r, row.file, row.line, NULL, NULL, err->msg, row.raw, row.rawlen, 0);
		} else if (row.nfields != r->csv_width) {
			char msg[96];

			r->st.read++;
			snprintf(msg, sizeof(msg), "expected %zu fields as in the header, found %zu",
				 r->csv_width, row.nfields);
			reject(r, row.file, row.line, NULL, NULL, msg, row.raw, row.rawlen, 0);
			/* Its order (say) can still be told from the columns it has. */
			csv_texts(r, &row, text);
			ret = stage_refused(r, text, row.file, row.line, row.raw, row.rawlen, err);
			if (ret < 0)
				break;
		} else {
			csv_texts(r, &row, text);
			ret = take_row(r, text, row.file, row.line, row.raw, row.rawlen, 0, err);
			if (ret < 0)
				break;
		}
		if (over_limit(r)) {
			ret = too_many(r, err);
			break;
		}
		progress(r, lines);
	}
	/* Not even a header: nothing says what the columns are. */
	if (ret == 0 && headers == 0)
		ret = xl_err_set(err, XL_EINVAL, "%s: no header row (the input is empty)",
				 r->o->npaths ? r->o->paths[0] : "<stdin>");
	r->st.encoding = xl_csv_encoding_name(in);
	progress_read(r, lines);
	xl_csv_close(in);   /* closes lines too */
	return ret;
}

/* An NDJSON value as field text: numbers exactly, objects as JSON. */
static const char *json_text(json_t *v, struct xl_buf *b)
{
	char num[XL_NUM_DBL_BUFSZ];

	xl_buf_reset(b);
	switch (json_typeof(v)) {
	case JSON_STRING:
		xl_buf_add(b, json_string_value(v), json_string_length(v));
		break;
	case JSON_INTEGER:
		xl_buf_addf(b, "%lld", (long long)json_integer_value(v));
		break;
	case JSON_REAL:
		if (xl_num_format_double(num, sizeof(num), json_real_value(v)) > 0)
			xl_buf_adds(b, num);
		break;
	case JSON_TRUE:
		xl_buf_adds(b, "true");
		break;
	case JSON_FALSE:
		xl_buf_adds(b, "false");
		break;
	case JSON_NULL:
		return NULL;
	default:
		xl_jsonl_dump(b, v);
	}
	return b->buf;
}

static json_t *json_field(const struct run *r, json_t *rec, size_t f)
{
	for (size_t k = 0; r->keys[f][k]; k++) {
		const char *key = r->keys[f][k], *eq = k ? strchr(key, '=') : NULL;
		json_t *v;

		if (eq) {
			char name[128];

			snprintf(name, sizeof(name), "%.*s", (int)(eq - key), key);
			v = json_object_get(rec, name);
		} else {
			v = json_object_get(rec, key);
		}
		if (v)
			return v;
	}
	return NULL;
}

static int read_ndjson(struct run *r, struct xl_lines *lines, struct xl_err *err)
{
	struct xl_buf texts[MAX_FIELDS];
	const char *text[MAX_FIELDS];
	const char *line;
	size_t len;
	int ret = 0, rr;

	for (size_t i = 0; i < r->nfields; i++)
		xl_buf_init(&texts[i], 0);
	xl_lines_set_flags(lines, XL_LINES_STRIP_BOM | XL_LINES_STRIP_CR | XL_LINES_SKIP_BLANK);
	while ((rr = xl_lines_next(lines, &line, &len, err)) != 0) {
		json_t *rec = NULL;

		if (rr == -XL_ENOINPUT || rr == -XL_EIO) {
			ret = rr;
			break;
		}
		if (rr < 0 || xl_jsonl_parse(line, len, &rec, err) < 0) {
			r->st.read++;
			reject(r, xl_lines_file(lines), xl_lines_line(lines), NULL, NULL, err->msg,
			       rr < 0 ? NULL : line, rr < 0 ? 0 : len, 0);
		} else {
			for (size_t i = 0; i < r->nfields; i++) {
				json_t *v = json_field(r, rec, i);

				text[i] = v ? json_text(v, &texts[i]) : NULL;
			}
			ret = take_row(r, text, xl_lines_file(lines), xl_lines_line(lines), line, len, 1, err);
			json_decref(rec);
			if (ret < 0)
				break;
		}
		if (over_limit(r)) {
			ret = too_many(r, err);
			break;
		}
		progress(r, lines);
	}
	for (size_t i = 0; i < r->nfields; i++)
		xl_buf_release(&texts[i]);
	progress_read(r, lines);
	xl_lines_close(lines);
	return ret;
}

static enum xl_import_format guess_format(const struct xl_import_opts *o, struct xl_lines *lines)
{
	struct xl_err ignore = XL_ERR_INIT;
	const char *data;
	size_t len, i = 0;

	if (o->format != XL_IMPORT_AUTO)
		return o->format;
	if (o->npaths && strcmp(o->paths[0], "-")) {
		const char *dot = strrchr(o->paths[0], '.');

		if (dot && (!strcasecmp(dot, ".ndjson") || !strcasecmp(dot, ".jsonl") || !strcasecmp(dot, ".json")))
			return XL_IMPORT_NDJSON;
		if (dot && (!strcasecmp(dot, ".csv") || !strcasecmp(dot, ".txt")))
			return XL_IMPORT_CSV;
	}
	if (xl_lines_peek(lines, &data, &len, &ignore) < 0)
		return XL_IMPORT_CSV;
	if (len >= 3 && !memcmp(data, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len && isspace((unsigned char)data[i]))
		i++;
	return i < len && data[i] == '{' ? XL_IMPORT_NDJSON : XL_IMPORT_CSV;
}

static int create_stage(struct run *r, struct xl_err *err)
{
	struct xl_buf sql = XL_BUF_INIT, copy = XL_BUF_INIT;
	int ret;

	xl_buf_adds(&sql, "CREATE TEMP TABLE xl_stage (_seq bigint NOT NULL, _src text, _line bigint, "
		    "_raw text, _refused boolean NOT NULL");
	xl_buf_adds(&copy, "COPY xl_stage (_seq, _src, _line, _raw, _refused");
	for (size_t c = 0; c < r->ncols; c++) {
		xl_buf_addf(&sql, ", \"%s\" %s", r->cols[c].name, r->cols[c].sqltype);
		xl_buf_addf(&copy, ", \"%s\"", r->cols[c].name);
	}
	xl_buf_adds(&sql, ") ON COMMIT DROP");
	xl_buf_adds(&copy, ") FROM STDIN");
	ret = xl_db_exec(r->db, sql.buf, 0, NULL, NULL, err);
	if (ret == 0)
		ret = xl_db_copy_in_begin(r->db, copy.buf, err);
	xl_buf_release(&sql);
	xl_buf_release(&copy);
	return ret;
}

/* DELETE the rows a condition refuses and report each. */
static int refuse_where(struct run *r, const char *where, const char *field, const char *value,
			const char *error, struct xl_err *err)
{
	struct xl_buf sql = XL_BUF_INIT;
	PGresult *res = NULL;
	int ret;

	/* Marked, not deleted: the other lines of a refused order must see it. */
	xl_buf_addf(&sql, "UPDATE xl_stage s SET _refused = true WHERE NOT s._refused AND (%s) "
		    "RETURNING s._src, s._line, s._raw, (%s)::text", where, value);
	ret = xl_db_exec(r->db, sql.buf, 0, NULL, &res, err);
	xl_buf_release(&sql);
	if (ret < 0)
		return ret;
	for (int i = 0; i < PQntuples(res); i++) {
		int64_t line = 0;

		xl_num_parse_i64(PQgetvalue(res, i, 1), &line);
		reject(r, PQgetvalue(res, i, 0), (uint64_t)line, field,
		       PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3), error,
		       PQgetvalue(res, i, 2), (size_t)PQgetlength(res, i, 2),
		       r->o->format == XL_IMPORT_NDJSON || !strcmp(r->st.format, "ndjson"));
	}
	PQclear(res);
	return 0;
}

/* Rows the database has to judge: foreign keys, duplicates, rows already there. */
static int check_in_db(struct run *r, struct xl_err *err)
{
	const struct xl_itable *t = r->t;
	int ret = 0;

	if (t->resolve_cols) {
		struct xl_buf sql = XL_BUF_INIT;

		/* One pass over the input with its lookups: far cheaper than UPDATEs. */
		xl_buf_addf(&sql, "CREATE TEMP TABLE xl_resolved ON COMMIT DROP AS SELECT s.*, %s "
			    "FROM xl_stage s %s", t->resolve_cols, t->resolve_joins);
		ret = xl_db_exec(r->db, sql.buf, 0, NULL, NULL, err);
		if (ret == 0)
			ret = xl_db_exec(r->db, "DROP TABLE xl_stage", 0, NULL, NULL, err);
		if (ret == 0)
			ret = xl_db_exec(r->db, "ALTER TABLE xl_resolved RENAME TO xl_stage", 0, NULL, NULL, err);
		xl_buf_release(&sql);
	}
	if (ret == 0)
		ret = xl_db_exec(r->db, "ANALYZE xl_stage", 0, NULL, NULL, err);
	for (size_t i = 0; ret == 0 && t->checks && t->checks[i].field; i++)
		ret = refuse_where(r, t->checks[i].where, t->checks[i].field, t->checks[i].value,
				   t->checks[i].error, err);
	if (ret == 0 && t->key && !r->o->upsert) {
		struct xl_buf where = XL_BUF_INIT, value = XL_BUF_INIT;

		/* The same key twice in the input: the first row stands. */
		xl_buf_addf(&where, "s._seq IN (SELECT _seq FROM (SELECT _seq, row_number() OVER "
			    "(PARTITION BY %s ORDER BY _seq) AS n FROM xl_stage WHERE NOT _refused) d "
			    "WHERE n > 1)", t->key);
		xl_buf_addf(&value, "concat_ws(', ', %s)", t->key);
		ret = refuse_where(r, where.buf, t->key, value.buf,
				   "same key as an earlier row of this input", err);
		xl_buf_release(&where);
		xl_buf_release(&value);
	}
	if (ret == 0 && t->exists && !r->o->upsert)
		ret = refuse_where(r, t->exists, NULL, "NULL",
				   "already in the database (--upsert accepts it)", err);
	if (ret == 0 && t->group_field) {
		struct xl_buf where = XL_BUF_INIT, value = XL_BUF_INIT, msg = XL_BUF_INIT;

		/* All or nothing: one refused line refuses its whole order. */
		xl_buf_addf(&where, "s.%s IN (SELECT %s FROM xl_stage WHERE _refused AND %s IS NOT NULL)",
			    t->group_field, t->group_field, t->group_field);
		xl_buf_addf(&value, "s.%s", t->group_field);
		xl_buf_addf(&msg, "another row with this %s was refused", t->group_field);
		ret = refuse_where(r, where.buf, t->group_field, value.buf, msg.buf, err);
		xl_buf_release(&where);
		xl_buf_release(&value);
		xl_buf_release(&msg);
	}
	if (ret == 0)
		ret = xl_db_exec(r->db, "DELETE FROM xl_stage WHERE _refused", 0, NULL, NULL, err);
	if (ret == 0 && over_limit(r))
		ret = too_many(r, err);
	return ret;
}

/*
 * Take the bulk load when the table has one and the role may set
 * session_replication_role (a superuser, or GRANT SET ON PARAMETER): 1
 * when taken, 0 when the per-row triggers stay, -1 on a database error.
 */
static int bulk_begin(struct run *r, struct xl_err *err)
{
	struct xl_err denied = XL_ERR_INIT;
	char *ok = NULL;
	int ret;

	if (!r->t->bulk_check)
		return 0;
	ret = xl_db_exec(r->db, "SAVEPOINT xl_bulk", 0, NULL, NULL, err);
	if (ret < 0)
		return ret;
	if (xl_db_exec(r->db, "SET LOCAL session_replication_role = replica", 0, NULL, NULL, &denied) < 0) {
		if (strcmp(denied.sqlstate, "42501")) {
			*err = denied;
			return -1;
		}
		return xl_db_exec(r->db, "ROLLBACK TO SAVEPOINT xl_bulk", 0, NULL, NULL, err);
	}
	ret = xl_db_query_value(r->db, r->t->bulk_check, 0, NULL, &ok, err);
	if (ret == 0 && strcmp(ok ? ok : "", "t"))
		ret = xl_db_exec(r->db, "SET LOCAL session_replication_role = origin", 0, NULL, NULL, err);
	else if (ret == 0)
		ret = 1;
	if (ret >= 0 && xl_db_exec(r->db, "RELEASE SAVEPOINT xl_bulk", 0, NULL, NULL, err) < 0)
		ret = -1;
	free(ok);
	return ret;
}

static int load(struct run *r, struct xl_err *err)
{
	const char *sql = r->o->upsert ? r->t->load_upsert : r->t->load;
	PGresult *res = NULL;
	int64_t ins = 0, upd = 0;
	int ret = bulk_begin(r, err);

	if (ret < 0)
		return ret;
	r->st.bulk = ret == 1;
	ret = xl_db_exec(r->db, sql, 0, NULL, &res, err);
	if (ret < 0)
		return ret;
	xl_num_parse_i64(PQgetvalue(res, 0, 0), &ins);
	xl_num_parse_i64(PQgetvalue(res, 0, 1), &upd);
	PQclear(res);
	r->st.inserted = (uint64_t)ins;
	r->st.updated = (uint64_t)upd;
	if (r->st.bulk)
		ret = xl_db_exec(r->db, "SET LOCAL session_replication_role = origin", 0, NULL, NULL, err);
	if (ret == 0 && r->t->after)
		ret = xl_db_exec(r->db, r->t->after, 0, NULL, NULL, err);
	return ret;
}

int xl_import_run(struct xl_db *db, const struct xl_import_opts *o,
		  const struct xl_import_hooks *hooks, struct xl_import_stats *stats,
		  struct xl_err *err)
{
	struct run *r = xl_xcalloc(1, sizeof(*r));
	struct xl_lines *lines = NULL;
	struct xl_err ignore = XL_ERR_INIT;
	enum xl_import_format fmt;
	int ret, in_tx = 0;

	r->o = o;
	r->h = hooks;
	r->db = db;
	r->t = xl_itable_find(o->table ? o->table : "");
	r->currency = o->currency ? o->currency : "KRW";
	r->tz = o->timezone ? o->timezone : "Asia/Seoul";
	r->vctx.currency = r->currency;
	r->vctx.timezone = r->tz;
	r->st.encoding = "UTF-8";
	xl_buf_init(&r->copy, 0);
	for (size_t i = 0; i < MAX_FIELDS; i++)
		xl_buf_init(&r->vals[i], 0);
	ret = xl_import_check(o, err);
	if (ret == 0)
		ret = plan(r, err);
	if (ret == 0)
		ret = xl_import_check_db(db, o, err);
	if (ret < 0)
		goto out;
	xl_lines_open(&lines, o->paths, o->npaths, o->max_line, XL_LINES_STRIP_BOM);
	fmt = guess_format(o, lines);
	r->st.format = fmt == XL_IMPORT_NDJSON ? "ndjson" : "csv";
	ret = xl_db_exec(db, "BEGIN", 0, NULL, NULL, err);
	if (ret < 0) {
		xl_lines_close(lines);
		goto out;
	}
	in_tx = 1;
	/* The checks and the load sort and hash the whole input: give them room. */
	ret = xl_db_exec(db, "SET LOCAL work_mem = '64MB'", 0, NULL, NULL, err);
	if (ret == 0)
		ret = create_stage(r, err);
	if (ret < 0) {
		xl_lines_close(lines);
		goto out;
	}
	/* The readers close lines. */
	ret = fmt == XL_IMPORT_NDJSON ? read_ndjson(r, lines, err) : read_csv(r, lines, err);
	if (ret == 0 && r->copy.len)
		ret = xl_db_copy_in_put(db, r->copy.buf, r->copy.len, err);
	if (ret < 0) {
		xl_db_copy_in_end(db, "import stopped", &ignore);
		goto out;
	}
	ret = xl_db_copy_in_end(db, NULL, err);
	if (ret == 0)
		ret = check_in_db(r, err);
	if (ret == 0)
		ret = load(r, err);
	if (ret == 0 && !o->dry_run) {
		ret = xl_db_exec(db, "COMMIT", 0, NULL, NULL, err);
		in_tx = 0;
	}
out:
	if (in_tx)
		xl_db_exec(db, "ROLLBACK", 0, NULL, NULL, &ignore);
	r->st.loaded = r->st.read >= r->st.rejected ? r->st.read - r->st.rejected : 0;
	if (ret < 0 || o->dry_run) {
		r->st.inserted = 0;
		r->st.updated = 0;
	}
	if (ret < 0)
		r->st.loaded = 0;
	if (stats)
		*stats = r->st;
	xl_buf_release(&r->copy);
	for (size_t i = 0; i < MAX_FIELDS; i++)
		xl_buf_release(&r->vals[i]);
	free(r);
	return ret;
}
