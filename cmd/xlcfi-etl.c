/*
 * xlcfi-etl: data in and out of the database. This session's subcommands:
 * export (tables and queries as NDJSON or CSV) and events (the outbox as
 * NDJSON, with consumer groups and --follow).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xl_alloc.h"
#include "xl_atfile.h"
#include "xl_db.h"
#include "xl_events.h"
#include "xl_exit.h"
#include "xl_export.h"
#include "xl_gen.h"
#include "xl_import.h"
#include "xl_jsonl.h"
#include "xl_log.h"
#include "xl_num.h"
#include "xl_opt.h"
#include "xl_progress.h"
#include "xl_rejects.h"
#include "xl_signal.h"
#include "xl_time.h"
#include "xl_banned.h"

static const char usage_main[] =
	"usage: xlcfi-etl [-hqv] [--version] [--dsn dsn] [--log-format fmt] command [arg ...]";

static const char help_main[] =
	"commands:\n"
	"  import    CSV or NDJSON rows into a table, checked, in one transaction\n"
	"  generate  a deterministic synthetic K-Food shop, as NDJSON or loaded\n"
	"  export    a table or a query as NDJSON or CSV\n"
	"  events    the event outbox as NDJSON, optionally following it\n"
	"\nSee 'xlcfi-etl COMMAND --help' and xlcfi-etl(1).\n";

static const char usage_import[] =
	"usage: xlcfi-etl import [-hqv] [--dry-run] [--strict] [--upsert] [--currency code] "
	"[--dsn dsn] [--encoding enc] [--format fmt] [--map src=dst,...] [--max-errors n] "
	"[--max-line size] [--rejects file] [--set field=value] [--timezone zone] --table table [file ...]";

static const char help_import[] =
	"options:\n"
	"      --table=TABLE       categories, products, users, orders, interactions or reviews\n"
	"      --format=FMT        csv, ndjson or auto (default: by file name, else by content)\n"
	"      --encoding=ENC      CSV text: auto (default), utf-8 or cp949\n"
	"      --map=SRC=DST,...   read input column SRC as field DST (repeatable)\n"
	"      --set=FIELD=VALUE   use VALUE where the input has no FIELD (repeatable)\n"
	"      --currency=CODE     for rows without a currency (default KRW)\n"
	"      --timezone=ZONE     for times without an offset (default Asia/Seoul)\n"
	"      --upsert            update rows that exist (by natural key) instead of refusing them\n"
	"      --dry-run           check and report everything, load nothing\n"
	"      --strict            refuse the whole input at the first bad row (--max-errors 0)\n";

static const char usage_generate[] =
	"usage: xlcfi-etl generate [-hqv] [--load] [--days n] [--dsn dsn] [--products n] [--seed n] "
	"[--start date] [--users n] [-o dir]";

static const char help_generate[] =
	"options:\n"
	"      --users=N           customers (default 1000)\n"
	"      --products=N        products (default 200)\n"
	"      --days=N            days of trading (default 90)\n"
	"      --start=DATE        the first day, YYYY-MM-DD in Seoul (default 2026-01-01)\n"
	"      --seed=N            the same seed gives the same data, byte for byte (default 1)\n"
	"  -o, --output=DIR      one file per table in DIR (TABLE.ndjson) instead of stdout\n"
	"      --load              import it all into the database, table by table\n";

static const char usage_export[] =
	"usage: xlcfi-etl export [-hqv] [--excel] [--dsn dsn] [--encoding enc] [--format fmt] "
	"[--since time] [--until time] [-o file] (--table table | --sql query)";

static const char help_export[] =
	"options:\n"
	"      --table=TABLE       export this table, in primary key order\n"
	"      --sql=QUERY         export the rows of this SELECT (run read-only)\n"
	"      --format=FMT        ndjson (default) or csv\n"
	"      --excel             CSV for Excel: UTF-8 byte order mark and CRLF\n"
	"      --encoding=ENC      CSV text as utf-8 (default) or cp949\n"
	"      --since=TIME        rows at or after this RFC 3339 time (with --table)\n"
	"      --until=TIME        rows before this time (with --table)\n"
	"  -o, --output=FILE       write FILE whole or not at all, instead of stdout\n";

static const char usage_events[] =
	"usage: xlcfi-etl events [-hqv] [--follow] [--dsn dsn] [--from id] [--group name] "
	"[--limit n] [--topic topic]";

static const char help_events[] =
	"options:\n"
	"      --topic=TOPIC       only events of this topic\n"
	"      --from=ID           start at event ID (default: after the group's offset, or 1)\n"
	"      --group=NAME        keep this consumer group's offset, committed after each\n"
	"                          batch is written and flushed (at-least-once)\n"
	"      --follow            wait for new events (LISTEN) until SIGINT or SIGTERM\n"
	"      --limit=N           stop after N events\n";

static void connect_or_die(struct xl_db **db, const char *dsn)
{
	struct xl_err err = XL_ERR_INIT;

	if (xl_db_open(db, dsn, &err) < 0)
		xl_die_err(&err);
}

/* Close stdout and treat a failure as an I/O error: a full disk is not success. */
static void close_stdout_or_die(void)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0)
		xl_die(XL_EXIT_IOERR, "cannot write to '<stdout>': %s", strerror(errno));
}

struct sink {
	FILE *fp;
	const char *name;
	struct xl_progress progress;
};

static int sink_write(const char *data, size_t len, void *arg, struct xl_err *err)
{
	struct sink *s = arg;

	if (fwrite(data, 1, len, s->fp) != len)
		return xl_err_set(err, XL_EIO, "cannot write to '%s': %s", s->name, strerror(errno));
	xl_progress_add(&s->progress, 1);
	return 0;
}

enum {
	OPT_TABLE = 0x100, OPT_SQL, OPT_FORMAT, OPT_EXCEL, OPT_ENCODING, OPT_SINCE, OPT_UNTIL,
	OPT_TOPIC, OPT_FROM, OPT_GROUP, OPT_FOLLOW, OPT_LIMIT,
	OPT_MAP, OPT_SET, OPT_CURRENCY, OPT_TIMEZONE, OPT_UPSERT, OPT_DRY_RUN, OPT_STRICT,
	OPT_USERS, OPT_PRODUCTS, OPT_DAYS, OPT_START, OPT_SEED, OPT_LOAD
};

static int export_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "table", required_argument, NULL, OPT_TABLE },
		{ "sql", required_argument, NULL, OPT_SQL },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "excel", no_argument, NULL, OPT_EXCEL },
		{ "encoding", required_argument, NULL, OPT_ENCODING },
		{ "since", required_argument, NULL, OPT_SINCE },
		{ "until", required_argument, NULL, OPT_UNTIL },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_export, .help = help_export, .shortopts = "o:",
			    .longopts = longopts, .flags = XL_OPT_DB };
	struct xl_export_opts eo = { 0 };
	struct xl_export_stats st;
	struct xl_err err = XL_ERR_INIT;
	struct xl_atfile file = { 0 };
	struct sink sink = { .fp = stdout, .name = "<stdout>" };
	struct xl_db *db = NULL;
	const char *output = NULL;
	int64_t t0 = xl_time_now();
	int c, ret;

	xl_log_set_help_name("xlcfi-etl export");
	optind = 0;
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		switch (c) {
		case OPT_TABLE: eo.table = optarg; break;
		case OPT_SQL: eo.sql = optarg; break;
		case OPT_EXCEL: eo.excel = 1; break;
		case OPT_SINCE: eo.since = optarg; break;
		case OPT_UNTIL: eo.until = optarg; break;
		case 'o': output = optarg; break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "ndjson"))
				eo.format = XL_EXPORT_NDJSON;
			else if (!strcmp(optarg, "csv"))
				eo.format = XL_EXPORT_CSV;
			else
				xl_die_usage("invalid --format '%s': expected ndjson or csv", optarg);
			break;
		case OPT_ENCODING:
			if (!strcmp(optarg, "cp949") || !strcmp(optarg, "CP949") || !strcmp(optarg, "euc-kr"))
				eo.cp949 = 1;
			else if (strcmp(optarg, "utf-8") && strcmp(optarg, "UTF-8"))
				xl_die_usage("invalid --encoding '%s': expected utf-8 or cp949", optarg);
			break;
		}
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (optind < argc)
		xl_die_usage("unexpected argument '%s'", argv[optind]);
	if (eo.excel)
		eo.format = XL_EXPORT_CSV;   /* --excel implies CSV */
	if (xl_export_check(&eo, &err) < 0)
		xl_die_usage("%s", err.msg);
	connect_or_die(&db, dsn);
	if (output) {
		if (xl_atfile_open(&file, output, &err) < 0) {
			xl_db_close(db);
			xl_die_err(&err);
		}
		sink.fp = file.fp;
		sink.name = output;
	}
	xl_progress_init(&sink.progress, xl_progress_stream(), "export", 0);
	ret = xl_export_run(db, &eo, sink_write, &sink, &st, &err);
	xl_progress_done(&sink.progress);
	xl_db_close(db);
	if (ret == 0 && output)
		ret = xl_atfile_commit(&file, &err);
	else if (output)
		xl_atfile_abort(&file);
	/*
	 * Bad options, and a --sql query the server refuses to run: invalid,
	 * writing (read-only transaction), or failing on its own data.
	 */
	if (ret == -XL_EINVAL || (ret == -XL_EDB && eo.sql))
		xl_die_usage("%s", err.msg);
	if (ret < 0)
		xl_die_err(&err);
	if (st.replaced)
		xl_warn("%llu characters have no CP949 form and were written as '?'",
			(unsigned long long)st.replaced);
	close_stdout_or_die();
	xl_info("exported %llu rows (%llu bytes) in %.2f s", (unsigned long long)st.rows,
		(unsigned long long)st.bytes, (double)(xl_time_now() - t0) / 1e6);
	return XL_EXIT_OK;
}

/* Past this many, refused rows go to the rejects file only (all of them with -v). */
#define SHOW_REJECTS 10

struct import_ctx {
	struct xl_rejects *rej;
	struct xl_progress progress;
	int write_failed;
	uint64_t shown;
};

static void on_reject(const struct xl_import_reject *rj, void *arg)
{
	struct import_ctx *c = arg;
	struct xl_err err = XL_ERR_INIT;

	if (++c->shown > SHOW_REJECTS && xl_log_level() < XL_LOG_INFO) {
		/* Nothing to print. */
	} else if (rj->field && rj->value)
		xl_log_at(rj->file, rj->line, "%s '%s': %s", rj->field, rj->value, rj->error);
	else if (rj->field)
		xl_log_at(rj->file, rj->line, "%s: %s", rj->field, rj->error);
	else
		xl_log_at(rj->file, rj->line, "%s", rj->error);
	if (xl_rejects_add_import(c->rej, rj, &err) < 0 && !c->write_failed) {
		c->write_failed = 1;
		xl_error("%s", err.msg);
	}
}

static void on_progress(uint64_t rows, uint64_t bytes, uint64_t total, void *arg)
{
	struct import_ctx *c = arg;

	xl_progress_set(&c->progress, rows, bytes, total);
	/* All read: the database's part may take a while, with 100 % on show. */
	if (total && bytes >= total)
		xl_progress_draw(&c->progress);
}

/* A growing list of strings, each its own allocation. */
struct strlist {
	char **v;
	size_t n, alloc;
};

static void strlist_add(struct strlist *l, const char *s, size_t len)
{
	XL_ALLOC_GROW(l->v, l->n + 1, l->alloc);
	l->v[l->n++] = xl_xstrndup(s, len);
}

static void strlist_release(struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
}

/* Add each item of "a=b,c=d". */
static void strlist_split(struct strlist *l, const char *arg)
{
	for (const char *p = arg, *comma; p; p = comma ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		strlist_add(l, p, comma ? (size_t)(comma - p) : strlen(p));
	}
}

static int import_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "table", required_argument, NULL, OPT_TABLE },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "encoding", required_argument, NULL, OPT_ENCODING },
		{ "map", required_argument, NULL, OPT_MAP },
		{ "set", required_argument, NULL, OPT_SET },
		{ "currency", required_argument, NULL, OPT_CURRENCY },
		{ "timezone", required_argument, NULL, OPT_TIMEZONE },
		{ "upsert", no_argument, NULL, OPT_UPSERT },
		{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_import, .help = help_import, .longopts = longopts,
			    .flags = XL_OPT_DB | XL_OPT_RECORDS };
	struct xl_import_opts io = { 0 };
	struct xl_import_stats st;
	struct import_ctx ctx = { 0 };
	struct xl_import_hooks hooks = { on_reject, on_progress, &ctx };
	struct xl_err err = XL_ERR_INIT;
	struct strlist maps = { 0 }, sets = { 0 };
	struct xl_db *db = NULL;
	int64_t t0 = xl_time_mono();
	int c, ret, strict = 0, status;

	xl_log_set_help_name("xlcfi-etl import");
	optind = 0;
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		switch (c) {
		case OPT_TABLE: io.table = optarg; break;
		case OPT_CURRENCY: io.currency = optarg; break;
		case OPT_TIMEZONE: io.timezone = optarg; break;
		case OPT_UPSERT: io.upsert = 1; break;
		case OPT_DRY_RUN: io.dry_run = 1; break;
		case OPT_STRICT: strict = 1; break;
		case OPT_MAP: strlist_split(&maps, optarg); break;
		case OPT_SET: strlist_add(&sets, optarg, strlen(optarg)); break;
		case OPT_FORMAT:
			if (!strcmp(optarg, "csv"))
				io.format = XL_IMPORT_CSV;
			else if (!strcmp(optarg, "ndjson"))
				io.format = XL_IMPORT_NDJSON;
			else if (strcmp(optarg, "auto"))
				xl_die_usage("invalid --format '%s': expected csv, ndjson or auto", optarg);
			break;
		case OPT_ENCODING:
			if (!strcasecmp(optarg, "cp949") || !strcasecmp(optarg, "euc-kr"))
				io.encoding = XL_CSV_CP949;
			else if (!strcasecmp(optarg, "utf-8") || !strcasecmp(optarg, "utf8"))
				io.encoding = XL_CSV_UTF8;
			else if (strcmp(optarg, "auto"))
				xl_die_usage("invalid --encoding '%s': expected auto, utf-8 or cp949", optarg);
			break;
		}
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	io.maps = maps.v;
	io.nmaps = maps.n;
	io.sets = sets.v;
	io.nsets = sets.n;
	io.max_errors = strict ? 0 : o.max_errors;
	io.max_line = o.max_line;
	io.paths = argv + optind;
	io.npaths = (size_t)(argc - optind);
	if (xl_import_check(&io, &err) < 0)
		xl_die_usage("%s", err.msg);
	if (xl_rejects_open(&ctx.rej, o.rejects_path, -1, &err) < 0)
		xl_die_err(&err);
	connect_or_die(&db, dsn);
	if (xl_import_check_db(db, &io, &err) < 0) {
		xl_db_close(db);
		if (err.code == XL_EINVAL)
			xl_die_usage("%s", err.msg);
		xl_die_err(&err);
	}
	xl_progress_init(&ctx.progress, xl_progress_stream(), "import", 0);
	ret = xl_import_run(db, &io, &hooks, &st, &err);
	xl_progress_done(&ctx.progress);
	xl_db_close(db);
	if (st.format && !strcmp(st.format, "csv"))
		xl_info("reading CSV as %s", st.encoding);
	if (st.bulk)
		xl_info("references checked and locked in bulk; per-row foreign-key triggers skipped");
	if (ctx.shown > SHOW_REJECTS && xl_log_level() < XL_LOG_INFO)
		xl_error("%llu more rows refused%s", (unsigned long long)(ctx.shown - SHOW_REJECTS),
			 o.rejects_path ? "; all are in the rejects file" : "; --rejects FILE keeps them, -v shows them");
	if (ret == 0 || ret == -XL_ETOOBIG)
		xl_log_msg(XL_LOG_WARN, json_pack("{sIsIsIsIsIsf}", "read", (json_int_t)st.read,
						  "loaded", (json_int_t)st.loaded, "rejected", (json_int_t)st.rejected,
						  "inserted", (json_int_t)st.inserted, "updated", (json_int_t)st.updated,
						  "seconds", (double)(xl_time_mono() - t0) / 1e6),
			   "%s%s: read %llu, loaded %llu (%llu new, %llu changed), rejected %llu in %.1f s",
			   io.dry_run ? "dry run, nothing written: " : "", io.table,
			   (unsigned long long)st.read, (unsigned long long)st.loaded,
			   (unsigned long long)st.inserted, (unsigned long long)st.updated,
			   (unsigned long long)st.rejected, (double)(xl_time_mono() - t0) / 1e6);
	status = XL_EXIT_OK;
	if (ret == -XL_EINVAL || ret == -XL_ETOOBIG) {
		xl_error("%s", err.msg);
		status = XL_EXIT_DATAERR;
	} else if (ret < 0) {
		xl_rejects_close(ctx.rej, NULL);
		xl_die_err(&err);
	} else if (st.rejected) {
		status = XL_EXIT_DATAERR;
	}
	if (xl_rejects_close(ctx.rej, &err) < 0 || ctx.write_failed) {
		if (!ctx.write_failed)
			xl_error("%s", err.msg);
		status = XL_EXIT_IOERR;
	}
	strlist_release(&maps);
	strlist_release(&sets);
	close_stdout_or_die();
	return status;
}

struct gen_sink {
	struct xl_atfile files[XL_GEN_NTABLES];
	int to_files;
	struct xl_progress progress;
	struct xl_buf line;
};

static int gen_write(enum xl_gen_table t, const char *json, size_t len, void *arg, struct xl_err *err)
{
	struct gen_sink *g = arg;
	FILE *fp = g->to_files ? g->files[t].fp : stdout;

	xl_buf_reset(&g->line);
	if (!g->to_files) {
		/* One stream: each record says which table it is for. */
		xl_buf_addf(&g->line, "{\"table\":\"%s\",", xl_gen_table_name(t));
		xl_buf_add(&g->line, json + 1, len - 1);
	} else {
		xl_buf_add(&g->line, json, len);
	}
	xl_buf_addch(&g->line, '\n');
	if (fwrite(g->line.buf, 1, g->line.len, fp) != g->line.len)
		return xl_err_set(err, XL_EIO, "cannot write: %s", strerror(errno));
	xl_progress_add(&g->progress, 1);
	return 0;
}

static uint32_t parse_count(const char *opt, const char *arg, int64_t max)
{
	int64_t v;

	if (xl_num_parse_range(arg, 1, max, &v) < 0)
		xl_die_usage("invalid %s '%s': expected 1 to %lld", opt, arg, (long long)max);
	return (uint32_t)v;
}

/* Import the generated files, in order, into the database. */
static int load_generated(const char *dir, const char *dsn)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db = NULL;
	int status = XL_EXIT_OK;

	connect_or_die(&db, dsn);
	for (int t = 0; t < XL_GEN_NTABLES; t++) {
		struct xl_buf path = XL_BUF_INIT;
		char *paths[1];
		struct xl_import_opts io = { 0 };
		struct xl_import_stats st;
		int ret;

		xl_buf_addf(&path, "%s/%s.ndjson", dir, xl_gen_table_name(t));
		paths[0] = path.buf;
		io.table = xl_gen_table_name(t);
		io.format = XL_IMPORT_NDJSON;
		io.max_errors = -1;
		io.paths = paths;
		io.npaths = 1;
		ret = xl_import_run(db, &io, NULL, &st, &err);
		xl_buf_release(&path);
		if (ret < 0) {
			xl_db_close(db);
			xl_die_err(&err);
		}
		xl_info("loaded %s: %llu rows", io.table, (unsigned long long)st.loaded);
		if (st.rejected) {
			xl_error("%s: %llu generated rows were refused (is the database empty?)", io.table,
				 (unsigned long long)st.rejected);
			status = XL_EXIT_DATAERR;
		}
	}
	xl_db_close(db);
	return status;
}

static int generate_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "users", required_argument, NULL, OPT_USERS },
		{ "products", required_argument, NULL, OPT_PRODUCTS },
		{ "days", required_argument, NULL, OPT_DAYS },
		{ "start", required_argument, NULL, OPT_START },
		{ "seed", required_argument, NULL, OPT_SEED },
		{ "load", no_argument, NULL, OPT_LOAD },
		{ "output", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_generate, .help = help_generate, .shortopts = "o:",
			    .longopts = longopts, .flags = XL_OPT_DB };
	struct xl_gen_opts go = { 1000, 200, 90, { 2026, 1, 1 }, 1 };
	struct xl_gen_stats st;
	struct gen_sink g = { .to_files = 0 };
	struct xl_err err = XL_ERR_INIT;
	struct xl_buf tmpdir = XL_BUF_INIT;
	const char *dir = NULL;
	int64_t t0 = xl_time_mono(), v;
	int c, ret, load = 0, status = XL_EXIT_OK;

	xl_log_set_help_name("xlcfi-etl generate");
	optind = 0;
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		switch (c) {
		case OPT_USERS: go.users = parse_count("--users", optarg, 100000000); break;
		case OPT_PRODUCTS: go.products = parse_count("--products", optarg, 10000000); break;
		case OPT_DAYS: go.days = parse_count("--days", optarg, 3660); break;
		case OPT_LOAD: load = 1; break;
		case 'o': dir = optarg; break;
		case OPT_SEED:
			if (xl_num_parse_range(optarg, 0, INT64_MAX, &v) < 0)
				xl_die_usage("invalid --seed '%s': expected a whole number", optarg);
			go.seed = (uint64_t)v;
			break;
		case OPT_START:
			if (xl_date_parse(optarg, &go.start, &err) < 0)
				xl_die_usage("invalid --start: %s", err.msg);
			break;
		}
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (optind < argc)
		xl_die_usage("unexpected argument '%s'", argv[optind]);
	if (load && !dir) {
		const char *tmp = getenv("TMPDIR");

		xl_buf_addf(&tmpdir, "%s/xlcfi-generate.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(tmpdir.buf))
			xl_die(XL_EXIT_CANTCREAT, "cannot create '%s': %s", tmpdir.buf, strerror(errno));
		dir = tmpdir.buf;
	}
	if (dir) {
		g.to_files = 1;
		if (mkdir(dir, 0777) != 0 && errno != EEXIST)
			xl_die(XL_EXIT_CANTCREAT, "cannot create '%s': %s", dir, strerror(errno));
		for (int t = 0; t < XL_GEN_NTABLES; t++) {
			struct xl_buf path = XL_BUF_INIT;

			xl_buf_addf(&path, "%s/%s.ndjson", dir, xl_gen_table_name(t));
			ret = xl_atfile_open(&g.files[t], path.buf, &err);
			xl_buf_release(&path);
			if (ret < 0)
				xl_die_err(&err);
		}
	}
	xl_progress_init(&g.progress, xl_progress_stream(), "generate", 0);
	ret = xl_gen_run(&go, gen_write, &g, &st, &err);
	xl_progress_done(&g.progress);
	for (int t = 0; t < XL_GEN_NTABLES && g.to_files; t++) {
		if (ret == 0)
			ret = xl_atfile_commit(&g.files[t], &err);
		else
			xl_atfile_abort(&g.files[t]);
	}
	xl_buf_release(&g.line);
	if (ret == -XL_EINVAL)
		xl_die_usage("%s", err.msg);
	if (ret < 0)
		xl_die_err(&err);
	xl_info("generated %llu orders (%llu lines), %llu interactions, %llu reviews in %.2f s",
		(unsigned long long)st.orders, (unsigned long long)st.rows[XL_GEN_ORDERS],
		(unsigned long long)st.rows[XL_GEN_INTERACTIONS], (unsigned long long)st.rows[XL_GEN_REVIEWS],
		(double)(xl_time_mono() - t0) / 1e6);
	if (load) {
		status = load_generated(dir, dsn);
		if (tmpdir.len) {
			for (int t = 0; t < XL_GEN_NTABLES; t++) {
				struct xl_buf path = XL_BUF_INIT;

				xl_buf_addf(&path, "%s/%s.ndjson", dir, xl_gen_table_name(t));
				unlink(path.buf);
				xl_buf_release(&path);
			}
			rmdir(dir);
		}
	}
	xl_buf_release(&tmpdir);
	close_stdout_or_die();
	return status;
}

struct follower {
	struct xl_jsonl_writer out;
	int64_t last;       /* id of the last event written */
	long long left;     /* events still wanted; < 0 = no limit */
};

static int write_event(const char *json, size_t len, int64_t id, void *arg, struct xl_err *err)
{
	struct follower *f = arg;
	int ret = xl_jsonl_write_text(&f->out, json, len, err);

	if (ret == 0)
		ret = xl_jsonl_write_text(&f->out, "\n", 1, err);
	f->last = id;
	if (f->left > 0)
		f->left--;
	return ret;
}

/* (Re)connect and listen, retrying with back-off while following. */
static struct xl_db *connect_follower(const char *dsn, int follow, struct xl_err *err)
{
	long delay = 250;

	for (;;) {
		struct xl_db *db = NULL;
		int ret = xl_db_open(&db, dsn, err);

		if (ret == 0 && follow)
			ret = xl_events_listen(db, err);
		if (ret == 0)
			return db;
		xl_db_close(db);
		if (!follow || ret != -XL_EUNAVAIL)
			return NULL;
		xl_warn("%s; retrying in %.2f s", err->msg, (double)delay / 1000);
		if (xl_signal_sleep(delay))
			return NULL;
		delay = delay * 2 > 10000 ? 10000 : delay * 2;
	}
}

static int events_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "topic", required_argument, NULL, OPT_TOPIC },
		{ "from", required_argument, NULL, OPT_FROM },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ "limit", required_argument, NULL, OPT_LIMIT },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_events, .help = help_events, .longopts = longopts,
			    .flags = XL_OPT_DB };
	struct follower f = { .last = 0, .left = -1 };
	struct xl_err err = XL_ERR_INIT;
	const char *topic = NULL, *group = NULL;
	struct xl_db *db = NULL;
	int64_t from = -1, v;
	int c, follow = 0, ret = 0;

	xl_log_set_help_name("xlcfi-etl events");
	optind = 0;
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		switch (c) {
		case OPT_TOPIC: topic = optarg; break;
		case OPT_GROUP: group = optarg; break;
		case OPT_FOLLOW: follow = 1; break;
		case OPT_FROM:
			if (xl_num_parse_range(optarg, 1, INT64_MAX, &v) < 0)
				xl_die_usage("invalid --from '%s': expected an event id", optarg);
			from = v;
			break;
		case OPT_LIMIT:
			if (xl_num_parse_range(optarg, 1, INT64_MAX, &v) < 0)
				xl_die_usage("invalid --limit '%s': expected a positive number", optarg);
			f.left = v;
			break;
		}
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (optind < argc)
		xl_die_usage("unexpected argument '%s'", argv[optind]);
	if (follow)
		xl_signal_catch_stop();
	db = connect_follower(dsn, follow, &err);
	if (!db && xl_signal_stopping())
		return XL_EXIT_OK;
	if (!db)
		xl_die_err(&err);
	if (from > 0)
		f.last = from - 1;
	else if (group && (ret = xl_events_offset(db, group, topic, &f.last, &err)) < 0)
		goto out;
	xl_jsonl_writer_init(&f.out, stdout, "<stdout>");
	while (f.left != 0 && !xl_signal_stopping()) {
		int limit = f.left > 0 && f.left < 1000 ? (int)f.left : 1000;
		int n = xl_events_read(db, f.last, topic, limit, write_event, &f, &err);

		if (n >= 0) {
			/* At-least-once: commit only what is written and flushed. */
			ret = xl_jsonl_writer_flush(&f.out, &err);
			if (ret == 0 && group && n > 0)
				ret = xl_events_commit(db, group, topic, f.last, &err);
		}
		if (ret == -XL_EUNAVAIL && follow) {
			n = ret;
			ret = 0;
		}
		if (ret < 0)
			goto out;
		if (n == -XL_EUNAVAIL && follow) {
			xl_warn("%s; reconnecting", err.msg);
			xl_db_close(db);
			db = connect_follower(dsn, follow, &err);
			if (!db) {
				ret = xl_signal_stopping() ? 0 : -err.code;
				goto out;
			}
			if (group && (ret = xl_events_offset(db, group, topic, &f.last, &err)) < 0)
				goto out;
			continue;
		}
		if (n < 0) {
			ret = n;
			goto out;
		}
		if (n > 0)
			continue;
		if (!follow)
			break;
		/*
		 * Nothing new: sleep until a writer notifies, or a minute passes as
		 * a safety net. Events held back behind an older transaction send
		 * no further notification when it ends, so then look again soon.
		 */
		n = xl_events_held_back(db, f.last, topic, &err);
		if (n >= 0)
			n = xl_db_wait_notify(db, n ? 500 : 60000, NULL, NULL, &err);
		if (n == -XL_EUNAVAIL) {
			xl_warn("%s; reconnecting", err.msg);
			xl_db_close(db);
			db = connect_follower(dsn, follow, &err);
			if (!db) {
				ret = xl_signal_stopping() ? 0 : -err.code;
				goto out;
			}
			if (group && (ret = xl_events_offset(db, group, topic, &f.last, &err)) < 0)
				goto out;
		}
	}
out:
	xl_db_close(db);
	if (ret < 0) {
		xl_jsonl_writer_flush(&f.out, NULL);
		xl_die_err(&err);
	}
	if (xl_jsonl_writer_close(&f.out, &err) < 0)
		xl_die_err(&err);
	return XL_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct xl_opt o = { .usage = usage_main, .help = help_main, .flags = XL_OPT_DB };
	const char *cmd;
	int status;

	/* Each subcommand closes stdout itself and checks that the close worked. */
	xl_log_init(argv[0]);
	cmd = xl_opt_command(&o, argc, argv);
	if (!strcmp(cmd, "generate"))
		status = generate_main(argc - optind, argv + optind, o.dsn);
	else if (!strcmp(cmd, "import"))
		status = import_main(argc - optind, argv + optind, o.dsn);
	else if (!strcmp(cmd, "export"))
		status = export_main(argc - optind, argv + optind, o.dsn);
	else if (!strcmp(cmd, "events"))
		status = events_main(argc - optind, argv + optind, o.dsn);
	else
		xl_die_usage("unknown command '%s'", cmd);
	return status;
}
