#ifndef XL_HASH_H
#define XL_HASH_H

#include <stddef.h>
#include <stdint.h>

/*
 * Open-addressing hash tables for the aggregations: keys are 64-bit
 * integers (ids, packed pairs) or strings, and each key gets a dense slot
 * number 0, 1, 2, ... in the order keys are first added, so the caller keeps
 * its per-key data in its own array indexed by slot. Memory grows with the
 * number of distinct keys, never with the number of lookups. Allocation
 * failure aborts (xl_alloc), so none of these can fail.
 *
 * struct xl_hash is caller storage: XL_HASH_INIT or xl_hash_init, then
 * xl_hash_release. A table holds either integer or string keys, never both.
 */
struct xl_hash {
	uint32_t *table;      /* slot + 1 per bucket, 0 = empty */
	size_t cap;           /* buckets, a power of two */
	size_t n;             /* keys */
	int64_t *ikeys;       /* integer keys by slot */
	char **skeys;         /* string keys by slot (copies, owned) */
	size_t kcap;
};

#define XL_HASH_INIT { NULL, 0, 0, NULL, NULL, 0 }

void xl_hash_init(struct xl_hash *h);
void xl_hash_release(struct xl_hash *h);

/* The slot of key, added if new (*added set to 1 then, else 0; added may be NULL). */
size_t xl_hash_i64(struct xl_hash *h, int64_t key, int *added);
size_t xl_hash_str(struct xl_hash *h, const char *key, int *added);

/* The slot of key if present: 0 and *slot, or -1. */
int xl_hash_find_i64(const struct xl_hash *h, int64_t key, size_t *slot);

/* Number of keys, and the key of a slot (the string stays owned by h). */
size_t xl_hash_count(const struct xl_hash *h);
int64_t xl_hash_ikey(const struct xl_hash *h, size_t slot);
const char *xl_hash_skey(const struct xl_hash *h, size_t slot);

#endif
