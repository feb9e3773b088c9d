#include "xl_als.h"

#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cblas.h>

#include "xl_alloc.h"
#include "xl_banned.h"

/* LAPACK from OpenBLAS (Fortran calling convention, hidden string lengths last). */
void sposv_(const char *uplo, const int *n, const int *nrhs, float *a, const int *lda, float *b,
	    const int *ldb, int *info, size_t uplo_len);
void spotrf_(const char *uplo, const int *n, float *a, const int *lda, int *info, size_t uplo_len);
void spotrs_(const char *uplo, const int *n, const int *nrhs, const float *a, const int *lda, float *b,
	     const int *ldb, int *info, size_t uplo_len);

/*
 * The per-row kernels run nnz times per half-sweep, so they are written on
 * 8-float vectors (GCC vector extensions) with separate accumulators, and
 * built three times: for AVX-512 machines (x86-64-v4: 32 registers, so
 * less is spilled; 6-17 % faster than the AVX2 build on Zen 4), for
 * AVX2+FMA machines and for any x86-64, chosen at load time. A BLAS call
 * per row of k floats costs more in call overhead than the arithmetic, and
 * a plain loop's float sum cannot be vectorised without reordering it.
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define XL_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default"), optimize("O3", "fp-contract=fast")))
#else
#define XL_KERNEL
#endif

typedef float v8 __attribute__((vector_size(32)));

/* Always inlined into the kernels, so no vector crosses a call: the ABI note does not apply. */
#pragma GCC diagnostic ignored "-Wpsabi"

static inline __attribute__((always_inline)) v8 ld(const float *p)
{
	v8 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#define st(p, v) do { v8 st_ = (v); memcpy((p), &st_, sizeof(st_)); } while (0)

/*
 * The sum of v's lanes, as ((v0 + v4) + (v1 + v5)) + ((v2 + v6) + (v3 + v7)),
 * written as the halves' sum and two shuffles, so that it is 6 operations:
 * GCC does not find them in the plain expression (it took 15, in a chain).
 * (The vector goes by address: by value, GCC notes an ABI change.)
 */
static inline __attribute__((always_inline)) float hsum_at(const v8 *v)
{
	typedef float v4 __attribute__((vector_size(16)));
	typedef int m4 __attribute__((vector_size(16)));
	const m4 swap = { 1, 0, 3, 2 };
	v4 l, h;

	memcpy(&l, v, sizeof(l));
	memcpy(&h, (const char *)v + sizeof(l), sizeof(h));
	l += h;
	l += __builtin_shuffle(l, swap);
	return l[0] + l[2];
}

#define hsum(v) ({ v8 hs_ = (v); hsum_at(&hs_); })

/*
 * On a CPU with AVX-512 the row kernels of 32, 64 and 128 factors, and the
 * CG blocks' dense products, also come in 16-float vectors: twice the
 * floats a register, and 32 registers, so a user's vector and its sums
 * stay in registers (see row_apply and gemm_rows for what each gained on
 * Zen 4).
 */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define XL_V16 1
#define XL_KERNEL16 __attribute__((target("arch=x86-64-v4"), optimize("O3", "fp-contract=fast")))
typedef float v16 __attribute__((vector_size(64)));

static inline __attribute__((always_inline)) v16 ld16(const float *p)
{
	v16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

#define st16(p, v) do { v16 st_ = (v); memcpy((p), &st_, sizeof(st_)); } while (0)
/* A 16-float vector (an lvalue) as the 8-float sum of its halves. */
static inline __attribute__((always_inline)) v8 fold16_at(const v16 *v)
{
	v8 l, h;

	memcpy(&l, v, sizeof(l));
	memcpy(&h, (const char *)v + sizeof(l), sizeof(h));
	return l + h;
}

#define fold16(v) fold16_at(&(v))
#define hsum16(v) hsum(fold16(v))
#endif

/* ---------------------------------------------------------------- CSR */

void xl_csr_build(struct xl_csr *m, uint32_t nrows, uint32_t ncols, const uint32_t *rows,
		  const uint32_t *cols, const float *vals, size_t n)
{
	uint64_t *count = xl_xcalloc((size_t)nrows + 1, sizeof(*count));
	uint32_t *idx = xl_xmalloc((n ? n : 1) * sizeof(*idx));
	float *val = xl_xmalloc((n ? n : 1) * sizeof(*val));
	uint64_t out = 0;

	for (size_t k = 0; k < n; k++) {
		assert(rows[k] < nrows && cols[k] < ncols);
		count[rows[k] + 1]++;
	}
	for (uint32_t r = 0; r < nrows; r++)
		count[r + 1] += count[r];
	/* Scatter by row (count[r] walks forward), then sort and merge each row. */
	{
		uint64_t *pos = xl_xmalloc(((size_t)nrows + 1) * sizeof(*pos));

		memcpy(pos, count, ((size_t)nrows + 1) * sizeof(*pos));
		for (size_t k = 0; k < n; k++) {
			uint64_t at = pos[rows[k]]++;

			idx[at] = cols[k];
			val[at] = vals[k];
		}
		free(pos);
	}
	m->nrows = nrows;
	m->ncols = ncols;
	m->indptr = xl_xmalloc(((size_t)nrows + 1) * sizeof(*m->indptr));
	m->indptr[0] = 0;
	for (uint32_t r = 0; r < nrows; r++) {
		uint64_t b = count[r], e = count[r + 1];

		/* Insertion sort: rows are short; long ones are rare and still fine. */
		for (uint64_t a = b + 1; a < e; a++) {
			uint32_t ci = idx[a];
			float cv = val[a];
			uint64_t j = a;

			while (j > b && idx[j - 1] > ci) {
				idx[j] = idx[j - 1];
				val[j] = val[j - 1];
				j--;
			}
			idx[j] = ci;
			val[j] = cv;
		}
		for (uint64_t a = b; a < e;) {
			uint32_t ci = idx[a];
			float sum = 0;

			while (a < e && idx[a] == ci)
				sum += val[a++];
			if (sum > 0) {
				idx[out] = ci;
				val[out] = sum;
				out++;
			}
		}
		m->indptr[r + 1] = out;
	}
	free(count);
	m->nnz = out;
	m->indices = xl_xrealloc(idx, (out ? out : 1) * sizeof(*idx));
	m->data = xl_xrealloc(val, (out ? out : 1) * sizeof(*val));
}

void xl_csr_transpose(const struct xl_csr *m, struct xl_csr *t)
{
	uint64_t *pos;

	t->nrows = m->ncols;
	t->ncols = m->nrows;
	t->nnz = m->nnz;
	t->indptr = xl_xcalloc((size_t)t->nrows + 1, sizeof(*t->indptr));
	t->indices = xl_xmalloc((m->nnz ? m->nnz : 1) * sizeof(*t->indices));
	t->data = xl_xmalloc((m->nnz ? m->nnz : 1) * sizeof(*t->data));
	for (uint64_t a = 0; a < m->nnz; a++)
		t->indptr[m->indices[a] + 1]++;
	for (uint32_t r = 0; r < t->nrows; r++)
		t->indptr[r + 1] += t->indptr[r];
	pos = xl_xmalloc(((size_t)t->nrows + 1) * sizeof(*pos));
	memcpy(pos, t->indptr, ((size_t)t->nrows + 1) * sizeof(*pos));
	/* Rows of m in order, so each row of t comes out sorted. */
	for (uint32_t r = 0; r < m->nrows; r++)
		for (uint64_t a = m->indptr[r]; a < m->indptr[r + 1]; a++) {
			uint64_t at = pos[m->indices[a]]++;

			t->indices[at] = r;
			t->data[at] = m->data[a];
		}
	free(pos);
}

void xl_csr_release(struct xl_csr *m)
{
	free(m->indptr);
	free(m->indices);
	free(m->data);
	*m = (struct xl_csr)XL_CSR_INIT;
}

/* ---------------------------------------------------------------- kernels */

XL_KERNEL static float dot(const float *restrict a, const float *restrict b, uint32_t k)
{
	v8 s0 = { 0 }, s1 = { 0 };
	uint32_t f = 0;
	float r;

	for (; f + 16 <= k; f += 16) {
		s0 += ld(a + f) * ld(b + f);
		s1 += ld(a + f + 8) * ld(b + f + 8);
	}
	for (; f + 8 <= k; f += 8)
		s0 += ld(a + f) * ld(b + f);
	r = hsum(s0 + s1);
	for (; f < k; f++)
		r += a[f] * b[f];
	return r;
}

/* out = g v, g symmetric k x k (row-major, full): the sum of v[j] times row j. */
XL_KERNEL static void symv(const float *restrict g, const float *restrict v, float *restrict out, uint32_t k)
{
	uint32_t k8 = k / 8 * 8;

	memset(out, 0, sizeof(float) * k);
	for (uint32_t j = 0; j < k; j++) {
		const float *row = g + (size_t)j * k;
		v8 vj = { v[j], v[j], v[j], v[j], v[j], v[j], v[j], v[j] };
		uint32_t f;

		for (f = 0; f < k8; f += 8)
			st(out + f, ld(out + f) + vj * ld(row + f));
		for (; f < k; f++)
			out[f] += v[j] * row[f];
	}
}

/*
 * acc += sum over the row's entries of w (y_i . v) y_i with w = alpha r
 * (that is c - 1 for the confidence c = 1 + alpha r); and, when b is not
 * NULL, b += c y_i (the right-hand side Y^T C p). Two entries at a time,
 * so that one dot product's sum overlaps the other's.
 */
XL_KERNEL static void row_apply_any(const float *restrict y, uint32_t k, const uint32_t *restrict idx,
				const float *restrict r, uint64_t n, float alpha, const float *restrict v,
				float *restrict acc, float *restrict b)
{
	uint32_t k8 = k / 8 * 8;
	uint64_t a = 0;

	for (; a + 2 <= n; a += 2) {
		const float *yi = y + (size_t)idx[a] * k, *yj = y + (size_t)idx[a + 1] * k;
		float wi = alpha * r[a], wj = alpha * r[a + 1], si, sj;
		v8 s0 = { 0 }, s1 = { 0 };
		uint32_t f;

		for (f = 0; f < k8; f += 8) {
			v8 vv = ld(v + f);

			s0 += ld(yi + f) * vv;
			s1 += ld(yj + f) * vv;
		}
		si = hsum(s0);
		sj = hsum(s1);
		for (; f < k; f++) {
			si += yi[f] * v[f];
			sj += yj[f] * v[f];
		}
		si *= wi;
		sj *= wj;
		{
			v8 vsi = { si, si, si, si, si, si, si, si }, vsj = { sj, sj, sj, sj, sj, sj, sj, sj };

			for (f = 0; f < k8; f += 8)
				st(acc + f, ld(acc + f) + vsi * ld(yi + f) + vsj * ld(yj + f));
			for (; f < k; f++)
				acc[f] += si * yi[f] + sj * yj[f];
		}
		if (b) {
			float ci = 1 + wi, cj = 1 + wj;
			v8 vci = { ci, ci, ci, ci, ci, ci, ci, ci }, vcj = { cj, cj, cj, cj, cj, cj, cj, cj };

			for (f = 0; f < k8; f += 8)
				st(b + f, ld(b + f) + vci * ld(yi + f) + vcj * ld(yj + f));
			for (; f < k; f++)
				b[f] += ci * yi[f] + cj * yj[f];
		}
	}
	for (; a < n; a++) {
		const float *yi = y + (size_t)idx[a] * k;
		float w = alpha * r[a], s = dot(yi, v, k) * w;

		for (uint32_t f = 0; f < k; f++)
			acc[f] += s * yi[f];
		if (b)
			for (uint32_t f = 0; f < k; f++)
				b[f] += (1 + w) * yi[f];
	}
}

/*
 * The sums of eight vectors' lanes, as one vector (lane j: the sum of
 * s[j]), by a transposing tree of in-lane shuffles: 21 operations for the
 * eight, where eight horizontal sums take about 15 each and are a chain.
 */
static inline __attribute__((always_inline)) v8 hsum8x8(const v8 *s)
{
	typedef int m8 __attribute__((vector_size(32)));
	const m8 lo = { 0, 8, 1, 9, 4, 12, 5, 13 }, hi = { 2, 10, 3, 11, 6, 14, 7, 15 };
	const m8 lo2 = { 0, 1, 8, 9, 4, 5, 12, 13 }, hi2 = { 2, 3, 10, 11, 6, 7, 14, 15 };
	const m8 lo4 = { 0, 1, 2, 3, 8, 9, 10, 11 }, hi4 = { 4, 5, 6, 7, 12, 13, 14, 15 };
	v8 t01 = __builtin_shuffle(s[0], s[1], lo) + __builtin_shuffle(s[0], s[1], hi);
	v8 t23 = __builtin_shuffle(s[2], s[3], lo) + __builtin_shuffle(s[2], s[3], hi);
	v8 t45 = __builtin_shuffle(s[4], s[5], lo) + __builtin_shuffle(s[4], s[5], hi);
	v8 t67 = __builtin_shuffle(s[6], s[7], lo) + __builtin_shuffle(s[6], s[7], hi);
	/* Lanes 0-3: the low halves' sums of s[0..3]; lanes 4-7: their high halves'. */
	v8 u03 = __builtin_shuffle(t01, t23, lo2) + __builtin_shuffle(t01, t23, hi2);
	v8 u47 = __builtin_shuffle(t45, t67, lo2) + __builtin_shuffle(t45, t67, hi2);

	return __builtin_shuffle(u03, u47, lo4) + __builtin_shuffle(u03, u47, hi4);
}

/* An 8-float vector as itself (fold16's counterpart). */
#define fold8(v) (v)

/*
 * The same for the common factor counts, with k known when compiling (K,
 * on vectors VT of W floats, loaded and stored by LD and ST, summed by
 * HSUM, folded to 8 floats by FOLD): the user's vector v and the sums stay
 * in registers across the items.
 *
 * With G, the items go eight at a time: their eight dot products are
 * independent chains, summed across lanes together by hsum8x8 and scaled
 * by the eight weights in one vector; then the eight updates go into NACC
 * sets of sums, so that no one register is a chain of eight dependent adds
 * (the sets are added at the end). Each item's factors are read twice, the
 * second time from the L1 cache. Without G, one item at a time, its
 * factors read once. Which is faster depends on how many vectors a row
 * is: the groups won with two (16 factors on 8-float vectors, 32 on
 * 16-float: 1.1-1.3x), one at a time with four or more (at 128 factors
 * the groups were 1.3x slower). The items left over from the groups of
 * eight go one at a time too.
 *
 * The loop is written twice, with and without the sums b (ROW_ITEMS), so
 * that the three passes of four that have no b keep v and the sums in
 * registers (about 1.15-1.2x at 128 factors).
 *
 * The factors of the items PREFETCH_AHEAD entries ahead are asked for while
 * these are worked on: the rows are gathered at random from a matrix
 * bigger than the L2 cache (7-9 % faster at 64 and 128 factors; 16 ahead
 * did no better).
 */
#define PREFETCH_AHEAD 8
/* The factors of the item PREFETCH_AHEAD entries after entry E, asked for. */
#define PREFETCH_ITEM(K, E)                                                                        \
	do {                                                                                       \
		if ((E) + PREFETCH_AHEAD < n) {                                                    \
			const float *ya_ = y + (size_t)idx[(E) + PREFETCH_AHEAD] * K;              \
			for (int l_ = 0; l_ < K / 16; l_++)                                        \
				__builtin_prefetch(ya_ + 16 * l_);                                 \
		}                                                                                  \
	} while (0)

/* ROW_APPLY's loop over the items, with (WB 1) or without the sums b. */
#define ROW_ITEMS(K, VT, W, LD, HSUM, FOLD, NACC, G, WB)                                           \
	do {                                                                                       \
		uint64_t a = 0;                                                                    \
                                                                                                   \
		for (; G && a + 8 <= n; a += 8) {                                                  \
			const float *yj[8];                                                        \
			v8 s8[8], d, w8 = alpha * ld(r + a);                                       \
			float ds[8], cs[8];                                                        \
                                                                                                   \
			for (int j = 0; j < 8; j++) {                                              \
				yj[j] = y + (size_t)idx[a + j] * K;                                \
				PREFETCH_ITEM(K, a + j);                                           \
			}                                                                          \
			for (int j = 0; j < 8; j++) {                                              \
				VT s = LD(yj[j]) * vv[0];                                          \
				for (int q = 1; q < K / W; q++)                                    \
					s += LD(yj[j] + W * q) * vv[q];                            \
				s8[j] = FOLD(s);                                                   \
			}                                                                          \
			d = hsum8x8(s8) * w8;                                                      \
			memcpy(ds, &d, sizeof(ds));                                                \
			for (int j = 0; j < 8; j++)                                                \
				for (int q = 0; q < K / W; q++)                                    \
					aa[j % NACC][q] += ds[j] * LD(yj[j] + W * q);              \
			if (WB) {                                                                  \
				v8 c8 = 1 + w8;                                                    \
                                                                                                   \
				memcpy(cs, &c8, sizeof(cs));                                       \
				for (int j = 0; j < 8; j++)                                        \
					for (int q = 0; q < K / W; q++)                            \
						bb[q] += cs[j] * LD(yj[j] + W * q);                \
			}                                                                          \
		}                                                                                  \
		for (; a < n; a++) {                                                               \
			const float *yi = y + (size_t)idx[a] * K;                                  \
			VT s0 = { 0 }, s1 = { 0 }, yq[K / W];                                      \
			float w = alpha * r[a], sc;                                                \
                                                                                                   \
			PREFETCH_ITEM(K, a);                                                       \
			for (int q = 0; q < K / W; q += 2) {                                       \
				yq[q] = LD(yi + W * q);                                            \
				yq[q + 1] = LD(yi + W * q + W);                                    \
				s0 += yq[q] * vv[q];                                               \
				s1 += yq[q + 1] * vv[q + 1];                                       \
			}                                                                          \
			s0 += s1;                                                                  \
			sc = HSUM(s0) * w;                                                         \
			for (int q = 0; q < K / W; q++)                                            \
				aa[0][q] += sc * yq[q];                                            \
			if (WB)                                                                    \
				for (int q = 0; q < K / W; q++)                                    \
					bb[q] += (1 + w) * yq[q];                                  \
		}                                                                                  \
	} while (0)

#define ROW_APPLY(ATTR, NAME, K, VT, W, LD, ST, HSUM, FOLD, NACC, G)                                \
	ATTR static void NAME(const float *restrict y, const uint32_t *restrict idx,               \
			      const float *restrict r, uint64_t n, float alpha, const float *restrict v,  \
			      float *restrict acc, float *restrict b)                                      \
	{                                                                                          \
		VT vv[K / W], aa[NACC][K / W], bb[K / W];                                          \
                                                                                                   \
		for (int q = 0; q < K / W; q++) {                                                  \
			vv[q] = LD(v + W * q);                                                     \
			aa[0][q] = LD(acc + W * q);                                                \
			for (int u = 1; u < NACC; u++)                                             \
				aa[u][q] = (VT){ 0 };                                              \
			bb[q] = b ? LD(b + W * q) : (VT){ 0 };                                     \
		}                                                                                  \
		if (b)                                                                             \
			ROW_ITEMS(K, VT, W, LD, HSUM, FOLD, NACC, G, 1);                           \
		else                                                                               \
			ROW_ITEMS(K, VT, W, LD, HSUM, FOLD, NACC, G, 0);                           \
		for (int q = 0; q < K / W; q++) {                                                  \
			for (int u = 1; u < NACC; u++)                                             \
				aa[0][q] += aa[u][q];                                              \
			ST(acc + W * q, aa[0][q]);                                                 \
			if (b)                                                                     \
				ST(b + W * q, bb[q]);                                              \
		}                                                                                  \
	}
#define ROW_APPLY_FIXED(K, NACC, G) ROW_APPLY(XL_KERNEL, row_apply_##K, K, v8, 8, ld, st, hsum, fold8, NACC, G)
ROW_APPLY_FIXED(16, 4, 1)
ROW_APPLY_FIXED(32, 1, 0)
ROW_APPLY_FIXED(64, 1, 0)
ROW_APPLY_FIXED(128, 1, 0)

#ifdef XL_V16
/* The same on 16-float vectors (see XL_V16). */
ROW_APPLY(XL_KERNEL16, row_apply16_32, 32, v16, 16, ld16, st16, hsum16, fold16, 2, 1)
ROW_APPLY(XL_KERNEL16, row_apply16_64, 64, v16, 16, ld16, st16, hsum16, fold16, 1, 0)
ROW_APPLY(XL_KERNEL16, row_apply16_128, 128, v16, 16, ld16, st16, hsum16, fold16, 1, 0)

/*
 * Whether this CPU runs the 16-float kernels: x86-64-v4's AVX-512 parts.
 * (libgcc reads the CPU's features once, before main; asking is a load.)
 */
static int have_v16(void)
{
	return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") &&
	       __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq");
}

/*
 * out = a g for nb rows a (nb x K) and g (K x K), K fixed, on AVX-512: R
 * rows at a time against a tile of up to 64 columns (16 sums in
 * registers), g's rows read from the L1 cache. For the CG blocks' dense
 * products (64 x K by K x K), where OpenBLAS's sgemm spends a good part of
 * its time packing: 1.1-1.16x the whole iteration at 32-128 factors.
 */
#define GEMM16(NAME, K)                                                                            \
	XL_KERNEL16 static void NAME(const float *restrict a, const float *restrict g, float *restrict out, \
				     uint32_t nb)                                                   \
	{                                                                                          \
		enum { TW = K < 64 ? K / 16 : 4, R = 16 / TW };                                    \
                                                                                                   \
		for (uint32_t c = 0; c < K; c += 16 * TW) {                                        \
			uint32_t i = 0;                                                            \
                                                                                                   \
			for (; i + R <= nb; i += R) {                                              \
				v16 acc[R][TW] = { 0 };                                            \
                                                                                                   \
				for (uint32_t j = 0; j < K; j++) {                                 \
					const float *gj = g + (size_t)j * K + c;                   \
                                                                                                   \
					for (int t = 0; t < TW; t++) {                             \
						v16 gv = ld16(gj + 16 * t);                        \
                                                                                                   \
						for (int q = 0; q < R; q++)                        \
							acc[q][t] += a[(size_t)(i + q) * K + j] * gv; \
					}                                                          \
				}                                                                  \
				for (int q = 0; q < R; q++)                                        \
					for (int t = 0; t < TW; t++)                               \
						st16(out + (size_t)(i + q) * K + c + 16 * t, acc[q][t]); \
			}                                                                          \
			for (; i < nb; i++) {                                                      \
				v16 acc[TW] = { 0 };                                               \
                                                                                                   \
				for (uint32_t j = 0; j < K; j++)                                   \
					for (int t = 0; t < TW; t++)                               \
						acc[t] += a[(size_t)i * K + j] * ld16(g + (size_t)j * K + c + 16 * t); \
				for (int t = 0; t < TW; t++)                                       \
					st16(out + (size_t)i * K + c + 16 * t, acc[t]);            \
			}                                                                          \
		}                                                                                  \
	}
GEMM16(gemm16_32, 32)
GEMM16(gemm16_64, 64)
GEMM16(gemm16_128, 128)
#endif

/*
 * out = a g, a nb x k, g k x k, all row-major; through BLAS when blas is
 * set (its threads then share the product: xl_als_params.blas_threads).
 */
static void gemm_rows(const float *a, const float *g, float *out, uint32_t nb, uint32_t k, int blas)
{
	(void)blas; /* (without the kernels, everything goes through BLAS) */
#ifdef XL_V16
	if (!blas && have_v16()) {
		switch (k) {
		case 32: gemm16_32(a, g, out, nb); return;
		case 64: gemm16_64(a, g, out, nb); return;
		case 128: gemm16_128(a, g, out, nb); return;
		default: break;
		}
	}
#endif
	cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nb, (int)k, (int)k, 1.0f, a, (int)k, g, (int)k,
		    0.0f, out, (int)k);
}

static void row_apply(const float *y, uint32_t k, const uint32_t *idx, const float *r, uint64_t n, float alpha,
		      const float *v, float *acc, float *b)
{
#ifdef XL_V16
	if (have_v16()) {
		switch (k) {
		case 32: row_apply16_32(y, idx, r, n, alpha, v, acc, b); return;
		case 64: row_apply16_64(y, idx, r, n, alpha, v, acc, b); return;
		case 128: row_apply16_128(y, idx, r, n, alpha, v, acc, b); return;
		default: break;
		}
	}
#endif
	switch (k) {
	case 16: row_apply_16(y, idx, r, n, alpha, v, acc, b); break;
	case 32: row_apply_32(y, idx, r, n, alpha, v, acc, b); break;
	case 64: row_apply_64(y, idx, r, n, alpha, v, acc, b); break;
	case 128: row_apply_128(y, idx, r, n, alpha, v, acc, b); break;
	default: row_apply_any(y, k, idx, r, n, alpha, v, acc, b); break;
	}
}

/* x += step p, r -= step ap; returns r . r (a CG step's updates, in one pass). */
XL_KERNEL static float cg_update(float *restrict x, float *restrict r, const float *restrict p,
				 const float *restrict ap, float step, uint32_t k)
{
	v8 vs = { step, step, step, step, step, step, step, step }, s0 = { 0 };
	uint32_t f = 0;
	float rr;

	for (; f + 8 <= k; f += 8) {
		v8 rv = ld(r + f) - vs * ld(ap + f);

		st(x + f, ld(x + f) + vs * ld(p + f));
		st(r + f, rv);
		s0 += rv * rv;
	}
	rr = hsum(s0);
	for (; f < k; f++) {
		x[f] += step * p[f];
		r[f] -= step * ap[f];
		rr += r[f] * r[f];
	}
	return rr;
}

/* p = r + beta p. */
XL_KERNEL static void cg_direction(float *restrict p, const float *restrict r, float beta, uint32_t k)
{
	v8 vb = { beta, beta, beta, beta, beta, beta, beta, beta };
	uint32_t f = 0;

	for (; f + 8 <= k; f += 8)
		st(p + f, ld(r + f) + vb * ld(p + f));
	for (; f < k; f++)
		p[f] = r[f] + beta * p[f];
}

/* r = b - gx - r, p = r; returns r . r (the start of CG, in one pass). */
XL_KERNEL static float cg_start(float *restrict r, float *restrict p, const float *restrict b,
				const float *restrict gx, uint32_t k)
{
	v8 s0 = { 0 };
	uint32_t f = 0;
	float rr;

	for (; f + 8 <= k; f += 8) {
		v8 rv = ld(b + f) - ld(gx + f) - ld(r + f);

		st(r + f, rv);
		st(p + f, rv);
		s0 += rv * rv;
	}
	rr = hsum(s0);
	for (; f < k; f++) {
		r[f] = b[f] - gx[f] - r[f];
		p[f] = r[f];
		rr += r[f] * r[f];
	}
	return rr;
}

/* ---------------------------------------------------------------- solves */

#define CHUNK 64

struct scratch {
	float *p, *ap, *a, *b;       /* one row's vectors (and the k x k system) */
	float *br, *bp, *bap, *rs;   /* a block of CHUNK rows, for the CG solver */
	int blas;                    /* its products through (threaded) BLAS */
};

static void scratch_init(struct scratch *s, uint32_t k)
{
	s->p = xl_xmalloc(sizeof(float) * k);
	s->ap = xl_xmalloc(sizeof(float) * k);
	s->a = xl_xmalloc(sizeof(float) * k * k);
	s->b = xl_xmalloc(sizeof(float) * k);
	s->br = xl_xmalloc(sizeof(float) * k * CHUNK);
	s->bp = xl_xmalloc(sizeof(float) * k * CHUNK);
	s->bap = xl_xmalloc(sizeof(float) * k * CHUNK);
	s->rs = xl_xmalloc(sizeof(float) * CHUNK);
	s->blas = 0;
}

static void scratch_release(struct scratch *s)
{
	free(s->p);
	free(s->ap);
	free(s->a);
	free(s->b);
	free(s->br);
	free(s->bp);
	free(s->bap);
	free(s->rs);
}

/*
 * Conjugate gradient on (G + Y^T (C - I) Y) x = Y^T C p from the current
 * x, G = Y^T Y + reg I (Takacs et al.; as in benfred/implicit), for the
 * nb rows from row0 at once: the CG steps go in lockstep so that the
 * dense part, G times every row's vector, is one matrix product (gemm_rows)
 * per step instead of nb matrix-vector products. Each row's arithmetic is
 * its own, so the result does not depend on the blocking.
 */
static void solve_cg_block(const float *y, const float *g, uint32_t k, float alpha, uint32_t steps,
			   const struct xl_csr *m, uint64_t row0, uint32_t nb, float *x, struct scratch *s)
{
	float *X = x + (size_t)row0 * k;

	/* r = Y^T C p - (G + Y^T (C - I) Y) x; p = r */
	gemm_rows(X, g, s->bap, nb, k, s->blas);
	for (uint32_t i = 0; i < nb; i++) {
		uint64_t b = m->indptr[row0 + i], n = m->indptr[row0 + i + 1] - b;
		float *r = s->br + (size_t)i * k, *p = s->bp + (size_t)i * k, *gx = s->bap + (size_t)i * k;

		memset(r, 0, sizeof(float) * k);
		memset(s->b, 0, sizeof(float) * k);
		row_apply(y, k, m->indices + b, m->data + b, n, alpha, X + (size_t)i * k, r, s->b);
		s->rs[i] = cg_start(r, p, s->b, gx, k);
	}
	for (uint32_t it = 0; it < steps; it++) {
		gemm_rows(s->bp, g, s->bap, nb, k, s->blas);
		for (uint32_t i = 0; i < nb; i++) {
			uint64_t b = m->indptr[row0 + i], n = m->indptr[row0 + i + 1] - b;
			float *r = s->br + (size_t)i * k, *p = s->bp + (size_t)i * k, *ap = s->bap + (size_t)i * k;
			float *xi = X + (size_t)i * k, pap, step, rsnew;

			if (s->rs[i] < 1e-20f)
				continue;
			row_apply(y, k, m->indices + b, m->data + b, n, alpha, p, ap, NULL);
			pap = dot(p, ap, k);
			if (!(pap > 0)) {
				s->rs[i] = 0;
				continue;
			}
			step = s->rs[i] / pap;
			rsnew = cg_update(xi, r, p, ap, step, k);
			cg_direction(p, r, rsnew / s->rs[i], k);
			s->rs[i] = rsnew;
		}
	}
}

/* The exact system into s->a (upper, column-major = row-major for symmetric) and s->b. */
static void build_system(const float *y, const float *g, uint32_t k, float alpha, const uint32_t *idx,
			 const float *rv, uint64_t n, struct scratch *s)
{
	memcpy(s->a, g, sizeof(float) * k * k);
	memset(s->b, 0, sizeof(float) * k);
	for (uint64_t a = 0; a < n; a++) {
		const float *yi = y + (size_t)idx[a] * k;
		float w = alpha * rv[a];

		cblas_ssyr(CblasRowMajor, CblasUpper, (int)k, w, yi, 1, s->a, (int)k);
		cblas_saxpy((int)k, 1 + w, yi, 1, s->b, 1);
	}
}

static int solve_cholesky(const float *y, const float *g, uint32_t k, float alpha, const uint32_t *idx,
			  const float *rv, uint64_t n, float *x, struct scratch *s)
{
	int kk = (int)k, one = 1, info = 0;

	build_system(y, g, k, alpha, idx, rv, n, s);
	/* Row-major upper is column-major lower. */
	sposv_("L", &kk, &one, s->a, &kk, s->b, &kk, &info, 1);
	if (info != 0)
		return -1;
	memcpy(x, s->b, sizeof(float) * k);
	return 0;
}

/* ---------------------------------------------------------------- training */

struct half {
	const struct xl_csr *m;   /* rows to solve */
	const float *other;       /* fixed factors */
	float *self;              /* factors being solved */
	const float *gram;        /* other^T other + reg I */
	const struct xl_als_params *p;
	atomic_uint_fast64_t next;
	atomic_int failed;
	/* Loss pass: */
	int loss_pass;
	const float *gram_noreg;
	double loss_sum[64];
};

struct crew;

struct worker {
	struct half *h;
	struct crew *crew;
	uint32_t id;
	struct scratch s;
};

/* One user's part of the loss, without the regulariser. */
static double row_loss(const float *y, const float *gram, uint32_t k, float alpha, const uint32_t *idx,
		       const float *rv, uint64_t n, const float *x, float *tmp)
{
	double l;

	symv(gram, x, tmp, k);
	l = dot(x, tmp, k);
	for (uint64_t a = 0; a < n; a++) {
		float s = dot(x, y + (size_t)idx[a] * k, k), c = 1 + alpha * rv[a];

		l += c * (1.0 - s) * (1.0 - s) - (double)s * s;
	}
	return l;
}

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	struct half *h = w->h;
	const struct xl_als_params *p = h->p;
	uint32_t k = p->factors;
	double loss = 0;

	for (;;) {
		uint64_t b = atomic_fetch_add(&h->next, CHUNK), e;

		if (b >= h->m->nrows || atomic_load(&h->failed))
			break;
		e = b + CHUNK < h->m->nrows ? b + CHUNK : h->m->nrows;
		if (!h->loss_pass && p->solver == XL_ALS_CG) {
			solve_cg_block(h->other, h->gram, k, p->alpha, p->cg_steps, h->m, b, (uint32_t)(e - b), h->self,
				       &w->s);
			continue;
		}
		for (uint64_t row = b; row < e; row++) {
			uint64_t s = h->m->indptr[row], n = h->m->indptr[row + 1] - s;
			const uint32_t *idx = h->m->indices + s;
			const float *rv = h->m->data + s;
			float *x = h->self + (size_t)row * k;

			if (h->loss_pass) {
				loss += row_loss(h->other, h->gram_noreg, k, p->alpha, idx, rv, n, x, w->s.ap);
				continue;
			}
			if (solve_cholesky(h->other, h->gram, k, p->alpha, idx, rv, n, x, &w->s) < 0)
				atomic_store(&h->failed, 1);
		}
	}
	if (h->loss_pass)
		h->loss_sum[w->id] = loss;
	return NULL;
}

static double now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The row threads, started once for the whole training and kept between
 * the half-sweeps. Starting a thread, or waking one that sleeps, took 70-120
 * us on this project's (virtual) machine, where a half-sweep is 1-30 ms:
 * so between the halves a worker first waits for the next round by
 * yielding the CPU in a loop (BLAS's threads, which compute Y^T Y
 * meanwhile, get it), and sleeps on the condition variable only after
 * CREW_SPIN seconds.
 */
#define CREW_SPIN 0.005

struct crew {
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	atomic_uint_fast64_t round;   /* bumped to start each half (under mu) */
	atomic_uint busy;             /* started workers still in this round */
	atomic_int quit;              /* set (under mu) to end the workers */
	uint32_t started;             /* threads running crew_main */
	pthread_t tid[64];
	struct worker *ws;
};

/* Whether f(c, arg) became true within CREW_SPIN seconds, yielding between tries. */
static int crew_spin(struct crew *c, int (*f)(struct crew *, uint64_t), uint64_t arg)
{
	double until = now_seconds() + CREW_SPIN;

	for (unsigned i = 1;; i++) {
		if (f(c, arg))
			return 1;
		if (i % 64 == 0 && now_seconds() > until)
			return 0;
		sched_yield();
	}
}

static int crew_moved(struct crew *c, uint64_t seen)
{
	return atomic_load(&c->round) != seen || atomic_load(&c->quit);
}

static int crew_idle(struct crew *c, uint64_t unused)
{
	(void)unused;
	return atomic_load(&c->busy) == 0;
}

static void *crew_main(void *arg)
{
	struct worker *w = arg;
	struct crew *c = w->crew;
	uint64_t seen = 0;

	for (;;) {
		if (!crew_spin(c, crew_moved, seen)) {
			pthread_mutex_lock(&c->mu);
			while (!crew_moved(c, seen))
				pthread_cond_wait(&c->go, &c->mu);
			pthread_mutex_unlock(&c->mu);
		}
		if (atomic_load(&c->quit))
			return NULL;
		seen = atomic_load(&c->round);
		worker_run(w);
		if (atomic_fetch_sub(&c->busy, 1) == 1) {
			pthread_mutex_lock(&c->mu);
			pthread_cond_signal(&c->done);
			pthread_mutex_unlock(&c->mu);
		}
	}
}

/*
 * Start up to nthreads - 1 threads (the caller is the first worker), fewer
 * when the system has none to give: the rows are shared out as they go.
 */
static void crew_start(struct crew *c, struct worker *ws, uint32_t nthreads)
{
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->go, NULL);
	pthread_cond_init(&c->done, NULL);
	atomic_init(&c->round, 0);
	atomic_init(&c->busy, 0);
	atomic_init(&c->quit, 0);
	c->ws = ws;
	c->started = 0;
	for (uint32_t t = 1; t < nthreads; t++) {
		ws[c->started + 1].crew = c;
		if (pthread_create(&c->tid[c->started], NULL, crew_main, &ws[c->started + 1]) != 0)
			break;
		c->started++;
	}
}

static void crew_stop(struct crew *c)
{
	pthread_mutex_lock(&c->mu);
	atomic_store(&c->quit, 1);
	pthread_cond_broadcast(&c->go);
	pthread_mutex_unlock(&c->mu);
	for (uint32_t t = 0; t < c->started; t++)
		pthread_join(c->tid[t], NULL);
	pthread_mutex_destroy(&c->mu);
	pthread_cond_destroy(&c->go);
	pthread_cond_destroy(&c->done);
}

/* Solve every row of h->m (or sum the loss) on the crew and the caller. */
static void run_half(struct half *h, struct crew *c)
{
	atomic_store(&h->next, 0);
	for (uint32_t t = 0; t <= c->started; t++)
		c->ws[t].h = h;
	atomic_store(&c->busy, c->started);
	pthread_mutex_lock(&c->mu);
	atomic_fetch_add(&c->round, 1);
	pthread_cond_broadcast(&c->go);
	pthread_mutex_unlock(&c->mu);
	worker_run(&c->ws[0]);
	if (!crew_spin(c, crew_idle, 0)) {
		pthread_mutex_lock(&c->mu);
		while (!crew_idle(c, 0))
			pthread_cond_wait(&c->done, &c->mu);
		pthread_mutex_unlock(&c->mu);
	}
}

void xl_als_gram(const float *y, uint32_t n, uint32_t k, float *gram)
{
	cblas_ssyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)k, (int)n, 1.0f, y, (int)k, 0.0f, gram, (int)k);
	for (uint32_t i = 0; i < k; i++)
		for (uint32_t j = 0; j < i; j++)
			gram[(size_t)i * k + j] = gram[(size_t)j * k + i];
}

uint32_t xl_als_threads(const struct xl_als_params *p)
{
	long n;

	if (p->blas_threads > 1)
		return 1;
	if (p->threads)
		return p->threads > 64 ? 64 : p->threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 64 ? 64 : (uint32_t)n;
}

/* splitmix64: a small, well-mixed generator for the seeded start. */
static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void random_start(float *f, size_t n, uint64_t *state)
{
	for (size_t i = 0; i < n; i++)
		f[i] = (float)((splitmix(state) >> 40) * (1.0 / 16777216.0)) * 0.01f;
}

int xl_als_train(const struct xl_csr *ui, const struct xl_als_params *p, float *user_factors,
		 float *item_factors, int want_loss, xl_als_progress_fn *progress, void *arg,
		 struct xl_err *err)
{
	uint32_t k = p->factors, nthreads = xl_als_threads(p);
	struct xl_csr iu = XL_CSR_INIT;
	struct worker ws[64];
	struct crew crew;
	float *gram, *gram_noreg;
	struct half h;
	uint64_t state = p->seed;
	int blas_threads = openblas_get_num_threads(), ret = -1;
	/* BLAS's threads in the row solves (see xl_als_params.blas_threads). */
	int inner = p->blas_threads > 1 ? (int)(p->blas_threads < 64 ? p->blas_threads : 64) : 1;

	if (k == 0 || k > 1024)
		return xl_err_set(err, XL_EINVAL, "factors must be 1 to 1024, not %u", k);
	if (!(p->reg >= 0) || !(p->alpha >= 0) || !isfinite(p->reg) || !isfinite(p->alpha))
		return xl_err_set(err, XL_EINVAL, "reg and alpha must be finite and not negative");
	if (ui->nrows == 0 || ui->ncols == 0 || ui->nnz == 0)
		return xl_err_set(err, XL_EINVAL, "nothing to train on: no interactions");
	if (p->solver == XL_ALS_CHOLESKY && p->reg <= 0)
		return xl_err_set(err, XL_EINVAL, "the Cholesky solver needs reg > 0");

	random_start(user_factors, (size_t)ui->nrows * k, &state);
	random_start(item_factors, (size_t)ui->ncols * k, &state);
	xl_csr_transpose(ui, &iu);
	gram = xl_xmalloc(sizeof(float) * k * k);
	gram_noreg = xl_xmalloc(sizeof(float) * k * k);
	memset(&h, 0, sizeof(h));
	h.p = p;
	for (uint32_t t = 0; t < nthreads; t++) {
		ws[t].id = t;
		scratch_init(&ws[t].s, k);
		ws[t].s.blas = inner > 1;
	}
	crew_start(&crew, ws, nthreads);
	for (uint32_t it = 1; it <= p->iterations; it++) {
		double t0 = now_seconds(), loss = NAN;

		for (int side = 0; side < 2; side++) {
			const float *other = side == 0 ? item_factors : user_factors;
			uint32_t nother = side == 0 ? ui->ncols : ui->nrows;

			/* Y^T Y on the whole machine, the rows one thread each. */
			openblas_set_num_threads(blas_threads);
			xl_als_gram(other, nother, k, gram);
			for (uint32_t f = 0; f < k; f++)
				gram[(size_t)f * k + f] += p->reg;
			openblas_set_num_threads(inner);
			h.m = side == 0 ? ui : &iu;
			h.other = other;
			h.self = side == 0 ? user_factors : item_factors;
			h.gram = gram;
			h.loss_pass = 0;
			run_half(&h, &crew);
			if (atomic_load(&h.failed)) {
				xl_err_set(err, XL_EFAIL, "Cholesky solve failed in iteration %u", it);
				goto out;
			}
		}
		if (want_loss) {
			double sum = 0, total_conf = 0, norms = 0;

			openblas_set_num_threads(blas_threads);
			xl_als_gram(item_factors, ui->ncols, k, gram_noreg);
			openblas_set_num_threads(inner);
			h.m = ui;
			h.other = item_factors;
			h.self = user_factors;
			h.gram_noreg = gram_noreg;
			h.loss_pass = 1;
			memset(h.loss_sum, 0, sizeof(h.loss_sum));
			run_half(&h, &crew);
			for (uint32_t t = 0; t < nthreads; t++)
				sum += h.loss_sum[t];
			for (uint64_t a = 0; a < ui->nnz; a++)
				total_conf += 1 + p->alpha * ui->data[a];
			for (size_t f = 0; f < (size_t)ui->nrows * k; f++)
				norms += (double)user_factors[f] * user_factors[f];
			for (size_t f = 0; f < (size_t)ui->ncols * k; f++)
				norms += (double)item_factors[f] * item_factors[f];
			/* Per unit of confidence, as benfred/implicit reports it. */
			loss = (sum + p->reg * norms) /
			       (total_conf + (double)ui->nrows * ui->ncols - (double)ui->nnz);
		}
		if (progress && progress(it, loss, now_seconds() - t0, arg))
			break;
	}
	ret = 0;
out:
	crew_stop(&crew);
	openblas_set_num_threads(blas_threads);
	for (uint32_t t = 0; t < nthreads; t++)
		scratch_release(&ws[t].s);
	free(gram);
	free(gram_noreg);
	xl_csr_release(&iu);
	return ret;
}

/* ---------------------------------------------------------------- one user */

/* Factor the user's exact system; the Cholesky factor stays in s->a. */
static int factor_user(const float *y, const float *gram, uint32_t k, float reg, float alpha,
		       const uint32_t *idx, const float *r, size_t nnz, struct scratch *s, struct xl_err *err)
{
	int kk = (int)k, info = 0;

	build_system(y, gram, k, alpha, idx, r, nnz, s);
	for (uint32_t f = 0; f < k; f++)
		s->a[(size_t)f * k + f] += reg;
	spotrf_("L", &kk, s->a, &kk, &info, 1);
	if (info != 0)
		return xl_err_set(err, XL_EFAIL, "the user's system is singular (reg too small?)");
	return 0;
}

static int solve_factored(uint32_t k, struct scratch *s, float *rhs)
{
	int kk = (int)k, one = 1, info = 0;

	spotrs_("L", &kk, &one, s->a, &kk, rhs, &kk, &info, 1);
	return info == 0 ? 0 : -1;
}

int xl_als_fold_in(const float *y, const float *gram, uint32_t k, float reg, float alpha,
		   const uint32_t *idx, const float *r, size_t nnz, float *x, struct xl_err *err)
{
	struct scratch s;
	int ret = -1;

	scratch_init(&s, k);
	if (factor_user(y, gram, k, reg, alpha, idx, r, nnz, &s, err) < 0)
		goto out;
	memcpy(x, s.b, sizeof(float) * k);
	if (solve_factored(k, &s, x) < 0) {
		xl_err_set(err, XL_EFAIL, "cannot solve the user's system");
		goto out;
	}
	ret = 0;
out:
	scratch_release(&s);
	return ret;
}

int xl_als_explain(const float *y, const float *gram, uint32_t k, float reg, float alpha,
		   const uint32_t *idx, const float *r, size_t nnz, uint32_t j, float *contrib,
		   struct xl_err *err)
{
	struct scratch s;
	int ret = -1;

	scratch_init(&s, k);
	if (factor_user(y, gram, k, reg, alpha, idx, r, nnz, &s, err) < 0)
		goto out;
	/* q = W y_j; contribution of i = c_ui (q . y_i). */
	memcpy(s.p, y + (size_t)j * k, sizeof(float) * k);
	if (solve_factored(k, &s, s.p) < 0) {
		xl_err_set(err, XL_EFAIL, "cannot solve the user's system");
		goto out;
	}
	for (size_t a = 0; a < nnz; a++)
		contrib[a] = (1 + alpha * r[a]) * dot(s.p, y + (size_t)idx[a] * k, k);
	ret = 0;
out:
	scratch_release(&s);
	return ret;
}
