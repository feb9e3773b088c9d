#include "xl_recmodel.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zlib.h>

#include "xl_alloc.h"
#include "xl_atfile.h"
#include "xl_banned.h"

static const char magic[8] = { 'X', 'L', 'C', 'F', 'I', 'A', 'L', 'S' };

enum section {
	S_USER_OFFS, S_USER_STR, S_USER_ORDER,
	S_ITEM_OFFS, S_ITEM_STR, S_ITEM_ORDER,
	S_X, S_Y, S_GRAM, S_NORMS, S_POP,
	S_INDPTR, S_INDICES, S_DATA, S_PARAMS,
	S_COUNT
};

/* The on-disk header: fixed-size fields only, 8-byte aligned. */
struct header {
	char magic[8];
	uint32_t version, header_size;
	uint32_t factors, nusers, nitems, iterations;
	float reg, alpha;
	uint32_t solver, cg_steps;
	uint64_t seed, nnz, file_size;
	int64_t trained_at;
	double train_seconds;
	uint64_t off[S_COUNT], len[S_COUNT];
	uint32_t crc, pad;
};

struct xl_recmodel {
	void *map;
	size_t size;
	const struct header *h;
	struct xl_recmodel_info info;
	const uint64_t *user_offs, *item_offs, *indptr;
	const char *user_str, *item_str;
	const uint32_t *user_order, *item_order, *indices;
	const float *x, *y, *gram, *norms, *pop, *data;
};

#define ALIGN 64

/* ---------------------------------------------------------------- writing */

struct writer {
	FILE *fp;
	uint64_t pos;
	uLong crc;
	int failed;
};

static void put(struct writer *w, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (fwrite(p, 1, n, w->fp) != n)
		w->failed = 1;
	for (size_t done = 0; done < n;) {
		uInt chunk = n - done > (1u << 30) ? (1u << 30) : (uInt)(n - done);

		w->crc = crc32(w->crc, (const Bytef *)p + done, chunk);
		done += chunk;
	}
	w->pos += n;
}

static void pad_to_align(struct writer *w)
{
	static const char zeros[ALIGN];

	if (w->pos % ALIGN)
		put(w, zeros, ALIGN - w->pos % ALIGN);
}

static int cmp_ids(const void *a, const void *b, void *ids)
{
	const char *const *s = ids;

	return strcmp(s[*(const uint32_t *)a], s[*(const uint32_t *)b]);
}

/* The indices 0..n-1 in id order; -1 when two ids are equal. */
static int id_order(const char *const *ids, uint32_t n, uint32_t **out)
{
	uint32_t *o = xl_xmalloc(sizeof(*o) * (n ? n : 1));

	for (uint32_t i = 0; i < n; i++)
		o[i] = i;
	qsort_r(o, n, sizeof(*o), cmp_ids, (void *)ids);
	for (uint32_t i = 1; i < n; i++)
		if (!strcmp(ids[o[i - 1]], ids[o[i]])) {
			free(o);
			return -1;
		}
	*out = o;
	return 0;
}

static void put_strings(struct writer *w, struct header *h, enum section offs, const char *const *ids,
			uint32_t n)
{
	uint64_t at = 0;

	pad_to_align(w);
	h->off[offs] = w->pos;
	h->len[offs] = ((uint64_t)n + 1) * sizeof(uint64_t);
	for (uint32_t i = 0; i < n; i++) {
		put(w, &at, sizeof(at));
		at += strlen(ids[i]) + 1;
	}
	put(w, &at, sizeof(at));
	pad_to_align(w);
	h->off[offs + 1] = w->pos;
	h->len[offs + 1] = at;
	for (uint32_t i = 0; i < n; i++)
		put(w, ids[i], strlen(ids[i]) + 1);
}

static void put_section(struct writer *w, struct header *h, enum section s, const void *p, uint64_t n)
{
	pad_to_align(w);
	h->off[s] = w->pos;
	h->len[s] = n;
	put(w, p, n);
}

int xl_recmodel_write(const char *path, const struct xl_recmodel_data *d, struct xl_err *err)
{
	uint32_t k = d->params->factors, *uorder = NULL, *iorder = NULL;
	struct xl_atfile f = { 0 };
	struct header h;
	struct writer w = { 0 };
	float *gram = NULL, *norms = NULL, *pop = NULL;
	const char *params = d->params_json ? d->params_json : "{}";
	int ret = -1;

	if (id_order(d->user_ids, d->nusers, &uorder) < 0)
		return xl_err_set(err, XL_EINVAL, "two users have the same id");
	if (id_order(d->item_ids, d->nitems, &iorder) < 0) {
		free(uorder);
		return xl_err_set(err, XL_EINVAL, "two items have the same id");
	}
	gram = xl_xmalloc(sizeof(float) * k * k);
	xl_als_gram(d->item_factors, d->nitems, k, gram);
	norms = xl_xmalloc(sizeof(float) * (d->nitems ? d->nitems : 1));
	pop = xl_xcalloc(d->nitems ? d->nitems : 1, sizeof(float));
	for (uint32_t i = 0; i < d->nitems; i++) {
		double s = 0;

		for (uint32_t f2 = 0; f2 < k; f2++)
			s += (double)d->item_factors[(size_t)i * k + f2] * d->item_factors[(size_t)i * k + f2];
		norms[i] = (float)sqrt(s);
	}
	for (uint64_t a = 0; a < d->ui->nnz; a++)
		pop[d->ui->indices[a]] += 1;

	if (xl_atfile_open(&f, path, err) < 0)
		goto out;
	/*
	 * The sections go out one after the other, their offsets noted and
	 * their CRC kept as they go; the header, written last over a
	 * placeholder, has the offsets, and its own CRC is combined with the
	 * sections' (the file's CRC is of the header with crc = 0, then the rest).
	 */
	memset(&h, 0, sizeof(h));
	if (fwrite(&h, sizeof(h), 1, f.fp) != 1)
		w.failed = 1;
	w.fp = f.fp;
	w.pos = sizeof(h);
	w.crc = crc32(0L, Z_NULL, 0);
	put_strings(&w, &h, S_USER_OFFS, d->user_ids, d->nusers);
	put_section(&w, &h, S_USER_ORDER, uorder, (uint64_t)d->nusers * 4);
	put_strings(&w, &h, S_ITEM_OFFS, d->item_ids, d->nitems);
	put_section(&w, &h, S_ITEM_ORDER, iorder, (uint64_t)d->nitems * 4);
	put_section(&w, &h, S_X, d->user_factors, (uint64_t)d->nusers * k * 4);
	put_section(&w, &h, S_Y, d->item_factors, (uint64_t)d->nitems * k * 4);
	put_section(&w, &h, S_GRAM, gram, (uint64_t)k * k * 4);
	put_section(&w, &h, S_NORMS, norms, (uint64_t)d->nitems * 4);
	put_section(&w, &h, S_POP, pop, (uint64_t)d->nitems * 4);
	put_section(&w, &h, S_INDPTR, d->ui->indptr, ((uint64_t)d->nusers + 1) * 8);
	put_section(&w, &h, S_INDICES, d->ui->indices, d->ui->nnz * 4);
	put_section(&w, &h, S_DATA, d->ui->data, d->ui->nnz * 4);
	put_section(&w, &h, S_PARAMS, params, strlen(params) + 1);
	memcpy(h.magic, magic, sizeof(magic));
	h.version = XL_RECMODEL_VERSION;
	h.header_size = sizeof(h);
	h.factors = k;
	h.nusers = d->nusers;
	h.nitems = d->nitems;
	h.iterations = d->params->iterations;
	h.reg = d->params->reg;
	h.alpha = d->params->alpha;
	h.solver = d->params->solver;
	h.cg_steps = d->params->cg_steps;
	h.seed = d->params->seed;
	h.nnz = d->ui->nnz;
	h.trained_at = d->trained_at;
	h.train_seconds = d->train_seconds;
	h.file_size = w.pos;
	h.crc = (uint32_t)crc32_combine(crc32(crc32(0L, Z_NULL, 0), (const Bytef *)&h, sizeof(h)), w.crc,
					(z_off_t)(w.pos - sizeof(h)));
	if (w.failed || fflush(f.fp) != 0 || fseek(f.fp, 0, SEEK_SET) != 0 ||
	    fwrite(&h, sizeof(h), 1, f.fp) != 1) {
		xl_err_set(err, XL_EIO, "cannot write '%s': %s", path, strerror(errno ? errno : EIO));
		xl_atfile_abort(&f);
		goto out;
	}
	if (xl_atfile_commit(&f, err) < 0)
		goto out;
	ret = 0;
out:
	free(uorder);
	free(iorder);
	free(gram);
	free(norms);
	free(pop);
	return ret;
}

/* ---------------------------------------------------------------- reading */

static int bad(struct xl_err *err, const char *path, const char *what)
{
	return xl_err_set(err, XL_EINVAL, "'%s' is not a valid model: %s", path, what);
}

/* Check a string table: offsets rising inside the text, each string ending in NUL. */
static int strings_ok(const uint64_t *offs, const char *text, uint64_t text_len, uint32_t n)
{
	if (offs[0] != 0 || offs[n] != text_len)
		return 0;
	for (uint32_t i = 0; i < n; i++)
		if (offs[i + 1] <= offs[i] || offs[i + 1] > text_len || text[offs[i + 1] - 1] != '\0')
			return 0;
	return 1;
}

/* A permutation of 0..n-1 that puts the ids in strictly rising order. */
static int order_ok(const uint32_t *order, const uint64_t *offs, const char *text, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		if (order[i] >= n)
			return 0;
		if (i > 0 && strcmp(text + offs[order[i - 1]], text + offs[order[i]]) >= 0)
			return 0;
	}
	return 1;
}

static int check(struct xl_recmodel *m, const char *path, struct xl_err *err)
{
	const struct header *h = m->h;
	uint64_t want[S_COUNT];
	uint32_t k;
	struct header copy;
	uLong crc;

	if (m->size < sizeof(*h))
		return bad(err, path, "too short for a header (truncated?)");
	if (memcmp(h->magic, magic, sizeof(magic)))
		return bad(err, path, "wrong magic (not an xlcfi-recommend model)");
	if (h->version != XL_RECMODEL_VERSION)
		return xl_err_set(err, XL_EINVAL, "'%s': model version %u, this build reads version %u", path,
				  h->version, XL_RECMODEL_VERSION);
	if (h->header_size != sizeof(*h))
		return bad(err, path, "wrong header size");
	if (h->file_size != m->size)
		return xl_err_set(err, XL_EINVAL, "'%s' is not a valid model: %zu bytes, the header says %llu (truncated?)",
				  path, m->size, (unsigned long long)h->file_size);
	k = h->factors;
	if (k == 0 || k > 1024 || h->solver > XL_ALS_CHOLESKY)
		return bad(err, path, "bad dimensions");
	want[S_USER_OFFS] = ((uint64_t)h->nusers + 1) * 8;
	want[S_USER_ORDER] = (uint64_t)h->nusers * 4;
	want[S_ITEM_OFFS] = ((uint64_t)h->nitems + 1) * 8;
	want[S_ITEM_ORDER] = (uint64_t)h->nitems * 4;
	want[S_X] = (uint64_t)h->nusers * k * 4;
	want[S_Y] = (uint64_t)h->nitems * k * 4;
	want[S_GRAM] = (uint64_t)k * k * 4;
	want[S_NORMS] = want[S_POP] = (uint64_t)h->nitems * 4;
	want[S_INDPTR] = ((uint64_t)h->nusers + 1) * 8;
	want[S_INDICES] = want[S_DATA] = h->nnz * 4;
	for (int s = 0; s < S_COUNT; s++) {
		if (h->off[s] % ALIGN || h->off[s] < sizeof(*h) || h->off[s] > m->size ||
		    h->len[s] > m->size - h->off[s])
			return bad(err, path, "a section lies outside the file");
		if (s != S_USER_STR && s != S_ITEM_STR && s != S_PARAMS && h->len[s] != want[s])
			return bad(err, path, "a section has the wrong size");
	}
	copy = *h;
	copy.crc = 0;
	crc = crc32(0L, Z_NULL, 0);
	crc = crc32(crc, (const Bytef *)&copy, sizeof(copy));
	for (size_t done = sizeof(copy); done < m->size;) {
		uInt chunk = m->size - done > (1u << 30) ? (1u << 30) : (uInt)(m->size - done);

		crc = crc32(crc, (const Bytef *)m->map + done, chunk);
		done += chunk;
	}
	if ((uint32_t)crc != h->crc)
		return bad(err, path, "checksum mismatch (corrupted)");

#define AT(s) ((const char *)m->map + h->off[s])
	m->user_offs = (const uint64_t *)(const void *)AT(S_USER_OFFS);
	m->user_str = AT(S_USER_STR);
	m->user_order = (const uint32_t *)(const void *)AT(S_USER_ORDER);
	m->item_offs = (const uint64_t *)(const void *)AT(S_ITEM_OFFS);
	m->item_str = AT(S_ITEM_STR);
	m->item_order = (const uint32_t *)(const void *)AT(S_ITEM_ORDER);
	m->x = (const float *)(const void *)AT(S_X);
	m->y = (const float *)(const void *)AT(S_Y);
	m->gram = (const float *)(const void *)AT(S_GRAM);
	m->norms = (const float *)(const void *)AT(S_NORMS);
	m->pop = (const float *)(const void *)AT(S_POP);
	m->indptr = (const uint64_t *)(const void *)AT(S_INDPTR);
	m->indices = (const uint32_t *)(const void *)AT(S_INDICES);
	m->data = (const float *)(const void *)AT(S_DATA);
#undef AT
	if (!strings_ok(m->user_offs, m->user_str, h->len[S_USER_STR], h->nusers) ||
	    !strings_ok(m->item_offs, m->item_str, h->len[S_ITEM_STR], h->nitems) ||
	    !order_ok(m->user_order, m->user_offs, m->user_str, h->nusers) ||
	    !order_ok(m->item_order, m->item_offs, m->item_str, h->nitems))
		return bad(err, path, "bad id tables");
	if (m->indptr[0] != 0 || m->indptr[h->nusers] != h->nnz)
		return bad(err, path, "bad interaction matrix");
	for (uint32_t u = 0; u < h->nusers; u++)
		if (m->indptr[u + 1] < m->indptr[u])
			return bad(err, path, "bad interaction matrix");
	for (uint64_t a = 0; a < h->nnz; a++)
		if (m->indices[a] >= h->nitems)
			return bad(err, path, "bad interaction matrix");
	if (h->len[S_PARAMS] == 0 || ((const char *)m->map)[h->off[S_PARAMS] + h->len[S_PARAMS] - 1] != '\0')
		return bad(err, path, "bad parameter text");
	return 0;
}

int xl_recmodel_open(struct xl_recmodel **out, const char *path, struct xl_err *err)
{
	struct xl_recmodel *m;
	struct stat st;
	int fd, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return xl_err_set(err, XL_ENOINPUT, "cannot open '%s': %s", path, strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		ret = xl_err_set(err, XL_ENOINPUT, "cannot open '%s': %s", path,
				 errno ? strerror(errno) : "not a regular file");
		close(fd);
		return ret;
	}
	m = xl_xcalloc(1, sizeof(*m));
	m->size = (size_t)st.st_size;
	if (m->size < sizeof(struct header)) {
		close(fd);
		free(m);
		return bad(err, path, "too short for a header (truncated?)");
	}
	m->map = mmap(NULL, m->size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m->map == MAP_FAILED) {
		ret = xl_err_set(err, XL_ENOINPUT, "cannot map '%s': %s", path, strerror(errno));
		free(m);
		return ret;
	}
	m->h = m->map;
	if ((ret = check(m, path, err)) < 0) {
		xl_recmodel_close(m);
		return ret;
	}
	m->info = (struct xl_recmodel_info){
		.version = m->h->version, .factors = m->h->factors, .nusers = m->h->nusers,
		.nitems = m->h->nitems, .iterations = m->h->iterations, .cg_steps = m->h->cg_steps,
		.solver = (enum xl_als_solver)m->h->solver, .reg = m->h->reg, .alpha = m->h->alpha,
		.seed = m->h->seed, .nnz = m->h->nnz, .file_size = m->h->file_size,
		.trained_at = m->h->trained_at, .train_seconds = m->h->train_seconds,
		.params_json = (const char *)m->map + m->h->off[S_PARAMS],
	};
	*out = m;
	return 0;
}

void xl_recmodel_close(struct xl_recmodel *m)
{
	if (!m)
		return;
	if (m->map && m->map != MAP_FAILED)
		munmap(m->map, m->size);
	free(m);
}

const struct xl_recmodel_info *xl_recmodel_info(const struct xl_recmodel *m)
{
	return &m->info;
}

static int find(const uint32_t *order, const uint64_t *offs, const char *text, uint32_t n, const char *id,
		uint32_t *index)
{
	uint32_t lo = 0, hi = n;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = strcmp(text + offs[order[mid]], id);

		if (c == 0) {
			*index = order[mid];
			return 0;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

int xl_recmodel_find_user(const struct xl_recmodel *m, const char *id, uint32_t *index)
{
	return find(m->user_order, m->user_offs, m->user_str, m->h->nusers, id, index) < 0 ? -XL_ENOTFOUND : 0;
}

int xl_recmodel_find_item(const struct xl_recmodel *m, const char *id, uint32_t *index)
{
	return find(m->item_order, m->item_offs, m->item_str, m->h->nitems, id, index) < 0 ? -XL_ENOTFOUND : 0;
}

const char *xl_recmodel_user_id(const struct xl_recmodel *m, uint32_t u)
{
	return m->user_str + m->user_offs[u];
}

const char *xl_recmodel_item_id(const struct xl_recmodel *m, uint32_t i)
{
	return m->item_str + m->item_offs[i];
}

const float *xl_recmodel_user_factors(const struct xl_recmodel *m) { return m->x; }
const float *xl_recmodel_item_factors(const struct xl_recmodel *m) { return m->y; }
const float *xl_recmodel_gram(const struct xl_recmodel *m) { return m->gram; }
const float *xl_recmodel_item_norms(const struct xl_recmodel *m) { return m->norms; }
const float *xl_recmodel_popularity(const struct xl_recmodel *m) { return m->pop; }

size_t xl_recmodel_user_items(const struct xl_recmodel *m, uint32_t u, const uint32_t **items,
			      const float **strengths)
{
	uint64_t b = m->indptr[u];

	*items = m->indices + b;
	*strengths = m->data + b;
	return (size_t)(m->indptr[u + 1] - b);
}

void xl_recmodel_matrix(const struct xl_recmodel *m, struct xl_csr *view)
{
	/* The struct's pointers are not const; the mapping is read-only, as the header says. */
	view->nrows = m->h->nusers;
	view->ncols = m->h->nitems;
	view->nnz = m->h->nnz;
	view->indptr = (uint64_t *)(uintptr_t)m->indptr;
	view->indices = (uint32_t *)(uintptr_t)m->indices;
	view->data = (float *)(uintptr_t)m->data;
}
