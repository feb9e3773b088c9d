#include "xl_dbfn.h"

#include <string.h>

#include "xl_banned.h"

int xl_dbfn_refusal(int ret, struct xl_err *err)
{
	static const char prefix[] = "database: ";
	struct xl_err was;
	const char *m;

	if (ret >= 0 || !err || err->code != XL_EDB)
		return ret;
	if (strncmp(err->sqlstate, "XL", 2) && strcmp(err->sqlstate, "22003"))
		return ret;
	was = *err;
	m = strncmp(was.msg, prefix, sizeof(prefix) - 1) ? was.msg : was.msg + sizeof(prefix) - 1;
	if (!strcmp(was.sqlstate, "22003"))
		return xl_err_set(err, XL_EINVAL, "the amounts overflow (%s)", m);
	return xl_err_set(err, XL_EINVAL, "%s", m);
}

int xl_dbfn_call(struct xl_db *db, const char *sql, int nparams, const char *const *params,
		 json_t **out, struct xl_err *err)
{
	PGresult *res = NULL;
	json_error_t jerr;
	int ret;

	*out = NULL;
	ret = xl_dbfn_refusal(xl_db_exec_retry(db, XL_DBFN_ATTEMPTS, sql, nparams, params, &res, err), err);
	if (ret < 0)
		return ret;
	if (PQntuples(res) == 1 && PQnfields(res) == 1 && !PQgetisnull(res, 0, 0)) {
		*out = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, &jerr);
		if (!*out)
			ret = xl_err_set(err, XL_EFAIL, "database: unreadable result: %s", jerr.text);
	}
	PQclear(res);
	return ret;
}

struct each {
	xl_dbfn_row_fn *fn;
	void *arg;
};

static int each_row(const PGresult *row, void *arg, struct xl_err *err)
{
	struct each *e = arg;
	json_error_t jerr;
	json_t *value = json_loads(PQgetvalue(row, 0, 0), JSON_DECODE_ANY, &jerr);
	int ret;

	if (!value)
		return xl_err_set(err, XL_EFAIL, "database: unreadable row: %s", jerr.text);
	ret = e->fn(value, e->arg, err);
	json_decref(value);
	return ret;
}

int xl_dbfn_each(struct xl_db *db, const char *sql, int nparams, const char *const *params,
		 xl_dbfn_row_fn *fn, void *arg, struct xl_err *err)
{
	struct each e = { fn, arg };

	return xl_db_each_row(db, sql, nparams, params, each_row, &e, err);
}
