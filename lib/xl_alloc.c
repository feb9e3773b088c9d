#include "xl_alloc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_banned.h"

static void out_of_memory(size_t n)
{
	/* The one place lib/ writes to stderr on its own: there is no caller left to tell. */
	fprintf(stderr, "xlcfi: out of memory allocating %zu bytes\n", n);
	abort();
}

void *xl_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (!p)
		out_of_memory(n);
	return p;
}

void *xl_xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);

	if (!p)
		out_of_memory(nmemb * size);
	return p;
}

void *xl_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);

	if (!q)
		out_of_memory(n);
	return q;
}

char *xl_xstrdup(const char *s)
{
	return xl_xstrndup(s, strlen(s));
}

char *xl_xstrndup(const char *s, size_t n)
{
	size_t len = strnlen(s, n);
	char *p = xl_xmalloc(len + 1);

	memcpy(p, s, len);
	p[len] = '\0';
	return p;
}

void xl_alloc_grow(void **p, size_t *alloc, size_t need, size_t elem)
{
	size_t n;

	if (need <= *alloc)
		return;
	n = *alloc ? *alloc : 8;
	while (n < need) {
		if (n > SIZE_MAX / 2)
			out_of_memory(SIZE_MAX);
		n *= 2;
	}
	if (n > SIZE_MAX / elem)
		out_of_memory(SIZE_MAX);
	*p = xl_xrealloc(*p, n * elem);
	*alloc = n;
}
