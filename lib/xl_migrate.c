#include "xl_migrate.h"

#include <stdio.h>
#include <stdlib.h>

#include "xl_num.h"
#include "xl_banned.h"

#define LOCK_SQL "SELECT pg_advisory_lock(hashtext('xlcfi.migrate'))"
#define UNLOCK_SQL "SELECT pg_advisory_unlock(hashtext('xlcfi.migrate'))"

int xl_migrate_latest(void)
{
	return xl_migrations_count ? xl_migrations[xl_migrations_count - 1].version : 0;
}

int xl_migrate_version(struct xl_db *db, int *version, struct xl_err *err)
{
	char *v = NULL;
	int64_t n = 0;
	/* Two statements: the second cannot even be planned without the table. */
	int ret = xl_db_query_value(db, "SELECT to_regclass('schema_migrations')::text", 0, NULL, &v, err);

	if (ret < 0)
		return ret;
	if (!v) {
		*version = 0;
		return 0;
	}
	free(v);
	ret = xl_db_query_value(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", 0, NULL, &v, err);
	if (ret < 0)
		return ret;
	if (v && xl_num_parse_i64(v, &n) < 0)
		n = 0;
	*version = (int)n;
	free(v);
	return 0;
}

struct apply_arg {
	const struct xl_migration *m;
	int applied;
};

static int apply_one(struct xl_db *db, void *argp, struct xl_err *err)
{
	struct apply_arg *a = argp;
	char ver[16];
	const char *params[] = { ver, a->m->name };
	char *found = NULL;
	int ret;

	snprintf(ver, sizeof(ver), "%d", a->m->version);
	a->applied = 0;
	ret = xl_db_query_value(db, "SELECT 1 FROM schema_migrations WHERE version = $1", 1,
				params, &found, err);
	if (ret < 0 || found) {
		free(found);
		return ret;
	}
	ret = xl_db_exec_script(db, a->m->sql, err);
	if (ret < 0)
		return xl_err_prefix(err, "migration %03d_%s: ", a->m->version, a->m->name);
	ret = xl_db_exec(db, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2,
			 params, NULL, err);
	if (ret == 0)
		a->applied = 1;
	return ret;
}

int xl_migrate(struct xl_db *db, int *applied, struct xl_err *err)
{
	int ret, count = 0;
	struct xl_err ignore = XL_ERR_INIT;

	ret = xl_db_exec(db, LOCK_SQL, 0, NULL, NULL, err);
	if (ret < 0)
		return ret;
	ret = xl_db_exec(db,
		"CREATE TABLE IF NOT EXISTS schema_migrations ("
		" version integer PRIMARY KEY,"
		" name text NOT NULL,"
		" applied_at timestamptz NOT NULL DEFAULT now())", 0, NULL, NULL, err);
	for (size_t i = 0; ret == 0 && i < xl_migrations_count; i++) {
		struct apply_arg a = { &xl_migrations[i], 0 };

		ret = xl_db_transaction(db, NULL, 3, apply_one, &a, err);
		count += a.applied;
	}
	xl_db_exec(db, UNLOCK_SQL, 0, NULL, NULL, &ignore);
	if (applied)
		*applied = count;
	return ret;
}
