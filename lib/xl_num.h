#ifndef XL_NUM_H
#define XL_NUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Number <-> text conversions that are strict where atoi/strtod are lax.
 */

/*
 * Parse all of s (optional sign, decimal digits, nothing else, no spaces)
 * into *out. Returns 0, -XL_EINVAL for anything that is not an integer, or
 * -XL_ERANGE when it does not fit. *out is untouched on error.
 */
int xl_num_parse_i64(const char *s, int64_t *out);

/* As xl_num_parse_i64, but for a value in [min, max] (else -XL_ERANGE). */
int xl_num_parse_range(const char *s, int64_t min, int64_t max, int64_t *out);

/*
 * Parse a size with an optional binary suffix: "16M" = 16 MiB, "512k",
 * "2G", plain bytes otherwise. 0 or -XL_EINVAL / -XL_ERANGE.
 */
int xl_num_parse_size(const char *s, size_t *out);

/*
 * Write the shortest decimal text that reads back as exactly v (trying 15,
 * 16 and 17 significant digits), so 0.1 is written "0.1" and not
 * "0.10000000000000001". The text always reads as a JSON number: a
 * decimal point or exponent is kept ("1.0", "1e+300"). Needs buf of at
 * least 32 bytes. Returns the length, or -XL_EINVAL for NaN or infinity,
 * which JSON cannot carry.
 */
#define XL_NUM_DBL_BUFSZ 32
int xl_num_format_double(char *buf, size_t size, double v);

#endif
