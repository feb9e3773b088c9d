/*
 * xlcfi-pay: payments through a gateway, exactly once. charge reads order
 * records (what xlcfi-order create writes) and writes payment records;
 * refund, reconcile; the points ledger: points balance|history|expire and
 * ledger check.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_db.h"
#include "xl_exit.h"
#include "xl_gateway.h"
#include "xl_jsonl.h"
#include "xl_log.h"
#include "xl_num.h"
#include "xl_opt.h"
#include "xl_pay.h"
#include "xl_points.h"
#include "xl_records.h"
#include "xl_banned.h"

static const char usage_main[] =
	"usage: xlcfi-pay [-hqv] [--version] [--dsn dsn] [--log-format fmt] command [arg ...]";

static const char help_main[] =
	"commands:\n"
	"  charge     pay order records through a gateway, once per idempotency key\n"
	"  refund     give back all or part of an order's payment\n"
	"  reconcile  settle payments whose outcome the gateway left unknown\n"
	"  points     a user's points: balance, history; expire old lots\n"
	"  ledger     check that the points ledger balances\n"
	"\nSee 'xlcfi-pay COMMAND --help' and xlcfi-pay(1).\n";

static const char usage_charge[] =
	"usage: xlcfi-pay charge [-hqv] [--card number] [--dsn dsn] [--idempotency-key key] [--max-errors n] "
	"[--max-line size] [--points-rate percent] [--rejects file] [--use-points n] [--wait seconds] "
	"--provider name [file ...]";

static const char help_charge[] =
	"      --provider=NAME     the gateway: sandbox or toss\n"
	"      --use-points=N      points to spend on each order (a record's \"use_points\" wins)\n"
	"      --card=NUMBER       sandbox card number when a record has no \"card\" (default 4242424242424242)\n"
	"      --idempotency-key=KEY  the key of the charge (default: derived from the order)\n"
	"      --points-rate=PCT   points earned, percent of the amount paid (default 1)\n"
	"      --wait=SECONDS      wait this long for a charge another process is making (default 30)\n";

static const char usage_refund[] =
	"usage: xlcfi-pay refund [-hqv] [--amount n] [--dsn dsn] [--reason text] --order id --provider name";

static const char help_refund[] =
	"      --order=ID          the order whose payment is refunded\n"
	"      --amount=N          how much, in minor units (default: all that is left)\n"
	"      --reason=TEXT       why (sent to the gateway)\n"
	"      --provider=NAME     the gateway the payment went through\n";

static const char usage_reconcile[] =
	"usage: xlcfi-pay reconcile [-hqv] [--dsn dsn] --provider name";

static const char usage_points[] =
	"usage: xlcfi-pay points [-hqv] [--dsn dsn] [--limit n] [--user id] balance|history|expire";

static const char help_points[] =
	"      --user=ID           the user (balance, history)\n"
	"      --limit=N           expire at most N lots (default 10000)\n";

static const char usage_ledger[] = "usage: xlcfi-pay ledger [-hqv] [--dsn dsn] check";

enum {
	OPT_PROVIDER = 0x100, OPT_USE_POINTS, OPT_CARD, OPT_KEY, OPT_RATE, OPT_WAIT, OPT_ORDER, OPT_AMOUNT,
	OPT_REASON, OPT_USER, OPT_LIMIT
};

static struct xl_db *connect_or_die(const char *dsn)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db = NULL;

	if (xl_db_open(&db, dsn, &err) < 0)
		xl_die_err(&err);
	return db;
}

/* The provider option: named, and one there is. */
static void check_provider(const char *provider)
{
	if (!provider)
		xl_die_usage("--provider is needed (sandbox or toss)");
	if (!xl_gateway_known(provider))
		xl_die_usage("unknown --provider '%s': expected sandbox or toss", provider);
}

static struct xl_gateway *gateway_or_die(const char *provider, struct xl_db *db)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_gateway *gw = NULL;

	if (xl_gateway_open(&gw, provider, db, &err) < 0) {
		xl_db_close(db);
		xl_die_err(&err);
	}
	return gw;
}

static int64_t parse_count(const char *what, const char *arg, int64_t min)
{
	int64_t v;

	if (xl_num_parse_range(arg, min, INT64_MAX / 4, &v) < 0)
		xl_die_usage("invalid %s '%s': expected a whole number of at least %" PRId64, what, arg, min);
	return v;
}

/* "1", "1.5", "0.25" percent, in basis points. */
static int parse_rate(const char *arg)
{
	int64_t whole = 0, frac = 0;
	const char *dot = strchr(arg, '.');
	char buf[16];
	size_t n = dot ? (size_t)(dot - arg) : strlen(arg);

	if (n == 0 || n >= sizeof(buf))
		goto bad;
	memcpy(buf, arg, n);
	buf[n] = '\0';
	if (xl_num_parse_range(buf, 0, 100, &whole) < 0)
		goto bad;
	if (dot) {
		size_t f = strlen(dot + 1);

		if (f == 0 || f > 2 || xl_num_parse_range(dot + 1, 0, 99, &frac) < 0 || dot[1] == '-' || dot[1] == '+')
			goto bad;
		if (f == 1)
			frac *= 10;
	}
	if (whole * 100 + frac > 10000)
		goto bad;
	return (int)(whole * 100 + frac);
bad:
	xl_die_usage("invalid --points-rate '%s': expected a percentage from 0 to 100, e.g. 1 or 1.5", arg);
	return 0;
}

/* charge ---------------------------------------------------------------------- */

struct charge_run {
	struct xl_records rec;
	uint64_t captured, declined, replayed, unknown;
};

/* After xl_records_next or _refuse: 0 to go on, -1 to stop at --max-errors; dies on an I/O error. */
static int verdict(struct charge_run *c, int ret, const struct xl_err *err)
{
	if (ret == -XL_ETOOBIG) {
		xl_error("%s", err->msg);
		return -1;
	}
	if (ret < 0) {
		xl_records_abandon(&c->rec);
		xl_die_err(err);
	}
	return 0;
}

/* A record that cannot be paid: named on stderr, kept in the rejects file. 0 to go on, -1 to stop. */
static int refuse(struct charge_run *c, struct xl_jsonl_reader *in, const char *msg, const json_t *record)
{
	struct xl_err err = XL_ERR_INIT;

	return verdict(c, xl_records_refuse(&c->rec, in, msg, record, &err), &err);
}

/* What a record asks for, with the options as defaults. -XL_EINVAL with the field at fault. */
static int read_charge(const json_t *rec, const struct xl_pay_charge *defaults, struct xl_pay_charge *out,
		       int64_t *total, struct xl_err *err)
{
	const json_t *v;

	*out = *defaults;
	*total = -1;
	v = json_object_get(rec, "order_id");
	if (!v)
		return xl_err_set(err, XL_EINVAL, "order_id: missing");
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return xl_err_set(err, XL_EINVAL, "order_id: expected a positive whole number");
	out->order_id = (int64_t)json_integer_value(v);
	if ((v = json_object_get(rec, "use_points")) && !json_is_null(v)) {
		if (!json_is_integer(v) || json_integer_value(v) < 0)
			return xl_err_set(err, XL_EINVAL, "use_points: expected a whole number of points, 0 or more");
		out->use_points = (int64_t)json_integer_value(v);
	}
	if ((v = json_object_get(rec, "card")) || (v = json_object_get(rec, "payment_key"))) {
		if (!json_is_string(v) || !json_string_length(v))
			return xl_err_set(err, XL_EINVAL, "card: expected a card number or payment key");
		out->method = json_string_value(v);
	}
	if ((v = json_object_get(rec, "idempotency_key")) && !json_is_null(v)) {
		if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 200)
			return xl_err_set(err, XL_EINVAL, "idempotency_key: expected a string of 1 to 200 bytes");
		out->idempotency_key = json_string_value(v);
	}
	if ((v = json_object_get(rec, "total_minor")) && json_is_integer(v))
		*total = (int64_t)json_integer_value(v);
	if (!out->method)
		return xl_err_set(err, XL_EINVAL, "payment_key: missing (the toss provider needs the buyer's paymentKey)");
	return 0;
}

static int charge_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "provider", required_argument, NULL, OPT_PROVIDER },
		{ "use-points", required_argument, NULL, OPT_USE_POINTS },
		{ "card", required_argument, NULL, OPT_CARD },
		{ "idempotency-key", required_argument, NULL, OPT_KEY },
		{ "points-rate", required_argument, NULL, OPT_RATE },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_charge, .help = help_charge, .longopts = longopts,
			    .flags = XL_OPT_DB | XL_OPT_RECORDS };
	struct xl_pay_opts po = XL_PAY_OPTS_DEFAULT;
	struct xl_pay_charge defaults = { 0 };
	struct xl_err err = XL_ERR_INIT;
	struct xl_jsonl_reader *in = NULL;
	struct charge_run c = { 0 };
	const char *provider = NULL;
	struct xl_gateway *gw;
	struct xl_db *db;
	int opt, status;

	xl_log_set_help_name("xlcfi-pay charge");
	optind = 0;
	while ((opt = xl_opt_next(&o, argc, argv)) != -1) {
		switch (opt) {
		case OPT_PROVIDER: provider = optarg; break;
		case OPT_USE_POINTS: defaults.use_points = parse_count("--use-points", optarg, 0); break;
		case OPT_CARD: defaults.method = optarg; break;
		case OPT_KEY: defaults.idempotency_key = optarg; break;
		case OPT_RATE: po.points_rate_bp = parse_rate(optarg); break;
		case OPT_WAIT: po.wait_ms = (int)parse_count("--wait", optarg, 0) * 1000; break;
		}
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	check_provider(provider);
	if (po.wait_ms < 0 || po.wait_ms > 3600 * 1000)
		xl_die_usage("invalid --wait: at most 3600 seconds");
	if (defaults.method && strcmp(provider, "sandbox"))
		xl_die_usage("--card is for the sandbox; %s takes each record's payment_key", provider);
	if (!defaults.method && !strcmp(provider, "sandbox"))
		defaults.method = "4242424242424242";
	if (xl_records_open(&c.rec, o.rejects_path, o.max_errors, &err) < 0)
		xl_die_err(&err);
	c.rec.say = xl_log_record;
	db = connect_or_die(dsn);
	gw = gateway_or_die(provider, db);
	xl_jsonl_open(&in, argv + optind, (size_t)(argc - optind), o.max_line);
	for (;;) {
		struct xl_pay_charge pc;
		json_t *rec = NULL, *payment = NULL;
		int64_t total;
		int again = 0, ret = xl_records_next(&c.rec, in, &rec, &err);

		if (ret <= 0) {
			verdict(&c, ret, &err);
			break;
		}
		ret = read_charge(rec, &defaults, &pc, &total, &err);
		if (ret == 0)
			ret = xl_pay_charge(db, gw, &po, &pc, &payment, &again, &err);
		if (ret == 0 && total >= 0 &&
		    json_integer_value(json_object_get(payment, "amount_minor")) +
		    json_integer_value(json_object_get(payment, "points_used")) != total)
			xl_warn("%s:%" PRIu64 ": order %" PRId64 ": the record's total_minor %" PRId64
				" is not the order's total; the order's was charged", xl_jsonl_file(in),
				xl_jsonl_line(in), pc.order_id, total);
		if (ret == 0 && !strcmp(json_string_value(json_object_get(payment, "status")), "failed")) {
			const json_t *d = json_object_get(payment, "decline");
			char msg[512];
			const char *code = json_string_value(json_object_get(d, "code"));
			const char *why = json_string_value(json_object_get(d, "message"));

			snprintf(msg, sizeof(msg), "order %" PRId64 ": declined: %s %s", pc.order_id,
				 code ? code : "", why ? why : "");
			c.declined++;
			ret = refuse(&c, in, msg, payment);
		} else if (ret == 0) {
			if (again)
				c.replayed++;
			else
				c.captured++;
			ret = xl_records_write(&c.rec, payment, &err);
			if (ret < 0) {
				xl_records_abandon(&c.rec);
				xl_die_err(&err);
			}
		} else if (ret == -XL_EINVAL) {
			ret = refuse(&c, in, err.msg, rec);
		} else if (ret == -XL_ETIMEOUT || ret == -XL_ERETRY) {
			/* Recorded; worth trying later. The next order may still go through. */
			xl_log_at(xl_jsonl_file(in), xl_jsonl_line(in), "%s", err.msg);
			xl_records_note(&c.rec, XL_EXIT_TEMPFAIL);
			c.unknown++;
			ret = 0;
		} else {
			json_decref(rec);
			xl_jsonl_close(in);
			xl_gateway_close(gw);
			xl_db_close(db);
			xl_records_abandon(&c.rec);
			xl_die_err(&err);
		}
		json_decref(payment);
		json_decref(rec);
		if (ret < 0)
			break;
	}
	xl_jsonl_close(in);
	xl_gateway_close(gw);
	xl_db_close(db);
	xl_info("captured %" PRIu64 ", replayed %" PRIu64 ", declined %" PRIu64 ", unknown or in progress %" PRIu64
		", refused %" PRIu64, c.captured, c.replayed, c.declined, c.unknown,
		xl_rejects_count(c.rec.rej) - c.declined);
	status = xl_records_close(&c.rec, &err);
	if (err.code)
		xl_error("%s", err.msg);
	return status;
}

/* refund and reconcile ----------------------------------------------------------- */

/* Write one record to stdout and finish: the exit status. */
static int write_one(const json_t *rec, int status)
{
	struct xl_records out;
	struct xl_err err = XL_ERR_INIT;

	if (xl_records_open(&out, NULL, -1, &err) < 0)
		xl_die_err(&err);
	xl_records_note(&out, status);
	if (rec && xl_records_write(&out, rec, &err) < 0) {
		xl_records_abandon(&out);
		xl_die_err(&err);
	}
	status = xl_records_close(&out, &err);
	if (err.code)
		xl_error("%s", err.msg);
	return status;
}

static int refund_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "order", required_argument, NULL, OPT_ORDER },
		{ "amount", required_argument, NULL, OPT_AMOUNT },
		{ "reason", required_argument, NULL, OPT_REASON },
		{ "provider", required_argument, NULL, OPT_PROVIDER },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_refund, .help = help_refund, .longopts = longopts, .flags = XL_OPT_DB };
	struct xl_pay_opts po = XL_PAY_OPTS_DEFAULT;
	struct xl_err err = XL_ERR_INIT;
	const char *provider = NULL, *reason = NULL;
	int64_t order = 0, amount = 0;
	json_t *refund = NULL;
	struct xl_gateway *gw;
	struct xl_db *db;
	int opt, ret, status = XL_EXIT_OK;

	xl_log_set_help_name("xlcfi-pay refund");
	optind = 0;
	while ((opt = xl_opt_next(&o, argc, argv)) != -1) {
		switch (opt) {
		case OPT_ORDER: order = parse_count("--order", optarg, 1); break;
		case OPT_AMOUNT: amount = parse_count("--amount", optarg, 1); break;
		case OPT_REASON: reason = optarg; break;
		case OPT_PROVIDER: provider = optarg; break;
		}
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	check_provider(provider);
	if (!order)
		xl_die_usage("refund needs --order");
	if (optind < argc)
		xl_die_usage("unexpected argument '%s'", argv[optind]);
	db = connect_or_die(dsn);
	gw = gateway_or_die(provider, db);
	ret = xl_pay_refund(db, gw, &po, order, amount, reason, &refund, &err);
	xl_gateway_close(gw);
	xl_db_close(db);
	if (ret == -XL_EINVAL || ret == -XL_ETIMEOUT) {
		xl_error("%s", err.msg);
		status = ret == -XL_EINVAL ? XL_EXIT_DATAERR : XL_EXIT_TEMPFAIL;
	} else if (ret < 0) {
		xl_die_err(&err);
	}
	status = write_one(ret == 0 ? refund : NULL, status);
	json_decref(refund);
	return status;
}

static int reconcile_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "provider", required_argument, NULL, OPT_PROVIDER },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_reconcile, .longopts = longopts, .flags = XL_OPT_DB };
	struct xl_pay_opts po = XL_PAY_OPTS_DEFAULT;
	struct xl_err err = XL_ERR_INIT;
	struct xl_records out;
	const char *provider = NULL;
	struct xl_gateway *gw;
	struct xl_db *db;
	int64_t n;
	int opt, status;

	xl_log_set_help_name("xlcfi-pay reconcile");
	optind = 0;
	while ((opt = xl_opt_next(&o, argc, argv)) != -1)
		if (opt == OPT_PROVIDER)
			provider = optarg;
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	check_provider(provider);
	if (optind < argc)
		xl_die_usage("unexpected argument '%s'", argv[optind]);
	if (xl_records_open(&out, NULL, -1, &err) < 0)
		xl_die_err(&err);
	db = connect_or_die(dsn);
	gw = gateway_or_die(provider, db);
	n = xl_pay_reconcile(db, gw, &po, xl_records_write_cb, &out, &err);
	xl_gateway_close(gw);
	xl_db_close(db);
	if (n < 0) {
		xl_records_abandon(&out);
		xl_die_err(&err);
	}
	xl_info("settled %" PRId64 " payments", n);
	status = xl_records_close(&out, &err);
	if (err.code)
		xl_error("%s", err.msg);
	return status;
}

/* points and ledger ---------------------------------------------------------------- */

static int points_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "user", required_argument, NULL, OPT_USER },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_points, .help = help_points, .longopts = longopts, .flags = XL_OPT_DB };
	struct xl_err err = XL_ERR_INIT;
	int64_t user = 0, limit = 0;
	struct xl_records out;
	json_t *rec = NULL;
	const char *what;
	struct xl_db *db;
	int opt, ret, status;

	xl_log_set_help_name("xlcfi-pay points");
	optind = 0;
	while ((opt = xl_opt_next(&o, argc, argv)) != -1) {
		if (opt == OPT_USER)
			user = parse_count("--user", optarg, 1);
		else if (opt == OPT_LIMIT)
			limit = parse_count("--limit", optarg, 1);
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (optind + 1 != argc)
		xl_die_usage("points needs one of balance, history or expire");
	what = argv[optind];
	if (strcmp(what, "balance") && strcmp(what, "history") && strcmp(what, "expire"))
		xl_die_usage("unknown points command '%s': expected balance, history or expire", what);
	if (strcmp(what, "expire") && !user)
		xl_die_usage("points %s needs --user", what);
	if (xl_records_open(&out, NULL, -1, &err) < 0)
		xl_die_err(&err);
	db = connect_or_die(dsn);
	if (!strcmp(what, "balance"))
		ret = xl_points_balance(db, user, &rec, &err);
	else if (!strcmp(what, "history"))
		ret = xl_points_history(db, user, xl_records_write_cb, &out, &err);
	else
		ret = xl_points_expire(db, limit, &rec, &err);
	xl_db_close(db);
	if (ret == -XL_ENOTFOUND) {
		xl_error("%s", err.msg);
		xl_records_note(&out, XL_EXIT_DATAERR);
	} else if (ret < 0) {
		xl_records_abandon(&out);
		xl_die_err(&err);
	}
	if (rec && xl_records_write(&out, rec, &err) < 0) {
		xl_records_abandon(&out);
		xl_die_err(&err);
	}
	json_decref(rec);
	status = xl_records_close(&out, &err);
	if (err.code)
		xl_error("%s", err.msg);
	return status;
}

static int ledger_main(int argc, char **argv, const char *dsn)
{
	struct xl_opt o = { .usage = usage_ledger, .flags = XL_OPT_DB };
	struct xl_err err = XL_ERR_INIT;
	json_t *report = NULL;
	struct xl_db *db;
	int ok = 0, status;

	xl_log_set_help_name("xlcfi-pay ledger");
	optind = 0;
	while (xl_opt_next(&o, argc, argv) != -1)
		;
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (optind + 1 != argc || strcmp(argv[optind], "check"))
		xl_die_usage("ledger needs 'check'");
	db = connect_or_die(dsn);
	if (xl_points_check(db, &report, &ok, &err) < 0)
		xl_die_err(&err);
	xl_db_close(db);
	if (!ok)
		xl_error("the points ledger does not balance: %s",
			 "see the counts of unbalanced transactions and mismatched balances");
	status = write_one(report, ok ? XL_EXIT_OK : XL_EXIT_DATAERR);
	json_decref(report);
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
	if (!strcmp(cmd, "charge"))
		return charge_main(argc, argv, o.dsn);
	if (!strcmp(cmd, "refund"))
		return refund_main(argc, argv, o.dsn);
	if (!strcmp(cmd, "reconcile"))
		return reconcile_main(argc, argv, o.dsn);
	if (!strcmp(cmd, "points"))
		return points_main(argc, argv, o.dsn);
	if (!strcmp(cmd, "ledger"))
		return ledger_main(argc, argv, o.dsn);
	xl_die_usage("unknown command '%s'", cmd);
	return XL_EXIT_USAGE;
}
