#include "xl_gen.h"

#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_banned.h"

/* Random numbers: splitmix64 for seeding, xoshiro256** for the streams. */
struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9E3779B97F4A7C15));

	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* A stream of its own for each (seed, purpose, index): days replay identically. */
static void rng_seed(struct rng *r, uint64_t seed, uint64_t purpose, uint64_t index)
{
	uint64_t x = seed ^ (purpose * UINT64_C(0xD1B54A32D192ED03)) ^ (index * UINT64_C(0xABC98388FB8FAC03));

	for (int i = 0; i < 4; i++)
		r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t next(struct rng *r)
{
	uint64_t *s = r->s, result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

/* Uniform in [0, n). */
static uint32_t below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [0, 1). */
static double unit(struct rng *r)
{
	return (double)(next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* Catalogue -------------------------------------------------------------- */

struct category {
	const char *slug, *name;
	const char *const *items;   /* base product names */
	const char *const *sizes;
	uint32_t price_lo, price_hi; /* KRW */
	int kcal_lo, kcal_hi;        /* per serving, for the nutrition facts */
};

static const char *const kimchi[] = { "포기김치", "맛김치", "총각김치", "열무김치", "깍두기", "백김치", "파김치", "갓김치", NULL };
static const char *const jang[] = { "고추장", "된장", "쌈장", "간장", "초고추장", "청국장", NULL };
static const char *const ramen[] = { "신라면", "진라면", "짜파게티", "너구리", "안성탕면", "불닭볶음면", "비빔면", "육개장 사발면", NULL };
static const char *const snacks[] = { "새우깡", "초코파이", "허니버터칩", "꼬북칩", "약과", "뻥튀기", "바나나킥", NULL };
static const char *const drinks[] = { "식혜", "수정과", "바나나맛 우유", "보리차", "유자차", "옥수수수염차", "막걸리", NULL };
static const char *const tteok[] = { "떡볶이 떡", "가래떡", "인절미", "꿀떡", "송편", "떡국 떡", NULL };
static const char *const dried[] = { "마른오징어", "멸치", "황태채", "쥐포", "김자반", "건새우", NULL };
static const char *const frozen[] = { "왕만두", "김말이", "냉동 떡볶이", "순대", "동그랑땡", "물만두", NULL };
static const char *const rice[] = { "햅쌀", "현미", "찹쌀", "흑미", "귀리", "잡곡밥 믹스", NULL };
static const char *const seaweed[] = { "재래김", "도시락김", "돌김", "김밥김", "미역", "다시마", NULL };

static const char *const sizes_kimchi[] = { "500g", "1kg", "3kg", "5kg", NULL };
static const char *const sizes_jar[] = { "170g", "500g", "1kg", "3kg", NULL };
static const char *const sizes_pack[] = { "1개", "4개입", "5개입", "멀티팩", NULL };
static const char *const sizes_bottle[] = { "240ml", "500ml", "1.5L", "6병", NULL };
static const char *const sizes_bag[] = { "300g", "500g", "1kg", "2kg", NULL };

static const struct category categories[] = {
	{ "kimchi", "김치", kimchi, sizes_kimchi, 6900, 59000, 15, 40 },
	{ "jang", "장류", jang, sizes_jar, 2900, 29000, 30, 120 },
	{ "ramen", "라면", ramen, sizes_pack, 900, 8900, 350, 550 },
	{ "snacks", "과자", snacks, sizes_pack, 1200, 9900, 120, 550 },
	{ "drinks", "음료", drinks, sizes_bottle, 1200, 19900, 40, 180 },
	{ "tteok", "떡", tteok, sizes_bag, 2900, 15900, 200, 260 },
	{ "dried-seafood", "건어물", dried, sizes_bag, 5900, 49000, 60, 330 },
	{ "frozen", "냉동식품", frozen, sizes_bag, 3900, 15900, 180, 320 },
	{ "rice", "쌀·잡곡", rice, sizes_bag, 4900, 69000, 340, 380 },
	{ "seaweed", "김·해조류", seaweed, sizes_pack, 1900, 24900, 20, 60 },
};
#define NCATEGORIES (sizeof(categories) / sizeof(categories[0]))

static const char *const brands[] = { "종가", "비비고", "청정원", "오뚜기", "농심", "풀무원", "해찬들", "CJ", "동원", "한성", "광천", "명인" };
#define NBRANDS (sizeof(brands) / sizeof(brands[0]))

static const char *const surnames[] = { "김", "이", "박", "최", "정", "강", "조", "윤", "장", "임", "한", "오", "서", "신", "권", "황", "안", "송", "류", "홍" };
static const char *const given[] = { "민준", "서연", "도윤", "지우", "하준", "서윤", "시우", "하은", "예준", "지민", "주원", "수아", "지호", "지유", "준우", "채원", "현우", "다은", "건우", "예린" };

static const char *const review_good[] = {
	"정말 맛있어요! 재구매 의사 있습니다.", "배송이 빠르고 포장도 꼼꼼해요.", "가족들이 다 좋아해요.",
	"가격 대비 만족합니다.", "역시 믿고 먹는 맛이에요.", "신선하고 양도 넉넉해요."
};
static const char *const review_mid[] = {
	"무난해요. 보통입니다.", "맛은 괜찮은데 조금 짜요.", "생각보다 양이 적어요.", "배송이 조금 늦었어요."
};
static const char *const review_bad[] = {
	"너무 짜서 먹기 힘들어요.", "포장이 터져서 왔어요.", "유통기한이 얼마 안 남았어요.", "기대보다 별로예요. 재구매는 안 할 것 같아요."
};

/* The Korean holidays that move the market: the weeks before 설날 and 추석. */
static const struct xl_date holidays[] = {
	{ 2024, 2, 10 }, { 2024, 9, 17 }, { 2025, 1, 29 }, { 2025, 10, 6 },
	{ 2026, 2, 17 }, { 2026, 9, 25 }, { 2027, 2, 7 }, { 2027, 9, 15 },
	{ 2028, 1, 27 }, { 2028, 10, 3 },
};

/* Output helpers --------------------------------------------------------- */

static void add_u64(struct xl_buf *b, uint64_t v)
{
	char tmp[24], *p = tmp + sizeof(tmp);

	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	xl_buf_add(b, p, (size_t)(tmp + sizeof(tmp) - p));
}

/* "key": starting an object or after a comma. All keys and our text are plain: no escapes needed. */
static void key(struct xl_buf *b, const char *k)
{
	xl_buf_addch(b, b->len ? ',' : '{');
	xl_buf_addch(b, '"');
	xl_buf_adds(b, k);
	xl_buf_add(b, "\":", 2);
}

static void kv_str(struct xl_buf *b, const char *k, const char *v)
{
	assert(!strpbrk(v, "\"\\"));
	key(b, k);
	xl_buf_addch(b, '"');
	xl_buf_adds(b, v);
	xl_buf_addch(b, '"');
}

static void kv_num(struct xl_buf *b, const char *k, uint64_t v)
{
	key(b, k);
	add_u64(b, v);
}

static void kv_time(struct xl_buf *b, const char *k, int64_t us)
{
	char t[XL_TIME_BUFSZ];

	xl_time_format(t, sizeof(t), us, 0, 0);
	kv_str(b, k, t);
}

struct out {
	xl_gen_fn *fn;
	void *arg;
	struct xl_gen_stats *st;
	struct xl_buf b;
};

static int emit(struct out *o, enum xl_gen_table t, struct xl_err *err)
{
	xl_buf_addch(&o->b, '}');
	o->st->rows[t]++;
	return o->fn(t, o->b.buf, o->b.len, o->arg, err);
}

/* The world ------------------------------------------------------------- */

struct world {
	const struct xl_gen_opts *o;
	int64_t start_us;          /* 00:00 KST of the first day */
	double *cdf;               /* product popularity, by rank */
	uint32_t *rank_product;    /* rank -> product index */
	uint32_t *price;           /* product index -> KRW */
};

enum { P_PRODUCT = 1, P_USER, P_DAY, P_RANK, P_REVIEW, P_VIEW, P_TASTE };

static const struct category *product_category(uint32_t i)
{
	return &categories[i % NCATEGORIES];
}

static void product_sku(char *buf, size_t size, uint32_t i)
{
	snprintf(buf, size, "KF-%06u", i + 1);
}

static void user_email(char *buf, size_t size, uint32_t i)
{
	snprintf(buf, size, "user%07u@example.com", i + 1);
}

/* When user i joined: spread over the year before the start and the period itself. */
static int64_t user_joined(const struct world *w, uint32_t i)
{
	int64_t span = (int64_t)(365 + w->o->days) * XL_TIME_US_PER_DAY;

	return w->start_us - 365 * XL_TIME_US_PER_DAY + span / w->o->users * i;
}

static void build_world(struct world *w)
{
	const struct xl_gen_opts *o = w->o;
	double sum = 0;
	struct rng r;

	w->start_us = xl_time_seoul_day_start(o->start);
	w->cdf = xl_xmalloc(o->products * sizeof(*w->cdf));
	w->rank_product = xl_xmalloc(o->products * sizeof(*w->rank_product));
	w->price = xl_xmalloc(o->products * sizeof(*w->price));
	/* Zipf(1.07) over ranks; which product has which rank is shuffled. */
	for (uint32_t k = 0; k < o->products; k++) {
		sum += 1.0 / pow((double)k + 1, 1.07);
		w->cdf[k] = sum;
		w->rank_product[k] = k;
	}
	for (uint32_t k = 0; k < o->products; k++)
		w->cdf[k] /= sum;
	rng_seed(&r, o->seed, P_RANK, 0);
	for (uint32_t k = o->products; k > 1; k--) {
		uint32_t j = below(&r, k), t = w->rank_product[k - 1];

		w->rank_product[k - 1] = w->rank_product[j];
		w->rank_product[j] = t;
	}
	for (uint32_t i = 0; i < o->products; i++) {
		const struct category *c = product_category(i);
		uint32_t p;

		rng_seed(&r, o->seed, P_PRODUCT, i);
		p = c->price_lo + below(&r, c->price_hi - c->price_lo);
		/* Shelf prices: hundreds, mostly ending in 900. */
		p = p / 1000 * 1000 + (below(&r, 3) ? 900 : 500);
		w->price[i] = p;
	}
}

static uint32_t pick_any_product(const struct world *w, struct rng *r)
{
	double u = unit(r);
	uint32_t lo = 0, hi = w->o->products - 1;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;

		if (w->cdf[mid] < u)
			lo = mid + 1;
		else
			hi = mid;
	}
	return w->rank_product[lo];
}

/*
 * A product for a buyer. Buyers have tastes, so that a recommender has
 * something to learn: each has two favourite categories (fixed by the seed
 * and the buyer), and 80% of their lines come from them (70:30), popular
 * products first within the category; the rest follow the whole shop's
 * popularity.
 */
static uint32_t pick_product(const struct world *w, uint32_t buyer, struct rng *r)
{
	uint32_t want, p = 0;
	struct rng t;

	if (below(r, 100) >= 80)
		return pick_any_product(w, r);
	rng_seed(&t, w->o->seed, P_TASTE, buyer);
	want = below(&t, NCATEGORIES);
	if (below(r, 10) >= 7)
		want = (want + 1 + below(&t, NCATEGORIES - 1)) % NCATEGORIES;
	/* Popularity within the category: draw until one of it comes (bounded). */
	for (int tries = 0; tries < 64; tries++) {
		p = pick_any_product(w, r);
		if (product_category(p) == &categories[want])
			break;
	}
	return p;
}

/* Tables ---------------------------------------------------------------- */

static int gen_categories(struct out *o, struct xl_err *err)
{
	for (size_t i = 0; i < NCATEGORIES; i++) {
		xl_buf_reset(&o->b);
		kv_str(&o->b, "slug", categories[i].slug);
		kv_str(&o->b, "name", categories[i].name);
		int ret = emit(o, XL_GEN_CATEGORIES, err);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static int gen_users(const struct world *w, struct out *o, struct xl_err *err)
{
	for (uint32_t i = 0; i < w->o->users; i++) {
		char email[48], name[32];
		struct rng r;

		rng_seed(&r, w->o->seed, P_USER, i);
		user_email(email, sizeof(email), i);
		snprintf(name, sizeof(name), "%s%s", surnames[below(&r, 20)], given[below(&r, 20)]);
		xl_buf_reset(&o->b);
		kv_str(&o->b, "email", email);
		kv_str(&o->b, "display_name", name);
		kv_str(&o->b, "role", "buyer");
		kv_time(&o->b, "created_at", user_joined(w, i));
		int ret = emit(o, XL_GEN_USERS, err);

		if (ret < 0)
			return ret;
	}
	return 0;
}

static int gen_products(const struct world *w, struct out *o, struct xl_err *err)
{
	for (uint32_t i = 0; i < w->o->products; i++) {
		const struct category *c = product_category(i);
		char sku[16], name[128];
		size_t nitems = 0, nsizes = 0;
		struct rng r;
		uint32_t kcal;

		while (c->items[nitems])
			nitems++;
		while (c->sizes[nsizes])
			nsizes++;
		rng_seed(&r, w->o->seed, P_PRODUCT, i);
		next(&r);   /* the price's draws */
		next(&r);
		product_sku(sku, sizeof(sku), i);
		snprintf(name, sizeof(name), "%s %s %s", brands[below(&r, NBRANDS)],
			 c->items[below(&r, (uint32_t)nitems)], c->sizes[below(&r, (uint32_t)nsizes)]);
		kcal = (uint32_t)c->kcal_lo + below(&r, (uint32_t)(c->kcal_hi - c->kcal_lo + 1));
		xl_buf_reset(&o->b);
		kv_str(&o->b, "sku", sku);
		kv_str(&o->b, "name", name);
		kv_str(&o->b, "category", c->slug);
		kv_num(&o->b, "price_minor", w->price[i]);
		kv_str(&o->b, "currency", "KRW");
		kv_num(&o->b, "stock", below(&r, 20) ? below(&r, 500) : 0);
		key(&o->b, "active");
		xl_buf_adds(&o->b, below(&r, 20) ? "true" : "false");
		key(&o->b, "nutrition");
		xl_buf_addch(&o->b, '{');
		xl_buf_adds(&o->b, "\"kcal\":");
		add_u64(&o->b, kcal);
		xl_buf_adds(&o->b, ",\"sodium_mg\":");
		add_u64(&o->b, 50 + below(&r, 1500));
		xl_buf_adds(&o->b, ",\"protein_g\":");
		add_u64(&o->b, below(&r, 25));
		xl_buf_addch(&o->b, '}');
		int ret = emit(o, XL_GEN_PRODUCTS, err);

		if (ret < 0)
			return ret;
	}
	return 0;
}

/* How busy a day is: weekdays over weekends, the two weeks before a holiday. */
static double day_factor(struct xl_date d)
{
	static const double weekday[8] = { 0, 1.15, 1.10, 1.05, 1.0, 0.95, 0.75, 0.85 };
	double f = weekday[xl_date_weekday(d)];
	int64_t day = xl_date_to_days(d);

	for (size_t i = 0; i < sizeof(holidays) / sizeof(holidays[0]); i++) {
		int64_t before = xl_date_to_days(holidays[i]) - day;

		if (before >= 1 && before <= 14)
			f *= 1.8 + (14 - (double)before) * 0.08;
		else if (before >= -2 && before <= 0)
			f *= 0.4;   /* the holiday itself: shops and couriers rest */
	}
	return f;
}

/* Seconds into the day, KST: busiest around 12:00 and 21:00, quiet at night. */
static int64_t time_of_day(struct rng *r)
{
	static const uint8_t weight[24] = { 3, 2, 1, 1, 1, 1, 2, 4, 6, 7, 8, 10, 12, 10, 8, 7, 7, 8, 9, 11, 13, 14, 11, 6 };
	uint32_t total = 0, u;
	int h = 0;

	for (int i = 0; i < 24; i++)
		total += weight[i];
	u = below(r, total);
	while (u >= weight[h])
		u -= weight[h++];
	return (int64_t)h * 3600 + below(r, 3600);
}

struct order {
	char ref[24];
	uint32_t buyer;
	int64_t at;
	const char *status;
	int nlines;
	uint32_t product[5];
	uint32_t qty[5];
	uint32_t unit_price[5];
};

static const char *status_for(uint32_t age_days, struct rng *r)
{
	uint32_t u = below(r, 100);

	if (age_days == 0)
		return u < 30 ? "pending" : u < 80 ? "paid" : "preparing";
	if (age_days <= 2)
		return u < 20 ? "paid" : u < 40 ? "preparing" : "shipped";
	if (age_days <= 4)
		return u < 50 ? "shipped" : "delivered";
	return u < 92 ? "delivered" : u < 97 ? "cancelled" : "refunded";
}

/* The orders of one day: the same every time it is replayed. Returns the count. */
static uint32_t day_orders(const struct world *w, uint32_t day, uint64_t *order_no, struct order **out,
			   size_t *alloc)
{
	const struct xl_gen_opts *o = w->o;
	struct xl_date d = xl_date_from_days(xl_date_to_days(o->start) + day);
	double mean = (double)o->users * 0.012 * day_factor(d);
	uint32_t n, joined = 0;
	struct rng r;

	rng_seed(&r, o->seed, P_DAY, day);
	/* Poisson-ish spread around the mean. */
	n = (uint32_t)(mean * (0.8 + 0.4 * unit(&r)) + 0.5);
	{
		int64_t day_end = w->start_us + (int64_t)(day + 1) * XL_TIME_US_PER_DAY;
		int64_t span = (int64_t)(365 + o->days) * XL_TIME_US_PER_DAY;
		int64_t since = day_end - (w->start_us - 365 * XL_TIME_US_PER_DAY);

		joined = (uint32_t)(since / (span / o->users));
		if (joined > o->users)
			joined = o->users;
		if (joined == 0)
			joined = 1;
	}
	if (*alloc < n)
		XL_ALLOC_GROW(*out, n, *alloc);
	for (uint32_t k = 0; k < n; k++) {
		struct order *ord = &(*out)[k];

		snprintf(ord->ref, sizeof(ord->ref), "G-%08llu", (unsigned long long)++*order_no);
		/* A loyal tenth of the customers places a third of the orders. */
		ord->buyer = below(&r, 3) == 0 ? below(&r, joined / 10 + 1) : below(&r, joined);
		ord->at = w->start_us + (int64_t)day * XL_TIME_US_PER_DAY + time_of_day(&r) * XL_TIME_US_PER_SEC;
		ord->status = status_for(o->days - 1 - day, &r);
		ord->nlines = 1 + (int)(below(&r, 100) < 45) + (int)(below(&r, 100) < 25) +
			      (int)(below(&r, 100) < 12) + (int)(below(&r, 100) < 5);
		for (int l = 0; l < ord->nlines; l++) {
			uint32_t p;
			int again;

			do {
				p = pick_product(w, ord->buyer, &r);
				again = 0;
				for (int m = 0; m < l; m++)
					again |= ord->product[m] == p;
			} while (again && o->products > 5);
			ord->product[l] = p;
			ord->qty[l] = 1 + (below(&r, 10) < 3) + (below(&r, 10) < 1);
			/* One line in ten at a 10% discount. */
			ord->unit_price[l] = below(&r, 10) ? w->price[p] : w->price[p] / 1000 * 900;
		}
	}
	return n;
}

static int gen_orders(const struct world *w, struct out *o, int pass, struct xl_err *err)
{
	struct order *orders = NULL;
	size_t alloc = 0;
	uint64_t order_no = 0;
	int ret = 0;

	for (uint32_t day = 0; day < w->o->days && ret == 0; day++) {
		uint32_t n = day_orders(w, day, &order_no, &orders, &alloc);

		for (uint32_t k = 0; k < n && ret == 0; k++) {
			const struct order *ord = &orders[k];
			char email[48], sku[16];
			struct rng r;

			user_email(email, sizeof(email), ord->buyer);
			rng_seed(&r, w->o->seed, pass == XL_GEN_INTERACTIONS ? P_VIEW : P_REVIEW, order_no - n + k);
			if (pass == XL_GEN_ORDERS)
				o->st->orders++;
			for (int l = 0; l < ord->nlines && ret == 0; l++) {
				product_sku(sku, sizeof(sku), ord->product[l]);
				xl_buf_reset(&o->b);
				if (pass == XL_GEN_ORDERS) {
					kv_str(&o->b, "order_ref", ord->ref);
					kv_str(&o->b, "buyer", email);
					kv_str(&o->b, "sku", sku);
					kv_num(&o->b, "quantity", ord->qty[l]);
					kv_num(&o->b, "unit_price_minor", ord->unit_price[l]);
					kv_str(&o->b, "currency", "KRW");
					kv_time(&o->b, "placed_at", ord->at);
					kv_str(&o->b, "status", ord->status);
					ret = emit(o, XL_GEN_ORDERS, err);
				} else if (pass == XL_GEN_INTERACTIONS) {
					/* Views first, a cart for most lines, then the purchase. */
					int views = 1 + (int)below(&r, 4);
					int64_t t = ord->at - (int64_t)(5 + below(&r, 120)) * 60 * XL_TIME_US_PER_SEC;

					for (int v = 0; v < views && ret == 0; v++) {
						xl_buf_reset(&o->b);
						kv_str(&o->b, "user", email);
						kv_str(&o->b, "sku", sku);
						kv_str(&o->b, "kind", "view");
						kv_time(&o->b, "occurred_at", t + (int64_t)v * 40 * XL_TIME_US_PER_SEC);
						ret = emit(o, XL_GEN_INTERACTIONS, err);
					}
					if (ret == 0 && below(&r, 10) < 7) {
						xl_buf_reset(&o->b);
						kv_str(&o->b, "user", email);
						kv_str(&o->b, "sku", sku);
						kv_str(&o->b, "kind", "cart");
						kv_time(&o->b, "occurred_at", ord->at - 60 * XL_TIME_US_PER_SEC);
						ret = emit(o, XL_GEN_INTERACTIONS, err);
					}
					if (ret == 0) {
						xl_buf_reset(&o->b);
						kv_str(&o->b, "user", email);
						kv_str(&o->b, "sku", sku);
						kv_str(&o->b, "kind", "purchase");
						kv_num(&o->b, "weight", ord->qty[l]);
						kv_time(&o->b, "occurred_at", ord->at);
						ret = emit(o, XL_GEN_INTERACTIONS, err);
					}
				} else if (!strcmp(ord->status, "delivered") && below(&r, 100) < 18) {
					uint32_t u = below(&r, 100);
					int rating = u < 50 ? 5 : u < 75 ? 4 : u < 87 ? 3 : u < 94 ? 2 : 1;
					const char *body = rating >= 4 ? review_good[below(&r, 6)] :
							   rating == 3 ? review_mid[below(&r, 4)] : review_bad[below(&r, 4)];

					kv_str(&o->b, "order_ref", ord->ref);
					kv_str(&o->b, "sku", sku);
					kv_num(&o->b, "rating", (uint64_t)rating);
					kv_str(&o->b, "body", body);
					kv_time(&o->b, "created_at", ord->at + (int64_t)(3 + below(&r, 8)) * XL_TIME_US_PER_DAY);
					ret = emit(o, XL_GEN_REVIEWS, err);
				}
			}
		}
	}
	free(orders);
	return ret;
}

const char *xl_gen_table_name(enum xl_gen_table t)
{
	static const char *const names[] = { "categories", "users", "products", "orders", "interactions", "reviews" };

	return t < XL_GEN_NTABLES ? names[t] : "?";
}

int xl_gen_run(const struct xl_gen_opts *opts, xl_gen_fn *fn, void *arg, struct xl_gen_stats *stats,
	       struct xl_err *err)
{
	struct xl_gen_stats st;
	struct world w = { opts, 0, NULL, NULL, NULL };
	struct out o = { fn, arg, &st, XL_BUF_INIT };
	int ret;

	memset(&st, 0, sizeof(st));
	if (opts->users < 1 || opts->products < 1 || opts->days < 1)
		return xl_err_set(err, XL_EINVAL, "users, products and days must each be at least 1");
	if (opts->users > 100000000 || opts->products > 10000000 || opts->days > 3660)
		return xl_err_set(err, XL_EINVAL, "at most 100000000 users, 10000000 products and 3660 days");
	if (!xl_date_valid(opts->start))
		return xl_err_set(err, XL_EINVAL, "the start date is not a date");
	build_world(&w);
	ret = gen_categories(&o, err);
	if (ret == 0)
		ret = gen_users(&w, &o, err);
	if (ret == 0)
		ret = gen_products(&w, &o, err);
	if (ret == 0)
		ret = gen_orders(&w, &o, XL_GEN_ORDERS, err);
	if (ret == 0)
		ret = gen_orders(&w, &o, XL_GEN_INTERACTIONS, err);
	if (ret == 0)
		ret = gen_orders(&w, &o, XL_GEN_REVIEWS, err);
	free(w.cdf);
	free(w.rank_product);
	free(w.price);
	xl_buf_release(&o.b);
	if (stats)
		*stats = st;
	return ret;
}
