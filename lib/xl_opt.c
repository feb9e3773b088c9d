#include "xl_opt.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_exit.h"
#include "xl_log.h"
#include "xl_time.h"
#include "xl_num.h"
#include "xl_banned.h"

#ifndef XLCFI_VERSION
#define XLCFI_VERSION "unknown"
#endif

enum {
	OPT_VERSION = 0x1000,
	OPT_LOG_FORMAT,
	OPT_DSN,
	OPT_REJECTS,
	OPT_MAX_ERRORS,
	OPT_MAX_LINE
};

static const struct option common_long[] = {
	{ "help", no_argument, NULL, 'h' },
	{ "version", no_argument, NULL, OPT_VERSION },
	{ "verbose", no_argument, NULL, 'v' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "log-format", required_argument, NULL, OPT_LOG_FORMAT },
};

static const struct option db_long[] = {
	{ "dsn", required_argument, NULL, OPT_DSN },
};

static const struct option records_long[] = {
	{ "rejects", required_argument, NULL, OPT_REJECTS },
	{ "max-errors", required_argument, NULL, OPT_MAX_ERRORS },
	{ "max-line", required_argument, NULL, OPT_MAX_LINE },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

int64_t xl_opt_day(const char *opt, const char *arg)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_date d;

	if (xl_date_parse(arg, &d, &err) < 0)
		xl_die_usage("invalid %s '%s': %s", opt, arg, err.msg);
	return xl_date_to_days(d);
}

const char *xl_opt_version(void)
{
	return XLCFI_VERSION;
}

static size_t count_long(const struct option *o)
{
	size_t n = 0;

	while (o && o[n].name)
		n++;
	return n;
}

static void build(struct xl_opt *o)
{
	size_t own = count_long(o->longopts), n = 0;
	size_t total = own + N(common_long) + N(db_long) + N(records_long) + 1;
	const char *own_short = o->shortopts ? o->shortopts : "";
	size_t slen = strlen(own_short);

	o->all_long = xl_xcalloc(total, sizeof(struct option));
	for (size_t i = 0; i < own; i++)
		o->all_long[n++] = o->longopts[i];
	for (size_t i = 0; i < N(common_long); i++)
		o->all_long[n++] = common_long[i];
	if (o->flags & XL_OPT_DB)
		for (size_t i = 0; i < N(db_long); i++)
			o->all_long[n++] = db_long[i];
	if (o->flags & XL_OPT_RECORDS)
		for (size_t i = 0; i < N(records_long); i++)
			o->all_long[n++] = records_long[i];

	/* '+' stops at the first operand, so subcommands keep their options. */
	o->all_short = xl_xmalloc(slen + 8);
	snprintf(o->all_short, slen + 8, "%s:%shqv",
		 o->flags & XL_OPT_STOP_AT_OPERAND ? "+" : "", own_short);
	o->max_errors = -1;
}

void xl_opt_print_help(const struct xl_opt *o, FILE *out)
{
	fprintf(out, "%s\n", o->usage);
	if (o->help && *o->help)
		fprintf(out, "\n%s", o->help);
	fprintf(out, "\ncommon options:\n"
	       "  -h, --help              show this help and exit\n"
	       "      --version           show the version and exit\n"
	       "  -q, --quiet             report errors only\n"
	       "  -v, --verbose           more detail (repeat for debug)\n"
	       "      --log-format=FMT    diagnostics as 'text' (default) or 'json' lines\n");
	if (o->flags & XL_OPT_DB)
		fprintf(out, "      --dsn=DSN           PostgreSQL connection string (else XLCFI_DSN, PG*, the private cluster)\n");
	if (o->flags & XL_OPT_RECORDS)
		fprintf(out, "      --rejects=FILE      write rejected records there as NDJSON\n"
		       "      --max-errors=N      give up after more than N rejected records\n"
		       "      --max-line=SIZE     refuse input lines longer than SIZE (default 16M)\n");
	if (o->more_help)
		o->more_help(out);
}

static const char *option_name(const struct xl_opt *o, int c, char *buf, size_t size)
{
	for (const struct option *l = o->all_long; l->name; l++)
		if (l->val == c && !l->flag) {
			snprintf(buf, size, "--%s", l->name);
			return buf;
		}
	snprintf(buf, size, "-%c", c);
	return buf;
}

int xl_opt_next(struct xl_opt *o, int argc, char **argv)
{
	char name[64];
	int64_t v;
	int c;

	if (!o->all_long)
		build(o);
	for (;;) {
		c = getopt_long(argc, argv, o->all_short, o->all_long, NULL);
		switch (c) {
		case 'h':
			xl_opt_print_help(o, stdout);
			xl_exit(XL_EXIT_OK);
		case OPT_VERSION:
			fprintf(stdout, "%s %s\n", xl_log_prog(), XLCFI_VERSION);
			xl_exit(XL_EXIT_OK);
		case 'v':
			xl_log_set_level(xl_log_level() < XL_LOG_INFO ? XL_LOG_INFO : xl_log_level() + 1);
			continue;
		case 'q':
			xl_log_set_level(XL_LOG_ERROR);
			continue;
		case OPT_LOG_FORMAT:
			if (xl_log_set_format(optarg) < 0)
				xl_die_usage("invalid --log-format '%s': expected text or json", optarg);
			continue;
		case OPT_DSN:
			o->dsn = optarg;
			continue;
		case OPT_REJECTS:
			o->rejects_path = optarg;
			continue;
		case OPT_MAX_ERRORS:
			if (xl_num_parse_range(optarg, 0, 1000000000, &v) < 0)
				xl_die_usage("invalid --max-errors '%s': expected a whole number", optarg);
			o->max_errors = (long)v;
			continue;
		case OPT_MAX_LINE:
			if (xl_num_parse_size(optarg, &o->max_line) < 0 || o->max_line < 64)
				xl_die_usage("invalid --max-line '%s': expected a size like 16M (at least 64)", optarg);
			continue;
		case ':':
			xl_die_usage("option '%s' needs a value",
				     optopt ? option_name(o, optopt, name, sizeof(name)) : argv[optind - 1]);
		case '?':
			if (optopt)
				xl_die_usage("unknown option '-%c'", optopt);
			xl_die_usage("unknown option '%s'", argv[optind - 1]);
		default:
			return c;
		}
	}
}

const char *xl_opt_command(struct xl_opt *o, int argc, char **argv)
{
	o->flags |= XL_OPT_STOP_AT_OPERAND;
	while (xl_opt_next(o, argc, argv) != -1)
		;
	xl_opt_release(o);
	if (optind >= argc)
		xl_die_usage("no command given");
	return argv[optind];
}

void xl_opt_release(struct xl_opt *o)
{
	free(o->all_long);
	free(o->all_short);
	o->all_long = NULL;
	o->all_short = NULL;
}
