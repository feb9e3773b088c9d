#ifndef XL_ALLOC_H
#define XL_ALLOC_H

#include <stddef.h>

/*
 * Allocation that cannot fail. On exhaustion these write one line to stderr
 * and abort(): checking every malloc in a batch tool costs more than it
 * gives, and a core dump is the honest outcome. Everything they return is
 * the caller's to free().
 */
void *xl_xmalloc(size_t n);
void *xl_xcalloc(size_t nmemb, size_t size);
void *xl_xrealloc(void *p, size_t n);
char *xl_xstrdup(const char *s);
char *xl_xstrndup(const char *s, size_t n);

/*
 * Grow *p (an array of *alloc elements of size elem) so that it can hold at
 * least need elements. Doubles, so appends are amortised O(1).
 */
void xl_alloc_grow(void **p, size_t *alloc, size_t need, size_t elem);
#define XL_ALLOC_GROW(p, need, alloc) \
	xl_alloc_grow((void **)&(p), &(alloc), (need), sizeof(*(p)))

#endif
