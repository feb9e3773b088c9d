#include "xl_pay.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xl_dbfn.h"
#include "xl_num.h"
#include "xl_order.h"
#include "xl_time.h"
#include "xl_banned.h"

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

static const char *outcome_name(enum xl_gw_outcome o)
{
	switch (o) {
	case XL_GW_SUCCESS: return "success";
	case XL_GW_DECLINED: return "declined";
	case XL_GW_UNKNOWN: return "timeout";
	case XL_GW_ERROR:
	case XL_GW_NOTFOUND: break;
	}
	return "error";
}

/* What payment_attempts keeps of an answer: its gist, and the gateway's own words. */
static json_t *attempt_response(const struct xl_gw_result *res)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:I, s:O?}", "outcome", outcome_name(res->outcome),
			 "payment_key", res->payment_key, "code", res->code, "message", res->message,
			 "amount", (json_int_t)res->amount_minor, "gateway", res->raw);
}

/* Phase 3: record the gateway's answer for payment id under key. */
static int finish(struct xl_db *db, const struct xl_pay_opts *o, const char *key, const char *payment_id,
		  const struct xl_gw_request *req, const struct xl_gw_result *res, json_t **payment,
		  struct xl_err *err)
{
	char rate[16], days[16];
	json_t *request = json_pack("{s:s, s:s, s:I, s:s, s:s}", "idempotency_key", req->idempotency_key,
				    "order_ref", req->order_ref, "amount", (json_int_t)req->amount_minor,
				    "currency", req->currency ? req->currency : "",
				    "method_ending", req->method && strlen(req->method) > 4 ?
				    req->method + strlen(req->method) - 4 : "");
	json_t *response = attempt_response(res);
	char *request_text = json_dumps(request, JSON_COMPACT), *response_text = json_dumps(response, JSON_COMPACT);
	const char *params[8] = { key, payment_id, outcome_name(res->outcome), res->payment_key, request_text,
				  response_text, rate, days };
	int ret;

	snprintf(rate, sizeof(rate), "%d", o->points_rate_bp);
	snprintf(days, sizeof(days), "%d", o->points_days);
	ret = xl_dbfn_call(db, "SELECT xl_pay_finish($1, $2, $3, $4, $5::jsonb, $6::jsonb, $7, $8)", 8, params,
			   payment, err);
	free(request_text);
	free(response_text);
	json_decref(request);
	json_decref(response);
	return ret;
}

static int payment_record(struct xl_db *db, const char *payment_id, json_t **payment, struct xl_err *err)
{
	const char *params[1] = { payment_id };

	return xl_dbfn_call(db, "SELECT xl_payment_record($1)", 1, params, payment, err);
}

int xl_pay_charge(struct xl_db *db, struct xl_gateway *gw, const struct xl_pay_opts *o,
		  const struct xl_pay_charge *c, json_t **payment, int *replayed, struct xl_err *err)
{
	char key[256], order[24], points[24], lock[16], order_ref[40], payment_id[24];
	const char *params[6] = { key, order, points, xl_gateway_name(gw), c->method, lock };
	struct xl_gw_result res = { 0 };
	struct xl_gw_request req = { 0 };
	json_t *state = NULL;
	int64_t start = xl_time_mono(), amount = 0;
	long delay = 20;
	const char *s;
	int ret;

	*payment = NULL;
	*replayed = 0;
	if (c->idempotency_key)
		snprintf(key, sizeof(key), "%s", c->idempotency_key);
	else
		snprintf(key, sizeof(key), "charge-order-%" PRId64, c->order_id);
	snprintf(order, sizeof(order), "%" PRId64, c->order_id);
	snprintf(points, sizeof(points), "%" PRId64, c->use_points);
	snprintf(lock, sizeof(lock), "%d", o->lock_seconds);
	for (;;) {
		ret = xl_dbfn_call(db, "SELECT xl_pay_begin($1, $2, $3, $4, $5, $6)", 6, params, &state, err);
		if (ret < 0)
			return ret;
		s = json_string_value(json_object_get(state, "state"));
		if (!s || strcmp(s, "busy"))
			break;
		json_decref(state);
		state = NULL;
		if (xl_time_mono() - start > (int64_t)o->wait_ms * 1000)
			return xl_err_set(err, XL_ERETRY, "idempotency_key: '%s' is still in progress in another process",
					  key);
		sleep_ms(delay);
		delay = delay * 2 > 500 ? 500 : delay * 2;
	}
	if (!strcmp(s, "done")) {
		*payment = json_incref(json_object_get(state, "response"));
		*replayed = 1;
		json_decref(state);
		return 0;
	}
	snprintf(payment_id, sizeof(payment_id), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(state, "payment_id")));
	if (!strcmp(s, "unknown")) {
		json_decref(state);
		ret = payment_record(db, payment_id, payment, err);
		if (ret < 0)
			return ret;
		return xl_err_set(err, XL_ETIMEOUT, "order %" PRId64 ": the outcome of payment %s is unknown; "
				  "'xlcfi-pay reconcile' settles it", c->order_id, payment_id);
	}
	/* Phase 2: the gateway, outside any transaction. */
	amount = (int64_t)json_integer_value(json_object_get(state, "amount_minor"));
	snprintf(order_ref, sizeof(order_ref), "%s", json_string_value(json_object_get(state, "order_ref")));
	req.idempotency_key = key;
	req.order_ref = order_ref;
	req.amount_minor = amount;
	req.currency = json_string_value(json_object_get(state, "currency"));
	req.method = c->method;
	ret = xl_gateway_charge(gw, &req, &res, err);
	if (ret < 0) {
		struct xl_err ignore = XL_ERR_INIT;
		const char *kp[1] = { key };

		/* Nothing was sent: let the next try take the key at once. */
		xl_db_exec(db, "UPDATE idempotency_keys SET locked_at = NULL WHERE key = $1", 1, kp, NULL, &ignore);
		json_decref(state);
		return ret;
	}
	/* Phase 3. */
	ret = finish(db, o, key, payment_id, &req, &res, payment, err);
	json_decref(state);
	if (ret == 0 && res.outcome == XL_GW_UNKNOWN)
		ret = xl_err_set(err, XL_ETIMEOUT, "order %" PRId64 ": %s; payment %s is recorded as unknown and "
				 "'xlcfi-pay reconcile' settles it", c->order_id, res.message, payment_id);
	xl_gw_result_release(&res);
	return ret;
}

/*
 * A refund made to cancel its order (xl_pay_cancel_order): who cancels and
 * why, as SQL parameters (actor NULL for the system, reason may be NULL).
 */
struct cancel_as {
	const char *actor;
	const char *reason;
};

/* Phase 3 of a refund: its outcome, and for a cancel the order's move. */
struct refund_end {
	const char *refund_id;
	const char *ok;             /* "true" or "false" */
	const char *gateway_ref;
	const char *days;
	const struct cancel_as *as; /* NULL: a refund alone */
	json_t *refund;             /* the refund record */
	json_t *transition;         /* the order's cancel, when there was one */
	struct xl_err refused;      /* why the order was not cancelled (the refund was recorded all the same) */
};

/*
 * Cancel the order of a refund that went through, as as->actor for
 * as->reason, in the transaction that records the refund. A refusal (the
 * order was shipped meanwhile, say) is kept in e->refused and undone to
 * the savepoint: the money is back all the same, and must be recorded.
 */
static int cancel_in_refund(struct xl_db *db, struct refund_end *e, const char *order, struct xl_err *err)
{
	const char *params[3] = { order, e->as->actor, e->as->reason };
	int ret = xl_db_exec(db, "SAVEPOINT cancel_order", 0, NULL, NULL, err);

	if (ret == 0)
		ret = xl_dbfn_call(db, "SELECT xl_order_move($1, '{paid,preparing}', 'cancelled', $2, $3, NULL, true)",
				   3, params, &e->transition, err);
	if (ret == -XL_EINVAL) {
		e->refused = *err;
		ret = xl_db_exec(db, "ROLLBACK TO SAVEPOINT cancel_order", 0, NULL, NULL, err);
	}
	return ret;
}

/*
 * Phase 3 of a cancel's refund, one transaction (xl_db_tx_fn): the refund
 * and its payment are locked first, then the order, in the order
 * xl_refund_finish locks them. The order is cancelled before the refund is
 * recorded, so xl_refund_finish finds it cancelled and leaves it; the
 * cancel's key is closed with the refund record.
 */
static int refund_end_cancel(struct xl_db *db, void *arg, struct xl_err *err)
{
	struct refund_end *e = arg;
	const char *rp[1] = { e->refund_id };
	const char *fp[4] = { e->refund_id, e->ok, e->gateway_ref, e->days };
	char *order = NULL;
	int ret;

	json_decref(e->refund);
	json_decref(e->transition);
	e->refund = e->transition = NULL;
	xl_err_clear(&e->refused);
	ret = xl_db_query_value(db, "SELECT p.order_id FROM refunds r JOIN payments p ON p.id = r.payment_id "
				"WHERE r.id = $1 AND r.status = 'pending' FOR UPDATE OF r, p", 1, rp, &order, err);
	if (ret == 0 && order && !strcmp(e->ok, "true"))
		ret = cancel_in_refund(db, e, order, err);
	free(order);
	if (ret == 0)
		ret = xl_dbfn_call(db, "SELECT xl_refund_finish($1, $2, $3, $4)", 4, fp, &e->refund, err);
	if (ret == 0)
		ret = xl_db_exec(db, "UPDATE idempotency_keys k SET status = CASE r.status WHEN 'succeeded' THEN "
				 "'completed' ELSE 'failed' END, response = xl_refund_record(r.id), locked_at = NULL "
				 "FROM refunds r WHERE r.id = $1 AND r.status <> 'pending' AND k.key = 'refund-' || r.id "
				 "AND k.scope = 'order.cancel'", 1, rp, NULL, err);
	return ret;
}

/*
 * Phases 2 and 3 of refund refund_id: the gateway's cancel, under a key of
 * the refund's own (so that asking again refunds once), then its outcome.
 * With as, the refund cancels its order (refund_end_cancel) and
 * *transition (yours) is that move; a refund that went through while the
 * order could not be cancelled, or that another process settled first, is
 * -XL_EINVAL with *refund set.
 */
static int refund_call(struct xl_db *db, struct xl_gateway *gw, const struct xl_pay_opts *o,
		       const char *refund_id, const char *payment_key, int64_t amount_minor, const char *reason,
		       const struct cancel_as *as, json_t **refund, json_t **transition, struct xl_err *err)
{
	char key[48], days[16];
	struct xl_gw_result res = { 0 };
	struct xl_gw_request req = { 0 };
	struct xl_err gwerr = XL_ERR_INIT;
	struct refund_end e = { 0 };
	int ret, gwret;

	*refund = NULL;
	if (transition)
		*transition = NULL;
	snprintf(key, sizeof(key), "refund-%s", refund_id);
	snprintf(days, sizeof(days), "%d", o->points_days);
	req.idempotency_key = key;
	req.payment_key = payment_key;
	req.amount_minor = amount_minor;
	req.reason = reason ? reason : "requested";
	gwret = xl_gateway_cancel(gw, &req, &res, &gwerr);
	if (gwret == 0 && res.outcome == XL_GW_UNKNOWN) {
		xl_gw_result_release(&res);
		return xl_err_set(err, XL_ETIMEOUT, "the outcome of refund %s is unknown (%s); it stays pending "
				  "until 'xlcfi-pay reconcile' settles it%s", refund_id, res.message,
				  as ? " and cancels the order" : "");
	}
	e.refund_id = refund_id;
	e.ok = gwret == 0 && res.outcome == XL_GW_SUCCESS ? "true" : "false";
	e.gateway_ref = res.payment_key;
	e.days = days;
	e.as = as;
	if (as) {
		ret = xl_db_transaction(db, NULL, XL_DBFN_ATTEMPTS, refund_end_cancel, &e, err);
	} else {
		const char *fp[4] = { e.refund_id, e.ok, e.gateway_ref, e.days };

		ret = xl_dbfn_call(db, "SELECT xl_refund_finish($1, $2, $3, $4)", 4, fp, &e.refund, err);
	}
	if (ret == 0 && gwret < 0) {
		*err = gwerr;
		ret = gwret;
	} else if (ret == 0 && res.outcome != XL_GW_SUCCESS) {
		ret = xl_err_set(err, XL_EINVAL, "the gateway refused refund %s: %s %s%s", refund_id, res.code,
				 res.message, as ? "; the order is not cancelled" : "");
	} else if (ret == 0 && as && e.refused.code) {
		ret = xl_err_set(err, XL_EINVAL, "refund %s went through, but the cancel was refused (%s): the order "
				 "is %s", refund_id, e.refused.msg,
				 json_string_value(json_object_get(e.refund, "order_status")));
	} else if (ret == 0 && as && !e.transition) {
		/* Settled meanwhile by another process (reconcile), which carried out the cancel. */
		ret = xl_err_set(err, XL_EINVAL, "refund %s was settled by another process meanwhile: it %s, and "
				 "the order is %s", refund_id, json_string_value(json_object_get(e.refund, "status")),
				 json_string_value(json_object_get(e.refund, "order_status")));
	}
	if (ret == 0 || ret == -XL_EINVAL) {
		*refund = e.refund;
		e.refund = NULL;
	}
	if (ret == 0 && transition) {
		*transition = e.transition;
		e.transition = NULL;
	}
	json_decref(e.refund);
	json_decref(e.transition);
	xl_gw_result_release(&res);
	return ret;
}

int xl_pay_refund(struct xl_db *db, struct xl_gateway *gw, const struct xl_pay_opts *o, int64_t order_id,
		  int64_t amount_minor, const char *reason, json_t **refund, struct xl_err *err)
{
	char order[24], amount[24], refund_id[24];
	const char *params[4] = { order, amount_minor > 0 ? amount : NULL, reason, xl_gateway_name(gw) };
	json_t *begun = NULL;
	int ret;

	*refund = NULL;
	snprintf(order, sizeof(order), "%" PRId64, order_id);
	snprintf(amount, sizeof(amount), "%" PRId64, amount_minor);
	ret = xl_dbfn_call(db, "SELECT xl_refund_begin($1, $2, $3, $4)", 4, params, &begun, err);
	if (ret < 0)
		return ret;
	snprintf(refund_id, sizeof(refund_id), "%" JSON_INTEGER_FORMAT,
		 json_integer_value(json_object_get(begun, "refund_id")));
	ret = refund_call(db, gw, o, refund_id, json_string_value(json_object_get(begun, "payment_key")),
			  (int64_t)json_integer_value(json_object_get(begun, "amount_minor")), reason, NULL, refund,
			  NULL, err);
	json_decref(begun);
	if (ret == -XL_EINVAL || ret == -XL_ETIMEOUT)
		xl_err_prefix(err, "order %" PRId64 ": ", order_id);
	return ret;
}

/*
 * Refunds left pending for longer than the lock (their outcome unknown, or
 * their process gone): ask again under the same key, which refunds once. A
 * refund made to cancel its order carries out that cancel, as the key's
 * request says (see cancel_begin).
 */
static int64_t reconcile_refunds(struct xl_db *db, struct xl_gateway *gw, const struct xl_pay_opts *o,
				 xl_pay_fn *fn, void *arg, struct xl_err *err)
{
	char lock[16];
	const char *params[2] = { xl_gateway_name(gw), lock };
	PGresult *res = NULL;
	int64_t settled = 0;
	int ret;

	snprintf(lock, sizeof(lock), "%d", o->lock_seconds);
	ret = xl_db_exec(db, "SELECT r.id, p.gateway_ref, r.amount_minor, r.reason, k.key IS NOT NULL, "
			 "k.request ->> 'actor', k.request ->> 'reason' FROM refunds r "
			 "JOIN payments p ON p.id = r.payment_id "
			 "LEFT JOIN idempotency_keys k ON k.key = 'refund-' || r.id AND k.scope = 'order.cancel' "
			 "WHERE r.status = 'pending' AND p.gateway = $1 "
			 "AND r.created_at < now() - make_interval(secs => $2::integer) ORDER BY r.id",
			 2, params, &res, err);
	for (int i = 0; ret == 0 && i < PQntuples(res); i++) {
		struct cancel_as as = { PQgetisnull(res, i, 5) ? NULL : PQgetvalue(res, i, 5),
					PQgetisnull(res, i, 6) ? NULL : PQgetvalue(res, i, 6) };
		json_t *refund = NULL;
		int64_t amount = 0;

		xl_num_parse_i64(PQgetvalue(res, i, 2), &amount);
		ret = refund_call(db, gw, o, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), amount,
				  PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
				  !strcmp(PQgetvalue(res, i, 4), "t") ? &as : NULL, &refund, NULL, err);
		if (ret == -XL_ETIMEOUT || ret == -XL_EINVAL) {
			/* Still unknown, or refused and now recorded failed: the record says which. */
			ret = 0;
		}
		if (ret == 0 && refund) {
			settled++;
			if (fn)
				ret = fn(refund, arg, err);
		}
		json_decref(refund);
	}
	PQclear(res);
	return ret < 0 ? ret : settled;
}

int64_t xl_pay_reconcile(struct xl_db *db, struct xl_gateway *gw, const struct xl_pay_opts *o, xl_pay_fn *fn,
			 void *arg, struct xl_err *err)
{
	char lock[16];
	const char *params[2] = { xl_gateway_name(gw), lock };
	PGresult *res = NULL;
	int64_t settled = 0;
	int ret;

	snprintf(lock, sizeof(lock), "%d", o->lock_seconds);
	/* Finished keys are kept 24 hours, then let go. */
	ret = xl_db_exec(db, "DELETE FROM idempotency_keys WHERE expires_at < now() AND status <> 'in_progress'",
			 0, NULL, NULL, err);
	if (ret == 0)
		ret = xl_db_exec(db, "SELECT p.id, p.order_id, p.idempotency_key, p.amount_minor, p.currency FROM payments p "
			 "JOIN idempotency_keys k ON k.key = p.idempotency_key WHERE p.gateway = $1 AND "
			 "(p.status = 'unknown' OR (p.status = 'pending' AND (k.locked_at IS NULL OR "
			 "k.locked_at < now() - make_interval(secs => $2::integer)))) ORDER BY p.id",
			 2, params, &res, err);
	for (int i = 0; ret == 0 && i < PQntuples(res); i++) {
		struct xl_gw_result found = { 0 };
		struct xl_gw_request req = { 0 };
		char order_ref[40];
		json_t *payment = NULL;

		snprintf(order_ref, sizeof(order_ref), "xlcfi-%s", PQgetvalue(res, i, 1));
		req.idempotency_key = PQgetvalue(res, i, 2);
		/*
		 * Hold the key while asking, as a charge does: a retry of the
		 * charge must not call the gateway between our question and
		 * our answer. Someone else holding it now: leave it to them.
		 */
		{
			const char *cp[2] = { req.idempotency_key, lock };
			char *claimed = NULL;

			ret = xl_db_query_value(db, "UPDATE idempotency_keys SET locked_at = now() WHERE key = $1 AND "
						"status = 'in_progress' AND (locked_at IS NULL OR "
						"locked_at < now() - make_interval(secs => $2::integer)) RETURNING key",
						2, cp, &claimed, err);
			if (ret < 0)
				break;
			if (!claimed)
				continue;
			free(claimed);
		}
		req.order_ref = order_ref;
		xl_num_parse_i64(PQgetvalue(res, i, 3), &req.amount_minor);
		req.currency = PQgetvalue(res, i, 4);
		ret = xl_gateway_lookup(gw, &req, &found, err);
		if (ret < 0)
			break;
		if (found.outcome != XL_GW_UNKNOWN && found.outcome != XL_GW_ERROR) {
			/* Not found, or found aborted: nothing was charged, so the payment failed. */
			if (found.outcome == XL_GW_NOTFOUND)
				found.outcome = XL_GW_ERROR;
			ret = finish(db, o, req.idempotency_key, PQgetvalue(res, i, 0), &req, &found, &payment, err);
			if (ret == 0) {
				settled++;
				if (fn)
					ret = fn(payment, arg, err);
			}
			json_decref(payment);
		} else {
			const char *kp[1] = { req.idempotency_key };

			/* Still not known: the next run may ask again. */
			ret = xl_db_exec(db, "UPDATE idempotency_keys SET locked_at = NULL WHERE key = $1", 1, kp,
					 NULL, err);
		}
		xl_gw_result_release(&found);
	}
	PQclear(res);
	if (ret == 0) {
		int64_t refunds = reconcile_refunds(db, gw, o, fn, arg, err);

		if (refunds < 0)
			return refunds;
		settled += refunds;
	}
	return ret < 0 ? ret : settled;
}

/* Phase 1 of a cancel's refund, one transaction (xl_db_tx_fn). */
struct cancel_begin {
	const char *order;
	const char *actor;          /* NULL for the system */
	const char *reason;
	const char *provider;
	const char *request;        /* what the cancel asks for, kept with its key */
	json_t *begun;              /* xl_refund_begin's answer */
	int moved;                  /* the order is no longer paid or preparing: look again */
};

/*
 * Lock the order's payment, then the order (the order the refund's last
 * transaction locks them in), check that the order is still paid or
 * preparing, that the actor exists and that no refund of it is pending
 * (two cancels at once: the second finds the first's refund pending),
 * begin the refund of all that is left, and keep the cancel's actor and
 * reason under the refund's key for xl_pay_reconcile.
 */
static int cancel_begin(struct xl_db *db, void *arg, struct xl_err *err)
{
	struct cancel_begin *b = arg;
	const char *op[2] = { b->order, b->actor };
	const char *bp[3] = { b->order, b->reason, b->provider };
	PGresult *res = NULL;
	int ret;

	json_decref(b->begun);
	b->begun = NULL;
	b->moved = 0;
	ret = xl_db_exec(db, "SELECT 1 FROM payments WHERE order_id = $1 AND status IN ('captured', "
			 "'partially_refunded', 'refunded') FOR UPDATE", 1, op, NULL, err);
	if (ret == 0)
		ret = xl_db_exec(db, "SELECT o.status, (SELECT min(r.id) FROM refunds r JOIN payments p ON "
				 "p.id = r.payment_id WHERE p.order_id = o.id AND r.status = 'pending'), "
				 "$2::bigint IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $2) "
				 "FROM orders o WHERE o.id = $1 FOR UPDATE OF o", 2, op, &res, err);
	if (ret < 0)
		return ret;
	if (PQntuples(res) == 0)
		ret = xl_err_set(err, XL_EINVAL, "order_id: no such order %s", b->order);
	else if (strcmp(PQgetvalue(res, 0, 0), "paid") && strcmp(PQgetvalue(res, 0, 0), "preparing"))
		b->moved = 1;
	else if (strcmp(PQgetvalue(res, 0, 2), "t"))
		ret = xl_err_set(err, XL_EINVAL, "actor: no such user %s", b->actor);
	else if (!PQgetisnull(res, 0, 1))
		ret = xl_err_set(err, XL_EINVAL, "order_id: refund %s of order %s is pending: the order is not "
				 "refunded again until 'xlcfi-pay reconcile' settles it", PQgetvalue(res, 0, 1), b->order);
	PQclear(res);
	if (ret < 0 || b->moved)
		return ret;
	ret = xl_dbfn_call(db, "SELECT xl_refund_begin($1, NULL, $2, $3)", 3, bp, &b->begun, err);
	if (ret == 0) {
		char refund_id[24];
		const char *kp[2] = { refund_id, b->request };

		snprintf(refund_id, sizeof(refund_id), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(b->begun, "refund_id")));
		ret = xl_db_exec(db, "INSERT INTO idempotency_keys (key, scope, request_hash, request, status, "
				 "expires_at) VALUES ('refund-' || $1, 'order.cancel', md5($2), $2::jsonb, "
				 "'in_progress', now() + interval '24 hours')", 2, kp, NULL, err);
	}
	return ret;
}

/*
 * Cancel paid or preparing order c->order_id by refunding all that is left
 * of its payment through provider. *moved is set, and nothing done, when
 * the order was no longer paid or preparing.
 */
static int cancel_by_refund(struct xl_db *db, const struct xl_pay_opts *o, const struct xl_pay_cancel *c,
			    const char *order, const char *provider, json_t **transition, int *moved,
			    struct xl_err *err)
{
	char actor[24], refund_id[24];
	struct cancel_begin b = { 0 };
	struct cancel_as as;
	struct xl_gateway *gw = NULL;
	json_t *request, *refund = NULL;
	char *request_text;
	int ret;

	*moved = 0;
	/* Opened first: a gateway that cannot be used leaves no refund pending. */
	ret = xl_gateway_open(&gw, provider, db, err);
	if (ret < 0)
		return ret == -XL_EINVAL ? xl_err_prefix(err, "order %s: ", order) : ret;
	request = json_pack("{s:I, s:o, s:s?}", "order_id", (json_int_t)c->order_id, "actor",
			    c->actor > 0 ? json_integer((json_int_t)c->actor) : json_null(), "reason", c->reason);
	if (!request) {
		xl_gateway_close(gw);
		return xl_err_set(err, XL_EINVAL, "reason: not UTF-8 text");
	}
	request_text = json_dumps(request, JSON_COMPACT);
	snprintf(actor, sizeof(actor), "%" PRId64, c->actor);
	b.order = order;
	b.actor = c->actor > 0 ? actor : NULL;
	b.reason = c->reason;
	b.provider = xl_gateway_name(gw);
	b.request = request_text;
	ret = xl_db_transaction(db, NULL, XL_DBFN_ATTEMPTS, cancel_begin, &b, err);
	if (ret == 0 && b.moved) {
		*moved = 1;
	} else if (ret == 0) {
		snprintf(refund_id, sizeof(refund_id), "%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(b.begun, "refund_id")));
		as.actor = b.actor;
		as.reason = c->reason;
		ret = refund_call(db, gw, o, refund_id, json_string_value(json_object_get(b.begun, "payment_key")),
				  (int64_t)json_integer_value(json_object_get(b.begun, "amount_minor")), c->reason,
				  &as, &refund, transition, err);
		if (ret == 0)
			json_object_set_new(*transition, "refund", refund);
		else
			json_decref(refund);
		if (ret == -XL_EINVAL || ret == -XL_ETIMEOUT)
			xl_err_prefix(err, "order %s: ", order);
	}
	json_decref(b.begun);
	free(request_text);
	json_decref(request);
	xl_gateway_close(gw);
	return ret;
}

/* Whether an order in status is cancelled by refunding it. */
static int paid_or_preparing(const char *status)
{
	return !strcmp(status, "paid") || !strcmp(status, "preparing");
}

int xl_pay_cancel_order(struct xl_db *db, const struct xl_pay_opts *o, const struct xl_pay_cancel *c,
			json_t **transition, struct xl_err *err)
{
	struct xl_order_move m = { .action = XL_ORDER_CANCEL, .order_id = c->order_id, .actor = c->actor,
				   .reason = c->reason };
	struct xl_err refusal = XL_ERR_INIT;
	char order[24];
	const char *params[1] = { order };
	int ret, moved = 0;

	*transition = NULL;
	snprintf(order, sizeof(order), "%" PRId64, c->order_id);
	/*
	 * The status is read without a lock; each path then names the status
	 * it expects, under a lock. An order paid, or cancelled, in between is
	 * looked at again, a bounded number of times.
	 */
	for (int attempt = 0; attempt < 3; attempt++) {
		PGresult *res = NULL;
		char status[32], provider[32];

		ret = xl_db_exec(db, "SELECT o.status, p.gateway FROM orders o LEFT JOIN payments p ON "
				 "p.order_id = o.id AND p.status IN ('captured', 'partially_refunded', 'refunded') "
				 "WHERE o.id = $1", 1, params, &res, err);
		if (ret < 0)
			return ret;
		if (PQntuples(res) == 0) {
			PQclear(res);
			return xl_err_set(err, XL_EINVAL, "order_id: no such order %s", order);
		}
		snprintf(status, sizeof(status), "%s", PQgetvalue(res, 0, 0));
		snprintf(provider, sizeof(provider), "%s", PQgetvalue(res, 0, 1));
		PQclear(res);
		if (!paid_or_preparing(status)) {
			if (refusal.code) {
				*err = refusal;
				return -refusal.code;
			}
			ret = xl_order_move(db, &m, transition, err);
			/* Refused while pending: paid meanwhile, perhaps; then it is refunded. */
			if (ret != -XL_EINVAL || strcmp(status, "pending"))
				return ret;
			refusal = *err;
			continue;
		}
		xl_err_clear(&refusal);
		if (!*provider)
			return xl_err_set(err, XL_EINVAL, "order_id: order %s is %s, but no captured payment of it is on "
					  "record to refund: it is not cancelled", order, status);
		ret = cancel_by_refund(db, o, c, order, provider, transition, &moved, err);
		if (ret < 0 || !moved)
			return ret;
	}
	if (refusal.code) {
		*err = refusal;
		return -refusal.code;
	}
	return xl_err_set(err, XL_ERETRY, "order %s: its status kept changing while it was being cancelled; "
			  "try again", order);
}
