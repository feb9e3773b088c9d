/*
 * Unit tests for lib/xl_als.h, lib/xl_rec.h and lib/xl_receval.h: small
 * matrices whose right answers are plain to see.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_als.h"
#include "xl_rec.h"
#include "xl_receval.h"

/* A matrix from (row, col) pairs, strength 1 each. */
static void matrix(struct xl_csr *m, uint32_t nr, uint32_t nc, const uint32_t (*pairs)[2], size_t n)
{
	uint32_t *r = malloc(sizeof(uint32_t) * n), *c = malloc(sizeof(uint32_t) * n);
	float *v = malloc(sizeof(float) * n);

	for (size_t i = 0; i < n; i++) {
		r[i] = pairs[i][0];
		c[i] = pairs[i][1];
		v[i] = 1;
	}
	xl_csr_build(m, nr, nc, r, c, v, n);
	free(r);
	free(c);
	free(v);
}

/*
 * Two taste groups: users 0-9 buy among items 0-9, users 10-19 among
 * items 10-19, each user 5 neighbouring items of their group (cyclically).
 */
static void two_groups(struct xl_csr *m)
{
	uint32_t pairs[200][2];
	size_t n = 0;

	for (uint32_t u = 0; u < 20; u++)
		for (uint32_t j = 0; j < 5; j++) {
			uint32_t base = u < 10 ? 0 : 10;

			pairs[n][0] = u;
			pairs[n][1] = base + (u + j) % 10;
			n++;
		}
	matrix(m, 20, 20, (const uint32_t (*)[2])pairs, n);
}

static void test_csr(void **state)
{
	static const uint32_t r[] = { 1, 0, 1, 1, 0 }, c[] = { 2, 1, 0, 2, 1 };
	static const float v[] = { 1, 2, 3, 4, -2 };
	struct xl_csr m = XL_CSR_INIT, t = XL_CSR_INIT;

	(void)state;
	/* (0,1) sums to 0 and is dropped; (1,2) sums to 5; row 1 sorted. */
	xl_csr_build(&m, 2, 3, r, c, v, 5);
	assert_int_equal(m.nnz, 2);
	assert_int_equal(m.indptr[1], 0);
	assert_int_equal(m.indices[0], 0);
	assert_true(m.data[0] == 3);
	assert_int_equal(m.indices[1], 2);
	assert_true(m.data[1] == 5);
	xl_csr_transpose(&m, &t);
	assert_int_equal(t.nrows, 3);
	assert_int_equal(t.indptr[3], 2);
	assert_int_equal(t.indices[t.indptr[2]], 1);
	assert_true(t.data[t.indptr[2]] == 5);
	xl_csr_release(&m);
	xl_csr_release(&t);
}

/* Train on m; x and y are the caller's to free. */
static void train(const struct xl_csr *m, struct xl_als_params *p, float **x, float **y)
{
	struct xl_err err = XL_ERR_INIT;

	*x = malloc(sizeof(float) * m->nrows * p->factors);
	*y = malloc(sizeof(float) * m->ncols * p->factors);
	assert_int_equal(xl_als_train(m, p, *x, *y, 0, NULL, NULL, &err), 0);
}

static void test_groups(void **state)
{
	struct xl_csr m = XL_CSR_INIT;
	struct xl_als_params p = XL_ALS_PARAMS_INIT;
	struct xl_rec_hit hits[5];
	float *x, *y, scores[20];

	(void)state;
	two_groups(&m);
	/* Few factors, so the model has to generalise instead of memorising. */
	p.factors = 2;
	p.reg = 1;
	p.alpha = 10;
	train(&m, &p, &x, &y);
	/* Every user's 5 best new items are the 5 of their own group they lack. */
	for (uint32_t u = 0; u < 20; u++) {
		size_t got;

		xl_rec_score(y, 20, p.factors, x + (size_t)u * p.factors, scores);
		got = xl_rec_top(scores, 20, m.indices + m.indptr[u], m.indptr[u + 1] - m.indptr[u], NULL, 5, hits);
		assert_int_equal(got, 5);
		for (size_t h = 0; h < got; h++)
			assert_true((hits[h].item < 10) == (u < 10));
	}
	free(x);
	free(y);
	xl_csr_release(&m);
}

static void test_bundle(void **state)
{
	/* Items 0 and 1 are a bundle: users 0-7 bought both; user 8 only item 0. Items 2-5 are bought alone. */
	uint32_t pairs[40][2];
	size_t n = 0;
	struct xl_csr m = XL_CSR_INIT;
	struct xl_als_params p = XL_ALS_PARAMS_INIT;
	struct xl_rec_hit hit;
	float *x, *y, scores[6];

	(void)state;
	for (uint32_t u = 0; u < 8; u++) {
		pairs[n][0] = u, pairs[n++][1] = 0;
		pairs[n][0] = u, pairs[n++][1] = 1;
	}
	pairs[n][0] = 8, pairs[n++][1] = 0;
	for (uint32_t u = 9; u < 13; u++)
		pairs[n][0] = u, pairs[n++][1] = 2 + (u - 9);
	matrix(&m, 13, 6, (const uint32_t (*)[2])pairs, n);
	for (int solver = 0; solver < 2; solver++) {
		p.factors = 4;
		p.reg = 0.1f;
		p.alpha = 5;
		p.solver = solver ? XL_ALS_CHOLESKY : XL_ALS_CG;
		train(&m, &p, &x, &y);
		xl_rec_score(y, 6, p.factors, x + 8 * p.factors, scores);
		assert_int_equal(xl_rec_top(scores, 6, m.indices + m.indptr[8], 1, NULL, 1, &hit), 1);
		assert_int_equal(hit.item, 1);
		free(x);
		free(y);
	}
	xl_csr_release(&m);
}

/*
 * A bigger deterministic matrix with structure: NU users, NI items in 4
 * groups. Odd counts, so that the solver's blocks of rows end in a few rows
 * that no kernel's tile of 4 or 8 rows covers, and users have 1 to 12 items:
 * the row kernels' groups of 8 items and the items left over both run.
 */
#define NU 205
#define NI 61
static void clustered(struct xl_csr *m)
{
	uint32_t (*pairs)[2] = malloc(sizeof(*pairs) * NU * 12);
	uint64_t s = 12345;
	size_t n = 0;

	for (uint32_t u = 0; u < NU; u++)
		for (int j = 0; j < 12; j++) {
			s = s * 6364136223846793005ULL + 1442695040888963407ULL;
			pairs[n][0] = u;
			/* Mostly the user's group (u % 4), sometimes anywhere. */
			pairs[n][1] = (s >> 33) % 10 < 8 ? (u % 4) * 15 + (uint32_t)((s >> 40) % 15) : (uint32_t)((s >> 40) % NI);
			n++;
		}
	matrix(m, NU, NI, (const uint32_t (*)[2])pairs, n);
	free(pairs);
}

/*
 * CG with as many steps as factors solves each row exactly (up to
 * rounding), so it must agree with Cholesky: at 8 factors through the
 * generic row kernel, and at 16, 32, 64 and 128 through the fixed ones
 * (AVX2, AVX-512 and 16-float builds, whichever this CPU runs).
 */
static void cg_vs_cholesky(uint32_t k, uint32_t iterations)
{
	struct xl_csr m = XL_CSR_INIT;
	struct xl_als_params p = XL_ALS_PARAMS_INIT;
	float *xc, *yc, *xe, *ye, sc[NI], se[NI];
	struct xl_rec_hit hc[10], he[10];
	uint32_t same = 0;

	clustered(&m);
	p.factors = k;
	p.reg = 1;
	p.alpha = 2;
	p.iterations = iterations;
	p.cg_steps = k;
	train(&m, &p, &xc, &yc);
	p.solver = XL_ALS_CHOLESKY;
	train(&m, &p, &xe, &ye);
	for (uint32_t u = 0; u < NU; u++) {
		const uint32_t *ex = m.indices + m.indptr[u];
		size_t nex = m.indptr[u + 1] - m.indptr[u];
		int eq = 1;

		xl_rec_score(yc, NI, k, xc + (size_t)u * k, sc);
		xl_rec_score(ye, NI, k, xe + (size_t)u * k, se);
		xl_rec_top(sc, NI, ex, nex, NULL, 10, hc);
		xl_rec_top(se, NI, ex, nex, NULL, 10, he);
		for (int h = 0; h < 10; h++)
			eq &= hc[h].item == he[h].item;
		same += (uint32_t)eq;
		/* The scores themselves agree closely. */
		for (int i = 0; i < NI; i++)
			assert_true(fabsf(sc[i] - se[i]) < 1e-3f);
	}
	/* Rounding may swap two nearly tied items in a few users' lists, no more. */
	assert_true(same >= NU - 4);
	free(xc);
	free(yc);
	free(xe);
	free(ye);
	xl_csr_release(&m);
}

static void test_cg_matches_cholesky(void **state)
{
	(void)state;
	cg_vs_cholesky(8, 15);
	for (uint32_t k = 16; k <= 128; k *= 2)
		cg_vs_cholesky(k, 3);
}

/*
 * Trains at k factors on one thread and on three, checks that they give
 * the same bits, and returns the first's factors.
 */
static void same_on_threads(const struct xl_csr *m, struct xl_als_params *p, uint32_t k, float **x, float **y)
{
	float *x2, *y2;

	p->factors = k;
	p->threads = 1;
	train(m, p, x, y);
	p->threads = 3;
	train(m, p, &x2, &y2);
	assert_memory_equal(*x, x2, sizeof(float) * NU * k);
	assert_memory_equal(*y, y2, sizeof(float) * NI * k);
	free(x2);
	free(y2);
}

static void test_deterministic(void **state)
{
	struct xl_csr m = XL_CSR_INIT;
	struct xl_als_params p = XL_ALS_PARAMS_INIT;
	float *x1, *y1, *x2, *y2, *x3, *y3;

	(void)state;
	clustered(&m);
	/*
	 * The same seed gives the same bits, whatever the number of threads:
	 * at 16 factors, and at 64 through the 16-float kernels where the CPU
	 * has them.
	 */
	same_on_threads(&m, &p, 64, &x1, &y1);
	free(x1);
	free(y1);
	same_on_threads(&m, &p, 16, &x1, &y1);
	/*
	 * One row thread with threaded BLAS solves the same rows the same way
	 * (at 16 factors the dense products go through BLAS both ways).
	 */
	p.blas_threads = 2;
	assert_int_equal(xl_als_threads(&p), 1);
	train(&m, &p, &x2, &y2);
	assert_memory_equal(x1, x2, sizeof(float) * NU * 16);
	assert_memory_equal(y1, y2, sizeof(float) * NI * 16);
	p.blas_threads = 0;
	p.seed = 7;
	train(&m, &p, &x3, &y3);
	assert_memory_not_equal(x1, x3, sizeof(float) * NU * 16);
	free(x1);
	free(y1);
	free(x2);
	free(y2);
	free(x3);
	free(y3);
	xl_csr_release(&m);
}

static void test_bad_input(void **state)
{
	struct xl_csr m = XL_CSR_INIT;
	struct xl_als_params p = XL_ALS_PARAMS_INIT;
	struct xl_err err = XL_ERR_INIT;
	float x[64], y[64];

	(void)state;
	/* Empty input: an error, not a crash. */
	xl_csr_build(&m, 0, 0, NULL, NULL, NULL, 0);
	assert_int_equal(xl_als_train(&m, &p, x, y, 0, NULL, NULL, &err), -XL_EINVAL);
	assert_non_null(strstr(err.msg, "nothing to train on"));
	xl_csr_release(&m);
	/* One user, one item: trains, and the user likes the item. */
	{
		static const uint32_t r[] = { 0 }, c[] = { 0 };
		static const float v[] = { 3 };

		xl_csr_build(&m, 1, 1, r, c, v, 1);
		p.factors = 4;
		p.reg = 0.1f;
		assert_int_equal(xl_als_train(&m, &p, x, y, 1, NULL, NULL, &err), 0);
		assert_true(x[0] * y[0] + x[1] * y[1] + x[2] * y[2] + x[3] * y[3] > 0.5f);
		p.factors = 0;
		assert_int_equal(xl_als_train(&m, &p, x, y, 0, NULL, NULL, &err), -XL_EINVAL);
		p.factors = 4;
		p.reg = -1;
		assert_int_equal(xl_als_train(&m, &p, x, y, 0, NULL, NULL, &err), -XL_EINVAL);
		xl_csr_release(&m);
	}
}

static int count_calls(uint32_t it, double loss, double seconds, void *arg)
{
	double *last = arg;

	(void)seconds;
	assert_false(isnan(loss));
	/* The loss never rises from one iteration to the next (exact solves). */
	if (it > 1)
		assert_true(loss <= last[0] * (1 + 1e-4));
	last[0] = loss;
	last[1] = it;
	return 0;
}

static void test_fold_in_and_explain(void **state)
{
	struct xl_csr m = XL_CSR_INIT;
	struct xl_als_params p = XL_ALS_PARAMS_INIT;
	struct xl_err err = XL_ERR_INIT;
	float *x, *y, gram[64], fx[8], scores[20], contrib[3], sum = 0, direct = 0;
	static const uint32_t idx[] = { 1, 3, 5 };
	static const float r[] = { 1, 2, 1 };
	struct xl_rec_hit hits[5];
	double last[2] = { 0, 0 };

	(void)state;
	two_groups(&m);
	p.factors = 2;
	p.reg = 1;
	p.alpha = 10;
	p.solver = XL_ALS_CHOLESKY;
	x = malloc(sizeof(float) * 20 * 2);
	y = malloc(sizeof(float) * 20 * 2);
	assert_int_equal(xl_als_train(&m, &p, x, y, 1, count_calls, last, &err), 0);
	assert_true(last[1] == p.iterations);
	xl_als_gram(y, 20, 2, gram);
	/* A new user with three items of the first group is folded in: the first group comes first. */
	assert_int_equal(xl_als_fold_in(y, gram, 2, p.reg, p.alpha, idx, r, 3, fx, &err), 0);
	xl_rec_score(y, 20, 2, fx, scores);
	assert_int_equal(xl_rec_top(scores, 20, idx, 3, NULL, 5, hits), 5);
	for (int h = 0; h < 5; h++)
		assert_true(hits[h].item < 10);
	/* The contributions of the past items add up to the score. */
	assert_int_equal(xl_als_explain(y, gram, 2, p.reg, p.alpha, idx, r, 3, hits[0].item, contrib, &err), 0);
	for (int i = 0; i < 3; i++)
		sum += contrib[i];
	for (int f = 0; f < 2; f++)
		direct += fx[f] * y[hits[0].item * 2 + f];
	assert_true(fabsf(sum - direct) < 1e-3f * fmaxf(1, fabsf(direct)));
	free(x);
	free(y);
	xl_csr_release(&m);
}

static void test_top(void **state)
{
	static const float s[] = { 0.5f, 0.9f, 0.9f, NAN, 0.1f, 0.7f };
	static const uint32_t ex[] = { 1, 4 };
	static const unsigned char skip[] = { 0, 0, 0, 0, 0, 1 };
	struct xl_rec_hit h[10];

	(void)state;
	/* Ties go to the lower index; NaN is never ranked. */
	assert_int_equal(xl_rec_top(s, 6, NULL, 0, NULL, 3, h), 3);
	assert_int_equal(h[0].item, 1);
	assert_int_equal(h[1].item, 2);
	assert_int_equal(h[2].item, 5);
	/* Exclusions and skips; asking for more than there is. */
	assert_int_equal(xl_rec_top(s, 6, ex, 2, skip, 10, h), 2);
	assert_int_equal(h[0].item, 2);
	assert_int_equal(h[1].item, 0);
	assert_int_equal(xl_rec_top(s, 6, NULL, 0, NULL, 0, h), 0);
}

static int batch_check(uint32_t user, const struct xl_rec_hit *hits, size_t n, void *arg)
{
	uint32_t *next = arg;

	assert_int_equal(user, *next);
	assert_int_equal(n, 2);
	assert_true(hits[0].score >= hits[1].score);
	(*next)++;
	return 0;
}

static void test_batch(void **state)
{
	/* 300 users (more than one block) x 3 items; user u's vector points at item u % 3. */
	float *x = calloc(300 * 2, sizeof(float)), y[] = { 1, 0, 0, 1, 0.7f, 0.7f };
	uint64_t *indptr = calloc(301, sizeof(uint64_t));
	uint32_t next = 0;

	(void)state;
	for (int u = 0; u < 300; u++) {
		x[u * 2] = u % 2 ? 0.0f : 1.0f;
		x[u * 2 + 1] = u % 2 ? 1.0f : 0.0f;
	}
	assert_int_equal(xl_rec_batch(x, 300, y, 3, 2, indptr, NULL, 2, batch_check, &next), 0);
	assert_int_equal(next, 300);
	free(x);
	free(indptr);
}

static void test_metrics(void **state)
{
	struct xl_receval_acc a = { .k = 3 };
	struct xl_receval_result r;
	static const uint32_t ranked1[] = { 5, 2, 9 }, truth1[] = { 2, 7 };
	static const uint32_t ranked2[] = { 1, 3, 4 }, truth2[] = { 1, 3, 4, 8 };

	(void)state;
	/* User 1: one hit at rank 2 of 2 truths. User 2: three hits of 4 truths. */
	xl_receval_add(&a, ranked1, 3, truth1, 2);
	xl_receval_add(&a, ranked2, 3, truth2, 4);
	xl_receval_result(&a, &r);
	assert_int_equal(r.users, 2);
	/* precision = 4 hits / (min(3,2) + min(3,4)) = 4 / 5 */
	assert_true(fabs(r.precision - 0.8) < 1e-12);
	/* recall = (1/2 + 3/4) / 2 */
	assert_true(fabs(r.recall - 0.625) < 1e-12);
	/* MAP = ((1/2) / 2 + (1 + 1 + 1) / 3) / 2 */
	assert_true(fabs(r.map - (0.25 + 1) / 2) < 1e-12);
	/* NDCG: user 1 (1/log2 3) / (1 + 1/log2 3); user 2: 1 */
	assert_true(fabs(r.ndcg - ((1 / log2(3)) / (1 + 1 / log2(3)) + 1) / 2) < 1e-12);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_csr),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_bundle),
		cmocka_unit_test(test_cg_matches_cholesky),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_fold_in_and_explain),
		cmocka_unit_test(test_top),
		cmocka_unit_test(test_batch),
		cmocka_unit_test(test_metrics),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
