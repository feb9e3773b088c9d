#ifndef XL_RECEVAL_H
#define XL_RECEVAL_H

#include <stddef.h>
#include <stdint.h>

#include "xl_als.h"
#include "xl_err.h"
#include "xl_recdata.h"

/*
 * Offline evaluation of the recommender: one split of the events into a
 * training part and a test part, then ALS, a popularity baseline (items by
 * distinct users in training, ties by item id) and an item-kNN baseline
 * (cosine over the training matrix, a fixed number of neighbours per
 * item) ranked for every user seen in training who has new items in the
 * test part. Items the user had in training are excluded from both the
 * candidates and the ground truth; test items unknown to training (which
 * no model could rank) are left out of the ground truth.
 *
 * Metrics follow benfred/implicit's ranking_metrics_at_k:
 *   precision@K = total hits / sum over users of min(K, |test items|)
 *   recall@K    = mean over users of hits / |test items|
 *   MAP@K       = mean over users of (sum over hits at rank i of
 *                 hits so far / i) / min(K, |test items|)
 *   NDCG@K      = mean over users of DCG / ideal DCG, binary gains,
 *                 discount 1 / log2(rank + 1)
 *   coverage    = distinct items recommended / items in training
 */

struct xl_receval_opts {
	uint32_t k;                 /* the cut-off K */
	int64_t split;              /* test events are at or after this instant */
	int leave_last_out;         /* instead: each user's last time is the test part */
	uint32_t neighbours;        /* item-kNN neighbours per item */
	struct xl_als_params als;
	struct xl_recweights w;
};

enum xl_receval_model { XL_RECEVAL_ALS, XL_RECEVAL_KNN, XL_RECEVAL_POP, XL_RECEVAL_NMODELS };

struct xl_receval_result {
	const char *model;          /* "als", "item-knn", "popularity" */
	double precision, recall, map, ndcg, coverage;
	uint32_t users;             /* users scored */
	uint32_t train_users, train_items;
	uint64_t train_nnz;
};

/*
 * Split d, train and rank as above, into out[XL_RECEVAL_NMODELS] (in the
 * order of enum xl_receval_model). progress goes to the ALS training (may
 * be NULL). 0, or -XL_EINVAL (nothing to train on or no test users) or
 * xl_als_train's errors.
 */
int xl_receval_run(const struct xl_recdata *d, const struct xl_receval_opts *o, xl_als_progress_fn *progress,
		   void *arg, struct xl_receval_result *out, struct xl_err *err);

/* Metrics of one ranked list against its ground truth (ascending), added to an accumulator. */
struct xl_receval_acc {
	uint32_t k;
	double hits, pr_div, recall, map, ndcg;
	uint32_t users;
};

void xl_receval_add(struct xl_receval_acc *a, const uint32_t *ranked, size_t nranked, const uint32_t *truth,
		    size_t ntruth);

/* Means into r (coverage not set). */
void xl_receval_result(const struct xl_receval_acc *a, struct xl_receval_result *r);

/*
 * Item-kNN: the nb nearest items of every item by cosine over the columns
 * of ui (users x items), into nbr and sim (ncols x nb each, yours,
 * free()); missing neighbours have sim 0. Cannot fail.
 */
void xl_receval_knn(const struct xl_csr *ui, uint32_t nb, uint32_t **nbr, float **sim);

#endif
