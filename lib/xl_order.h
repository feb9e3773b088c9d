#ifndef XL_ORDER_H
#define XL_ORDER_H

#include <stdint.h>

#include <jansson.h>

#include "xl_db.h"
#include "xl_err.h"

/*
 * Orders: creation from a request, and the moves of the order state
 * machine. Each operation is one database function call, so one round trip
 * and one short transaction (migration 004_order_lifecycle), and each one
 * writes its status history row and its outbox event in that transaction.
 *
 * Refusals (a bad request, an unknown SKU or user, not enough stock, a
 * move the state machine does not allow) return -XL_EINVAL with a
 * message that starts with the field at fault ("items[1].qty: not enough
 * stock of 'KF-001': 5 wanted, 3 left"). Other negative codes are the
 * connection's or the database's and concern every record alike.
 */

/* Shipping: KRW orders under free_from_minor pay fee_minor; other currencies ship free. */
struct xl_order_pricing {
	int64_t fee_minor;
	int64_t free_from_minor;
};
#define XL_ORDER_PRICING_DEFAULT { 3000, 50000 }

/* Most lines in one request, and most units in one line. */
#define XL_ORDER_MAX_LINES 100
#define XL_ORDER_MAX_QTY 100000

/*
 * Create an order from a request {"user_id":N, "items":[{"sku":S,"qty":N},
 * ...], "client_ref":S?}. Prices come from the catalogue: any price in the
 * request is ignored. Stock is reserved for all lines or none. A request
 * whose client_ref this user already used with the same items returns
 * that order again, with *replayed set; with other items it is refused.
 * On success *order is the order record (yours to json_decref).
 */
int xl_order_create(struct xl_db *db, const json_t *request, const struct xl_order_pricing *pricing,
		    json_t **order, int *replayed, struct xl_err *err);

/*
 * Orders created through a pipeline: up to depth requests in flight on the
 * connection, each its own transaction, their results read in the order
 * sent. For a stream of requests this overlaps the round trips. _send
 * checks a request as xl_order_create does (refusing it with -XL_EINVAL
 * without sending anything) and sends it; the caller must _recv before
 * sending more than depth. _recv gives the oldest request's outcome, as
 * xl_order_create's (a deadlock or serialization failure is -XL_ERETRY:
 * try that request again later). Nothing else may use db until _close.
 */
struct xl_order_stream;
int xl_order_stream_open(struct xl_order_stream **out, struct xl_db *db, const struct xl_order_pricing *pricing,
			 int depth, struct xl_err *err);
int xl_order_stream_send(struct xl_order_stream *s, const json_t *request, struct xl_err *err);
int xl_order_stream_recv(struct xl_order_stream *s, json_t **order, int *replayed, struct xl_err *err);
/* Requests sent and not yet received. */
int xl_order_stream_pending(const struct xl_order_stream *s);
/* 1 when pending has reached depth: _recv before the next _send. */
int xl_order_stream_full(const struct xl_order_stream *s);
/* Leave pipeline mode (dropping results not read) and free s. Accepts NULL. */
void xl_order_stream_close(struct xl_order_stream *s);

/*
 * The moves. PAY is xlcfi-pay's; CANCEL and EXPIRE put the units back in
 * stock. What each move allows (the state machine):
 *   PAY             pending -> paid
 *   PREPARE         paid -> preparing
 *   SHIP            preparing -> shipped (a tracking number is required)
 *   DELIVER         shipped -> delivered
 *   CANCEL          pending -> cancelled (a paid or preparing order is
 *                   cancelled by refunding its payment: xl_pay_cancel_order
 *                   in xl_pay.h, which also cancels a pending one)
 *   EXPIRE          pending -> expired
 *   REQUEST_RETURN  delivered -> return_requested
 *   RETURN          return_requested -> returned
 */
enum xl_order_action {
	XL_ORDER_PAY,
	XL_ORDER_PREPARE,
	XL_ORDER_SHIP,
	XL_ORDER_DELIVER,
	XL_ORDER_CANCEL,
	XL_ORDER_EXPIRE,
	XL_ORDER_REQUEST_RETURN,
	XL_ORDER_RETURN
};

struct xl_order_move {
	enum xl_order_action action;
	int64_t order_id;
	int64_t actor;              /* the user who acts, 0 for the system */
	const char *reason;         /* may be NULL */
	const char *tracking_no;    /* SHIP only */
};

/* The status a move leads to ("paid", ...); static. */
const char *xl_order_action_status(enum xl_order_action action);

/*
 * Make a move. On success *transition is {order_id, from, status, reason,
 * actor, tracking_no, restocked, at} (yours to json_decref). A move from
 * a status that does not allow it is refused with -XL_EINVAL naming the
 * current status; an unknown order is -XL_EINVAL too.
 */
int xl_order_move(struct xl_db *db, const struct xl_order_move *m, json_t **transition,
		  struct xl_err *err);

/* The order record of order id into *order (yours), or -XL_ENOTFOUND. */
int xl_order_get(struct xl_db *db, int64_t id, json_t **order, struct xl_err *err);

/*
 * The status of order id with its history into *status (yours):
 * {order_id, status, history:[{from, status, reason, actor, at}, ...]},
 * or -XL_ENOTFOUND.
 */
int xl_order_status(struct xl_db *db, int64_t id, json_t **status, struct xl_err *err);

/* 1 if s names an order status ("pending", "paid", ...), else 0. */
int xl_order_status_known(const char *s);

/* Which orders list: any field may be 0 / NULL for "any". */
struct xl_order_filter {
	int64_t user_id;
	const char *status;
	const char *since;          /* RFC 3339 or a Seoul-local date/time the database reads */
	int64_t limit;
};

/*
 * Call fn with each order record (borrowed for the call) that matches,
 * newest first, streamed: memory stays flat. fn returns 0 or a negative
 * code to stop, which is returned. An unknown status or a bad since is
 * -XL_EINVAL.
 */
typedef int xl_order_fn(json_t *order, void *arg, struct xl_err *err);
int xl_order_list(struct xl_db *db, const struct xl_order_filter *f, xl_order_fn *fn, void *arg,
		  struct xl_err *err);

/*
 * Expire pending orders placed more than ttl_seconds ago, oldest first, at
 * most limit (0 = all) of them, each in its own transaction, returning
 * their stock. fn (may be NULL) gets each transition. An order paid or
 * cancelled meanwhile is skipped. Returns the number expired or an error.
 */
int64_t xl_order_expire(struct xl_db *db, int64_t ttl_seconds, int64_t limit, xl_order_fn *fn,
			void *arg, struct xl_err *err);

#endif
