#ifndef XL_POINTS_H
#define XL_POINTS_H

#include <stdint.h>

#include <jansson.h>

#include "xl_db.h"
#include "xl_err.h"

/*
 * The loyalty-points ledger, double entry: every movement is a transaction
 * of two entries, one account debited and one credited (a user's account
 * and a system account: issuance, redemption, expiry, adjustment); entries
 * are never changed; each movement has a unique business key (kind,
 * reference). Points are earned in lots, spent and expired oldest first.
 * Payments post to it (xl_pay); this module reads it, expires lots and
 * checks it.
 */

/*
 * A user's points into *out (yours): {user_id, balance, held (by payments
 * in flight), available, lots: [{points, expires_at}] of what is left,
 * oldest first}. A user without an account has 0 of everything; an
 * unknown user is -XL_ENOTFOUND.
 */
int xl_points_balance(struct xl_db *db, int64_t user_id, json_t **out, struct xl_err *err);

/*
 * Call fn with each movement of the user's account, oldest first:
 * {transaction_id, kind, reference, points (signed), balance (after it),
 * at}; streamed. fn returns 0 or a negative code to stop.
 */
typedef int xl_points_fn(json_t *entry, void *arg, struct xl_err *err);
int xl_points_history(struct xl_db *db, int64_t user_id, xl_points_fn *fn, void *arg, struct xl_err *err);

/*
 * Expire what is left of lots past their date, at most limit lots (0 =
 * 10,000), skipping points held by a payment in flight. *out (yours) is
 * {lots, points}.
 */
int xl_points_expire(struct xl_db *db, int64_t limit, json_t **out, struct xl_err *err);

/*
 * Check the ledger: entries sum to zero overall and per transaction,
 * every balance equals the sum of its entries and, for users, of their
 * lots, and no user balance is negative. *report (yours) counts each kind
 * of breakage, with "ok"; *ok is 1 when all hold.
 */
int xl_points_check(struct xl_db *db, json_t **report, int *ok, struct xl_err *err);

#endif
