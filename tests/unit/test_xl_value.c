#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "xl_value.h"

static const struct xl_vcontext krw = { "KRW", "Asia/Seoul" };
static const struct xl_vcontext gbp = { "GBP", "Europe/London" };

/* s must come out as want, or be refused (with a reason) when want is NULL. */
static void expect(enum xl_vtype t, const char *s, const struct xl_vcontext *ctx, const char *want)
{
	static const char *const kinds[] = { "view", "cart", "purchase", NULL };
	struct xl_buf out = XL_BUF_INIT;
	struct xl_err err = XL_ERR_INIT;
	int ret = xl_value_check(t, 1, 5, kinds, s, ctx, &out, &err);

	if (!want && ret == 0)
		fail_msg("'%s' was accepted as '%s'", s, out.buf);
	if (want && ret < 0)
		fail_msg("'%s' was refused: %s", s, err.msg);
	if (want)
		assert_string_equal(out.buf, want);
	else
		assert_true(err.msg[0] != '\0' && out.len == 0);
	xl_buf_release(&out);
}

static void test_numbers_and_money(void **state)
{
	(void)state;
	expect(XL_V_INT, "3", &krw, "3");
	expect(XL_V_INT, "6", &krw, NULL);
	expect(XL_V_INT, "0", &krw, NULL);
	expect(XL_V_INT, "2.5", &krw, NULL);
	expect(XL_V_MONEY, "12,500", &krw, "12500");
	expect(XL_V_MONEY, "\xE2\x82\xA9" "12,500", &krw, "12500");     /* ₩ */
	expect(XL_V_MONEY, "\xEF\xBF\xA6" "9,900", &krw, "9900");       /* ￦ from CP949 */
	expect(XL_V_MONEY, "12.5", &krw, NULL);
	expect(XL_V_MONEY, "2.55", &gbp, "255");
	expect(XL_V_MONEY, "0.001", &gbp, NULL);
	expect(XL_V_MONEY, "-1", &gbp, NULL);
	expect(XL_V_MONEY_MINOR, "1250", &gbp, "1250");
	expect(XL_V_MONEY_MINOR, "-5", &gbp, NULL);
}

static void test_times(void **state)
{
	(void)state;
	expect(XL_V_TIME, "2026-01-01T15:30:00+09:00", &krw, "2026-01-01T06:30:00.000000Z");
	expect(XL_V_TIME, "2026-01-01 15:30", &krw, "2026-01-01 15:30 Asia/Seoul");
	expect(XL_V_TIME, "2010-12-01 08:26:00", &gbp, "2010-12-01 08:26:00 Europe/London");
	expect(XL_V_TIME, "2026-01-31", &krw, "2026-01-31 00:00:00 Asia/Seoul");
	expect(XL_V_TIME, "2026-02-30", &krw, NULL);
	expect(XL_V_TIME, "2026-01-01 25:00", &krw, NULL);
	expect(XL_V_TIME, "yesterday", &krw, NULL);
	expect(XL_V_TIME, "2026-01-01 10:00:00; DROP TABLE x", &krw, NULL);
}

static void test_words(void **state)
{
	(void)state;
	expect(XL_V_ENUM, "VIEW", &krw, "view");
	expect(XL_V_ENUM, "like", &krw, NULL);
	expect(XL_V_SKU, "KF-001/a_b.c", &krw, "KF-001/a_b.c");
	expect(XL_V_SKU, "BANK CHARGES", &krw, NULL);
	expect(XL_V_SKU, "-x", &krw, NULL);
	expect(XL_V_EMAIL, "Kim@Example.KR", &krw, "kim@example.kr");
	expect(XL_V_EMAIL, "kim@example", &krw, NULL);
	expect(XL_V_EMAIL, "a@b@c.kr", &krw, NULL);
	expect(XL_V_SLUG, "Napa-Kimchi", &krw, "napa-kimchi");
	expect(XL_V_SLUG, "napa--kimchi", &krw, NULL);
	expect(XL_V_SLUG, "김치", &krw, NULL);
	expect(XL_V_BOOL, "Yes", &krw, "true");
	expect(XL_V_BOOL, "0", &krw, "false");
	expect(XL_V_BOOL, "maybe", &krw, NULL);
	expect(XL_V_JSON, "{ \"kcal\" : 500 }", &krw, "{\"kcal\":500}");
	expect(XL_V_JSON, "[1]", &krw, NULL);
	expect(XL_V_CURRENCY, "GBP", &krw, "GBP");
	expect(XL_V_CURRENCY, "ABC", &krw, NULL);
	expect(XL_V_REF, "17850.0", &krw, "17850");
	expect(XL_V_REF, "C536379", &krw, "C536379");
	expect(XL_V_REF, "1.5", &krw, "1.5");
	expect(XL_V_TEXT, "김치 \"특\"", &krw, "김치 \"특\"");
	expect(XL_V_TEXT, "\xff", &krw, NULL);
}

static void test_is(void **state)
{
	(void)state;
	assert_true(xl_value_is_sku("KF-1"));
	assert_false(xl_value_is_sku(""));
	assert_true(xl_value_is_slug("a-b"));
	assert_false(xl_value_is_slug("a-"));
	assert_true(xl_value_is_email("a@b.kr"));
	assert_false(xl_value_is_email("a@.kr"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers_and_money),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_words),
		cmocka_unit_test(test_is),
	};

	return cmocka_run_group_tests_name("xl_value", tests, NULL, NULL);
}
