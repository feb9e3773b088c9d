/* Unit tests for lib/xl_num.h: strict number parsing and double formatting. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_num.h"
#include "xl_err.h"

#define UNTOUCHED INT64_C(0x5A5A5A5A)

static void expect_i64(const char *s, int64_t want)
{
	int64_t v = UNTOUCHED;

	assert_int_equal(xl_num_parse_i64(s, &v), 0);
	assert_true(v == want);
}

static void expect_i64_err(const char *s, int code)
{
	int64_t v = UNTOUCHED;

	assert_int_equal(xl_num_parse_i64(s, &v), -code);
	assert_true(v == UNTOUCHED);
}

static void test_parse_i64_valid(void **state)
{
	(void)state;
	expect_i64("0", 0);
	expect_i64("-0", 0);
	expect_i64("+7", 7);
	expect_i64("42", 42);
	expect_i64("-42", -42);
	expect_i64("007", 7);
	expect_i64("9223372036854775807", INT64_MAX);
	expect_i64("-9223372036854775808", INT64_MIN);
	expect_i64("9223372036854775806", INT64_MAX - 1);
	expect_i64("-9223372036854775807", INT64_MIN + 1);
}

static void test_parse_i64_range(void **state)
{
	(void)state;
	expect_i64_err("9223372036854775808", XL_ERANGE);
	expect_i64_err("-9223372036854775809", XL_ERANGE);
	expect_i64_err("99999999999999999999", XL_ERANGE);
	expect_i64_err("18446744073709551616", XL_ERANGE);
	expect_i64_err("-18446744073709551616", XL_ERANGE);
}

static void test_parse_i64_invalid(void **state)
{
	(void)state;
	expect_i64_err("", XL_EINVAL);
	expect_i64_err("-", XL_EINVAL);
	expect_i64_err("+", XL_EINVAL);
	expect_i64_err("12a", XL_EINVAL);
	expect_i64_err(" 1", XL_EINVAL);
	expect_i64_err("1 ", XL_EINVAL);
	expect_i64_err("1.0", XL_EINVAL);
	expect_i64_err("0x10", XL_EINVAL);
	expect_i64_err("--1", XL_EINVAL);
	expect_i64_err("1e3", XL_EINVAL);
	/* Junk wins over overflow: it is not an integer at all. */
	expect_i64_err("99999999999999999999x", XL_EINVAL);
}

static void test_parse_range(void **state)
{
	int64_t v = UNTOUCHED;

	(void)state;
	assert_int_equal(xl_num_parse_range("5", 1, 10, &v), 0);
	assert_true(v == 5);
	assert_int_equal(xl_num_parse_range("1", 1, 10, &v), 0);
	assert_true(v == 1);
	assert_int_equal(xl_num_parse_range("10", 1, 10, &v), 0);
	assert_true(v == 10);
	v = UNTOUCHED;
	assert_int_equal(xl_num_parse_range("0", 1, 10, &v), -XL_ERANGE);
	assert_int_equal(xl_num_parse_range("11", 1, 10, &v), -XL_ERANGE);
	assert_int_equal(xl_num_parse_range("-3", 1, 10, &v), -XL_ERANGE);
	assert_int_equal(xl_num_parse_range("x", 1, 10, &v), -XL_EINVAL);
	assert_int_equal(xl_num_parse_range("99999999999999999999", 1, 10, &v), -XL_ERANGE);
	assert_true(v == UNTOUCHED);
}

static void expect_size(const char *s, size_t want)
{
	size_t v = 12345;

	assert_int_equal(xl_num_parse_size(s, &v), 0);
	assert_true(v == want);
}

static void expect_size_err(const char *s, int code)
{
	size_t v = 12345;

	assert_int_equal(xl_num_parse_size(s, &v), -code);
	assert_true(v == 12345);
}

static void test_parse_size(void **state)
{
	(void)state;
	expect_size("16M", (size_t)16 << 20);
	expect_size("16m", (size_t)16 << 20);
	expect_size("512k", (size_t)512 << 10);
	expect_size("512K", (size_t)512 << 10);
	expect_size("2G", (size_t)2 << 30);
	expect_size("2g", (size_t)2 << 30);
	expect_size("1000", 1000);
	expect_size("0", 0);
	expect_size("0k", 0);
	expect_size_err("1x", XL_EINVAL);
	expect_size_err("", XL_EINVAL);
	expect_size_err("k", XL_EINVAL);
	expect_size_err("M", XL_EINVAL);
	expect_size_err("-1", XL_EINVAL);
	expect_size_err("-1k", XL_EINVAL);
	expect_size_err("+1", XL_EINVAL);
	expect_size_err("1.5M", XL_EINVAL);
	expect_size_err("16MB", XL_EINVAL);
	expect_size_err(" 16M", XL_EINVAL);
	expect_size_err("1kk", XL_EINVAL);
	expect_size_err("99999999999999999999", XL_ERANGE);
	if (SIZE_MAX == UINT64_MAX) {
		expect_size("17179869183G", (size_t)17179869183 << 30);
		expect_size_err("17179869184G", XL_ERANGE);
	}
}

static void expect_dbl(double v, const char *want)
{
	char buf[XL_NUM_DBL_BUFSZ];
	int n;

	memset(buf, 'X', sizeof(buf));
	n = xl_num_format_double(buf, sizeof(buf), v);
	assert_int_equal(n, (int)strlen(want));
	assert_string_equal(buf, want);
	assert_true(strtod(buf, NULL) == v);
}

static void test_format_double_shortest(void **state)
{
	(void)state;
	expect_dbl(0.1, "0.1");
	expect_dbl(1.0, "1.0");
	expect_dbl(0.0, "0.0");
	expect_dbl(-2.0, "-2.0");
	expect_dbl(12.5, "12.5");
	expect_dbl(-0.25, "-0.25");
	expect_dbl(1e300, "1e+300");
	expect_dbl(0.30000000000000004, "0.30000000000000004");
	expect_dbl(0.1 + 0.2, "0.30000000000000004");
	expect_dbl(123456789.0, "123456789.0");
	expect_dbl(9007199254740993.0, "9007199254740992.0");
	/* 74.51 * 100 is not a whole double, but 74.51 has two decimals all the same. */
	expect_dbl(74.51, "74.51");
	expect_dbl(69.18, "69.18");
}

static void test_format_double_round_trips(void **state)
{
	static const double vals[] = {
		1e300, -1e300, 1.7976931348623157e308, 2.2250738585072014e-308,
		4.9406564584124654e-324, 1.0 / 3.0, 2.0 / 3.0, 3.141592653589793,
		0.30000000000000004, 1e21, 1e22, 123456.789, -5e-5, 100.0, 1e-7, 1e15, 1e16,
		-0.0, 0.001, 4503599627370497.5,
	};

	(void)state;
	for (size_t i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		char buf[XL_NUM_DBL_BUFSZ];
		int n = xl_num_format_double(buf, sizeof(buf), vals[i]);

		assert_true(n > 0);
		assert_int_equal((size_t)n, strlen(buf));
		assert_true(strtod(buf, NULL) == vals[i]);
		/* Always reads as a JSON real, never as a bare integer. */
		assert_non_null(strpbrk(buf, ".eE"));
		/* At most 17 significant digits. */
		assert_true(n <= 24);
	}
}

static void test_format_double_nonfinite(void **state)
{
	char buf[XL_NUM_DBL_BUFSZ];

	(void)state;
	assert_int_equal(xl_num_format_double(buf, sizeof(buf), NAN), -XL_EINVAL);
	assert_int_equal(xl_num_format_double(buf, sizeof(buf), INFINITY), -XL_EINVAL);
	assert_int_equal(xl_num_format_double(buf, sizeof(buf), -INFINITY), -XL_EINVAL);
}

static void test_format_double_small_buffer(void **state)
{
	char buf[4];

	(void)state;
	/* "1.0" needs 4 bytes; "12.0" does not fit in 4. */
	assert_int_equal(xl_num_format_double(buf, sizeof(buf), 1.0), 3);
	assert_string_equal(buf, "1.0");
	assert_true(xl_num_format_double(buf, sizeof(buf), 12.0) < 0);
	assert_true(xl_num_format_double(buf, sizeof(buf), 0.125) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_i64_valid),
		cmocka_unit_test(test_parse_i64_range),
		cmocka_unit_test(test_parse_i64_invalid),
		cmocka_unit_test(test_parse_range),
		cmocka_unit_test(test_parse_size),
		cmocka_unit_test(test_format_double_shortest),
		cmocka_unit_test(test_format_double_round_trips),
		cmocka_unit_test(test_format_double_nonfinite),
		cmocka_unit_test(test_format_double_small_buffer),
	};

	return cmocka_run_group_tests_name("xl_num", tests, NULL, NULL);
}
