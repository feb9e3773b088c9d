#ifndef XL_TABLE_H
#define XL_TABLE_H

#include <stddef.h>

#include "xl_db.h"
#include "xl_err.h"

/*
 * What xlcfi knows about the tables of its schema, asked of the database's
 * catalog (so later migrations need no change here). Table names are
 * looked up in the current schema and passed as parameters, never spliced.
 */

/* 0 if a table or view of that name exists, else -XL_ENOTFOUND "no table 'x'". */
int xl_table_check(struct xl_db *db, const char *table, struct xl_err *err);

/*
 * The column that says when a row happened, for --since/--until: the
 * table's own (orders.placed_at, interactions.occurred_at,
 * job_runs.started_at), else created_at if it has one. *column is yours.
 * -XL_EINVAL when there is none.
 */
int xl_table_time_column(struct xl_db *db, const char *table, char **column, struct xl_err *err);

/*
 * The primary key columns in key order (none for a view). *columns is an
 * array of *n strings, all yours to free (and the array).
 */
int xl_table_primary_key(struct xl_db *db, const char *table, char ***columns, size_t *n,
			 struct xl_err *err);

#endif
