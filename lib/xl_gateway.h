#ifndef XL_GATEWAY_H
#define XL_GATEWAY_H

#include <stdint.h>

#include <jansson.h>

#include "xl_db.h"
#include "xl_err.h"

/*
 * Payment gateways behind one interface. A provider confirms (captures) a
 * payment, cancels all or part of one, and looks one up by our order
 * reference. Every call carries an idempotency key, which the provider
 * passes on (Toss: the Idempotency-Key header) so that a repeated call
 * charges or refunds once.
 *
 * Providers:
 *   "sandbox"  in-process and deterministic. The payment method is a test
 *              card number (spaces and dashes ignored):
 *                4242424242424242  succeeds
 *                4000000000000002  is declined (REJECT_CARD_COMPANY)
 *                4000000000000259  is charged, then the call times out
 *              any other number is declined (INVALID_CARD_NUMBER). What it
 *              charged is kept in the database (sandbox_payments), as a
 *              real gateway keeps its own books, so that lookups and
 *              repeated keys work across processes. Its calls are single
 *              statements outside any transaction of the caller's.
 *   "toss"     HTTP, shaped like Toss Payments' API: POST
 *              /v1/payments/confirm {paymentKey, orderId, amount}, POST
 *              /v1/payments/{paymentKey}/cancel {cancelReason,
 *              cancelAmount}, GET /v1/payments/orders/{orderId}; HTTP Basic
 *              auth with the secret key and an empty password. The payment
 *              method is the paymentKey the buyer's browser got.
 *              Configured from the environment: XLCFI_TOSS_BASE_URL
 *              (default https://api.tosspayments.com),
 *              XLCFI_TOSS_SECRET_KEY or XLCFI_TOSS_SECRET_KEY_FILE (a file
 *              of mode 0600 or stricter), XLCFI_TOSS_TIMEOUT_MS (default
 *              10000). The secret is never logged.
 */

enum xl_gw_outcome {
	XL_GW_SUCCESS,   /* done: captured, cancelled, or found captured */
	XL_GW_DECLINED,  /* refused by the gateway or the card issuer: nothing charged */
	XL_GW_ERROR,     /* failed before anything was charged (e.g. HTTP 4xx other than a decline) */
	XL_GW_UNKNOWN,   /* the request may have been carried out (timeout, lost connection, HTTP 5xx) */
	XL_GW_NOTFOUND   /* lookup: the gateway has no payment for the order */
};

/* What a call asks for. Strings are borrowed for the call. */
struct xl_gw_request {
	const char *idempotency_key;
	const char *order_ref;      /* our reference for the order, e.g. "xlcfi-42" */
	int64_t amount_minor;       /* to charge, or to cancel (0 = all that is left) */
	const char *currency;
	const char *method;         /* charge: card number (sandbox) or paymentKey (toss) */
	const char *payment_key;    /* cancel: the gateway's id of the payment */
	const char *reason;         /* cancel: why */
};

/* What the gateway said. */
struct xl_gw_result {
	enum xl_gw_outcome outcome;
	char payment_key[128];      /* the gateway's id of the payment ("" if none) */
	char code[64];              /* a decline or error code ("" if none) */
	char message[256];          /* the gateway's words, for people */
	int64_t amount_minor;       /* captured (charge, lookup) or cancelled (cancel) */
	json_t *raw;                /* the answer as the gateway gave it, for payment_attempts;
				       yours to json_decref (may be NULL) */
};

struct xl_gateway;

/*
 * Open provider ("sandbox" or "toss"). The sandbox keeps its books through
 * db (borrowed; used only between the caller's transactions). Errors:
 * -XL_EINVAL for an unknown provider, -XL_ECONFIG for missing or bad
 * configuration (no secret key, a secret file readable by others).
 * *out is yours: xl_gateway_close().
 */
int xl_gateway_open(struct xl_gateway **out, const char *provider, struct xl_db *db, struct xl_err *err);

/* 1 if provider names a provider ("sandbox", "toss"), else 0. */
int xl_gateway_known(const char *provider);

/* The provider's name ("sandbox", "toss"); static. */
const char *xl_gateway_name(const struct xl_gateway *gw);

/*
 * Charge (confirm) req->amount_minor for req->order_ref with req->method.
 * Returns 0 with the outcome in *res (a decline is not an error), or a
 * negative code when the call could not even be made (then nothing left
 * this process: -XL_EUNAVAIL for a connection refused before sending).
 * res->raw must be released by the caller in every case.
 */
int xl_gateway_charge(struct xl_gateway *gw, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err);

/* Cancel (refund) req->amount_minor of payment req->payment_key. As xl_gateway_charge. */
int xl_gateway_cancel(struct xl_gateway *gw, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err);

/*
 * Look up the payment of req->order_ref: XL_GW_SUCCESS with its key and
 * captured amount, XL_GW_NOTFOUND when there is none, XL_GW_UNKNOWN when
 * the gateway could not say. As xl_gateway_charge.
 */
int xl_gateway_lookup(struct xl_gateway *gw, const struct xl_gw_request *req, struct xl_gw_result *res,
		      struct xl_err *err);

/* Release what a result holds (res->raw). Accepts a zeroed result. */
void xl_gw_result_release(struct xl_gw_result *res);

/* Free gw. Accepts NULL. */
void xl_gateway_close(struct xl_gateway *gw);

#endif
