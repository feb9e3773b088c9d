/*
 * xlcfi-report: the weekly, monthly or ad hoc sales report as an Excel
 * workbook (with charts), a CSV of the order lines for Korean Excel, or a
 * self-contained HTML page, from the database or from order_lines records.
 * The file appears whole or not at all; a record saying what was written
 * goes to stdout.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xl_analyze.h"
#include "xl_db.h"
#include "xl_exit.h"
#include "xl_jsonl.h"
#include "xl_log.h"
#include "xl_opt.h"
#include "xl_period.h"
#include "xl_records.h"
#include "xl_report_build.h"
#include "xl_banned.h"

static const char usage_main[] =
	"usage: xlcfi-report [-hqv] [--version] [--dsn dsn] [--log-format fmt] command [arg ...]";

static const char help_main[] =
	"commands:\n"
	"  weekly   the last full week (Monday to Sunday, Seoul), or the week of --date\n"
	"  monthly  the last full month, or the month of --date\n"
	"  range    the days --from to --to\n"
	"\nSee 'xlcfi-report COMMAND --help' and xlcfi-report(1).\n";

static const char usage_sub[] =
	"usage: xlcfi-report %s [-hqv] [--dsn dsn] [--encoding enc] [--format fmt] [--from-stdin]%s "
	"-o file [file ...]";

static const char help_sub[] =
	"  -o, --output=FILE       the report file (written whole or not at all)\n"
	"      --format=FMT        xlsx (default, or from FILE's extension), csv or html\n"
	"      --encoding=ENC      csv: utf-8 (default, with a BOM, for Excel) or cp949\n"
	"      --date=DATE         weekly, monthly: the period that holds this day (YYYY-MM-DD)\n"
	"      --from=DATE         range: the first day\n"
	"      --to=DATE           range: the last day\n"
	"      --from-stdin        read order_lines records (xlcfi-etl export --table order_lines)\n"
	"                          from the files named, or stdin, instead of the database\n";

enum { OPT_FORMAT = 0x100, OPT_ENCODING, OPT_DATE, OPT_FROM, OPT_TO, OPT_FROM_STDIN };

static const struct {
	const char *name;
	enum xl_report_kind kind;
	const char *usage_extra;
} subs[] = {
	{ "weekly", XL_REPORT_WEEKLY, " [--date date]" },
	{ "monthly", XL_REPORT_MONTHLY, " [--date date]" },
	{ "range", XL_REPORT_RANGE, " --from date --to date" },
};

static enum xl_report_format parse_format(const char *s)
{
	if (!strcmp(s, "xlsx"))
		return XL_REPORT_XLSX;
	if (!strcmp(s, "csv"))
		return XL_REPORT_CSV;
	if (!strcmp(s, "html"))
		return XL_REPORT_HTML;
	xl_die_usage("invalid --format '%s': expected xlsx, csv or html", s);
	return XL_REPORT_XLSX;
}

static const char *const format_names[] = { "xlsx", "csv", "html" };

/* The format a file name implies, or xlsx. */
static enum xl_report_format format_of(const char *path)
{
	const char *dot = strrchr(path, '.');

	if (dot && (!strcasecmp(dot, ".csv") || !strcasecmp(dot, ".html") || !strcasecmp(dot, ".htm")))
		return dot[1] == 'c' || dot[1] == 'C' ? XL_REPORT_CSV : XL_REPORT_HTML;
	return XL_REPORT_XLSX;
}

static void fail(struct xl_report_build *b, struct xl_records *rec, const struct xl_err *err)
{
	xl_report_build_free(b);
	xl_records_abandon(rec);
	xl_die_err(err);
}

static int add_record(const json_t *rec, void *b, struct xl_err *err)
{
	return xl_report_build_add(b, rec, err);
}

/* Read every record of the files (or stdin) into b; refuse what is not a fact. */
static void add_records(struct xl_report_build *b, struct xl_records *rec, char **files, size_t nfiles,
			size_t max_line)
{
	struct xl_jsonl_reader *in = NULL;
	struct xl_err err = XL_ERR_INIT;
	int ret;

	xl_jsonl_open(&in, files, nfiles, max_line);
	ret = xl_records_each(rec, in, add_record, b, &err);
	if (ret == -XL_ERANGE)
		xl_log_at(xl_jsonl_file(in), xl_jsonl_line(in), "%s", err.msg);
	else if (ret == -XL_ETOOBIG)
		xl_error("%s", err.msg);
	xl_jsonl_close(in);
	if (ret == -XL_ETOOBIG || ret == -XL_ERANGE) {
		xl_report_build_free(b);
		xl_records_close(rec, &err);
		xl_exit(XL_EXIT_DATAERR);
	}
	if (ret < 0)
		fail(b, rec, &err);
}

static int sub_main(size_t which, int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "encoding", required_argument, NULL, OPT_ENCODING },
		{ "date", required_argument, NULL, OPT_DATE },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "to", required_argument, NULL, OPT_TO },
		{ "from-stdin", no_argument, NULL, OPT_FROM_STDIN },
		{ NULL, 0, NULL, 0 }
	};
	enum xl_report_kind kind = subs[which].kind;
	char usage[512], name[64];
	struct xl_opt o = { .usage = usage, .help = help_sub, .shortopts = "o:", .longopts = longopts,
			    .flags = XL_OPT_DB | XL_OPT_RECORDS };
	struct xl_err err = XL_ERR_INIT;
	struct xl_report_build *b = NULL;
	struct xl_records rec;
	const char *output = NULL;
	int opt, from_stdin = 0, cp949 = 0, have_format = 0, status;
	enum xl_report_format format = XL_REPORT_XLSX;
	int64_t day = XL_ANALYZE_OPEN, from = XL_ANALYZE_OPEN, to = XL_ANALYZE_OPEN, first, last;
	char a[XL_TIME_BUFSZ], z[XL_TIME_BUFSZ];
	json_t *done;
	uint64_t lines;
	struct xl_db *db = NULL;

	snprintf(usage, sizeof(usage), usage_sub, subs[which].name, subs[which].usage_extra);
	snprintf(name, sizeof(name), "xlcfi-report %s", subs[which].name);
	xl_log_set_help_name(name);
	optind = 0;
	while ((opt = xl_opt_next(&o, argc, argv)) != -1) {
		switch (opt) {
		case 'o':
			output = optarg;
			break;
		case OPT_FORMAT:
			format = parse_format(optarg);
			have_format = 1;
			break;
		case OPT_ENCODING:
			if (!strcmp(optarg, "cp949") || !strcmp(optarg, "CP949"))
				cp949 = 1;
			else if (strcmp(optarg, "utf-8") && strcmp(optarg, "UTF-8"))
				xl_die_usage("invalid --encoding '%s': expected utf-8 or cp949", optarg);
			break;
		case OPT_DATE:
			if (kind == XL_REPORT_RANGE)
				xl_die_usage("a range report takes --from and --to, not --date");
			day = xl_opt_day("--date", optarg);
			break;
		case OPT_FROM:
		case OPT_TO:
			if (kind != XL_REPORT_RANGE)
				xl_die_usage("--from and --to are for range reports; use --date");
			if (opt == OPT_FROM)
				from = xl_opt_day("--from", optarg);
			else
				to = xl_opt_day("--to", optarg);
			break;
		case OPT_FROM_STDIN:
			from_stdin = 1;
			break;
		}
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (!output)
		xl_die_usage("-o FILE is needed: the report is a file");
	if (!have_format)
		format = format_of(output);
	if (cp949 && format != XL_REPORT_CSV)
		xl_die_usage("--encoding is for csv reports");
	if (!from_stdin && optind < argc)
		xl_die_usage("files are read with --from-stdin only");
	if (day == XL_ANALYZE_OPEN) {
		/* The last full period: the one that holds the day a period ago. */
		int64_t today = xl_period_seoul_day(xl_time_now());

		day = kind == XL_REPORT_WEEKLY ? today - 7 : xl_period_start(XL_PERIOD_MONTH, today) - 1;
	}
	if (xl_report_period(kind, day, from, to, &first, &last, &err) < 0)
		xl_die_usage("%s", err.msg);
	if (xl_records_open(&rec, o.rejects_path, o.max_errors, &err) < 0)
		xl_die_err(&err);
	rec.say = xl_log_record;
	b = xl_report_build_new(kind, first, last);
	if (from_stdin) {
		add_records(b, &rec, argv + optind, (size_t)(argc - optind), o.max_line);
		if (xl_report_build_write(b, format, output, cp949, &err) < 0)
			fail(b, &rec, &err);
	} else if (xl_db_open(&db, dsn, &err) < 0 || xl_report_build_load(b, db, &err) < 0 ||
		   xl_report_build_write(b, format, output, cp949, &err) < 0) {
		xl_report_build_free(b);
		xl_db_close(db);
		xl_records_abandon(&rec);
		xl_die_err(&err);
	}
	lines = xl_report_build_lines(b);
	if (xl_report_build_replaced(b))
		xl_warn("%s: %llu characters CP949 cannot hold were written as '?'", output,
			(unsigned long long)xl_report_build_replaced(b));
	xl_report_build_free(b);
	xl_db_close(db);
	xl_date_format(a, sizeof(a), xl_date_from_days(first));
	xl_date_format(z, sizeof(z), xl_date_from_days(last));
	done = json_pack("{s:s, s:s, s:s, s:s, s:s, s:I}", "report", output, "format", format_names[format],
			 "kind", subs[which].name, "from", a, "to", z,
			 "lines", (json_int_t)lines);
	if (xl_records_write(&rec, done, &err) < 0) {
		json_decref(done);
		xl_records_abandon(&rec);
		xl_die_err(&err);
	}
	json_decref(done);
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
