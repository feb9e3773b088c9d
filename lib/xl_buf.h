#ifndef XL_BUF_H
#define XL_BUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * A bounded, growable byte buffer. `buf` is never NULL and always
 * NUL-terminated, so it can be used as a C string when the content has no
 * NUL. `max` (0 = unlimited) caps len: an append that would pass it fails
 * with -XL_ETOOBIG and leaves the buffer unchanged, so one huge input cannot
 * eat all memory.
 *
 * XL_BUF_INIT needs no cleanup until something is added. xl_buf_release()
 * frees the contents and leaves an empty, reusable buffer.
 */
struct xl_buf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t max;
};

extern char xl_buf_empty[];
#define XL_BUF_INIT { xl_buf_empty, 0, 0, 0 }

/* Set up caller-provided storage with a size cap (0 = none). Cannot fail. */
void xl_buf_init(struct xl_buf *b, size_t max);

/* Free the contents; b becomes an empty buffer with the same cap. */
void xl_buf_release(struct xl_buf *b);

/* Make it empty without freeing memory. */
void xl_buf_reset(struct xl_buf *b);

/*
 * Make room for n more bytes. Returns 0, or -XL_ETOOBIG when len + n would
 * pass the cap (nothing changes then). Aborts on out of memory.
 */
int xl_buf_grow(struct xl_buf *b, size_t n);

/* Append bytes / a string / one byte. 0 or -XL_ETOOBIG as xl_buf_grow. */
int xl_buf_add(struct xl_buf *b, const void *data, size_t n);
int xl_buf_adds(struct xl_buf *b, const char *s);
/* (xl_buf_addch is inline: it is on the hot path of the JSON writer.) */
static inline int xl_buf_addch(struct xl_buf *b, char c)
{
	if (b->len + 1 < b->alloc && (!b->max || b->len < b->max)) {
		b->buf[b->len++] = c;
		b->buf[b->len] = '\0';
		return 0;
	}
	return xl_buf_add(b, &c, 1);
}

/* Append printf-formatted text. 0 or -XL_ETOOBIG. */
int xl_buf_addf(struct xl_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int xl_buf_vaddf(struct xl_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Shorten to len bytes (len <= b->len). */
void xl_buf_setlen(struct xl_buf *b, size_t len);

/*
 * Hand the contents to the caller, who must free() them; b becomes empty.
 * Never returns NULL. If lenp is not NULL it receives the length.
 */
char *xl_buf_detach(struct xl_buf *b, size_t *lenp);

#endif
