/* Unit tests for lib/xl_period.h: Seoul days, ISO weeks and months. */
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_period.h"

static int64_t day(int y, int m, int d)
{
	return xl_date_to_days((struct xl_date){ y, m, d });
}

static void expect_label(enum xl_period p, int64_t d, const char *want)
{
	char buf[XL_PERIOD_LABELSZ];

	xl_period_label(p, xl_period_start(p, d), buf, sizeof(buf));
	assert_string_equal(buf, want);
}

static void test_parse(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	enum xl_period p;

	(void)state;
	assert_int_equal(xl_period_parse("week", &p, &err), 0);
	assert_int_equal(p, XL_PERIOD_WEEK);
	assert_int_equal(xl_period_parse("month", &p, &err), 0);
	assert_int_equal(p, XL_PERIOD_MONTH);
	assert_int_equal(xl_period_parse("fortnight", &p, &err), -XL_EINVAL);
	assert_non_null(strstr(err.msg, "'fortnight'"));
	assert_string_equal(xl_period_name(XL_PERIOD_DAY), "day");
}

static void test_iso_weeks(void **state)
{
	(void)state;
	/* Monday to Sunday. */
	assert_int_equal(xl_period_start(XL_PERIOD_WEEK, day(2026, 11, 29)), day(2026, 11, 23));
	assert_int_equal(xl_period_start(XL_PERIOD_WEEK, day(2026, 11, 23)), day(2026, 11, 23));
	assert_int_equal(xl_period_last(XL_PERIOD_WEEK, day(2026, 11, 23)), day(2026, 11, 29));
	expect_label(XL_PERIOD_WEEK, day(2026, 11, 25), "2026-W48");
	/* 2026 starts on a Thursday: 53 weeks; 2027-01-01 is in 2026-W53. */
	expect_label(XL_PERIOD_WEEK, day(2026, 1, 1), "2026-W01");
	expect_label(XL_PERIOD_WEEK, day(2027, 1, 1), "2026-W53");
	expect_label(XL_PERIOD_WEEK, day(2027, 1, 4), "2027-W01");
	/* 2024-12-30 (Monday) starts 2025-W01. */
	expect_label(XL_PERIOD_WEEK, day(2024, 12, 31), "2025-W01");
	/* 2021-01-03 (Sunday) is still in 2020-W53. */
	expect_label(XL_PERIOD_WEEK, day(2021, 1, 3), "2020-W53");
	/* Before 1970 too. */
	expect_label(XL_PERIOD_WEEK, day(1969, 12, 31), "1970-W01");
}

static void test_months(void **state)
{
	(void)state;
	assert_int_equal(xl_period_start(XL_PERIOD_MONTH, day(2024, 2, 29)), day(2024, 2, 1));
	assert_int_equal(xl_period_last(XL_PERIOD_MONTH, day(2024, 2, 1)), day(2024, 2, 29));
	assert_int_equal(xl_period_next(XL_PERIOD_MONTH, day(2026, 12, 1)), day(2027, 1, 1));
	expect_label(XL_PERIOD_MONTH, day(2026, 12, 31), "2026-12");
	assert_int_equal(xl_period_month_index(day(2026, 1, 15)), 2026 * 12);
	assert_int_equal(xl_period_month_day(2026 * 12 + 11), day(2026, 12, 1));
	expect_label(XL_PERIOD_DAY, day(2026, 3, 9), "2026-03-09");
}

static void test_seoul_day(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t us;

	(void)state;
	assert_int_equal(xl_time_parse("2026-11-22T14:59:59.999999Z", &us, &err), 0);
	assert_int_equal(xl_period_seoul_day(us), day(2026, 11, 22));
	assert_int_equal(xl_time_parse("2026-11-22T15:00:00Z", &us, &err), 0);
	assert_int_equal(xl_period_seoul_day(us), day(2026, 11, 23));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_iso_weeks),
		cmocka_unit_test(test_months),
		cmocka_unit_test(test_seoul_day),
	};

	return cmocka_run_group_tests_name("xl_period", tests, NULL, NULL);
}
