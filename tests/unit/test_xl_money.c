/* Unit tests for lib/xl_money.h: integer minor-unit money. */
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_money.h"

#define UNTOUCHED INT64_C(0x5A5A5A5A)

static void test_exponent(void **state)
{
	(void)state;
	assert_int_equal(xl_money_exponent("KRW"), 0);
	assert_int_equal(xl_money_exponent("JPY"), 0);
	assert_int_equal(xl_money_exponent("USD"), 2);
	assert_int_equal(xl_money_exponent("EUR"), 2);
	assert_int_equal(xl_money_exponent("KWD"), 3);
	assert_int_equal(xl_money_exponent("XYZ"), -XL_ENOTFOUND);
	assert_int_equal(xl_money_exponent(""), -XL_ENOTFOUND);
	assert_int_equal(xl_money_exponent("usd"), -XL_ENOTFOUND);
	assert_int_equal(xl_money_exponent("USDX"), -XL_ENOTFOUND);
}

static void expect_parse(const char *s, const char *cur, int64_t want)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t v = UNTOUCHED;
	int ret = xl_money_parse(s, cur, &v, &err);

	if (ret != 0)
		fail_msg("parse '%s' %s: %d %s", s, cur, ret, err.msg);
	assert_true(v == want);
}

static void expect_parse_err(const char *s, const char *cur, int code)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t v = UNTOUCHED;

	assert_int_equal(xl_money_parse(s, cur, &v, &err), -code);
	assert_int_equal(err.code, code);
	assert_true(err.msg[0] != '\0');
	assert_null(strchr(err.msg, '\n'));
}

static void test_parse_valid(void **state)
{
	(void)state;
	expect_parse("12.50", "USD", 1250);
	expect_parse("12.5", "USD", 1250);
	expect_parse("12.500", "USD", 1250);
	expect_parse("12", "USD", 1200);
	expect_parse("12.", "USD", 1200);
	expect_parse(".5", "USD", 50);
	expect_parse("+3", "USD", 300);
	expect_parse("-3", "USD", -300);
	expect_parse("0", "USD", 0);
	expect_parse("-0.05", "USD", -5);
	expect_parse("0.01", "USD", 1);
	expect_parse("12500", "KRW", 12500);
	expect_parse("12500.000", "KRW", 12500);
	expect_parse("1.234", "KWD", 1234);
	expect_parse("1.2", "KWD", 1200);
	expect_parse("9223372036854775807", "KRW", INT64_MAX);
	expect_parse("-9223372036854775808", "KRW", INT64_MIN);
	expect_parse("92233720368547758.07", "USD", INT64_MAX);
	expect_parse("-92233720368547758.08", "USD", INT64_MIN);
	expect_parse("92233720368547758.070", "USD", INT64_MAX);
}

static void test_parse_too_precise(void **state)
{
	(void)state;
	expect_parse_err("12.505", "USD", XL_EINVAL);
	expect_parse_err("12.001", "USD", XL_EINVAL);
	expect_parse_err("1.5", "KRW", XL_EINVAL);
	expect_parse_err("1.2345", "KWD", XL_EINVAL);
}

static void test_parse_range(void **state)
{
	(void)state;
	expect_parse_err("9223372036854775808", "KRW", XL_ERANGE);
	expect_parse_err("-9223372036854775809", "KRW", XL_ERANGE);
	expect_parse_err("92233720368547758.08", "USD", XL_ERANGE);
	expect_parse_err("-92233720368547758.09", "USD", XL_ERANGE);
	/* Overflow only shows when the missing fraction digits are added. */
	expect_parse_err("922337203685477581", "USD", XL_ERANGE);
	expect_parse_err("99999999999999999999999", "KRW", XL_ERANGE);
}

static void test_parse_invalid(void **state)
{
	(void)state;
	expect_parse_err("", "USD", XL_EINVAL);
	expect_parse_err(".", "USD", XL_EINVAL);
	expect_parse_err("-", "USD", XL_EINVAL);
	expect_parse_err("-.", "USD", XL_EINVAL);
	expect_parse_err("1.2.3", "USD", XL_EINVAL);
	expect_parse_err("1e3", "USD", XL_EINVAL);
	expect_parse_err(" 1", "USD", XL_EINVAL);
	expect_parse_err("1 ", "USD", XL_EINVAL);
	expect_parse_err("1,000", "KRW", XL_EINVAL);
	expect_parse_err("--1", "USD", XL_EINVAL);
	expect_parse_err("$1", "USD", XL_EINVAL);
	expect_parse_err("0x10", "KRW", XL_EINVAL);
}

static void test_parse_unknown_currency(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t v = UNTOUCHED;

	(void)state;
	assert_true(xl_money_parse("1.00", "XYZ", &v, &err) < 0);
	assert_true(v == UNTOUCHED);
	assert_non_null(strstr(err.msg, "XYZ"));
}

static void test_from_json(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t v;
	json_t *j;

	(void)state;
	j = json_integer(5);
	v = UNTOUCHED;
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), 0);
	assert_true(v == 500);
	assert_int_equal(xl_money_from_json_major(j, "KRW", &v, &err), 0);
	assert_true(v == 5);
	assert_int_equal(xl_money_from_json_major(j, "KWD", &v, &err), 0);
	assert_true(v == 5000);
	json_decref(j);

	j = json_integer(-7);
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), 0);
	assert_true(v == -700);
	json_decref(j);

	j = json_string("12.50");
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), 0);
	assert_true(v == 1250);
	json_decref(j);

	j = json_string("12.505");
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), -XL_EINVAL);
	json_decref(j);

	j = json_real(12.5);
	v = UNTOUCHED;
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), 0);
	assert_true(v == 1250);
	json_decref(j);

	j = json_real(0.1);
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), 0);
	assert_true(v == 10);
	json_decref(j);

	j = json_real(-0.05);
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), 0);
	assert_true(v == -5);
	json_decref(j);

	j = json_real(100.0);
	assert_int_equal(xl_money_from_json_major(j, "KRW", &v, &err), 0);
	assert_true(v == 100);
	json_decref(j);
}

static void test_from_json_refused(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t v = UNTOUCHED;
	json_t *j;

	(void)state;
	j = json_real(0.001);
	assert_int_equal(xl_money_from_json_major(j, "GBP", &v, &err), -XL_EINVAL);
	assert_true(err.msg[0] != '\0');
	json_decref(j);

	j = json_real(0.1 + 0.2);
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), -XL_EINVAL);
	json_decref(j);

	j = json_real(12.5);
	assert_int_equal(xl_money_from_json_major(j, "KRW", &v, &err), -XL_EINVAL);
	json_decref(j);

	j = json_real(1e20);
	assert_true(xl_money_from_json_major(j, "KRW", &v, &err) < 0);
	json_decref(j);

	j = json_true();
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), -XL_EINVAL);
	assert_int_equal(xl_money_from_json_major(json_false(), "USD", &v, &err), -XL_EINVAL);
	assert_int_equal(xl_money_from_json_major(json_null(), "USD", &v, &err), -XL_EINVAL);
	json_decref(j);

	j = json_object();
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), -XL_EINVAL);
	json_decref(j);

	j = json_integer(INT64_MAX / 10);
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), -XL_ERANGE);
	json_decref(j);

	j = json_integer(INT64_MIN);
	assert_int_equal(xl_money_from_json_major(j, "USD", &v, &err), -XL_ERANGE);
	json_decref(j);

	j = json_integer(5);
	assert_true(xl_money_from_json_major(j, "XYZ", &v, &err) < 0);
	json_decref(j);
	assert_true(v == UNTOUCHED);
}

/*
 * A real with no fraction has no more precision than any currency, however
 * large, so 1e16 (e.g. written as 10000000000000000.0) must be accepted
 * while it fits.
 */
static void expect_from_real(double d, const char *cur, int64_t want)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t v = UNTOUCHED;
	json_t *j = json_real(d);
	int ret = xl_money_from_json_major(j, cur, &v, &err);

	json_decref(j);
	if (ret != 0)
		fail_msg("%.17g %s refused: %d %s", d, cur, ret, err.msg);
	assert_true(v == want);
}

static void test_from_json_large_integral_real(void **state)
{
	(void)state;
	expect_from_real(1e15, "KRW", INT64_C(1000000000000000));
	expect_from_real(1e16, "KRW", INT64_C(10000000000000000));
	expect_from_real(-1e18, "KRW", INT64_C(-1000000000000000000));
	expect_from_real(1e16, "USD", INT64_C(1000000000000000000));
}

static void test_add_mul(void **state)
{
	int64_t v = UNTOUCHED;

	(void)state;
	assert_int_equal(xl_money_add(1250, -5, &v), 0);
	assert_true(v == 1245);
	assert_int_equal(xl_money_add(INT64_MAX, 0, &v), 0);
	assert_true(v == INT64_MAX);
	assert_int_equal(xl_money_add(INT64_MIN, INT64_MAX, &v), 0);
	assert_true(v == -1);
	v = UNTOUCHED;
	assert_int_equal(xl_money_add(INT64_MAX, 1, &v), -XL_ERANGE);
	assert_int_equal(xl_money_add(INT64_MIN, -1, &v), -XL_ERANGE);
	assert_true(v == UNTOUCHED);

	assert_int_equal(xl_money_mul(1250, 3, &v), 0);
	assert_true(v == 3750);
	assert_int_equal(xl_money_mul(-5, 4, &v), 0);
	assert_true(v == -20);
	assert_int_equal(xl_money_mul(INT64_MAX, 1, &v), 0);
	assert_true(v == INT64_MAX);
	v = UNTOUCHED;
	assert_int_equal(xl_money_mul(INT64_MAX, 2, &v), -XL_ERANGE);
	assert_int_equal(xl_money_mul(INT64_MIN, -1, &v), -XL_ERANGE);
	assert_int_equal(xl_money_mul(INT64_C(4611686018427387904), 2, &v), -XL_ERANGE);
	assert_true(v == UNTOUCHED);
}

static void expect_format(int64_t minor, const char *cur, const char *want)
{
	char buf[XL_MONEY_BUFSZ];

	memset(buf, 'X', sizeof(buf));
	assert_int_equal(xl_money_format(buf, sizeof(buf), minor, cur), (int)strlen(want));
	assert_string_equal(buf, want);
}

static void test_format(void **state)
{
	char buf[XL_MONEY_BUFSZ];

	(void)state;
	expect_format(1250, "USD", "12.50");
	expect_format(-5, "USD", "-0.05");
	expect_format(0, "USD", "0.00");
	expect_format(1, "USD", "0.01");
	expect_format(-1250, "USD", "-12.50");
	expect_format(12500, "KRW", "12500");
	expect_format(-12500, "KRW", "-12500");
	expect_format(5, "KWD", "0.005");
	expect_format(-1234, "KWD", "-1.234");
	expect_format(INT64_MIN, "USD", "-92233720368547758.08");
	expect_format(INT64_MAX, "USD", "92233720368547758.07");
	expect_format(INT64_MIN, "KRW", "-9223372036854775808");
	assert_int_equal(xl_money_format(buf, sizeof(buf), 1, "XYZ"), -XL_ENOTFOUND);
}

static void test_format_parse_round_trip(void **state)
{
	static const int64_t vals[] = { 0, 1, -1, 99, -100, 123456789, INT64_MAX, INT64_MIN };
	static const char *const curs[] = { "KRW", "USD", "KWD" };

	(void)state;
	for (size_t c = 0; c < 3; c++)
		for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
			char buf[XL_MONEY_BUFSZ];
			struct xl_err err = XL_ERR_INIT;
			int64_t back = UNTOUCHED;

			assert_true(xl_money_format(buf, sizeof(buf), vals[i], curs[c]) > 0);
			assert_int_equal(xl_money_parse(buf, curs[c], &back, &err), 0);
			assert_true(back == vals[i]);
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exponent),
		cmocka_unit_test(test_parse_valid),
		cmocka_unit_test(test_parse_too_precise),
		cmocka_unit_test(test_parse_range),
		cmocka_unit_test(test_parse_invalid),
		cmocka_unit_test(test_parse_unknown_currency),
		cmocka_unit_test(test_from_json),
		cmocka_unit_test(test_from_json_refused),
		cmocka_unit_test(test_from_json_large_integral_real),
		cmocka_unit_test(test_add_mul),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_format_parse_round_trip),
	};

	return cmocka_run_group_tests_name("xl_money", tests, NULL, NULL);
}
