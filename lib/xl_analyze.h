#ifndef XL_ANALYZE_H
#define XL_ANALYZE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_db.h"
#include "xl_err.h"
#include "xl_period.h"
#include "xl_report.h"

/*
 * Sales analytics over the facts of the order_lines view (migration 007):
 * one row per order line, shipping fee and refund, each with its instant,
 * order, buyer, whether the order counts as sold, and a signed amount.
 *
 * An analysis is filled from one of two sources, with the same result:
 *   - the database: xl_analyze_load runs the aggregation in SQL and reads
 *     back only aggregates (per period, product, category, buyer ...);
 *   - a record stream: xl_analyze_add takes the records one at a time, as
 *     `xlcfi-etl export --table order_lines` writes them; memory grows
 *     with the distinct keys (periods, products, orders, buyers), never
 *     with the number of records.
 * Then xl_analyze_finish computes the rows (gap-filled periods, ranks,
 * scores, segments) with the same code for both sources.
 *
 * Rules (the man page, xlcfi-analyze(1), says the same):
 *   gross   = sold order lines + their shipping fees, at the order's time;
 *   refunds = refunds that succeeded, at the refund's time;
 *   net     = gross - refunds (negative when refunds exceed new sales);
 *   orders, buyers = distinct orders and buyers with sold lines;
 *   units   = quantities of sold lines;
 *   aov     = gross / orders, rounded half up.
 * Days are Asia/Seoul days; --from and --to are inclusive days.
 */

enum xl_analyze_kind {
	XL_ANALYZE_SALES,       /* per period (and currency) */
	XL_ANALYZE_TOP,         /* per product, best first */
	XL_ANALYZE_CATEGORIES,  /* per category, largest first, with its share */
	XL_ANALYZE_RFM,         /* per buyer: recency, frequency, monetary, scores, segment */
	XL_ANALYZE_SEGMENTS,    /* RFM per segment */
	XL_ANALYZE_COHORTS,     /* first-order month x months since */
	XL_ANALYZE_DASHBOARD    /* one record: 30-day trend, top 10, totals */
};

#define XL_ANALYZE_OPEN INT64_MIN   /* no bound / the default */

struct xl_analyze_opts {
	enum xl_period by;        /* SALES: the period */
	int64_t from_day;         /* first day counted, or XL_ANALYZE_OPEN */
	int64_t to_day;           /* last day counted, or XL_ANALYZE_OPEN */
	const char *category;     /* SALES, TOP: only lines of this category slug; NULL = all */
	int by_units;             /* TOP: rank by units instead of revenue */
	size_t limit;             /* TOP: at most this many rows; 0 = all */
	int64_t as_of_day;        /* RFM, SEGMENTS: recency is counted to this day, and only days
				   * before it count (default: the day after the last sale);
				   * DASHBOARD: the last day of the window
				   * (default: today in Seoul) */
};

/* Defaults: by day, no bounds, all categories, by revenue, no limit, default as-of. */
#define XL_ANALYZE_OPTS_INIT { XL_PERIOD_DAY, XL_ANALYZE_OPEN, XL_ANALYZE_OPEN, NULL, 0, 0, XL_ANALYZE_OPEN }

struct xl_analyze;

/* A new, empty analysis; free with xl_analyze_free (accepts NULL). o is copied (category too). */
struct xl_analyze *xl_analyze_new(enum xl_analyze_kind kind, const struct xl_analyze_opts *o);
void xl_analyze_free(struct xl_analyze *a);

/* One order_lines fact; strings are borrowed (the caller's, for the call). */
enum xl_analyze_fact_kind { XL_FACT_LINE, XL_FACT_SHIPPING, XL_FACT_REFUND };
struct xl_analyze_fact {
	enum xl_analyze_fact_kind kind;
	int64_t day;                          /* Asia/Seoul day of occurred_at */
	int64_t order_id, user_id;            /* user_id in [0, 2^46) */
	int sold;
	const char *status;                   /* may be NULL */
	const char *sku, *name, *category, *category_name; /* lines; sku not NULL, the others may be */
	const char *currency;                 /* 3 letters */
	int64_t qty, amount;                  /* amount: minor units, negative for refunds */
};

/*
 * An order_lines record as a fact (strings borrowed from rec). 0, or
 * -XL_EINVAL with err naming the field.
 */
int xl_analyze_parse_fact(const json_t *rec, struct xl_analyze_fact *f, struct xl_err *err);

/*
 * Promise, before the first fact, that the facts of an order's lines come
 * one after the other (as from SQL ordered by time and order): distinct
 * orders are then counted without remembering them, so memory no longer
 * grows with the number of orders.
 */
void xl_analyze_set_grouped(struct xl_analyze *a);

/*
 * RFM or SEGMENTS: add what src counted (loaded or added, not finished)
 * to dst (of the same kind, not finished), when the two counted facts of
 * different days, such as history from the database and recent facts as
 * they stream by: per buyer, the later last day, and frequency and
 * monetary summed. src is only read. 0 or -XL_ERANGE.
 */
int xl_analyze_merge(struct xl_analyze *dst, const struct xl_analyze *src, struct xl_err *err);

/* Count one fact (as xl_analyze_add, without the parsing). 0 or -XL_ERANGE. */
int xl_analyze_add_fact(struct xl_analyze *a, const struct xl_analyze_fact *f, struct xl_err *err);

/*
 * Stream source: count one order_lines record. 0 (also for a record the
 * options leave out); -XL_EINVAL with err naming the field for a record
 * that is not a fact (nothing is counted); -XL_ERANGE when a sum
 * overflows.
 */
int xl_analyze_add(struct xl_analyze *a, const json_t *rec, struct xl_err *err);

/* Database source: aggregate order_lines in SQL into a. 0 or -XL_EDB / -XL_ERANGE. */
int xl_analyze_load(struct xl_analyze *a, struct xl_db *db, struct xl_err *err);

/*
 * xl_analyze_load in two halves (any kind but DASHBOARD), so that the
 * server sums while the caller does something else: _send sends the
 * query, _recv reads its rows into a. Nothing else may run on db in
 * between. Errors as xl_analyze_load.
 */
int xl_analyze_load_send(struct xl_analyze *a, struct xl_db *db, struct xl_err *err);
int xl_analyze_load_recv(struct xl_analyze *a, struct xl_db *db, struct xl_err *err);

/* Compute the rows; once, after the adds or the load. 0 or -XL_ERANGE. */
int xl_analyze_finish(struct xl_analyze *a, struct xl_err *err);

/* After finish: the number of output records, and record i as a new JSON object (yours). */
size_t xl_analyze_count(const struct xl_analyze *a);
json_t *xl_analyze_record(const struct xl_analyze *a, size_t i);

/*
 * After finish, typed rows for the report (owned by a, valid until
 * xl_analyze_free; NULL with *n = 0 when the analysis is of another
 * kind). _totals sums a SALES analysis over all its periods (orders and
 * buyers are distinct over the whole range, not summed) in *out.
 */
const struct xl_report_sales *xl_analyze_sales(const struct xl_analyze *a, size_t *n);
int xl_analyze_totals(const struct xl_analyze *a, struct xl_report_sales *out);
const struct xl_report_product *xl_analyze_products(const struct xl_analyze *a, size_t *n);
const struct xl_report_category *xl_analyze_categories(const struct xl_analyze *a, size_t *n);
const struct xl_report_segment *xl_analyze_segments(const struct xl_analyze *a, size_t *n);

/* The currency of the facts counted ("KRW" when there were none). */
const char *xl_analyze_currency(const struct xl_analyze *a);

#endif
