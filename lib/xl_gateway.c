#include "xl_gateway.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_gw_toss.h"
#include "xl_num.h"
#include "xl_banned.h"

struct xl_gateway {
	const char *name;
	struct xl_db *db;           /* sandbox: its books */
	struct xl_gw_toss *toss;
};

int xl_gateway_known(const char *provider)
{
	return !strcmp(provider, "sandbox") || !strcmp(provider, "toss");
}

int xl_gateway_open(struct xl_gateway **out, const char *provider, struct xl_db *db, struct xl_err *err)
{
	struct xl_gateway *gw;
	int ret;

	*out = NULL;
	if (!xl_gateway_known(provider))
		return xl_err_set(err, XL_EINVAL, "unknown payment provider '%s': expected sandbox or toss", provider);
	gw = xl_xcalloc(1, sizeof(*gw));
	gw->db = db;
	if (!strcmp(provider, "toss")) {
		gw->name = "toss";
		ret = xl_gw_toss_open(&gw->toss, err);
		if (ret < 0) {
			free(gw);
			return ret;
		}
	} else {
		gw->name = "sandbox";
	}
	*out = gw;
	return 0;
}

const char *xl_gateway_name(const struct xl_gateway *gw)
{
	return gw->name;
}

void xl_gw_result_release(struct xl_gw_result *res)
{
	json_decref(res->raw);
	res->raw = NULL;
}

void xl_gateway_close(struct xl_gateway *gw)
{
	if (!gw)
		return;
	xl_gw_toss_close(gw->toss);
	free(gw);
}

/* sandbox ------------------------------------------------------------------ */

#define CARD_OK      "4242424242424242"
#define CARD_DECLINE "4000000000000002"
#define CARD_TIMEOUT "4000000000000259"

static void set_result(struct xl_gw_result *res, enum xl_gw_outcome outcome, const char *key, const char *code,
		       const char *message, int64_t amount)
{
	res->outcome = outcome;
	snprintf(res->payment_key, sizeof(res->payment_key), "%s", key ? key : "");
	snprintf(res->code, sizeof(res->code), "%s", code ? code : "");
	snprintf(res->message, sizeof(res->message), "%s", message ? message : "");
	res->amount_minor = amount;
	res->raw = json_pack("{s:s, s:s, s:s, s:s, s:I}", "provider", "sandbox",
			     "outcome", outcome == XL_GW_SUCCESS ? "success" : outcome == XL_GW_DECLINED ? "declined" :
			     outcome == XL_GW_NOTFOUND ? "not_found" : outcome == XL_GW_UNKNOWN ? "unknown" : "error",
			     "paymentKey", res->payment_key, "code", res->code, "amount", (json_int_t)amount);
}

/* The card number without spaces or dashes, or "" when it holds anything else. */
static void card_digits(const char *method, char *out, size_t size)
{
	size_t n = 0;

	for (const char *c = method ? method : ""; *c && n + 1 < size; c++) {
		if (*c == ' ' || *c == '-')
			continue;
		if (*c < '0' || *c > '9') {
			n = 0;
			break;
		}
		out[n++] = *c;
	}
	out[n] = '\0';
}

/* The sandbox's payment for order_ref: 1 and its columns, 0 if none. */
static int sandbox_find(struct xl_db *db, const char *order_ref, char *key, size_t keysize, char *idem,
			size_t idemsize, int64_t *amount, int64_t *cancelled, struct xl_err *err)
{
	const char *params[1] = { order_ref };
	PGresult *res = NULL;
	int ret = xl_db_exec(db, "SELECT payment_key, idempotency_key, amount_minor, cancelled_minor "
			     "FROM sandbox_payments WHERE order_ref = $1", 1, params, &res, err);

	if (ret < 0)
		return ret;
	ret = PQntuples(res) > 0;
	if (ret) {
		snprintf(key, keysize, "%s", PQgetvalue(res, 0, 0));
		snprintf(idem, idemsize, "%s", PQgetvalue(res, 0, 1));
		xl_num_parse_i64(PQgetvalue(res, 0, 2), amount);
		xl_num_parse_i64(PQgetvalue(res, 0, 3), cancelled);
	}
	PQclear(res);
	return ret;
}

static int sandbox_charge(struct xl_gateway *gw, const struct xl_gw_request *req, struct xl_gw_result *res,
			  struct xl_err *err)
{
	char card[32], amount[24], key[128], idem[256];
	const char *params[4] = { req->idempotency_key, amount, req->order_ref, req->currency };
	int64_t charged = 0, cancelled = 0;
	int ret;

	card_digits(req->method, card, sizeof(card));
	if (!strcmp(card, CARD_DECLINE)) {
		set_result(res, XL_GW_DECLINED, NULL, "REJECT_CARD_COMPANY", "sandbox: the card issuer refused", 0);
		return 0;
	}
	if (strcmp(card, CARD_OK) && strcmp(card, CARD_TIMEOUT)) {
		set_result(res, XL_GW_DECLINED, NULL, "INVALID_CARD_NUMBER", "sandbox: not a test card number", 0);
		return 0;
	}
	/* One payment per order, one per key: as a real gateway keeps them. */
	snprintf(amount, sizeof(amount), "%" PRId64, req->amount_minor);
	ret = xl_db_exec(gw->db, "INSERT INTO sandbox_payments (payment_key, idempotency_key, order_ref, amount_minor, "
			 "currency) VALUES ('sbx_' || left(md5($1), 24), $1, $3, $2, $4) ON CONFLICT DO NOTHING",
			 4, params, NULL, err);
	if (ret == 0)
		ret = sandbox_find(gw->db, req->order_ref, key, sizeof(key), idem, sizeof(idem), &charged, &cancelled,
				   err);
	if (ret < 0)
		return ret;
	if (ret == 0 || strcmp(idem, req->idempotency_key)) {
		set_result(res, XL_GW_ERROR, NULL, "ALREADY_PROCESSED_PAYMENT",
			   "sandbox: this order was paid under another idempotency key", 0);
		return 0;
	}
	if (!strcmp(card, CARD_TIMEOUT)) {
		set_result(res, XL_GW_UNKNOWN, NULL, NULL, "sandbox: charged, then the call timed out", 0);
		return 0;
	}
	set_result(res, XL_GW_SUCCESS, key, NULL, "sandbox: captured", charged);
	return 0;
}

static int sandbox_cancel(struct xl_gateway *gw, const struct xl_gw_request *req, struct xl_gw_result *res,
			  struct xl_err *err)
{
	char amount[24];
	const char *params[3] = { req->idempotency_key, req->payment_key, amount };
	PGresult *r = NULL;
	int64_t done = 0;
	int ret;

	snprintf(amount, sizeof(amount), "%" PRId64, req->amount_minor);
	/* The amount, at most what is left; once per key. */
	ret = xl_db_exec(gw->db, "WITH p AS (SELECT payment_key, amount_minor - cancelled_minor AS left_minor "
			 "FROM sandbox_payments WHERE payment_key = $2 FOR UPDATE), "
			 "c AS (INSERT INTO sandbox_cancels (idempotency_key, payment_key, amount_minor) "
			 "SELECT $1, p.payment_key, CASE WHEN $3::bigint = 0 THEN p.left_minor ELSE $3::bigint END FROM p "
			 "WHERE p.left_minor > 0 AND $3::bigint <= p.left_minor ON CONFLICT DO NOTHING "
			 "RETURNING payment_key, amount_minor), "
			 "u AS (UPDATE sandbox_payments s SET cancelled_minor = s.cancelled_minor + c.amount_minor FROM c "
			 "WHERE s.payment_key = c.payment_key RETURNING c.amount_minor) "
			 "SELECT (SELECT amount_minor FROM u), (SELECT amount_minor FROM sandbox_cancels WHERE idempotency_key = $1), "
			 "(SELECT count(*) FROM p)", 3, params, &r, err);
	if (ret < 0)
		return ret;
	if (!PQgetisnull(r, 0, 0))
		xl_num_parse_i64(PQgetvalue(r, 0, 0), &done);
	else if (!PQgetisnull(r, 0, 1))
		xl_num_parse_i64(PQgetvalue(r, 0, 1), &done);
	if (done > 0)
		set_result(res, XL_GW_SUCCESS, req->payment_key, NULL, "sandbox: cancelled", done);
	else if (!strcmp(PQgetvalue(r, 0, 2), "0"))
		set_result(res, XL_GW_ERROR, NULL, "NOT_FOUND_PAYMENT", "sandbox: no such payment", 0);
	else
		set_result(res, XL_GW_ERROR, NULL, "NOT_CANCELABLE_AMOUNT", "sandbox: more than is left to cancel", 0);
	PQclear(r);
	return 0;
}

static int sandbox_lookup(struct xl_gateway *gw, const struct xl_gw_request *req, struct xl_gw_result *res,
			  struct xl_err *err)
{
	char key[128], idem[256];
	int64_t amount = 0, cancelled = 0;
	int ret = sandbox_find(gw->db, req->order_ref, key, sizeof(key), idem, sizeof(idem), &amount, &cancelled, err);

	if (ret < 0)
		return ret;
	if (ret == 0)
		set_result(res, XL_GW_NOTFOUND, NULL, "NOT_FOUND_PAYMENT", "sandbox: no payment for this order", 0);
	else
		set_result(res, XL_GW_SUCCESS, key, NULL, "sandbox: captured", amount);
	return 0;
}

/* ------------------------------------------------------------------------- */

int xl_gateway_charge(struct xl_gateway *gw, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err)
{
	memset(res, 0, sizeof(*res));
	return gw->toss ? xl_gw_toss_charge(gw->toss, req, res, err) : sandbox_charge(gw, req, res, err);
}

int xl_gateway_cancel(struct xl_gateway *gw, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err)
{
	memset(res, 0, sizeof(*res));
	return gw->toss ? xl_gw_toss_cancel(gw->toss, req, res, err) : sandbox_cancel(gw, req, res, err);
}

int xl_gateway_lookup(struct xl_gateway *gw, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err)
{
	memset(res, 0, sizeof(*res));
	return gw->toss ? xl_gw_toss_lookup(gw->toss, req, res, err) : sandbox_lookup(gw, req, res, err);
}
