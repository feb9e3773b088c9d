/*
 * xlcfi-order: orders from request to delivery. create reads order
 * requests as NDJSON and writes order records; the moves (prepare, ship,
 * deliver, cancel, request-return, return) take order ids as operands or
 * order records on stdin and write one transition record each; expire is
 * for cron; show, status and list read.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_db.h"
#include "xl_exit.h"
#include "xl_jsonl.h"
#include "xl_log.h"
#include "xl_num.h"
#include "xl_opt.h"
#include "xl_order.h"
#include "xl_pay.h"
#include "xl_records.h"
#include "xl_review.h"
#include "xl_banned.h"

static const char usage_main[] =
	"usage: xlcfi-order [-hqv] [--version] [--dsn dsn] [--log-format fmt] command [arg ...]";

static const char help_main[] =
	"commands:\n"
	"  create          order requests (NDJSON) into pending orders, stock reserved\n"
	"  show            order records by id\n"
	"  status          an order's status and its history\n"
	"  list            order records, newest first\n"
	"  prepare         paid -> preparing\n"
	"  ship            preparing -> shipped, with a tracking number\n"
	"  deliver         shipped -> delivered\n"
	"  cancel          pending, paid or preparing -> cancelled; the stock goes back, a payment is refunded\n"
	"  request-return  delivered -> return_requested\n"
	"  return          return_requested -> returned\n"
	"  expire          pending orders older than a TTL -> expired; the stock goes back\n"
	"  review          add, list and report product reviews\n"
	"\nSee 'xlcfi-order COMMAND --help' and xlcfi-order(1).\n";

static const char usage_create[] =
	"usage: xlcfi-order create [-hqv] [--dsn dsn] [--free-shipping-from n] [--max-errors n] "
	"[--max-line size] [--rejects file] [--shipping-fee n] [file ...]";

static const char help_create[] =
	"      --shipping-fee=N    shipping fee of KRW orders, in won (default 3000)\n"
	"      --free-shipping-from=N  KRW orders from N won ship free (default 50000)\n";

static const char usage_show[] = "usage: xlcfi-order show [-hqv] [--dsn dsn] [order_id ...]";
static const char usage_status[] = "usage: xlcfi-order status [-hqv] [--dsn dsn] [order_id ...]";

static const char usage_list[] =
	"usage: xlcfi-order list [-hqv] [--dsn dsn] [--limit n] [--since time] [--status status] "
	"[--user id]";

static const char help_list[] =
	"      --user=ID           only this buyer's orders\n"
	"      --status=STATUS     only orders in this status\n"
	"      --since=TIME        only orders placed from TIME (RFC 3339, or Seoul local time)\n"
	"      --limit=N           at most N orders\n";

static const char usage_move[] =
	"usage: xlcfi-order %s [-hqv] [--actor id] [--dsn dsn] [--max-errors n] [--max-line size] "
	"[--reason text] [--rejects file]%s [order_id ...]";

static const char help_move[] =
	"      --actor=ID          the user who acts (recorded in the history)\n"
	"      --reason=TEXT       why (recorded in the history and the event; cancel: the refund's reason)\n"
	"      --tracking=NO       the parcel's tracking number (ship)\n"
	"Without order ids, order records (anything with \"order_id\") are read from stdin.\n";

static const char usage_expire[] =
	"usage: xlcfi-order expire [-hqv] [--dsn dsn] [--limit n] [--ttl duration]";

static const char help_expire[] =
	"      --ttl=DURATION      age of a pending order that expires: 30m (default), 2h, 1d, 90s\n"
	"      --limit=N           expire at most N orders\n";

static const char usage_review[] =
	"usage: xlcfi-order review [-hqv] [--dsn dsn] command [arg ...]";

static const char help_review[] =
	"commands:\n"
	"  add     reviews (NDJSON) by buyers of delivered items, one per item\n"
	"  list    the visible reviews of a product, newest first\n"
	"  report  report a review; three different users hide it\n";

static const char usage_review_add[] =
	"usage: xlcfi-order review add [-hqv] [--dsn dsn] [--max-errors n] [--max-line size] "
	"[--rejects file] [file ...]";

static const char usage_review_list[] =
	"usage: xlcfi-order review list [-hqv] [--dsn dsn] [--limit n] --sku sku";

static const char help_review_list[] =
	"      --sku=SKU           the product\n"
	"      --limit=N           at most N reviews\n";

static const char usage_review_report[] =
	"usage: xlcfi-order review report [-hqv] [--dsn dsn] [--reason text] --id review_id --user id";

static const char help_review_report[] =
	"      --id=ID             the review\n"
	"      --user=ID           the user who reports it\n"
	"      --reason=TEXT       why\n";

enum {
	OPT_FEE = 0x100, OPT_FREE_FROM, OPT_USER, OPT_STATUS, OPT_SINCE, OPT_LIMIT, OPT_ACTOR, OPT_REASON,
	OPT_TRACKING, OPT_TTL, OPT_SKU, OPT_ID
};

/* The output of every subcommand: records, rejects, exit status. */
struct run {
	struct xl_records rec;
};

static void run_start(struct run *r, const struct xl_opt *o)
{
	struct xl_err err = XL_ERR_INIT;

	if (xl_records_open(&r->rec, o->rejects_path, o->max_errors, &err) < 0)
		xl_die_err(&err);
	r->rec.say = xl_log_record;
}

static int run_finish(struct run *r)
{
	struct xl_err err = XL_ERR_INIT;
	int status = xl_records_close(&r->rec, &err);

	if (err.code)
		xl_error("%s", err.msg);
	return status;
}

/* A failure that is not the record's: say it, and stop with its status. */
static void run_fail(struct run *r, const struct xl_err *err)
{
	xl_records_abandon(&r->rec);
	xl_die_err(err);
}

/*
 * A refused record: named on stderr with its position and kept in the
 * rejects file. 0 to go on, -1 when --max-errors is passed.
 */
static int run_reject(struct run *r, const char *file, uint64_t line, const char *msg,
		      const json_t *record, const char *raw, size_t rawlen)
{
	struct xl_err err = XL_ERR_INIT;
	int ret = xl_records_reject(&r->rec, file, line, msg, record, raw, rawlen, &err);

	if (ret == -XL_ETOOBIG) {
		xl_error("%s", err.msg);
		return -1;
	}
	if (ret < 0)
		run_fail(r, &err);
	return 0;
}

/* A refusal of the record read last from in, as run_reject. */
static int run_refuse(struct run *r, const struct xl_jsonl_reader *in, const char *msg, const json_t *record)
{
	size_t rawlen = 0;
	const char *raw = record ? NULL : xl_jsonl_raw(in, &rawlen);

	return run_reject(r, xl_jsonl_file(in), xl_jsonl_line(in), msg, record, raw, rawlen);
}

/* The next record of in, as xl_records_next: 1, or 0 at the end or when the run must stop. */
static int run_next(struct run *r, struct xl_jsonl_reader *in, json_t **rec)
{
	struct xl_err err = XL_ERR_INIT;
	int ret = xl_records_next(&r->rec, in, rec, &err);

	if (ret == -XL_ETOOBIG) {
		xl_error("%s", err.msg);
		return 0;
	}
	if (ret < 0)
		run_fail(r, &err);
	return ret;
}

static struct xl_db *connect_or_die(const char *dsn)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db = NULL;

	if (xl_db_open(&db, dsn, &err) < 0)
		xl_die_err(&err);
	return db;
}

static int64_t parse_id(const char *what, const char *arg)
{
	int64_t v;

	if (xl_num_parse_range(arg, 1, INT64_MAX, &v) < 0)
		xl_die_usage("invalid %s '%s': expected a positive whole number", what, arg);
	return v;
}

static int64_t parse_money(const char *what, const char *arg)
{
	int64_t v;

	if (xl_num_parse_range(arg, 0, INT64_MAX / 4, &v) < 0)
		xl_die_usage("invalid %s '%s': expected an amount in won (a whole number)", what, arg);
	return v;
}

/* Order ids as operands are checked before anything is done. */
static void check_ids(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		parse_id("order id", argv[i]);
}

/* create ------------------------------------------------------------------ */

/* Requests in flight at once on the connection (see xl_order_stream). */
#define CREATE_DEPTH 32

/*
 * A request in flight, or one refused before it was sent (error set),
 * queued in input order so that messages and rejects keep that order.
 */
struct sent {
	char *file;
	uint64_t line;
	json_t *req;        /* the request, or NULL for a line that did not parse */
	char *raw;          /* that line */
	size_t rawlen;
	char *error;
};

struct creator {
	struct run r;
	struct xl_order_stream *stream;
	struct sent queue[CREATE_DEPTH];
	size_t head, count;
	uint64_t created, replayed, retry;
};

/* The outcome of the oldest request in flight. 0 to go on, -1 to stop. */
static int receive(struct creator *c)
{
	struct sent *s = &c->queue[c->head];
	struct xl_err err = XL_ERR_INIT;
	json_t *order = NULL;
	int again = 0, ret;

	if (s->error)
		ret = xl_err_set(&err, XL_EINVAL, "%s", s->error);
	else
		ret = xl_order_stream_recv(c->stream, &order, &again, &err);
	c->head = (c->head + 1) % CREATE_DEPTH;
	c->count--;
	if (ret == -XL_EINVAL) {
		ret = run_reject(&c->r, s->file, s->line, err.msg, s->req, s->raw, s->rawlen);
	} else if (ret == -XL_ERETRY) {
		xl_log_at(s->file, s->line, "%s", err.msg);
		xl_records_note(&c->r.rec, XL_EXIT_TEMPFAIL);
		c->retry++;
		ret = 0;
	} else if (ret == 0) {
		if (again)
			c->replayed++;
		else
			c->created++;
		ret = xl_records_write(&c->r.rec, order, &err);
	}
	json_decref(order);
	json_decref(s->req);
	free(s->file);
	free(s->raw);
	free(s->error);
	memset(s, 0, sizeof(*s));
	if (ret < 0 && err.code) {
		xl_order_stream_close(c->stream);
		c->stream = NULL;
		run_fail(&c->r, &err);
	}
	return ret;
}

static int create_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "shipping-fee", required_argument, NULL, OPT_FEE },
		{ "free-shipping-from", required_argument, NULL, OPT_FREE_FROM },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_create, .help = help_create, .longopts = longopts,
			    .flags = XL_OPT_DB | XL_OPT_RECORDS };
	struct xl_order_pricing pricing = XL_ORDER_PRICING_DEFAULT;
	struct xl_err err = XL_ERR_INIT;
	struct xl_jsonl_reader *in = NULL;
	struct creator c = { 0 };
	struct xl_db *db;
	int opt, depth;

	xl_log_set_help_name("xlcfi-order create");
	optind = 0;
	while ((opt = xl_opt_next(&o, argc, argv)) != -1) {
		if (opt == OPT_FEE)
			pricing.fee_minor = parse_money("--shipping-fee", optarg);
		else if (opt == OPT_FREE_FROM)
			pricing.free_from_minor = parse_money("--free-shipping-from", optarg);
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	run_start(&c.r, &o);
	db = connect_or_die(dsn);
	/* --max-errors stops at the limit: nothing may be in flight past it. */
	depth = o.max_errors >= 0 ? 1 : CREATE_DEPTH;
	if (xl_order_stream_open(&c.stream, db, &pricing, depth, &err) < 0)
		run_fail(&c.r, &err);
	xl_jsonl_open(&in, argv + optind, (size_t)(argc - optind), o.max_line);
	for (;;) {
		json_t *req = NULL;
		struct sent *s;
		int ret = xl_jsonl_read(in, &req, &err);

		if (ret == 0)
			break;
		if (ret == -XL_ENOINPUT || ret == -XL_EIO) {
			xl_error("%s", err.msg);
			xl_records_note(&c.r.rec, xl_err_status(&err));
			continue;
		}
		if (c.count == (size_t)depth && receive(&c) < 0) {
			json_decref(req);
			break;
		}
		s = &c.queue[(c.head + c.count++) % CREATE_DEPTH];
		s->file = xl_xstrdup(xl_jsonl_file(in));
		s->line = xl_jsonl_line(in);
		if (ret < 0) {
			const char *raw = xl_jsonl_raw(in, &s->rawlen);

			if (raw) {
				s->raw = xl_xmalloc(s->rawlen + 1);
				memcpy(s->raw, raw, s->rawlen);
			}
			s->error = xl_xstrdup(err.msg);
			continue;
		}
		s->req = req;
		ret = xl_order_stream_send(c.stream, req, &err);
		if (ret == -XL_EINVAL) {
			s->error = xl_xstrdup(err.msg);
		} else if (ret < 0) {
			xl_jsonl_close(in);
			run_fail(&c.r, &err);
		}
	}
	/* What is in flight is being created: its records are written, even after a stop. */
	while (c.count > 0)
		receive(&c);
	xl_order_stream_close(c.stream);
	xl_jsonl_close(in);
	xl_db_close(db);
	xl_info("created %" PRIu64 " orders, returned %" PRIu64 " already made (same client_ref), rejected %" PRIu64,
		c.created, c.replayed, xl_rejects_count(c.r.rec.rej));
	return run_finish(&c.r);
}

/* operations on given orders ----------------------------------------------- */

/* What to do with one order id: *out is the record to write. */
typedef int order_op(struct xl_db *db, int64_t id, const void *arg, json_t **out, struct xl_err *err);

/*
 * Run op on each order id given as an operand, or on each record read from
 * stdin (its "order_id") when there are none. Refusals are rejects; an
 * outcome left unknown (a refund's) is said and makes the exit status 75;
 * the rest stops the run.
 */
static int on_orders(struct run *r, struct xl_db *db, int argc, char **argv, size_t max_line,
		     order_op *op, const void *arg)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_jsonl_reader *in = NULL;
	int ret;

	for (int i = 0; i < argc; i++) {
		json_t *out = NULL;

		ret = op(db, parse_id("order id", argv[i]), arg, &out, &err);
		if (ret == -XL_ETIMEOUT) {
			xl_log_at("<args>", (uint64_t)i + 1, "%s", err.msg);
			xl_records_note(&r->rec, XL_EXIT_TEMPFAIL);
			continue;
		}
		if (ret == -XL_EINVAL || ret == -XL_ENOTFOUND) {
			if (run_reject(r, "<args>", (uint64_t)i + 1, err.msg, NULL, argv[i], strlen(argv[i])) < 0)
				return 0;
			continue;
		}
		if (ret == 0)
			ret = xl_records_write(&r->rec, out, &err);
		json_decref(out);
		if (ret < 0)
			run_fail(r, &err);
	}
	if (argc > 0)
		return 0;
	xl_jsonl_open(&in, NULL, 0, max_line);
	for (;;) {
		json_t *rec = NULL, *out = NULL;
		const json_t *id;

		if (run_next(r, in, &rec) <= 0)
			break;
		id = json_object_get(rec, "order_id");
		if (!json_is_integer(id) || json_integer_value(id) < 1)
			ret = xl_err_set(&err, XL_EINVAL, "order_id: %s", id ? "expected a positive whole number" : "missing");
		else
			ret = op(db, (int64_t)json_integer_value(id), arg, &out, &err);
		if (ret == -XL_ETIMEOUT) {
			xl_log_at(xl_jsonl_file(in), xl_jsonl_line(in), "%s", err.msg);
			xl_records_note(&r->rec, XL_EXIT_TEMPFAIL);
			json_decref(rec);
			continue;
		}
		if (ret == -XL_EINVAL || ret == -XL_ENOTFOUND) {
			ret = run_refuse(r, in, err.msg, rec);
			json_decref(rec);
			if (ret < 0)
				break;
			continue;
		}
		json_decref(rec);
		if (ret == 0)
			ret = xl_records_write(&r->rec, out, &err);
		json_decref(out);
		if (ret < 0) {
			xl_jsonl_close(in);
			run_fail(r, &err);
		}
	}
	xl_jsonl_close(in);
	return 0;
}

static int op_show(struct xl_db *db, int64_t id, const void *arg, json_t **out, struct xl_err *err)
{
	(void)arg;
	return xl_order_get(db, id, out, err);
}

static int op_status(struct xl_db *db, int64_t id, const void *arg, json_t **out, struct xl_err *err)
{
	(void)arg;
	return xl_order_status(db, id, out, err);
}

static int op_move(struct xl_db *db, int64_t id, const void *arg, json_t **out, struct xl_err *err)
{
	struct xl_order_move m = *(const struct xl_order_move *)arg;

	m.order_id = id;
	return xl_order_move(db, &m, out, err);
}

/* cancel: a paid or preparing order is refunded through its gateway. */
static int op_cancel(struct xl_db *db, int64_t id, const void *arg, json_t **out, struct xl_err *err)
{
	const struct xl_order_move *m = arg;
	struct xl_pay_opts po = XL_PAY_OPTS_DEFAULT;
	struct xl_pay_cancel c = { .order_id = id, .actor = m->actor, .reason = m->reason };

	return xl_pay_cancel_order(db, &po, &c, out, err);
}

static int read_main(int argc, char **argv, const char *dsn, const char *usage, const char *name,
		     order_op *op)
{
	struct xl_opt o = { .usage = usage, .flags = XL_OPT_DB };
	struct xl_db *db;
	struct run r;

	xl_log_set_help_name(name);
	optind = 0;
	while (xl_opt_next(&o, argc, argv) != -1)
		;
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	check_ids(argc - optind, argv + optind);
	run_start(&r, &o);
	db = connect_or_die(dsn);
	on_orders(&r, db, argc - optind, argv + optind, 0, op, NULL);
	xl_db_close(db);
	return run_finish(&r);
}

static int move_main(int argc, char **argv, const char *dsn, const char *cmd, enum xl_order_action action)
{
	static const struct option longopts[] = {
		{ "actor", required_argument, NULL, OPT_ACTOR },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "tracking", required_argument, NULL, OPT_TRACKING },
		{ NULL, 0, NULL, 0 }
	};
	char usage[512], name[64];
	struct xl_opt o = { .usage = usage, .help = help_move, .longopts = longopts,
			    .flags = XL_OPT_DB | XL_OPT_RECORDS };
	struct xl_order_move m = { .action = action };
	struct xl_db *db;
	struct run r;
	int c;

	snprintf(usage, sizeof(usage), usage_move, cmd, action == XL_ORDER_SHIP ? " --tracking no" : "");
	snprintf(name, sizeof(name), "xlcfi-order %s", cmd);
	xl_log_set_help_name(name);
	optind = 0;
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		if (c == OPT_ACTOR)
			m.actor = parse_id("--actor", optarg);
		else if (c == OPT_REASON)
			m.reason = optarg;
		else if (c == OPT_TRACKING)
			m.tracking_no = optarg;
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (action == XL_ORDER_SHIP && (!m.tracking_no || !*m.tracking_no))
		xl_die_usage("ship needs --tracking");
	if (action != XL_ORDER_SHIP && m.tracking_no)
		xl_die_usage("--tracking is for ship only");
	check_ids(argc - optind, argv + optind);
	run_start(&r, &o);
	db = connect_or_die(dsn);
	on_orders(&r, db, argc - optind, argv + optind, o.max_line, action == XL_ORDER_CANCEL ? op_cancel : op_move,
		  &m);
	xl_db_close(db);
	return run_finish(&r);
}

/* list and expire --------------------------------------------------------- */

static int list_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "user", required_argument, NULL, OPT_USER },
		{ "status", required_argument, NULL, OPT_STATUS },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_list, .help = help_list, .longopts = longopts, .flags = XL_OPT_DB };
	struct xl_order_filter f = { 0 };
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db;
	struct run r;
	int c;

	xl_log_set_help_name("xlcfi-order list");
	optind = 0;
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		if (c == OPT_USER)
			f.user_id = parse_id("--user", optarg);
		else if (c == OPT_STATUS)
			f.status = optarg;
		else if (c == OPT_SINCE)
			f.since = optarg;
		else if (c == OPT_LIMIT)
			f.limit = parse_id("--limit", optarg);
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (optind < argc)
		xl_die_usage("unexpected argument '%s'", argv[optind]);
	run_start(&r, &o);
	db = connect_or_die(dsn);
	if (xl_order_list(db, &f, xl_records_write_cb, &r.rec, &err) < 0) {
		xl_db_close(db);
		if (err.code == XL_EINVAL)
			xl_die_usage("invalid --%s", err.msg);
		run_fail(&r, &err);
	}
	xl_db_close(db);
	return run_finish(&r);
}

/* "30m", "2h", "1d", "90s" or plain seconds. */
static int64_t parse_ttl(const char *arg)
{
	size_t n = strlen(arg);
	int64_t v, unit = 1;
	char num[32];

	if (n > 0 && n < sizeof(num)) {
		switch (arg[n - 1]) {
		case 's': unit = 1; n--; break;
		case 'm': unit = 60; n--; break;
		case 'h': unit = 3600; n--; break;
		case 'd': unit = 86400; n--; break;
		}
		memcpy(num, arg, n);
		num[n] = '\0';
		if (xl_num_parse_range(num, 1, INT64_MAX / 86400, &v) == 0)
			return v * unit;
	}
	xl_die_usage("invalid --ttl '%s': expected a duration such as 30m, 2h or 1d", arg);
	return 0;
}

static int expire_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_expire, .help = help_expire, .longopts = longopts,
			    .flags = XL_OPT_DB };
	struct xl_err err = XL_ERR_INIT;
	int64_t ttl = 30 * 60, limit = 0, n;
	struct xl_db *db;
	struct run r;
	int c;

	xl_log_set_help_name("xlcfi-order expire");
	optind = 0;
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		if (c == OPT_TTL)
			ttl = parse_ttl(optarg);
		else if (c == OPT_LIMIT)
			limit = parse_id("--limit", optarg);
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (optind < argc)
		xl_die_usage("unexpected argument '%s'", argv[optind]);
	run_start(&r, &o);
	db = connect_or_die(dsn);
	n = xl_order_expire(db, ttl, limit, xl_records_write_cb, &r.rec, &err);
	xl_db_close(db);
	if (n < 0)
		run_fail(&r, &err);
	xl_info("expired %" PRId64 " orders", n);
	return run_finish(&r);
}

/* review ------------------------------------------------------------------ */

static int review_add_main(int argc, char **argv, const char *dsn)
{
	struct xl_opt o = { .usage = usage_review_add, .flags = XL_OPT_DB | XL_OPT_RECORDS };
	struct xl_err err = XL_ERR_INIT;
	struct xl_jsonl_reader *in = NULL;
	struct xl_db *db;
	struct run r;

	xl_log_set_help_name("xlcfi-order review add");
	optind = 0;
	while (xl_opt_next(&o, argc, argv) != -1)
		;
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	run_start(&r, &o);
	db = connect_or_die(dsn);
	xl_jsonl_open(&in, argv + optind, (size_t)(argc - optind), o.max_line);
	for (;;) {
		json_t *req = NULL, *review = NULL;
		int ret;

		if (run_next(&r, in, &req) <= 0)
			break;
		ret = xl_review_add(db, req, &review, &err);
		if (ret == -XL_EINVAL) {
			ret = run_refuse(&r, in, err.msg, req);
			json_decref(req);
			if (ret < 0)
				break;
			continue;
		}
		json_decref(req);
		if (ret == 0)
			ret = xl_records_write(&r.rec, review, &err);
		json_decref(review);
		if (ret < 0) {
			xl_jsonl_close(in);
			xl_db_close(db);
			run_fail(&r, &err);
		}
	}
	xl_jsonl_close(in);
	xl_db_close(db);
	return run_finish(&r);
}

static int review_list_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "sku", required_argument, NULL, OPT_SKU },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_review_list, .help = help_review_list, .longopts = longopts,
			    .flags = XL_OPT_DB };
	struct xl_err err = XL_ERR_INIT;
	const char *sku = NULL;
	int64_t limit = 0;
	struct xl_db *db;
	struct run r;
	int c;

	xl_log_set_help_name("xlcfi-order review list");
	optind = 0;
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		if (c == OPT_SKU)
			sku = optarg;
		else if (c == OPT_LIMIT)
			limit = parse_id("--limit", optarg);
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (!sku)
		xl_die_usage("review list needs --sku");
	if (optind < argc)
		xl_die_usage("unexpected argument '%s'", argv[optind]);
	run_start(&r, &o);
	db = connect_or_die(dsn);
	if (xl_review_list(db, sku, limit, xl_records_write_cb, &r.rec, &err) < 0) {
		xl_db_close(db);
		if (err.code == XL_ENOTFOUND) {
			xl_error("%s", err.msg);
			xl_records_note(&r.rec, XL_EXIT_DATAERR);
			return run_finish(&r);
		}
		run_fail(&r, &err);
	}
	xl_db_close(db);
	return run_finish(&r);
}

static int review_report_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "id", required_argument, NULL, OPT_ID },
		{ "user", required_argument, NULL, OPT_USER },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_review_report, .help = help_review_report, .longopts = longopts,
			    .flags = XL_OPT_DB };
	struct xl_err err = XL_ERR_INIT;
	int64_t id = 0, user = 0;
	const char *reason = NULL;
	json_t *review = NULL;
	struct xl_db *db;
	struct run r;
	int c, ret;

	xl_log_set_help_name("xlcfi-order review report");
	optind = 0;
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		if (c == OPT_ID)
			id = parse_id("--id", optarg);
		else if (c == OPT_USER)
			user = parse_id("--user", optarg);
		else if (c == OPT_REASON)
			reason = optarg;
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (!id || !user)
		xl_die_usage("review report needs --id and --user");
	if (optind < argc)
		xl_die_usage("unexpected argument '%s'", argv[optind]);
	run_start(&r, &o);
	db = connect_or_die(dsn);
	ret = xl_review_report(db, id, user, reason, &review, &err);
	xl_db_close(db);
	if (ret == -XL_EINVAL) {
		xl_error("%s", err.msg);
		xl_records_note(&r.rec, XL_EXIT_DATAERR);
	} else if (ret == 0) {
		ret = xl_records_write(&r.rec, review, &err);
	}
	json_decref(review);
	if (ret < 0 && ret != -XL_EINVAL)
		run_fail(&r, &err);
	return run_finish(&r);
}

static int review_main(int argc, char **argv, const char *dsn)
{
	struct xl_opt o = { .usage = usage_review, .help = help_review, .flags = XL_OPT_DB };
	const char *cmd;

	xl_log_set_help_name("xlcfi-order review");
	optind = 0;
	cmd = xl_opt_command(&o, argc, argv);
	if (o.dsn)
		dsn = o.dsn;
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "add"))
		return review_add_main(argc, argv, dsn);
	if (!strcmp(cmd, "list"))
		return review_list_main(argc, argv, dsn);
	if (!strcmp(cmd, "report"))
		return review_report_main(argc, argv, dsn);
	xl_die_usage("unknown command '%s'", cmd);
	return XL_EXIT_USAGE;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		enum xl_order_action action;
	} moves[] = {
		{ "prepare", XL_ORDER_PREPARE },
		{ "ship", XL_ORDER_SHIP },
		{ "deliver", XL_ORDER_DELIVER },
		{ "cancel", XL_ORDER_CANCEL },
		{ "request-return", XL_ORDER_REQUEST_RETURN },
		{ "return", XL_ORDER_RETURN },
	};
	struct xl_opt o = { .usage = usage_main, .help = help_main, .flags = XL_OPT_DB };
	const char *cmd;

	xl_log_init(argv[0]);
	cmd = xl_opt_command(&o, argc, argv);
	argc -= optind;
	argv += optind;
	if (!strcmp(cmd, "create"))
		return create_main(argc, argv, o.dsn);
	if (!strcmp(cmd, "show"))
		return read_main(argc, argv, o.dsn, usage_show, "xlcfi-order show", op_show);
	if (!strcmp(cmd, "status"))
		return read_main(argc, argv, o.dsn, usage_status, "xlcfi-order status", op_status);
	if (!strcmp(cmd, "list"))
		return list_main(argc, argv, o.dsn);
	if (!strcmp(cmd, "expire"))
		return expire_main(argc, argv, o.dsn);
	if (!strcmp(cmd, "review"))
		return review_main(argc, argv, o.dsn);
	for (size_t i = 0; i < sizeof(moves) / sizeof(moves[0]); i++)
		if (!strcmp(cmd, moves[i].name))
			return move_main(argc, argv, o.dsn, cmd, moves[i].action);
	xl_die_usage("unknown command '%s'", cmd);
	return XL_EXIT_USAGE;
}
