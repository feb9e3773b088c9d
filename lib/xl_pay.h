#ifndef XL_PAY_H
#define XL_PAY_H

#include <stdint.h>

#include <jansson.h>

#include "xl_db.h"
#include "xl_err.h"
#include "xl_gateway.h"

/*
 * Payments: charging an order through a gateway exactly once, refunding
 * it, and settling charges whose outcome the gateway left unknown.
 *
 * A charge has three phases (Brandur Leach, "Implementing Stripe-like
 * idempotency keys in Postgres"): the idempotency key, the payment and any
 * points hold are recorded in one transaction; the gateway is called
 * outside any transaction, with the key as its idempotency key; the
 * outcome, the order's status, the points and the outbox event are
 * written in one transaction. A key used again for the same request
 * returns the stored result (waiting while another process holds it); for
 * another request it is refused. Keys are kept 24 hours.
 */

struct xl_pay_opts {
	int points_rate_bp;         /* points earned per 10,000 won paid (100 = 1 %) */
	int points_days;            /* days before earned points expire */
	int wait_ms;                /* how long to wait for a key another process holds */
	int lock_seconds;           /* after this, a held key is taken to be abandoned */
};
#define XL_PAY_OPTS_DEFAULT { 100, 365, 30000, 60 }

struct xl_pay_charge {
	int64_t order_id;
	int64_t use_points;         /* points to spend, 0 for none */
	const char *method;         /* card number (sandbox) or paymentKey (toss) */
	const char *idempotency_key;/* NULL: "charge-order-<order_id>" */
};

/*
 * Charge an order. Returns:
 *   0 with *payment (yours) the payment record, "status":"captured" or
 *     "failed" (declined: its "decline" says why), and *replayed set when
 *     the key's stored result was returned;
 *   -XL_EINVAL for a refusal (no such order, not pending, a key used for
 *     another request, not enough points), err naming the field;
 *   -XL_ETIMEOUT when the gateway's outcome is unknown: the payment is
 *     recorded "unknown", the order stays pending, and xl_pay_reconcile
 *     settles it (*payment is set then too);
 *   -XL_ERETRY when another process still holds the key after wait_ms;
 *   or the connection's, the database's or the gateway's error.
 */
int xl_pay_charge(struct xl_db *db, struct xl_gateway *gw, const struct xl_pay_opts *o,
		  const struct xl_pay_charge *c, json_t **payment, int *replayed, struct xl_err *err);

/*
 * Refund amount_minor (0 = all that is left) of the order's captured
 * payment. Never more than was captured less what is refunded. On success
 * *refund (yours) is the refund record: the points earned on the refunded
 * part are taken back and the points used given back in proportion, and a
 * refund in full cancels a paid or preparing order (stock back) and
 * completes a requested return. A gateway refusal is -XL_EINVAL (the
 * refund is recorded failed); an unknown outcome is -XL_ETIMEOUT (the
 * refund stays pending, for xl_pay_reconcile).
 */
int xl_pay_refund(struct xl_db *db, struct xl_gateway *gw, const struct xl_pay_opts *o, int64_t order_id,
		  int64_t amount_minor, const char *reason, json_t **refund, struct xl_err *err);

/*
 * Settle every payment of this gateway whose outcome is unknown, and
 * every charge abandoned between its phases for longer than
 * o->lock_seconds: ask the gateway by order and record what it says
 * (captured, or failed when it has no such payment or it was aborted).
 * fn (may be NULL) gets each settled payment record. Returns the number
 * settled, or an error. A payment the gateway still cannot answer for
 * stays as it is. Then every refund of this gateway left pending for
 * longer than o->lock_seconds is asked again under its own key (which
 * refunds once) and settled; fn gets its refund record. Finished
 * idempotency keys past their 24 hours are removed on the way.
 */
typedef int xl_pay_fn(json_t *payment, void *arg, struct xl_err *err);
int64_t xl_pay_reconcile(struct xl_db *db, struct xl_gateway *gw, const struct xl_pay_opts *o, xl_pay_fn *fn,
			 void *arg, struct xl_err *err);

#endif
