#include "xl_rec.h"

#include <stdlib.h>
#include <string.h>

#include <cblas.h>

#include "xl_alloc.h"
#include "xl_banned.h"

/* a ranks below b: a lower score, or the same score and a higher index. */
static int worse(const struct xl_rec_hit *a, const struct xl_rec_hit *b)
{
	return a->score < b->score || (a->score == b->score && a->item > b->item);
}

/* Restore the min-heap (the worst hit at the root) from slot i down. */
static void sift_down(struct xl_rec_hit *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		struct xl_rec_hit t;

		if (l < n && worse(&h[l], &h[m]))
			m = l;
		if (r < n && worse(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		t = h[i];
		h[i] = h[m];
		h[m] = t;
		i = m;
	}
}

static void sift_up(struct xl_rec_hit *h, size_t i)
{
	while (i > 0) {
		size_t p = (i - 1) / 2;
		struct xl_rec_hit t;

		if (!worse(&h[i], &h[p]))
			return;
		t = h[i];
		h[i] = h[p];
		h[p] = t;
		i = p;
	}
}

size_t xl_rec_top(const float *scores, uint32_t nitems, const uint32_t *exclude, size_t nexclude,
		  const unsigned char *skip, size_t n, struct xl_rec_hit *out)
{
	size_t have = 0, e = 0;

	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < nitems; i++) {
		struct xl_rec_hit c = { i, scores[i] };

		while (e < nexclude && exclude[e] < i)
			e++;
		if ((e < nexclude && exclude[e] == i) || (skip && skip[i]) || scores[i] != scores[i])
			continue;
		if (have < n) {
			out[have] = c;
			sift_up(out, have++);
		} else if (worse(&out[0], &c)) {
			out[0] = c;
			sift_down(out, have, 0);
		}
	}
	/* Heap sort in place: repeatedly move the worst to the end. */
	for (size_t m = have; m > 1; m--) {
		struct xl_rec_hit t = out[0];

		out[0] = out[m - 1];
		out[m - 1] = t;
		sift_down(out, m - 1, 0);
	}
	return have;
}

void xl_rec_score(const float *y, uint32_t nitems, uint32_t k, const float *x, float *scores)
{
	cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)nitems, (int)k, 1.0f, y, (int)k, x, 1, 0.0f, scores, 1);
}

void xl_rec_cosine(const float *y, const float *norms, uint32_t nitems, uint32_t k, uint32_t j,
		   float *scores)
{
	xl_rec_score(y, nitems, k, y + (size_t)j * k, scores);
	for (uint32_t i = 0; i < nitems; i++)
		scores[i] = norms[i] > 0 && norms[j] > 0 ? scores[i] / (norms[i] * norms[j]) : 0;
}

void xl_rec_cooccur(const uint64_t *indptr, const uint32_t *indices, const uint64_t *tindptr,
		    const uint32_t *tindices, uint32_t nitems, uint32_t j, float *scores)
{
	memset(scores, 0, sizeof(float) * nitems);
	for (uint64_t a = tindptr[j]; a < tindptr[j + 1]; a++) {
		uint32_t u = tindices[a];

		for (uint64_t b = indptr[u]; b < indptr[u + 1]; b++)
			scores[indices[b]] += 1;
	}
}

#define BLOCK 256

int xl_rec_batch(const float *x, uint32_t nusers, const float *y, uint32_t nitems, uint32_t k,
		 const uint64_t *indptr, const uint32_t *indices, size_t n, xl_rec_batch_fn *fn, void *arg)
{
	float *s = xl_xmalloc(sizeof(float) * BLOCK * (size_t)(nitems ? nitems : 1));
	struct xl_rec_hit *hits = xl_xmalloc(sizeof(*hits) * (n ? n : 1));
	int ret = 0;

	for (uint32_t b = 0; b < nusers && !ret; b += BLOCK) {
		uint32_t m = nusers - b < BLOCK ? nusers - b : BLOCK;

		/* S = X_block Y^T: m x nitems. */
		cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)m, (int)nitems, (int)k, 1.0f,
			    x + (size_t)b * k, (int)k, y, (int)k, 0.0f, s, (int)nitems);
		for (uint32_t r = 0; r < m && !ret; r++) {
			uint32_t u = b + r;
			const uint32_t *ex = indptr ? indices + indptr[u] : NULL;
			size_t nex = indptr ? (size_t)(indptr[u + 1] - indptr[u]) : 0;
			size_t got = xl_rec_top(s + (size_t)r * nitems, nitems, ex, nex, NULL, n, hits);

			ret = fn(u, hits, got, arg);
		}
	}
	free(s);
	free(hits);
	return ret;
}
