#ifndef XL_REPORT_H
#define XL_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"
#include "xl_time.h"

/*
 * The contents of a sales report for one period, as the format writers
 * (xl_xlsx, xl_html, the CSV in xl_report.c) read it. Plain value records:
 * whoever fills a struct xl_report owns every string and array in it, and
 * the writers only read them. Money is in minor units of `currency`
 * (xl_money_exponent tells how many decimals); days are Asia/Seoul days.
 */

/* One period's sales (a row of the trend, or the totals of a period). */
struct xl_report_sales {
	struct xl_date first, last;   /* the period's first and last day */
	char label[16];               /* "2026-11-25", "2026-W48" or "2026-11" */
	int64_t gross_minor;          /* order lines and shipping of orders sold */
	int64_t refunds_minor;        /* refunds made in the period */
	int64_t net_minor;            /* gross - refunds; may be negative */
	int64_t orders, units, buyers;
	int64_t aov_minor;            /* gross / orders, rounded half up; 0 without orders */
};

struct xl_report_product {
	const char *sku, *name, *category;
	int64_t units, revenue_minor, orders;
};

struct xl_report_category {
	const char *category;         /* slug */
	const char *name;
	int64_t revenue_minor, units;
	double share;                 /* of all the categories' revenue, 0..1 */
};

struct xl_report_segment {
	const char *segment;          /* "Champions", "Loyal", ... */
	int64_t customers, monetary_minor;
	double recency_days, frequency; /* the segment's averages */
};

/* One order line of the detail sheet. */
struct xl_report_line {
	struct xl_date day;           /* the Asia/Seoul day the order was placed */
	int64_t order_id;
	int64_t user_id;
	const char *sku, *name;
	int64_t qty;
	int64_t amount_minor;         /* qty x unit price */
};

/*
 * Gives the detail lines one at a time: 1 with *line filled (its strings
 * stay valid until the next call), 0 at the end, or a negative XL_E* with
 * err set.
 */
typedef int (*xl_report_next_line)(void *arg, struct xl_report_line *line, struct xl_err *err);

/*
 * Called once, after next_line gave its last line (or at once when there
 * is no detail) and before a writer reads anything but the title, period,
 * currency and generation time: fills in the rest (totals, trend, top,
 * categories, segments), so a report can be written while its facts are
 * still being read. 0, or a negative XL_E* with err set, which the writer
 * returns as it is. xl_xlsx calls it; xl_html, which reads no detail,
 * takes only a report already filled in (finish NULL).
 */
typedef int (*xl_report_finish)(void *arg, struct xl_err *err);

struct xl_report {
	const char *title;            /* "Weekly sales report", ... */
	const char *period_name;      /* "week", "month" or "range" */
	char currency[4];
	struct xl_date first, last;   /* the period */
	int64_t generated_us;         /* when the report was made */
	struct xl_report_sales current, previous; /* totals: this period, the one before */
	const struct xl_report_sales *trend; size_t ntrend;   /* by day (by week past 92 days) */
	const struct xl_report_product *top; size_t ntop;     /* best first */
	const struct xl_report_category *categories; size_t ncategories; /* largest first */
	const struct xl_report_segment *segments; size_t nsegments;      /* RFM, in the man page's order */
	xl_report_next_line next_line; void *next_line_arg;  /* NULL: no detail */
	xl_report_finish finish; void *finish_arg;           /* NULL: all filled in already */
};

#endif
