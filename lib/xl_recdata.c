#include "xl_recdata.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_db.h"
#include "xl_num.h"
#include "xl_time.h"
#include "xl_banned.h"

int xl_recweights_parse(struct xl_recweights *w, const char *s, struct xl_err *err)
{
	char *copy = xl_xstrdup(s), *p = copy, *save = NULL, *part;
	int ret = 0;

	while ((part = strtok_r(p, ",", &save))) {
		char *eq = strchr(part, '='), *end;
		float *slot = NULL;
		double v;

		p = NULL;
		if (!eq) {
			ret = xl_err_set(err, XL_EINVAL, "'%s': expected KIND=WEIGHT", part);
			break;
		}
		*eq = '\0';
		if (!strcmp(part, "view"))
			slot = &w->view;
		else if (!strcmp(part, "cart"))
			slot = &w->cart;
		else if (!strcmp(part, "purchase"))
			slot = &w->purchase;
		v = strtod(eq + 1, &end);
		if (!slot) {
			ret = xl_err_set(err, XL_EINVAL, "'%s' is not a kind (view, cart or purchase)", part);
			break;
		}
		if (end == eq + 1 || *end || !(v >= 0) || !isfinite(v)) {
			ret = xl_err_set(err, XL_EINVAL, "weight of %s '%s' is not a number >= 0", part, eq + 1);
			break;
		}
		*slot = (float)v;
	}
	free(copy);
	return ret;
}

void xl_recdata_release(struct xl_recdata *d)
{
	xl_hash_release(&d->users);
	xl_hash_release(&d->items);
	free(d->ev);
	*d = (struct xl_recdata)XL_RECDATA_INIT;
}

void xl_recdata_add(struct xl_recdata *d, const char *user, const char *item, float strength, int64_t ts)
{
	struct xl_rec_event *e;

	if (d->n == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 4096;
		d->ev = xl_xrealloc(d->ev, d->cap * sizeof(*d->ev));
	}
	e = &d->ev[d->n++];
	e->user = (uint32_t)xl_hash_str(&d->users, user, NULL);
	e->item = (uint32_t)xl_hash_str(&d->items, item, NULL);
	e->strength = strength;
	e->ts = ts;
	if (ts != XL_RECDATA_NO_TIME && (d->max_ts == XL_RECDATA_NO_TIME || ts > d->max_ts))
		d->max_ts = ts;
}

/* A record's field under its name or its alias (the name xlcfi-etl uses). */
static const json_t *field(const json_t *rec, const char *name, const char *alias)
{
	const json_t *v = json_object_get(rec, name);

	return v ? v : alias ? json_object_get(rec, alias) : NULL;
}

/* A record's id field (a string or an integer) into buf. */
static int id_field(const json_t *rec, const char *name, const char *alias, char *buf, size_t size,
		    struct xl_err *err)
{
	const json_t *v = field(rec, name, alias);

	if (!v)
		return xl_err_set(err, XL_EINVAL, "missing field '%s'", name);
	if (json_is_integer(v)) {
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) == 0)
		return xl_err_set(err, XL_EINVAL, "field '%s' must be a non-empty string or an integer", name);
	if (json_string_length(v) >= size)
		return xl_err_set(err, XL_EINVAL, "field '%s' is longer than %zu bytes", name, size - 1);
	if (strlen(json_string_value(v)) != json_string_length(v))
		return xl_err_set(err, XL_EINVAL, "field '%s' holds a NUL character", name);
	memcpy(buf, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

static float kind_weight(const struct xl_recweights *w, const char *kind)
{
	if (!strcmp(kind, "view"))
		return w->view;
	if (!strcmp(kind, "cart"))
		return w->cart;
	if (!strcmp(kind, "purchase"))
		return w->purchase;
	return -1;
}

int xl_recdata_add_record(struct xl_recdata *d, const json_t *rec, const struct xl_recweights *w,
			  struct xl_err *err)
{
	char user[256], item[256];
	const json_t *v;
	double weight = 1;
	float kw = w->purchase;
	int64_t ts = XL_RECDATA_NO_TIME;

	if (id_field(rec, "user", "user_id", user, sizeof(user), err) < 0 ||
	    id_field(rec, "item", "sku", item, sizeof(item), err) < 0)
		return -XL_EINVAL;
	if ((v = json_object_get(rec, "weight")) && !json_is_null(v)) {
		if (!json_is_number(v) || !(json_number_value(v) > 0) || !isfinite(json_number_value(v)) ||
		    json_number_value(v) > 1e9)
			return xl_err_set(err, XL_EINVAL, "field 'weight' must be a number above 0 (at most 1e9)");
		weight = json_number_value(v);
	}
	if ((v = json_object_get(rec, "kind")) && !json_is_null(v)) {
		if (!json_is_string(v) || (kw = kind_weight(w, json_string_value(v))) < 0)
			return xl_err_set(err, XL_EINVAL, "field 'kind' must be view, cart or purchase");
	}
	if ((v = field(rec, "ts", "occurred_at")) && !json_is_null(v)) {
		if (json_is_string(v)) {
			if (xl_time_parse(json_string_value(v), &ts, err) < 0)
				return xl_err_prefix(err, "field 'ts': ");
		} else if (json_is_integer(v) && json_integer_value(v) > -XL_TIME_US_PER_DAY &&
			   json_integer_value(v) < INT64_C(253402300800)) {
			ts = json_integer_value(v) * XL_TIME_US_PER_SEC;
		} else {
			return xl_err_set(err, XL_EINVAL, "field 'ts' must be an RFC 3339 time or seconds since 1970");
		}
	}
	if (kw * weight <= 0)
		return 0; /* a kind weighted 0 is left out */
	xl_recdata_add(d, user, item, (float)(kw * weight), ts);
	return 0;
}

struct db_load {
	struct xl_recdata *d;
	const struct xl_recweights *w;
};

/* One row: user, sku, kind, weight, epoch microseconds. */
static int db_row(const PGresult *row, void *arg, struct xl_err *err)
{
	struct db_load *l = arg;
	int64_t weight, ts;
	float kw = kind_weight(l->w, PQgetvalue(row, 0, 2));

	if (kw < 0 || xl_num_parse_i64(PQgetvalue(row, 0, 3), &weight) < 0 ||
	    xl_num_parse_i64(PQgetvalue(row, 0, 4), &ts) < 0)
		return xl_err_set(err, XL_EFAIL, "unexpected interaction row from the database");
	if (kw * (float)weight > 0)
		xl_recdata_add(l->d, PQgetvalue(row, 0, 0), PQgetvalue(row, 0, 1), kw * (float)weight, ts);
	return 0;
}

int xl_recdata_load_db(struct xl_recdata *d, struct xl_db *db, const struct xl_recweights *w,
		       const char *user, const char *category, struct xl_err *err)
{
	static const char sql[] =
		"SELECT i.user_id::text, p.sku, i.kind, i.weight,"
		" (extract(epoch FROM i.occurred_at) * 1000000)::bigint"
		" FROM interactions i JOIN products p ON p.id = i.product_id"
		" JOIN categories c ON c.id = p.category_id"
		" WHERE i.kind <> 'purchase'"
		" AND ($1::text IS NULL OR i.user_id::text = $1) AND ($2::text IS NULL OR c.slug = $2)"
		" UNION ALL"
		" SELECT o.buyer_id::text, p.sku, 'purchase', 1, (extract(epoch FROM o.placed_at) * 1000000)::bigint"
		" FROM order_items oi JOIN order_facts o ON o.id = oi.order_id AND o.sold"
		" JOIN products p ON p.id = oi.product_id JOIN categories c ON c.id = p.category_id"
		" WHERE ($1::text IS NULL OR o.buyer_id::text = $1) AND ($2::text IS NULL OR c.slug = $2)";
	const char *params[2] = { user, category };
	struct db_load l = { d, w };

	return xl_db_each_row(db, sql, 2, params, db_row, &l, err);
}

int xl_recdata_names(struct xl_db *db, const char *const *skus, size_t n, char **names, struct xl_err *err)
{
	static const char sql[] = "SELECT sku, name FROM products WHERE sku = ANY($1::text[])";
	struct xl_buf arr = XL_BUF_INIT;
	const char *params[1];
	PGresult *res = NULL;
	int ret;

	/* A text[] literal: every element quoted, quotes and backslashes escaped. */
	xl_buf_addch(&arr, '{');
	for (size_t i = 0; i < n; i++) {
		xl_buf_adds(&arr, i ? ",\"" : "\"");
		for (const char *c = skus[i]; *c; c++) {
			if (*c == '"' || *c == '\\')
				xl_buf_addch(&arr, '\\');
			xl_buf_addch(&arr, *c);
		}
		xl_buf_addch(&arr, '"');
	}
	xl_buf_addch(&arr, '}');
	params[0] = arr.buf;
	ret = xl_db_exec(db, sql, 1, params, &res, err);
	if (ret == 0) {
		/* The rows matched to the SKUs by hash (a SKU asked twice gets its name twice). */
		struct xl_hash h = XL_HASH_INIT;
		size_t *slot = xl_xmalloc(sizeof(*slot) * (n ? n : 1)), nslots;
		const char **by_slot;

		for (size_t i = 0; i < n; i++)
			slot[i] = xl_hash_str(&h, skus[i], NULL);
		nslots = xl_hash_count(&h);
		by_slot = xl_xcalloc(nslots + 1, sizeof(*by_slot));
		for (int r = 0; r < PQntuples(res); r++) {
			size_t at = xl_hash_str(&h, PQgetvalue(res, r, 0), NULL);

			if (at < nslots)
				by_slot[at] = PQgetvalue(res, r, 1);
		}
		for (size_t i = 0; i < n; i++)
			if (!names[i] && by_slot[slot[i]])
				names[i] = xl_xstrdup(by_slot[slot[i]]);
		free(slot);
		free((void *)by_slot);
		xl_hash_release(&h);
	}
	PQclear(res);
	xl_buf_release(&arr);
	return ret;
}

void xl_recdata_matrix(const struct xl_recdata *d, int64_t until, const int64_t *user_until,
		       const struct xl_recweights *w, struct xl_csr *ui, uint32_t **rows, uint32_t **cols)
{
	size_t nu = xl_hash_count(&d->users), ni = xl_hash_count(&d->items), n = 0;
	uint32_t *urow = xl_xmalloc(sizeof(*urow) * (nu ? nu : 1));
	uint32_t *icol = xl_xmalloc(sizeof(*icol) * (ni ? ni : 1));
	uint32_t *r = xl_xmalloc(sizeof(*r) * (d->n ? d->n : 1));
	uint32_t *c = xl_xmalloc(sizeof(*c) * (d->n ? d->n : 1));
	float *v = xl_xmalloc(sizeof(*v) * (d->n ? d->n : 1));
	uint32_t nrows = 0, ncols = 0;
	double per_us = 0;

	if (w->half_life_days > 0)
		per_us = log(2.0) / (w->half_life_days * (double)XL_TIME_US_PER_DAY);
	memset(urow, 0xff, sizeof(*urow) * nu);
	memset(icol, 0xff, sizeof(*icol) * ni);
	for (size_t a = 0; a < d->n; a++) {
		const struct xl_rec_event *e = &d->ev[a];
		float s = e->strength;
		int64_t cut = user_until ? user_until[e->user] : until;

		if (e->ts != XL_RECDATA_NO_TIME && e->ts >= cut)
			continue;
		if (urow[e->user] == UINT32_MAX)
			urow[e->user] = nrows++;
		if (icol[e->item] == UINT32_MAX)
			icol[e->item] = ncols++;
		if (per_us > 0 && e->ts != XL_RECDATA_NO_TIME && d->max_ts != XL_RECDATA_NO_TIME) {
			int64_t ref = cut != INT64_MAX && cut < d->max_ts ? cut : d->max_ts;

			s *= (float)exp(-per_us * (double)(ref - e->ts));
		}
		r[n] = urow[e->user];
		c[n] = icol[e->item];
		v[n] = s;
		n++;
	}
	xl_csr_build(ui, nrows, ncols, r, c, v, n);
	*rows = xl_xmalloc(sizeof(**rows) * (nrows ? nrows : 1));
	*cols = xl_xmalloc(sizeof(**cols) * (ncols ? ncols : 1));
	for (size_t u = 0; u < nu; u++)
		if (urow[u] != UINT32_MAX)
			(*rows)[urow[u]] = (uint32_t)u;
	for (size_t i = 0; i < ni; i++)
		if (icol[i] != UINT32_MAX)
			(*cols)[icol[i]] = (uint32_t)i;
	free(urow);
	free(icol);
	free(r);
	free(c);
	free(v);
}

void xl_recdata_popular(const struct xl_recdata *d, int64_t window_us, int64_t as_of, int64_t half_life_us,
			float *scores)
{
	int64_t now = as_of != INT64_MAX ? as_of : d->max_ts == XL_RECDATA_NO_TIME ? 0 : d->max_ts + 1;
	double per_us = half_life_us > 0 ? log(2.0) / (double)half_life_us : 0;

	memset(scores, 0, sizeof(float) * xl_hash_count(&d->items));
	for (size_t a = 0; a < d->n; a++) {
		const struct xl_rec_event *e = &d->ev[a];
		double s = e->strength;

		if (e->ts != XL_RECDATA_NO_TIME) {
			if (e->ts >= now || (window_us > 0 && e->ts < now - window_us))
				continue;
			s *= exp(-per_us * (double)(now - e->ts));
		}
		scores[e->item] += (float)s;
	}
}
