#ifndef XL_DB_H
#define XL_DB_H

#include <libpq-fe.h>
#include <stddef.h>

#include "xl_err.h"

/*
 * The PostgreSQL connection (libpq) and the statement helpers every command
 * uses. All SQL is parameterised: values travel as text parameters, never
 * spliced into the statement.
 *
 * Where the connection goes, first match wins:
 *   1. the --dsn option (passed in as `dsn`);
 *   2. XLCFI_DSN;
 *   3. libpq's own environment (PGHOST, PGDATABASE, PGSERVICE, ... any PG*
 *      connection variable that is set);
 *   4. the private cluster under XLCFI_HOME (see xl_cluster.h).
 * A connection attempt gives up after 5 s unless the DSN or
 * PGCONNECT_TIMEOUT says otherwise.
 */
struct xl_db;

/* Where xl_db_resolve found the connection string. */
enum xl_db_source {
	XL_DB_FROM_OPTION,
	XL_DB_FROM_XLCFI_DSN,
	XL_DB_FROM_PGENV,
	XL_DB_FROM_PRIVATE
};

/*
 * Work out the connection string without connecting. *dsn is yours to
 * free(); *source (may be NULL) says where it came from. Fails with
 * -XL_ECONFIG when the DSN does not parse or no private cluster location
 * can be found.
 */
int xl_db_resolve(const char *opt_dsn, char **dsn, enum xl_db_source *source,
		  struct xl_err *err);

/* A short description of a source for messages ("XLCFI_DSN"). */
const char *xl_db_source_name(enum xl_db_source source);

/*
 * Resolve and connect. *out is yours: xl_db_close(). Errors:
 *   -XL_EUNAVAIL  the server cannot be reached (or the private cluster is
 *                 not running: the message says to run 'xlcfi db up');
 *   -XL_EPERM     authentication or authorisation was refused;
 *   -XL_ECONFIG   the DSN is malformed or names a database that does not exist.
 * The message names what was tried (with any password masked).
 */
int xl_db_open(struct xl_db **out, const char *opt_dsn, struct xl_err *err);

/* Connect to an explicit connection string; errors as xl_db_open. */
int xl_db_connect(struct xl_db **out, const char *dsn, struct xl_err *err);

/*
 * A second connection to where db is connected, with the same options (so
 * a transaction on it can share db's snapshot: pg_export_snapshot()). *out
 * is yours; errors as xl_db_connect.
 */
int xl_db_connect_like(struct xl_db **out, struct xl_db *db, struct xl_err *err);

/*
 * Share a snapshot between transactions: _export, in a REPEATABLE READ
 * (or SERIALIZABLE) transaction, gives its snapshot's name in *id (yours
 * to free()); _import, first thing in another such transaction, on another
 * connection, makes it see exactly what the first one sees. The first
 * transaction must stay open until the import is done. _import refuses
 * with -XL_EINVAL a name that is not a snapshot's (hex digits and '-');
 * other errors as xl_db_exec.
 */
int xl_db_snapshot_export(struct xl_db *db, char **id, struct xl_err *err);
int xl_db_snapshot_import(struct xl_db *db, const char *id, struct xl_err *err);

/* Close and free. Accepts NULL. */
void xl_db_close(struct xl_db *db);

/* The libpq connection, borrowed, for what the helpers do not cover. */
PGconn *xl_db_conn(struct xl_db *db);

/*
 * Run one statement with text parameters (params[i] NULL = SQL NULL).
 * On success returns 0 and, if res is not NULL, *res (yours to PQclear);
 * the number of affected rows is PQcmdTuples(*res). On failure returns
 * -XL_EDB with err->sqlstate set, -XL_EPERM for SQLSTATE class 42501
 * (insufficient privilege), or -XL_EUNAVAIL when the connection is lost.
 */
int xl_db_exec(struct xl_db *db, const char *sql, int nparams,
	       const char *const *params, PGresult **res, struct xl_err *err);

/*
 * Run a script of several statements with no parameters (a migration).
 * Errors as xl_db_exec.
 */
int xl_db_exec_script(struct xl_db *db, const char *sql, struct xl_err *err);

/*
 * Run a statement expected to return at most one row and copy column 0 of
 * it into *value (yours to free(); NULL when there is no row or the value
 * is SQL NULL). Errors as xl_db_exec.
 */
int xl_db_query_value(struct xl_db *db, const char *sql, int nparams,
		      const char *const *params, char **value, struct xl_err *err);

/*
 * One business operation as one transaction. BEGIN (with the given
 * isolation, e.g. "SERIALIZABLE", or NULL for the default), fn, COMMIT. If
 * any step fails with a serialization failure or deadlock (SQLSTATE 40001,
 * 40P01), roll back and run it again, at most max_attempts times in all,
 * with a short randomised back-off; then -XL_ERETRY. fn returns 0 or a
 * negative XL_E* code; any failure rolls back and is returned as is, and
 * so does a statement that failed while fn returned 0. fn must not commit,
 * and must be safe to run again. isolation must be one of SQL's four
 * levels (anything else is a programming error).
 */
typedef int xl_db_tx_fn(struct xl_db *db, void *arg, struct xl_err *err);
int xl_db_transaction(struct xl_db *db, const char *isolation, int max_attempts,
		      xl_db_tx_fn *fn, void *arg, struct xl_err *err);

/* 1 if err holds a retryable SQLSTATE (40001, 40P01), else 0. */
int xl_db_err_retryable(const struct xl_err *err);

/*
 * xl_db_exec for one statement that is its own transaction (autocommit,
 * e.g. a call of a database function): on a serialization failure or a
 * deadlock it is run again, at most max_attempts times in all, with the
 * same back-off as xl_db_transaction; then -XL_ERETRY. Other errors as
 * xl_db_exec. Inside a transaction (an fn of xl_db_transaction) it runs
 * once and returns the conflict as it is, for the transaction to be run
 * again.
 */
int xl_db_exec_retry(struct xl_db *db, int max_attempts, const char *sql, int nparams,
		     const char *const *params, PGresult **res, struct xl_err *err);

/*
 * COPY ... FROM STDIN. Begin with the COPY statement, send data in any
 * pieces with _put (text or CSV format as the statement says), finish with
 * _end. _end with abort_msg not NULL cancels the COPY (nothing is loaded)
 * and still returns 0 unless the connection failed. Errors as xl_db_exec;
 * a bad row is reported by _end, with the server's line number in the
 * message.
 */
int xl_db_copy_in_begin(struct xl_db *db, const char *copy_sql, struct xl_err *err);
int xl_db_copy_in_put(struct xl_db *db, const char *data, size_t len, struct xl_err *err);
int xl_db_copy_in_end(struct xl_db *db, const char *abort_msg, struct xl_err *err);

/*
 * Append s (n bytes) to b as one field of COPY's text format: backslash,
 * tab, newline and CR escaped (\N, a NULL, is the caller's to write).
 */
struct xl_buf;
void xl_db_copy_escape(struct xl_buf *b, const char *s, size_t n);

/*
 * COPY ... TO STDOUT: call row_fn for each row as the server sends it
 * (data is one row with its newline, borrowed for the call). row_fn
 * returns 0 to go on or a negative code to stop; stopping early cancels the
 * request. Returns 0 or the first error. Memory stays flat whatever the
 * size of the result.
 */
typedef int xl_db_copy_row_fn(const char *data, size_t len, void *arg, struct xl_err *err);
int xl_db_copy_out(struct xl_db *db, const char *copy_sql, xl_db_copy_row_fn *row_fn,
		   void *arg, struct xl_err *err);

/*
 * COPY ... TO STDOUT read a row at a time, for a loop that pulls. _begin
 * runs the COPY statement (errors as xl_db_exec). The rows are read ahead
 * on a thread of their own (up to 16,384 of them, held in memory), kept
 * to another CPU than the caller's, so the server's process is not woken
 * onto the caller's CPU (see xl_db.c). Each row goes through fn, when not
 * NULL, on that thread as it is read (fn and what it touches must not be
 * used by the caller until _next has returned 0 or an error, or _end):
 * fn may change the row (len bytes, NUL-terminated) in place, and returns
 * 1 with *out and *outlen to hand over (pointing into the row, or to fn's
 * own memory until its next call), 0 to drop the row, or a negative XL_E*
 * with err set to stop the COPY (the server is asked to cancel it).
 * _next gives the next row handed over: 1 with *row and *len (a copy,
 * NUL-terminated, aligned for any type, borrowed until the next call; the
 * caller may change it in place, as xl_db_copy_fields does), 0 after the
 * last row, or the error that ended the COPY (fn's included). _end must
 * follow (also after an error): it cancels the rest of a COPY not read to
 * the end and frees what it holds, so the connection can be used again;
 * it fails only with -XL_EUNAVAIL when the connection is lost. Other calls
 * on db wait until _end.
 */
typedef int xl_db_copy_filter_fn(char *row, size_t len, const char **out, size_t *outlen, void *arg,
				 struct xl_err *err);
int xl_db_copy_out_begin(struct xl_db *db, const char *copy_sql, xl_db_copy_filter_fn *fn, void *fn_arg,
			 struct xl_err *err);
int xl_db_copy_out_next(struct xl_db *db, char **row, size_t *len, struct xl_err *err);
int xl_db_copy_out_end(struct xl_db *db, struct xl_err *err);

/*
 * Split a row of COPY's text format in place into at most nfields fields:
 * tabs end them, backslash escapes are undone (\t, \n, octal, \x, ...), and
 * a field that is \N alone (SQL NULL) gives NULL. row is len bytes,
 * maybe ending in a newline, with a NUL after them. Returns the number of
 * fields found. Cannot fail.
 */
int xl_db_copy_fields(char *row, size_t len, char **fields, int nfields);

/*
 * Run a query and call row_fn for each row as the server sends it
 * (single-row mode): memory stays flat whatever the size of the result.
 * The row is a one-row PGresult borrowed for the call. row_fn returns 0 to
 * go on or a negative code to stop, which cancels the rest of the query.
 * Returns 0 or the first error (row_fn's or the query's).
 */
typedef int xl_db_row_fn(const PGresult *row, void *arg, struct xl_err *err);
int xl_db_each_row(struct xl_db *db, const char *sql, int nparams, const char *const *params,
		   xl_db_row_fn *row_fn, void *arg, struct xl_err *err);

/*
 * xl_db_each_row in two halves, so that the server works on the query
 * while the caller does something else: _send sends it (the server starts
 * at once), _recv_rows reads its rows as xl_db_each_row does. Nothing else
 * may run on db in between. Errors as xl_db_each_row.
 */
int xl_db_send(struct xl_db *db, const char *sql, int nparams, const char *const *params,
	       struct xl_err *err);
int xl_db_recv_rows(struct xl_db *db, xl_db_row_fn *row_fn, void *arg, struct xl_err *err);

/*
 * Pipeline mode: send many small statements without waiting for each
 * reply. _begin enters pipeline mode; _send queues one parameterised
 * statement; _end sends a sync, reads every result and leaves pipeline
 * mode. The statements run in one implicit transaction: if one fails the
 * rest are skipped and nothing is committed. _end returns the number of
 * statements that succeeded (== the number sent on success) or the first
 * error (with err naming the statement's index).
 */
int xl_db_pipeline_begin(struct xl_db *db, struct xl_err *err);
int xl_db_pipeline_send(struct xl_db *db, const char *sql, int nparams,
			const char *const *params, struct xl_err *err);
int xl_db_pipeline_end(struct xl_db *db, struct xl_err *err);

/*
 * A stream of independent runs of one statement in pipeline mode, each its
 * own transaction (a sync follows each one): the caller keeps several in
 * flight and reads their results in the order sent, so that the round trips
 * overlap. An error in one run touches that one only. _begin prepares SQL
 * (NPARAMS parameters) once, as the connection's statement "xl_stream", and
 * enters pipeline mode; _send queues a run with PARAMS and flushes it; _recv waits for
 * the oldest statement's result: 0 with *res (yours to PQclear), or that
 * statement's error (as xl_db_exec); -XL_EUNAVAIL when the connection is
 * lost. _end leaves pipeline mode once every result is read (results not
 * read are dropped). Other calls on db wait until _end.
 */
int xl_db_stream_begin(struct xl_db *db, const char *sql, int nparams, struct xl_err *err);
int xl_db_stream_send(struct xl_db *db, const char *const *params, struct xl_err *err);
int xl_db_stream_recv(struct xl_db *db, PGresult **res, struct xl_err *err);
int xl_db_stream_end(struct xl_db *db, struct xl_err *err);

/*
 * Leave pipeline mode after a failed _send, dropping whatever was queued,
 * so the connection can be used again. Cannot fail (a broken connection
 * stays broken).
 */
void xl_db_pipeline_abort(struct xl_db *db);

/*
 * LISTEN on a channel (any name; it is quoted as an identifier), then wait
 * for a notification. _wait returns 1 with *channel and *payload (yours to
 * free(), either may be NULL to ignore) when one arrives, 0 after
 * timeout_ms (-1 = no limit) or when a signal interrupts the wait, or
 * -XL_EUNAVAIL if the connection is lost.
 */
int xl_db_listen(struct xl_db *db, const char *channel, struct xl_err *err);
int xl_db_wait_notify(struct xl_db *db, int timeout_ms, char **channel, char **payload,
		      struct xl_err *err);

/* Copy dsn with any password value replaced by "***", for messages. Yours to free(). */
char *xl_db_mask_dsn(const char *dsn);

#endif
