#include "xl_table.h"

#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_banned.h"

#define RELATION_SQL \
	"SELECT c.oid FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace " \
	"WHERE n.nspname = current_schema() AND c.relname = $1 AND c.relkind IN ('r', 'v', 'm', 'p')"

static const struct {
	const char *table;
	const char *column;
} time_columns[] = {
	{ "orders", "placed_at" },
	{ "interactions", "occurred_at" },
	{ "job_runs", "started_at" },
	{ "order_status_history", "changed_at" },
	{ "order_lines", "occurred_at" },
};

int xl_table_check(struct xl_db *db, const char *table, struct xl_err *err)
{
	const char *params[] = { table };
	char *oid = NULL;
	int ret = xl_db_query_value(db, RELATION_SQL, 1, params, &oid, err);

	if (ret < 0)
		return ret;
	if (!oid)
		return xl_err_set(err, XL_ENOTFOUND, "no table '%s' in the database", table);
	free(oid);
	return 0;
}

static int has_column(struct xl_db *db, const char *table, const char *column, int *yes,
		      struct xl_err *err)
{
	const char *params[] = { table, column };
	char *found = NULL;
	int ret = xl_db_query_value(db,
		"SELECT 1 FROM information_schema.columns "
		"WHERE table_schema = current_schema() AND table_name = $1 AND column_name = $2",
		2, params, &found, err);

	*yes = found != NULL;
	free(found);
	return ret;
}

int xl_table_time_column(struct xl_db *db, const char *table, char **column, struct xl_err *err)
{
	const char *want = "created_at";
	int yes = 0, ret;

	for (size_t i = 0; i < sizeof(time_columns) / sizeof(time_columns[0]); i++)
		if (!strcmp(time_columns[i].table, table))
			want = time_columns[i].column;
	ret = has_column(db, table, want, &yes, err);
	if (ret < 0)
		return ret;
	if (!yes)
		return xl_err_set(err, XL_EINVAL, "table '%s' has no time column for --since/--until",
				  table);
	*column = xl_xstrdup(want);
	return 0;
}

int xl_table_primary_key(struct xl_db *db, const char *table, char ***columns, size_t *n,
			 struct xl_err *err)
{
	const char *params[] = { table };
	PGresult *res = NULL;
	int ret = xl_db_exec(db,
		"SELECT a.attname FROM pg_index i "
		"JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey) "
		"WHERE i.indisprimary AND i.indrelid = (" RELATION_SQL ") "
		"ORDER BY array_position(i.indkey::int2[], a.attnum)", 1, params, &res, err);

	*columns = NULL;
	*n = 0;
	if (ret < 0)
		return ret;
	*n = (size_t)PQntuples(res);
	*columns = xl_xcalloc(*n ? *n : 1, sizeof(char *));
	for (size_t i = 0; i < *n; i++)
		(*columns)[i] = xl_xstrdup(PQgetvalue(res, (int)i, 0));
	PQclear(res);
	return 0;
}
