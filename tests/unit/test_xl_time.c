/* Unit tests for lib/xl_time.h: instants, Seoul days, ISO weeks. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_time.h"

#define US XL_TIME_US_PER_SEC

static int64_t parse_ok(const char *s)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t us = 0;
	int ret = xl_time_parse(s, &us, &err);

	if (ret != 0)
		fail_msg("parse '%s': %d %s", s, ret, err.msg);
	return us;
}

static void expect_parse_err(const char *s)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t us = 77;

	if (xl_time_parse(s, &us, &err) != -XL_EINVAL)
		fail_msg("'%s' was accepted", s);
	assert_int_equal(err.code, XL_EINVAL);
	assert_true(err.msg[0] != '\0');
	assert_null(strchr(err.msg, '\n'));
	assert_true(us == 77);
}

static struct xl_date mkdate(int y, int m, int d)
{
	struct xl_date r = { y, m, d };

	return r;
}

static void expect_date(struct xl_date d, int y, int m, int day)
{
	if (d.year != y || d.month != m || d.day != day)
		fail_msg("got %04d-%02d-%02d, want %04d-%02d-%02d", d.year, d.month, d.day, y, m, day);
}

static void test_parse_epoch_and_known(void **state)
{
	(void)state;
	assert_true(parse_ok("1970-01-01T00:00:00Z") == 0);
	assert_true(parse_ok("1970-01-01T00:00:01Z") == US);
	assert_true(parse_ok("2026-01-01T00:00:00Z") == INT64_C(1767225600) * US);
	assert_true(parse_ok("2026-01-01T15:30:00Z") == (INT64_C(1767225600) + 15 * 3600 + 1800) * US);
	assert_true(parse_ok("2000-02-29T12:00:00Z") == INT64_C(951825600) * US);
}

static void test_seoul_day_boundaries(void **state)
{
	(void)state;
	expect_date(xl_time_seoul_date(parse_ok("2026-01-01T15:30:00Z")), 2026, 1, 2);
	expect_date(xl_time_seoul_date(parse_ok("2026-01-01T14:59:59Z")), 2026, 1, 1);
	expect_date(xl_time_seoul_date(parse_ok("2026-01-01T14:59:59.999999Z")), 2026, 1, 1);
	expect_date(xl_time_seoul_date(parse_ok("2026-01-01T15:00:00Z")), 2026, 1, 2);
	expect_date(xl_time_seoul_date(parse_ok("2026-01-31T15:00:00Z")), 2026, 2, 1);
	expect_date(xl_time_seoul_date(parse_ok("2026-01-31T14:59:59Z")), 2026, 1, 31);
	expect_date(xl_time_seoul_date(parse_ok("2026-02-28T14:59:59.999999Z")), 2026, 2, 28);
	expect_date(xl_time_seoul_date(parse_ok("2026-02-28T15:00:00Z")), 2026, 3, 1);
	expect_date(xl_time_seoul_date(parse_ok("2028-02-28T15:00:00Z")), 2028, 2, 29);
	expect_date(xl_time_seoul_date(parse_ok("2026-12-31T15:00:00Z")), 2027, 1, 1);
}

static void test_offsets(void **state)
{
	int64_t base = parse_ok("2026-01-01T15:30:00Z");

	(void)state;
	assert_true(parse_ok("2026-01-02T00:30:00+09:00") == base);
	assert_true(parse_ok("2026-01-01T10:30:00-05:00") == base);
	assert_true(parse_ok("2026-01-01T15:30:00+00:00") == base);
	assert_true(parse_ok("2026-01-01T15:30:00-00:00") == base);
	assert_true(parse_ok("2026-01-01T21:00:00+05:30") == base);
	assert_true(parse_ok("2026-01-02T00:30:00.25+09:00") == base + 250000);
}

static void test_fraction_and_separators(void **state)
{
	int64_t base = parse_ok("2026-01-01T15:30:00Z");

	(void)state;
	assert_true(parse_ok("2026-01-01T15:30:00.5Z") == base + 500000);
	assert_true(parse_ok("2026-01-01T15:30:00.123Z") == base + 123000);
	assert_true(parse_ok("2026-01-01T15:30:00.000001Z") == base + 1);
	assert_true(parse_ok("2026-01-01T15:30:00.123456Z") == base + 123456);
	/* Beyond microseconds: truncated, not rounded. */
	assert_true(parse_ok("2026-01-01T15:30:00.1234569Z") == base + 123456);
	assert_true(parse_ok("2026-01-01T15:30:00.999999999Z") == base + 999999);
	assert_true(parse_ok("2026-01-01t15:30:00z") == base);
	assert_true(parse_ok("2026-01-01 15:30:00Z") == base);
	assert_true(parse_ok("2026-01-01t15:30:00.5z") == base + 500000);
}

static void test_leap_days(void **state)
{
	(void)state;
	assert_true(parse_ok("2028-02-29T00:00:00Z") == parse_ok("2028-02-28T00:00:00Z") + XL_TIME_US_PER_DAY);
	parse_ok("2000-02-29T00:00:00Z");
	expect_parse_err("2026-02-29T00:00:00Z");
	expect_parse_err("1900-02-29T00:00:00Z");
	assert_true(xl_date_valid(mkdate(2028, 2, 29)));
	assert_true(xl_date_valid(mkdate(2000, 2, 29)));
	assert_false(xl_date_valid(mkdate(2026, 2, 29)));
	assert_false(xl_date_valid(mkdate(2100, 2, 29)));
	assert_false(xl_date_valid(mkdate(2026, 4, 31)));
	assert_false(xl_date_valid(mkdate(2026, 13, 1)));
	assert_false(xl_date_valid(mkdate(2026, 0, 1)));
	assert_false(xl_date_valid(mkdate(2026, 1, 0)));
	assert_false(xl_date_valid(mkdate(2026, 1, 32)));
	assert_true(xl_date_valid(mkdate(2026, 12, 31)));
}

static void test_parse_bad(void **state)
{
	(void)state;
	expect_parse_err("2026-13-01T00:00:00Z");
	expect_parse_err("2026-00-01T00:00:00Z");
	expect_parse_err("2026-01-32T00:00:00Z");
	expect_parse_err("2026-01-01T00:00:00");
	expect_parse_err("2026-01-01");
	expect_parse_err("2026-01-01T");
	expect_parse_err("2026-01-01T00:00:00Zjunk");
	expect_parse_err("2026-01-01T00:00:00Z ");
	expect_parse_err("2026-01-01T00:00:00+09:00x");
	expect_parse_err("2026-01-01T24:00:00Z");
	expect_parse_err("2026-01-01T00:60:00Z");
	expect_parse_err("2026-01-01T00:00:61Z");
	expect_parse_err("2026-01-01T00:00Z");
	expect_parse_err("2026-01-01T00:00:00.Z");
	expect_parse_err("2026-01-01T00:00:00+0900");
	expect_parse_err("2026-01-01T00:00:00+9:00");
	expect_parse_err("2026-01-01T00:00:00+24:00");
	expect_parse_err("2026-01-01X00:00:00Z");
	expect_parse_err("26-01-01T00:00:00Z");
	expect_parse_err(" 2026-01-01T00:00:00Z");
	expect_parse_err("");
}

static void expect_format(int64_t us, int off, int frac, const char *want)
{
	char buf[XL_TIME_BUFSZ];
	int n = xl_time_format(buf, sizeof(buf), us, off, frac);

	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
	/* And it reads back as the same instant, truncated to frac digits. */
	if (frac == 6)
		assert_true(parse_ok(buf) == us);
}

static void test_format_round_trip(void **state)
{
	int64_t t = parse_ok("2026-01-01T15:30:05.123456Z");

	(void)state;
	expect_format(t, 0, 0, "2026-01-01T15:30:05Z");
	expect_format(t, 0, 3, "2026-01-01T15:30:05.123Z");
	expect_format(t, 0, 6, "2026-01-01T15:30:05.123456Z");
	expect_format(t, 540, 0, "2026-01-02T00:30:05+09:00");
	expect_format(t, 540, 3, "2026-01-02T00:30:05.123+09:00");
	expect_format(t, 540, 6, "2026-01-02T00:30:05.123456+09:00");
	expect_format(t, -300, 0, "2026-01-01T10:30:05-05:00");
	expect_format(t, 330, 6, "2026-01-01T21:00:05.123456+05:30");
	expect_format(0, 0, 0, "1970-01-01T00:00:00Z");
	assert_true(parse_ok("2026-01-02T00:30:05+09:00") == t - 123456);
	assert_true(parse_ok("2026-01-02T00:30:05.123+09:00") == t - 456);
}

static void test_negative_instants(void **state)
{
	(void)state;
	assert_true(parse_ok("1969-12-31T23:59:59Z") == -US);
	assert_true(parse_ok("1969-12-31T23:59:59.5Z") == -US / 2);
	assert_true(parse_ok("1969-12-31T23:59:59.999999Z") == -1);
	assert_true(parse_ok("1969-07-20T20:17:40Z") == INT64_C(-14182940) * US);
	expect_format(-1, 0, 6, "1969-12-31T23:59:59.999999Z");
	expect_format(-1, 0, 0, "1969-12-31T23:59:59Z");
	expect_format(-US / 2, 0, 3, "1969-12-31T23:59:59.500Z");
	expect_format(INT64_C(-14182940) * US, 540, 0, "1969-07-21T05:17:40+09:00");
	expect_format(-US, -300, 6, "1969-12-31T18:59:59.000000-05:00");
	expect_date(xl_time_seoul_date(-1), 1970, 1, 1);
	expect_date(xl_time_seoul_date(-9 * 3600 * US), 1970, 1, 1);
	expect_date(xl_time_seoul_date(-9 * 3600 * US - 1), 1969, 12, 31);
}

static void test_days_conversion(void **state)
{
	(void)state;
	assert_true(xl_date_to_days(mkdate(1970, 1, 1)) == 0);
	assert_true(xl_date_to_days(mkdate(1969, 12, 31)) == -1);
	assert_true(xl_date_to_days(mkdate(2000, 3, 1)) == 11017);
	assert_true(xl_date_to_days(mkdate(2026, 1, 1)) == 20454);
	expect_date(xl_date_from_days(0), 1970, 1, 1);
	expect_date(xl_date_from_days(-1), 1969, 12, 31);
	expect_date(xl_date_from_days(20454), 2026, 1, 1);
	expect_date(xl_date_from_days(-719162), 1, 1, 1);
	expect_date(xl_date_from_days(2932896), 9999, 12, 31);
	for (int64_t d = -719162; d <= 2932896; d += 997) {
		struct xl_date x = xl_date_from_days(d);

		assert_true(xl_date_valid(x));
		assert_true(xl_date_to_days(x) == d);
	}
	/* Proleptic and any year: still a bijection outside 1..9999. */
	for (int64_t d = -2000000; d < 5000000; d += 9973)
		assert_true(xl_date_to_days(xl_date_from_days(d)) == d);
	for (int64_t d = 20000; d < 21500; d++) {
		struct xl_date a = xl_date_from_days(d), b = xl_date_from_days(d + 1);

		assert_true(xl_date_to_days(a) == d);
		/* Consecutive days are consecutive in the calendar. */
		if (b.day != 1)
			assert_true(b.day == a.day + 1 && b.month == a.month);
		else
			assert_true(a.day >= 28);
	}
}

static void test_date_parse_format(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_date d = { 1, 1, 1 };
	char buf[XL_TIME_BUFSZ];

	(void)state;
	assert_int_equal(xl_date_parse("2026-11-25", &d, &err), 0);
	expect_date(d, 2026, 11, 25);
	assert_int_equal(xl_date_format(buf, sizeof(buf), d), 10);
	assert_string_equal(buf, "2026-11-25");
	assert_int_equal(xl_date_format(buf, sizeof(buf), mkdate(987, 3, 4)), 10);
	assert_string_equal(buf, "0987-03-04");
	assert_int_equal(xl_date_parse("2026-02-29", &d, &err), -XL_EINVAL);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(xl_date_parse("2026-11-25T00:00:00Z", &d, &err), -XL_EINVAL);
	assert_int_equal(xl_date_parse("2026-1-25", &d, &err), -XL_EINVAL);
	assert_int_equal(xl_date_parse("2026-11-2", &d, &err), -XL_EINVAL);
	assert_int_equal(xl_date_parse("", &d, &err), -XL_EINVAL);
	assert_int_equal(xl_date_parse("2026/11/25", &d, &err), -XL_EINVAL);
	expect_date(d, 2026, 11, 25);
}

static void expect_week(int y, int m, int d, int wy, int ww)
{
	int iy = 0, iw = 0;

	xl_date_iso_week(mkdate(y, m, d), &iy, &iw);
	if (iy != wy || iw != ww)
		fail_msg("%04d-%02d-%02d: got %d-W%02d, want %d-W%02d", y, m, d, iy, iw, wy, ww);
}

static void test_iso_week(void **state)
{
	char buf[XL_TIME_BUFSZ];

	(void)state;
	expect_week(2027, 1, 1, 2026, 53);
	expect_week(2026, 12, 31, 2026, 53);
	expect_week(2021, 1, 3, 2020, 53);
	expect_week(2021, 1, 4, 2021, 1);
	expect_week(2024, 12, 30, 2025, 1);
	expect_week(2024, 12, 29, 2024, 52);
	expect_week(2026, 1, 1, 2026, 1);
	expect_week(2025, 12, 29, 2026, 1);
	expect_week(2026, 11, 25, 2026, 48);
	expect_week(2027, 1, 4, 2027, 1);
	assert_int_equal(xl_date_format_week(buf, sizeof(buf), mkdate(2027, 1, 1)), 8);
	assert_string_equal(buf, "2026-W53");
	assert_int_equal(xl_date_format_week(buf, sizeof(buf), mkdate(2026, 1, 5)), 8);
	assert_string_equal(buf, "2026-W02");
	assert_int_equal(xl_date_format_month(buf, sizeof(buf), mkdate(2026, 3, 31)), 7);
	assert_string_equal(buf, "2026-03");
}

static void test_weekday(void **state)
{
	(void)state;
	assert_int_equal(xl_date_weekday(mkdate(2026, 11, 25)), 3);
	assert_int_equal(xl_date_weekday(mkdate(1970, 1, 1)), 4);
	assert_int_equal(xl_date_weekday(mkdate(1969, 12, 28)), 7);
	assert_int_equal(xl_date_weekday(mkdate(1969, 12, 29)), 1);
	assert_int_equal(xl_date_weekday(mkdate(2026, 1, 1)), 4);
	assert_int_equal(xl_date_weekday(mkdate(2024, 12, 30)), 1);
	assert_int_equal(xl_date_weekday(mkdate(2021, 1, 3)), 7);
	for (int d = 1; d <= 7; d++)
		assert_int_equal(xl_date_weekday(mkdate(2026, 11, 22 + d)), d);
}

static void test_week_and_month_start(void **state)
{
	(void)state;
	expect_date(xl_date_week_start(mkdate(2026, 11, 25)), 2026, 11, 23);
	expect_date(xl_date_week_start(mkdate(2026, 11, 23)), 2026, 11, 23);
	expect_date(xl_date_week_start(mkdate(2026, 11, 29)), 2026, 11, 23);
	expect_date(xl_date_week_start(mkdate(2027, 1, 1)), 2026, 12, 28);
	expect_date(xl_date_week_start(mkdate(2026, 3, 1)), 2026, 2, 23);
	expect_date(xl_date_month_start(mkdate(2026, 11, 25)), 2026, 11, 1);
	expect_date(xl_date_month_start(mkdate(2028, 2, 29)), 2028, 2, 1);
	expect_date(xl_date_month_start(mkdate(2026, 1, 1)), 2026, 1, 1);
}

static void test_seoul_day_start(void **state)
{
	(void)state;
	assert_true(xl_time_seoul_day_start(mkdate(2026, 1, 2)) == parse_ok("2026-01-01T15:00:00Z"));
	assert_true(xl_time_seoul_day_start(mkdate(1970, 1, 1)) == -9 * 3600 * US);
	assert_true(xl_time_seoul_day_start(mkdate(2028, 3, 1)) -
		    xl_time_seoul_day_start(mkdate(2028, 2, 28)) == 2 * XL_TIME_US_PER_DAY);
	for (int64_t d = 20400; d < 20800; d += 7) {
		struct xl_date x = xl_date_from_days(d);
		int64_t s = xl_time_seoul_day_start(x);

		expect_date(xl_time_seoul_date(s), x.year, x.month, x.day);
		expect_date(xl_time_seoul_date(s - 1), xl_date_from_days(d - 1).year,
			    xl_date_from_days(d - 1).month, xl_date_from_days(d - 1).day);
	}
}

static void test_now(void **state)
{
	int64_t a = xl_time_now(), b = xl_time_now();

	(void)state;
	assert_true(a > parse_ok("2020-01-01T00:00:00Z"));
	assert_true(b >= a);
	assert_true(llabs((long long)(a / US - (int64_t)time(NULL))) <= 2);
}

/* Everything above again with TZ set to a zone that has DST. */
static void test_independent_of_tz(void **state)
{
	const char *old = getenv("TZ");
	char *saved = old ? strdup(old) : NULL;
	char buf[XL_TIME_BUFSZ];
	int y, w;

	(void)state;
	assert_int_equal(setenv("TZ", "America/New_York", 1), 0);
	tzset();
	assert_true(parse_ok("2026-01-01T15:30:00Z") == (INT64_C(1767225600) + 15 * 3600 + 1800) * US);
	assert_true(parse_ok("2026-07-01T00:00:00Z") == INT64_C(1782864000) * US);
	expect_date(xl_time_seoul_date(parse_ok("2026-01-01T15:00:00Z")), 2026, 1, 2);
	expect_date(xl_time_seoul_date(parse_ok("2026-03-08T06:30:00Z")), 2026, 3, 8);
	assert_true(xl_time_seoul_day_start(mkdate(2026, 1, 2)) == parse_ok("2026-01-01T15:00:00Z"));
	xl_time_format(buf, sizeof(buf), parse_ok("2026-07-01T00:00:00Z"), 0, 0);
	assert_string_equal(buf, "2026-07-01T00:00:00Z");
	xl_time_format(buf, sizeof(buf), parse_ok("2026-01-01T15:30:00Z"), 540, 3);
	assert_string_equal(buf, "2026-01-02T00:30:00.000+09:00");
	assert_int_equal(xl_date_weekday(mkdate(2026, 11, 25)), 3);
	xl_date_iso_week(mkdate(2027, 1, 1), &y, &w);
	assert_int_equal(y, 2026);
	assert_int_equal(w, 53);
	if (saved) {
		setenv("TZ", saved, 1);
		free(saved);
	} else {
		unsetenv("TZ");
	}
	tzset();
}

static void test_leap_second_and_messages(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t a, b;

	(void)state;
	assert_int_equal(xl_time_parse("2016-12-31T23:59:60Z", &a, &err), 0);
	assert_int_equal(xl_time_parse("2017-01-01T00:00:00Z", &b, &err), 0);
	assert_true(a == b - 1);
	assert_int_equal(xl_time_parse("2016-12-31T23:58:60Z", &a, &err), -XL_EINVAL);
	/* A day that does not exist is named as such. */
	assert_int_equal(xl_time_parse("2026-02-29T00:00:00Z", &a, &err), -XL_EINVAL);
	assert_non_null(strstr(err.msg, "no such day"));
	assert_true(xl_time_mono() > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_epoch_and_known),
		cmocka_unit_test(test_seoul_day_boundaries),
		cmocka_unit_test(test_offsets),
		cmocka_unit_test(test_fraction_and_separators),
		cmocka_unit_test(test_leap_days),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_negative_instants),
		cmocka_unit_test(test_days_conversion),
		cmocka_unit_test(test_date_parse_format),
		cmocka_unit_test(test_iso_week),
		cmocka_unit_test(test_weekday),
		cmocka_unit_test(test_week_and_month_start),
		cmocka_unit_test(test_seoul_day_start),
		cmocka_unit_test(test_now),
		cmocka_unit_test(test_independent_of_tz),
		cmocka_unit_test(test_leap_second_and_messages),
	};

	return cmocka_run_group_tests_name("xl_time", tests, NULL, NULL);
}
