/*
 * xlcfi-recommend: implicit-feedback recommendations. `train` fits an ALS
 * model on interactions and purchases (from the database or NDJSON) into
 * a model file; the lookups (for, related, explain, batch) read that file
 * with mmap; `popular` ranks recent items; `eval` holds ALS against a
 * popularity and an item-kNN baseline on one split.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_als.h"
#include "xl_db.h"
#include "xl_exit.h"
#include "xl_hash.h"
#include "xl_jsonl.h"
#include "xl_log.h"
#include "xl_num.h"
#include "xl_opt.h"
#include "xl_progress.h"
#include "xl_rec.h"
#include "xl_recdata.h"
#include "xl_receval.h"
#include "xl_recmodel.h"
#include "xl_recstore.h"
#include "xl_records.h"
#include "xl_time.h"
#include "xl_banned.h"

static const char usage_main[] =
	"usage: xlcfi-recommend [-hqv] [--version] [--dsn dsn] [--log-format fmt] command [arg ...]";

static const char help_main[] =
	"commands:\n"
	"  train     fit an implicit ALS model to interactions and purchases\n"
	"  info      the metadata of a model file\n"
	"  for       top-N items for a user (folded in or popular when unseen)\n"
	"  related   items like an item (cosine on item factors, or co-occurrence)\n"
	"  explain   the past items that make an item score for a user\n"
	"  batch     top-N for every user of a model\n"
	"  popular   recently popular items, time-decayed\n"
	"  eval      ALS against popularity and item-kNN on one split\n"
	"\nSee 'xlcfi-recommend COMMAND --help' and xlcfi-recommend(1).\n";

enum {
	OPT_FACTORS = 0x100, OPT_REG, OPT_ALPHA, OPT_ITERATIONS, OPT_SOLVER, OPT_CG_STEPS, OPT_THREADS, OPT_BLAS_THREADS,
	OPT_SEED, OPT_WEIGHTS, OPT_HALF_LIFE, OPT_FROM_STDIN, OPT_USER, OPT_SKU, OPT_INCLUDE, OPT_COOCCUR,
	OPT_CATEGORY, OPT_WINDOW, OPT_AS_OF, OPT_SPLIT, OPT_LLO, OPT_NEIGHBOURS, OPT_NAMES, OPT_STATS, OPT_TO_DB
};

/* Which subcommands take an option. */
enum { S_TRAIN = 1, S_INFO = 2, S_FOR = 4, S_RELATED = 8, S_EXPLAIN = 16, S_BATCH = 32, S_POPULAR = 64,
       S_EVAL = 128 };

static const struct {
	int opt;
	unsigned subs;
	const char *name;
} opt_subs[] = {
	{ OPT_FACTORS, S_TRAIN | S_EVAL, "--factors" }, { OPT_REG, S_TRAIN | S_EVAL, "--reg" },
	{ OPT_ALPHA, S_TRAIN | S_EVAL, "--alpha" }, { OPT_ITERATIONS, S_TRAIN | S_EVAL, "--iterations" },
	{ OPT_SOLVER, S_TRAIN | S_EVAL, "--solver" }, { OPT_CG_STEPS, S_TRAIN | S_EVAL, "--cg-steps" },
	{ OPT_THREADS, S_TRAIN | S_EVAL, "--threads" }, { OPT_SEED, S_TRAIN | S_EVAL, "--seed" },
	{ OPT_BLAS_THREADS, S_TRAIN | S_EVAL, "--blas-threads" },
	{ OPT_WEIGHTS, S_TRAIN | S_EVAL | S_POPULAR | S_FOR, "--weights" },
	{ OPT_HALF_LIFE, S_TRAIN | S_EVAL | S_POPULAR, "--half-life" },
	{ OPT_FROM_STDIN, S_TRAIN | S_EVAL | S_POPULAR | S_FOR, "--from-stdin" },
	{ OPT_USER, S_FOR | S_EXPLAIN, "--user" }, { OPT_SKU, S_RELATED | S_EXPLAIN, "--sku" },
	{ OPT_INCLUDE, S_FOR | S_BATCH, "--include-purchased" }, { OPT_COOCCUR, S_RELATED, "--cooccur" },
	{ OPT_CATEGORY, S_POPULAR, "--category" }, { OPT_WINDOW, S_POPULAR, "--window" },
	{ OPT_AS_OF, S_POPULAR, "--as-of" }, { OPT_SPLIT, S_EVAL, "--split-date" },
	{ OPT_LLO, S_EVAL, "--leave-last-out" }, { OPT_NEIGHBOURS, S_EVAL, "--neighbours" },
	{ OPT_NAMES, S_FOR | S_RELATED | S_EXPLAIN | S_BATCH | S_POPULAR, "--names" },
	{ OPT_STATS, S_FOR, "--stats" }, { OPT_TO_DB, S_BATCH, "--to-db" }, { 'm', S_INFO | S_FOR | S_RELATED | S_EXPLAIN | S_BATCH, "--model" },
	{ 'o', S_TRAIN, "--output" }, { 'n', S_FOR | S_RELATED | S_EXPLAIN | S_BATCH | S_POPULAR, "-n" },
	{ 'k', S_EVAL, "-k" },
};

static const struct {
	const char *name;
	unsigned bit;
	const char *usage, *help;
} subs[] = {
	{ "train", S_TRAIN,
	  " [--from-stdin] [--alpha a] [--blas-threads n] [--cg-steps n] [--factors n] [--half-life days]"
	  " [--iterations n]"
	  " [--reg r] [--seed s] [--solver cg|cholesky] [--threads n] [--weights spec] -o model [file ...]",
	  "  -o, --output=MODEL      the model file to write (atomically)\n"
	  "      --factors=N         latent factors (default 64)\n"
	  "      --reg=R             regularisation lambda (default 50)\n"
	  "      --alpha=A           confidence = 1 + A * strength (default 5)\n"
	  "      --iterations=N      ALS sweeps (default 15)\n"
	  "      --solver=S          cg (default) or cholesky (exact, slower)\n"
	  "      --cg-steps=N        conjugate-gradient steps per row (default 3)\n"
	  "      --threads=N         solver threads (default: one per CPU)\n"
	  "      --blas-threads=N    solve on one thread with N BLAS threads instead (slower)\n"
	  "      --seed=S            random start (default 42)\n"
	  "      --weights=SPEC      strength per kind (default view=0.1,cart=0.3,purchase=1)\n"
	  "      --half-life=DAYS    halve an interaction's strength every DAYS before the latest\n"
	  "      --from-stdin        read {user, item, weight?, kind?, ts?} records instead of the database\n" },
	{ "info", S_INFO, " -m model", "  -m, --model=MODEL       the model file\n" },
	{ "for", S_FOR,
	  " [--from-stdin] [--include-purchased] [--names] [--stats] [--weights spec] -m model [--user id] [-n n]"
	  " [file ...]",
	  "  -m, --model=MODEL       the model file\n"
	  "      --user=ID           the user (without it: {\"user\":…} records from the files or stdin)\n"
	  "  -n, --limit=N           items per user (default 10)\n"
	  "      --include-purchased also items the user already had\n"
	  "      --from-stdin        fold an unseen user in from {user, item, …} records on stdin\n"
	  "                          (default: from the database, when one is configured)\n"
	  "      --names             add product names from the database\n"
	  "      --stats             lookup latency (median, p99) on stderr at the end\n" },
	{ "related", S_RELATED, " [--cooccur] [--names] -m model --sku sku [-n n]",
	  "  -m, --model=MODEL       the model file\n"
	  "      --sku=SKU           the item\n"
	  "  -n, --limit=N           items (default 10)\n"
	  "      --cooccur           rank by users who had both instead of cosine on factors\n"
	  "      --names             add product names from the database\n" },
	{ "explain", S_EXPLAIN, " [--names] -m model --user id --sku sku [-n n]",
	  "  -m, --model=MODEL       the model file\n"
	  "      --user=ID           the user (seen in training)\n"
	  "      --sku=SKU           the item to explain\n"
	  "  -n, --limit=N           past items (default 10)\n"
	  "      --names             add product names from the database\n" },
	{ "batch", S_BATCH, " [--include-purchased] [--names] [--to-db] -m model [-n n]",
	  "  -m, --model=MODEL       the model file\n"
	  "  -n, --limit=N           items per user (default 20)\n"
	  "      --include-purchased also items the user already had\n"
	  "      --names             add product names from the database\n"
	  "      --to-db             store them as the active model's rec_results (one transaction)\n"
	  "                          and write one summary record instead\n" },
	{ "popular", S_POPULAR,
	  " [--from-stdin] [--names] [--as-of date] [--category slug] [--half-life days] [--weights spec]"
	  " [--window days] [-n n] [file ...]",
	  "  -n, --limit=N           items (default 10)\n"
	  "      --category=SLUG     only this category (records: their \"category\" field)\n"
	  "      --window=DAYS       only the last DAYS days (default 30; 0 = all; '30d' reads too)\n"
	  "      --half-life=DAYS    halve an event's weight every DAYS (default: a third of the window)\n"
	  "      --as-of=DATE        the window ends at the start of the day after DATE (Seoul)\n"
	  "      --weights=SPEC      strength per kind (default view=0.1,cart=0.3,purchase=1)\n"
	  "      --from-stdin        read records instead of the database\n"
	  "      --names             add product names from the database\n" },
	{ "eval", S_EVAL,
	  " [--from-stdin] [--leave-last-out] [--alpha a] [--blas-threads n] [--factors n] [--iterations n]"
	  " [--neighbours n]"
	  " [--reg r] [--seed s] [--solver cg|cholesky] [--split-date date] [--threads n] [--weights spec]"
	  " [-k k] [file ...]",
	  "      --split-date=DATE   test on events from this Seoul day on (or an RFC 3339 instant)\n"
	  "      --leave-last-out    test on each user's last basket instead\n"
	  "  -k K                    the cut-off (default 10)\n"
	  "      --neighbours=N      item-kNN neighbours per item (default 200)\n"
	  "      --factors, --reg, --alpha, --iterations, --solver, --cg-steps, --threads, --blas-threads,\n"
	  "      --seed, --weights, --half-life   as for train\n"
	  "      --from-stdin        read {user, item, ts, weight?, kind?} records instead of the database\n" },
};

#define NSUBS (sizeof(subs) / sizeof(subs[0]))

struct ctx {
	unsigned sub;
	const char *dsn, *model_path, *output, *user, *sku, *category;
	struct xl_als_params als;
	struct xl_recweights w;
	size_t limit;
	int include, cooccur, names, stats, from_stdin, leave_last_out, split_set, to_db;
	int64_t split, as_of, window_us, half_life_us;
	uint32_t k, neighbours;
	char **files;
	size_t nfiles, max_line;
	struct xl_records rec;
	struct xl_db *db;         /* opened on demand */
	struct xl_hash named;     /* --names: the SKUs already asked about, by slot */
	char **name_of;           /* their names by slot (NULL: not in the catalogue) */
};

/* ------------------------------------------------------------ helpers */

static double parse_real(const char *opt, const char *arg, double min)
{
	char *end;
	double v = strtod(arg, &end);

	if (end == arg || *end || !isfinite(v) || v < min)
		xl_die_usage("invalid %s '%s': expected a number of at least %g", opt, arg, min);
	return v;
}

static uint32_t parse_count(const char *opt, const char *arg, int64_t min, int64_t max)
{
	int64_t v;

	if (xl_num_parse_range(arg, min, max, &v) < 0)
		xl_die_usage("invalid %s '%s': expected a whole number from %lld to %lld", opt, arg, (long long)min,
			     (long long)max);
	return (uint32_t)v;
}

/* Days, optionally with a 'd' suffix ("30", "30d", "0.5"), as microseconds. */
static int64_t parse_days(const char *opt, const char *arg)
{
	char buf[64];
	size_t n = strlen(arg);

	if (n == 0 || n >= sizeof(buf))
		xl_die_usage("invalid %s '%s': expected a number of days", opt, arg);
	memcpy(buf, arg, n + 1);
	if (buf[n - 1] == 'd')
		buf[n - 1] = '\0';
	return (int64_t)(parse_real(opt, buf, 0) * (double)XL_TIME_US_PER_DAY);
}

static void die_err(struct ctx *c, struct xl_err *err)
{
	xl_db_close(c->db);
	xl_records_abandon(&c->rec);
	xl_die_err(err);
}

static struct xl_db *db(struct ctx *c)
{
	struct xl_err err = XL_ERR_INIT;

	if (!c->db && xl_db_open(&c->db, c->dsn, &err) < 0)
		die_err(c, &err);
	return c->db;
}

static struct xl_recmodel *open_model(struct ctx *c)
{
	struct xl_recmodel *m = NULL;
	struct xl_err err = XL_ERR_INIT;

	if (!c->model_path)
		xl_die_usage("which model? give -m MODEL");
	if (xl_recmodel_open(&m, c->model_path, &err) < 0)
		die_err(c, &err);
	return m;
}

static json_t *score_json(float s)
{
	return json_real(round((double)s * 1e6) / 1e6);
}

static void write_rec(struct ctx *c, json_t *r)
{
	struct xl_err err = XL_ERR_INIT;
	int ret = xl_records_write(&c->rec, r, &err);

	json_decref(r);
	if (ret < 0)
		die_err(c, &err);
}

/*
 * Add "name" to the records' "item" (or key) from the database, when
 * --names. Each SKU is asked for once a run: a batch of every user asks
 * at most once per item.
 */
static void add_names(struct ctx *c, json_t **recs, size_t n, const char *key)
{
	const char **ask;
	char **got;
	size_t nask = 0, before = xl_hash_count(&c->named);
	struct xl_err err = XL_ERR_INIT;

	if (!c->names || n == 0)
		return;
	ask = xl_xcalloc(n, sizeof(*ask));
	for (size_t i = 0; i < n; i++) {
		int added;
		const char *sku = json_string_value(json_object_get(recs[i], key));

		xl_hash_str(&c->named, sku, &added);
		if (added)
			ask[nask++] = sku;
	}
	c->name_of = xl_xrealloc(c->name_of, sizeof(*c->name_of) * (xl_hash_count(&c->named) + 1));
	got = c->name_of + before;
	memset(got, 0, sizeof(*got) * nask);
	if (nask && xl_recdata_names(db(c), ask, nask, got, &err) < 0) {
		free(ask);
		die_err(c, &err);
	}
	free(ask);
	for (size_t i = 0; i < n; i++) {
		size_t slot = xl_hash_str(&c->named, json_string_value(json_object_get(recs[i], key)), NULL);

		json_object_set_new(recs[i], "name", c->name_of[slot] ? json_string(c->name_of[slot]) : json_null());
	}
}

/* Write n records, named first when asked, and free them. */
static void write_all(struct ctx *c, json_t **recs, size_t n, const char *key)
{
	add_names(c, recs, n, key);
	for (size_t i = 0; i < n; i++)
		write_rec(c, recs[i]);
}

struct load {
	struct ctx *c;
	struct xl_recdata *d;
	const char *only_user;
};

static int load_record(const json_t *r, void *arg, struct xl_err *err)
{
	struct load *l = arg;
	const json_t *v;

	if (l->only_user) {
		char buf[32];
		const char *u = NULL;

		v = json_object_get(r, "user");
		if (json_is_string(v))
			u = json_string_value(v);
		else if (json_is_integer(v) && snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v)) > 0)
			u = buf;
		if (!u || strcmp(u, l->only_user))
			return 0;
	}
	if (l->c->category) {
		v = json_object_get(r, "category");
		if (!json_is_string(v) || strcmp(json_string_value(v), l->c->category))
			return 0;
	}
	return xl_recdata_add_record(l->d, r, &l->c->w, err);
}

/* Gather events from the records (--from-stdin) or the database. */
static void load(struct ctx *c, struct xl_recdata *d, const char *only_user)
{
	struct xl_err err = XL_ERR_INIT;
	int ret;

	if (c->from_stdin) {
		struct xl_jsonl_reader *in = NULL;
		struct load l = { c, d, only_user };

		xl_jsonl_open(&in, c->files, c->nfiles, c->max_line);
		ret = xl_records_each(&c->rec, in, load_record, &l, &err);
		xl_jsonl_close(in);
	} else {
		ret = xl_recdata_load_db(d, db(c), &c->w, only_user, c->category, &err);
	}
	if (ret < 0) {
		xl_recdata_release(d);
		die_err(c, &err);
	}
}

/* ------------------------------------------------------------ train */

struct train_progress {
	struct xl_progress bar;
	FILE *out;
	double seconds;
	uint32_t done, total;
};

static int train_progress(uint32_t it, double loss, double seconds, void *arg)
{
	struct train_progress *p = arg;

	p->seconds += seconds;
	p->done = it;
	if (p->out) {
		fprintf(p->out, "\rxlcfi-recommend: iteration %u/%u, loss %.6g, %.3f s  ", it, p->total, loss,
			seconds);
		if (it == p->total)
			fputc('\n', p->out);
		fflush(p->out);
	}
	xl_debug("iteration %u: %.4f s, loss %.6g", it, seconds, loss);
	return 0;
}

static int cmd_train(struct ctx *c)
{
	struct xl_recdata d = XL_RECDATA_INIT;
	struct xl_csr ui = XL_CSR_INIT;
	uint32_t *rows = NULL, *cols = NULL, k = c->als.factors;
	const char **uids, **iids;
	float *x, *y;
	struct train_progress tp = { .out = xl_progress_stream(), .total = c->als.iterations };
	struct xl_err err = XL_ERR_INIT;
	char params[512];
	int64_t t0;
	json_t *r = NULL;

	if (!c->output)
		xl_die_usage("where to? give -o MODEL");
	load(c, &d, NULL);
	xl_recdata_matrix(&d, INT64_MAX, NULL, &c->w, &ui, &rows, &cols);
	xl_info("%u users, %u items, %llu interactions from %zu events", ui.nrows, ui.ncols,
		(unsigned long long)ui.nnz, d.n);
	x = xl_xmalloc(sizeof(float) * ((size_t)ui.nrows * k + 1));
	y = xl_xmalloc(sizeof(float) * ((size_t)ui.ncols * k + 1));
	t0 = xl_time_mono();
	if (xl_als_train(&ui, &c->als, x, y, tp.out != NULL || xl_log_level() >= XL_LOG_DEBUG, train_progress, &tp,
			 &err) < 0)
		goto fail;
	uids = xl_xmalloc(sizeof(*uids) * (ui.nrows + 1));
	iids = xl_xmalloc(sizeof(*iids) * (ui.ncols + 1));
	for (uint32_t u = 0; u < ui.nrows; u++)
		uids[u] = xl_hash_skey(&d.users, rows[u]);
	for (uint32_t i = 0; i < ui.ncols; i++)
		iids[i] = xl_hash_skey(&d.items, cols[i]);
	snprintf(params, sizeof(params),
		 "{\"weights\":{\"view\":%g,\"cart\":%g,\"purchase\":%g},\"half_life_days\":%g,"
		 "\"source\":\"%s\",\"threads\":%u}",
		 c->w.view, c->w.cart, c->w.purchase, c->w.half_life_days, c->from_stdin ? "records" : "database",
		 xl_als_threads(&c->als));
	{
		struct xl_recmodel_data md = {
			.params = &c->als, .nusers = ui.nrows, .nitems = ui.ncols, .user_ids = uids,
			.item_ids = iids, .user_factors = x, .item_factors = y, .ui = &ui,
			.trained_at = xl_time_now(), .train_seconds = tp.seconds, .params_json = params,
		};
		int ret = xl_recmodel_write(c->output, &md, &err);

		free(uids);
		free(iids);
		if (ret < 0)
			goto fail;
	}
	r = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f}", "model", c->output, "users", (json_int_t)ui.nrows,
		      "items", (json_int_t)ui.ncols, "nnz", (json_int_t)ui.nnz, "factors", (json_int_t)k,
		      "iterations", (json_int_t)tp.done, "seconds",
		      round(tp.seconds * 1e4) / 1e4, "seconds_per_iteration",
		      tp.done ? round(tp.seconds / tp.done * 1e5) / 1e5 : 0.0);
	json_object_set_new(r, "total_seconds", json_real(round((double)(xl_time_mono() - t0) / 1e2) / 1e4));
fail:
	free(x);
	free(y);
	free(rows);
	free(cols);
	xl_csr_release(&ui);
	xl_recdata_release(&d);
	if (!r)
		die_err(c, &err);
	write_rec(c, r);
	return 0;
}

/* ------------------------------------------------------------ info */

static int cmd_info(struct ctx *c)
{
	struct xl_recmodel *m = open_model(c);
	const struct xl_recmodel_info *in = xl_recmodel_info(m);
	char when[XL_TIME_BUFSZ];
	json_error_t jerr;
	json_t *r, *params = json_loads(in->params_json, 0, &jerr);

	xl_time_format(when, sizeof(when), in->trained_at, 0, 0);
	r = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:I, s:s, s:I, s:I, s:s, s:f, s:I}",
		      "model", c->model_path, "kind", "als", "version", (json_int_t)in->version,
		      "factors", (json_int_t)in->factors, "users", (json_int_t)in->nusers,
		      "items", (json_int_t)in->nitems, "nnz", (json_int_t)in->nnz,
		      "reg", round((double)in->reg * 1e6) / 1e6, "alpha", round((double)in->alpha * 1e6) / 1e6,
		      "iterations", (json_int_t)in->iterations,
		      "solver", in->solver == XL_ALS_CHOLESKY ? "cholesky" : "cg", "cg_steps", (json_int_t)in->cg_steps,
		      "seed", (json_int_t)in->seed, "trained_at", when,
		      "train_seconds", round(in->train_seconds * 1e4) / 1e4, "bytes", (json_int_t)in->file_size);
	if (params)
		json_object_set_new(r, "params", params);
	xl_recmodel_close(m);
	write_rec(c, r);
	return 0;
}

/* ------------------------------------------------------------ for */

struct lookup {
	struct xl_recmodel *m;
	float *scores, *x;
	struct xl_rec_hit *hits;
};

/*
 * The user's hits: from the model, folded in from their interactions, or
 * popular. *source says which. Returns the number of hits.
 */
static size_t lookup_user(struct ctx *c, struct lookup *lk, const char *user, const char **source)
{
	const struct xl_recmodel_info *in = xl_recmodel_info(lk->m);
	struct xl_recdata d = XL_RECDATA_INIT;
	struct xl_csr one = XL_CSR_INIT;
	struct xl_err err = XL_ERR_INIT;
	const uint32_t *ex = NULL;
	const float *rv;
	size_t nex = 0, got;
	uint32_t u;

	if (xl_recmodel_find_user(lk->m, user, &u) == 0) {
		nex = xl_recmodel_user_items(lk->m, u, &ex, &rv);
		xl_rec_score(xl_recmodel_item_factors(lk->m), in->nitems, in->factors,
			     xl_recmodel_user_factors(lk->m) + (size_t)u * in->factors, lk->scores);
		*source = "model";
		goto top;
	}
	/* Unseen: fold in from what the user did (stdin or the database, when one is configured). */
	if (c->from_stdin || c->dsn || getenv("XLCFI_DSN") || getenv("PGDATABASE") || getenv("PGHOST"))
		load(c, &d, user);
	if (d.n > 0) {
		uint32_t *row = xl_xcalloc(d.n, sizeof(uint32_t)), *col = xl_xmalloc(sizeof(uint32_t) * d.n);
		float *val = xl_xmalloc(sizeof(float) * d.n);
		size_t n = 0;

		for (size_t a = 0; a < d.n; a++)
			if (xl_recmodel_find_item(lk->m, xl_hash_skey(&d.items, d.ev[a].item), &col[n]) == 0)
				val[n++] = d.ev[a].strength;
		/* Repeats summed, items sorted: a one-row matrix. */
		xl_csr_build(&one, 1, in->nitems, row, col, val, n);
		free(row);
		free(col);
		free(val);
	}
	xl_recdata_release(&d);
	if (one.nnz > 0 && xl_als_fold_in(xl_recmodel_item_factors(lk->m), xl_recmodel_gram(lk->m), in->factors,
					  in->reg, in->alpha, one.indices, one.data, one.nnz, lk->x, &err) == 0) {
		ex = one.indices;
		nex = one.nnz;
		xl_rec_score(xl_recmodel_item_factors(lk->m), in->nitems, in->factors, lk->x, lk->scores);
		*source = "folded-in";
	} else {
		if (one.nnz > 0)
			xl_warn("user '%s': %s; popular items instead", user, err.msg);
		memcpy(lk->scores, xl_recmodel_popularity(lk->m), sizeof(float) * in->nitems);
		*source = "popularity";
	}
top:
	got = xl_rec_top(lk->scores, in->nitems, c->include ? NULL : ex, c->include ? 0 : nex, NULL, c->limit,
			 lk->hits);
	xl_csr_release(&one);
	return got;
}

static json_t *hit_record(const char *user_key, const char *user, const char *item, uint32_t rank, float score,
			  const char *source)
{
	json_t *r = json_object();

	if (user_key)
		json_object_set_new(r, user_key, json_string(user));
	json_object_set_new(r, "item", json_string(item));
	json_object_set_new(r, "rank", json_integer(rank));
	json_object_set_new(r, "score", score_json(score));
	if (source)
		json_object_set_new(r, "source", json_string(source));
	return r;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void emit_user(struct ctx *c, struct lookup *lk, const char *user, size_t got, const char *source)
{
	json_t **recs = xl_xmalloc(sizeof(*recs) * (got + 1));

	for (size_t h = 0; h < got; h++)
		recs[h] = hit_record("user", user, xl_recmodel_item_id(lk->m, lk->hits[h].item), (uint32_t)h + 1,
				     lk->hits[h].score, source);
	write_all(c, recs, got, "item");
	free(recs);
}

static int cmd_for(struct ctx *c)
{
	struct lookup lk = { .m = open_model(c) };
	const struct xl_recmodel_info *in = xl_recmodel_info(lk.m);
	double *lat = NULL;
	size_t nlat = 0, caplat = 0;

	lk.scores = xl_xmalloc(sizeof(float) * (in->nitems + 1));
	lk.x = xl_xmalloc(sizeof(float) * in->factors);
	lk.hits = xl_xmalloc(sizeof(*lk.hits) * (c->limit + 1));
	if (c->user) {
		const char *source;
		size_t got;

		got = lookup_user(c, &lk, c->user, &source);
		emit_user(c, &lk, c->user, got, source);
	} else {
		struct xl_jsonl_reader *rd = NULL;
		struct xl_err err = XL_ERR_INIT;
		json_t *r;
		int ret;

		if (c->from_stdin)
			xl_die_usage("--from-stdin folds one --user in; give --user");
		xl_jsonl_open(&rd, c->files, c->nfiles, c->max_line);
		while ((ret = xl_records_next(&c->rec, rd, &r, &err)) == 1) {
			const json_t *v = json_object_get(r, "user");
			char buf[32];
			const char *user = NULL, *source;
			int64_t t0;
			size_t got;

			if (json_is_string(v))
				user = json_string_value(v);
			else if (json_is_integer(v))
				snprintf(buf, sizeof(buf), "%lld", (long long)json_integer_value(v)), user = buf;
			if (!user) {
				ret = xl_records_refuse(&c->rec, rd, "missing field 'user' (a string or an integer)", r, &err);
				json_decref(r);
				if (ret < 0)
					break;
				continue;
			}
			t0 = xl_time_mono();
			got = lookup_user(c, &lk, user, &source);
			if (c->stats) {
				if (nlat == caplat) {
					caplat = caplat ? caplat * 2 : 1024;
					lat = xl_xrealloc(lat, caplat * sizeof(*lat));
				}
				lat[nlat++] = (double)(xl_time_mono() - t0);
			}
			emit_user(c, &lk, user, got, source);
			json_decref(r);
		}
		xl_jsonl_close(rd);
		if (ret < 0) {
			free(lat);
			die_err(c, &err);
		}
	}
	if (c->stats && nlat) {
		qsort(lat, nlat, sizeof(*lat), cmp_double);
		xl_log_msg(XL_LOG_WARN, NULL, "lookups n=%zu median_us=%.1f p99_us=%.1f max_us=%.1f", nlat,
			   lat[nlat / 2], lat[(size_t)((double)(nlat - 1) * 0.99)], lat[nlat - 1]);
	}
	free(lat);
	free(lk.scores);
	free(lk.x);
	free(lk.hits);
	xl_recmodel_close(lk.m);
	return 0;
}

/* ------------------------------------------------------------ related */

static int cmd_related(struct ctx *c)
{
	struct xl_recmodel *m = open_model(c);
	const struct xl_recmodel_info *in = xl_recmodel_info(m);
	float *scores = xl_xmalloc(sizeof(float) * (in->nitems + 1));
	struct xl_rec_hit *hits = xl_xmalloc(sizeof(*hits) * (c->limit + 1));
	json_t **recs = xl_xmalloc(sizeof(*recs) * (c->limit + 1));
	uint32_t j, self[1];
	size_t got;

	if (!c->sku)
		xl_die_usage("which item? give --sku SKU");
	if (xl_recmodel_find_item(m, c->sku, &j) < 0) {
		xl_recmodel_close(m);
		free(scores);
		free(hits);
		free(recs);
		xl_records_abandon(&c->rec);
		xl_die(XL_EXIT_DATAERR, "item '%s' is not in the model", c->sku);
	}
	if (c->cooccur) {
		/* The transpose of the training matrix, built for this one question. */
		struct xl_csr ui, iu = XL_CSR_INIT;

		xl_recmodel_matrix(m, &ui);
		xl_csr_transpose(&ui, &iu);
		xl_rec_cooccur(ui.indptr, ui.indices, iu.indptr, iu.indices, in->nitems, j, scores);
		xl_csr_release(&iu);
	} else {
		xl_rec_cosine(xl_recmodel_item_factors(m), xl_recmodel_item_norms(m), in->nitems, in->factors, j, scores);
	}
	self[0] = j;
	got = xl_rec_top(scores, in->nitems, self, 1, NULL, c->limit, hits);
	for (size_t h = 0; h < got; h++)
		recs[h] = hit_record("sku", c->sku, xl_recmodel_item_id(m, hits[h].item), (uint32_t)h + 1,
				     hits[h].score, NULL);
	write_all(c, recs, got, "item");
	free(recs);
	free(scores);
	free(hits);
	xl_recmodel_close(m);
	return 0;
}

/* ------------------------------------------------------------ explain */

static int cmd_explain(struct ctx *c)
{
	struct xl_recmodel *m = open_model(c);
	const struct xl_recmodel_info *in = xl_recmodel_info(m);
	const uint32_t *items;
	const float *rv;
	struct xl_err err = XL_ERR_INIT;
	uint32_t u, j;
	size_t n, got;
	float *contrib;
	struct xl_rec_hit *hits;
	json_t **recs;

	if (!c->user || !c->sku)
		xl_die_usage("explain needs --user and --sku");
	if (xl_recmodel_find_user(m, c->user, &u) < 0 || xl_recmodel_find_item(m, c->sku, &j) < 0) {
		const char *what = xl_recmodel_find_user(m, c->user, &u) < 0 ? "user" : "item";

		xl_recmodel_close(m);
		xl_records_abandon(&c->rec);
		xl_die(XL_EXIT_DATAERR, "%s '%s' is not in the model", what, *what == 'u' ? c->user : c->sku);
	}
	n = xl_recmodel_user_items(m, u, &items, &rv);
	contrib = xl_xmalloc(sizeof(float) * (n + 1));
	if (xl_als_explain(xl_recmodel_item_factors(m), xl_recmodel_gram(m), in->factors, in->reg, in->alpha, items,
			   rv, n, j, contrib, &err) < 0) {
		free(contrib);
		xl_recmodel_close(m);
		die_err(c, &err);
	}
	/* Rank the past items by contribution: their positions as "items". */
	hits = xl_xmalloc(sizeof(*hits) * (c->limit + 1));
	recs = xl_xmalloc(sizeof(*recs) * (c->limit + 1));
	got = xl_rec_top(contrib, (uint32_t)n, NULL, 0, NULL, c->limit, hits);
	for (size_t h = 0; h < got; h++) {
		recs[h] = hit_record("user", c->user, xl_recmodel_item_id(m, items[hits[h].item]), (uint32_t)h + 1,
				     hits[h].score, NULL);
		json_object_set_new(recs[h], "sku", json_string(c->sku));
		json_object_set_new(recs[h], "strength", score_json(rv[hits[h].item]));
	}
	write_all(c, recs, got, "item");
	free(hits);
	free(recs);
	free(contrib);
	xl_recmodel_close(m);
	return 0;
}

/* ------------------------------------------------------------ batch */

struct batch {
	struct ctx *c;
	struct xl_recmodel *m;
	struct xl_recstore *store;   /* --to-db */
	struct xl_err err;
};

static int batch_user(uint32_t u, const struct xl_rec_hit *hits, size_t n, void *arg)
{
	struct batch *b = arg;
	json_t **recs;

	if (b->store) {
		for (size_t h = 0; h < n; h++)
			if (xl_recstore_add(b->store, xl_recmodel_user_id(b->m, u), xl_recmodel_item_id(b->m, hits[h].item),
					    (uint32_t)h + 1, round((double)hits[h].score * 1e6) / 1e6, &b->err) < 0)
				return -1;
		return 0;
	}
	recs = xl_xmalloc(sizeof(*recs) * (n + 1));
	for (size_t h = 0; h < n; h++)
		recs[h] = hit_record("user", xl_recmodel_user_id(b->m, u), xl_recmodel_item_id(b->m, hits[h].item),
				     (uint32_t)h + 1, hits[h].score, NULL);
	write_all(b->c, recs, n, "item");
	free(recs);
	return 0;
}

static int cmd_batch(struct ctx *c)
{
	struct batch b = { c, open_model(c), NULL, XL_ERR_INIT };
	const struct xl_recmodel_info *in = xl_recmodel_info(b.m);
	struct xl_csr had;
	int64_t model_id = 0;
	uint64_t rows = 0;
	int ret;

	xl_recmodel_matrix(b.m, &had);
	if (c->to_db) {
		char params[256];

		snprintf(params, sizeof(params), "{\"model\":\"%s\",\"factors\":%u,\"n\":%zu}",
			 strchr(c->model_path, '"') || strchr(c->model_path, '\\') ? "?" : c->model_path, in->factors,
			 c->limit);
		if (xl_recstore_begin(&b.store, db(c), "als", params, in->params_json, &b.err) < 0)
			goto fail;
	}
	ret = xl_rec_batch(xl_recmodel_user_factors(b.m), in->nusers, xl_recmodel_item_factors(b.m), in->nitems,
			   in->factors, c->include ? NULL : had.indptr, had.indices, c->limit, batch_user, &b);
	if (ret < 0)
		goto fail;
	if (b.store) {
		struct xl_recstore *s = b.store;

		b.store = NULL;
		if (xl_recstore_commit(s, &model_id, &rows, &b.err) < 0)
			goto fail;
		write_rec(c, json_pack("{s:I, s:s, s:I, s:I}", "model_id", (json_int_t)model_id, "kind", "als",
				       "users", (json_int_t)in->nusers, "rows", (json_int_t)rows));
	}
	xl_recmodel_close(b.m);
	return 0;
fail:
	xl_recstore_abort(b.store);
	xl_recmodel_close(b.m);
	if (b.err.code == XL_EINVAL) {
		xl_db_close(c->db);
		xl_records_abandon(&c->rec);
		xl_die(XL_EXIT_DATAERR, "%s", b.err.msg);
	}
	die_err(c, &b.err);
	return -1;
}

/* ------------------------------------------------------------ popular */

static int cmd_popular(struct ctx *c)
{
	struct xl_recdata d = XL_RECDATA_INIT;
	size_t ni;
	float *scores;
	struct xl_rec_hit *hits = xl_xmalloc(sizeof(*hits) * (c->limit + 1));
	json_t **recs = xl_xmalloc(sizeof(*recs) * (c->limit + 1));
	int64_t half = c->half_life_us >= 0 ? c->half_life_us : c->window_us / 3;
	size_t got;

	load(c, &d, NULL);
	ni = xl_hash_count(&d.items);
	scores = xl_xmalloc(sizeof(float) * (ni + 1));
	xl_recdata_popular(&d, c->window_us, c->as_of, half, scores);
	got = xl_rec_top(scores, (uint32_t)ni, NULL, 0, NULL, c->limit, hits);
	/* Items with nothing in the window are not popular. */
	while (got > 0 && hits[got - 1].score <= 0)
		got--;
	for (size_t h = 0; h < got; h++)
		recs[h] = hit_record(NULL, NULL, xl_hash_skey(&d.items, hits[h].item), (uint32_t)h + 1, hits[h].score,
				     NULL);
	write_all(c, recs, got, "item");
	free(recs);
	free(hits);
	free(scores);
	xl_recdata_release(&d);
	return 0;
}

/* ------------------------------------------------------------ eval */

static int cmd_eval(struct ctx *c)
{
	struct xl_recdata d = XL_RECDATA_INIT;
	struct xl_receval_result res[XL_RECEVAL_NMODELS];
	struct xl_receval_opts o = { .k = c->k, .split = c->split, .leave_last_out = c->leave_last_out,
				     .neighbours = c->neighbours, .als = c->als, .w = c->w };
	struct train_progress tp = { .out = xl_progress_stream(), .total = c->als.iterations };
	struct xl_err err = XL_ERR_INIT;

	if (!c->split_set && !c->leave_last_out)
		xl_die_usage("eval needs --split-date DATE or --leave-last-out");
	if (c->split_set && c->leave_last_out)
		xl_die_usage("--split-date and --leave-last-out exclude each other");
	load(c, &d, NULL);
	if (xl_receval_run(&d, &o, tp.out ? train_progress : NULL, &tp, res, &err) < 0) {
		xl_recdata_release(&d);
		if (err.code == XL_EINVAL) {
			xl_records_abandon(&c->rec);
			xl_die(XL_EXIT_DATAERR, "%s", err.msg);
		}
		die_err(c, &err);
	}
	for (int m = 0; m < XL_RECEVAL_NMODELS; m++) {
		json_t *r = json_object();
		char key[32];

		json_object_set_new(r, "model", json_string(res[m].model));
#define METRIC(name, v)                                                        \
	snprintf(key, sizeof(key), "%s@%u", name, c->k);                       \
	json_object_set_new(r, key, json_real(round((v) * 1e4) / 1e4))
		METRIC("precision", res[m].precision);
		METRIC("recall", res[m].recall);
		METRIC("map", res[m].map);
		METRIC("ndcg", res[m].ndcg);
#undef METRIC
		json_object_set_new(r, "coverage", json_real(round(res[m].coverage * 1e4) / 1e4));
		json_object_set_new(r, "users", json_integer(res[m].users));
		json_object_set_new(r, "train_users", json_integer(res[m].train_users));
		json_object_set_new(r, "train_items", json_integer(res[m].train_items));
		write_rec(c, r);
	}
	xl_recdata_release(&d);
	return 0;
}

/* ------------------------------------------------------------ main */

static int sub_main(size_t which, int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "factors", required_argument, NULL, OPT_FACTORS },
		{ "reg", required_argument, NULL, OPT_REG },
		{ "alpha", required_argument, NULL, OPT_ALPHA },
		{ "iterations", required_argument, NULL, OPT_ITERATIONS },
		{ "solver", required_argument, NULL, OPT_SOLVER },
		{ "cg-steps", required_argument, NULL, OPT_CG_STEPS },
		{ "threads", required_argument, NULL, OPT_THREADS },
		{ "blas-threads", required_argument, NULL, OPT_BLAS_THREADS },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "weights", required_argument, NULL, OPT_WEIGHTS },
		{ "half-life", required_argument, NULL, OPT_HALF_LIFE },
		{ "from-stdin", no_argument, NULL, OPT_FROM_STDIN },
		{ "user", required_argument, NULL, OPT_USER },
		{ "sku", required_argument, NULL, OPT_SKU },
		{ "include-purchased", no_argument, NULL, OPT_INCLUDE },
		{ "cooccur", no_argument, NULL, OPT_COOCCUR },
		{ "category", required_argument, NULL, OPT_CATEGORY },
		{ "window", required_argument, NULL, OPT_WINDOW },
		{ "as-of", required_argument, NULL, OPT_AS_OF },
		{ "split-date", required_argument, NULL, OPT_SPLIT },
		{ "leave-last-out", no_argument, NULL, OPT_LLO },
		{ "neighbours", required_argument, NULL, OPT_NEIGHBOURS },
		{ "names", no_argument, NULL, OPT_NAMES },
		{ "stats", no_argument, NULL, OPT_STATS },
		{ "to-db", no_argument, NULL, OPT_TO_DB },
		{ "model", required_argument, NULL, 'm' },
		{ "output", required_argument, NULL, 'o' },
		{ "limit", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	char usage[1024], name[64];
	struct xl_opt o = { .usage = usage, .help = subs[which].help, .shortopts = "k:m:n:o:", .longopts = longopts,
			    .flags = XL_OPT_DB | XL_OPT_RECORDS };
	struct ctx c = { .sub = subs[which].bit, .als = XL_ALS_PARAMS_INIT, .w = XL_RECWEIGHTS_INIT, .limit = 10,
			 .k = 10, .neighbours = 200, .as_of = INT64_MAX, .window_us = 30 * XL_TIME_US_PER_DAY,
			 .half_life_us = -1 };
	struct xl_err err = XL_ERR_INIT;
	int opt, status;

	snprintf(usage, sizeof(usage), "usage: xlcfi-recommend %s [-hqv] [--dsn dsn]%s", subs[which].name,
		 subs[which].usage);
	snprintf(name, sizeof(name), "xlcfi-recommend %s", subs[which].name);
	xl_log_set_help_name(name);
	if (c.sub == S_BATCH)
		c.limit = 20;
	optind = 0;
	while ((opt = xl_opt_next(&o, argc, argv)) != -1) {
		struct xl_err perr = XL_ERR_INIT;

		for (size_t i = 0; i < sizeof(opt_subs) / sizeof(opt_subs[0]); i++)
			if (opt_subs[i].opt == opt && !(opt_subs[i].subs & c.sub))
				xl_die_usage("%s does not work with %s", opt_subs[i].name, subs[which].name);
		switch (opt) {
		case OPT_FACTORS: c.als.factors = parse_count("--factors", optarg, 1, 1024); break;
		case OPT_REG: c.als.reg = (float)parse_real("--reg", optarg, 0); break;
		case OPT_ALPHA: c.als.alpha = (float)parse_real("--alpha", optarg, 0); break;
		case OPT_ITERATIONS: c.als.iterations = parse_count("--iterations", optarg, 1, 1000); break;
		case OPT_CG_STEPS: c.als.cg_steps = parse_count("--cg-steps", optarg, 1, 100); break;
		case OPT_THREADS: c.als.threads = parse_count("--threads", optarg, 1, 64); break;
		case OPT_BLAS_THREADS: c.als.blas_threads = parse_count("--blas-threads", optarg, 1, 64); break;
		case OPT_SEED: c.als.seed = parse_count("--seed", optarg, 0, UINT32_MAX); break;
		case OPT_SOLVER:
			if (!strcmp(optarg, "cg"))
				c.als.solver = XL_ALS_CG;
			else if (!strcmp(optarg, "cholesky"))
				c.als.solver = XL_ALS_CHOLESKY;
			else
				xl_die_usage("invalid --solver '%s': expected cg or cholesky", optarg);
			break;
		case OPT_WEIGHTS:
			if (xl_recweights_parse(&c.w, optarg, &perr) < 0)
				xl_die_usage("invalid --weights: %s", perr.msg);
			break;
		case OPT_HALF_LIFE:
			c.half_life_us = parse_days("--half-life", optarg);
			c.w.half_life_days = (double)c.half_life_us / (double)XL_TIME_US_PER_DAY;
			break;
		case OPT_WINDOW: c.window_us = parse_days("--window", optarg); break;
		case OPT_AS_OF: c.as_of = xl_time_seoul_day_start(xl_date_from_days(xl_opt_day("--as-of", optarg) + 1)); break;
		case OPT_SPLIT:
			if (strlen(optarg) == 10)
				c.split = xl_time_seoul_day_start(xl_date_from_days(xl_opt_day("--split-date", optarg)));
			else if (xl_time_parse(optarg, &c.split, &perr) < 0)
				xl_die_usage("invalid --split-date '%s': %s", optarg, perr.msg);
			c.split_set = 1;
			break;
		case OPT_LLO: c.leave_last_out = 1; break;
		case OPT_NEIGHBOURS: c.neighbours = parse_count("--neighbours", optarg, 1, 100000); break;
		case OPT_FROM_STDIN: c.from_stdin = 1; break;
		case OPT_USER: c.user = optarg; break;
		case OPT_SKU: c.sku = optarg; break;
		case OPT_INCLUDE: c.include = 1; break;
		case OPT_COOCCUR: c.cooccur = 1; break;
		case OPT_CATEGORY: c.category = optarg; break;
		case OPT_NAMES: c.names = 1; break;
		case OPT_STATS: c.stats = 1; break;
		case OPT_TO_DB: c.to_db = 1; break;
		case 'm': c.model_path = optarg; break;
		case 'o': c.output = optarg; break;
		case 'n': c.limit = parse_count("-n", optarg, 1, 100000); break;
		case 'k': c.k = parse_count("-k", optarg, 1, 100000); break;
		}
	}
	xl_opt_release(&o);
	c.dsn = o.dsn ? o.dsn : dsn;
	c.max_line = o.max_line;
	c.files = argv + optind;
	c.nfiles = (size_t)(argc - optind);
	if (c.nfiles && !c.from_stdin && !(c.sub == S_FOR && !c.user))
		xl_die_usage("files are read with --from-stdin only");
	if (xl_records_open(&c.rec, o.rejects_path, o.max_errors, &err) < 0)
		xl_die_err(&err);
	c.rec.say = xl_log_record;
	switch (c.sub) {
	case S_TRAIN: cmd_train(&c); break;
	case S_INFO: cmd_info(&c); break;
	case S_FOR: cmd_for(&c); break;
	case S_RELATED: cmd_related(&c); break;
	case S_EXPLAIN: cmd_explain(&c); break;
	case S_BATCH: cmd_batch(&c); break;
	case S_POPULAR: cmd_popular(&c); break;
	case S_EVAL: cmd_eval(&c); break;
	}
	xl_db_close(c.db);
	for (size_t i = 0; i < xl_hash_count(&c.named); i++)
		free(c.name_of[i]);
	free(c.name_of);
	xl_hash_release(&c.named);
	status = xl_records_close(&c.rec, &err);
	if (err.code)
		xl_error("%s", err.msg);
	return status;
}

int main(int argc, char **argv)
{
	struct xl_opt o = { .usage = usage_main, .help = help_main, .flags = XL_OPT_DB };
	const char *cmd;

	xl_log_init(argv[0]);
	cmd = xl_opt_command(&o, argc, argv);
	argc -= optind;
	argv += optind;
	for (size_t i = 0; i < NSUBS; i++)
		if (!strcmp(cmd, subs[i].name))
			xl_exit(sub_main(i, argc, argv, o.dsn));
	xl_die_usage("'%s' is not a command", cmd);
	return XL_EXIT_USAGE;
}
