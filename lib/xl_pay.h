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

/* An order to cancel, and who cancels it and why (xl_pay_cancel_order). */
struct xl_pay_cancel {
	int64_t order_id;
	int64_t actor;              /* the user who cancels, 0 for the system */
	const char *reason;         /* may be NULL; the history's, the event's and the refund's */
};

/*
 * Cancel an order, refunding what was paid: the paid, preparing and
 * pending orders of the state machine's CANCEL, and the one way a paid or
 * preparing order is cancelled.
 *
 * A pending order is cancelled as xl_order_move's XL_ORDER_CANCEL does it.
 * A paid or preparing order is refunded in full (all that is left of its
 * payment) through the gateway that captured it, opened here from the
 * payment's provider, as xl_pay_refund does with c->reason as the reason;
 * the transaction that records the refund also cancels the order as
 * c->actor for c->reason (its history row and order.cancelled event) and
 * puts its stock back. On success *transition (yours) is the transition
 * record of xl_order_move, with the refund record under "refund" when
 * there was one. Returns:
 *   -XL_EINVAL for a refusal, the message naming the order: a move the
 *     state machine does not allow (shipped, cancelled), an unknown order
 *     or actor, a paid order with no captured payment on record, a refund
 *     of the order that is still pending, or a refund the gateway refused
 *     (recorded failed; the order stays as it was);
 *   -XL_ETIMEOUT when the refund's outcome is unknown: the refund stays
 *     pending, the order as it was, and xl_pay_reconcile settles it,
 *     cancelling the order then as c->actor for c->reason;
 *   -XL_ECONFIG when the gateway is not configured (nothing is refunded);
 *   -XL_ERETRY when the order kept changing status under it;
 *   or the connection's, the database's or the gateway's error
 *   (-XL_EUNAVAIL: nothing reached the gateway, the refund is recorded failed).
 * The status is read, then each path names the status it expects under a
 * lock, so an order paid or shipped meanwhile is never cancelled without
 * its refund; it is looked at again. Never refunds twice: two cancels of
 * one order at once refund once, and the other is refused.
 */
int xl_pay_cancel_order(struct xl_db *db, const struct xl_pay_opts *o, const struct xl_pay_cancel *c,
			json_t **transition, struct xl_err *err);

/*
 * Settle every payment of this gateway whose outcome is unknown, and
 * every charge abandoned between its phases for longer than
 * o->lock_seconds: ask the gateway by order and record what it says
 * (captured, or failed when it has no such payment or it was aborted).
 * fn (may be NULL) gets each settled payment record. Returns the number
 * settled, or an error. A payment the gateway still cannot answer for
 * stays as it is. Then every refund of this gateway left pending for
 * longer than o->lock_seconds is asked again under its own key (which
 * refunds once) and settled; fn gets its refund record. A refund of
 * xl_pay_cancel_order that goes through cancels its order then, as the
 * cancel's actor for its reason. Finished
 * idempotency keys past their 24 hours are removed on the way.
 */
typedef int xl_pay_fn(json_t *payment, void *arg, struct xl_err *err);
int64_t xl_pay_reconcile(struct xl_db *db, struct xl_gateway *gw, const struct xl_pay_opts *o, xl_pay_fn *fn,
			 void *arg, struct xl_err *err);

#endif
