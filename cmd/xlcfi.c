/*
 * xlcfi: the front command. "xlcfi CMD ARGS" runs xlcfi-CMD (found beside
 * this program, then on PATH); "xlcfi db ..." manages the database.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_cluster.h"
#include "xl_db.h"
#include "xl_exit.h"
#include "xl_jsonl.h"
#include "xl_log.h"
#include "xl_migrate.h"
#include "xl_opt.h"
#include "xl_banned.h"

static const char usage_main[] =
	"usage: xlcfi [-hqv] [--version] [--dsn dsn] [--log-format fmt] command [arg ...]";

static const char usage_db[] =
	"usage: xlcfi db [-hqv] [--dsn dsn] [--no-sync] [--yes] up|down|status|migrate|dsn|reset";

static const char help_db[] =
	"actions:\n"
	"  up        create (first time) and start the private cluster, then migrate\n"
	"  down      stop the private cluster\n"
	"  status    one NDJSON record: running, source, dsn, schema version, size\n"
	"  migrate   apply pending schema migrations to the configured database\n"
	"  dsn       print the connection string, for psql \"$(xlcfi db dsn)\"\n"
	"  reset     drop and recreate the private database (needs --yes)\n"
	"\noptions:\n"
	"      --no-sync           with up: a throwaway cluster without fsync (tests)\n"
	"      --yes               with reset: really drop the database\n";

/* The directory this program was run from, to find its siblings. */
static char *self_dir(void)
{
	char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);
	char *slash;

	if (n <= 0)
		return NULL;
	path[n] = '\0';
	slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	return xl_xstrdup(path);
}

static int is_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void collect_commands(const char *dir, char ***names, size_t *n, size_t *alloc)
{
	struct xl_buf path = XL_BUF_INIT;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (!d)
		return;
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;
		int dup = 0;

		if (strncmp(name, "xlcfi-", 6) || !name[6] || strchr(name, '.'))
			continue;
		xl_buf_reset(&path);
		xl_buf_addf(&path, "%s/%s", dir, name);
		if (!is_executable(path.buf))
			continue;
		for (size_t i = 0; i < *n; i++)
			if (!strcmp((*names)[i], name + 6))
				dup = 1;
		if (dup)
			continue;
		XL_ALLOC_GROW(*names, *n + 1, *alloc);
		(*names)[(*n)++] = xl_xstrdup(name + 6);
	}
	closedir(d);
	xl_buf_release(&path);
}

static void list_commands(FILE *out)
{
	char **names = NULL, *dir = self_dir(), *pathvar = NULL;
	size_t n = 0, alloc = 0;
	const char *env = getenv("PATH");

	if (dir)
		collect_commands(dir, &names, &n, &alloc);
	if (env) {
		pathvar = xl_xstrdup(env);
		for (char *p = pathvar, *colon; p; p = colon ? colon + 1 : NULL) {
			colon = strchr(p, ':');
			if (colon)
				*colon = '\0';
			if (*p)
				collect_commands(p, &names, &n, &alloc);
		}
	}
	if (n)
		qsort(names, n, sizeof(*names), cmp_str);
	fprintf(out, "\ncommands:\n  db          manage the database (see 'xlcfi db --help')\n");
	for (size_t i = 0; i < n; i++) {
		fprintf(out, "  %-11s runs xlcfi-%s\n", names[i], names[i]);
		free(names[i]);
	}
	free(names);
	free(dir);
	free(pathvar);
}

/* 1 if a file of that name is in one of PATH's directories (executable or not). */
static int on_path(const char *name)
{
	const char *env = getenv("PATH");
	char *paths = xl_xstrdup(env ? env : "/usr/local/bin:/usr/bin:/bin"), *save = NULL;
	int found = 0;

	for (char *d = strtok_r(paths, ":", &save); d && !found; d = strtok_r(NULL, ":", &save)) {
		struct xl_buf p = XL_BUF_INIT;

		xl_buf_addf(&p, "%s/%s", *d ? d : ".", name);
		found = access(p.buf, F_OK) == 0;
		xl_buf_release(&p);
	}
	free(paths);
	return found;
}

static void run_command(const char *name, int argc, char **argv)
{
	struct xl_buf prog = XL_BUF_INIT, path = XL_BUF_INIT;
	char *dir = self_dir();
	char **args = xl_xcalloc((size_t)argc + 1, sizeof(*args));

	if (!*name || strchr(name, '/'))
		xl_die_usage("'%s' is not an xlcfi command", name);
	xl_buf_addf(&prog, "xlcfi-%s", name);
	for (int i = 1; i < argc; i++)
		args[i] = argv[i];
	args[0] = prog.buf;
	fflush(stdout);
	if (dir) {
		xl_buf_addf(&path, "%s/%s", dir, prog.buf);
		if (is_executable(path.buf))
			execv(path.buf, args);
	}
	execvp(prog.buf, args);
	{
		int e = errno;
		/* execvp says EACCES when a PATH directory could not be searched, even if the command is nowhere. */
		int unknown = e == ENOENT || (e == EACCES && !on_path(prog.buf));
		char what[PATH_MAX];

		snprintf(what, sizeof(what), "%s", prog.buf);
		free(args);
		free(dir);
		xl_buf_release(&prog);
		xl_buf_release(&path);
		if (unknown)
			xl_die(XL_EXIT_USAGE, "'%s' is not an xlcfi command (no '%s' beside xlcfi or on PATH); "
			       "see 'xlcfi --help'", name, what);
		xl_die(e == EACCES ? XL_EXIT_NOPERM : XL_EXIT_INTERNAL, "cannot run '%s': %s", what, strerror(e));
	}
}

/* Write one record to stdout; main() checks the final flush. */
static void emit(json_t *rec)
{
	struct xl_buf line = XL_BUF_INIT;

	xl_jsonl_dump(&line, rec);
	xl_buf_addch(&line, '\n');
	fwrite(line.buf, 1, line.len, stdout);
	xl_buf_release(&line);
	json_decref(rec);
}

/* Connect to whatever is configured and report the schema version. */
static int schema_info(struct xl_db *db, json_t *rec, struct xl_err *err)
{
	char *size = NULL, *ver = NULL;
	int version = 0, ret;

	ret = xl_migrate_version(db, &version, err);
	if (ret == 0)
		ret = xl_db_query_value(db, "SELECT pg_database_size(current_database())", 0, NULL,
					&size, err);
	if (ret == 0)
		ret = xl_db_query_value(db, "SHOW server_version", 0, NULL, &ver, err);
	if (ret == 0) {
		json_object_set_new(rec, "schema_version", json_integer(version));
		json_object_set_new(rec, "schema_latest", json_integer(xl_migrate_latest()));
		json_object_set_new(rec, "size_bytes", json_integer(strtoll(size, NULL, 10)));
		json_object_set_new(rec, "server_version", xl_json_str(ver));
	}
	free(size);
	free(ver);
	return ret;
}

static void migrate_db(struct xl_db *db, json_t *rec)
{
	struct xl_err err = XL_ERR_INIT;
	int applied = 0, version = 0;

	if (xl_migrate(db, &applied, &err) < 0 || xl_migrate_version(db, &version, &err) < 0) {
		json_decref(rec);
		xl_db_close(db);
		xl_die_err(&err);
	}
	if (version > xl_migrate_latest())
		xl_warn("the database schema (version %d) is newer than this xlcfi (version %d)",
			version, xl_migrate_latest());
	if (applied)
		xl_info("applied %d migration%s; schema version %d", applied, applied == 1 ? "" : "s", version);
	json_object_set_new(rec, "applied", json_integer(applied));
	json_object_set_new(rec, "schema_version", json_integer(version));
}

static void db_up(int no_sync)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db = NULL;
	char *home = NULL, *dsn = NULL;
	int already = 0;
	json_t *rec;

	if (xl_cluster_home(&home, &err) < 0)
		xl_die_err(&err);
	if (xl_cluster_up(home, no_sync, &already, &err) < 0) {
		free(home);
		xl_die_err(&err);
	}
	if (already)
		xl_warn("the private database in '%s' is already running", home);
	else
		xl_info("started the private database in '%s'", home);
	xl_cluster_dsn(home, &dsn, &err);
	if (xl_db_connect(&db, dsn, &err) < 0) {
		free(home);
		free(dsn);
		xl_die_err(&err);
	}
	rec = json_object();
	json_object_set_new(rec, "running", json_true());
	json_object_set_new(rec, "already_running", json_boolean(already));
	json_object_set_new(rec, "home", xl_json_str(home));
	json_object_set_new(rec, "dsn", xl_json_str(dsn));
	migrate_db(db, rec);
	xl_db_close(db);
	free(home);
	free(dsn);
	emit(rec);
}

static void db_down(void)
{
	struct xl_err err = XL_ERR_INIT;
	char *home = NULL;
	int was = 0;

	if (xl_cluster_home(&home, &err) < 0 || xl_cluster_down(home, &was, &err) < 0) {
		free(home);
		xl_die_err(&err);
	}
	if (!was)
		xl_warn("the private database in '%s' was not running", home);
	else
		xl_info("stopped the private database in '%s'", home);
	free(home);
}

/* A stable token for the status record; xl_db_source_name is for messages. */
static const char *source_key(enum xl_db_source src)
{
	switch (src) {
	case XL_DB_FROM_OPTION:    return "option";
	case XL_DB_FROM_XLCFI_DSN: return "XLCFI_DSN";
	case XL_DB_FROM_PGENV:     return "PG";
	case XL_DB_FROM_PRIVATE:   return "private";
	}
	return "unknown";
}

static void db_status(const char *opt_dsn)
{
	struct xl_err err = XL_ERR_INIT;
	enum xl_db_source src;
	struct xl_db *db = NULL;
	char *dsn = NULL, *masked, *home = NULL;
	json_t *rec;
	int up;

	if (xl_db_resolve(opt_dsn, &dsn, &src, &err) < 0)
		xl_die_err(&err);
	masked = xl_db_mask_dsn(dsn);
	rec = json_object();
	json_object_set_new(rec, "source", json_string(source_key(src)));
	json_object_set_new(rec, "dsn", xl_json_str(masked));
	if (src == XL_DB_FROM_PRIVATE && xl_cluster_home(&home, &err) == 0)
		json_object_set_new(rec, "home", xl_json_str(home));
	up = xl_db_open(&db, opt_dsn, &err) == 0;
	if (up && schema_info(db, rec, &err) < 0)
		up = 0;
	json_object_set_new(rec, "running", json_boolean(up));
	if (!up)
		json_object_set_new(rec, "error", xl_json_str(err.msg));
	xl_db_close(db);
	free(dsn);
	free(masked);
	free(home);
	emit(rec);
	if (!up)
		xl_die_err(&err);
}

static void db_migrate(const char *opt_dsn)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db = NULL;
	json_t *rec;

	if (xl_db_open(&db, opt_dsn, &err) < 0)
		xl_die_err(&err);
	rec = json_object();
	migrate_db(db, rec);
	xl_db_close(db);
	emit(rec);
}

static void db_dsn(const char *opt_dsn)
{
	struct xl_err err = XL_ERR_INIT;
	char *dsn = NULL;

	if (xl_db_resolve(opt_dsn, &dsn, NULL, &err) < 0)
		xl_die_err(&err);
	printf("%s\n", dsn);
	free(dsn);
}

static void db_reset(int yes)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db = NULL;
	char *home = NULL, *dsn = NULL;
	json_t *rec;

	if (!yes)
		xl_die_usage("'db reset' drops every table and row in the private database; add --yes");
	if (xl_cluster_home(&home, &err) < 0 || xl_cluster_reset(home, &err) < 0) {
		free(home);
		xl_die_err(&err);
	}
	xl_cluster_dsn(home, &dsn, &err);
	free(home);
	if (xl_db_connect(&db, dsn, &err) < 0) {
		free(dsn);
		xl_die_err(&err);
	}
	free(dsn);
	rec = json_pack("{sb}", "reset", 1);
	migrate_db(db, rec);
	xl_db_close(db);
	emit(rec);
}

enum { OPT_NO_SYNC = 0x100, OPT_YES };

static int db_main(int argc, char **argv, const char *dsn)
{
	static const struct option longopts[] = {
		{ "no-sync", no_argument, NULL, OPT_NO_SYNC },
		{ "yes", no_argument, NULL, OPT_YES },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage_db, .help = help_db, .longopts = longopts,
			    .flags = XL_OPT_DB };
	int c, no_sync = 0, yes = 0;
	const char *action;

	xl_log_set_help_name("xlcfi db");
	optind = 0;
	while ((c = xl_opt_next(&o, argc, argv)) != -1) {
		if (c == OPT_NO_SYNC)
			no_sync = 1;
		else if (c == OPT_YES)
			yes = 1;
	}
	xl_opt_release(&o);
	if (o.dsn)
		dsn = o.dsn;
	if (optind >= argc)
		xl_die_usage("'xlcfi db' needs an action: up, down, status, migrate, dsn or reset");
	if (optind + 1 < argc)
		xl_die_usage("unexpected argument '%s'", argv[optind + 1]);
	action = argv[optind];
	if (!strcmp(action, "up"))
		db_up(no_sync);
	else if (!strcmp(action, "down"))
		db_down();
	else if (!strcmp(action, "status"))
		db_status(dsn);
	else if (!strcmp(action, "migrate"))
		db_migrate(dsn);
	else if (!strcmp(action, "dsn"))
		db_dsn(dsn);
	else if (!strcmp(action, "reset"))
		db_reset(yes);
	else
		xl_die_usage("unknown db action '%s'", action);
	return XL_EXIT_OK;
}

int main(int argc, char **argv)
{
	struct xl_opt o = {
		.usage = usage_main,
		.flags = XL_OPT_DB,
		.more_help = list_commands,
	};
	const char *cmd;
	int status;

	xl_log_init(argv[0]);
	cmd = xl_opt_command(&o, argc, argv);
	if (!strcmp(cmd, "db")) {
		status = db_main(argc - optind, argv + optind, o.dsn);
	} else {
		/* What was said to the front command holds for the one it runs. */
		if (o.dsn)
			setenv("XLCFI_DSN", o.dsn, 1);
		if (xl_log_format() == XL_LOG_JSON)
			setenv("XLCFI_LOG_FORMAT", "json", 1);
		if (xl_log_level() != XL_LOG_WARN)
			setenv("XLCFI_LOG", xl_log_level_name(xl_log_level()), 1);
		run_command(cmd, argc - optind, argv + optind);
	}
	if (fflush(stdout) != 0 || fclose(stdout) != 0)
		xl_die(XL_EXIT_IOERR, "cannot write to '<stdout>': %s", strerror(errno));
	return status;
}
