#ifndef XL_RECMODEL_H
#define XL_RECMODEL_H

#include <stddef.h>
#include <stdint.h>

#include "xl_als.h"
#include "xl_err.h"

/*
 * The recommender's model file: a versioned binary format, written
 * atomically and read with mmap, so a lookup command starts in
 * microseconds whatever the model's size.
 *
 * Layout (native little-endian; every section 64-byte aligned):
 *   header      magic "XLCFIALS", version, dimensions, parameters,
 *               training time, the section table, CRC-32 of the file
 *   user ids    offsets (u64, nusers + 1) + NUL-terminated strings,
 *               and the users in id order (u32) for binary search
 *   item ids    the same for items
 *   X, Y        user and item factors (f32, row-major)
 *   gram        Y^T Y (f32, k x k), for folding users in and explaining
 *   item norms  |y_i| (f32), for cosine similarity
 *   popularity  distinct users per item in training (f32)
 *   R           the training matrix, users x items, as CSR (u64 indptr,
 *               u32 indices, f32 strengths): what each user had
 *   params      the training options as a JSON text
 * Opening checks the magic, version, sizes, every section's bounds, the
 * checksum and the structure (sorted ids, indices in range), so a
 * truncated, corrupted or foreign file is an error, never a crash.
 */

#define XL_RECMODEL_VERSION 1

/* What a model is made of, for xl_recmodel_write. Everything is borrowed. */
struct xl_recmodel_data {
	const struct xl_als_params *params;
	uint32_t nusers, nitems;
	const char *const *user_ids;    /* nusers, unique */
	const char *const *item_ids;    /* nitems, unique */
	const float *user_factors;      /* nusers x k */
	const float *item_factors;      /* nitems x k */
	const struct xl_csr *ui;        /* nusers x nitems */
	int64_t trained_at;             /* microseconds since the epoch */
	double train_seconds;
	const char *params_json;        /* extra training options, a JSON object text, may be NULL */
};

/*
 * Write the model to path atomically (temporary file, fsync, rename). 0,
 * -XL_ECANTCREAT or -XL_EIO with err naming the file.
 */
int xl_recmodel_write(const char *path, const struct xl_recmodel_data *d, struct xl_err *err);

struct xl_recmodel;

/* The header's facts; borrowed from the model. */
struct xl_recmodel_info {
	uint32_t version, factors, nusers, nitems, iterations, cg_steps;
	enum xl_als_solver solver;
	float reg, alpha;
	uint64_t seed, nnz, file_size;
	int64_t trained_at;             /* microseconds since the epoch */
	double train_seconds;
	const char *params_json;        /* "{}" when none was given */
};

/*
 * Map and check the model at path. *out is yours (xl_recmodel_close).
 * -XL_ENOINPUT when it cannot be opened, -XL_EINVAL when it is not a
 * whole, valid model (the message says what is wrong).
 */
int xl_recmodel_open(struct xl_recmodel **out, const char *path, struct xl_err *err);

/* Unmap and free; accepts NULL. */
void xl_recmodel_close(struct xl_recmodel *m);

const struct xl_recmodel_info *xl_recmodel_info(const struct xl_recmodel *m);

/* The index of a user or item id: 0 and *index, or -XL_ENOTFOUND (err may be NULL). */
int xl_recmodel_find_user(const struct xl_recmodel *m, const char *id, uint32_t *index);
int xl_recmodel_find_item(const struct xl_recmodel *m, const char *id, uint32_t *index);

/* Ids by index; borrowed for the model's life. */
const char *xl_recmodel_user_id(const struct xl_recmodel *m, uint32_t u);
const char *xl_recmodel_item_id(const struct xl_recmodel *m, uint32_t i);

/* The mapped arrays (borrowed): factors, Y^T Y, norms, popularity. */
const float *xl_recmodel_user_factors(const struct xl_recmodel *m);
const float *xl_recmodel_item_factors(const struct xl_recmodel *m);
const float *xl_recmodel_gram(const struct xl_recmodel *m);
const float *xl_recmodel_item_norms(const struct xl_recmodel *m);
const float *xl_recmodel_popularity(const struct xl_recmodel *m);

/* What user u had in training: items ascending and their strengths (borrowed). */
size_t xl_recmodel_user_items(const struct xl_recmodel *m, uint32_t u, const uint32_t **items,
			      const float **strengths);

/*
 * The whole training matrix (users x items) as a CSR view onto the mapped
 * file, for the calls that take a struct xl_csr or its arrays. Borrowed
 * and read-only: never write or release it. Cannot fail.
 */
void xl_recmodel_matrix(const struct xl_recmodel *m, struct xl_csr *view);

#endif
