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
#include "xl_hash.h"
#include "xl_html.h"
#include "xl_money.h"
#include "xl_num.h"
#include "xl_period.h"
#include "xl_xlsx.h"
#include "xl_banned.h"

#define TREND_DAYS_MAX 92
#define TOP_N 10

/* A product as the detail and the sums name it. */
struct product {
	char *sku, *name, *category, *category_name;
};

/* A line of the period as the stream's reading thread hands it over. */
struct stream_line {
	int64_t day, order_id, user_id, qty, amount;
	const struct product *product;
};

struct xl_report_build {
	enum xl_report_kind kind;
	int64_t first, last, prev_first, prev_last;
	struct xl_analyze *trend, *prev, *top, *cats, *segs;
	struct xl_analyze *history;     /* database: the segments' facts before the stream's */
	struct xl_report r;
	char title[160];
	int finished;

	/* records source: the period's sold lines, spooled as they come */
	FILE *spool;
	char *sku, *name;           /* the strings of the spooled line given last */
	size_t skucap, namecap;
	uint64_t lines, replaced;

	/*
	 * database source: db (the caller's) in a REPEATABLE READ transaction
	 * streams the facts of both periods while the report is written; db2,
	 * on the same snapshot, sums the segments' history before them
	 * meanwhile.
	 */
	struct xl_db *db, *db2;
	int in_tx, history_sent, history_read, copying;
	int64_t cur_order, cur_day;     /* the order of the row read last, and its day */
	int have_order;
	struct xl_hash product_ids;     /* products.id -> slot in products */
	struct product *products;
	size_t productcap;
	struct xl_report_line peeked;   /* a line read ahead, given next */
	int have_peeked;
	/* the reading thread's, until the stream ends (stream_row) */
	struct stream_line handed;
	char first_currency[4];
	char currency[4];               /* the currency written with; "" until known */
	int currency_changed;
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

/*
 * The analyses the facts are added to, empty. From the database the facts
 * come grouped by order (xl_analyze_set_grouped).
 */
static void new_sums(struct xl_report_build *b, int grouped)
{
	struct xl_analyze_opts o = XL_ANALYZE_OPTS_INIT;

	xl_analyze_free(b->trend);
	xl_analyze_free(b->prev);
	xl_analyze_free(b->top);
	xl_analyze_free(b->cats);
	xl_analyze_free(b->segs);
	b->trend = sales_over(b->last - b->first + 1 <= TREND_DAYS_MAX ? XL_PERIOD_DAY : XL_PERIOD_WEEK, b->first,
			      b->last);
	b->prev = sales_over(XL_PERIOD_DAY, b->prev_first, b->prev_last);
	o.from_day = b->first;
	o.to_day = b->last;
	o.limit = TOP_N;
	b->top = xl_analyze_new(XL_ANALYZE_TOP, &o);
	b->cats = xl_analyze_new(XL_ANALYZE_CATEGORIES, &o);
	/* Every buyer's facts up to the period's last day. */
	o = (struct xl_analyze_opts)XL_ANALYZE_OPTS_INIT;
	o.as_of_day = b->last + 1;
	b->segs = xl_analyze_new(XL_ANALYZE_SEGMENTS, &o);
	if (grouped) {
		xl_analyze_set_grouped(b->trend);
		xl_analyze_set_grouped(b->prev);
		xl_analyze_set_grouped(b->top);
		xl_analyze_set_grouped(b->segs);
	}
}

struct xl_report_build *xl_report_build_new(enum xl_report_kind kind, int64_t first, int64_t last)
{
	struct xl_report_build *b = xl_xcalloc(1, sizeof(*b));
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
	new_sums(b, 0);

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
	xl_analyze_free(b->history);
	if (b->spool)
		fclose(b->spool);
	if (b->db && b->copying)
		xl_db_copy_out_end(b->db, &(struct xl_err)XL_ERR_INIT);
	if (b->db && b->in_tx)
		xl_db_exec(b->db, "ROLLBACK", 0, NULL, NULL, &(struct xl_err)XL_ERR_INIT);
	xl_db_close(b->db2);
	for (size_t i = 0; i < xl_hash_count(&b->product_ids); i++) {
		free(b->products[i].sku);
		free(b->products[i].name);
		free(b->products[i].category);
		free(b->products[i].category_name);
	}
	free(b->products);
	xl_hash_release(&b->product_ids);
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

/* Count a fact in every analysis. */
static int add_sums(struct xl_report_build *b, const struct xl_analyze_fact *f, struct xl_err *err)
{
	struct xl_analyze *all[] = { b->trend, b->prev, b->top, b->cats, b->segs };
	int ret;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if ((ret = xl_analyze_add_fact(all[i], f, err)) < 0)
			return ret;
	return 0;
}

int xl_report_build_add(struct xl_report_build *b, const json_t *rec, struct xl_err *err)
{
	struct xl_analyze_fact f;
	int ret = xl_analyze_parse_fact(rec, &f, err);

	if (ret == 0)
		ret = add_sums(b, &f, err);
	return ret < 0 ? ret : spool_line(b, &f, err);
}

/* ---- the database source ---------------------------------------------- */

/*
 * The facts come from the orders and their lines as the order_lines view
 * has them (migration 007), but in statements shaped for a stream:
 *
 * products_sql: every product with its category, once (the catalogue is
 * small beside the lines: a line then carries only its product's id);
 *
 * refunds_sql: the refunds of both periods (few, in any order);
 *
 * lines_sql: every sold order of both periods in time order (then order
 * id), each with its lines in line order, or alone when it has none (a
 * row with no line, for its shipping fee). Orders are read in order from
 * the index on placed_at and each one's lines looked up by the primary
 * key, so the first rows leave at once and nothing is sorted but the
 * orders placed in the same microsecond: the detail is written as the rows
 * come, instead of after a sort of them all. The instant is sent as it is
 * (in UTC) and its Seoul day worked out here, as for records: AT TIME ZONE
 * costs the server more than the rest of a row. COPY takes no parameters;
 * the bounds are the transaction's settings xlcfi.report_from and _to.
 */
static const char *const products_sql =
	"SELECT p.id, p.sku, p.name, c.slug, c.name FROM products p JOIN categories c ON c.id = p.category_id";

static const char *const refunds_sql =
	"SELECT ((r.created_at AT TIME ZONE 'Asia/Seoul')::date - DATE '1970-01-01'), o.id, o.buyer_id, "
	"-r.amount_minor, r.currency::text "
	"FROM refunds r JOIN payments pay ON pay.id = r.payment_id JOIN orders o ON o.id = pay.order_id "
	"WHERE r.status = 'succeeded' AND r.created_at >= $1::timestamptz AND r.created_at < $2::timestamptz";

static const char *const lines_sql =
	"COPY (SELECT o.placed_at, o.id, o.buyer_id, o.shipping_minor, o.currency, i.line_no, i.product_id, "
	"i.quantity, i.quantity::bigint * i.unit_price_minor "
	"FROM (SELECT f.id, f.buyer_id, f.placed_at, f.shipping_minor, f.currency FROM order_facts f "
	"WHERE f.sold AND f.placed_at >= current_setting('xlcfi.report_from')::timestamptz "
	"AND f.placed_at < current_setting('xlcfi.report_to')::timestamptz ORDER BY f.placed_at, f.id) o "
	"LEFT JOIN LATERAL (SELECT i.line_no, i.product_id, i.quantity, i.unit_price_minor FROM order_items i "
	"WHERE i.order_id = o.id ORDER BY i.line_no) i ON true "
	"ORDER BY o.placed_at, o.id, i.line_no) TO STDOUT";

enum { L_AT, L_ORDER, L_USER, L_SHIPPING, L_CURRENCY, L_LINE_NO, L_PRODUCT, L_QTY, L_AMOUNT, L_NCOLS };

static int parse_i64(const char *s, int64_t *v, struct xl_err *err)
{
	if (!s || xl_num_parse_i64(s, v) < 0)
		return xl_err_set(err, XL_ERANGE, "database: '%s' does not fit 64 bits", s ? s : "NULL");
	return 0;
}

/* The Seoul day of a timestamptz as PostgreSQL writes it in UTC ("2026-11-23 03:00:00.5+00"). */
static int seoul_day(const char *s, int64_t *day, struct xl_err *err)
{
	char buf[48];
	size_t n = s ? strlen(s) : 0;
	int64_t us;

	if (n < 3 || n + 4 > sizeof(buf))
		return xl_err_set(err, XL_EDB, "database: cannot read the time '%s'", s ? s : "NULL");
	memcpy(buf, s, n + 1);
	/* An offset of whole hours comes without its minutes. */
	if (buf[n - 3] == '+' || buf[n - 3] == '-')
		memcpy(buf + n, ":00", 4);
	if (xl_time_parse(buf, &us, err) < 0)
		return xl_err_set(err, XL_EDB, "database: cannot read the time '%s'", s);
	*day = xl_period_seoul_day(us);
	return 0;
}

static int product_row(const PGresult *r, void *arg, struct xl_err *err)
{
	struct xl_report_build *b = arg;
	struct product *p;
	int64_t id;
	size_t slot;
	int added;

	if (parse_i64(PQgetvalue(r, 0, 0), &id, err) < 0)
		return -XL_ERANGE;
	slot = xl_hash_i64(&b->product_ids, id, &added);
	if (!added)
		return 0;
	if (slot >= b->productcap) {
		b->productcap = b->productcap ? 2 * b->productcap : 256;
		b->products = xl_xrealloc(b->products, b->productcap * sizeof(*b->products));
	}
	p = &b->products[slot];
	p->sku = xl_xstrdup(PQgetvalue(r, 0, 1));
	p->name = PQgetisnull(r, 0, 2) ? NULL : xl_xstrdup(PQgetvalue(r, 0, 2));
	p->category = PQgetisnull(r, 0, 3) ? NULL : xl_xstrdup(PQgetvalue(r, 0, 3));
	p->category_name = PQgetisnull(r, 0, 4) ? NULL : xl_xstrdup(PQgetvalue(r, 0, 4));
	return 0;
}

static int refund_row(const PGresult *r, void *arg, struct xl_err *err)
{
	struct xl_analyze_fact f;
	int64_t v[4];

	for (int i = 0; i < 4; i++)
		if (parse_i64(PQgetvalue(r, 0, i), &v[i], err) < 0)
			return -XL_ERANGE;
	memset(&f, 0, sizeof(f));
	f.kind = XL_FACT_REFUND;
	f.day = v[0];
	f.order_id = v[1];
	f.user_id = v[2];
	f.sold = 1;
	f.sku = "";
	f.amount = v[3];
	f.currency = PQgetvalue(r, 0, 4);
	return add_sums(arg, &f, err);
}

/*
 * A row of the stream, on the thread that reads it (xl_db_copy_out_begin):
 * every fact is counted here (shipping fees, and the lines of the
 * previous period, give no line), so the sums cost the thread that writes
 * the workbook nothing; a line of the period is handed over as a struct
 * stream_line. The analyses, and the fields of b this touches, are this
 * thread's until the stream ends.
 */
static int stream_row(char *row, size_t len, const char **out, size_t *outlen, void *arg, struct xl_err *err)
{
	static const int num[] = { L_ORDER, L_USER, L_SHIPPING };
	struct xl_report_build *b = arg;
	char *col[L_NCOLS];
	struct xl_analyze_fact f;
	const struct product *p;
	int64_t v[L_NCOLS];
	size_t slot;
	int ret;

	if (xl_db_copy_fields(row, len, col, L_NCOLS) != L_NCOLS)
		return xl_err_set(err, XL_EDB, "database: a row of the facts has not %d columns", L_NCOLS);
	for (size_t i = 0; i < sizeof(num) / sizeof(num[0]); i++)
		if (parse_i64(col[num[i]], &v[num[i]], err) < 0)
			return -XL_ERANGE;
	memset(&f, 0, sizeof(f));
	f.order_id = v[L_ORDER];
	f.user_id = v[L_USER];
	f.sold = 1;
	f.currency = col[L_CURRENCY] ? col[L_CURRENCY] : "";
	/* An order's day, and its shipping fee, at its first row. */
	if (!b->have_order || f.order_id != b->cur_order) {
		if ((ret = seoul_day(col[L_AT], &b->cur_day, err)) < 0)
			return ret;
		b->cur_order = f.order_id;
		b->have_order = 1;
		f.day = b->cur_day;
		if (v[L_SHIPPING] > 0) {
			f.kind = XL_FACT_SHIPPING;
			f.sku = "";
			f.amount = v[L_SHIPPING];
			if ((ret = add_sums(b, &f, err)) < 0)
				return ret;
		}
	}
	f.day = b->cur_day;
	if (!col[L_LINE_NO])
		return 0;
	if (parse_i64(col[L_PRODUCT], &v[L_PRODUCT], err) < 0 || parse_i64(col[L_QTY], &v[L_QTY], err) < 0 ||
	    parse_i64(col[L_AMOUNT], &v[L_AMOUNT], err) < 0)
		return -XL_ERANGE;
	/* Every item has its product, by its foreign key, in the same snapshot. */
	if (xl_hash_find_i64(&b->product_ids, v[L_PRODUCT], &slot) < 0)
		return xl_err_set(err, XL_EDB, "database: order %lld has a line of product %lld, which is not there",
				  (long long)f.order_id, (long long)v[L_PRODUCT]);
	p = &b->products[slot];
	f.kind = XL_FACT_LINE;
	f.sku = p->sku;
	f.name = p->name;
	f.category = p->category;
	f.category_name = p->category_name;
	f.qty = v[L_QTY];
	f.amount = v[L_AMOUNT];
	if ((ret = add_sums(b, &f, err)) < 0)
		return ret;
	if (f.day < b->first || f.day > b->last)
		return 0;
	/* The currency of the facts up to the period's first line, for the money's format. */
	if (!b->first_currency[0])
		snprintf(b->first_currency, sizeof(b->first_currency), "%s", xl_analyze_currency(b->trend));
	b->handed = (struct stream_line){ f.day, f.order_id, f.user_id, f.qty, f.amount, p };
	*out = (const char *)&b->handed;
	*outlen = sizeof(b->handed);
	return 1;
}

/* The next line of the period from the stream: 1 with *line, 0 at the end, or an error. */
static int stream_next(struct xl_report_build *b, struct xl_report_line *line, struct xl_err *err)
{
	struct stream_line s;
	char *row;
	size_t len;
	int ret = xl_db_copy_out_next(b->db, &row, &len, err);

	if (ret != 1)
		return ret;
	assert(len == sizeof(s));
	memcpy(&s, row, sizeof(s));
	line->day = xl_date_from_days(s.day);
	line->order_id = s.order_id;
	line->user_id = s.user_id;
	line->sku = s.product->sku;
	line->name = s.product->name ? s.product->name : "";
	line->qty = s.qty;
	line->amount_minor = s.amount;
	return 1;
}

static int db_next_line(void *arg, struct xl_report_line *line, struct xl_err *err)
{
	struct xl_report_build *b = arg;
	int ret;

	if (b->have_peeked) {
		*line = b->peeked;
		b->have_peeked = 0;
		ret = 1;
	} else {
		ret = stream_next(b, line, err);
	}
	if (ret == 1)
		b->lines++;
	return ret;
}

int xl_report_build_load(struct xl_report_build *b, struct xl_db *db, struct xl_err *err)
{
	struct xl_analyze_opts o = XL_ANALYZE_OPTS_INIT;
	char *snapshot = NULL;
	int ret;

	assert(!b->db);
	b->db = db;
	/* One snapshot for every sum and the detail: the sheets agree. */
	ret = xl_db_exec(db, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, err);
	if (ret < 0)
		return ret;
	b->in_tx = 1;
	/*
	 * JIT compiling would take longer than the stream's own work; the
	 * instants come in UTC, in ISO format, for seoul_day.
	 */
	ret = xl_db_exec(db, "SET LOCAL jit = off", 0, NULL, NULL, err);
	if (ret == 0)
		ret = xl_db_exec(db, "SET LOCAL TimeZone = 'UTC'", 0, NULL, NULL, err);
	if (ret == 0)
		ret = xl_db_exec(db, "SET LOCAL DateStyle = 'ISO'", 0, NULL, NULL, err);
	/*
	 * The segments count every buyer's facts up to the period's last day:
	 * those before the stream's first day are summed in SQL on a second
	 * connection in the same snapshot, while the stream is read; those of
	 * the stream are added as they go by.
	 */
	if (ret == 0)
		ret = xl_db_snapshot_export(db, &snapshot, err);
	if (ret == 0)
		ret = xl_db_connect_like(&b->db2, db, err);
	if (ret == 0)
		ret = xl_db_exec(b->db2, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, NULL, err);
	if (ret == 0)
		ret = xl_db_snapshot_import(b->db2, snapshot, err);
	free(snapshot);
	if (ret < 0)
		return ret;
	o.to_day = b->prev_first - 1;
	o.as_of_day = b->last + 1;
	b->history = xl_analyze_new(XL_ANALYZE_SEGMENTS, &o);
	if ((ret = xl_analyze_load_send(b->history, b->db2, err)) < 0)
		return ret;
	b->history_sent = 1;
	/* The facts come in time order, an order's lines together. */
	new_sums(b, 1);
	return 0;
}

/* Start reading the facts: the refunds, then the stream of the lines. */
static int stream_begin(struct xl_report_build *b, struct xl_err *err)
{
	char from[XL_TIME_BUFSZ], to[XL_TIME_BUFSZ];
	const char *params[2] = { from, to };
	int ret;

	xl_time_format(from, sizeof(from), xl_time_seoul_day_start(xl_date_from_days(b->prev_first)), 540, 0);
	xl_time_format(to, sizeof(to), xl_time_seoul_day_start(xl_date_from_days(b->last + 1)), 540, 0);
	/* The products once: a second try reads the same snapshot. */
	ret = xl_hash_count(&b->product_ids) ? 0 : xl_db_each_row(b->db, products_sql, 0, NULL, product_row, b, err);
	if (ret == 0)
		ret = xl_db_each_row(b->db, refunds_sql, 2, params, refund_row, b, err);
	if (ret == 0)
		ret = xl_db_exec(b->db, "SELECT set_config('xlcfi.report_from', $1, true), "
				 "set_config('xlcfi.report_to', $2, true)", 2, params, NULL, err);
	b->have_order = 0;
	b->have_peeked = 0;
	b->first_currency[0] = '\0';
	b->lines = 0;
	if (ret == 0)
		ret = xl_db_copy_out_begin(b->db, lines_sql, stream_row, b, err);
	if (ret < 0)
		return ret;
	b->copying = 1;
	return 0;
}

static int stream_end(struct xl_report_build *b, struct xl_err *err)
{
	if (!b->copying)
		return 0;
	b->copying = 0;
	return xl_db_copy_out_end(b->db, err);
}

/* ---- the report ----------------------------------------------------- */

/* What a writer may read before the finish hook. */
static void fill_head(struct xl_report_build *b, const char *currency)
{
	struct xl_report *r = &b->r;

	memset(r, 0, sizeof(*r));
	r->title = b->title;
	r->period_name = b->kind == XL_REPORT_WEEKLY ? "week" : b->kind == XL_REPORT_MONTHLY ? "month" : "range";
	snprintf(r->currency, sizeof(r->currency), "%s", currency);
	r->first = xl_date_from_days(b->first);
	r->last = xl_date_from_days(b->last);
	r->generated_us = xl_time_now();
}

/* Finish the sums and fill in the rest of the report. */
static int fill_sums(struct xl_report_build *b, struct xl_err *err)
{
	struct xl_analyze *all[] = { b->trend, b->prev, b->top, b->cats, b->segs };
	struct xl_report *r = &b->r;
	int ret;

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if ((ret = xl_analyze_finish(all[i], err)) < 0)
			return ret;
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
	return 0;
}

/*
 * The database source's finish hook: the rest of the stream, the segments
 * from the second connection, and the sums. The money was written in the
 * currency of the first facts; should the period's currency (the first
 * code in alphabetical order among all its facts) turn out another one,
 * it fails and says so in currency_changed, and the report is written
 * again in that currency.
 */
static int db_finish(void *arg, struct xl_err *err)
{
	struct xl_report_build *b = arg;
	struct xl_report_line line;
	int ret;

	while ((ret = stream_next(b, &line, err)) == 1)
		;
	if (ret == 0)
		ret = stream_end(b, err);
	if (ret == 0 && b->history_sent) {
		ret = xl_analyze_load_recv(b->history, b->db2, err);
		b->history_sent = 0;
		b->history_read = ret == 0;
		if (ret == 0)
			ret = xl_db_exec(b->db2, "COMMIT", 0, NULL, NULL, err);
		xl_db_close(b->db2);
		b->db2 = NULL;
	}
	if (ret == 0 && b->history_read)
		ret = xl_analyze_merge(b->segs, b->history, err);
	if (ret < 0)
		return ret;
	if (strcmp(xl_analyze_currency(b->trend), b->currency)) {
		snprintf(b->currency, sizeof(b->currency), "%s", xl_analyze_currency(b->trend));
		b->currency_changed = 1;
		return xl_err_set(err, XL_EFAIL, "the report's currency changed to %s as it was written", b->currency);
	}
	return fill_sums(b, err);
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
	while (ret == 0 && (ret = b->r.next_line(b->r.next_line_arg, &line, err)) == 1) {
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

/* Write the report in the format, its detail from r.next_line, its sums at r.finish. */
static int write_format(struct xl_report_build *b, enum xl_report_format format, struct xl_atfile *f, int cp949,
			struct xl_err *err)
{
	struct xl_report *r = &b->r;
	struct xl_report_line line;
	int ret;

	switch (format) {
	case XL_REPORT_XLSX:
		return xl_xlsx_report_write(r, f->tmp, err);
	case XL_REPORT_CSV:
		ret = write_csv(b, f->fp, cp949, err);
		if (ret == 0 && r->finish)
			ret = r->finish(r->finish_arg, err);
		return ret;
	case XL_REPORT_HTML:
		/* No detail in a page: the lines are read for their sums only. */
		ret = 0;
		if (r->finish) {
			while ((ret = r->next_line(r->next_line_arg, &line, err)) == 1)
				;
			if (ret == 0)
				ret = r->finish(r->finish_arg, err);
			r->finish = NULL;
		}
		b->lines = 0;
		return ret < 0 ? ret : xl_html_report_write(r, f->fp, err);
	}
	return xl_err_set(err, XL_EINVAL, "unknown report format");
}

/* One try at writing the report from the database. */
/* Write the report to path through a temporary file: whole or not at all. */
static int write_atomic(struct xl_report_build *b, enum xl_report_format format, const char *path, int cp949,
			struct xl_err *err)
{
	struct xl_atfile f;
	int ret;

	if ((ret = xl_atfile_open(&f, path, err)) < 0)
		return ret;
	ret = write_format(b, format, &f, cp949, err);
	if (ret < 0) {
		xl_atfile_abort(&f);
		return ret;
	}
	return xl_atfile_commit(&f, err);
}

static int write_db_once(struct xl_report_build *b, enum xl_report_format format, const char *path, int cp949,
			 struct xl_err *err)
{
	int ret;

	if ((ret = stream_begin(b, err)) < 0)
		return ret;
	/*
	 * The money is written in the currency of the facts read up to the
	 * first line of the period, unless an earlier try found the right one.
	 */
	if (!b->currency[0]) {
		ret = stream_next(b, &b->peeked, err);
		if (ret < 0)
			return ret;
		b->have_peeked = ret == 1;
		/* Without a line the stream has ended, and every fact is counted. */
		snprintf(b->currency, sizeof(b->currency), "%s",
			 ret == 1 ? b->first_currency : xl_analyze_currency(b->trend));
	}
	fill_head(b, b->currency);
	b->r.next_line = db_next_line;
	b->r.next_line_arg = b;
	b->r.finish = db_finish;
	b->r.finish_arg = b;
	return write_atomic(b, format, path, cp949, err);
}

static int write_db(struct xl_report_build *b, enum xl_report_format format, const char *path, int cp949,
		    struct xl_err *err)
{
	int ret = write_db_once(b, format, path, cp949, err);

	if (ret < 0 && b->currency_changed) {
		/* The same snapshot again, so the second try finds the currency the first one did. */
		b->currency_changed = 0;
		stream_end(b, &(struct xl_err)XL_ERR_INIT);
		new_sums(b, 1);
		xl_err_clear(err);
		ret = write_db_once(b, format, path, cp949, err);
	}
	if (ret == 0)
		ret = xl_db_exec(b->db, "COMMIT", 0, NULL, NULL, err);
	if (ret == 0)
		b->in_tx = 0;
	return ret;
}

int xl_report_build_write(struct xl_report_build *b, enum xl_report_format format, const char *path, int cp949,
			  struct xl_err *err)
{
	int ret;

	if (b->db)
		return write_db(b, format, path, cp949, err);
	if (!b->finished) {
		fill_head(b, xl_analyze_currency(b->trend));
		if ((ret = fill_sums(b, err)) < 0)
			return ret;
		b->finished = 1;
	}
	if ((ret = rewind_detail(b, err)) < 0)
		return ret;
	b->r.next_line = next_line;
	b->r.next_line_arg = b;
	b->r.finish = NULL;
	return write_atomic(b, format, path, cp949, err);
}

uint64_t xl_report_build_lines(const struct xl_report_build *b)
{
	return b->lines;
}

uint64_t xl_report_build_replaced(const struct xl_report_build *b)
{
	return b->replaced;
}
