#include "xl_num.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_err.h"
#include "xl_banned.h"

int xl_num_parse_i64(const char *s, int64_t *out)
{
	const char *p = s;
	uint64_t acc = 0, limit;
	int neg = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (*p < '0' || *p > '9')
		return -XL_EINVAL;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *p >= '0' && *p <= '9'; p++) {
		unsigned d = (unsigned)(*p - '0');

		if (acc > (limit - d) / 10) {
			for (; *p >= '0' && *p <= '9'; p++)
				;
			return *p ? -XL_EINVAL : -XL_ERANGE;
		}
		acc = acc * 10 + d;
	}
	if (*p)
		return -XL_EINVAL;
	if (neg)
		*out = acc == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)acc;
	else
		*out = (int64_t)acc;
	return 0;
}

int xl_num_parse_range(const char *s, int64_t min, int64_t max, int64_t *out)
{
	int64_t v;
	int ret = xl_num_parse_i64(s, &v);

	if (ret < 0)
		return ret;
	if (v < min || v > max)
		return -XL_ERANGE;
	*out = v;
	return 0;
}

int xl_num_parse_size(const char *s, size_t *out)
{
	char digits[32];
	size_t n = strlen(s), shift = 0;
	int64_t v;
	int ret;

	if (n == 0 || n >= sizeof(digits))
		return -XL_EINVAL;
	memcpy(digits, s, n + 1);
	switch (digits[n - 1]) {
	case 'k': case 'K': shift = 10; break;
	case 'm': case 'M': shift = 20; break;
	case 'g': case 'G': shift = 30; break;
	}
	if (shift)
		digits[n - 1] = '\0';
	if (digits[0] == '-' || digits[0] == '+')
		return -XL_EINVAL;
	ret = xl_num_parse_i64(digits, &v);
	if (ret < 0)
		return ret;
	if ((uint64_t)v > (SIZE_MAX >> shift))
		return -XL_ERANGE;
	*out = (size_t)v << shift;
	return 0;
}

/*
 * The common case, a few decimals (12.5, 0.25), without printf and strtod:
 * if v * 10^k is an integer m below 2^53, then m / 10^k is correctly
 * rounded (both are exact doubles), so when it equals v the decimal text of
 * m with k decimals reads back as exactly v. The first k that works gives
 * the fewest digits. Returns the length, or 0 to fall back.
 */
static int format_few_decimals(char *buf, size_t size, double v)
{
	static const double p10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8 };
	const double limit = 9007199254740992.0; /* 2^53 */

	for (int k = 0; k < 9; k++) {
		double m = nearbyint(v * p10[k]);  /* 74.51 * 100 is 7451.000000000001 */
		char digits[24], *p = digits + sizeof(digits);
		uint64_t u;
		int n = 0, len;

		if (!(m > -limit && m < limit))
			return 0;
		if (m != (double)(int64_t)m || (double)(int64_t)m / p10[k] != v)
			continue;
		u = m < 0 ? (uint64_t)(-(int64_t)m) : (uint64_t)(int64_t)m;
		do {
			*--p = (char)('0' + u % 10);
			u /= 10;
			n++;
		} while (u);
		for (; n <= k; n++)
			*--p = '0';
		len = (int)(digits + sizeof(digits) - p);
		if ((size_t)len + 4 > size)
			return 0;
		n = 0;
		if (signbit(v))
			buf[n++] = '-';
		memcpy(buf + n, p, (size_t)(len - k));
		n += len - k;
		buf[n++] = '.';
		if (k == 0) {
			buf[n++] = '0';
		} else {
			memcpy(buf + n, p + len - k, (size_t)k);
			n += k;
		}
		buf[n] = '\0';
		return n;
	}
	return 0;
}

int xl_num_format_double(char *buf, size_t size, double v)
{
	int prec, n = 0;

	if (!isfinite(v))
		return -XL_EINVAL;
	n = format_few_decimals(buf, size, v);
	if (n > 0)
		return n;
	for (prec = 15; prec <= 17; prec++) {
		n = snprintf(buf, size, "%.*g", prec, v);
		if (n < 0 || (size_t)n >= size)
			return -XL_EINVAL;
		if (strtod(buf, NULL) == v)
			break;
	}
	if (!strpbrk(buf, ".eEn")) {
		if ((size_t)n + 2 >= size)
			return -XL_EINVAL;
		buf[n++] = '.';
		buf[n++] = '0';
		buf[n] = '\0';
	}
	return n;
}
