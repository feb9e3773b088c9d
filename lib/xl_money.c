#include "xl_money.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "xl_num.h"
#include "xl_banned.h"

static const struct {
	char code[4];
	int exponent;
} currencies[] = {
	{ "KRW", 0 }, { "JPY", 0 }, { "VND", 0 }, { "CLP", 0 }, { "ISK", 0 },
	{ "USD", 2 }, { "EUR", 2 }, { "GBP", 2 }, { "CNY", 2 }, { "HKD", 2 },
	{ "SGD", 2 }, { "TWD", 2 }, { "AUD", 2 }, { "CAD", 2 }, { "CHF", 2 },
	{ "THB", 2 }, { "MYR", 2 }, { "PHP", 2 }, { "IDR", 2 }, { "INR", 2 },
	{ "NZD", 2 }, { "SEK", 2 }, { "NOK", 2 }, { "DKK", 2 }, { "MXN", 2 },
	{ "BHD", 3 }, { "KWD", 3 }, { "OMR", 3 }, { "JOD", 3 }, { "TND", 3 },
};

int xl_money_exponent(const char *currency)
{
	for (size_t i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
		if (!strcmp(currencies[i].code, currency))
			return currencies[i].exponent;
	return -XL_ENOTFOUND;
}

int xl_money_add(int64_t a, int64_t b, int64_t *out)
{
	int64_t r;

	if (__builtin_add_overflow(a, b, &r))
		return -XL_ERANGE;
	*out = r;
	return 0;
}

int xl_money_mul(int64_t a, int64_t n, int64_t *out)
{
	int64_t r;

	if (__builtin_mul_overflow(a, n, &r))
		return -XL_ERANGE;
	*out = r;
	return 0;
}

static int unknown_currency(const char *currency, struct xl_err *err)
{
	return xl_err_set(err, XL_EINVAL, "unknown currency '%s'", currency);
}

int xl_money_parse(const char *s, const char *currency, int64_t *minor, struct xl_err *err)
{
	int exp = xl_money_exponent(currency);
	const char *p = s;
	int neg = 0, digits = 0, frac = 0, seen_point = 0;
	int64_t acc = 0;

	if (exp < 0)
		return unknown_currency(currency, err);
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	for (; *p; p++) {
		if (*p == '.' && !seen_point) {
			seen_point = 1;
			continue;
		}
		if (*p < '0' || *p > '9')
			return xl_err_set(err, XL_EINVAL, "invalid amount '%s': expected a decimal number like 12.50", s);
		digits++;
		if (seen_point && ++frac > exp) {
			if (*p != '0')
				return xl_err_set(err, XL_EINVAL,
						  "invalid amount '%s': %s has %d decimal place%s", s,
						  currency, exp, exp == 1 ? "" : "s");
			continue;
		}
		if (__builtin_mul_overflow(acc, 10, &acc) ||
		    __builtin_add_overflow(acc, neg ? -(*p - '0') : (*p - '0'), &acc))
			return xl_err_set(err, XL_ERANGE, "amount '%s' is too large", s);
	}
	if (!digits)
		return xl_err_set(err, XL_EINVAL, "invalid amount '%s': expected a decimal number like 12.50", s);
	for (; frac < exp; frac++)
		if (__builtin_mul_overflow(acc, 10, &acc))
			return xl_err_set(err, XL_ERANGE, "amount '%s' is too large", s);
	*minor = acc;
	return 0;
}

int xl_money_from_json_major(const json_t *v, const char *currency, int64_t *minor, struct xl_err *err)
{
	char num[XL_NUM_DBL_BUFSZ];
	int exp = xl_money_exponent(currency);
	int64_t r;

	if (exp < 0)
		return unknown_currency(currency, err);
	if (json_is_integer(v)) {
		r = json_integer_value(v);
		for (int i = 0; i < exp; i++)
			if (__builtin_mul_overflow(r, 10, &r))
				return xl_err_set(err, XL_ERANGE, "amount %lld is too large",
						  (long long)json_integer_value(v));
		*minor = r;
		return 0;
	}
	if (json_is_string(v))
		return xl_money_parse(json_string_value(v), currency, minor, err);
	if (json_is_real(v)) {
		double d = json_real_value(v);

		if (xl_num_format_double(num, sizeof(num), d) < 0)
			return xl_err_set(err, XL_EINVAL, "amount %g is not a number", d);
		if (!strpbrk(num, "eE"))
			return xl_money_parse(num, currency, minor, err);
		/* Large whole amounts print with an exponent (1e+16): take them as integers. */
		if (d != trunc(d) || !(d > -9.2e18 && d < 9.2e18))
			return xl_err_set(err, d != trunc(d) ? XL_EINVAL : XL_ERANGE,
					  "amount %g is not a plain decimal number", d);
		snprintf(num, sizeof(num), "%lld", (long long)d);
		return xl_money_parse(num, currency, minor, err);
	}
	return xl_err_set(err, XL_EINVAL, "amount must be a number or a decimal string");
}

int xl_money_format(char *buf, size_t size, int64_t minor, const char *currency)
{
	int exp = xl_money_exponent(currency);
	uint64_t u = minor < 0 ? (uint64_t)0 - (uint64_t)minor : (uint64_t)minor;
	uint64_t scale = 1;

	if (exp < 0)
		return -XL_ENOTFOUND;
	for (int i = 0; i < exp; i++)
		scale *= 10;
	if (exp == 0)
		return snprintf(buf, size, "%s%llu", minor < 0 ? "-" : "", (unsigned long long)u);
	return snprintf(buf, size, "%s%llu.%0*llu", minor < 0 ? "-" : "",
			(unsigned long long)(u / scale), exp, (unsigned long long)(u % scale));
}
