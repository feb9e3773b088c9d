#include "xl_receval.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_hash.h"
#include "xl_rec.h"
#include "xl_banned.h"

/* Whether the ascending list l[0..n-1] holds v. */
static int has(const uint32_t *l, size_t n, uint32_t v)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (l[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && l[lo] == v;
}

void xl_receval_add(struct xl_receval_acc *a, const uint32_t *ranked, size_t nranked, const uint32_t *truth,
		    size_t ntruth)
{
	size_t cut = ntruth < a->k ? ntruth : a->k, hit = 0;
	double ap = 0, dcg = 0, idcg = 0;

	if (ntruth == 0)
		return;
	for (size_t i = 0; i < cut; i++)
		idcg += 1.0 / log2((double)i + 2);
	for (size_t i = 0; i < nranked && i < a->k; i++) {
		if (has(truth, ntruth, ranked[i])) {
			hit++;
			ap += (double)hit / (double)(i + 1);
			dcg += 1.0 / log2((double)i + 2);
		}
	}
	a->hits += (double)hit;
	a->pr_div += (double)cut;
	a->recall += (double)hit / (double)ntruth;
	a->map += ap / (double)cut;
	a->ndcg += dcg / idcg;
	a->users++;
}

void xl_receval_result(const struct xl_receval_acc *a, struct xl_receval_result *r)
{
	r->precision = a->pr_div > 0 ? a->hits / a->pr_div : 0;
	r->recall = a->users ? a->recall / a->users : 0;
	r->map = a->users ? a->map / a->users : 0;
	r->ndcg = a->users ? a->ndcg / a->users : 0;
	r->users = a->users;
}

void xl_receval_knn(const struct xl_csr *ui, uint32_t nb, uint32_t **nbr, float **sim)
{
	struct xl_csr iu = XL_CSR_INIT;
	uint32_t ni = ui->ncols;
	float *acc = xl_xcalloc(ni ? ni : 1, sizeof(float)), *norm = xl_xcalloc(ni ? ni : 1, sizeof(float));
	struct xl_rec_hit *top = xl_xmalloc(sizeof(*top) * (nb ? nb : 1));
	uint32_t *touched = xl_xmalloc(sizeof(uint32_t) * (ni ? ni : 1));
	unsigned char *self = xl_xcalloc(ni ? ni : 1, 1);

	*nbr = xl_xcalloc((size_t)ni * nb + 1, sizeof(uint32_t));
	*sim = xl_xcalloc((size_t)ni * nb + 1, sizeof(float));
	xl_csr_transpose(ui, &iu);
	for (uint32_t i = 0; i < ni; i++) {
		double s = 0;

		for (uint64_t a = iu.indptr[i]; a < iu.indptr[i + 1]; a++)
			s += (double)iu.data[a] * iu.data[a];
		norm[i] = (float)sqrt(s);
	}
	for (uint32_t i = 0; i < ni; i++) {
		size_t nt = 0, got;

		for (uint64_t a = iu.indptr[i]; a < iu.indptr[i + 1]; a++) {
			uint32_t u = iu.indices[a];
			float rui = iu.data[a];

			for (uint64_t b = ui->indptr[u]; b < ui->indptr[u + 1]; b++) {
				uint32_t j = ui->indices[b];

				if (acc[j] == 0)
					touched[nt++] = j;
				acc[j] += rui * ui->data[b];
			}
		}
		for (size_t t = 0; t < nt; t++) {
			uint32_t j = touched[t];

			acc[j] = norm[i] > 0 && norm[j] > 0 ? acc[j] / (norm[i] * norm[j]) : 0;
		}
		self[i] = 1;
		got = xl_rec_top(acc, ni, NULL, 0, self, nb, top);
		self[i] = 0;
		for (size_t t = 0; t < got; t++) {
			(*nbr)[(size_t)i * nb + t] = top[t].item;
			(*sim)[(size_t)i * nb + t] = top[t].score > 0 ? top[t].score : 0;
		}
		for (size_t t = 0; t < nt; t++)
			acc[touched[t]] = 0;
	}
	xl_csr_release(&iu);
	free(acc);
	free(norm);
	free(top);
	free(touched);
	free(self);
}

/* The items of the training matrix by distinct users, most first, ties by item id. */
struct pop_sort {
	const uint32_t *count;
	const uint32_t *cols;
	const struct xl_hash *items;
};

static int cmp_pop(const void *a, const void *b, void *arg)
{
	const struct pop_sort *p = arg;
	uint32_t i = *(const uint32_t *)a, j = *(const uint32_t *)b;

	if (p->count[i] != p->count[j])
		return p->count[i] > p->count[j] ? -1 : 1;
	return strcmp(xl_hash_skey(p->items, p->cols[i]), xl_hash_skey(p->items, p->cols[j]));
}

struct pair {
	uint32_t row, col;
};

static int cmp_pair(const void *a, const void *b)
{
	const struct pair *x = a, *y = b;

	if (x->row != y->row)
		return x->row < y->row ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

int xl_receval_run(const struct xl_recdata *d, const struct xl_receval_opts *o, xl_als_progress_fn *progress,
		   void *arg, struct xl_receval_result *out, struct xl_err *err)
{
	size_t nu = xl_hash_count(&d->users), ni = xl_hash_count(&d->items), npairs = 0;
	int64_t *cut = xl_xmalloc(sizeof(*cut) * (nu ? nu : 1));
	uint32_t *rows = NULL, *cols = NULL, *row_of = NULL, *col_of = NULL, *pop_order = NULL, *popc = NULL;
	uint32_t *nbr = NULL, *ranked = NULL;
	float *x = NULL, *y = NULL, *scores = NULL, *sim = NULL;
	struct xl_csr ui = XL_CSR_INIT;
	struct pair *pairs = NULL;
	struct xl_rec_hit *hits = NULL;
	unsigned char *seen[XL_RECEVAL_NMODELS] = { NULL };
	struct xl_receval_acc acc[XL_RECEVAL_NMODELS];
	static const char *const names[XL_RECEVAL_NMODELS] = { "als", "item-knn", "popularity" };
	uint32_t kf = o->als.factors, K = o->k;
	int ret = -1;

	/* Each user's cut: the split instant, or the time of the user's last event. */
	for (size_t u = 0; u < nu; u++)
		cut[u] = o->leave_last_out ? INT64_MIN : o->split;
	if (o->leave_last_out)
		for (size_t a = 0; a < d->n; a++)
			if (d->ev[a].ts != XL_RECDATA_NO_TIME && d->ev[a].ts > cut[d->ev[a].user])
				cut[d->ev[a].user] = d->ev[a].ts;
	xl_recdata_matrix(d, INT64_MAX, cut, &o->w, &ui, &rows, &cols);
	if (ui.nnz == 0) {
		xl_err_set(err, XL_EINVAL, "nothing to train on before the split");
		goto out;
	}
	row_of = xl_xmalloc(sizeof(*row_of) * (nu ? nu : 1));
	col_of = xl_xmalloc(sizeof(*col_of) * (ni ? ni : 1));
	memset(row_of, 0xff, sizeof(*row_of) * nu);
	memset(col_of, 0xff, sizeof(*col_of) * ni);
	for (uint32_t r = 0; r < ui.nrows; r++)
		row_of[rows[r]] = r;
	for (uint32_t c = 0; c < ui.ncols; c++)
		col_of[cols[c]] = c;

	/* The ground truth: new items of training users, known to training. */
	pairs = xl_xmalloc(sizeof(*pairs) * (d->n ? d->n : 1));
	for (size_t a = 0; a < d->n; a++) {
		const struct xl_rec_event *e = &d->ev[a];
		uint32_t r = row_of[e->user], c = col_of[e->item];

		if (e->ts == XL_RECDATA_NO_TIME || e->ts < cut[e->user] || r == UINT32_MAX || c == UINT32_MAX)
			continue;
		if (has(ui.indices + ui.indptr[r], ui.indptr[r + 1] - ui.indptr[r], c))
			continue;
		pairs[npairs++] = (struct pair){ r, c };
	}
	qsort(pairs, npairs, sizeof(*pairs), cmp_pair);
	{
		size_t w = 0;

		for (size_t a = 0; a < npairs; a++)
			if (w == 0 || cmp_pair(&pairs[w - 1], &pairs[a]))
				pairs[w++] = pairs[a];
		npairs = w;
	}
	if (npairs == 0) {
		xl_err_set(err, XL_EINVAL, "no user seen in training has new items after the split");
		goto out;
	}

	x = xl_xmalloc(sizeof(float) * ui.nrows * kf);
	y = xl_xmalloc(sizeof(float) * ui.ncols * kf);
	if (xl_als_train(&ui, &o->als, x, y, progress != NULL, progress, arg, err) < 0)
		goto out;

	/* Popularity: distinct users per item, most first, ties by id. */
	popc = xl_xcalloc(ui.ncols, sizeof(*popc));
	for (uint64_t a = 0; a < ui.nnz; a++)
		popc[ui.indices[a]]++;
	pop_order = xl_xmalloc(sizeof(*pop_order) * ui.ncols);
	for (uint32_t c = 0; c < ui.ncols; c++)
		pop_order[c] = c;
	{
		struct pop_sort ps = { popc, cols, &d->items };

		qsort_r(pop_order, ui.ncols, sizeof(*pop_order), cmp_pop, &ps);
	}
	xl_receval_knn(&ui, o->neighbours, &nbr, &sim);

	scores = xl_xmalloc(sizeof(float) * ui.ncols);
	hits = xl_xmalloc(sizeof(*hits) * (K ? K : 1));
	ranked = xl_xmalloc(sizeof(*ranked) * (K ? K : 1));
	for (int mdl = 0; mdl < XL_RECEVAL_NMODELS; mdl++) {
		seen[mdl] = xl_xcalloc(ui.ncols, 1);
		acc[mdl] = (struct xl_receval_acc){ .k = K };
	}
	for (size_t a = 0; a < npairs;) {
		uint32_t r = pairs[a].row, *truth;
		size_t b = a, ntruth, nex = ui.indptr[r + 1] - ui.indptr[r], got, t;
		const uint32_t *ex = ui.indices + ui.indptr[r];
		const float *rv = ui.data + ui.indptr[r];

		while (b < npairs && pairs[b].row == r)
			b++;
		ntruth = b - a;
		truth = xl_xmalloc(sizeof(*truth) * ntruth);
		for (size_t c = 0; c < ntruth; c++)
			truth[c] = pairs[a + c].col;

		/* ALS */
		xl_rec_score(y, ui.ncols, kf, x + (size_t)r * kf, scores);
		got = xl_rec_top(scores, ui.ncols, ex, nex, NULL, K, hits);
		for (size_t c = 0; c < got; c++) {
			ranked[c] = hits[c].item;
			seen[XL_RECEVAL_ALS][hits[c].item] = 1;
		}
		xl_receval_add(&acc[XL_RECEVAL_ALS], ranked, got, truth, ntruth);

		/* item-kNN: sum of the user's strengths times similarity. */
		memset(scores, 0, sizeof(float) * ui.ncols);
		for (size_t c = 0; c < nex; c++)
			for (uint32_t nn = 0; nn < o->neighbours; nn++) {
				size_t at = (size_t)ex[c] * o->neighbours + nn;

				scores[nbr[at]] += rv[c] * sim[at];
			}
		got = xl_rec_top(scores, ui.ncols, ex, nex, NULL, K, hits);
		for (size_t c = 0; c < got; c++) {
			ranked[c] = hits[c].item;
			seen[XL_RECEVAL_KNN][hits[c].item] = 1;
		}
		xl_receval_add(&acc[XL_RECEVAL_KNN], ranked, got, truth, ntruth);

		/* popularity */
		got = 0;
		for (t = 0; t < ui.ncols && got < K; t++)
			if (!has(ex, nex, pop_order[t])) {
				ranked[got++] = pop_order[t];
				seen[XL_RECEVAL_POP][pop_order[t]] = 1;
			}
		xl_receval_add(&acc[XL_RECEVAL_POP], ranked, got, truth, ntruth);
		free(truth);
		a = b;
	}
	for (int mdl = 0; mdl < XL_RECEVAL_NMODELS; mdl++) {
		size_t covered = 0;

		for (uint32_t c = 0; c < ui.ncols; c++)
			covered += seen[mdl][c];
		memset(&out[mdl], 0, sizeof(out[mdl]));
		xl_receval_result(&acc[mdl], &out[mdl]);
		out[mdl].model = names[mdl];
		out[mdl].coverage = (double)covered / ui.ncols;
		out[mdl].train_users = ui.nrows;
		out[mdl].train_items = ui.ncols;
		out[mdl].train_nnz = ui.nnz;
	}
	ret = 0;
out:
	for (int mdl = 0; mdl < XL_RECEVAL_NMODELS; mdl++)
		free(seen[mdl]);
	free(cut);
	free(rows);
	free(cols);
	free(row_of);
	free(col_of);
	free(pairs);
	free(x);
	free(y);
	free(popc);
	free(pop_order);
	free(nbr);
	free(sim);
	free(scores);
	free(hits);
	free(ranked);
	xl_csr_release(&ui);
	return ret;
}
