#ifndef XL_VALUE_H
#define XL_VALUE_H

#include "xl_buf.h"
#include "xl_err.h"

/*
 * The value types of business input (a CSV cell, an NDJSON field): each
 * is checked and turned into the canonical text the database reads.
 */
enum xl_vtype {
	XL_V_TEXT,          /* any valid UTF-8 */
	XL_V_INT,           /* an integer in [min, max] */
	XL_V_MONEY,         /* a decimal amount in major units of the currency; "12,500" and ₩ allowed */
	XL_V_MONEY_MINOR,   /* an integer count of minor units, >= 0 */
	XL_V_TIME,          /* RFC 3339, or a local "YYYY-MM-DD[ HH:MM[:SS]]" in the time zone */
	XL_V_ENUM,          /* one of values, case-insensitive */
	XL_V_SKU,           /* [A-Za-z0-9][A-Za-z0-9._/-]{0,63} */
	XL_V_EMAIL,         /* lower-cased, one '@', a dot in the domain */
	XL_V_BOOL,          /* true/false, yes/no, 1/0, t/f, y/n */
	XL_V_JSON,          /* a JSON object, written compact */
	XL_V_CURRENCY,      /* an ISO 4217 code xlcfi knows */
	XL_V_SLUG,          /* lower-case words joined by '-' */
	XL_V_REF            /* an id from another system; "17850.0" reads as "17850" */
};

/* What a value is read against. */
struct xl_vcontext {
	const char *currency;       /* for XL_V_MONEY */
	const char *timezone;       /* for local times: a name the database knows */
};

/*
 * Check s (trimmed, not empty) as a value of type and append its canonical
 * text to out: the integer, the minor units, the time as RFC 3339 UTC (or
 * "YYYY-MM-DD HH:MM:SS zone" for the database to place in its zone), the
 * lower-cased email. min and max bound XL_V_INT; values lists XL_V_ENUM's
 * words (NULL-terminated). Returns 0, or -XL_EINVAL with a short reason
 * ("must be between 1 and 5") and out unchanged.
 */
int xl_value_check(enum xl_vtype type, long long min, long long max, const char *const *values,
		   const char *s, const struct xl_vcontext *ctx, struct xl_buf *out, struct xl_err *err);

/* 1 if s is a valid SKU, slug or email address (as above), else 0. */
int xl_value_is_sku(const char *s);
int xl_value_is_slug(const char *s);
int xl_value_is_email(const char *s);

#endif
