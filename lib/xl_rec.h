#ifndef XL_REC_H
#define XL_REC_H

#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"

/*
 * Ranking for the recommender: scores from factors, top-N by partial
 * selection (a bounded heap, never a full sort), item-item similarity,
 * and every user's top-N by blocked matrix products. Items are dense
 * indices; an exclusion list is ascending. Ties go to the lower index, so
 * every ranking is deterministic.
 */

struct xl_rec_hit {
	uint32_t item;
	float score;
};

/*
 * The n best of scores[0..nitems-1], best first, skipping the ascending
 * list exclude[0..nexclude-1] and any item whose skip[i] is non-zero (skip
 * may be NULL). Returns how many were found (at most n). Cannot fail.
 */
size_t xl_rec_top(const float *scores, uint32_t nitems, const uint32_t *exclude, size_t nexclude,
		  const unsigned char *skip, size_t n, struct xl_rec_hit *out);

/* scores[i] = y_i . x for the nitems x k item factors y. Cannot fail. */
void xl_rec_score(const float *y, uint32_t nitems, uint32_t k, const float *x, float *scores);

/*
 * Cosine similarity of item j to every item: scores[i] = y_i . y_j /
 * (|y_i| |y_j|), 0 where a norm is 0. Cannot fail.
 */
void xl_rec_cosine(const float *y, const float *norms, uint32_t nitems, uint32_t k, uint32_t j,
		   float *scores);

/*
 * Co-occurrence of item j with every item: scores[i] = the number of
 * users who had both, from the user x item matrix (indptr, indices) and
 * its transpose (tindptr, tindices). Cannot fail.
 */
void xl_rec_cooccur(const uint64_t *indptr, const uint32_t *indices, const uint64_t *tindptr,
		    const uint32_t *tindices, uint32_t nitems, uint32_t j, float *scores);

/*
 * Every user's top n: blocks of users are scored at once with one matrix
 * product (sgemm, threaded by OpenBLAS), then each row is selected.
 * Users' own items (the CSR indptr/indices, may be NULL) are excluded.
 * fn is called once per user, in user order, with the hits (borrowed for
 * the call); a non-zero return stops and is returned. 0 otherwise.
 */
typedef int xl_rec_batch_fn(uint32_t user, const struct xl_rec_hit *hits, size_t nhits, void *arg);
int xl_rec_batch(const float *x, uint32_t nusers, const float *y, uint32_t nitems, uint32_t k,
		 const uint64_t *indptr, const uint32_t *indices, size_t n, xl_rec_batch_fn *fn, void *arg);

#endif
