#include "xl_db.h"

#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_cluster.h"
#include "xl_log.h"
#include "xl_time.h"
#include "xl_banned.h"

struct xl_db {
	PGconn *conn;
	struct copy_ahead *ahead;   /* the COPY being read by xl_db_copy_out_next */
	int pipeline_sent;
	int stream_nparams;
	unsigned rand_state;
};

static const char *const pg_env_vars[] = {
	/* Variables that choose a server; PGPASSFILE and the like only help reach one. */
	"PGHOST", "PGHOSTADDR", "PGPORT", "PGDATABASE", "PGUSER", "PGSERVICE", NULL
};

const char *xl_db_source_name(enum xl_db_source source)
{
	switch (source) {
	case XL_DB_FROM_OPTION:    return "--dsn";
	case XL_DB_FROM_XLCFI_DSN: return "XLCFI_DSN";
	case XL_DB_FROM_PGENV:     return "the PG* environment";
	case XL_DB_FROM_PRIVATE:   return "the private cluster";
	}
	return "?";
}

/*
 * Rebuild the string from libpq's own parse, so the password is found
 * however it was written (percent-encoded in a URI, quoted, repeated).
 */
char *xl_db_mask_dsn(const char *dsn)
{
	PQconninfoOption *opts = PQconninfoParse(dsn, NULL);
	struct xl_buf out = XL_BUF_INIT;

	if (!opts)
		return xl_xstrdup(strstr(dsn, "://") || strstr(dsn, "password") ? "(unparsable connection string)" : dsn);
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		if (out.len)
			xl_buf_addch(&out, ' ');
		xl_buf_addf(&out, "%s=", o->keyword);
		if (!strcmp(o->keyword, "password")) {
			xl_buf_adds(&out, "***");
			continue;
		}
		if (strpbrk(o->val, " '\\") || !*o->val) {
			xl_buf_addch(&out, '\'');
			for (const char *c = o->val; *c; c++) {
				if (*c == '\'' || *c == '\\')
					xl_buf_addch(&out, '\\');
				xl_buf_addch(&out, *c);
			}
			xl_buf_addch(&out, '\'');
		} else {
			xl_buf_adds(&out, o->val);
		}
	}
	PQconninfoFree(opts);
	return xl_buf_detach(&out, NULL);
}

static int pgenv_set(void)
{
	for (int i = 0; pg_env_vars[i]; i++) {
		const char *v = getenv(pg_env_vars[i]);

		if (v && *v)
			return 1;
	}
	return 0;
}

int xl_db_resolve(const char *opt_dsn, char **dsn, enum xl_db_source *source,
		  struct xl_err *err)
{
	const char *env = getenv("XLCFI_DSN");
	enum xl_db_source src;
	char *s = NULL, *perr = NULL;
	PQconninfoOption *opts;

	if (opt_dsn) {
		s = xl_xstrdup(opt_dsn);
		src = XL_DB_FROM_OPTION;
	} else if (env && *env) {
		s = xl_xstrdup(env);
		src = XL_DB_FROM_XLCFI_DSN;
	} else if (pgenv_set()) {
		s = xl_xstrdup("");
		src = XL_DB_FROM_PGENV;
	} else {
		int ret = xl_cluster_dsn(NULL, &s, err);

		if (ret < 0)
			return ret;
		src = XL_DB_FROM_PRIVATE;
	}
	opts = PQconninfoParse(s, &perr);
	if (!opts) {
		int ret = xl_err_set(err, XL_ECONFIG, "invalid connection string from %s: %s",
				     xl_db_source_name(src), perr ? perr : "out of memory");

		PQfreemem(perr);
		free(s);
		return ret;
	}
	PQconninfoFree(opts);
	*dsn = s;
	if (source)
		*source = src;
	return 0;
}

static int classify_connect_failure(const char *msg)
{
	static const char *const perm[] = {
		"authentication failed", "no pg_hba.conf entry", "permission denied",
		"password is required", "not permitted to log in", NULL
	};
	static const char *const config[] = {
		"does not exist", "invalid connection option", "invalid URI",
		"missing \"=\"", "invalid sslmode", "invalid integer value", NULL
	};

	for (int i = 0; perm[i]; i++)
		if (strstr(msg, perm[i]))
			return XL_EPERM;
	for (int i = 0; config[i]; i++)
		if (strstr(msg, config[i]))
			return XL_ECONFIG;
	return XL_EUNAVAIL;
}

/* The last line of libpq's message, which is the one that says why. */
static void one_line(const char *msg, char *buf, size_t size)
{
	size_t n;

	while (*msg == ' ' || *msg == '\n')
		msg++;
	snprintf(buf, size, "%s", msg);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	for (char *p = buf; *p; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

static void ignore_notice(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

int xl_db_connect(struct xl_db **out, const char *dsn, struct xl_err *err)
{
	const char *keys[] = { "connect_timeout", "application_name", "dbname", NULL };
	const char *vals[] = { "5", xl_log_prog(), dsn, NULL };
	const char *env_timeout = getenv("PGCONNECT_TIMEOUT");
	PGconn *conn;
	char why[XL_ERR_MSGMAX];
	struct xl_db *db;

	if (env_timeout && *env_timeout)
		vals[0] = env_timeout;
	conn = PQconnectdbParams(keys, vals, 1);
	if (!conn)
		return xl_err_set(err, XL_EFAIL, "cannot connect: out of memory");
	if (PQstatus(conn) != CONNECTION_OK) {
		char *masked = xl_db_mask_dsn(dsn);
		int code;

		one_line(PQerrorMessage(conn), why, sizeof(why));
		code = classify_connect_failure(why);
		xl_err_set(err, code, "cannot connect to database '%s': %s",
			   *masked ? masked : "(PG* environment)", why);
		free(masked);
		PQfinish(conn);
		return -code;
	}
	/* Server notices ("table exists, skipping") are not for the user. */
	PQsetNoticeProcessor(conn, ignore_notice, NULL);
	db = xl_xcalloc(1, sizeof(*db));
	db->conn = conn;
	db->rand_state = (unsigned)getpid() ^ (unsigned)xl_time_now();
	*out = db;
	return 0;
}

int xl_db_open(struct xl_db **out, const char *opt_dsn, struct xl_err *err)
{
	enum xl_db_source src;
	char *dsn = NULL;
	int ret = xl_db_resolve(opt_dsn, &dsn, &src, err);

	if (ret < 0)
		return ret;
	if (src == XL_DB_FROM_PRIVATE) {
		ret = xl_cluster_check_running(NULL, err);
		if (ret < 0)
			goto out;
	}
	ret = xl_db_connect(out, dsn, err);
	if (ret < 0 && src != XL_DB_FROM_OPTION)
		xl_err_prefix(err, "%s: ", xl_db_source_name(src));
out:
	free(dsn);
	return ret;
}

int xl_db_connect_like(struct xl_db **out, struct xl_db *db, struct xl_err *err)
{
	PQconninfoOption *opts = PQconninfo(db->conn);
	struct xl_buf dsn = XL_BUF_INIT;
	int ret;

	if (!opts)
		return xl_err_set(err, XL_EFAIL, "cannot connect: out of memory");
	/* The options the first connection was made with, as a keyword/value string. */
	for (PQconninfoOption *o = opts; o->keyword; o++) {
		if (!o->val || !*o->val)
			continue;
		xl_buf_addf(&dsn, "%s%s='", dsn.len ? " " : "", o->keyword);
		for (const char *c = o->val; *c; c++) {
			if (*c == '\'' || *c == '\\')
				xl_buf_addch(&dsn, '\\');
			xl_buf_addch(&dsn, *c);
		}
		xl_buf_addch(&dsn, '\'');
	}
	PQconninfoFree(opts);
	ret = xl_db_connect(out, dsn.buf, err);
	xl_buf_release(&dsn);
	return ret;
}

int xl_db_snapshot_export(struct xl_db *db, char **id, struct xl_err *err)
{
	int ret = xl_db_query_value(db, "SELECT pg_export_snapshot()", 0, NULL, id, err);

	if (ret == 0 && !*id)
		return xl_err_set(err, XL_EDB, "database: no snapshot was exported");
	return ret;
}

int xl_db_snapshot_import(struct xl_db *db, const char *id, struct xl_err *err)
{
	char sql[128];

	/* SET TRANSACTION SNAPSHOT takes no parameter: the name is checked, then quoted. */
	if (!*id || strlen(id) > 64 || strspn(id, "0123456789ABCDEFabcdef-") != strlen(id))
		return xl_err_set(err, XL_EINVAL, "'%.64s' is not the name of a snapshot", id);
	snprintf(sql, sizeof(sql), "SET TRANSACTION SNAPSHOT '%s'", id);
	return xl_db_exec(db, sql, 0, NULL, NULL, err);
}

void xl_db_close(struct xl_db *db)
{
	if (!db)
		return;
	xl_db_copy_out_end(db, NULL);
	PQfinish(db->conn);
	free(db);
}

PGconn *xl_db_conn(struct xl_db *db)
{
	return db->conn;
}

/* Turn a failed result into an error code and message. */
static int result_error(struct xl_db *db, const PGresult *res, struct xl_err *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *detail = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *context = res ? PQresultErrorField(res, PG_DIAG_CONTEXT) : NULL;
	char why[XL_ERR_MSGMAX];
	int code = XL_EDB;

	if (!msg) {
		one_line(PQerrorMessage(db->conn), why, sizeof(why));
		msg = why;
	}
	if (PQstatus(db->conn) == CONNECTION_BAD || (state && (!strncmp(state, "08", 2) ||
	    !strcmp(state, "57P01") || !strcmp(state, "57P02") || !strcmp(state, "57P03"))))
		code = XL_EUNAVAIL;
	else if (state && !strcmp(state, "42501"))
		code = XL_EPERM;
	/* For COPY the context names the row and column: "COPY c, line 2, column id: ...". */
	if (context && !strncmp(context, "COPY ", 5))
		detail = context;
	if (detail)
		xl_err_set(err, code, "database: %s (%s)", msg, detail);
	else
		xl_err_set(err, code, "database: %s", msg);
	if (err) {
		snprintf(err->sqlstate, sizeof(err->sqlstate), "%s", state ? state : "");
		err->code = code;
	}
	return -code;
}

static int result_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_COPY_IN ||
	       st == PGRES_COPY_OUT || st == PGRES_PIPELINE_SYNC;
}

int xl_db_exec(struct xl_db *db, const char *sql, int nparams,
	       const char *const *params, PGresult **res, struct xl_err *err)
{
	PGresult *r = PQexecParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	int ret;

	if (!r || !result_ok(r)) {
		ret = result_error(db, r, err);
		PQclear(r);
		return ret;
	}
	if (res)
		*res = r;
	else
		PQclear(r);
	return 0;
}

int xl_db_exec_script(struct xl_db *db, const char *sql, struct xl_err *err)
{
	PGresult *r = PQexec(db->conn, sql);
	int ret = 0;

	if (!r || !result_ok(r))
		ret = result_error(db, r, err);
	PQclear(r);
	return ret;
}

int xl_db_query_value(struct xl_db *db, const char *sql, int nparams,
		      const char *const *params, char **value, struct xl_err *err)
{
	PGresult *res;
	int ret = xl_db_exec(db, sql, nparams, params, &res, err);

	if (ret < 0)
		return ret;
	*value = NULL;
	if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0))
		*value = xl_xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return 0;
}

int xl_db_err_retryable(const struct xl_err *err)
{
	return err && err->code == XL_EDB &&
	       (!strcmp(err->sqlstate, "40001") || !strcmp(err->sqlstate, "40P01"));
}

static void backoff(struct xl_db *db, int attempt)
{
	long ms = 5L * (1L << (attempt < 6 ? attempt : 6));
	struct timespec ts;

	ms += rand_r(&db->rand_state) % (ms + 1);
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000L;
	nanosleep(&ts, NULL);
}

/* COMMIT, and make sure it was one: in a failed transaction the server answers ROLLBACK. */
static int commit(struct xl_db *db, struct xl_err *err)
{
	PGresult *r = PQexec(db->conn, "COMMIT");
	int ret = 0;

	if (!r || !result_ok(r))
		ret = result_error(db, r, err);
	else if (strcmp(PQcmdStatus(r), "COMMIT") != 0)
		ret = xl_err_set(err, XL_EDB, "database: the transaction was rolled back, not committed");
	PQclear(r);
	return ret;
}

int xl_db_transaction(struct xl_db *db, const char *isolation, int max_attempts,
		      xl_db_tx_fn *fn, void *arg, struct xl_err *err)
{
	static const char *const levels[] = {
		"SERIALIZABLE", "REPEATABLE READ", "READ COMMITTED", "READ UNCOMMITTED", NULL
	};
	char begin[96], last[XL_ERR_MSGMAX] = "serialization failure";
	int ret = 0, known = isolation == NULL;

	for (int i = 0; levels[i] && !known; i++)
		known = !strcmp(isolation, levels[i]);
	assert(known);
	if (!known)
		return xl_err_set(err, XL_EINVAL, "unknown isolation level '%s'", isolation);
	if (max_attempts < 1)
		max_attempts = 1;
	snprintf(begin, sizeof(begin), "BEGIN%s%s", isolation ? " ISOLATION LEVEL " : "",
		 isolation ? isolation : "");
	for (int attempt = 1; attempt <= max_attempts; attempt++) {
		ret = xl_db_exec(db, begin, 0, NULL, NULL, err);
		if (ret < 0)
			return ret;
		ret = fn(db, arg, err);
		/* A statement failed and fn let it pass: COMMIT would quietly roll back. */
		if (ret == 0 && PQtransactionStatus(db->conn) == PQTRANS_INERROR)
			ret = xl_err_set(err, XL_EDB, "database: a statement in the transaction failed; "
					 "nothing was committed");
		if (ret == 0)
			ret = commit(db, err);
		if (ret == 0)
			return 0;
		if (PQtransactionStatus(db->conn) != PQTRANS_IDLE) {
			PGresult *r = PQexec(db->conn, "ROLLBACK");

			PQclear(r);
		}
		if (!xl_db_err_retryable(err))
			return ret;
		snprintf(last, sizeof(last), "%s", err->msg);
		if (attempt < max_attempts)
			backoff(db, attempt);
	}
	return xl_err_set(err, XL_ERETRY, "transaction gave up after %d attempts: %s",
			  max_attempts, last);
}

int xl_db_exec_retry(struct xl_db *db, int max_attempts, const char *sql, int nparams,
		     const char *const *params, PGresult **res, struct xl_err *err)
{
	char last[XL_ERR_MSGMAX] = "serialization failure";
	int ret = 0;

	/*
	 * Inside a transaction a failed statement has aborted it: running the
	 * statement again cannot help. The conflict goes back as it is, for
	 * the transaction's owner (xl_db_transaction) to run all of it again.
	 */
	if (PQtransactionStatus(db->conn) != PQTRANS_IDLE)
		return xl_db_exec(db, sql, nparams, params, res, err);
	if (max_attempts < 1)
		max_attempts = 1;
	for (int attempt = 1; attempt <= max_attempts; attempt++) {
		ret = xl_db_exec(db, sql, nparams, params, res, err);
		if (ret == 0 || !xl_db_err_retryable(err))
			return ret;
		snprintf(last, sizeof(last), "%s", err->msg);
		if (attempt < max_attempts)
			backoff(db, attempt);
	}
	return xl_err_set(err, XL_ERETRY, "transaction gave up after %d attempts: %s", max_attempts, last);
}

int xl_db_copy_in_begin(struct xl_db *db, const char *copy_sql, struct xl_err *err)
{
	PGresult *r = PQexec(db->conn, copy_sql);
	int ret = 0;

	if (!r || PQresultStatus(r) != PGRES_COPY_IN)
		ret = result_error(db, r, err);
	PQclear(r);
	return ret;
}

int xl_db_copy_in_put(struct xl_db *db, const char *data, size_t len, struct xl_err *err)
{
	while (len > 0) {
		int n = len > (1 << 30) ? (1 << 30) : (int)len;

		if (PQputCopyData(db->conn, data, n) != 1)
			return result_error(db, NULL, err);
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Read results until libpq has none left; return the first error. */
static int drain(struct xl_db *db, struct xl_err *err)
{
	PGresult *r;
	int ret = 0;

	while ((r = PQgetResult(db->conn)) != NULL) {
		if (ret == 0 && !result_ok(r))
			ret = result_error(db, r, err);
		PQclear(r);
	}
	if (ret == 0 && PQstatus(db->conn) == CONNECTION_BAD)
		ret = result_error(db, NULL, err);
	return ret;
}

int xl_db_copy_in_end(struct xl_db *db, const char *abort_msg, struct xl_err *err)
{
	int ret;

	if (PQputCopyEnd(db->conn, abort_msg) != 1)
		return result_error(db, NULL, err);
	ret = drain(db, err);
	if (abort_msg && ret == -XL_EDB && err && !strcmp(err->sqlstate, "57014")) {
		xl_err_clear(err);
		return 0;
	}
	return ret;
}

static void cancel_query(struct xl_db *db)
{
	PGcancel *c = PQgetCancel(db->conn);
	char ebuf[256];

	if (c) {
		PQcancel(c, ebuf, sizeof(ebuf));
		PQfreeCancel(c);
	}
}

int xl_db_copy_out(struct xl_db *db, const char *copy_sql, xl_db_copy_row_fn *row_fn,
		   void *arg, struct xl_err *err)
{
	PGresult *r = PQexec(db->conn, copy_sql);
	int ret = 0;

	if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
		ret = result_error(db, r, err);
		PQclear(r);
		return ret;
	}
	PQclear(r);
	for (;;) {
		char *row = NULL;
		int n = PQgetCopyData(db->conn, &row, 0);

		if (n == -1)
			break;
		if (n == -2) {
			ret = result_error(db, NULL, err);
			break;
		}
		if (ret == 0)
			ret = row_fn(row, (size_t)n, arg, err);
		PQfreemem(row);
		if (ret < 0) {
			/* Stop the server from sending the rest. */
			cancel_query(db);
			while ((n = PQgetCopyData(db->conn, &row, 0)) >= 0)
				PQfreemem(row);
			break;
		}
	}
	{
		struct xl_err tmp = XL_ERR_INIT;
		int dret = drain(db, ret < 0 ? &tmp : err);

		if (ret == 0)
			ret = dret;
	}
	return ret;
}

int xl_db_send(struct xl_db *db, const char *sql, int nparams, const char *const *params,
	       struct xl_err *err)
{
	PGresult *r;
	int ret;

	if (!PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0))
		return result_error(db, NULL, err);
	if (!PQsetSingleRowMode(db->conn)) {
		ret = result_error(db, NULL, err);
		while ((r = PQgetResult(db->conn)))
			PQclear(r);
		return ret;
	}
	return 0;
}

int xl_db_recv_rows(struct xl_db *db, xl_db_row_fn *row_fn, void *arg, struct xl_err *err)
{
	PGresult *r;
	int ret = 0, stopped = 0;

	while ((r = PQgetResult(db->conn))) {
		ExecStatusType st = PQresultStatus(r);

		if (st == PGRES_SINGLE_TUPLE && !stopped) {
			ret = row_fn(r, arg, err);
			if (ret < 0) {
				stopped = 1;
				cancel_query(db);
			}
		} else if (st != PGRES_SINGLE_TUPLE && st != PGRES_TUPLES_OK && !stopped && ret == 0) {
			ret = result_error(db, r, err);
		}
		PQclear(r);
	}
	return ret;
}

int xl_db_each_row(struct xl_db *db, const char *sql, int nparams, const char *const *params,
		   xl_db_row_fn *row_fn, void *arg, struct xl_err *err)
{
	int ret = xl_db_send(db, sql, nparams, params, err);

	return ret < 0 ? ret : xl_db_recv_rows(db, row_fn, arg, err);
}

/*
 * A pulled COPY's rows are read from the socket by a thread of their own,
 * kept to another CPU than the caller's, and handed over in batches. Were
 * they read on the caller's thread, each read that makes room in a full
 * socket would wake the server's process on the caller's CPU (the kernel
 * takes such a wake-up to mean the reader is about to sleep), where the
 * two then take turns while another CPU idles: on two CPUs the report's
 * million rows took 5.4 to 6.5 s instead of 3.5 whenever that happened,
 * in most runs. The reading thread does little (and the caller's filter),
 * so the server may share its CPU.
 */
#define AHEAD_ROWS 256          /* rows in a batch */
#define AHEAD_BATCHES 64        /* batches read ahead at most */

/* Rows copied one after the other into buf, each with its NUL (freed on the reading thread). */
struct ahead_batch {
	char *buf;
	size_t used, cap;
	size_t off[AHEAD_ROWS];
	int len[AHEAD_ROWS];
	int n;
};

struct copy_ahead {
	struct xl_db *db;
	PGcancel *cancel;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t more, room;
	struct ahead_batch *queue[AHEAD_BATCHES];
	size_t head, count;         /* batches waiting in queue */
	xl_db_copy_filter_fn *fn;   /* what each row goes through as it is read */
	void *fn_arg;
	int threaded;               /* a thread reads (else the caller's, should none start) */
	int cpu;                    /* the CPU it keeps to, or -1 */
	int done, stop;             /* the reading ended (with ret, err); the caller wants no more */
	int ret;
	struct xl_err err;
	struct ahead_batch *cur;    /* the caller's batch, and its next row */
	int pos;
	char *given;                /* the row given last, without a thread */
};

static void batch_free(struct ahead_batch *b)
{
	if (!b)
		return;
	free(b->buf);
	free(b);
}

static void batch_add(struct ahead_batch *b, const char *row, int len)
{
	size_t at = (b->used + 7) & ~(size_t)7, need = at + (size_t)len + 1;

	if (need > b->cap) {
		b->cap = need > 2 * b->cap ? need : 2 * b->cap;
		b->buf = xl_xrealloc(b->buf, b->cap);
	}
	memcpy(b->buf + at, row, (size_t)len);
	b->buf[at + (size_t)len] = '\0';
	b->off[b->n] = at;
	b->len[b->n++] = len;
	b->used = need;
}

/* A row through the caller's filter: 1 with *out and *outlen to hand over, 0 to drop, or an error. */
static int filter(struct copy_ahead *a, char *row, int len, const char **out, int *outlen, struct xl_err *err)
{
	size_t n;
	int ret;

	if (!a->fn) {
		*out = row;
		*outlen = len;
		return 1;
	}
	ret = a->fn(row, (size_t)len, out, &n, a->fn_arg, err);
	*outlen = (int)n;
	return ret;
}

/* Queue a batch, waiting for room; 0, or -1 when the caller stopped (b is freed). */
static int ahead_put(struct copy_ahead *a, struct ahead_batch *b)
{
	pthread_mutex_lock(&a->mu);
	while (a->count == AHEAD_BATCHES && !a->stop)
		pthread_cond_wait(&a->room, &a->mu);
	if (a->stop) {
		pthread_mutex_unlock(&a->mu);
		batch_free(b);
		return -1;
	}
	a->queue[(a->head + a->count++) % AHEAD_BATCHES] = b;
	pthread_cond_signal(&a->more);
	pthread_mutex_unlock(&a->mu);
	return 0;
}

static void *ahead_read(void *arg)
{
	struct copy_ahead *a = arg;
	struct ahead_batch *b = xl_xcalloc(1, sizeof(*b));
	struct xl_err err = XL_ERR_INIT, ferr = XL_ERR_INIT;
	int n, ret, stopped = 0, failed = 0;
	char *row;

	if (a->cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(a->cpu, &set);
		pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
	}
	while ((n = PQgetCopyData(a->db->conn, &row, 0)) >= 0) {
		const char *out;
		int outlen, f = stopped ? 0 : filter(a, row, n, &out, &outlen, &ferr);
		char ebuf[256];

		if (f < 0) {
			/* The filter failed: the rows before it go, the rest is not wanted. */
			failed = f;
			stopped = 1;
			if (b->n) {
				ahead_put(a, b);
				b = xl_xcalloc(1, sizeof(*b));
			}
			if (a->cancel)
				PQcancel(a->cancel, ebuf, sizeof(ebuf));
		} else if (f > 0) {
			batch_add(b, out, outlen);
		}
		PQfreemem(row);
		if (!stopped && b->n == AHEAD_ROWS) {
			stopped = ahead_put(a, b) < 0;
			b = xl_xcalloc(1, sizeof(*b));
		}
	}
	ret = n == -2 ? result_error(a->db, NULL, &err) : drain(a->db, &err);
	if (failed) {
		ret = failed;
		err = ferr;
	}
	if (b->n && !stopped)
		ahead_put(a, b);
	else
		batch_free(b);
	pthread_mutex_lock(&a->mu);
	a->done = 1;
	a->ret = ret;
	a->err = err;
	pthread_cond_signal(&a->more);
	pthread_mutex_unlock(&a->mu);
	return NULL;
}

int xl_db_copy_out_begin(struct xl_db *db, const char *copy_sql, xl_db_copy_filter_fn *fn, void *fn_arg,
			 struct xl_err *err)
{
	struct copy_ahead *a;
	PGresult *r;
	int ret;

	assert(!db->ahead);
	r = PQexec(db->conn, copy_sql);
	if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
		ret = result_error(db, r, err);
		PQclear(r);
		return ret;
	}
	PQclear(r);
	a = xl_xcalloc(1, sizeof(*a));
	a->db = db;
	a->fn = fn;
	a->fn_arg = fn_arg;
	/* Made here: PQgetCancel reads the connection, which is the reader's from now on. */
	a->cancel = PQgetCancel(db->conn);
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->more, NULL);
	pthread_cond_init(&a->room, NULL);
	db->ahead = a;
	a->cpu = -1;
	{
		cpu_set_t set;
		int here = sched_getcpu();

		if (here >= 0 && sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 1)
			for (int c = 0; c < CPU_SETSIZE; c++)
				if (c != here && CPU_ISSET(c, &set)) {
					a->cpu = c;
					break;
				}
	}
	/* Without a thread the rows are read on the caller's: slower, but they come. */
	a->threaded = pthread_create(&a->thread, NULL, ahead_read, a) == 0;
	return 0;
}

int xl_db_copy_out_next(struct xl_db *db, char **row, size_t *len, struct xl_err *err)
{
	struct copy_ahead *a = db->ahead;
	int ret;

	assert(a);
	PQfreemem(a->given);
	a->given = NULL;
	if (!a->threaded) {
		int n, f, outlen;
		const char *out;

		while (!a->done) {
			n = PQgetCopyData(db->conn, &a->given, 0);
			if (n < 0) {
				a->done = 1;
				a->ret = n == -2 ? result_error(db, NULL, err) : drain(db, err);
				break;
			}
			f = filter(a, a->given, n, &out, &outlen, err);
			if (f < 0)
				return f;
			if (f > 0) {
				*row = (char *)out;
				*len = (size_t)outlen;
				return 1;
			}
			PQfreemem(a->given);
			a->given = NULL;
		}
		return a->ret;
	}
	if (!a->cur || a->pos == a->cur->n) {
		batch_free(a->cur);
		a->cur = NULL;
		pthread_mutex_lock(&a->mu);
		while (!a->count && !a->done)
			pthread_cond_wait(&a->more, &a->mu);
		if (a->count) {
			a->cur = a->queue[a->head];
			a->head = (a->head + 1) % AHEAD_BATCHES;
			a->count--;
			a->pos = 0;
			pthread_cond_signal(&a->room);
		}
		ret = a->ret;
		if (!a->cur && ret < 0 && err)
			*err = a->err;
		pthread_mutex_unlock(&a->mu);
		if (!a->cur)
			return ret;
	}
	*row = a->cur->buf + a->cur->off[a->pos];
	*len = (size_t)a->cur->len[a->pos++];
	return 1;
}

int xl_db_copy_out_end(struct xl_db *db, struct xl_err *err)
{
	struct copy_ahead *a = db->ahead;
	char ebuf[256];
	int ret = 0, done;

	if (!a)
		return 0;
	pthread_mutex_lock(&a->mu);
	done = a->done;
	a->stop = 1;
	pthread_cond_signal(&a->room);
	pthread_mutex_unlock(&a->mu);
	/* Stop the server from sending the rest; its "canceled" is no error of ours. */
	if (!done && a->cancel)
		PQcancel(a->cancel, ebuf, sizeof(ebuf));
	if (a->threaded) {
		pthread_join(a->thread, NULL);
	} else if (!done) {
		char *row;
		int n;

		while ((n = PQgetCopyData(db->conn, &row, 0)) >= 0)
			PQfreemem(row);
		drain(db, &(struct xl_err)XL_ERR_INIT);
	}
	if (!done && PQstatus(db->conn) == CONNECTION_BAD)
		ret = result_error(db, NULL, err);
	PQfreemem(a->given);
	batch_free(a->cur);
	while (a->count) {
		batch_free(a->queue[a->head]);
		a->head = (a->head + 1) % AHEAD_BATCHES;
		a->count--;
	}
	PQfreeCancel(a->cancel);
	pthread_mutex_destroy(&a->mu);
	pthread_cond_destroy(&a->more);
	pthread_cond_destroy(&a->room);
	free(a);
	db->ahead = NULL;
	return ret;
}

/* The value of a COPY text escape's letter, or -1. */
static int copy_escape(char c)
{
	switch (c) {
	case 'b': return '\b';
	case 'f': return '\f';
	case 'n': return '\n';
	case 'r': return '\r';
	case 't': return '\t';
	case 'v': return '\v';
	default: return -1;
	}
}

int xl_db_copy_fields(char *row, size_t len, char **fields, int nfields)
{
	char *end = row + len, *s = row;
	int n = 0;

	if (len && end[-1] == '\n')
		end--;
	while (s <= end && n < nfields) {
		char *w = s, *start = s;

		while (s < end && *s != '\t') {
			if (*s == '\\' && s + 1 < end) {
				int v = copy_escape(s[1]);

				if (v >= 0) {
					*w++ = (char)v;
					s += 2;
				} else if (s[1] >= '0' && s[1] <= '7') {
					int k = 0;

					v = 0;
					for (s++; k < 3 && s < end && *s >= '0' && *s <= '7'; k++, s++)
						v = v * 8 + (*s - '0');
					*w++ = (char)v;
				} else if (s[1] == 'x' && s + 2 < end && isxdigit((unsigned char)s[2])) {
					int k = 0;

					v = 0;
					for (s += 2; k < 2 && s < end && isxdigit((unsigned char)*s); k++, s++)
						v = v * 16 + (isdigit((unsigned char)*s) ? *s - '0' : (*s | 0x20) - 'a' + 10);
					*w++ = (char)v;
				} else if (s[1] == 'N' && s == start && (s + 2 == end || s[2] == '\t')) {
					/* \N alone is SQL NULL. */
					w = NULL;
					s += 2;
					break;
				} else {
					*w++ = s[1];
					s += 2;
				}
			} else {
				*w++ = *s++;
			}
		}
		if (w)
			*w = '\0';
		fields[n++] = w ? start : NULL;
		if (s >= end)
			break;
		s++;
	}
	return n;
}

int xl_db_pipeline_begin(struct xl_db *db, struct xl_err *err)
{
	if (PQenterPipelineMode(db->conn) != 1)
		return xl_err_set(err, XL_EDB, "database: cannot enter pipeline mode");
	db->pipeline_sent = 0;
	return 0;
}

int xl_db_pipeline_send(struct xl_db *db, const char *sql, int nparams,
			const char *const *params, struct xl_err *err)
{
	if (PQsendQueryParams(db->conn, sql, nparams, NULL, params, NULL, NULL, 0) != 1)
		return result_error(db, NULL, err);
	db->pipeline_sent++;
	return 0;
}

void xl_db_pipeline_abort(struct xl_db *db)
{
	PGresult *r;
	int guard = 0;

	if (PQpipelineStatus(db->conn) == PQ_PIPELINE_OFF)
		return;
	if (PQpipelineSync(db->conn) == 1) {
		/* Read up to the sync; a NULL only ends one statement's results. */
		while (guard < 1000000) {
			r = PQgetResult(db->conn);
			if (!r) {
				if (PQstatus(db->conn) == CONNECTION_BAD)
					break;
				guard++;
				continue;
			}
			guard = 0;
			if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
				PQclear(r);
				break;
			}
			PQclear(r);
		}
	}
	PQexitPipelineMode(db->conn);
	db->pipeline_sent = 0;
}

int xl_db_pipeline_end(struct xl_db *db, struct xl_err *err)
{
	int ok = 0, ret = 0;

	if (PQpipelineSync(db->conn) != 1) {
		ret = result_error(db, NULL, err);
		xl_db_pipeline_abort(db);
		return ret;
	}
	for (int i = 0; i < db->pipeline_sent; i++) {
		PGresult *r = PQgetResult(db->conn);

		if (!r) {
			ret = result_error(db, NULL, err);
			break;
		}
		if (PQresultStatus(r) == PGRES_PIPELINE_ABORTED) {
			/* Skipped because an earlier statement failed. */
		} else if (!result_ok(r)) {
			if (ret == 0) {
				ret = result_error(db, r, err);
				xl_err_prefix(err, "statement %d of %d: ", i + 1, db->pipeline_sent);
			}
		} else if (ret == 0) {
			ok++;
		}
		PQclear(r);
		r = PQgetResult(db->conn);   /* the NULL that ends each statement */
		PQclear(r);
	}
	/* The sync result. */
	for (;;) {
		PGresult *r = PQgetResult(db->conn);

		if (!r)
			break;
		if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		PQclear(r);
	}
	if (PQexitPipelineMode(db->conn) != 1 && ret == 0)
		ret = result_error(db, NULL, err);
	db->pipeline_sent = 0;
	return ret < 0 ? ret : ok;
}

int xl_db_stream_begin(struct xl_db *db, const char *sql, int nparams, struct xl_err *err)
{
	PGresult *r;
	int ret = 0;

	/* Prepared once, so that a run is only a bind and an execute. */
	r = PQprepare(db->conn, "xl_stream", sql, nparams, NULL);
	if (!result_ok(r))
		ret = result_error(db, r, err);
	PQclear(r);
	if (ret < 0)
		return ret;
	db->stream_nparams = nparams;
	if (PQenterPipelineMode(db->conn) != 1)
		return xl_err_set(err, XL_EDB, "database: cannot enter pipeline mode");
	db->pipeline_sent = 0;
	return 0;
}

int xl_db_stream_send(struct xl_db *db, const char *const *params, struct xl_err *err)
{
	if (PQsendQueryPrepared(db->conn, "xl_stream", db->stream_nparams, params, NULL, NULL, 0) != 1 ||
	    PQpipelineSync(db->conn) != 1)
		return result_error(db, NULL, err);
	db->pipeline_sent++;
	return 0;
}

int xl_db_stream_recv(struct xl_db *db, PGresult **res, struct xl_err *err)
{
	PGresult *r = NULL, *extra;
	int ret = 0;

	*res = NULL;
	if (db->pipeline_sent <= 0)
		return xl_err_set(err, XL_EFAIL, "database: no statement in flight");
	db->pipeline_sent--;
	r = PQgetResult(db->conn);
	if (!r)
		return result_error(db, NULL, err);
	if (!result_ok(r))
		ret = result_error(db, r, err);
	/* Then the NULL that ends the statement, and its sync. */
	while ((extra = PQgetResult(db->conn)) != NULL || PQstatus(db->conn) == CONNECTION_OK) {
		if (extra && PQresultStatus(extra) == PGRES_PIPELINE_SYNC) {
			PQclear(extra);
			break;
		}
		PQclear(extra);
		if (PQstatus(db->conn) != CONNECTION_OK)
			break;
	}
	if (ret == 0 && PQstatus(db->conn) != CONNECTION_OK)
		ret = result_error(db, NULL, err);
	if (ret == 0)
		*res = r;
	else
		PQclear(r);
	return ret;
}

int xl_db_stream_end(struct xl_db *db, struct xl_err *err)
{
	PGresult *r;

	while (db->pipeline_sent > 0 && PQstatus(db->conn) == CONNECTION_OK) {
		struct xl_err ignore = XL_ERR_INIT;

		xl_db_stream_recv(db, &r, &ignore);
		PQclear(r);
	}
	db->pipeline_sent = 0;
	if (PQexitPipelineMode(db->conn) != 1)
		return result_error(db, NULL, err);
	return xl_db_exec(db, "DEALLOCATE xl_stream", 0, NULL, NULL, err);
}

int xl_db_listen(struct xl_db *db, const char *channel, struct xl_err *err)
{
	char *ident = PQescapeIdentifier(db->conn, channel, strlen(channel));
	struct xl_buf sql = XL_BUF_INIT;
	int ret;

	if (!ident)
		return result_error(db, NULL, err);
	xl_buf_addf(&sql, "LISTEN %s", ident);
	PQfreemem(ident);
	ret = xl_db_exec(db, sql.buf, 0, NULL, NULL, err);
	xl_buf_release(&sql);
	return ret;
}

int xl_db_wait_notify(struct xl_db *db, int timeout_ms, char **channel, char **payload,
		      struct xl_err *err)
{
	int64_t deadline = timeout_ms < 0 ? -1 : xl_time_mono() + (int64_t)timeout_ms * 1000;

	for (;;) {
		PGnotify *n;
		struct pollfd pfd;
		int wait_ms = -1, pr;

		if (PQconsumeInput(db->conn) != 1)
			return xl_err_set(err, XL_EUNAVAIL, "database: connection lost while waiting: %s",
					  PQerrorMessage(db->conn));
		n = PQnotifies(db->conn);
		if (n) {
			if (channel)
				*channel = xl_xstrdup(n->relname);
			if (payload)
				*payload = xl_xstrdup(n->extra ? n->extra : "");
			PQfreemem(n);
			return 1;
		}
		if (deadline >= 0) {
			int64_t left = deadline - xl_time_mono();

			if (left <= 0)
				return 0;
			wait_ms = (int)((left + 999) / 1000);
		}
		pfd.fd = PQsocket(db->conn);
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (pfd.fd < 0)
			return xl_err_set(err, XL_EUNAVAIL, "database: connection lost while waiting");
		pr = poll(&pfd, 1, wait_ms);
		if (pr < 0 && errno == EINTR)
			return 0;    /* a signal: let the caller look at why */
		if (pr < 0)
			return xl_err_set(err, XL_EUNAVAIL, "database: poll: %s", strerror(errno));
	}
}

void xl_db_copy_escape(struct xl_buf *b, const char *s, size_t n)
{
	size_t start = 0;

	for (size_t i = 0; i < n; i++) {
		const char *esc = NULL;

		switch (s[i]) {
		case '\\': esc = "\\\\"; break;
		case '\t': esc = "\\t"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		default: continue;
		}
		xl_buf_add(b, s + start, i - start);
		xl_buf_adds(b, esc);
		start = i + 1;
	}
	xl_buf_add(b, s + start, n - start);
}
