/*
 * xl_analyze without a database: facts added one at a time, grouped by
 * order or not, and segments summed in two parts and merged, against the
 * same facts added to one analysis.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xl_analyze.h"

/* A buyer's order of n lines on a day, its shipping fee first, as the report's stream gives them. */
struct order {
	int64_t day, id, user, shipping;
	int lines;
	int64_t amount;         /* each line's; a refund when negative */
};

static const struct order shop[] = {
	{ 20000, 1, 7, 3000, 2, 1500 },
	{ 20001, 2, 8, 0, 1, 4500 },
	{ 20003, 3, 7, 0, 3, 1000 },
	{ 20004, 1, 7, 0, 0, -2000 },      /* a refund of order 1 */
	{ 20010, 4, 9, 0, 1, 90000 },
	{ 20011, 5, 7, 2500, 1, 800 },
	{ 20012, 6, 8, 0, 2, 700 },
	{ 20013, 7, 10, 0, 1, 12000 },
	{ 20020, 8, 9, 0, 1, 300 },
};

static void add_order(struct xl_analyze *a, const struct order *o)
{
	struct xl_analyze_fact f = { .day = o->day, .order_id = o->id, .user_id = o->user, .sold = 1,
				     .sku = "", .currency = "KRW" };
	struct xl_err err = XL_ERR_INIT;

	if (o->amount < 0) {
		f.kind = XL_FACT_REFUND;
		f.amount = o->amount;
		assert_int_equal(xl_analyze_add_fact(a, &f, &err), 0);
		return;
	}
	if (o->shipping) {
		f.kind = XL_FACT_SHIPPING;
		f.amount = o->shipping;
		assert_int_equal(xl_analyze_add_fact(a, &f, &err), 0);
	}
	for (int i = 0; i < o->lines; i++) {
		f.kind = XL_FACT_LINE;
		f.sku = i % 2 ? "KF-002" : "KF-001";
		f.qty = 1 + i;
		f.amount = o->amount;
		assert_int_equal(xl_analyze_add_fact(a, &f, &err), 0);
	}
}

static struct xl_analyze *segments(int64_t from, int64_t to, int grouped)
{
	struct xl_analyze_opts o = XL_ANALYZE_OPTS_INIT;
	struct xl_analyze *a;

	o.from_day = from;
	o.to_day = to;
	o.as_of_day = 20021;
	a = xl_analyze_new(XL_ANALYZE_SEGMENTS, &o);
	if (grouped)
		xl_analyze_set_grouped(a);
	return a;
}

static void expect_same_segments(struct xl_analyze *a, struct xl_analyze *b)
{
	const struct xl_report_segment *x, *y;
	struct xl_err err = XL_ERR_INIT;
	size_t nx, ny, customers = 0;

	assert_int_equal(xl_analyze_finish(a, &err), 0);
	assert_int_equal(xl_analyze_finish(b, &err), 0);
	x = xl_analyze_segments(a, &nx);
	y = xl_analyze_segments(b, &ny);
	assert_int_equal(nx, ny);
	assert_true(nx > 0);
	for (size_t i = 0; i < nx; i++) {
		assert_string_equal(x[i].segment, y[i].segment);
		assert_int_equal(x[i].customers, y[i].customers);
		assert_int_equal(x[i].monetary_minor, y[i].monetary_minor);
		assert_true(x[i].recency_days == y[i].recency_days);
		assert_true(x[i].frequency == y[i].frequency);
		customers += (size_t)x[i].customers;
	}
	assert_int_equal(customers, 4);
	assert_int_equal(xl_analyze_count(a), xl_analyze_count(b));
}

/* Grouped by order, each order counts once however many lines it has. */
static void test_grouped_frequency(void **state)
{
	struct xl_analyze *all = segments(XL_ANALYZE_OPEN, XL_ANALYZE_OPEN, 0);
	struct xl_analyze *grouped = segments(XL_ANALYZE_OPEN, XL_ANALYZE_OPEN, 1);

	(void)state;
	for (size_t i = 0; i < sizeof(shop) / sizeof(shop[0]); i++) {
		add_order(all, &shop[i]);
		add_order(grouped, &shop[i]);
	}
	expect_same_segments(all, grouped);
	xl_analyze_free(all);
	xl_analyze_free(grouped);
}

/* History up to a day, and the days after it streamed, merged: as all of it at once. */
static void test_merge(void **state)
{
	struct xl_err err = XL_ERR_INIT;

	(void)state;
	for (int64_t cut = 20000; cut <= 20021; cut += 3) {
		struct xl_analyze *all = segments(XL_ANALYZE_OPEN, XL_ANALYZE_OPEN, 0);
		struct xl_analyze *history = segments(XL_ANALYZE_OPEN, cut - 1, 0);
		struct xl_analyze *recent = segments(XL_ANALYZE_OPEN, XL_ANALYZE_OPEN, 1);

		for (size_t i = 0; i < sizeof(shop) / sizeof(shop[0]); i++) {
			add_order(all, &shop[i]);
			if (shop[i].day < cut)
				add_order(history, &shop[i]);
			else
				add_order(recent, &shop[i]);
		}
		assert_int_equal(xl_analyze_merge(recent, history, &err), 0);
		expect_same_segments(all, recent);
		xl_analyze_free(all);
		xl_analyze_free(history);
		xl_analyze_free(recent);
	}
}

static void test_merge_overflow(void **state)
{
	struct xl_analyze *a = segments(XL_ANALYZE_OPEN, XL_ANALYZE_OPEN, 0);
	struct xl_analyze *b = segments(XL_ANALYZE_OPEN, XL_ANALYZE_OPEN, 0);
	struct order big = { 20000, 1, 7, 0, 1, INT64_MAX - 10 };
	struct xl_err err = XL_ERR_INIT;

	(void)state;
	add_order(a, &big);
	big.id = 2;
	add_order(b, &big);
	assert_int_equal(xl_analyze_merge(a, b, &err), -XL_ERANGE);
	xl_analyze_free(a);
	xl_analyze_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_grouped_frequency),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_merge_overflow),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
