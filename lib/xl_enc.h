#ifndef XL_ENC_H
#define XL_ENC_H

#include <stddef.h>

#include "xl_buf.h"
#include "xl_err.h"

/*
 * Text encodings at the edges: what Korean Excel reads and writes is CP949
 * (a superset of EUC-KR); everything inside xlcfi is UTF-8.
 */

/*
 * Length of the longest prefix of s (n bytes) that is valid UTF-8. A
 * multi-byte sequence cut off by the end of s counts as valid (so text can
 * be checked in chunks); the caller passes the rest with the next chunk.
 */
size_t xl_enc_utf8_valid_prefix(const char *s, size_t n);

/*
 * Length of the one valid UTF-8 sequence at the start of s (n > 0 bytes):
 * 1 to 4, or 0 when it is invalid or cut off.
 */
size_t xl_enc_utf8_char(const char *s, size_t n);

/* 1 if all of s is valid UTF-8, else 0. */
int xl_enc_is_utf8(const char *s, size_t n);

struct xl_enc;

/*
 * A converter from one encoding to another ("CP949" to "UTF-8", say), as
 * iconv(3) names them. *out is yours: xl_enc_free(). -XL_EINVAL if iconv
 * does not know the pair.
 */
int xl_enc_open(struct xl_enc **out, const char *to, const char *from, struct xl_err *err);
void xl_enc_free(struct xl_enc *e);

/*
 * Convert in (n bytes) and append to out. A sequence cut off at the end of
 * in is kept and converted with the next call (call with n = 0 at the end:
 * leftover bytes are then invalid). With replace != 0 a character that
 * cannot be converted becomes '?' and is counted in *replaced; otherwise it
 * is an error (-XL_EINVAL, err names the byte offset within this call).
 */
int xl_enc_convert(struct xl_enc *e, const char *in, size_t n, struct xl_buf *out,
		   int replace, size_t *replaced, struct xl_err *err);

#endif
