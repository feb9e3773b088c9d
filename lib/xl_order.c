#include "xl_order.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_dbfn.h"
#include "xl_num.h"
#include "xl_value.h"
#include "xl_banned.h"

/* A whole JSON number in [min, max]. */
static int get_int(const json_t *v, int64_t min, int64_t max, int64_t *out)
{
	if (!json_is_integer(v))
		return -1;
	*out = (int64_t)json_integer_value(v);
	return *out >= min && *out <= max ? 0 : -1;
}

/* The request's lines as two array literals, {"sku",...} and {qty,...}. */
static int read_items(const json_t *items, struct xl_buf *skus, struct xl_buf *qtys, struct xl_err *err)
{
	size_t i, n;

	if (!json_is_array(items))
		return xl_err_set(err, XL_EINVAL, "items: expected an array of {\"sku\", \"qty\"}");
	n = json_array_size(items);
	if (n == 0)
		return xl_err_set(err, XL_EINVAL, "items: an order needs at least one item");
	if (n > XL_ORDER_MAX_LINES)
		return xl_err_set(err, XL_EINVAL, "items: %zu lines, at most %d", n, XL_ORDER_MAX_LINES);
	xl_buf_addch(skus, '{');
	xl_buf_addch(qtys, '{');
	for (i = 0; i < n; i++) {
		const json_t *item = json_array_get(items, i);
		const json_t *sku = json_object_get(item, "sku");
		int64_t qty;

		if (!json_is_object(item))
			return xl_err_set(err, XL_EINVAL, "items[%zu]: expected an object", i);
		if (!json_is_string(sku) || !xl_value_is_sku(json_string_value(sku)))
			return xl_err_set(err, XL_EINVAL, "items[%zu].sku: %s", i,
					  sku ? "not a SKU (letters, digits and . _ / -, at most 64)" : "missing");
		if (!json_object_get(item, "qty"))
			return xl_err_set(err, XL_EINVAL, "items[%zu].qty: missing", i);
		if (get_int(json_object_get(item, "qty"), 1, XL_ORDER_MAX_QTY, &qty) < 0)
			return xl_err_set(err, XL_EINVAL, "items[%zu].qty: expected a whole number from 1 to %d",
					  i, XL_ORDER_MAX_QTY);
		/* SKUs hold no quote, backslash, comma or brace: safe inside the quotes. */
		xl_buf_addf(skus, "%s\"%s\"", i ? "," : "", json_string_value(sku));
		xl_buf_addf(qtys, "%s%" PRId64, i ? "," : "", qty);
	}
	xl_buf_addch(skus, '}');
	xl_buf_addch(qtys, '}');
	return 0;
}

/* The parameters of xl_order_create's call, checked. */
struct call {
	struct xl_buf skus, qtys;
	char user[24], fee[24], free_from[24];
	const char *params[6];
};

static void call_release(struct call *c)
{
	xl_buf_release(&c->skus);
	xl_buf_release(&c->qtys);
}

static int call_prepare(struct call *c, const json_t *request, const struct xl_order_pricing *pricing,
			struct xl_err *err)
{
	const json_t *ref;
	int64_t uid;

	xl_buf_init(&c->skus, 0);
	xl_buf_init(&c->qtys, 0);
	if (!json_is_object(request))
		return xl_err_set(err, XL_EINVAL, "expected an order request object");
	if (!json_object_get(request, "user_id"))
		return xl_err_set(err, XL_EINVAL, "user_id: missing");
	if (get_int(json_object_get(request, "user_id"), 1, INT64_MAX, &uid) < 0)
		return xl_err_set(err, XL_EINVAL, "user_id: expected a positive whole number");
	ref = json_object_get(request, "client_ref");
	if (ref && !json_is_null(ref) &&
	    (!json_is_string(ref) || json_string_length(ref) == 0 || json_string_length(ref) > 200))
		return xl_err_set(err, XL_EINVAL, "client_ref: expected a string of 1 to 200 bytes");
	if (read_items(json_object_get(request, "items"), &c->skus, &c->qtys, err) < 0)
		return -XL_EINVAL;
	snprintf(c->user, sizeof(c->user), "%" PRId64, uid);
	snprintf(c->fee, sizeof(c->fee), "%" PRId64, pricing->fee_minor);
	snprintf(c->free_from, sizeof(c->free_from), "%" PRId64, pricing->free_from_minor);
	c->params[0] = c->user;
	c->params[1] = json_is_string(ref) ? json_string_value(ref) : NULL;
	c->params[2] = c->skus.buf;
	c->params[3] = c->qtys.buf;
	c->params[4] = c->fee;
	c->params[5] = c->free_from;
	return 0;
}

#define CREATE_SQL "SELECT xl_order_create($1, $2, $3::text[], $4::integer[], $5, $6)"

/* {"replayed", "order"} into the caller's outputs. */
static void unwrap(json_t *result, json_t **order, int *replayed)
{
	*replayed = json_is_true(json_object_get(result, "replayed"));
	*order = json_incref(json_object_get(result, "order"));
	json_decref(result);
}

int xl_order_create(struct xl_db *db, const json_t *request, const struct xl_order_pricing *pricing,
		    json_t **order, int *replayed, struct xl_err *err)
{
	struct call c;
	json_t *result = NULL;
	int ret;

	*order = NULL;
	*replayed = 0;
	ret = call_prepare(&c, request, pricing, err);
	if (ret == 0)
		ret = xl_dbfn_call(db, CREATE_SQL, 6, c.params, &result, err);
	if (ret == 0)
		unwrap(result, order, replayed);
	call_release(&c);
	return ret;
}

struct xl_order_stream {
	struct xl_db *db;
	struct xl_order_pricing pricing;
	int depth, pending;
};

int xl_order_stream_open(struct xl_order_stream **out, struct xl_db *db, const struct xl_order_pricing *pricing,
			 int depth, struct xl_err *err)
{
	struct xl_order_stream *s;
	int ret;

	*out = NULL;
	ret = xl_db_stream_begin(db, CREATE_SQL, 6, err);
	if (ret < 0)
		return ret;
	s = xl_xcalloc(1, sizeof(*s));
	s->db = db;
	s->pricing = *pricing;
	s->depth = depth > 0 ? depth : 1;
	*out = s;
	return 0;
}

int xl_order_stream_send(struct xl_order_stream *s, const json_t *request, struct xl_err *err)
{
	struct call c;
	int ret = call_prepare(&c, request, &s->pricing, err);

	if (ret == 0)
		ret = xl_db_stream_send(s->db, c.params, err);
	if (ret == 0)
		s->pending++;
	call_release(&c);
	return ret;
}

int xl_order_stream_recv(struct xl_order_stream *s, json_t **order, int *replayed, struct xl_err *err)
{
	PGresult *res = NULL;
	json_error_t jerr;
	json_t *result;
	int ret;

	*order = NULL;
	*replayed = 0;
	s->pending--;
	ret = xl_db_stream_recv(s->db, &res, err);
	if (ret < 0 && xl_db_err_retryable(err))
		return xl_err_set(err, XL_ERETRY, "%s; try this request again", err->msg);
	ret = xl_dbfn_refusal(ret, err);
	if (ret < 0)
		return ret;
	result = json_loads(PQgetvalue(res, 0, 0), 0, &jerr);
	PQclear(res);
	if (!result)
		return xl_err_set(err, XL_EFAIL, "database: unreadable result: %s", jerr.text);
	unwrap(result, order, replayed);
	return 0;
}

int xl_order_stream_pending(const struct xl_order_stream *s)
{
	return s->pending;
}

int xl_order_stream_full(const struct xl_order_stream *s)
{
	return s->pending >= s->depth;
}

void xl_order_stream_close(struct xl_order_stream *s)
{
	struct xl_err ignore = XL_ERR_INIT;

	if (!s)
		return;
	xl_db_stream_end(s->db, &ignore);
	free(s);
}

static const struct {
	const char *to;
	const char *from;           /* a text[] literal */
	int restock;
} moves[] = {
	[XL_ORDER_PAY] = { "paid", "{pending}", 0 },
	[XL_ORDER_PREPARE] = { "preparing", "{paid}", 0 },
	[XL_ORDER_SHIP] = { "shipped", "{preparing}", 0 },
	[XL_ORDER_DELIVER] = { "delivered", "{shipped}", 0 },
	/* A paid or preparing order is cancelled by refunding it: xl_pay_cancel_order. */
	[XL_ORDER_CANCEL] = { "cancelled", "{pending}", 1 },
	[XL_ORDER_EXPIRE] = { "expired", "{pending}", 1 },
	[XL_ORDER_REQUEST_RETURN] = { "return_requested", "{delivered}", 0 },
	[XL_ORDER_RETURN] = { "returned", "{return_requested}", 0 },
};

const char *xl_order_action_status(enum xl_order_action action)
{
	return moves[action].to;
}

int xl_order_move(struct xl_db *db, const struct xl_order_move *m, json_t **transition,
		  struct xl_err *err)
{
	char id[24], actor[24];
	const char *params[7];

	*transition = NULL;
	if (m->action == XL_ORDER_SHIP && (!m->tracking_no || !*m->tracking_no))
		return xl_err_set(err, XL_EINVAL, "tracking_no: shipping needs a tracking number");
	snprintf(id, sizeof(id), "%" PRId64, m->order_id);
	snprintf(actor, sizeof(actor), "%" PRId64, m->actor);
	params[0] = id;
	params[1] = moves[m->action].from;
	params[2] = moves[m->action].to;
	params[3] = m->actor > 0 ? actor : NULL;
	params[4] = m->reason;
	params[5] = m->action == XL_ORDER_SHIP ? m->tracking_no : NULL;
	params[6] = moves[m->action].restock ? "true" : "false";
	return xl_dbfn_call(db, "SELECT xl_order_move($1, $2::text[], $3, $4, $5, $6, $7)", 7, params,
			    transition, err);
}

static int get_one(struct xl_db *db, const char *sql, int64_t id, json_t **out, struct xl_err *err)
{
	char ids[24];
	const char *params[1] = { ids };
	int ret;

	snprintf(ids, sizeof(ids), "%" PRId64, id);
	ret = xl_dbfn_call(db, sql, 1, params, out, err);
	if (ret == 0 && !*out)
		ret = xl_err_set(err, XL_ENOTFOUND, "order_id: no such order %" PRId64, id);
	return ret;
}

int xl_order_get(struct xl_db *db, int64_t id, json_t **order, struct xl_err *err)
{
	return get_one(db, "SELECT xl_order_record($1)", id, order, err);
}

int xl_order_status(struct xl_db *db, int64_t id, json_t **status, struct xl_err *err)
{
	/*
	 * An order made by xl_order_create has no history row for its
	 * creation (migration 008): the order row is that record, and the
	 * entry is built from it. Older and imported orders have the row.
	 */
	return get_one(db, "SELECT json_build_object('order_id', o.id, 'status', o.status, 'history', "
		       "(SELECT json_agg(json_build_object('from', h.from_status, 'status', h.to_status, "
		       "'reason', h.reason, 'actor', h.changed_by, 'at', xl_rfc3339(h.changed_at)) ORDER BY h.id) "
		       "FROM (SELECT 0::bigint AS id, NULL::text AS from_status, 'pending'::text AS to_status, "
		       "'created'::text AS reason, o.buyer_id AS changed_by, o.placed_at AS changed_at "
		       "WHERE NOT EXISTS (SELECT 1 FROM order_status_history f WHERE f.order_id = o.id "
		       "AND f.from_status IS NULL) "
		       "UNION ALL SELECT id, from_status, to_status, reason, changed_by, changed_at "
		       "FROM order_status_history WHERE order_id = o.id) h)) FROM orders o WHERE o.id = $1",
		       id, status, err);
}

static const char *const statuses[] = {
	"pending", "paid", "preparing", "shipped", "delivered", "cancelled", "expired",
	"return_requested", "returned", "refunded", NULL
};

int xl_order_status_known(const char *s)
{
	for (size_t i = 0; statuses[i]; i++)
		if (!strcmp(s, statuses[i]))
			return 1;
	return 0;
}

int xl_order_list(struct xl_db *db, const struct xl_order_filter *f, xl_order_fn *fn, void *arg,
		  struct xl_err *err)
{
	static const struct xl_vcontext seoul = { "KRW", "Asia/Seoul" };
	struct xl_buf since = XL_BUF_INIT;
	struct xl_err why = XL_ERR_INIT;
	char user[24], limit[24];
	const char *params[4];
	int ret = 0;

	if (f->status && !xl_order_status_known(f->status))
		return xl_err_set(err, XL_EINVAL, "status: unknown status '%s'", f->status);
	/* A time without an offset is a Seoul time, as everywhere in xlcfi. */
	if (f->since && xl_value_check(XL_V_TIME, 0, 0, NULL, f->since, &seoul, &since, &why) < 0) {
		ret = xl_err_set(err, XL_EINVAL, "since: '%s': %s", f->since, why.msg);
		goto out;
	}
	snprintf(user, sizeof(user), "%" PRId64, f->user_id);
	snprintf(limit, sizeof(limit), "%" PRId64, f->limit);
	params[0] = f->user_id > 0 ? user : NULL;
	params[1] = f->status;
	params[2] = f->since ? since.buf : NULL;
	params[3] = f->limit > 0 ? limit : NULL;
	ret = xl_dbfn_each(db, "SELECT xl_order_record(id) FROM orders "
			     "WHERE ($1::bigint IS NULL OR buyer_id = $1) AND ($2::text IS NULL OR status = $2) "
			     "AND ($3::timestamptz IS NULL OR placed_at >= $3) "
			     "ORDER BY placed_at DESC, id DESC LIMIT $4::bigint",
			     4, params, fn, arg, err);
out:
	xl_buf_release(&since);
	return ret;
}

int64_t xl_order_expire(struct xl_db *db, int64_t ttl_seconds, int64_t limit, xl_order_fn *fn,
			void *arg, struct xl_err *err)
{
	char ttl[24], lim[24];
	const char *params[2] = { ttl, limit > 0 ? lim : NULL };
	PGresult *res = NULL;
	int64_t done = 0;
	int ret;

	snprintf(ttl, sizeof(ttl), "%" PRId64, ttl_seconds);
	snprintf(lim, sizeof(lim), "%" PRId64, limit);
	ret = xl_db_exec(db, "SELECT id FROM orders WHERE status = 'pending' "
			 "AND placed_at < now() - make_interval(secs => $1::bigint) AND NOT EXISTS (SELECT 1 FROM payments p "
			 "WHERE p.order_id = orders.id AND p.status IN ('pending', 'unknown')) "
			 "ORDER BY placed_at, id LIMIT $2::bigint",
			 2, params, &res, err);
	for (int i = 0; ret == 0 && i < PQntuples(res); i++) {
		struct xl_order_move m = { .action = XL_ORDER_EXPIRE, .reason = "not paid in time" };
		struct xl_err refused = XL_ERR_INIT;
		json_t *t = NULL;

		xl_num_parse_i64(PQgetvalue(res, i, 0), &m.order_id);
		ret = xl_order_move(db, &m, &t, &refused);
		if (ret == -XL_EINVAL) {
			/* Paid or cancelled since the list was read. */
			ret = 0;
			continue;
		}
		if (ret < 0) {
			*err = refused;
			break;
		}
		done++;
		if (fn)
			ret = fn(t, arg, err);
		json_decref(t);
	}
	PQclear(res);
	return ret < 0 ? ret : done;
}
