#include "xl_report_build.h"

#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_analyze.h"
#include "xl_atfile.h"
#include "xl_buf.h"
#include "xl_enc.h"
#include "xl_html.h"
#include "xl_money.h"
#include "xl_num.h"
#include "xl_period.h"
#include "xl_xlsx.h"
#include "xl_banned.h"

#define TREND_DAYS_MAX 92
#define TOP_N 10
#define FETCH_ROWS "20000"

struct xl_report_build {
	enum xl_report_kind kind;
	int64_t first, last, prev_first, prev_last;
	struct xl_analyze *trend, *prev, *top, *cats, *segs;
	struct xl_report r;
	char title[160];

	/* detail: the period's sold lines, spooled as they come */
	FILE *spool;
	char *sku, *name;           /* the strings of the spooled line given last */
	size_t skucap, namecap;
	uint64_t lines, replaced;
};

int xl_report_period(enum xl_report_kind kind, int64_t day, int64_t from, int64_t to, int64_t *first,
		     int64_t *last, struct xl_err *err)
{
	switch (kind) {
	case XL_REPORT_WEEKLY:
		*first = xl_period_start(XL_PERIOD_WEEK, day);
		*last = xl_period_last(XL_PERIOD_WEEK, *first);
		return 0;
	case XL_REPORT_MONTHLY:
		*first = xl_period_start(XL_PERIOD_MONTH, day);
		*last = xl_period_last(XL_PERIOD_MONTH, *first);
		return 0;
	case XL_REPORT_RANGE:
		if (from == XL_ANALYZE_OPEN || to == XL_ANALYZE_OPEN)
			return xl_err_set(err, XL_EINVAL, "a range report needs --from and --to");
		if (from > to)
			return xl_err_set(err, XL_EINVAL, "--from is after --to");
		*first = from;
		*last = to;
		return 0;
	}
	return xl_err_set(err, XL_EINVAL, "unknown report kind");
}

static struct xl_analyze *sales_over(enum xl_period by, int64_t first, int64_t last)
{
	struct xl_analyze_opts o = XL_ANALYZE_OPTS_INIT;

	o.by = by;
	o.from_day = first;
	o.to_day = last;
	return xl_analyze_new(XL_ANALYZE_SALES, &o);
}

struct xl_report_build *xl_report_build_new(enum xl_report_kind kind, int64_t first, int64_t last)
{
	struct xl_report_build *b = xl_xcalloc(1, sizeof(*b));
	struct xl_analyze_opts o = XL_ANALYZE_OPTS_INIT;
	char a[XL_TIME_BUFSZ], z[XL_TIME_BUFSZ];

	assert(first <= last);
	b->kind = kind;
	b->first = first;
	b->last = last;
	if (kind == XL_REPORT_MONTHLY) {
		b->prev_first = xl_period_month_day(xl_period_month_index(first) - 1);
		b->prev_last = first - 1;
	} else {
		b->prev_first = first - (last - first + 1);
		b->prev_last = first - 1;
	}
	b->trend = sales_over(last - first + 1 <= TREND_DAYS_MAX ? XL_PERIOD_DAY : XL_PERIOD_WEEK, first, last);
	b->prev = sales_over(XL_PERIOD_DAY, b->prev_first, b->prev_last);
	o.from_day = first;
	o.to_day = last;
	o.limit = TOP_N;
	b->top = xl_analyze_new(XL_ANALYZE_TOP, &o);
	b->cats = xl_analyze_new(XL_ANALYZE_CATEGORIES, &o);
	o.from_day = XL_ANALYZE_OPEN;
	o.as_of_day = last + 1;
	b->segs = xl_analyze_new(XL_ANALYZE_SEGMENTS, &o);

	xl_date_format(a, sizeof(a), xl_date_from_days(first));
	xl_date_format(z, sizeof(z), xl_date_from_days(last));
	if (kind == XL_REPORT_WEEKLY) {
		char label[XL_PERIOD_LABELSZ];

		xl_period_label(XL_PERIOD_WEEK, first, label, sizeof(label));
		snprintf(b->title, sizeof(b->title), "Weekly sales report %s (%s to %s)", label, a, z);
	} else if (kind == XL_REPORT_MONTHLY) {
		char label[XL_PERIOD_LABELSZ];

		xl_period_label(XL_PERIOD_MONTH, first, label, sizeof(label));
		snprintf(b->title, sizeof(b->title), "Monthly sales report %s", label);
	} else {
		snprintf(b->title, sizeof(b->title), "Sales report %s to %s", a, z);
	}
	return b;
}

void xl_report_build_free(struct xl_report_build *b)
{
	if (!b)
		return;
	xl_analyze_free(b->trend);
	xl_analyze_free(b->prev);
	xl_analyze_free(b->top);
	xl_analyze_free(b->cats);
	xl_analyze_free(b->segs);
	if (b->spool)
		fclose(b->spool);
	free(b->sku);
	free(b->name);
	free(b);
}

/* ---- sources -------------------------------------------------------- */

struct spooled {
	int64_t day, order_id, user_id, qty, amount;
	uint32_t skulen, namelen;
};

/* Keep a sold line of the period for the detail. */
static int spool_line(struct xl_report_build *b, const struct xl_analyze_fact *f, struct xl_err *err)
{
	const char *name = f->name ? f->name : "";
	struct spooled s;

	if (f->kind != XL_FACT_LINE || !f->sold || f->day < b->first || f->day > b->last)
		return 0;
	s.day = f->day;
	s.order_id = f->order_id;
	s.user_id = f->user_id;
	s.qty = f->qty;
	s.amount = f->amount;
	s.skulen = (uint32_t)strlen(f->sku);
	s.namelen = (uint32_t)strlen(name);
	if (!b->spool && !(b->spool = tmpfile()))
		return xl_err_set(err, XL_EIO, "cannot make a temporary file for the detail lines: %s",
				  strerror(errno));
	if (fwrite(&s, sizeof(s), 1, b->spool) != 1 || fwrite(f->sku, 1, s.skulen, b->spool) != s.skulen ||
	    fwrite(name, 1, s.namelen, b->spool) != s.namelen)
		return xl_err_set(err, XL_EIO, "cannot write the detail lines to a temporary file: %s",
				  strerror(errno));
	return 0;
}

/* Count a fact in every analysis that reads facts, and spool it. */
static int add_fact(struct xl_report_build *b, const struct xl_analyze_fact *f, int with_segments,
		    struct xl_err *err)
{
	struct xl_analyze *all[] = { b->trend, b->prev, b->top, b->cats, b->segs };
	size_t n = sizeof(all) / sizeof(all[0]) - !with_segments;
	int ret;

	for (size_t i = 0; i < n; i++)
		if ((ret = xl_analyze_add_fact(all[i], f, err)) < 0)
			return ret;
	return spool_line(b, f, err);
}

int xl_report_build_add(struct xl_report_build *b, const json_t *rec, struct xl_err *err)
{
	struct xl_analyze_fact f;
	int ret = xl_analyze_parse_fact(rec, &f, err);

	return ret < 0 ? ret : add_fact(b, &f, 1, err);
}

/*
 * The facts from the previous period's first day to the period's last, in
 * time order: one pass feeds the sums of both periods and the detail.
 */
static const char *const facts_sql =
	"SELECT l.kind, ((l.occurred_at AT TIME ZONE 'Asia/Seoul')::date - DATE '1970-01-01'), l.order_id, l.user_id, "
	"l.status, l.sku, l.name, l.category, l.category_name, l.qty, l.amount_minor, l.currency "
	"FROM order_lines l WHERE l.sold AND l.occurred_at >= $1::timestamptz AND l.occurred_at < $2::timestamptz "
	"ORDER BY l.occurred_at, l.order_id, l.line_no";

static int fact_row(const PGresult *r, void *arg, struct xl_err *err)
{
	struct xl_analyze_fact f;
	const char *kind = PQgetvalue(r, 0, 0);
	const char *text[5];
	int64_t v[5];
	static const int cols[5] = { 1, 2, 3, 9, 10 };

	for (int i = 0; i < 5; i++)
		if (xl_num_parse_i64(PQgetvalue(r, 0, cols[i]), &v[i]) < 0)
			return xl_err_set(err, XL_ERANGE, "database: '%s' does not fit 64 bits",
					  PQgetvalue(r, 0, cols[i]));
	for (int i = 0; i < 5; i++)
		text[i] = PQgetisnull(r, 0, 4 + i) ? NULL : PQgetvalue(r, 0, 4 + i);
	memset(&f, 0, sizeof(f));
	f.kind = !strcmp(kind, "line") ? XL_FACT_LINE : !strcmp(kind, "shipping") ? XL_FACT_SHIPPING : XL_FACT_REFUND;
	f.day = v[0];
	f.order_id = v[1];
	f.user_id = v[2];
	f.sold = 1;
	f.status = text[0];
	f.sku = text[1] ? text[1] : "";
	f.name = text[2];
	f.category = text[3];
	f.category_name = text[4];
	f.qty = v[3];
	f.amount = v[4];
	f.currency = PQgetvalue(r, 0, 11);
	return add_fact(arg, &f, 0, err);
}

int xl_report_build_load(struct xl_report_build *b, struct xl_db *db, struct xl_err *err)
{
	char from[XL_TIME_BUFSZ], to[XL_TIME_BUFSZ];
	const char *params[2] = { from, to };
	int ret;

	/* One snapshot for every sum and the detail: the sheets agree. */
	ret = xl_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, err);
	/* Room to sort a month of facts in memory rather than on disk. */
	if (ret == 0)
		ret = xl_db_exec(db, "SET LOCAL work_mem = '64MB'", 0, NULL, NULL, err);
	if (ret == 0)
		ret = xl_analyze_load(b->segs, db, err);
	xl_time_format(from, sizeof(from), xl_time_seoul_day_start(xl_date_from_days(b->prev_first)), 540, 0);
	xl_time_format(to, sizeof(to), xl_time_seoul_day_start(xl_date_from_days(b->last + 1)), 540, 0);
	/* The facts come in time order, an order's lines together. */
	xl_analyze_set_grouped(b->trend);
	xl_analyze_set_grouped(b->prev);
	xl_analyze_set_grouped(b->top);
	if (ret == 0)
		ret = xl_db_each_row(db, facts_sql, 2, params, fact_row, b, err);
	if (ret == 0)
		ret = xl_db_exec(db, "COMMIT", 0, NULL, NULL, err);
	else
		xl_db_exec(db, "ROLLBACK", 0, NULL, NULL, &(struct xl_err)XL_ERR_INIT);
	return ret;
}

/* ---- the report ----------------------------------------------------- */

int xl_report_build_finish(struct xl_report_build *b, const struct xl_report **out, struct xl_err *err)
{
	struct xl_analyze *all[] = { b->trend, b->prev, b->top, b->cats, b->segs };
	struct xl_report *r = &b->r;
	int ret;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if ((ret = xl_analyze_finish(all[i], err)) < 0)
			return ret;
	memset(r, 0, sizeof(*r));
	r->title = b->title;
	r->period_name = b->kind == XL_REPORT_WEEKLY ? "week" : b->kind == XL_REPORT_MONTHLY ? "month" : "range";
	snprintf(r->currency, sizeof(r->currency), "%s", xl_analyze_currency(b->trend));
	r->first = xl_date_from_days(b->first);
	r->last = xl_date_from_days(b->last);
	r->generated_us = xl_time_now();
	xl_analyze_totals(b->trend, &r->current);
	xl_analyze_totals(b->prev, &r->previous);
	snprintf(r->current.label, sizeof(r->current.label), "this %s", r->period_name);
	snprintf(r->previous.label, sizeof(r->previous.label), "previous");
	r->previous.first = xl_date_from_days(b->prev_first);
	r->previous.last = xl_date_from_days(b->prev_last);
	r->trend = xl_analyze_sales(b->trend, &r->ntrend);
	r->top = xl_analyze_products(b->top, &r->ntop);
	r->categories = xl_analyze_categories(b->cats, &r->ncategories);
	r->segments = xl_analyze_segments(b->segs, &r->nsegments);
	*out = r;
	return 0;
}

/* ---- detail lines ----------------------------------------------------- */

static int read_str(FILE *f, char **buf, size_t *cap, uint32_t len, struct xl_err *err)
{
	if (*cap < (size_t)len + 1) {
		*cap = (size_t)len + 1;
		*buf = xl_xrealloc(*buf, *cap);
	}
	if (len && fread(*buf, 1, len, f) != len)
		return xl_err_set(err, XL_EIO, "cannot read the detail lines back from their temporary file");
	(*buf)[len] = '\0';
	return 0;
}

static int spool_next(struct xl_report_build *b, struct xl_report_line *line, struct xl_err *err)
{
	struct spooled s;

	if (!b->spool || fread(&s, sizeof(s), 1, b->spool) != 1) {
		if (b->spool && ferror(b->spool))
			return xl_err_set(err, XL_EIO, "cannot read the detail lines back from their temporary file");
		return 0;
	}
	if (read_str(b->spool, &b->sku, &b->skucap, s.skulen, err) < 0 ||
	    read_str(b->spool, &b->name, &b->namecap, s.namelen, err) < 0)
		return -XL_EIO;
	line->day = xl_date_from_days(s.day);
	line->order_id = s.order_id;
	line->user_id = s.user_id;
	line->sku = b->sku;
	line->name = b->name;
	line->qty = s.qty;
	line->amount_minor = s.amount;
	return 1;
}

static int next_line(void *arg, struct xl_report_line *line, struct xl_err *err)
{
	struct xl_report_build *b = arg;
	int ret = spool_next(b, line, err);

	if (ret == 1)
		b->lines++;
	return ret;
}

/* Start the detail from its beginning. */
static int rewind_detail(struct xl_report_build *b, struct xl_err *err)
{
	b->lines = 0;
	if (b->spool && fseek(b->spool, 0, SEEK_SET) != 0)
		return xl_err_set(err, XL_EIO, "cannot rewind the detail lines: %s", strerror(errno));
	return 0;
}

/* ---- csv ---------------------------------------------------------------- */

static void csv_field(struct xl_buf *row, const char *s)
{
	if (!strpbrk(s, ",\"\r\n")) {
		xl_buf_adds(row, s);
		return;
	}
	xl_buf_addch(row, '"');
	for (; *s; s++) {
		if (*s == '"')
			xl_buf_addch(row, '"');
		xl_buf_addch(row, *s);
	}
	xl_buf_addch(row, '"');
}

static int csv_put(FILE *out, struct xl_enc *enc, struct xl_buf *row, struct xl_buf *conv, uint64_t *replaced_total,
		   struct xl_err *err)
{
	const char *data = row->buf;
	size_t len = row->len;
	size_t replaced = 0;

	if (enc) {
		xl_buf_reset(conv);
		if (xl_enc_convert(enc, row->buf, row->len, conv, 1, &replaced, err) < 0)
			return -XL_EINVAL;
		data = conv->buf;
		len = conv->len;
		*replaced_total += replaced;
	}
	if (len && fwrite(data, 1, len, out) != len)
		return xl_err_set(err, XL_EIO, "cannot write the report: %s", strerror(errno));
	return 0;
}

static int write_csv(struct xl_report_build *b, FILE *out, int cp949, struct xl_err *err)
{
	struct xl_buf row = XL_BUF_INIT, conv = XL_BUF_INIT;
	struct xl_enc *enc = NULL;
	struct xl_report_line line;
	int ret;

	if (cp949 && (ret = xl_enc_open(&enc, "CP949", "UTF-8", err)) < 0)
		return ret;
	ret = 0;
	if (!cp949 && fwrite("\xEF\xBB\xBF", 1, 3, out) != 3)
		ret = xl_err_set(err, XL_EIO, "cannot write the report: %s", strerror(errno));
	xl_buf_adds(&row, "date,order_id,customer_id,sku,product,qty,amount,currency\r\n");
	if (ret == 0)
		ret = csv_put(out, enc, &row, &conv, &b->replaced, err);
	while (ret == 0 && (ret = next_line(b, &line, err)) == 1) {
		char day[XL_TIME_BUFSZ], amount[XL_MONEY_BUFSZ];

		xl_date_format(day, sizeof(day), line.day);
		if (xl_money_format(amount, sizeof(amount), line.amount_minor, b->r.currency) < 0)
			snprintf(amount, sizeof(amount), "%lld", (long long)line.amount_minor);
		xl_buf_reset(&row);
		xl_buf_addf(&row, "%s,%lld,%lld,", day, (long long)line.order_id, (long long)line.user_id);
		csv_field(&row, line.sku);
		xl_buf_addch(&row, ',');
		csv_field(&row, line.name);
		xl_buf_addf(&row, ",%lld,%s,%s\r\n", (long long)line.qty, amount, b->r.currency);
		ret = csv_put(out, enc, &row, &conv, &b->replaced, err);
	}
	xl_enc_free(enc);
	xl_buf_release(&row);
	xl_buf_release(&conv);
	return ret < 0 ? ret : 0;
}

int xl_report_build_write(struct xl_report_build *b, enum xl_report_format format, const char *path, int cp949,
			  struct xl_err *err)
{
	struct xl_atfile f;
	int ret;

	if ((ret = xl_atfile_open(&f, path, err)) < 0)
		return ret;
	ret = format == XL_REPORT_HTML ? 0 : rewind_detail(b, err);
	if (ret == 0) {
		b->r.next_line = next_line;
		b->r.next_line_arg = b;
		if (format == XL_REPORT_XLSX)
			ret = xl_xlsx_report_write(&b->r, f.tmp, err);
		else if (format == XL_REPORT_CSV)
			ret = write_csv(b, f.fp, cp949, err);
		else
			ret = xl_html_report_write(&b->r, f.fp, err);
	}
	if (ret < 0) {
		xl_atfile_abort(&f);
		return ret;
	}
	return xl_atfile_commit(&f, err);
}

uint64_t xl_report_build_lines(const struct xl_report_build *b)
{
	return b->lines;
}

uint64_t xl_report_build_replaced(const struct xl_report_build *b)
{
	return b->replaced;
}
