/*
 * xlcfi-analyze: sales analytics as NDJSON. Each subcommand aggregates the
 * order_lines facts, from the database (in SQL) or, with --from-stdin,
 * from order_lines records on stdin or in files, and writes one record per
 * period, product, category, buyer, segment or cohort cell.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_analyze.h"
#include "xl_db.h"
#include "xl_exit.h"
#include "xl_jsonl.h"
#include "xl_log.h"
#include "xl_num.h"
#include "xl_opt.h"
#include "xl_records.h"
#include "xl_banned.h"

static const char usage_main[] =
	"usage: xlcfi-analyze [-hqv] [--version] [--dsn dsn] [--log-format fmt] command [arg ...]";

static const char help_main[] =
	"commands:\n"
	"  sales         net revenue, orders, units, AOV and buyers per day, week or month\n"
	"  top-products  best-selling products by revenue or units\n"
	"  categories    revenue per category and its share\n"
	"  rfm           recency, frequency and monetary scores and segment of every buyer\n"
	"  segments      the RFM segments: buyers, revenue, averages\n"
	"  cohorts       first-order month x months since: buyers still ordering\n"
	"  dashboard     one record for the admin dashboard: 30-day trend, top 10, totals\n"
	"\nAll days are Asia/Seoul days. See 'xlcfi-analyze COMMAND --help' and xlcfi-analyze(1).\n";

static const char usage_sub[] =
	"usage: xlcfi-analyze %s [-hqv] [--dsn dsn] [--from-stdin]%s [file ...]";

static const char help_range[] =
	"      --from=DATE         count from this day (YYYY-MM-DD, inclusive)\n"
	"      --to=DATE           count to this day (inclusive)\n";

static const char help_common[] =
	"      --from-stdin        read order_lines records (xlcfi-etl export --table order_lines)\n"
	"                          from the files named, or stdin, instead of the database\n";

static const char help_sales[] =
	"      --by=PERIOD         day, week (ISO, Monday to Sunday) or month (default day)\n"
	"      --category=SLUG     only the order lines of this category\n";
static const char help_top[] =
	"      --by=WHAT           rank by revenue (default) or units\n"
	"      --category=SLUG     only the products of this category\n"
	"  -n, --limit=N           at most N products (default 10; 0 = all)\n";
static const char help_rfm[] =
	"      --as-of=DATE        count recency to this day (default: the day after the last sale)\n";
static const char help_dashboard[] =
	"      --as-of=DATE        the last day of the 30-day window (default: today)\n";

enum { OPT_BY = 0x100, OPT_FROM, OPT_TO, OPT_CATEGORY, OPT_AS_OF, OPT_FROM_STDIN };

static const struct {
	const char *name;
	enum xl_analyze_kind kind;
	const char *usage_extra, *help;
} subs[] = {
	{ "sales", XL_ANALYZE_SALES, " [--by period] [--category slug] [--from date] [--to date]", help_sales },
	{ "top-products", XL_ANALYZE_TOP, " [--by revenue|units] [--category slug] [--from date] [--to date] [-n n]",
	  help_top },
	{ "categories", XL_ANALYZE_CATEGORIES, " [--from date] [--to date]", NULL },
	{ "rfm", XL_ANALYZE_RFM, " [--as-of date] [--from date] [--to date]", help_rfm },
	{ "segments", XL_ANALYZE_SEGMENTS, " [--as-of date] [--from date] [--to date]", help_rfm },
	{ "cohorts", XL_ANALYZE_COHORTS, " [--from date] [--to date]", NULL },
	{ "dashboard", XL_ANALYZE_DASHBOARD, " [--as-of date]", help_dashboard },
};

static int add_record(const json_t *rec, void *a, struct xl_err *err)
{
	return xl_analyze_add(a, rec, err);
}

/* Read every record of the files (or stdin) into a; refuse what is not a fact. */
static void add_records(struct xl_analyze *a, struct xl_records *rec, char **files, size_t nfiles, size_t max_line)
{
	struct xl_jsonl_reader *in = NULL;
	struct xl_err err = XL_ERR_INIT;
	int ret;

	xl_jsonl_open(&in, files, nfiles, max_line);
	ret = xl_records_each(rec, in, add_record, a, &err);
	if (ret == -XL_ERANGE)
		xl_log_at(xl_jsonl_file(in), xl_jsonl_line(in), "%s", err.msg);
	else if (ret == -XL_ETOOBIG)
		xl_error("%s", err.msg);
	xl_jsonl_close(in);
	if (ret == -XL_ERANGE || ret == -XL_ETOOBIG) {
		xl_analyze_free(a);
		xl_records_close(rec, &err);
		xl_exit(XL_EXIT_DATAERR);
	}
	if (ret < 0) {
		xl_analyze_free(a);
		xl_records_abandon(rec);
		xl_die_err(&err);
	}
}

static int sub_main(size_t which, int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "by", required_argument, NULL, OPT_BY },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "category", required_argument, NULL, OPT_CATEGORY },
		{ "limit", required_argument, NULL, 'n' },
		{ "as-of", required_argument, NULL, OPT_AS_OF },
		{ "from-stdin", no_argument, NULL, OPT_FROM_STDIN },
		{ NULL, 0, NULL, 0 }
	};
	enum xl_analyze_kind kind = subs[which].kind;
	char usage[512], help[1024], name[64];
	struct xl_opt o = { .usage = usage, .help = help, .shortopts = "n:", .longopts = longopts,
			    .flags = XL_OPT_DB | XL_OPT_RECORDS };
	struct xl_analyze_opts ao = XL_ANALYZE_OPTS_INIT;
	struct xl_err err = XL_ERR_INIT;
	struct xl_records rec;
	struct xl_analyze *a;
	int opt, from_stdin = 0, status;

	snprintf(usage, sizeof(usage), usage_sub, subs[which].name, subs[which].usage_extra);
	snprintf(help, sizeof(help), "%s%s%s", subs[which].help ? subs[which].help : "",
		 kind == XL_ANALYZE_DASHBOARD ? "" : help_range, help_common);
	snprintf(name, sizeof(name), "xlcfi-analyze %s", subs[which].name);
	xl_log_set_help_name(name);
	ao.limit = 10;
	optind = 0;
	while ((opt = xl_opt_next(&o, argc, argv)) != -1) {
		struct xl_err perr = XL_ERR_INIT;
		size_t n;

		switch (opt) {
		case OPT_BY:
			if (kind == XL_ANALYZE_TOP) {
				if (strcmp(optarg, "revenue") && strcmp(optarg, "units"))
					xl_die_usage("invalid --by '%s': expected revenue or units", optarg);
				ao.by_units = !strcmp(optarg, "units");
			} else if (kind != XL_ANALYZE_SALES) {
				xl_die_usage("--by works with sales and top-products");
			} else if (xl_period_parse(optarg, &ao.by, &perr) < 0) {
				xl_die_usage("invalid --by: %s", perr.msg);
			}
			break;
		case OPT_FROM:
		case OPT_TO:
			if (kind == XL_ANALYZE_DASHBOARD)
				xl_die_usage("the dashboard has a 30-day window: set its last day with --as-of");
			if (opt == OPT_TO) {
				ao.to_day = xl_opt_day("--to", optarg);
				break;
			}
			ao.from_day = xl_opt_day("--from", optarg);
			break;
		case OPT_CATEGORY:
			if (kind != XL_ANALYZE_SALES && kind != XL_ANALYZE_TOP)
				xl_die_usage("--category works with sales and top-products");
			ao.category = optarg;
			break;
		case 'n':
			if (kind != XL_ANALYZE_TOP)
				xl_die_usage("-n works with top-products");
			if (xl_num_parse_size(optarg, &n) < 0)
				xl_die_usage("invalid --limit '%s': expected a whole number", optarg);
			ao.limit = n;
			break;
		case OPT_AS_OF:
			if (kind != XL_ANALYZE_RFM && kind != XL_ANALYZE_SEGMENTS && kind != XL_ANALYZE_DASHBOARD)
				xl_die_usage("--as-of works with rfm, segments and dashboard");
			ao.as_of_day = xl_opt_day("--as-of", optarg);
			break;
		case OPT_FROM_STDIN:
			from_stdin = 1;
			break;
		}
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (ao.from_day != XL_ANALYZE_OPEN && ao.to_day != XL_ANALYZE_OPEN && ao.from_day > ao.to_day)
		xl_die_usage("--from is after --to");
	if (!from_stdin && optind < argc)
		xl_die_usage("files are read with --from-stdin only");
	if (xl_records_open(&rec, o.rejects_path, o.max_errors, &err) < 0)
		xl_die_err(&err);
	rec.say = xl_log_record;
	a = xl_analyze_new(kind, &ao);
	if (from_stdin) {
		add_records(a, &rec, argv + optind, (size_t)(argc - optind), o.max_line);
	} else {
		struct xl_db *db = NULL;

		if (xl_db_open(&db, dsn, &err) < 0 || xl_analyze_load(a, db, &err) < 0) {
			xl_db_close(db);
			xl_analyze_free(a);
			xl_records_abandon(&rec);
			xl_die_err(&err);
		}
		xl_db_close(db);
	}
	if (xl_analyze_finish(a, &err) < 0) {
		xl_analyze_free(a);
		xl_records_abandon(&rec);
		xl_die_err(&err);
	}
	for (size_t i = 0; i < xl_analyze_count(a); i++) {
		json_t *r = xl_analyze_record(a, i);
		int ret = xl_records_write(&rec, r, &err);

		json_decref(r);
		if (ret < 0) {
			xl_analyze_free(a);
			xl_records_abandon(&rec);
			xl_die_err(&err);
		}
	}
	xl_analyze_free(a);
	status = xl_records_close(&rec, &err);
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
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
		if (!strcmp(cmd, subs[i].name))
			xl_exit(sub_main(i, argc, argv, o.dsn));
	xl_die_usage("'%s' is not a command", cmd);
	return XL_EXIT_USAGE;
}
