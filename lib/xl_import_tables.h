#ifndef XL_IMPORT_TABLES_H
#define XL_IMPORT_TABLES_H

#include <stddef.h>

#include "xl_value.h"

/*
 * What xl_import knows of each table it loads: the input fields, how each
 * is checked, and the SQL that takes validated rows from the staging table
 * (xl_stage) into the real ones. Internal to xl_import; static data.
 *
 * The staging table always has _seq (the row's number in this import),
 * _src (its file), _line and _raw (its text), _refused, then one column
 * per field. SQL checks mark the rows they refuse (_refused) and consider
 * only rows not yet refused; the marked rows are dropped before loading.
 */

enum xl_ifield_flags {
	XL_IF_REQUIRED = 1 << 0,    /* the row is refused without it */
	XL_IF_NONEMPTY = 1 << 1     /* present but empty counts as absent */
};

struct xl_ifield {
	const char *name;           /* the input name (after --map) */
	const char *column;         /* its staging column; NULL = name */
	const char *sqltype;        /* the staging column's type */
	enum xl_vtype type;
	unsigned flags;
	long long min, max;         /* XL_V_INT */
	const char *const *values;  /* XL_V_ENUM, NULL-terminated */
	const char *group;          /* at least one field of a group is required */
};

struct xl_icheck {
	const char *field;          /* the field a refusal names */
	const char *where;          /* condition over the staging row "s" */
	const char *value;          /* SQL giving the refused value as text */
	const char *error;          /* the message */
};

struct xl_itable {
	const char *name;
	const struct xl_ifield *fields;
	/*
	 * Looked-up columns: a select list over the staging row "s" and the
	 * joins it needs (LEFT JOINs on unique keys, so rows never multiply).
	 * The staging table is rebuilt with them in one pass (no UPDATEs).
	 */
	const char *resolve_cols;
	const char *resolve_joins;
	const struct xl_icheck *checks;   /* run in order, {NULL} terminated */
	const char *key;            /* staging columns that identify a row, or NULL */
	const char *exists;         /* condition over "s": the row is already in the table */
	const char *load;           /* insert (plain) ... RETURNING (xmax = 0) AS ins */
	const char *load_upsert;    /* insert or update; NULL = --upsert not available */
	const char *after;          /* a statement run after loading, or NULL */
	/*
	 * Rows that stand or fall together (the lines of one order): the
	 * field that ties them. When one is refused, so are the others.
	 */
	const char *group_field;
	/*
	 * The bulk load, or NULL: a query that takes FOR KEY SHARE locks on
	 * every row the staged rows reference (what the per-row foreign-key
	 * triggers would do, once per referenced row instead of once per
	 * staged row) and returns true when all of them are there and the
	 * target tables have no foreign keys and no insert triggers beyond
	 * the ones it covers. When it does, the load runs with
	 * session_replication_role = replica, which skips those triggers.
	 */
	const char *bulk_check;
};

/* The table of that name, or NULL. */
const struct xl_itable *xl_itable_find(const char *name);

/* The names of all importable tables, comma-separated, for messages. */
const char *xl_itable_names(void);

#endif
