#ifndef XL_REVIEW_H
#define XL_REVIEW_H

#include <stdint.h>

#include <jansson.h>

#include "xl_db.h"
#include "xl_err.h"

/*
 * Product reviews: written by the buyer of a delivered item, one per item
 * of an order, rated 1 to 5; hidden once three different users report
 * them. Each operation is one database function call (xl_dbfn) that writes
 * its outbox event (review.created, review.hidden) in its transaction.
 * Refusals are -XL_EINVAL with a message starting with the field at fault.
 */

/* Longest review body, in bytes of UTF-8. */
#define XL_REVIEW_MAX_BODY 8000

/*
 * Add a review from {"user_id":N, "order_id":N, "sku":S, "rating":1..5,
 * "body":S?}. On success *review is the review record {review_id,
 * order_id, sku, user_id, rating, body, status, reports, created_at}
 * (yours to json_decref).
 */
int xl_review_add(struct xl_db *db, const json_t *request, json_t **review, struct xl_err *err);

/*
 * Report review_id on behalf of user reporter (reason may be NULL). A user
 * reports a review once, and not their own. *review (yours) is the review
 * record after the report, "status":"hidden" from the third reporter on.
 */
int xl_review_report(struct xl_db *db, int64_t review_id, int64_t reporter, const char *reason,
		     json_t **review, struct xl_err *err);

/*
 * Call fn with each visible review record of sku, newest first, at most
 * limit (0 = all), streamed. fn returns 0 or a negative code to stop,
 * which is returned. An unknown SKU is -XL_ENOTFOUND.
 */
typedef int xl_review_fn(json_t *review, void *arg, struct xl_err *err);
int xl_review_list(struct xl_db *db, const char *sku, int64_t limit, xl_review_fn *fn, void *arg,
		   struct xl_err *err);

#endif
