#ifndef XL_ALS_H
#define XL_ALS_H

#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"

/*
 * Implicit-feedback alternating least squares (Hu, Koren and Volinsky
 * 2008) in float32 over OpenBLAS.
 *
 * The input is a sparse user x item matrix R of non-negative strengths r
 * (summed, weighted interactions). The preference p is 1 where r > 0 and 0
 * elsewhere; its confidence is c = 1 + alpha * r. Training minimises
 *
 *   sum over all (u, i) of c_ui (p_ui - x_u . y_i)^2 + reg (|X|^2 + |Y|^2)
 *
 * by solving the users with the items fixed, then the items with the users
 * fixed, once per iteration. Each half-sweep computes Y^T Y once (BLAS
 * ssyrk) and solves the rows in parallel over threads, with BLAS kept
 * single-threaded inside a row. Solvers: conjugate gradient (Takacs et
 * al. 2011: a few steps warm-started from the previous factors) or an
 * exact Cholesky solve (LAPACK sposv), which the tests hold CG to.
 */

/* A compressed sparse row matrix. Plain data: build it with xl_csr_build. */
struct xl_csr {
	uint32_t nrows, ncols;
	uint64_t nnz;
	uint64_t *indptr;     /* nrows + 1 */
	uint32_t *indices;    /* nnz, ascending within a row */
	float *data;          /* nnz */
};

#define XL_CSR_INIT { 0, 0, 0, NULL, NULL, NULL }

/*
 * Build m (caller storage, released first by the caller if reused) from n
 * triplets, summing duplicates. Entries of value 0 or less are dropped
 * after summing. rows[k] < nrows and cols[k] < ncols are asserted. Cannot
 * fail (allocation failure aborts).
 */
void xl_csr_build(struct xl_csr *m, uint32_t nrows, uint32_t ncols, const uint32_t *rows,
		  const uint32_t *cols, const float *vals, size_t n);

/* The transpose of m into t (caller storage). Cannot fail. */
void xl_csr_transpose(const struct xl_csr *m, struct xl_csr *t);

/* Free what m holds and clear it. */
void xl_csr_release(struct xl_csr *m);

enum xl_als_solver { XL_ALS_CG = 0, XL_ALS_CHOLESKY = 1 };

struct xl_als_params {
	uint32_t factors;      /* k */
	float reg;             /* lambda */
	float alpha;           /* confidence = 1 + alpha * r */
	uint32_t iterations;
	enum xl_als_solver solver;
	uint32_t cg_steps;     /* CG steps per row and half-sweep */
	uint32_t threads;      /* 0: one per online CPU */
	uint64_t seed;         /* the random start */
	/*
	 * BLAS's own threads inside the row solves: 0 or 1 keeps BLAS
	 * single-threaded under the row threads (the default, and the
	 * faster: scripts/bench-recommend.sh measures both). More than 1
	 * solves the rows on one thread with BLAS threaded instead (the
	 * CG blocks' dense products too, which otherwise use xlcfi's own
	 * AVX-512 kernel where it has one), and threads is then ignored.
	 */
	uint32_t blas_threads;
};

#define XL_ALS_PARAMS_INIT { 64, 50.0f, 5.0f, 15, XL_ALS_CG, 3, 0, 42, 0 }

/*
 * Told after each iteration: its number (1-based), the training loss
 * (only when want_loss was set, else NaN) and the seconds it took. A
 * non-zero return stops training (the factors are those of that iteration).
 */
typedef int xl_als_progress_fn(uint32_t iteration, double loss, double seconds, void *arg);

/*
 * Train on ui (users x items). user_factors (nrows x k) and item_factors
 * (ncols x k) are the caller's, row-major; they are filled with the
 * seeded random start, then trained. The same seed, data, parameters and
 * thread count give the same factors. progress may be NULL. Returns 0, or
 * -XL_EINVAL for bad parameters (k == 0, reg < 0, alpha < 0, an empty
 * matrix) or -XL_EFAIL when a Cholesky solve fails, with err set.
 */
int xl_als_train(const struct xl_csr *ui, const struct xl_als_params *p, float *user_factors,
		 float *item_factors, int want_loss, xl_als_progress_fn *progress, void *arg,
		 struct xl_err *err);

/*
 * Y^T Y (k x k, full, row-major) of the n x k factors y, into gram.
 * Cannot fail.
 */
void xl_als_gram(const float *y, uint32_t n, uint32_t k, float *gram);

/*
 * Fold one user in without retraining: solve its factors x (k) exactly
 * (Cholesky) against fixed item factors y (with gram = Y^T Y from
 * xl_als_gram) for the nnz items idx[] with strengths r[]. 0, or
 * -XL_EFAIL if the system is singular.
 */
int xl_als_fold_in(const float *y, const float *gram, uint32_t k, float reg, float alpha,
		   const uint32_t *idx, const float *r, size_t nnz, float *x, struct xl_err *err);

/*
 * Why item j scores for a user (Hu et al. 2008, section 5): with
 * W = (Y^T C_u Y + reg I)^-1, the score x_u . y_j of the exact solution is
 * the sum over the user's past items i of c_ui (y_j^T W y_i). Fills
 * contrib[0..nnz-1] (in the order of idx) and returns 0, or -XL_EFAIL.
 */
int xl_als_explain(const float *y, const float *gram, uint32_t k, float reg, float alpha,
		   const uint32_t *idx, const float *r, size_t nnz, uint32_t j, float *contrib,
		   struct xl_err *err);

/* The number of threads xl_als_train uses for p (resolving 0). */
uint32_t xl_als_threads(const struct xl_als_params *p);

#endif
