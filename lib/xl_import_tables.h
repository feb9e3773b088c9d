#ifndef XL_IMPORT_TABLES_H
#define XL_IMPORT_TABLES_H

#include <stddef.h>

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
enum xl_ftype {
	XL_F_TEXT,          /* any text, trimmed */
	XL_F_INT,           /* an integer in [min, max] */
	XL_F_MONEY,         /* a decimal amount in major units of the row's currency */
	XL_F_MONEY_MINOR,   /* an integer count of minor units, >= 0 */
	XL_F_TIME,          /* RFC 3339, or a local time in --timezone */
	XL_F_ENUM,          /* one of values, case-insensitive */
	XL_F_SKU,           /* [A-Za-z0-9][A-Za-z0-9._/-]{0,63} */
	XL_F_EMAIL,         /* lower-cased, one '@', a dot in the domain */
	XL_F_BOOL,          /* true/false, yes/no, 1/0, t/f, y/n */
	XL_F_JSON,          /* a JSON object */
	XL_F_CURRENCY,      /* an ISO 4217 code xlcfi knows */
	XL_F_SLUG,          /* lower-case words joined by '-' */
	XL_F_REF            /* an id from another system; "17850.0" reads as "17850" */
};

enum xl_ifield_flags {
	XL_IF_REQUIRED = 1 << 0,    /* the row is refused without it */
	XL_IF_NONEMPTY = 1 << 1     /* present but empty counts as absent */
};

struct xl_ifield {
	const char *name;           /* the input name (after --map) */
	const char *column;         /* its staging column; NULL = name */
	const char *sqltype;        /* the staging column's type */
	enum xl_ftype type;
	unsigned flags;
	long long min, max;         /* XL_F_INT */
	const char *const *values;  /* XL_F_ENUM, NULL-terminated */
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
};

/* The table of that name, or NULL. */
const struct xl_itable *xl_itable_find(const char *name);

/* The names of all importable tables, comma-separated, for messages. */
const char *xl_itable_names(void);

#endif
