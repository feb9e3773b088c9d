#ifndef XL_DBFN_H
#define XL_DBFN_H

#include <jansson.h>

#include "xl_db.h"
#include "xl_err.h"

/*
 * Calling xlcfi's database functions (the migrations' xl_* functions that
 * carry out one business operation each): one statement, so one round
 * trip and one transaction, run again on a serialization failure or a
 * deadlock. The functions refuse what the data does not allow by raising
 * an error of SQLSTATE class XL (XL400 bad request, XL404 no such thing,
 * XL409 conflict with the current state, XL422 not enough of something),
 * with a message that starts with the field at fault. Those, and a value
 * out of range (22003, an amount that overflows), come back as
 * -XL_EINVAL with that message alone: the record's fault, not the run's.
 */

/* Attempts of one call before -XL_ERETRY. */
#define XL_DBFN_ATTEMPTS 5

/*
 * Run sql, a SELECT of one function returning json, and parse column 0 of
 * its single row into *out (yours to json_decref; json null is NULL).
 * Returns 0, -XL_EINVAL for a refusal, -XL_ERETRY when conflicts persist,
 * or the connection's or the database's error. Inside a transaction it is
 * not run again (see xl_db_exec_retry).
 */
int xl_dbfn_call(struct xl_db *db, const char *sql, int nparams, const char *const *params,
		 json_t **out, struct xl_err *err);

/*
 * Run sql, a SELECT whose column 0 is json, and call fn with each row's
 * value parsed (borrowed for the call), as the rows arrive: memory stays
 * flat. fn returns 0 or a negative code to stop, which is returned.
 */
typedef int xl_dbfn_row_fn(json_t *value, void *arg, struct xl_err *err);
int xl_dbfn_each(struct xl_db *db, const char *sql, int nparams, const char *const *params,
		 xl_dbfn_row_fn *fn, void *arg, struct xl_err *err);

/*
 * A refusal from a result code: when ret is a database error of SQLSTATE
 * class XL or 22003, rewrite err as -XL_EINVAL with the message alone and
 * return that; otherwise return ret unchanged.
 */
int xl_dbfn_refusal(int ret, struct xl_err *err);

#endif
