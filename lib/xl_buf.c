#include "xl_buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_err.h"
#include "xl_banned.h"

char xl_buf_empty[1];

void xl_buf_init(struct xl_buf *b, size_t max)
{
	b->buf = xl_buf_empty;
	b->len = 0;
	b->alloc = 0;
	b->max = max;
}

void xl_buf_release(struct xl_buf *b)
{
	if (b->alloc)
		free(b->buf);
	xl_buf_init(b, b->max);
}

void xl_buf_reset(struct xl_buf *b)
{
	xl_buf_setlen(b, 0);
}

int xl_buf_grow(struct xl_buf *b, size_t n)
{
	size_t need;

	if (b->max && (n > b->max || b->len > b->max - n))
		return -XL_ETOOBIG;
	need = b->len + n + 1;
	if (need <= b->alloc)
		return 0;
	if (!b->alloc) {
		b->buf = NULL;
		xl_alloc_grow((void **)&b->buf, &b->alloc, need < 64 ? 64 : need, 1);
		b->buf[0] = '\0';
	} else {
		xl_alloc_grow((void **)&b->buf, &b->alloc, need, 1);
	}
	return 0;
}

int xl_buf_add(struct xl_buf *b, const void *data, size_t n)
{
	if (xl_buf_grow(b, n) < 0)
		return -XL_ETOOBIG;
	if (n)
		memcpy(b->buf + b->len, data, n);
	b->len += n;
	b->buf[b->len] = '\0';
	return 0;
}

int xl_buf_adds(struct xl_buf *b, const char *s)
{
	return xl_buf_add(b, s, strlen(s));
}

int xl_buf_vaddf(struct xl_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(b->alloc ? b->buf + b->len : NULL,
		      b->alloc ? b->alloc - b->len : 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return -XL_EFAIL;
	if (b->alloc && (size_t)n < b->alloc - b->len) {
		if (b->max && b->len + (size_t)n > b->max) {
			b->buf[b->len] = '\0';
			return -XL_ETOOBIG;
		}
		b->len += (size_t)n;
		return 0;
	}
	if (xl_buf_grow(b, (size_t)n) < 0) {
		if (b->alloc)
			b->buf[b->len] = '\0';
		return -XL_ETOOBIG;
	}
	vsnprintf(b->buf + b->len, b->alloc - b->len, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int xl_buf_addf(struct xl_buf *b, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = xl_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return ret;
}

void xl_buf_setlen(struct xl_buf *b, size_t len)
{
	if (len > b->len)
		len = b->len;
	b->len = len;
	if (b->alloc)
		b->buf[len] = '\0';
}

char *xl_buf_detach(struct xl_buf *b, size_t *lenp)
{
	char *s;

	if (lenp)
		*lenp = b->len;
	if (!b->alloc) {
		s = xl_xstrdup("");
	} else {
		s = b->buf;
	}
	xl_buf_init(b, b->max);
	return s;
}
