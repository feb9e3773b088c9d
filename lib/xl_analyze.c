#include "xl_analyze.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_hash.h"
#include "xl_num.h"
#include "xl_banned.h"

/* ---- facts ---------------------------------------------------------- */

static int field_err(struct xl_err *err, const char *field, const char *why)
{
	return xl_err_set(err, XL_EINVAL, "field '%s': %s", field, why);
}

static int get_int(const json_t *rec, const char *field, int64_t *out, struct xl_err *err)
{
	const json_t *v = json_object_get(rec, field);

	if (!v)
		return field_err(err, field, "missing");
	if (!json_is_integer(v))
		return field_err(err, field, "not an integer");
	*out = json_integer_value(v);
	return 0;
}

static const char *get_str(const json_t *rec, const char *field)
{
	return json_string_value(json_object_get(rec, field));
}

int xl_analyze_parse_fact(const json_t *rec, struct xl_analyze_fact *f, struct xl_err *err)
{
	const char *kind = get_str(rec, "kind"), *at = get_str(rec, "occurred_at");
	const json_t *sold = json_object_get(rec, "sold");
	int64_t us;

	memset(f, 0, sizeof(*f));
	if (!kind)
		return field_err(err, "kind", "missing (an order_lines record has 'line', 'shipping' or 'refund')");
	if (!strcmp(kind, "line"))
		f->kind = XL_FACT_LINE;
	else if (!strcmp(kind, "shipping"))
		f->kind = XL_FACT_SHIPPING;
	else if (!strcmp(kind, "refund"))
		f->kind = XL_FACT_REFUND;
	else
		return field_err(err, "kind", "not 'line', 'shipping' or 'refund'");
	if (!at)
		return field_err(err, "occurred_at", "missing or not a string");
	if (xl_time_parse(at, &us, err) < 0)
		return xl_err_prefix(err, "field 'occurred_at': ");
	f->day = xl_period_seoul_day(us);
	if (get_int(rec, "order_id", &f->order_id, err) < 0 || get_int(rec, "user_id", &f->user_id, err) < 0 ||
	    get_int(rec, "amount_minor", &f->amount, err) < 0)
		return -XL_EINVAL;
	if (f->user_id < 0 || f->user_id >= (INT64_C(1) << 46))
		return field_err(err, "user_id", "out of range");
	if (!json_is_boolean(sold))
		return field_err(err, "sold", "missing or not true/false");
	f->sold = json_is_true(sold);
	f->currency = get_str(rec, "currency");
	if (!f->currency || strlen(f->currency) != 3)
		return field_err(err, "currency", "missing or not a 3-letter code");
	f->status = get_str(rec, "status");
	if (f->kind == XL_FACT_LINE) {
		f->sku = get_str(rec, "sku");
		if (!f->sku)
			return field_err(err, "sku", "missing or not a string");
		if (get_int(rec, "qty", &f->qty, err) < 0)
			return -XL_EINVAL;
		f->name = get_str(rec, "name");
		f->category = get_str(rec, "category");
		f->category_name = get_str(rec, "category_name");
	}
	return 0;
}

/* ---- the analysis --------------------------------------------------- */

struct period_acc {
	int64_t start;
	char currency[4];
	int64_t gross, refunds, units, orders, buyers;
	struct xl_hash order_set, buyer_set;  /* stream only (orders: unless grouped) */
	int64_t last_order;                   /* grouped: the order counted last */
};

struct product_acc {
	char *name, *category, currency[4];
	int64_t units, revenue, orders;
};

struct category_acc {
	char *name;
	int64_t revenue, units;
};

struct buyer_acc {
	int64_t last_day;        /* of a sold line; XL_ANALYZE_OPEN until one */
	int64_t frequency, monetary;
};

struct rfm_row {
	int64_t user_id, last_day, recency, frequency, monetary;
	int r, f, m;
	const char *segment;
};

struct cohort_row {
	int64_t cohort, offset, size, active;
};

struct xl_analyze {
	enum xl_analyze_kind kind;
	struct xl_analyze_opts o;
	char *category;
	int finished;
	int streamed;             /* filled by _add: distinct counts are in the sets */
	int grouped;              /* facts come grouped by order (xl_analyze_set_grouped) */
	int64_t cur_order;        /* grouped TOP: the order being read, and its products */
	size_t *cur_skus, ncur_skus, cur_cap;
	int have_currency;
	char currency[4];

	/* sales */
	struct xl_hash periods;           /* (start, currency) packed -> period_acc */
	int64_t last_period_key;          /* the key period_of found last, and its slot */
	size_t last_period;
	int have_last_period;
	struct period_acc *pacc;
	size_t pcap;
	struct period_acc total;
	struct xl_report_sales *sales;    /* finished rows */
	char (*sales_currency)[4];
	size_t nsales;

	/* top products, categories */
	struct xl_hash skus, cats;
	struct product_acc *prod;
	struct category_acc *cat;
	size_t prodcap, catcap;
	struct xl_hash sku_orders;        /* stream: (order, sku slot) pairs seen */
	struct xl_report_product *products;
	struct xl_report_category *categories;
	size_t nproducts, ncategories;

	/* rfm, segments */
	struct xl_hash buyers;
	int64_t last_buyer_id;            /* the buyer buyer_of found last, and its slot */
	size_t last_buyer;
	int have_last_buyer;
	struct buyer_acc *buy;
	size_t buycap;
	struct xl_hash orders_seen;       /* stream: orders counted in a frequency (unless grouped) */
	int64_t freq_order;               /* grouped: the order counted in a frequency last */
	int have_freq_order;
	int64_t as_of;
	struct rfm_row *rfm;
	size_t nrfm;
	struct xl_report_segment *segments;
	size_t nsegments;

	/* cohorts: (user, month) pairs */
	struct xl_hash pairs;
	struct cohort_row *cohorts;
	size_t ncohorts;

	/* dashboard */
	struct xl_analyze *d_sales, *d_top;
	struct xl_hash pending_set;
	int64_t pending, dash_from, dash_to;
};

/* The currency reported: the smallest code among the facts counted (as SQL's min). */
static void take_currency(struct xl_analyze *a, const char *c)
{
	if (a->have_currency && c && c[0] == a->currency[0] && c[1] == a->currency[1] && c[2] == a->currency[2] &&
	    !c[3])
		return;
	if (!c || strlen(c) != 3)
		return;
	if (!a->have_currency || strcmp(c, a->currency) < 0)
		memcpy(a->currency, c, 4);
	a->have_currency = 1;
}

struct xl_analyze *xl_analyze_new(enum xl_analyze_kind kind, const struct xl_analyze_opts *o)
{
	struct xl_analyze *a = xl_xcalloc(1, sizeof(*a));

	a->kind = kind;
	a->o = *o;
	if (o->category)
		a->category = xl_xstrdup(o->category);
	a->o.category = a->category;
	/* RFM as of a day: only what came before it counts. */
	if ((kind == XL_ANALYZE_RFM || kind == XL_ANALYZE_SEGMENTS) && o->as_of_day != XL_ANALYZE_OPEN &&
	    (o->to_day == XL_ANALYZE_OPEN || o->to_day >= o->as_of_day))
		a->o.to_day = o->as_of_day - 1;
	memcpy(a->currency, "KRW", 4);
	if (kind == XL_ANALYZE_DASHBOARD) {
		struct xl_analyze_opts w = XL_ANALYZE_OPTS_INIT;

		a->dash_to = o->as_of_day != XL_ANALYZE_OPEN ? o->as_of_day
			     : xl_period_seoul_day(xl_time_now());
		a->dash_from = a->dash_to - 29;
		w.by = XL_PERIOD_DAY;
		w.from_day = a->dash_from;
		w.to_day = a->dash_to;
		a->d_sales = xl_analyze_new(XL_ANALYZE_SALES, &w);
		w.limit = 10;
		a->d_top = xl_analyze_new(XL_ANALYZE_TOP, &w);
	}
	return a;
}

void xl_analyze_free(struct xl_analyze *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < xl_hash_count(&a->periods); i++) {
		xl_hash_release(&a->pacc[i].order_set);
		xl_hash_release(&a->pacc[i].buyer_set);
	}
	xl_hash_release(&a->total.order_set);
	xl_hash_release(&a->total.buyer_set);
	xl_hash_release(&a->periods);
	free(a->pacc);
	free(a->sales);
	free(a->sales_currency);
	for (size_t i = 0; i < xl_hash_count(&a->skus); i++) {
		free(a->prod[i].name);
		free(a->prod[i].category);
	}
	for (size_t i = 0; i < xl_hash_count(&a->cats); i++)
		free(a->cat[i].name);
	xl_hash_release(&a->skus);
	xl_hash_release(&a->cats);
	xl_hash_release(&a->sku_orders);
	free(a->prod);
	free(a->cat);
	free(a->products);
	free(a->categories);
	xl_hash_release(&a->buyers);
	xl_hash_release(&a->orders_seen);
	free(a->buy);
	free(a->rfm);
	free(a->segments);
	xl_hash_release(&a->pairs);
	free(a->cohorts);
	xl_analyze_free(a->d_sales);
	xl_analyze_free(a->d_top);
	xl_hash_release(&a->pending_set);
	free(a->cur_skus);
	free(a->category);
	free(a);
}

static int add_checked(int64_t *sum, int64_t v, struct xl_err *err)
{
	if (__builtin_add_overflow(*sum, v, sum))
		return xl_err_set(err, XL_ERANGE, "a sum overflows 64 bits");
	return 0;
}

/* Grow a per-slot array so that slot fits, zeroing new entries. */
static void *slot_array(void *arr, size_t *cap, size_t slot, size_t size)
{
	if (slot < *cap)
		return arr;
	size_t ncap = *cap ? *cap * 2 : 64;

	while (ncap <= slot)
		ncap *= 2;
	arr = xl_xrealloc(arr, ncap * size);
	memset((char *)arr + *cap * size, 0, (ncap - *cap) * size);
	*cap = ncap;
	return arr;
}

static int64_t currency_code(const char *c)
{
	return ((int64_t)(unsigned char)c[0] << 16) | ((int64_t)(unsigned char)c[1] << 8) | (unsigned char)c[2];
}

/* The accumulator of a period and currency, created empty when new. */
static struct period_acc *period_of(struct xl_analyze *a, int64_t start, const char *currency)
{
	int64_t key = start * 16777216 + currency_code(currency);
	int added;
	size_t s;

	/* Facts in time order come a period at a time: ask the table once a run. */
	if (a->have_last_period && key == a->last_period_key)
		return &a->pacc[a->last_period];
	s = xl_hash_i64(&a->periods, key, &added);
	a->pacc = slot_array(a->pacc, &a->pcap, s, sizeof(*a->pacc));
	if (added) {
		a->pacc[s].start = start;
		memcpy(a->pacc[s].currency, currency, 3);
		a->pacc[s].currency[3] = '\0';
	}
	a->last_period_key = key;
	a->last_period = s;
	a->have_last_period = 1;
	return &a->pacc[s];
}

static struct product_acc *product_of(struct xl_analyze *a, const char *sku, size_t *slot)
{
	size_t s = xl_hash_str(&a->skus, sku, NULL);

	a->prod = slot_array(a->prod, &a->prodcap, s, sizeof(*a->prod));
	*slot = s;
	return &a->prod[s];
}

static struct category_acc *category_of(struct xl_analyze *a, const char *slug)
{
	size_t s = xl_hash_str(&a->cats, slug, NULL);

	a->cat = slot_array(a->cat, &a->catcap, s, sizeof(*a->cat));
	return &a->cat[s];
}

static struct buyer_acc *buyer_of(struct xl_analyze *a, int64_t user_id)
{
	int added;
	size_t s;

	/* An order's facts come together, and they are one buyer's. */
	if (a->have_last_buyer && user_id == a->last_buyer_id)
		return &a->buy[a->last_buyer];
	s = xl_hash_i64(&a->buyers, user_id, &added);
	a->last_buyer_id = user_id;
	a->last_buyer = s;
	a->have_last_buyer = 1;
	a->buy = slot_array(a->buy, &a->buycap, s, sizeof(*a->buy));
	if (added)
		a->buy[s].last_day = XL_ANALYZE_OPEN;
	return &a->buy[s];
}

/* Keep the smaller of two texts (as SQL's min), so both sources agree. */
static void keep_min(char **have, const char *s)
{
	if (s && (!*have || strcmp(s, *have) < 0)) {
		free(*have);
		*have = xl_xstrdup(s);
	}
}

static int in_range(const struct xl_analyze *a, int64_t day)
{
	return (a->o.from_day == XL_ANALYZE_OPEN || day >= a->o.from_day) &&
	       (a->o.to_day == XL_ANALYZE_OPEN || day <= a->o.to_day);
}

static int add_sales(struct xl_analyze *a, const struct xl_analyze_fact *f, struct xl_err *err)
{
	struct period_acc *p = period_of(a, xl_period_start(a->o.by, f->day), f->currency);
	struct period_acc *t = &a->total;
	int ret = 0;

	if (f->kind == XL_FACT_REFUND) {
		ret = add_checked(&p->refunds, -f->amount, err);
		return ret < 0 ? ret : add_checked(&t->refunds, -f->amount, err);
	}
	ret = add_checked(&p->gross, f->amount, err);
	if (ret == 0)
		ret = add_checked(&t->gross, f->amount, err);
	if (ret == 0 && f->kind == XL_FACT_LINE) {
		ret = add_checked(&p->units, f->qty, err);
		if (ret == 0)
			ret = add_checked(&t->units, f->qty, err);
		if (a->grouped) {
			/* An order's lines come together: count it, and its buyer, at its first line. */
			if (p->last_order != f->order_id) {
				p->orders++;
				xl_hash_i64(&p->buyer_set, f->user_id, NULL);
			}
			if (t->last_order != f->order_id) {
				t->orders++;
				xl_hash_i64(&t->buyer_set, f->user_id, NULL);
			}
			p->last_order = t->last_order = f->order_id;
		} else {
			xl_hash_i64(&p->order_set, f->order_id, NULL);
			xl_hash_i64(&t->order_set, f->order_id, NULL);
			xl_hash_i64(&p->buyer_set, f->user_id, NULL);
			xl_hash_i64(&t->buyer_set, f->user_id, NULL);
		}
	}
	return ret;
}

static int add_product(struct xl_analyze *a, const struct xl_analyze_fact *f, struct xl_err *err)
{
	size_t slot;
	struct product_acc *p = product_of(a, f->sku, &slot);
	int added, ret;

	keep_min(&p->name, f->name);
	keep_min(&p->category, f->category);
	if (!p->currency[0] || strcmp(f->currency, p->currency) < 0)
		memcpy(p->currency, f->currency, 4);
	ret = add_checked(&p->units, f->qty, err);
	if (ret == 0)
		ret = add_checked(&p->revenue, f->amount, err);
	if (a->grouped) {
		/* Distinct orders per product: the products of the order being read. */
		size_t i;

		if (f->order_id != a->cur_order || !a->ncur_skus) {
			a->cur_order = f->order_id;
			a->ncur_skus = 0;
		}
		for (i = 0; i < a->ncur_skus && a->cur_skus[i] != slot; i++)
			;
		if (i == a->ncur_skus) {
			a->cur_skus = slot_array(a->cur_skus, &a->cur_cap, a->ncur_skus, sizeof(*a->cur_skus));
			a->cur_skus[a->ncur_skus++] = slot;
			p->orders++;
		}
		return ret;
	}
	/* Distinct orders per product: (order, product) pairs, the slot in the low 20 bits. */
	if (slot >= (1u << 20) || f->order_id < 0 || f->order_id >= (INT64_C(1) << 43))
		return xl_err_set(err, XL_ERANGE, "too many products or an order id out of range");
	xl_hash_i64(&a->sku_orders, f->order_id << 20 | (int64_t)slot, &added);
	p->orders += added;
	return ret;
}

static int add_category(struct xl_analyze *a, const struct xl_analyze_fact *f, struct xl_err *err)
{
	struct category_acc *c = category_of(a, f->category ? f->category : "");
	int ret;

	keep_min(&c->name, f->category_name);
	ret = add_checked(&c->revenue, f->amount, err);
	return ret < 0 ? ret : add_checked(&c->units, f->qty, err);
}

static int add_buyer(struct xl_analyze *a, const struct xl_analyze_fact *f, struct xl_err *err)
{
	struct buyer_acc *b = buyer_of(a, f->user_id);
	int added;

	if (f->kind == XL_FACT_LINE) {
		if (b->last_day == XL_ANALYZE_OPEN || f->day > b->last_day)
			b->last_day = f->day;
		if (a->grouped) {
			/* An order's lines come together: count it at its first line. */
			b->frequency += !a->have_freq_order || a->freq_order != f->order_id;
			a->freq_order = f->order_id;
			a->have_freq_order = 1;
		} else {
			xl_hash_i64(&a->orders_seen, f->order_id, &added);
			b->frequency += added;
		}
	}
	return add_checked(&b->monetary, f->amount, err);
}

int xl_analyze_add(struct xl_analyze *a, const json_t *rec, struct xl_err *err)
{
	struct xl_analyze_fact f;
	int ret = xl_analyze_parse_fact(rec, &f, err);

	return ret < 0 ? ret : xl_analyze_add_fact(a, &f, err);
}

void xl_analyze_set_grouped(struct xl_analyze *a)
{
	assert(!a->streamed);
	a->grouped = 1;
	if (a->d_sales)
		xl_analyze_set_grouped(a->d_sales);
	if (a->d_top)
		xl_analyze_set_grouped(a->d_top);
}

int xl_analyze_merge(struct xl_analyze *dst, const struct xl_analyze *src, struct xl_err *err)
{
	size_t n = xl_hash_count(&src->buyers);
	int ret;

	assert((dst->kind == XL_ANALYZE_RFM || dst->kind == XL_ANALYZE_SEGMENTS) && src->kind == dst->kind);
	assert(!dst->finished && !src->finished);
	for (size_t i = 0; i < n; i++) {
		const struct buyer_acc *from = &src->buy[i];
		struct buyer_acc *to = buyer_of(dst, xl_hash_ikey(&src->buyers, i));

		if (from->last_day != XL_ANALYZE_OPEN && (to->last_day == XL_ANALYZE_OPEN || from->last_day > to->last_day))
			to->last_day = from->last_day;
		if ((ret = add_checked(&to->frequency, from->frequency, err)) < 0 ||
		    (ret = add_checked(&to->monetary, from->monetary, err)) < 0)
			return ret;
	}
	if (src->have_currency)
		take_currency(dst, src->currency);
	return 0;
}

int xl_analyze_add_fact(struct xl_analyze *a, const struct xl_analyze_fact *fp, struct xl_err *err)
{
	const struct xl_analyze_fact f = *fp;
	int ret;

	assert(!a->finished);
	a->streamed = 1;
	if (a->kind == XL_ANALYZE_DASHBOARD) {
		if (f.kind == XL_FACT_LINE && f.status && !strcmp(f.status, "pending")) {
			int added;

			xl_hash_i64(&a->pending_set, f.order_id, &added);
			a->pending += added;
		}
		ret = xl_analyze_add_fact(a->d_sales, &f, err);
		return ret < 0 ? ret : xl_analyze_add_fact(a->d_top, &f, err);
	}
	if (!f.sold || !in_range(a, f.day))
		return 0;
	int other_category = a->category && (f.kind != XL_FACT_LINE || !f.category || strcmp(f.category, a->category));

	switch (a->kind) {
	case XL_ANALYZE_SALES:
		if (other_category)
			return 0;
		take_currency(a, f.currency);
		return add_sales(a, &f, err);
	case XL_ANALYZE_TOP:
		if (f.kind != XL_FACT_LINE || other_category)
			return 0;
		take_currency(a, f.currency);
		return add_product(a, &f, err);
	case XL_ANALYZE_CATEGORIES:
		if (f.kind != XL_FACT_LINE)
			return 0;
		take_currency(a, f.currency);
		return add_category(a, &f, err);
	case XL_ANALYZE_RFM:
	case XL_ANALYZE_SEGMENTS:
		take_currency(a, f.currency);
		return add_buyer(a, &f, err);
	case XL_ANALYZE_COHORTS:
		if (f.kind != XL_FACT_LINE)
			return 0;
		take_currency(a, f.currency);
		xl_hash_i64(&a->pairs, f.user_id << 16 | xl_period_month_index(f.day), NULL);
		return 0;
	default:
		return 0;
	}
}

/* ---- the database source -------------------------------------------- */

/* $1, $2: the instants the range starts and ends (exclusive) or NULL; $3 the category or NULL. */
#define WHERE_SQL \
	" FROM order_lines l WHERE l.sold" \
	" AND ($1::timestamptz IS NULL OR l.occurred_at >= $1::timestamptz)" \
	" AND ($2::timestamptz IS NULL OR l.occurred_at < $2::timestamptz)" \
	" AND ($3::text IS NULL OR (l.kind = 'line' AND l.category = $3::text))"
#define DAY_SQL "((l.occurred_at AT TIME ZONE 'Asia/Seoul')::date - DATE '1970-01-01')"
/*
 * Sales per period and currency, and the totals of the range (the empty
 * grouping set, grouping() = 1) in the same scan. Columns: period start
 * (days since 1970-01-01), currency, gross, refunds, units, orders,
 * buyers, the smallest currency, grouping().
 */
#define SALES_AGG(g) \
	"coalesce(sum(" g ".gross), 0), coalesce(sum(" g ".refunds), 0), coalesce(sum(" g ".units), 0), " \
	"count(DISTINCT " g ".order_id) FILTER (WHERE " g ".has_line), " \
	"count(DISTINCT " g ".user_id) FILTER (WHERE " g ".has_line), min(" g ".c), grouping(" g ".p)"
static const char *const sales_sql =
	"SELECT g.p, g.c, " SALES_AGG("g") " FROM (SELECT "
	"(date_trunc($4::text, l.occurred_at AT TIME ZONE 'Asia/Seoul')::date - DATE '1970-01-01') AS p, "
	"l.currency AS c, l.order_id, l.user_id, CASE WHEN l.kind <> 'refund' THEN l.amount_minor END AS gross, "
	"CASE WHEN l.kind = 'refund' THEN -l.amount_minor END AS refunds, "
	"CASE WHEN l.kind = 'line' THEN l.qty END AS units, l.kind = 'line' AS has_line"
	WHERE_SQL ") g GROUP BY GROUPING SETS ((g.p, g.c), ())";

/*
 * Sales without --category, and buyers, need no product: the same facts as
 * the view's, summed per order from the orders and their lines (the
 * planner picks index lookups for a short range, a hash join for a long
 * one), then per period or per buyer.
 */
#define ORDER_FACTS_SQL \
	"(SELECT o.placed_at AS occurred_at, o.currency, o.buyer_id AS user_id, o.id AS order_id, " \
	"coalesce(sum(i.quantity::bigint * i.unit_price_minor), 0) + o.shipping_minor AS gross, 0 AS refunds, " \
	"coalesce(sum(i.quantity), 0) AS units, count(i.order_id) > 0 AS has_line " \
	"FROM order_facts o LEFT JOIN order_items i ON i.order_id = o.id " \
	"WHERE o.sold " \
	"AND ($1::timestamptz IS NULL OR o.placed_at >= $1::timestamptz) " \
	"AND ($2::timestamptz IS NULL OR o.placed_at < $2::timestamptz) " \
	"GROUP BY o.id, o.placed_at, o.currency, o.buyer_id, o.shipping_minor " \
	"UNION ALL SELECT r.created_at, r.currency::text, o.buyer_id, o.id, 0, r.amount_minor, 0, false " \
	"FROM refunds r JOIN payments pay ON pay.id = r.payment_id JOIN orders o ON o.id = pay.order_id " \
	"WHERE r.status = 'succeeded' " \
	"AND ($1::timestamptz IS NULL OR r.created_at >= $1::timestamptz) " \
	"AND ($2::timestamptz IS NULL OR r.created_at < $2::timestamptz)) f"
static const char *const order_sales_sql =
	"SELECT g.p, g.c, " SALES_AGG("g") " FROM (SELECT "
	"(date_trunc($3::text, f.occurred_at AT TIME ZONE 'Asia/Seoul')::date - DATE '1970-01-01') AS p, "
	"f.currency AS c, f.order_id, f.user_id, f.gross, f.refunds, f.units, f.has_line FROM "
	ORDER_FACTS_SQL ") g GROUP BY GROUPING SETS ((g.p, g.c), ())";
static const char *const top_sql =
	"SELECT l.sku, min(l.name), min(l.category), min(l.currency), sum(l.qty), sum(l.amount_minor), "
	"count(DISTINCT l.order_id)" WHERE_SQL " AND l.kind = 'line' GROUP BY l.sku";
static const char *const categories_sql =
	"SELECT coalesce(l.category, ''), min(l.category_name), sum(l.amount_minor), sum(l.qty), "
	"min(l.currency)" WHERE_SQL " AND l.kind = 'line' GROUP BY 1";
static const char *const buyers_sql =
	"SELECT f.user_id, ((max(f.occurred_at) FILTER (WHERE f.has_line) AT TIME ZONE 'Asia/Seoul')::date "
	"- DATE '1970-01-01'), count(*) FILTER (WHERE f.has_line), sum(f.gross - f.refunds), min(f.currency) "
	"FROM " ORDER_FACTS_SQL " GROUP BY f.user_id";
static const char *const pairs_sql =
	"SELECT DISTINCT l.user_id, (extract(year FROM l.occurred_at AT TIME ZONE 'Asia/Seoul')::bigint * 12 + "
	"extract(month FROM l.occurred_at AT TIME ZONE 'Asia/Seoul')::bigint - 1), min(l.currency) OVER ()"
	WHERE_SQL " AND l.kind = 'line'";
static const char *const pending_sql =
	"SELECT count(DISTINCT order_id) FROM order_lines WHERE status = 'pending' AND kind = 'line'";

struct load {
	struct xl_analyze *a;
	int ret;
};

static int cell(const PGresult *r, int col, int64_t *out, struct xl_err *err)
{
	if (PQgetisnull(r, 0, col)) {
		*out = XL_ANALYZE_OPEN;
		return 0;
	}
	if (xl_num_parse_i64(PQgetvalue(r, 0, col), out) < 0)
		return xl_err_set(err, XL_ERANGE, "database: '%s' does not fit 64 bits", PQgetvalue(r, 0, col));
	return 0;
}

static const char *text_cell(const PGresult *r, int col)
{
	return PQgetisnull(r, 0, col) ? NULL : PQgetvalue(r, 0, col);
}


static int sales_row(const PGresult *r, void *arg, struct xl_err *err)
{
	struct xl_analyze *a = arg;
	struct period_acc *p;
	int64_t v[5], start = 0;

	for (int i = 0; i < 5; i++)
		if (cell(r, i + 2, &v[i], err) < 0)
			return -XL_ERANGE;
	if (!strcmp(PQgetvalue(r, 0, 8), "1")) {
		p = &a->total;
		take_currency(a, text_cell(r, 7));
	} else {
		if (cell(r, 0, &start, err) < 0)
			return -XL_ERANGE;
		p = period_of(a, start, PQgetvalue(r, 0, 1));
	}
	p->gross = v[0], p->refunds = v[1], p->units = v[2], p->orders = v[3], p->buyers = v[4];
	return 0;
}

static int top_row(const PGresult *r, void *arg, struct xl_err *err)
{
	struct xl_analyze *a = arg;
	size_t slot;
	struct product_acc *p = product_of(a, PQgetvalue(r, 0, 0), &slot);

	keep_min(&p->name, text_cell(r, 1));
	keep_min(&p->category, text_cell(r, 2));
	snprintf(p->currency, sizeof(p->currency), "%s", PQgetvalue(r, 0, 3));
	take_currency(a, text_cell(r, 3));
	if (cell(r, 4, &p->units, err) < 0 || cell(r, 5, &p->revenue, err) < 0 || cell(r, 6, &p->orders, err) < 0)
		return -XL_ERANGE;
	return 0;
}

static int category_row(const PGresult *r, void *arg, struct xl_err *err)
{
	struct xl_analyze *a = arg;
	struct category_acc *c = category_of(a, PQgetvalue(r, 0, 0));

	keep_min(&c->name, text_cell(r, 1));
	take_currency(a, text_cell(r, 4));
	if (cell(r, 2, &c->revenue, err) < 0 || cell(r, 3, &c->units, err) < 0)
		return -XL_ERANGE;
	return 0;
}

static int buyer_row(const PGresult *r, void *arg, struct xl_err *err)
{
	struct xl_analyze *a = arg;
	int64_t id;

	if (cell(r, 0, &id, err) < 0)
		return -XL_ERANGE;
	struct buyer_acc *b = buyer_of(a, id);

	take_currency(a, text_cell(r, 4));
	if (cell(r, 1, &b->last_day, err) < 0 || cell(r, 2, &b->frequency, err) < 0 ||
	    cell(r, 3, &b->monetary, err) < 0)
		return -XL_ERANGE;
	return 0;
}

static int pair_row(const PGresult *r, void *arg, struct xl_err *err)
{
	struct xl_analyze *a = arg;
	int64_t user, month;

	if (cell(r, 0, &user, err) < 0 || cell(r, 1, &month, err) < 0)
		return -XL_ERANGE;
	if (user < 0 || user >= (INT64_C(1) << 46) || month < 0 || month >= 65536)
		return xl_err_set(err, XL_ERANGE, "user %lld or month out of range", (long long)user);
	take_currency(a, text_cell(r, 2));
	xl_hash_i64(&a->pairs, user << 16 | month, NULL);
	return 0;
}

static int pending_row(const PGresult *r, void *arg, struct xl_err *err)
{
	return cell(r, 0, &((struct xl_analyze *)arg)->pending, err);
}

/* The bound instants as RFC 3339 text, or NULL. */
static const char *bound(int64_t day, char *buf, size_t size)
{
	if (day == XL_ANALYZE_OPEN)
		return NULL;
	xl_time_format(buf, size, xl_time_seoul_day_start(xl_date_from_days(day)), 540, 0);
	return buf;
}

/* The statement, its parameters and its row function for a's kind (not DASHBOARD). */
static int load_query(struct xl_analyze *a, char *from, char *to, size_t size, const char **params,
		      int *nparams, xl_db_row_fn **row_fn)
{
	params[0] = bound(a->o.from_day, from, size);
	params[1] = a->o.to_day == XL_ANALYZE_OPEN ? NULL : bound(a->o.to_day + 1, to, size);
	params[2] = a->kind == XL_ANALYZE_SALES || a->kind == XL_ANALYZE_TOP ? a->category : NULL;
	params[3] = xl_period_name(a->o.by);
	*nparams = 3;
	switch (a->kind) {
	case XL_ANALYZE_SALES:
		*row_fn = sales_row;
		if (!a->category) {
			params[2] = params[3];
			return 0;
		}
		*nparams = 4;
		return 1;
	case XL_ANALYZE_TOP:
		*row_fn = top_row;
		return 2;
	case XL_ANALYZE_CATEGORIES:
		*row_fn = category_row;
		return 3;
	case XL_ANALYZE_RFM:
	case XL_ANALYZE_SEGMENTS:
		*row_fn = buyer_row;
		*nparams = 2;
		return 4;
	case XL_ANALYZE_COHORTS:
		*row_fn = pair_row;
		return 5;
	default:
		return -1;
	}
}

int xl_analyze_load_send(struct xl_analyze *a, struct xl_db *db, struct xl_err *err)
{
	static const char *const *const sqls[] = { &order_sales_sql, &sales_sql, &top_sql, &categories_sql,
						   &buyers_sql, &pairs_sql };
	char from[XL_TIME_BUFSZ], to[XL_TIME_BUFSZ];
	const char *params[4];
	xl_db_row_fn *row_fn;
	int nparams, which, ret;

	assert(!a->finished && a->kind != XL_ANALYZE_DASHBOARD);
	/* JIT compiling takes longer than these queries run (0.3 s of 0.5). */
	ret = xl_db_exec(db, "SELECT set_config('jit', 'off', false)", 0, NULL, NULL, err);
	if (ret < 0)
		return ret;
	which = load_query(a, from, to, sizeof(from), params, &nparams, &row_fn);
	assert(which >= 0);
	return xl_db_send(db, *sqls[which], nparams, params, err);
}

int xl_analyze_load_recv(struct xl_analyze *a, struct xl_db *db, struct xl_err *err)
{
	char from[XL_TIME_BUFSZ], to[XL_TIME_BUFSZ];
	const char *params[4];
	xl_db_row_fn *row_fn;
	int nparams;

	load_query(a, from, to, sizeof(from), params, &nparams, &row_fn);
	return xl_db_recv_rows(db, row_fn, a, err);
}

int xl_analyze_load(struct xl_analyze *a, struct xl_db *db, struct xl_err *err)
{
	int ret;

	assert(!a->finished);
	if (a->kind == XL_ANALYZE_DASHBOARD) {
		ret = xl_analyze_load(a->d_sales, db, err);
		if (ret == 0)
			ret = xl_analyze_load(a->d_top, db, err);
		if (ret == 0)
			ret = xl_db_each_row(db, pending_sql, 0, NULL, pending_row, a, err);
		return ret;
	}
	ret = xl_analyze_load_send(a, db, err);
	return ret < 0 ? ret : xl_analyze_load_recv(a, db, err);
}

/* ---- finishing ------------------------------------------------------ */

static int64_t aov(int64_t gross, int64_t orders)
{
	if (orders <= 0)
		return 0;
	__int128 g = gross;

	return (int64_t)(g >= 0 ? (2 * g + orders) / (2 * (__int128)orders)
				: -((-2 * g + orders) / (2 * (__int128)orders)));
}

static void fill_sales(struct xl_report_sales *s, enum xl_period by, int64_t start, const struct period_acc *p)
{
	memset(s, 0, sizeof(*s));
	s->first = xl_date_from_days(start);
	s->last = xl_date_from_days(xl_period_last(by, start));
	xl_period_label(by, start, s->label, sizeof(s->label));
	if (!p)
		return;
	s->gross_minor = p->gross;
	s->refunds_minor = p->refunds;
	s->net_minor = p->gross - p->refunds;
	s->orders = p->orders;
	s->units = p->units;
	s->buyers = p->buyers;
	s->aov_minor = aov(p->gross, p->orders);
}

static int cmp_str(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

static int finish_sales(struct xl_analyze *a, struct xl_err *err)
{
	size_t np = xl_hash_count(&a->periods), ncur = 0, nrows;
	int64_t first = INT64_MAX, last = INT64_MIN;
	const char **curs = xl_xcalloc(np + 1, sizeof(*curs));

	if (a->streamed) {
		for (size_t i = 0; i < np; i++) {
			if (!a->grouped)
				a->pacc[i].orders = (int64_t)xl_hash_count(&a->pacc[i].order_set);
			a->pacc[i].buyers = (int64_t)xl_hash_count(&a->pacc[i].buyer_set);
		}
		if (!a->grouped)
			a->total.orders = (int64_t)xl_hash_count(&a->total.order_set);
		a->total.buyers = (int64_t)xl_hash_count(&a->total.buyer_set);
	}
	for (size_t i = 0; i < np; i++) {
		int seen = 0;

		first = a->pacc[i].start < first ? a->pacc[i].start : first;
		last = a->pacc[i].start > last ? a->pacc[i].start : last;
		for (size_t c = 0; c < ncur; c++)
			seen |= !strcmp(curs[c], a->pacc[i].currency);
		if (!seen)
			curs[ncur++] = a->pacc[i].currency;
	}
	if (a->o.from_day != XL_ANALYZE_OPEN)
		first = xl_period_start(a->o.by, a->o.from_day);
	if (a->o.to_day != XL_ANALYZE_OPEN)
		last = xl_period_start(a->o.by, a->o.to_day);
	if (!ncur)
		curs[ncur++] = a->currency;
	qsort(curs, ncur, sizeof(*curs), cmp_str);
	nrows = 0;
	if (first <= last)
		for (int64_t s = first; s <= last; s = xl_period_next(a->o.by, s))
			nrows += ncur;
	a->sales = xl_xcalloc(nrows + 1, sizeof(*a->sales));
	a->sales_currency = xl_xcalloc(nrows + 1, sizeof(*a->sales_currency));
	if (first <= last)
		for (int64_t s = first; s <= last; s = xl_period_next(a->o.by, s))
			for (size_t c = 0; c < ncur; c++) {
				size_t slot;
				const struct period_acc *p = NULL;

				if (!xl_hash_find_i64(&a->periods, s * 16777216 + currency_code(curs[c]), &slot))
					p = &a->pacc[slot];
				fill_sales(&a->sales[a->nsales], a->o.by, s, p);
				memcpy(a->sales_currency[a->nsales], curs[c], 4);
				a->nsales++;
			}
	free(curs);
	(void)err;
	return 0;
}

static int cmp_product(const void *x, const void *y, void *arg)
{
	const struct xl_report_product *p = x, *q = y;
	int by_revenue = *(const int *)arg;
	int64_t a1 = by_revenue ? p->revenue_minor : p->units, b1 = by_revenue ? q->revenue_minor : q->units;
	int64_t a2 = by_revenue ? p->units : p->revenue_minor, b2 = by_revenue ? q->units : q->revenue_minor;

	if (a1 != b1)
		return a1 > b1 ? -1 : 1;
	if (a2 != b2)
		return a2 > b2 ? -1 : 1;
	return strcmp(p->sku, q->sku);
}

static void finish_top(struct xl_analyze *a)
{
	size_t n = xl_hash_count(&a->skus);

	a->products = xl_xcalloc(n + 1, sizeof(*a->products));
	for (size_t i = 0; i < n; i++) {
		struct xl_report_product *p = &a->products[i];

		p->sku = xl_hash_skey(&a->skus, i);
		p->name = a->prod[i].name ? a->prod[i].name : "";
		p->category = a->prod[i].category ? a->prod[i].category : "";
		p->units = a->prod[i].units;
		p->revenue_minor = a->prod[i].revenue;
		p->orders = a->prod[i].orders;
	}
	int by_revenue = !a->o.by_units;

	qsort_r(a->products, n, sizeof(*a->products), cmp_product, &by_revenue);
	a->nproducts = a->o.limit && a->o.limit < n ? a->o.limit : n;
}

static int cmp_category(const void *x, const void *y)
{
	const struct xl_report_category *p = x, *q = y;

	if (p->revenue_minor != q->revenue_minor)
		return p->revenue_minor > q->revenue_minor ? -1 : 1;
	return strcmp(p->category, q->category);
}

/* A share rounded to 6 decimals, so that it prints short. */
static double share(int64_t part, int64_t whole)
{
	if (whole <= 0)
		return 0;
	return (double)(int64_t)((double)part / (double)whole * 1e6 + 0.5) / 1e6;
}

static void finish_categories(struct xl_analyze *a)
{
	size_t n = xl_hash_count(&a->cats);
	int64_t total = 0;

	a->categories = xl_xcalloc(n + 1, sizeof(*a->categories));
	for (size_t i = 0; i < n; i++)
		total += a->cat[i].revenue;
	for (size_t i = 0; i < n; i++) {
		struct xl_report_category *c = &a->categories[i];

		c->category = xl_hash_skey(&a->cats, i);
		c->name = a->cat[i].name ? a->cat[i].name : "";
		c->revenue_minor = a->cat[i].revenue;
		c->units = a->cat[i].units;
		c->share = share(c->revenue_minor, total);
	}
	qsort(a->categories, n, sizeof(*a->categories), cmp_category);
	a->ncategories = n;
}

/* ---- RFM ------------------------------------------------------------- */

/*
 * The segments, first match wins (the man page has the same table).
 * Scores are 1-5 quintiles by rank: ties share the rank of the first of
 * them, score = 1 + floor(5 (rank - 1) / n).
 */
static const struct {
	const char *name;
	int rmin, rmax, fmin, fmax;
} segment_rules[] = {
	{ "Champions", 4, 5, 4, 5 },
	{ "Loyal", 3, 5, 3, 5 },
	{ "New", 5, 5, 1, 1 },
	{ "Potential", 3, 5, 1, 2 },
	{ "Can't lose", 1, 1, 4, 5 },
	{ "At risk", 1, 2, 3, 5 },
	{ "Hibernating", 2, 2, 1, 2 },
	{ "Lost", 1, 1, 1, 2 },
};
#define NSEGMENTS (sizeof(segment_rules) / sizeof(segment_rules[0]))

static const char *segment_of(int r, int f, size_t *index)
{
	for (size_t i = 0; i < NSEGMENTS; i++)
		if (r >= segment_rules[i].rmin && r <= segment_rules[i].rmax && f >= segment_rules[i].fmin &&
		    f <= segment_rules[i].fmax) {
			*index = i;
			return segment_rules[i].name;
		}
	assert(0 && "the segment rules cover every score");
	*index = NSEGMENTS - 1;
	return segment_rules[NSEGMENTS - 1].name;
}

/* field: 0 recency (larger is worse), 1 frequency, 2 monetary */
static int64_t rank_value(const struct rfm_row *r, int field)
{
	return field == 0 ? -r->recency : field == 1 ? r->frequency : r->monetary;
}

static int cmp_rank(const void *x, const void *y, void *arg)
{
	int field = *(const int *)arg;
	int64_t a1 = rank_value(*(struct rfm_row *const *)x, field);
	int64_t b1 = rank_value(*(struct rfm_row *const *)y, field);

	return a1 < b1 ? -1 : a1 > b1;
}

static void score(struct rfm_row **by, size_t n, int field)
{
	qsort_r(by, n, sizeof(*by), cmp_rank, &field);
	for (size_t i = 0, rank = 1; i < n; i++) {
		if (i > 0 && rank_value(by[i], field) != rank_value(by[i - 1], field))
			rank = i + 1;
		int s = 1 + (int)((5 * (rank - 1)) / n);

		if (field == 0)
			by[i]->r = s;
		else if (field == 1)
			by[i]->f = s;
		else
			by[i]->m = s;
	}
}

static int cmp_user(const void *x, const void *y)
{
	const struct rfm_row *p = x, *q = y;

	return p->user_id < q->user_id ? -1 : p->user_id > q->user_id;
}

static void finish_rfm(struct xl_analyze *a)
{
	size_t n = xl_hash_count(&a->buyers), k = 0;
	int64_t last = INT64_MIN;
	struct rfm_row **by;

	a->rfm = xl_xcalloc(n + 1, sizeof(*a->rfm));
	for (size_t i = 0; i < n; i++) {
		if (a->buy[i].last_day == XL_ANALYZE_OPEN || a->buy[i].frequency == 0)
			continue;
		a->rfm[k].user_id = xl_hash_ikey(&a->buyers, i);
		a->rfm[k].last_day = a->buy[i].last_day;
		a->rfm[k].frequency = a->buy[i].frequency;
		a->rfm[k].monetary = a->buy[i].monetary;
		last = a->buy[i].last_day > last ? a->buy[i].last_day : last;
		k++;
	}
	a->nrfm = k;
	a->as_of = a->o.as_of_day != XL_ANALYZE_OPEN ? a->o.as_of_day : (k ? last + 1 : 0);
	by = xl_xcalloc(k + 1, sizeof(*by));
	for (size_t i = 0; i < k; i++) {
		a->rfm[i].recency = a->as_of - a->rfm[i].last_day;
		by[i] = &a->rfm[i];
	}
	score(by, k, 0);
	score(by, k, 1);
	score(by, k, 2);
	free(by);
	qsort(a->rfm, k, sizeof(*a->rfm), cmp_user);

	a->segments = xl_xcalloc(NSEGMENTS, sizeof(*a->segments));
	a->nsegments = NSEGMENTS;
	for (size_t s = 0; s < NSEGMENTS; s++)
		a->segments[s].segment = segment_rules[s].name;
	for (size_t i = 0; i < k; i++) {
		size_t s;

		a->rfm[i].segment = segment_of(a->rfm[i].r, a->rfm[i].f, &s);
		a->segments[s].customers++;
		a->segments[s].monetary_minor += a->rfm[i].monetary;
		a->segments[s].recency_days += (double)a->rfm[i].recency;
		a->segments[s].frequency += (double)a->rfm[i].frequency;
	}
	for (size_t s = 0; s < NSEGMENTS; s++)
		if (a->segments[s].customers) {
			double c = (double)a->segments[s].customers;

			a->segments[s].recency_days = (double)(int64_t)(a->segments[s].recency_days / c * 100 + 0.5) / 100;
			a->segments[s].frequency = (double)(int64_t)(a->segments[s].frequency / c * 100 + 0.5) / 100;
		}
}

/* ---- cohorts ---------------------------------------------------------- */

static int cmp_cohort(const void *x, const void *y)
{
	const struct cohort_row *p = x, *q = y;

	if (p->cohort != q->cohort)
		return p->cohort < q->cohort ? -1 : 1;
	return p->offset < q->offset ? -1 : p->offset > q->offset;
}

static void finish_cohorts(struct xl_analyze *a)
{
	size_t np = xl_hash_count(&a->pairs), nu, nc;
	struct xl_hash users = XL_HASH_INIT, cells = XL_HASH_INIT, cohorts = XL_HASH_INIT;
	int64_t *first, *active = NULL, *size = NULL, maxm = INT64_MIN;
	size_t acap = 0, scap = 0;

	first = xl_xcalloc(np + 1, sizeof(*first));
	for (size_t i = 0; i < np; i++) {
		int64_t key = xl_hash_ikey(&a->pairs, i), m = key & 0xffff;
		int added;
		size_t u = xl_hash_i64(&users, key >> 16, &added);

		if (added || m < first[u])
			first[u] = m;
		maxm = m > maxm ? m : maxm;
	}
	nu = xl_hash_count(&users);
	for (size_t i = 0; i < np; i++) {
		int64_t key = xl_hash_ikey(&a->pairs, i), m = key & 0xffff;
		size_t u, c;

		xl_hash_find_i64(&users, key >> 16, &u);
		c = xl_hash_i64(&cells, first[u] << 16 | (m - first[u]), NULL);
		active = slot_array(active, &acap, c, sizeof(*active));
		active[c]++;
	}
	for (size_t u = 0; u < nu; u++) {
		size_t c = xl_hash_i64(&cohorts, first[u], NULL);

		size = slot_array(size, &scap, c, sizeof(*size));
		size[c]++;
	}
	nc = xl_hash_count(&cohorts);
	a->ncohorts = 0;
	for (size_t c = 0; c < nc; c++)
		a->ncohorts += (size_t)(maxm - xl_hash_ikey(&cohorts, c) + 1);
	a->cohorts = xl_xcalloc(a->ncohorts + 1, sizeof(*a->cohorts));
	for (size_t c = 0, k = 0; c < nc; c++) {
		int64_t m0 = xl_hash_ikey(&cohorts, c);

		for (int64_t off = 0; off <= maxm - m0; off++, k++) {
			size_t cell;

			a->cohorts[k].cohort = m0;
			a->cohorts[k].offset = off;
			a->cohorts[k].size = size[c];
			if (!xl_hash_find_i64(&cells, m0 << 16 | off, &cell))
				a->cohorts[k].active = active[cell];
		}
	}
	qsort(a->cohorts, a->ncohorts, sizeof(*a->cohorts), cmp_cohort);
	free(first);
	free(active);
	free(size);
	xl_hash_release(&users);
	xl_hash_release(&cells);
	xl_hash_release(&cohorts);
}

int xl_analyze_finish(struct xl_analyze *a, struct xl_err *err)
{
	int ret = 0;

	assert(!a->finished);
	a->finished = 1;
	switch (a->kind) {
	case XL_ANALYZE_SALES:
		return finish_sales(a, err);
	case XL_ANALYZE_TOP:
		finish_top(a);
		return 0;
	case XL_ANALYZE_CATEGORIES:
		finish_categories(a);
		return 0;
	case XL_ANALYZE_RFM:
	case XL_ANALYZE_SEGMENTS:
		finish_rfm(a);
		return 0;
	case XL_ANALYZE_COHORTS:
		finish_cohorts(a);
		return 0;
	case XL_ANALYZE_DASHBOARD:
		ret = xl_analyze_finish(a->d_sales, err);
		if (ret == 0)
			ret = xl_analyze_finish(a->d_top, err);
		return ret;
	}
	return 0;
}

/* ---- results ---------------------------------------------------------- */

size_t xl_analyze_count(const struct xl_analyze *a)
{
	assert(a->finished);
	switch (a->kind) {
	case XL_ANALYZE_SALES:
		return a->nsales;
	case XL_ANALYZE_TOP:
		return a->nproducts;
	case XL_ANALYZE_CATEGORIES:
		return a->ncategories;
	case XL_ANALYZE_RFM:
		return a->nrfm;
	case XL_ANALYZE_SEGMENTS:
		return a->nsegments;
	case XL_ANALYZE_COHORTS:
		return a->ncohorts;
	case XL_ANALYZE_DASHBOARD:
		return 1;
	}
	return 0;
}

static json_t *day_json(int64_t day)
{
	char buf[XL_TIME_BUFSZ];

	xl_date_format(buf, sizeof(buf), xl_date_from_days(day));
	return json_string(buf);
}

static json_t *date_json(struct xl_date d)
{
	char buf[XL_TIME_BUFSZ];

	xl_date_format(buf, sizeof(buf), d);
	return json_string(buf);
}

static json_t *sales_json(const struct xl_report_sales *s, const char *currency)
{
	return json_pack("{s:s, s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "period", s->label,
			 "from", date_json(s->first), "to", date_json(s->last), "currency", currency,
			 "gross_minor", (json_int_t)s->gross_minor, "refunds_minor", (json_int_t)s->refunds_minor,
			 "net_minor", (json_int_t)s->net_minor, "orders", (json_int_t)s->orders,
			 "units", (json_int_t)s->units, "aov_minor", (json_int_t)s->aov_minor,
			 "buyers", (json_int_t)s->buyers);
}

static json_t *product_json(const struct xl_report_product *p, size_t rank, const char *currency)
{
	return json_pack("{s:I, s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "rank", (json_int_t)rank, "sku", p->sku,
			 "name", p->name, "category", p->category, "currency", currency,
			 "units", (json_int_t)p->units, "revenue_minor", (json_int_t)p->revenue_minor,
			 "orders", (json_int_t)p->orders);
}

static json_t *dashboard_json(const struct xl_analyze *a)
{
	struct xl_report_sales t;
	json_t *trend = json_array(), *top = json_array();
	size_t n;
	const struct xl_report_sales *s = xl_analyze_sales(a->d_sales, &n);
	const struct xl_report_product *p;

	for (size_t i = 0; i < n; i++)
		json_array_append_new(trend, json_pack("{s:o, s:I, s:I, s:I}", "day", date_json(s[i].first),
						       "net_minor", (json_int_t)s[i].net_minor,
						       "orders", (json_int_t)s[i].orders,
						       "units", (json_int_t)s[i].units));
	p = xl_analyze_products(a->d_top, &n);
	for (size_t i = 0; i < n; i++)
		json_array_append_new(top, product_json(&p[i], i + 1, xl_analyze_currency(a->d_top)));
	xl_analyze_totals(a->d_sales, &t);
	return json_pack("{s:o, s:o, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o}",
			 "from", day_json(a->dash_from), "to", day_json(a->dash_to),
			 "currency", xl_analyze_currency(a->d_sales), "revenue_minor", (json_int_t)t.net_minor,
			 "gross_minor", (json_int_t)t.gross_minor, "refunds_minor", (json_int_t)t.refunds_minor,
			 "orders", (json_int_t)t.orders, "aov_minor", (json_int_t)t.aov_minor,
			 "active_buyers", (json_int_t)t.buyers, "pending_orders", (json_int_t)a->pending,
			 "trend", trend, "top_products", top);
}

json_t *xl_analyze_record(const struct xl_analyze *a, size_t i)
{
	char label[XL_PERIOD_LABELSZ], rfm[4];

	assert(a->finished && i < xl_analyze_count(a));
	switch (a->kind) {
	case XL_ANALYZE_SALES:
		return sales_json(&a->sales[i], a->sales_currency[i]);
	case XL_ANALYZE_TOP:
		return product_json(&a->products[i], i + 1, a->currency);
	case XL_ANALYZE_CATEGORIES:
		return json_pack("{s:s, s:s, s:s, s:I, s:I, s:f}", "category", a->categories[i].category,
				 "name", a->categories[i].name, "currency", a->currency,
				 "revenue_minor", (json_int_t)a->categories[i].revenue_minor,
				 "units", (json_int_t)a->categories[i].units, "share", a->categories[i].share);
	case XL_ANALYZE_RFM: {
		const struct rfm_row *r = &a->rfm[i];

		snprintf(rfm, sizeof(rfm), "%d%d%d", r->r, r->f, r->m);
		return json_pack("{s:I, s:o, s:I, s:I, s:I, s:s, s:i, s:i, s:i, s:s, s:s}",
				 "user_id", (json_int_t)r->user_id, "last_order", day_json(r->last_day),
				 "recency_days", (json_int_t)r->recency, "frequency", (json_int_t)r->frequency,
				 "monetary_minor", (json_int_t)r->monetary, "currency", a->currency, "r", r->r,
				 "f", r->f, "m", r->m, "rfm", rfm, "segment", r->segment);
	}
	case XL_ANALYZE_SEGMENTS: {
		const struct xl_report_segment *s = &a->segments[i];

		return json_pack("{s:s, s:I, s:f, s:I, s:s, s:f, s:f, s:o}", "segment", s->segment,
				 "customers", (json_int_t)s->customers,
				 "share", share(s->customers, (int64_t)a->nrfm),
				 "monetary_minor", (json_int_t)s->monetary_minor, "currency", a->currency,
				 "avg_recency_days", s->recency_days, "avg_frequency", s->frequency,
				 "as_of", a->nrfm ? day_json(a->as_of) : json_null());
	}
	case XL_ANALYZE_COHORTS: {
		const struct cohort_row *c = &a->cohorts[i];

		xl_period_month_label(c->cohort, label, sizeof(label));
		return json_pack("{s:s, s:I, s:I, s:I, s:f}", "cohort", label, "size", (json_int_t)c->size,
				 "month", (json_int_t)c->offset, "active", (json_int_t)c->active,
				 "retention", share(c->active, c->size));
	}
	case XL_ANALYZE_DASHBOARD:
		return dashboard_json(a);
	}
	return NULL;
}

const struct xl_report_sales *xl_analyze_sales(const struct xl_analyze *a, size_t *n)
{
	*n = a->kind == XL_ANALYZE_SALES ? a->nsales : 0;
	return *n ? a->sales : NULL;
}

int xl_analyze_totals(const struct xl_analyze *a, struct xl_report_sales *out)
{
	memset(out, 0, sizeof(*out));
	if (a->kind != XL_ANALYZE_SALES || !a->finished)
		return -XL_EINVAL;
	if (a->o.from_day != XL_ANALYZE_OPEN)
		out->first = xl_date_from_days(a->o.from_day);
	if (a->o.to_day != XL_ANALYZE_OPEN)
		out->last = xl_date_from_days(a->o.to_day);
	out->gross_minor = a->total.gross;
	out->refunds_minor = a->total.refunds;
	out->net_minor = a->total.gross - a->total.refunds;
	out->orders = a->total.orders;
	out->units = a->total.units;
	out->buyers = a->total.buyers;
	out->aov_minor = aov(a->total.gross, a->total.orders);
	return 0;
}

const struct xl_report_product *xl_analyze_products(const struct xl_analyze *a, size_t *n)
{
	*n = a->kind == XL_ANALYZE_TOP ? a->nproducts : 0;
	return *n ? a->products : NULL;
}

const struct xl_report_category *xl_analyze_categories(const struct xl_analyze *a, size_t *n)
{
	*n = a->kind == XL_ANALYZE_CATEGORIES ? a->ncategories : 0;
	return *n ? a->categories : NULL;
}

const struct xl_report_segment *xl_analyze_segments(const struct xl_analyze *a, size_t *n)
{
	*n = a->kind == XL_ANALYZE_SEGMENTS || a->kind == XL_ANALYZE_RFM ? a->nsegments : 0;
	return *n ? a->segments : NULL;
}

const char *xl_analyze_currency(const struct xl_analyze *a)
{
	return a->currency;
}
