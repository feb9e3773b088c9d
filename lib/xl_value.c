#include "xl_value.h"

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "xl_enc.h"
#include "xl_jsonl.h"
#include "xl_money.h"
#include "xl_num.h"
#include "xl_time.h"
#include "xl_banned.h"

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* "12,500" and "₩12,500" as Korean spreadsheets write amounts. */
static void plain_amount(const char *in, char *out, size_t size)
{
	size_t j = 0;

	/* ₩, and the full-width ￦ that CP949 text converts to. */
	if (!strncmp(in, "\xE2\x82\xA9", 3) || !strncmp(in, "\xEF\xBF\xA6", 3))
		in += 3;
	for (; *in && j + 1 < size; in++)
		if (*in != ',')
			out[j++] = *in;
	out[j] = '\0';
}

int xl_value_is_sku(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 64 || !isalnum((unsigned char)s[0]))
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("._/-", *s))
			return 0;
	return 1;
}

int xl_value_is_slug(const char *s)
{
	int prev_dash = 1;

	if (!*s)
		return 0;
	for (; *s; s++) {
		if (*s == '-') {
			if (prev_dash)
				return 0;
			prev_dash = 1;
		} else if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) {
			prev_dash = 0;
		} else {
			return 0;
		}
	}
	return !prev_dash;
}

int xl_value_is_email(const char *s)
{
	const char *at = strchr(s, '@');

	return at && at != s && !strchr(at + 1, '@') && strchr(at + 1, '.') && at[1] != '.' &&
	       s[strlen(s) - 1] != '.' && !strpbrk(s, " \t\r\n,;<>") && strlen(s) <= 254;
}

/* Append s lower-cased if valid() accepts that, else refuse it with msg. */
static int add_lower(struct xl_buf *out, const char *s, int (*valid)(const char *), const char *msg,
		     struct xl_err *err)
{
	size_t start = out->len;

	for (const char *c = s; *c; c++)
		xl_buf_addch(out, (char)tolower((unsigned char)*c));
	if (!valid(out->buf + start)) {
		xl_buf_setlen(out, start);
		return xl_err_set(err, XL_EINVAL, "%s", msg);
	}
	return 0;
}

/*
 * A time: RFC 3339 with its offset, or a local "YYYY-MM-DD[ T]HH:MM[:SS]"
 * or "YYYY-MM-DD" that the server reads in the import's time zone.
 */
static int check_time(const struct xl_vcontext *ctx, const char *s, struct xl_buf *out, struct xl_err *err)
{
	struct xl_date d;
	int64_t us;
	size_t n = strlen(s);
	char date[11];

	if (xl_time_parse(s, &us, NULL) == 0) {
		char buf[XL_TIME_BUFSZ];

		xl_time_format(buf, sizeof(buf), us, 0, 6);
		xl_buf_adds(out, buf);
		return 0;
	}
	if (n < 10)
		goto bad;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (xl_date_parse(date, &d, NULL) < 0)
		goto bad;
	if (n == 10) {
		xl_buf_addf(out, "%s 00:00:00 %s", date, ctx->timezone);
		return 0;
	}
	if ((s[10] == ' ' || s[10] == 'T') && n >= 16 && n <= 26 &&
	    isdigit((unsigned char)s[11]) && isdigit((unsigned char)s[12]) && s[13] == ':' &&
	    isdigit((unsigned char)s[14]) && isdigit((unsigned char)s[15])) {
		int hh = (s[11] - '0') * 10 + (s[12] - '0'), mm = (s[14] - '0') * 10 + (s[15] - '0');
		const char *rest = s + 16;

		if (hh > 23 || mm > 59)
			goto bad;
		if (*rest == ':') {
			if (!isdigit((unsigned char)rest[1]) || !isdigit((unsigned char)rest[2]) ||
			    (rest[1] - '0') * 10 + (rest[2] - '0') > 59)
				goto bad;
			rest += 3;
			if (*rest == '.') {
				rest++;
				if (!*rest)
					goto bad;
				while (isdigit((unsigned char)*rest))
					rest++;
			}
		}
		if (*rest)
			goto bad;
		xl_buf_addf(out, "%s %s %s", date, s + 11, ctx->timezone);
		return 0;
	}
bad:
	return xl_err_set(err, XL_EINVAL, "not a time (expected 2026-01-31T15:30:00+09:00 or 2026-01-31 15:30)");
}

/*
 * Check one value and append its canonical text to out. Returns 0, or
 * -XL_EINVAL with the reason.
 */
int xl_value_check(enum xl_vtype type, long long min, long long max, const char *const *values,
		   const char *s, const struct xl_vcontext *ctx, struct xl_buf *out, struct xl_err *err)
{
	const char *currency = ctx->currency;

	char tmp[64];
	int64_t v;
	int ret;

	switch (type) {
	case XL_V_TEXT:
		if (!xl_enc_is_utf8(s, strlen(s)))
			return xl_err_set(err, XL_EINVAL, "not valid UTF-8");
		xl_buf_adds(out, s);
		return 0;
	case XL_V_INT:
		ret = xl_num_parse_range(s, min, max, &v);
		if (ret == -XL_ERANGE || (ret < 0 && s[0] == '-' && all_digits(s + 1)))
			return xl_err_set(err, XL_EINVAL, "must be between %lld and %lld", min, max);
		if (ret < 0)
			return xl_err_set(err, XL_EINVAL, "not a whole number");
		xl_buf_addf(out, "%lld", (long long)v);
		return 0;
	case XL_V_MONEY:
		plain_amount(s, tmp, sizeof(tmp));
		ret = xl_money_parse(tmp, currency, &v, err);
		if (ret < 0)
			return ret;
		if (v < 0)
			return xl_err_set(err, XL_EINVAL, "must not be negative");
		xl_buf_addf(out, "%lld", (long long)v);
		return 0;
	case XL_V_MONEY_MINOR:
		plain_amount(s, tmp, sizeof(tmp));
		if (xl_num_parse_range(tmp, 0, INT64_MAX, &v) < 0)
			return xl_err_set(err, XL_EINVAL, tmp[0] == '-' ? "must not be negative" :
					  "not a whole number of minor units");
		xl_buf_addf(out, "%lld", (long long)v);
		return 0;
	case XL_V_TIME:
		return check_time(ctx, s, out, err);
	case XL_V_ENUM:
		for (const char *const *e = values; *e; e++)
			if (!strcasecmp(*e, s)) {
				xl_buf_adds(out, *e);
				return 0;
			}
		{
			struct xl_buf list = XL_BUF_INIT;

			for (const char *const *e = values; *e; e++)
				xl_buf_addf(&list, "%s%s", e == values ? "" : ", ", *e);
			xl_err_set(err, XL_EINVAL, "must be one of %s", list.buf);
			xl_buf_release(&list);
		}
		return -XL_EINVAL;
	case XL_V_SKU:
		if (!xl_value_is_sku(s))
			return xl_err_set(err, XL_EINVAL, "not a SKU (letters, digits and . _ / -, at most 64)");
		xl_buf_adds(out, s);
		return 0;
	case XL_V_EMAIL:
		return add_lower(out, s, xl_value_is_email, "not an email address", err);
	case XL_V_BOOL:
		if (!strcasecmp(s, "true") || !strcasecmp(s, "t") || !strcasecmp(s, "yes") ||
		    !strcasecmp(s, "y") || !strcmp(s, "1"))
			xl_buf_adds(out, "true");
		else if (!strcasecmp(s, "false") || !strcasecmp(s, "f") || !strcasecmp(s, "no") ||
			 !strcasecmp(s, "n") || !strcmp(s, "0"))
			xl_buf_adds(out, "false");
		else
			return xl_err_set(err, XL_EINVAL, "not true or false");
		return 0;
	case XL_V_JSON: {
		json_t *v2 = NULL;

		if (xl_jsonl_parse(s, strlen(s), &v2, err) < 0)
			return xl_err_set(err, XL_EINVAL, "not a JSON object");
		xl_jsonl_dump(out, v2);
		json_decref(v2);
		return 0;
	}
	case XL_V_CURRENCY:
		if (strlen(s) != 3 || xl_money_exponent(s) < 0)
			return xl_err_set(err, XL_EINVAL, "not a currency xlcfi knows (KRW, USD, GBP, ...)");
		xl_buf_adds(out, s);
		return 0;
	case XL_V_SLUG:
		return add_lower(out, s, xl_value_is_slug, "not a slug (lower-case words joined by '-')", err);
	case XL_V_REF: {
		size_t n = strlen(s);

		/* Spreadsheets print integer ids as floats: 17850.0 is customer 17850. */
		if (n > 2 && !strcmp(s + n - 2, ".0")) {
			size_t k = 0;

			while (k < n - 2 && isdigit((unsigned char)s[k]))
				k++;
			if (k == n - 2) {
				xl_buf_add(out, s, n - 2);
				return 0;
			}
		}
		if (!xl_enc_is_utf8(s, n))
			return xl_err_set(err, XL_EINVAL, "not valid UTF-8");
		xl_buf_adds(out, s);
		return 0;
	}
	}
	return xl_err_set(err, XL_EINVAL, "unknown field type");
}

