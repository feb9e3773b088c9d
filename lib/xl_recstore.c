#include "xl_recstore.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_db.h"
#include "xl_num.h"
#include "xl_banned.h"

struct xl_recstore {
	struct xl_db *db;
	char *kind;
	int64_t model_id;
	uint64_t staged;
	struct xl_buf row;
	int copying;
};

int xl_recstore_begin(struct xl_recstore **out, struct xl_db *db, const char *kind, const char *params_json,
		      const char *metrics_json, struct xl_err *err)
{
	static const char insert[] = "INSERT INTO rec_models (kind, params, metrics) VALUES ($1, $2::jsonb, $3::jsonb)"
				     " RETURNING id";
	const char *params[3] = { kind, params_json, metrics_json };
	struct xl_recstore *s = xl_xcalloc(1, sizeof(*s));
	PGresult *res = NULL;
	int ret;

	s->db = db;
	s->kind = xl_xstrdup(kind);
	xl_buf_init(&s->row, 0);
	if ((ret = xl_db_exec(db, "BEGIN", 0, NULL, NULL, err)) < 0)
		goto fail;
	if ((ret = xl_db_exec(db, insert, 3, params, &res, err)) < 0)
		goto fail_tx;
	if (xl_num_parse_i64(PQgetvalue(res, 0, 0), &s->model_id) < 0) {
		ret = xl_err_set(err, XL_EFAIL, "unexpected model id from the database");
		goto fail_tx;
	}
	PQclear(res);
	res = NULL;
	if ((ret = xl_db_exec(db, "CREATE TEMP TABLE xl_rec_stage (user_ref text NOT NULL, sku text NOT NULL,"
			      " rank integer NOT NULL, score double precision) ON COMMIT DROP", 0, NULL, NULL, err)) < 0 ||
	    (ret = xl_db_copy_in_begin(db, "COPY xl_rec_stage FROM STDIN", err)) < 0)
		goto fail_tx;
	s->copying = 1;
	*out = s;
	return 0;
fail_tx:
	PQclear(res);
	xl_db_exec(db, "ROLLBACK", 0, NULL, NULL, NULL);
fail:
	xl_buf_release(&s->row);
	free(s->kind);
	free(s);
	return ret;
}

int xl_recstore_add(struct xl_recstore *s, const char *user, const char *sku, uint32_t rank, double score,
		    struct xl_err *err)
{
	xl_buf_reset(&s->row);
	xl_db_copy_escape(&s->row, user, strlen(user));
	xl_buf_addch(&s->row, '\t');
	xl_db_copy_escape(&s->row, sku, strlen(sku));
	xl_buf_addf(&s->row, "\t%" PRIu32 "\t%.9g\n", rank, score);
	s->staged++;
	return xl_db_copy_in_put(s->db, s->row.buf, s->row.len, err);
}

int xl_recstore_commit(struct xl_recstore *s, int64_t *model_id, uint64_t *rows, struct xl_err *err)
{
	static const char resolve[] =
		"INSERT INTO rec_results (model_id, user_id, product_id, rank, score)"
		" SELECT $1, u.id, p.id, s.rank, s.score FROM xl_rec_stage s"
		" JOIN users u ON u.id::text = s.user_ref JOIN products p ON p.sku = s.sku";
	static const char activate[] =
		"UPDATE rec_models SET active = (id = $1) WHERE kind = $2 AND (active OR id = $1)";
	char id[24];
	const char *params[2] = { id, s->kind };
	PGresult *res = NULL;
	uint64_t stored = 0;
	int ret;

	snprintf(id, sizeof(id), "%" PRId64, s->model_id);
	s->copying = 0;
	if ((ret = xl_db_copy_in_end(s->db, NULL, err)) < 0 ||
	    (ret = xl_db_exec(s->db, resolve, 1, params, &res, err)) < 0)
		goto out;
	stored = strtoull(PQcmdTuples(res), NULL, 10);
	if (stored != s->staged) {
		ret = xl_err_set(err, XL_EINVAL,
				 "%" PRIu64 " of %" PRIu64 " recommendations name a user id or SKU the database does not "
				 "have (a model trained on records?); nothing stored", s->staged - stored, s->staged);
		goto out;
	}
	if ((ret = xl_db_exec(s->db, activate, 2, params, NULL, err)) < 0 ||
	    (ret = xl_db_exec(s->db, "COMMIT", 0, NULL, NULL, err)) < 0)
		goto out;
	if (model_id)
		*model_id = s->model_id;
	if (rows)
		*rows = stored;
out:
	PQclear(res);
	if (ret < 0)
		xl_db_exec(s->db, "ROLLBACK", 0, NULL, NULL, NULL);
	xl_buf_release(&s->row);
	free(s->kind);
	free(s);
	return ret;
}

void xl_recstore_abort(struct xl_recstore *s)
{
	if (!s)
		return;
	if (s->copying)
		xl_db_copy_in_end(s->db, "aborted", NULL);
	xl_db_exec(s->db, "ROLLBACK", 0, NULL, NULL, NULL);
	xl_buf_release(&s->row);
	free(s->kind);
	free(s);
}
