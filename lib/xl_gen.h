#ifndef XL_GEN_H
#define XL_GEN_H

#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"
#include "xl_time.h"

/*
 * A deterministic synthetic K-Food shop: categories, products with Korean
 * names and KRW prices, users, orders (as order lines), view/cart/purchase
 * interactions and Korean reviews, as NDJSON records in the shapes
 * xlcfi-etl import reads. The same options and seed give byte-identical
 * output on any machine (no clock, no locale, no hash order).
 *
 * Orders follow a shop's rhythm: more on weekdays than at weekends, peaks
 * in the weeks before 설날 and 추석, a daily curve around lunch and the
 * evening, Zipf-like product popularity, and repeat buyers. Their status
 * follows their age at the end of the period: delivered for most, some
 * cancelled or refunded, the last days' still pending, paid or shipped.
 */

/* The tables, in the order they must be imported. */
enum xl_gen_table {
	XL_GEN_CATEGORIES,
	XL_GEN_USERS,
	XL_GEN_PRODUCTS,
	XL_GEN_ORDERS,
	XL_GEN_INTERACTIONS,
	XL_GEN_REVIEWS,
	XL_GEN_NTABLES
};

/* "categories", "users", ...: the import table names. */
const char *xl_gen_table_name(enum xl_gen_table t);

struct xl_gen_opts {
	uint32_t users;         /* >= 1 */
	uint32_t products;      /* >= 1 */
	uint32_t days;          /* >= 1 */
	struct xl_date start;   /* the first day (Asia/Seoul) */
	uint64_t seed;
};

struct xl_gen_stats {
	uint64_t rows[XL_GEN_NTABLES];
	uint64_t orders;        /* orders (each has one or more lines) */
};

/*
 * Receives each record as one line of JSON text (no newline), with the
 * table it belongs to. 0 to go on, a negative code to stop.
 */
typedef int xl_gen_fn(enum xl_gen_table t, const char *json, size_t len, void *arg,
		      struct xl_err *err);

/*
 * Generate everything, table by table in import order. Returns 0 or the
 * callback's error; -XL_EINVAL for options out of range (err says which).
 */
int xl_gen_run(const struct xl_gen_opts *o, xl_gen_fn *fn, void *arg, struct xl_gen_stats *stats,
	       struct xl_err *err);

#endif
