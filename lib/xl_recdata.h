#ifndef XL_RECDATA_H
#define XL_RECDATA_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "xl_als.h"
#include "xl_err.h"
#include "xl_hash.h"

struct xl_db;

/*
 * The recommender's input: interaction events (user, item, strength,
 * time) gathered from NDJSON records or from the database, with users and
 * items numbered densely in first-seen order, and the matrices built from
 * them: the whole history, or the part before a split instant.
 */

/* The strength of each kind of interaction, and the time decay. */
struct xl_recweights {
	float view, cart, purchase;
	double half_life_days;     /* 0: no decay */
};

#define XL_RECWEIGHTS_INIT { 0.1f, 0.3f, 1.0f, 0 }

/*
 * Parse "view=0.1,cart=0.3,purchase=1" into w (kinds not named keep their
 * value). 0, or -XL_EINVAL naming the bad part.
 */
int xl_recweights_parse(struct xl_recweights *w, const char *s, struct xl_err *err);

#define XL_RECDATA_NO_TIME INT64_MIN

struct xl_rec_event {
	uint32_t user, item;     /* dense slots */
	float strength;          /* the kind's weight x the record's weight */
	int64_t ts;              /* microseconds since the epoch, or XL_RECDATA_NO_TIME */
};

struct xl_recdata {
	struct xl_hash users, items;   /* string ids -> slots */
	struct xl_rec_event *ev;
	size_t n, cap;
	int64_t max_ts;                /* the latest event time, or XL_RECDATA_NO_TIME */
};

#define XL_RECDATA_INIT { XL_HASH_INIT, XL_HASH_INIT, NULL, 0, 0, XL_RECDATA_NO_TIME }

void xl_recdata_release(struct xl_recdata *d);

/* Add one event. Cannot fail. */
void xl_recdata_add(struct xl_recdata *d, const char *user, const char *item, float strength, int64_t ts);

/*
 * Add an NDJSON record {"user":…, "item":…, "weight"?:…, "kind"?:…,
 * "ts"?:…} (or with the names of xlcfi-etl's interaction records:
 * user_id, sku, occurred_at): user and item are strings or
 * integers; weight a positive
 * number (default 1), multiplied by the kind's weight (view, cart or
 * purchase; default purchase); ts an RFC 3339 string or seconds since the
 * epoch. 0, or -XL_EINVAL with the message naming the field.
 */
int xl_recdata_add_record(struct xl_recdata *d, const json_t *rec, const struct xl_recweights *w,
			  struct xl_err *err);

/*
 * Add the views and carts of the interactions table and, as purchases,
 * every line of an order that counts as a sale, at the order's time (the
 * orders are the truth about purchases; purchase rows of interactions
 * would count them twice, so they are left out); only user's
 * (a users.id, may be NULL) and only those of products in category (a
 * slug, may be NULL). Users are named by their id, items by their SKU.
 * 0, or the database error.
 */
int xl_recdata_load_db(struct xl_recdata *d, struct xl_db *db, const struct xl_recweights *w,
		       const char *user, const char *category, struct xl_err *err);

/*
 * The product names of n SKUs: names[i] (a new string, yours) for each SKU
 * found; left as it was (NULL) otherwise. 0 or the database error.
 */
int xl_recdata_names(struct xl_db *db, const char *const *skus, size_t n, char **names, struct xl_err *err);

/*
 * Time-decayed popularity: scores[slot] (nitems of d) = the sum of the
 * strengths of the item's events in the window (window_us before as_of,
 * as_of itself excluded; as_of INT64_MAX: just after the latest event),
 * each halved every half_life_us (0: no decay). Events without a time
 * count fully. Cannot fail.
 */
void xl_recdata_popular(const struct xl_recdata *d, int64_t window_us, int64_t as_of, int64_t half_life_us,
			float *scores);

/*
 * A training matrix over the events with ts < until (INT64_MAX: all;
 * events without a time always count), or with ts < user_until[user]
 * when user_until (by user slot) is not NULL; decayed by w's half-life
 * towards the latest event time counted; keeping only the users and items
 * that occur. ui is caller storage (xl_csr_release); *rows and *cols
 * (yours, free()) give the dense slot of each row and column.
 */
void xl_recdata_matrix(const struct xl_recdata *d, int64_t until, const int64_t *user_until,
		       const struct xl_recweights *w, struct xl_csr *ui, uint32_t **rows, uint32_t **cols);

#endif
