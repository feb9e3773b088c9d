#include "xl_points.h"

#include <inttypes.h>
#include <stdio.h>

#include "xl_dbfn.h"
#include "xl_banned.h"

int xl_points_balance(struct xl_db *db, int64_t user_id, json_t **out, struct xl_err *err)
{
	char uid[24];
	const char *params[1] = { uid };
	int ret;

	snprintf(uid, sizeof(uid), "%" PRId64, user_id);
	ret = xl_dbfn_call(db, "SELECT json_build_object('user_id', u.id, 'balance', coalesce(a.balance, 0), "
			   "'held', coalesce(a.balance - xl_points_available(a.id), 0), "
			   "'available', coalesce(xl_points_available(a.id), 0), "
			   "'lots', coalesce((SELECT json_agg(json_build_object('points', l.remaining, "
			   "'expires_at', xl_rfc3339(l.expires_at)) ORDER BY l.expires_at, l.id) FROM point_lots l "
			   "WHERE l.account_id = a.id AND l.remaining > 0), '[]'::json)) "
			   "FROM users u LEFT JOIN point_accounts a ON a.user_id = u.id AND a.kind = 'user' WHERE u.id = $1",
			   1, params, out, err);
	if (ret == 0 && !*out)
		ret = xl_err_set(err, XL_ENOTFOUND, "user_id: no such user %" PRId64, user_id);
	return ret;
}

int xl_points_history(struct xl_db *db, int64_t user_id, xl_points_fn *fn, void *arg, struct xl_err *err)
{
	char uid[24];
	const char *params[1] = { uid };

	snprintf(uid, sizeof(uid), "%" PRId64, user_id);
	return xl_dbfn_each(db, "SELECT json_build_object('transaction_id', t.id, 'kind', t.kind, "
			      "'reference', t.reference, 'points', e.amount, "
			      "'balance', sum(e.amount) OVER (ORDER BY e.id), 'at', xl_rfc3339(t.created_at)) "
			      "FROM point_entries e JOIN point_transactions t ON t.id = e.transaction_id "
			      "JOIN point_accounts a ON a.id = e.account_id "
			      "WHERE a.user_id = $1 AND a.kind = 'user' ORDER BY e.id",
			      1, params, fn, arg, err);
}

int xl_points_expire(struct xl_db *db, int64_t limit, json_t **out, struct xl_err *err)
{
	char lim[24];
	const char *params[1] = { lim };

	snprintf(lim, sizeof(lim), "%" PRId64, limit > 0 ? limit : 10000);
	return xl_dbfn_call(db, "SELECT xl_points_expire($1)", 1, params, out, err);
}

int xl_points_check(struct xl_db *db, json_t **report, int *ok, struct xl_err *err)
{
	static const char *const faults[] = {
		"unbalanced_transactions", "balance_mismatches", "negative_balances", "lot_mismatches", NULL
	};
	int ret = xl_dbfn_call(db, "SELECT xl_points_check()", 0, NULL, report, err);

	*ok = 0;
	if (ret < 0)
		return ret;
	*ok = json_integer_value(json_object_get(*report, "entries_sum")) == 0;
	for (size_t i = 0; faults[i]; i++)
		if (json_integer_value(json_object_get(*report, faults[i])) != 0)
			*ok = 0;
	json_object_set_new(*report, "ok", json_boolean(*ok));
	return 0;
}
