#ifndef XL_RECSTORE_H
#define XL_RECSTORE_H

#include <stdint.h>

#include "xl_err.h"

struct xl_db;

/*
 * Precomputed recommendations into the database, for the HTTP server: a
 * new rec_models row and its rec_results, written in one transaction and
 * made the active model of its kind at commit, so readers see the old set
 * or the new one, never a mix. Rows go in through COPY; users are named by
 * their id and items by SKU, as models trained on the database name them.
 */
struct xl_recstore;

/*
 * Begin: the transaction, the model row (kind, params and metrics as
 * JSON texts, which may be NULL) and the COPY. *out is yours: finish with
 * _commit or _abort. Errors as xl_db_exec.
 */
int xl_recstore_begin(struct xl_recstore **out, struct xl_db *db, const char *kind, const char *params_json,
		      const char *metrics_json, struct xl_err *err);

/* One recommendation. 0 or the COPY's error. */
int xl_recstore_add(struct xl_recstore *s, const char *user, const char *sku, uint32_t rank, double score,
		    struct xl_err *err);

/*
 * Resolve the users and SKUs, make the model active and commit; s is
 * freed either way. *model_id and *rows (may be NULL) say what was stored.
 * -XL_EINVAL (nothing stored) when a row names a user or SKU the database
 * does not have; else the database's errors.
 */
int xl_recstore_commit(struct xl_recstore *s, int64_t *model_id, uint64_t *rows, struct xl_err *err);

/* Roll back and free; accepts NULL. */
void xl_recstore_abort(struct xl_recstore *s);

#endif
