/*
 * xl-soak: random mixed operations through the library against the
 * database in XLCFI_DSN, for tests/cli/t0211-pay-soak.sh: orders, charges
 * (with points, declined and timed-out cards), reconciles, partial and full
 * refunds, cancellations (a paid order's refunded), expiries of orders and
 * of points. Refusals are
 * part of the game; anything else stops it with exit 1. Prints what it did
 * as one JSON object. A test tool; not installed.
 *
 * usage: xl-soak OPS SEED   (the database must hold users 1..50 and the
 * products KF-001..KF-020, as the test seeds them)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_db.h"
#include "xl_gateway.h"
#include "xl_num.h"
#include "xl_order.h"
#include "xl_pay.h"
#include "xl_points.h"
#include "xl_banned.h"

#define USERS 50
#define SKUS 20
#define MAX_ORDERS 20000

enum { CREATED, CHARGED, DECLINED, UNKNOWN, RECONCILED, REFUNDS, CANCELLED, EXPIRED, POINTS_EXPIRED, REFUSED, NCOUNTS };
static const char *const names[NCOUNTS] = {
	"created", "charged", "declined", "unknown", "reconciled", "refunds", "cancelled", "orders_expired",
	"points_expired", "refused"
};

static struct xl_db *db;
static struct xl_gateway *gw;
static unsigned seed;
static uint64_t counts[NCOUNTS];
static int64_t orders[MAX_ORDERS];
static size_t norders;

static void die(const char *what, const struct xl_err *err)
{
	fprintf(stderr, "xl-soak: %s: %s\n", what, err->msg);
	exit(1);
}

static int pick(int n)
{
	return (int)(rand_r(&seed) % (unsigned)n);
}

/* A refusal counts; anything else ends the run. */
static void check(int ret, const char *what, const struct xl_err *err)
{
	if (ret == -XL_EINVAL || ret == -XL_ENOTFOUND)
		counts[REFUSED]++;
	else if (ret < 0 && ret != -XL_ETIMEOUT)
		die(what, err);
}

static void create(void)
{
	struct xl_order_pricing pricing = XL_ORDER_PRICING_DEFAULT;
	struct xl_err err = XL_ERR_INIT;
	json_t *items = json_array(), *req, *order = NULL;
	int lines = 1 + pick(3), again = 0, ret;

	for (int i = 0; i < lines; i++) {
		char sku[16];

		snprintf(sku, sizeof(sku), "KF-%03d", 1 + pick(SKUS));
		json_array_append_new(items, json_pack("{s:s, s:i}", "sku", sku, "qty", 1 + pick(3)));
	}
	req = json_pack("{s:i, s:o}", "user_id", 1 + pick(USERS), "items", items);
	ret = xl_order_create(db, req, &pricing, &order, &again, &err);
	check(ret, "create", &err);
	if (ret == 0) {
		counts[CREATED]++;
		if (norders < MAX_ORDERS)
			orders[norders++] = (int64_t)json_integer_value(json_object_get(order, "order_id"));
	}
	json_decref(order);
	json_decref(req);
}

static int64_t some_order(void)
{
	return norders ? orders[pick((int)norders)] : 1;
}

static void charge(void)
{
	static const char *const cards[] = { "4242424242424242", "4000000000000002", "4000000000000259" };
	struct xl_pay_opts o = XL_PAY_OPTS_DEFAULT;
	struct xl_pay_charge c = { 0 };
	struct xl_err err = XL_ERR_INIT;
	json_t *payment = NULL;
	int r = pick(100), again = 0, ret;
	char key[64];

	c.order_id = some_order();
	c.method = cards[r < 88 ? 0 : r < 96 ? 1 : 2];
	c.use_points = pick(4) == 0 ? pick(400) : 0;
	/* Keys of their own, so that a declined order can be charged again. */
	snprintf(key, sizeof(key), "soak-%" PRId64 "-%d", c.order_id, pick(1000000));
	c.idempotency_key = key;
	ret = xl_pay_charge(db, gw, &o, &c, &payment, &again, &err);
	check(ret, "charge", &err);
	if (ret == -XL_ETIMEOUT)
		counts[UNKNOWN]++;
	else if (ret == 0 && !strcmp(json_string_value(json_object_get(payment, "status")), "captured"))
		counts[CHARGED]++;
	else if (ret == 0)
		counts[DECLINED]++;
	json_decref(payment);
}

static void reconcile(void)
{
	struct xl_pay_opts o = XL_PAY_OPTS_DEFAULT;
	struct xl_err err = XL_ERR_INIT;
	int64_t n = xl_pay_reconcile(db, gw, &o, NULL, NULL, &err);

	if (n < 0)
		die("reconcile", &err);
	counts[RECONCILED] += (uint64_t)n;
}

static void refund(void)
{
	struct xl_pay_opts o = XL_PAY_OPTS_DEFAULT;
	struct xl_err err = XL_ERR_INIT;
	json_t *r = NULL;
	int ret = xl_pay_refund(db, gw, &o, some_order(), pick(2) ? 1 + pick(20000) : 0, "soak", &r, &err);

	check(ret, "refund", &err);
	if (ret == 0)
		counts[REFUNDS]++;
	json_decref(r);
}

/* As xlcfi-order cancel: a paid order is refunded. */
static void cancel(void)
{
	struct xl_pay_opts o = XL_PAY_OPTS_DEFAULT;
	struct xl_pay_cancel c = { .order_id = some_order(), .reason = "soak" };
	struct xl_err err = XL_ERR_INIT;
	json_t *t = NULL;
	int ret = xl_pay_cancel_order(db, &o, &c, &t, &err);

	check(ret, "cancel", &err);
	if (ret == 0)
		counts[CANCELLED]++;
	json_decref(t);
}

static void expire_orders(void)
{
	struct xl_err err = XL_ERR_INIT;
	char id[24];
	const char *params[1] = { id };
	int64_t n;

	snprintf(id, sizeof(id), "%" PRId64, some_order());
	if (xl_db_exec(db, "UPDATE orders SET placed_at = placed_at - interval '2 hours' WHERE id = $1 "
		       "AND status = 'pending'", 1, params, NULL, &err) < 0)
		die("age an order", &err);
	n = xl_order_expire(db, 3600, 0, NULL, NULL, &err);
	if (n < 0)
		die("expire", &err);
	counts[EXPIRED] += (uint64_t)n;
}

static void expire_points(void)
{
	struct xl_err err = XL_ERR_INIT;
	json_t *r = NULL;

	if (xl_db_exec(db, "UPDATE point_lots SET expires_at = now() - interval '1 day' WHERE id = "
		       "(SELECT id FROM point_lots WHERE remaining > 0 ORDER BY random() LIMIT 1)", 0, NULL, NULL,
		       &err) < 0)
		die("age a lot", &err);
	if (xl_points_expire(db, 0, &r, &err) < 0)
		die("points expire", &err);
	counts[POINTS_EXPIRED] += (uint64_t)json_integer_value(json_object_get(r, "lots"));
	json_decref(r);
}

int main(int argc, char **argv)
{
	struct xl_err err = XL_ERR_INIT;
	int64_t ops, s;
	json_t *out;

	if (argc != 3 || xl_num_parse_range(argv[1], 1, 10000000, &ops) < 0 ||
	    xl_num_parse_range(argv[2], 0, UINT32_MAX, &s) < 0) {
		fprintf(stderr, "usage: xl-soak OPS SEED\n");
		return 64;
	}
	seed = (unsigned)s;
	if (xl_db_open(&db, NULL, &err) < 0 || xl_gateway_open(&gw, "sandbox", db, &err) < 0)
		die("open", &err);
	/* The database's random() picks lots: make it follow the seed too. */
	{
		char fs[32];
		const char *params[1] = { fs };

		snprintf(fs, sizeof(fs), "%.6f", (double)(seed % 1000) / 1000.0);
		if (xl_db_exec(db, "SELECT setseed($1::float8)", 1, params, NULL, &err) < 0)
			die("setseed", &err);
	}
	for (int64_t i = 0; i < ops; i++) {
		int r = pick(100);

		if (r < 40)
			create();
		else if (r < 65)
			charge();
		else if (r < 69)
			reconcile();
		else if (r < 80)
			refund();
		else if (r < 88)
			cancel();
		else if (r < 94)
			expire_orders();
		else
			expire_points();
	}
	reconcile();
	out = json_object();
	for (int i = 0; i < NCOUNTS; i++)
		json_object_set_new(out, names[i], json_integer((json_int_t)counts[i]));
	json_dumpf(out, stdout, JSON_COMPACT);
	putchar('\n');
	json_decref(out);
	xl_gateway_close(gw);
	xl_db_close(db);
	return 0;
}
