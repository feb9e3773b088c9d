#ifndef XL_MONEY_H
#define XL_MONEY_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"

/*
 * Money as an integer count of the currency's minor unit (ISO 4217
 * exponent): KRW 12500 is 12500 won, USD 1250 is $12.50. Never floating
 * point. All arithmetic detects overflow.
 */

/*
 * The ISO 4217 exponent of a currency code ("KRW" 0, "USD" 2, "KWD" 3),
 * or -XL_ENOTFOUND for a code xlcfi does not know.
 */
int xl_money_exponent(const char *currency);

/*
 * Parse a decimal amount such as "12.50" or "-3" (digits,
 * an optional sign and one optional '.', nothing else) into minor units of
 * currency. More fraction digits than the currency has are refused
 * (-XL_EINVAL), unless they are zeros ("12.500" USD is 1250). Overflow is
 * -XL_ERANGE. err says what was wrong with the text.
 */
int xl_money_parse(const char *s, const char *currency, int64_t *minor, struct xl_err *err);

/*
 * Convert a JSON amount given in MAJOR units, as a price column of a
 * spreadsheet is ("price": 12.5). Amounts already in minor units
 * ("price_minor": 1250) are plain integers and need no conversion. Here an
 * integer is a count of major units (5 USD = 500), a string is parsed as above, and a real is accepted only
 * when its shortest decimal form has no more precision than the currency
 * has (12.5 USD yes, 0.001 GBP no).
 */
int xl_money_from_json_major(const json_t *v, const char *currency, int64_t *minor, struct xl_err *err);

/*
 * Format minor units as a decimal string in major units ("12.50",
 * "-0.05", "12500" for KRW). Returns the length; buf needs
 * XL_MONEY_BUFSZ bytes. -XL_ENOTFOUND for an unknown currency.
 */
#define XL_MONEY_BUFSZ 32
int xl_money_format(char *buf, size_t size, int64_t minor, const char *currency);

/* *out = a + b, or -XL_ERANGE on overflow (*out untouched). */
int xl_money_add(int64_t a, int64_t b, int64_t *out);

/* *out = a * n (a unit price times a quantity), or -XL_ERANGE on overflow. */
int xl_money_mul(int64_t a, int64_t n, int64_t *out);

#endif
