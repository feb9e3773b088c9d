#include "xl_review.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_dbfn.h"
#include "xl_value.h"
#include "xl_banned.h"

static int get_id(const json_t *rec, const char *name, int64_t *out, struct xl_err *err)
{
	const json_t *v = json_object_get(rec, name);

	if (!v)
		return xl_err_set(err, XL_EINVAL, "%s: missing", name);
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return xl_err_set(err, XL_EINVAL, "%s: expected a positive whole number", name);
	*out = (int64_t)json_integer_value(v);
	return 0;
}

int xl_review_add(struct xl_db *db, const json_t *request, json_t **review, struct xl_err *err)
{
	char user[24], order[24], rating[8];
	const char *params[5];
	const json_t *sku, *body, *r;
	int64_t uid, oid;

	*review = NULL;
	if (!json_is_object(request))
		return xl_err_set(err, XL_EINVAL, "expected a review object");
	if (get_id(request, "user_id", &uid, err) < 0 || get_id(request, "order_id", &oid, err) < 0)
		return -XL_EINVAL;
	sku = json_object_get(request, "sku");
	if (!sku)
		return xl_err_set(err, XL_EINVAL, "sku: missing");
	if (!json_is_string(sku) || !xl_value_is_sku(json_string_value(sku)))
		return xl_err_set(err, XL_EINVAL, "sku: not a SKU (letters, digits and . _ / -, at most 64)");
	r = json_object_get(request, "rating");
	if (!r)
		return xl_err_set(err, XL_EINVAL, "rating: missing");
	if (!json_is_integer(r) || json_integer_value(r) < 1 || json_integer_value(r) > 5)
		return xl_err_set(err, XL_EINVAL, "rating: expected a whole number from 1 to 5");
	body = json_object_get(request, "body");
	if (body && !json_is_null(body) && !json_is_string(body))
		return xl_err_set(err, XL_EINVAL, "body: expected text");
	if (json_is_string(body) && json_string_length(body) > XL_REVIEW_MAX_BODY)
		return xl_err_set(err, XL_EINVAL, "body: %zu bytes, at most %d", json_string_length(body),
				  XL_REVIEW_MAX_BODY);
	/* jansson has already refused invalid UTF-8 and rejects NUL unless asked. */
	if (json_is_string(body) && strlen(json_string_value(body)) != json_string_length(body))
		return xl_err_set(err, XL_EINVAL, "body: contains a NUL character");
	snprintf(user, sizeof(user), "%" PRId64, uid);
	snprintf(order, sizeof(order), "%" PRId64, oid);
	snprintf(rating, sizeof(rating), "%d", (int)json_integer_value(r));
	params[0] = user;
	params[1] = order;
	params[2] = json_string_value(sku);
	params[3] = rating;
	params[4] = json_is_string(body) && json_string_length(body) ? json_string_value(body) : NULL;
	return xl_dbfn_call(db, "SELECT xl_review_add($1, $2, $3, $4, $5)", 5, params, review, err);
}

int xl_review_report(struct xl_db *db, int64_t review_id, int64_t reporter, const char *reason,
		     json_t **review, struct xl_err *err)
{
	char rid[24], uid[24];
	const char *params[3] = { rid, uid, reason };

	snprintf(rid, sizeof(rid), "%" PRId64, review_id);
	snprintf(uid, sizeof(uid), "%" PRId64, reporter);
	return xl_dbfn_call(db, "SELECT xl_review_report($1, $2, $3)", 3, params, review, err);
}

int xl_review_list(struct xl_db *db, const char *sku, int64_t limit, xl_review_fn *fn, void *arg,
		   struct xl_err *err)
{
	char lim[24];
	const char *params[2] = { sku, limit > 0 ? lim : NULL };
	char *found = NULL;
	int ret, exists;

	snprintf(lim, sizeof(lim), "%" PRId64, limit);
	ret = xl_db_query_value(db, "SELECT id FROM products WHERE sku = $1", 1, params, &found, err);
	if (ret < 0)
		return ret;
	exists = found != NULL;
	free(found);
	if (!exists)
		return xl_err_set(err, XL_ENOTFOUND, "sku: no such product '%s'", sku);
	return xl_dbfn_each(db, "SELECT xl_review_record(r.id) FROM reviews r JOIN products p ON p.id = r.product_id "
			      "WHERE p.sku = $1 AND r.status = 'visible' ORDER BY r.created_at DESC, r.id DESC "
			      "LIMIT $2::bigint", 2, params, fn, arg, err);
}
