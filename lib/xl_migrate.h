#ifndef XL_MIGRATE_H
#define XL_MIGRATE_H

#include <stddef.h>

#include "xl_db.h"
#include "xl_err.h"

/*
 * Schema migrations. Each lib/sql/NNN_name.sql is compiled into the
 * binaries (see scripts/embed-sql.sh) and applied in order, each in its own
 * transaction together with its row in schema_migrations, so a migration is
 * either fully applied and recorded or not at all. Concurrent migrators
 * serialise on an advisory lock; applying twice is a no-op.
 */
struct xl_migration {
	int version;
	const char *name;
	const char *sql;
};

/* The compiled-in migrations, in version order; borrowed, static. */
extern const struct xl_migration xl_migrations[];
extern const size_t xl_migrations_count;

/* The newest compiled-in version. */
int xl_migrate_latest(void);

/*
 * The database's schema version: the highest applied migration, 0 for an
 * empty database. Errors as xl_db_exec.
 */
int xl_migrate_version(struct xl_db *db, int *version, struct xl_err *err);

/*
 * Apply every migration newer than the database's version. *applied (may
 * be NULL) receives how many were applied. On failure nothing of the
 * failing migration remains and err names it. A database newer than this
 * build is left alone (0, nothing applied).
 */
int xl_migrate(struct xl_db *db, int *applied, struct xl_err *err);

#endif
