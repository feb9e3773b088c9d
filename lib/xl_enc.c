#include "xl_enc.h"

#include <errno.h>
#include <iconv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_banned.h"

struct xl_enc {
	iconv_t cd;
	char pending[8];      /* a sequence cut off at the end of the last call */
	size_t npending;
	int from_utf8;
};

/* Length of the valid UTF-8 sequence at s, 0 if invalid, -1 if cut off. */
static int utf8_seq(const unsigned char *s, size_t n)
{
	int len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		len = 2, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		len = 3, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		len = 4, cp = s[0] & 0x07;
	else
		return 0;
	for (int i = 1; i < len; i++) {
		if ((size_t)i >= n)
			return -1;
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return len;
}

size_t xl_enc_utf8_char(const char *s, size_t n)
{
	int len = utf8_seq((const unsigned char *)s, n);

	return len > 0 ? (size_t)len : 0;
}

size_t xl_enc_utf8_valid_prefix(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		int len;

		/* ASCII runs are the common case. */
		while (i < n && u[i] < 0x80)
			i++;
		if (i == n)
			break;
		len = utf8_seq(u + i, n - i);
		if (len < 0)
			return n;
		if (len == 0)
			break;
		i += (size_t)len;
	}
	return i;
}

int xl_enc_is_utf8(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;

	if (xl_enc_utf8_valid_prefix(s, n) != n)
		return 0;
	/* A sequence cut off at the very end is not valid as a whole. */
	for (size_t i = n > 4 ? n - 4 : 0; i < n; i++)
		if (u[i] >= 0xC0 && utf8_seq(u + i, n - i) < 0)
			return 0;
	return 1;
}

int xl_enc_open(struct xl_enc **out, const char *to, const char *from, struct xl_err *err)
{
	iconv_t cd = iconv_open(to, from);
	struct xl_enc *e;

	if (cd == (iconv_t)-1)
		return xl_err_set(err, XL_EINVAL, "cannot convert from %s to %s: %s", from, to,
				  strerror(errno));
	e = xl_xcalloc(1, sizeof(*e));
	e->cd = cd;
	e->from_utf8 = !strcmp(from, "UTF-8");
	*out = e;
	return 0;
}

void xl_enc_free(struct xl_enc *e)
{
	if (!e)
		return;
	iconv_close(e->cd);
	free(e);
}

/* Bytes in the input character at p: for skipping one that cannot be converted. */
static size_t char_len(const struct xl_enc *e, const unsigned char *p, size_t n)
{
	if (e->from_utf8) {
		int len = utf8_seq(p, n);

		return len > 0 ? (size_t)len : 1;
	}
	/* CP949/EUC-KR: a lead byte >= 0x81 starts a two-byte character. */
	return p[0] >= 0x81 && n >= 2 ? 2 : 1;
}

static int convert(struct xl_enc *e, char *in, size_t n, struct xl_buf *out, int last,
		   int replace, size_t *replaced, size_t *consumed, struct xl_err *err)
{
	char *ip = in;
	size_t left = n;

	while (left > 0) {
		char tmp[4096], *op = tmp;
		size_t room = sizeof(tmp);
		size_t r = iconv(e->cd, &ip, &left, &op, &room);
		int saved = errno;

		xl_buf_add(out, tmp, sizeof(tmp) - room);
		if (r != (size_t)-1)
			continue;
		if (saved == E2BIG)
			continue;
		if (saved == EINVAL && !last)
			break;   /* cut off: keep for the next call */
		if (!replace)
			return xl_err_set(err, XL_EINVAL, "byte 0x%02x at offset %zu cannot be converted",
					  (unsigned char)*ip, (size_t)(ip - in));
		xl_buf_addch(out, '?');
		if (replaced)
			(*replaced)++;
		{
			size_t skip = char_len(e, (unsigned char *)ip, left);

			ip += skip;
			left -= skip;
		}
	}
	*consumed = (size_t)(ip - in);
	return 0;
}

int xl_enc_convert(struct xl_enc *e, const char *in, size_t n, struct xl_buf *out,
		   int replace, size_t *replaced, struct xl_err *err)
{
	size_t consumed = 0;
	int last = n == 0, ret;

	/* First finish a character cut off last time, with bytes from this call. */
	while (e->npending) {
		char joined[16];
		size_t take = n < sizeof(joined) - e->npending ? n : sizeof(joined) - e->npending;
		size_t used;

		memcpy(joined, e->pending, e->npending);
		memcpy(joined + e->npending, in, take);
		ret = convert(e, joined, e->npending + take, out, last, replace, replaced, &used, err);
		if (ret < 0)
			return ret;
		if (used < e->npending) {
			/* Still not complete: everything so far is pending. */
			if (e->npending + take > sizeof(e->pending))
				return xl_err_set(err, XL_EINVAL, "invalid multi-byte sequence");
			memcpy(e->pending + e->npending, in, take);
			e->npending += take;
			return 0;
		}
		in += used - e->npending;
		n -= used - e->npending;
		e->npending = 0;
	}
	if (n == 0)
		return 0;
	/* iconv(3) takes char ** but does not write to the input. */
	ret = convert(e, (char *)in, n, out, last, replace, replaced, &consumed, err);
	if (ret == 0 && consumed < n) {
		if (n - consumed > sizeof(e->pending))
			return xl_err_set(err, XL_EINVAL, "invalid multi-byte sequence");
		memcpy(e->pending, in + consumed, n - consumed);
		e->npending = n - consumed;
	}
	return ret;
}
