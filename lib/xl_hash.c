#include "xl_hash.h"

#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_banned.h"

void xl_hash_init(struct xl_hash *h)
{
	memset(h, 0, sizeof(*h));
}

void xl_hash_release(struct xl_hash *h)
{
	if (h->skeys)
		for (size_t i = 0; i < h->n; i++)
			free(h->skeys[i]);
	free(h->table);
	free(h->ikeys);
	free(h->skeys);
	xl_hash_init(h);
}

static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return x;
}

static uint64_t hash_str(const char *s)
{
	uint64_t x = UINT64_C(14695981039346656037);

	for (; *s; s++)
		x = (x ^ (unsigned char)*s) * UINT64_C(1099511628211);
	return mix64(x);
}

static uint64_t hash_slot(const struct xl_hash *h, size_t slot)
{
	return h->skeys ? hash_str(h->skeys[slot]) : mix64((uint64_t)h->ikeys[slot]);
}

static void grow(struct xl_hash *h)
{
	size_t cap = h->cap ? h->cap * 2 : 64;

	free(h->table);
	h->table = xl_xcalloc(cap, sizeof(*h->table));
	h->cap = cap;
	for (size_t s = 0; s < h->n; s++) {
		size_t b = hash_slot(h, s) & (cap - 1);

		while (h->table[b])
			b = (b + 1) & (cap - 1);
		h->table[b] = (uint32_t)s + 1;
	}
}

/* Room for one more key in the key arrays and the table (load <= 1/2). */
static void reserve(struct xl_hash *h, int strings)
{
	assert(h->n < UINT32_MAX - 1);
	if (h->n == h->kcap) {
		h->kcap = h->kcap ? h->kcap * 2 : 32;
		if (strings)
			h->skeys = xl_xrealloc(h->skeys, h->kcap * sizeof(*h->skeys));
		else
			h->ikeys = xl_xrealloc(h->ikeys, h->kcap * sizeof(*h->ikeys));
	}
	if ((h->n + 1) * 2 > h->cap)
		grow(h);
}

size_t xl_hash_i64(struct xl_hash *h, int64_t key, int *added)
{
	size_t b;

	assert(!h->skeys);
	if (h->cap) {
		for (b = mix64((uint64_t)key) & (h->cap - 1); h->table[b]; b = (b + 1) & (h->cap - 1))
			if (h->ikeys[h->table[b] - 1] == key) {
				if (added)
					*added = 0;
				return h->table[b] - 1;
			}
	}
	reserve(h, 0);
	for (b = mix64((uint64_t)key) & (h->cap - 1); h->table[b]; b = (b + 1) & (h->cap - 1))
		;
	h->ikeys[h->n] = key;
	h->table[b] = (uint32_t)h->n + 1;
	if (added)
		*added = 1;
	return h->n++;
}

size_t xl_hash_str(struct xl_hash *h, const char *key, int *added)
{
	uint64_t hv = hash_str(key);
	size_t b;

	assert(!h->ikeys);
	if (h->cap) {
		for (b = hv & (h->cap - 1); h->table[b]; b = (b + 1) & (h->cap - 1))
			if (!strcmp(h->skeys[h->table[b] - 1], key)) {
				if (added)
					*added = 0;
				return h->table[b] - 1;
			}
	}
	reserve(h, 1);
	for (b = hv & (h->cap - 1); h->table[b]; b = (b + 1) & (h->cap - 1))
		;
	h->skeys[h->n] = xl_xstrdup(key);
	h->table[b] = (uint32_t)h->n + 1;
	if (added)
		*added = 1;
	return h->n++;
}

int xl_hash_find_i64(const struct xl_hash *h, int64_t key, size_t *slot)
{
	if (!h->cap || h->skeys)
		return -1;
	for (size_t b = mix64((uint64_t)key) & (h->cap - 1); h->table[b]; b = (b + 1) & (h->cap - 1))
		if (h->ikeys[h->table[b] - 1] == key) {
			*slot = h->table[b] - 1;
			return 0;
		}
	return -1;
}

size_t xl_hash_count(const struct xl_hash *h)
{
	return h->n;
}

int64_t xl_hash_ikey(const struct xl_hash *h, size_t slot)
{
	assert(slot < h->n && h->ikeys);
	return h->ikeys[slot];
}

const char *xl_hash_skey(const struct xl_hash *h, size_t slot)
{
	assert(slot < h->n && h->skeys);
	return h->skeys[slot];
}
