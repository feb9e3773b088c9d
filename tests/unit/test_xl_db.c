#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xl_db.h"
#include "xl_time.h"
#include "dbtest.h"

static void exec_ok(struct xl_db *db, const char *sql)
{
	struct xl_err err = XL_ERR_INIT;

	if (xl_db_exec(db, sql, 0, NULL, NULL, &err) < 0) {
		fprintf(stderr, "%s: %s\n", sql, err.msg);
		fail();
	}
}

static long long value_of(struct xl_db *db, const char *sql)
{
	struct xl_err err = XL_ERR_INIT;
	char *v = NULL;
	long long n;

	assert_int_equal(xl_db_query_value(db, sql, 0, NULL, &v, &err), 0);
	assert_non_null(v);
	n = strtoll(v, NULL, 10);
	free(v);
	return n;
}

static void test_params_and_errors(void **state)
{
	struct xl_db *db = dbtest_connect();
	struct xl_err err = XL_ERR_INIT;
	const char *p[] = { "Robert'); DROP TABLE x;--", NULL };
	char *v = NULL;
	PGresult *res = NULL;

	(void)state;
	/* A parameter is data, never SQL. */
	assert_int_equal(xl_db_query_value(db, "SELECT $1::text", 1, p, &v, &err), 0);
	assert_string_equal(v, p[0]);
	free(v);
	assert_int_equal(xl_db_query_value(db, "SELECT $1::text", 1, p + 1, &v, &err), 0);
	assert_null(v);

	exec_ok(db, "CREATE TEMP TABLE u (id int PRIMARY KEY)");
	exec_ok(db, "INSERT INTO u VALUES (1)");
	assert_int_equal(xl_db_exec(db, "INSERT INTO u VALUES (1)", 0, NULL, NULL, &err), -XL_EDB);
	assert_string_equal(err.sqlstate, "23505");
	assert_non_null(strstr(err.msg, "duplicate key"));

	assert_int_equal(xl_db_exec(db, "INSERT INTO u VALUES (2), (3)", 0, NULL, &res, &err), 0);
	assert_string_equal(PQcmdTuples(res), "2");
	PQclear(res);

	/* Two statements in one call are refused: no piggy-backed SQL. */
	assert_int_equal(xl_db_exec(db, "SELECT 1; SELECT 2", 0, NULL, NULL, &err), -XL_EDB);
	assert_int_equal(xl_db_exec_script(db, "SELECT 1; SELECT 2", &err), 0);
	xl_db_close(db);
}

static void test_connect_failures(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db = NULL;
	int64_t t0 = xl_time_now();
	char *dsn;

	(void)state;
	assert_int_equal(xl_db_connect(&db, "host=127.0.0.1 port=1 dbname=x", &err), -XL_EUNAVAIL);
	assert_true(xl_time_now() - t0 < 5 * XL_TIME_US_PER_SEC);
	assert_non_null(strstr(err.msg, "127.0.0.1"));
	assert_null(db);

	assert_int_equal(xl_db_connect(&db, "host=127.0.0.1 port=1 password=s3cret", &err), -XL_EUNAVAIL);
	assert_null(strstr(err.msg, "s3cret"));

	assert_int_equal(xl_db_resolve("nonsense-without-equals", &dsn, NULL, &err), -XL_ECONFIG);

	dsn = NULL;
	{
		const char *base = dbtest_dsn();
		size_t n = strlen(base) + 64;
		char *bad = malloc(n);

		/* The last dbname in a connection string wins. */
		snprintf(bad, n, "%s dbname=xlcfi_no_such_db", base);
		assert_int_equal(xl_db_connect(&db, bad, &err), -XL_ECONFIG);
		assert_non_null(strstr(err.msg, "does not exist"));
		free(bad);
	}
}

static void test_resolve_order(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	enum xl_db_source src;
	char *dsn = NULL;

	(void)state;
	setenv("XLCFI_DSN", "dbname=from_env", 1);
	setenv("PGDATABASE", "from_pgenv", 1);
	assert_int_equal(xl_db_resolve("dbname=from_opt", &dsn, &src, &err), 0);
	assert_string_equal(dsn, "dbname=from_opt");
	assert_int_equal(src, XL_DB_FROM_OPTION);
	free(dsn);
	assert_int_equal(xl_db_resolve(NULL, &dsn, &src, &err), 0);
	assert_string_equal(dsn, "dbname=from_env");
	assert_int_equal(src, XL_DB_FROM_XLCFI_DSN);
	free(dsn);
	unsetenv("XLCFI_DSN");
	assert_int_equal(xl_db_resolve(NULL, &dsn, &src, &err), 0);
	assert_string_equal(dsn, "");
	assert_int_equal(src, XL_DB_FROM_PGENV);
	free(dsn);
	unsetenv("PGDATABASE");
	setenv("XLCFI_HOME", "/srv/xl", 1);
	assert_int_equal(xl_db_resolve(NULL, &dsn, &src, &err), 0);
	assert_int_equal(src, XL_DB_FROM_PRIVATE);
	assert_string_equal(dsn, "host='/srv/xl/pg/run' port=5432 dbname=xlcfi user=xlcfi");
	free(dsn);
	unsetenv("XLCFI_HOME");
}

static void expect_masked(const char *dsn, const char *secret, const char *const *keep)
{
	char *m = xl_db_mask_dsn(dsn);

	if (strstr(m, secret))
		fail_msg("'%s' shows the password as '%s'", dsn, m);
	for (; *keep; keep++)
		if (!strstr(m, *keep))
			fail_msg("'%s' lost '%s': '%s'", dsn, *keep, m);
	free(m);
}

static void test_mask(void **state)
{
	static const char *const kv[] = { "host=h", "password=***", "dbname=d", NULL };
	static const char *const uri[] = { "user=u", "host=h", "dbname=d", "password=***", NULL };
	static const char *const early[] = { "host=127.0.0.1", "port=1", "password=***", NULL };
	static const char *const quoted[] = { "password=***", "dbname='my db'", NULL };
	static const char *const none[] = { "host=h", NULL };

	(void)state;
	expect_masked("host=h password=hunter2 dbname=d", "hunter2", kv);
	expect_masked("postgresql://u:hunter2@h/d", "hunter2", uri);
	/* Percent-encoded in a URI: libpq decodes it, so must we. */
	expect_masked("postgresql://u:s3cr%65t@h/d", "s3cr", uri);
	/* The password's text also appears earlier in the string. */
	expect_masked("host=127.0.0.1 port=1 password=1", "password=1", early);
	expect_masked("password='a b' dbname='my db'", "a b", quoted);
	expect_masked("host=h", "***", none);
}

struct race {
	struct xl_db *other;
	int attempts;
	int interfere_until;
};

/* Read, let another session change the row, then write: a real 40001. */
static int bump(struct xl_db *db, void *argp, struct xl_err *err)
{
	struct race *r = argp;
	int ret;

	r->attempts++;
	ret = xl_db_exec(db, "SELECT v FROM race WHERE id = 1", 0, NULL, NULL, err);
	if (ret < 0)
		return ret;
	if (r->attempts <= r->interfere_until)
		exec_ok(r->other, "UPDATE race SET v = v + 100 WHERE id = 1");
	return xl_db_exec(db, "UPDATE race SET v = v + 1 WHERE id = 1", 0, NULL, NULL, err);
}

static void test_transaction_retry(void **state)
{
	struct xl_db *db = dbtest_connect(), *other = dbtest_connect();
	struct xl_err err = XL_ERR_INIT;
	struct race r = { other, 0, 1 };

	(void)state;
	exec_ok(db, "DROP TABLE IF EXISTS race");
	exec_ok(db, "CREATE TABLE race (id int PRIMARY KEY, v int NOT NULL)");
	exec_ok(db, "INSERT INTO race VALUES (1, 0)");

	/* The first attempt hits a concurrent update; the second commits. */
	assert_int_equal(xl_db_transaction(db, "SERIALIZABLE", 3, bump, &r, &err), 0);
	assert_int_equal(r.attempts, 2);
	assert_int_equal(value_of(db, "SELECT v FROM race WHERE id = 1"), 101);

	/* Conflicts on every attempt: give up with XL_ERETRY (exit 75). */
	r.attempts = 0;
	r.interfere_until = 99;
	assert_int_equal(xl_db_transaction(db, "SERIALIZABLE", 3, bump, &r, &err), -XL_ERETRY);
	assert_int_equal(r.attempts, 3);
	assert_int_equal(xl_err_exit_status(err.code), 75);
	assert_int_equal(value_of(db, "SELECT v FROM race WHERE id = 1"), 401);
	assert_int_equal(PQtransactionStatus(xl_db_conn(db)), PQTRANS_IDLE);
	exec_ok(db, "DROP TABLE race");
	xl_db_close(other);
	xl_db_close(db);
}

static int fail_once(struct xl_db *db, void *argp, struct xl_err *err)
{
	int *calls = argp;

	(*calls)++;
	exec_ok(db, "INSERT INTO tx_t VALUES (1)");
	return xl_err_set(err, XL_EINVAL, "business rule says no");
}

static void test_transaction_rolls_back(void **state)
{
	struct xl_db *db = dbtest_connect();
	struct xl_err err = XL_ERR_INIT;
	int calls = 0;

	(void)state;
	exec_ok(db, "CREATE TEMP TABLE tx_t (id int)");
	assert_int_equal(xl_db_transaction(db, NULL, 5, fail_once, &calls, &err), -XL_EINVAL);
	assert_int_equal(calls, 1);   /* not retryable */
	assert_string_equal(err.msg, "business rule says no");
	assert_int_equal(value_of(db, "SELECT count(*) FROM tx_t"), 0);
	xl_db_close(db);
}

/* Lets a failed statement pass, as a careless caller might. */
static int ignore_failure(struct xl_db *db, void *argp, struct xl_err *err)
{
	struct xl_err ignored = XL_ERR_INIT;

	(void)argp;
	(void)err;
	exec_ok(db, "INSERT INTO tx_t2 VALUES (1)");
	xl_db_exec(db, "SELECT 1/0", 0, NULL, NULL, &ignored);
	return 0;
}

static int always_conflict(struct xl_db *db, void *argp, struct xl_err *err)
{
	(void)argp;
	return xl_db_exec(db, "DO $$ BEGIN RAISE EXCEPTION 'conflict here' USING ERRCODE = '40001'; END $$",
			  0, NULL, NULL, err);
}

/* A statement with its own retries, as xl_dbfn_call makes, inside a transaction. */
static int conflict_with_retries(struct xl_db *db, void *argp, struct xl_err *err)
{
	int *calls = argp;

	(*calls)++;
	return xl_db_exec_retry(db, 5, "DO $$ BEGIN RAISE EXCEPTION 'conflict here' USING ERRCODE = '40001'; END $$",
				0, NULL, NULL, err);
}

static void test_transaction_reports_what_failed(void **state)
{
	struct xl_db *db = dbtest_connect();
	struct xl_err err = XL_ERR_INIT;

	(void)state;
	exec_ok(db, "CREATE TEMP TABLE tx_t2 (id int)");
	/* COMMIT of a failed transaction is a ROLLBACK: that must not look like success. */
	assert_int_equal(xl_db_transaction(db, NULL, 3, ignore_failure, NULL, &err), -XL_EDB);
	assert_int_equal(value_of(db, "SELECT count(*) FROM tx_t2"), 0);
	assert_int_equal(xl_db_transaction(db, "REPEATABLE READ", 2, always_conflict, NULL, &err), -XL_ERETRY);
	assert_string_equal(err.msg, "transaction gave up after 2 attempts: database: conflict here");
	/*
	 * Inside the transaction the statement is not run again (it would
	 * meet "current transaction is aborted"): the transaction is.
	 */
	{
		int calls = 0;

		assert_int_equal(xl_db_transaction(db, NULL, 3, conflict_with_retries, &calls, &err), -XL_ERETRY);
		assert_int_equal(calls, 3);
		assert_string_equal(err.msg, "transaction gave up after 3 attempts: database: conflict here");
	}
	xl_db_close(db);
}

static void test_pipeline_abort(void **state)
{
	struct xl_db *db = dbtest_connect();
	struct xl_err err = XL_ERR_INIT;
	const char *p[] = { "1" };

	(void)state;
	assert_int_equal(xl_db_pipeline_begin(db, &err), 0);
	assert_int_equal(xl_db_pipeline_send(db, "SELECT $1::int", 1, p, &err), 0);
	assert_int_equal(xl_db_pipeline_send(db, "SELECT $1::int", 1, p, &err), 0);
	xl_db_pipeline_abort(db);
	assert_int_equal(PQpipelineStatus(xl_db_conn(db)), PQ_PIPELINE_OFF);
	assert_int_equal(value_of(db, "SELECT 5"), 5);
	xl_db_close(db);
}

struct rows {
	long n;
	long stop_at;
	long long sum;
};

static int count_row(const char *data, size_t len, void *argp, struct xl_err *err)
{
	struct rows *r = argp;

	assert_true(len > 0 && data[len - 1] == '\n');
	r->sum += strtoll(data, NULL, 10);
	if (++r->n == r->stop_at)
		return xl_err_set(err, XL_EINVAL, "stop here");
	return 0;
}

static void test_copy(void **state)
{
	struct xl_db *db = dbtest_connect();
	struct xl_err err = XL_ERR_INIT;
	struct rows r = { 0, 0, 0 };
	char line[64];

	(void)state;
	exec_ok(db, "CREATE TEMP TABLE c (id int, name text)");
	assert_int_equal(xl_db_copy_in_begin(db, "COPY c FROM STDIN", &err), 0);
	for (int i = 1; i <= 1000; i++) {
		int n = snprintf(line, sizeof(line), "%d\tname %d\n", i, i);

		/* Send in odd pieces: COPY data need not align with rows. */
		assert_int_equal(xl_db_copy_in_put(db, line, 3, &err), 0);
		assert_int_equal(xl_db_copy_in_put(db, line + 3, (size_t)n - 3, &err), 0);
	}
	assert_int_equal(xl_db_copy_in_end(db, NULL, &err), 0);
	assert_int_equal(value_of(db, "SELECT count(*) FROM c"), 1000);

	/* A bad row fails the whole COPY and names the line. */
	assert_int_equal(xl_db_copy_in_begin(db, "COPY c FROM STDIN", &err), 0);
	assert_int_equal(xl_db_copy_in_put(db, "1001\tok\nnot-a-number\tbad\n", 25, &err), 0);
	assert_int_equal(xl_db_copy_in_end(db, NULL, &err), -XL_EDB);
	assert_string_equal(err.sqlstate, "22P02");
	assert_non_null(strstr(err.msg, "line 2"));
	assert_int_equal(value_of(db, "SELECT count(*) FROM c"), 1000);

	/* An aborted COPY loads nothing and is not an error. */
	assert_int_equal(xl_db_copy_in_begin(db, "COPY c FROM STDIN", &err), 0);
	assert_int_equal(xl_db_copy_in_put(db, "2000\tx\n", 7, &err), 0);
	assert_int_equal(xl_db_copy_in_end(db, "input was bad", &err), 0);
	assert_int_equal(value_of(db, "SELECT count(*) FROM c"), 1000);

	assert_int_equal(xl_db_copy_out(db, "COPY (SELECT id FROM c ORDER BY id) TO STDOUT",
					count_row, &r, &err), 0);
	assert_int_equal(r.n, 1000);
	assert_int_equal(r.sum, 500500);

	/* Stopping early returns the callback's error and leaves the connection usable. */
	r = (struct rows){ 0, 10, 0 };
	assert_int_equal(xl_db_copy_out(db, "COPY (SELECT g FROM generate_series(1, 1000000) g) TO STDOUT",
					count_row, &r, &err), -XL_EINVAL);
	assert_string_equal(err.msg, "stop here");
	assert_int_equal(r.n, 10);
	assert_int_equal(value_of(db, "SELECT 42"), 42);

	assert_int_equal(xl_db_copy_in_begin(db, "COPY no_such_table FROM STDIN", &err), -XL_EDB);
	assert_string_equal(err.sqlstate, "42P01");
	xl_db_close(db);
}

static int count_tuple(const PGresult *row, void *arg, struct xl_err *err)
{
	struct rows *r = arg;

	assert_int_equal(PQntuples(row), 1);
	r->sum += strtoll(PQgetvalue(row, 0, 0), NULL, 10);
	if (++r->n == r->stop_at)
		return xl_err_set(err, XL_EINVAL, "stop here");
	return 0;
}

static void test_each_row(void **state)
{
	struct xl_db *db = dbtest_connect();
	struct xl_err err = XL_ERR_INIT;
	struct rows r = { 0, 0, 0 };
	const char *params[1] = { "1000" };

	(void)state;
	assert_int_equal(xl_db_each_row(db, "SELECT g FROM generate_series(1, $1::int) g", 1, params,
					count_tuple, &r, &err), 0);
	assert_int_equal(r.n, 1000);
	assert_int_equal(r.sum, 500500);

	/* No rows is not an error. */
	r = (struct rows){ 0, 0, 0 };
	assert_int_equal(xl_db_each_row(db, "SELECT 1 WHERE false", 0, NULL, count_tuple, &r, &err), 0);
	assert_int_equal(r.n, 0);

	/* Stopping early returns the callback's error and leaves the connection usable. */
	r = (struct rows){ 0, 10, 0 };
	assert_int_equal(xl_db_each_row(db, "SELECT g FROM generate_series(1, 10000000) g", 0, NULL,
					count_tuple, &r, &err), -XL_EINVAL);
	assert_string_equal(err.msg, "stop here");
	assert_int_equal(r.n, 10);
	assert_int_equal(value_of(db, "SELECT 42"), 42);

	/* An error after some rows were sent: the rows came, then the error. */
	r = (struct rows){ 0, 0, 0 };
	assert_int_equal(xl_db_each_row(db, "SELECT 10 / (3 - g) FROM generate_series(1, 5) g", 0, NULL,
					count_tuple, &r, &err), -XL_EDB);
	assert_string_equal(err.sqlstate, "22012");
	assert_int_equal(value_of(db, "SELECT 7"), 7);
	assert_int_equal(xl_db_each_row(db, "SELECT * FROM no_such_table", 0, NULL, count_tuple, &r, &err),
			 -XL_EDB);
	assert_string_equal(err.sqlstate, "42P01");
	xl_db_close(db);
}

static void test_copy_fields(void **state)
{
	char row[] = "1\tK\\\\F\t\\N\t\ta\\tb\\nc\\101\\x42\t\\N\n";
	char one[] = "solo";
	char *f[8];

	(void)state;
	assert_int_equal(xl_db_copy_fields(row, sizeof(row) - 1, f, 8), 6);
	assert_string_equal(f[0], "1");
	assert_string_equal(f[1], "K\\F");
	assert_null(f[2]);
	assert_string_equal(f[3], "");
	assert_string_equal(f[4], "a\tb\ncAB");
	assert_null(f[5]);
	/* No newline, and fewer fields asked for than there are. */
	assert_int_equal(xl_db_copy_fields(one, 4, f, 8), 1);
	assert_string_equal(f[0], "solo");
	memcpy(row, "x\ty\tz\n", 7);
	assert_int_equal(xl_db_copy_fields(row, 6, f, 2), 2);
	assert_string_equal(f[0], "x");
	assert_string_equal(f[1], "y");
}

struct evens {
	long long seen;
	long long value;        /* the row handed over */
	long long fail_at;
};

static int evens(char *row, size_t len, const char **out, size_t *outlen, void *arg, struct xl_err *err)
{
	struct evens *e = arg;
	char *f[1];

	assert_int_equal(xl_db_copy_fields(row, len, f, 1), 1);
	e->seen++;
	e->value = strtoll(f[0], NULL, 10);
	if (e->value == e->fail_at)
		return xl_err_set(err, XL_ERANGE, "row %lld is too much", e->value);
	if (e->value % 2)
		return 0;
	*out = (const char *)&e->value;
	*outlen = sizeof(e->value);
	return 1;
}

static void test_copy_out_pull(void **state)
{
	struct xl_db *db = dbtest_connect(), *db2 = NULL;
	struct xl_err err = XL_ERR_INIT;
	char *row, *f[3];
	size_t len;
	long long n = 0, sum = 0;
	int ret;

	(void)state;
	assert_int_equal(xl_db_copy_out_begin(db, "COPY (SELECT g, 'a' || chr(9) || g, NULL FROM "
						  "generate_series(1, 1000) g) TO STDOUT", NULL, NULL, &err), 0);
	while ((ret = xl_db_copy_out_next(db, &row, &len, &err)) == 1) {
		char want[32];

		assert_int_equal(xl_db_copy_fields(row, len, f, 3), 3);
		n++;
		sum += strtoll(f[0], NULL, 10);
		snprintf(want, sizeof(want), "a\t%s", f[0]);
		assert_string_equal(f[1], want);
		assert_null(f[2]);
	}
	assert_int_equal(ret, 0);
	assert_int_equal(xl_db_copy_out_next(db, &row, &len, &err), 0);
	assert_int_equal(xl_db_copy_out_end(db, &err), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(sum, 500500);

	/* Ended early: the rest is cancelled and the connection is usable. */
	assert_int_equal(xl_db_copy_out_begin(db, "COPY (SELECT g FROM generate_series(1, 10000000) g) TO STDOUT",
					      NULL, NULL, &err), 0);
	assert_int_equal(xl_db_copy_out_next(db, &row, &len, &err), 1);
	assert_int_equal(xl_db_copy_out_end(db, &err), 0);
	assert_int_equal(value_of(db, "SELECT 42"), 42);

	/* An error after some rows: the rows, then the error. */
	assert_int_equal(xl_db_copy_out_begin(db, "COPY (SELECT 10 / (3 - g) FROM generate_series(1, 5) g) TO STDOUT",
					      NULL, NULL, &err), 0);
	n = 0;
	while ((ret = xl_db_copy_out_next(db, &row, &len, &err)) == 1)
		n++;
	assert_int_equal(ret, -XL_EDB);
	assert_string_equal(err.sqlstate, "22012");
	assert_int_equal(xl_db_copy_out_end(db, &err), 0);
	assert_int_equal(value_of(db, "SELECT 7"), 7);
	assert_int_equal(xl_db_copy_out_begin(db, "COPY (SELECT * FROM no_such_table) TO STDOUT", NULL, NULL, &err),
			 -XL_EDB);

	/* A filter on the reading thread: odd rows dropped, even ones handed over as binary, then an error. */
	{
		struct evens e = { 0, 0, 0 };
		long long got = 0, v;

		assert_int_equal(xl_db_copy_out_begin(db, "COPY (SELECT g FROM generate_series(1, 100000) g) TO STDOUT",
						      evens, &e, &err), 0);
		n = 0;
		while ((ret = xl_db_copy_out_next(db, &row, &len, &err)) == 1) {
			assert_int_equal(len, sizeof(v));
			memcpy(&v, row, sizeof(v));
			assert_int_equal(v % 2, 0);
			got += v;
			n++;
		}
		assert_int_equal(ret, 0);
		assert_int_equal(xl_db_copy_out_end(db, &err), 0);
		assert_int_equal(n, 50000);
		assert_int_equal(got, 2500050000LL);
		assert_int_equal(e.seen, 100000);

		e = (struct evens){ 0, 0, 777 };
		assert_int_equal(xl_db_copy_out_begin(db, "COPY (SELECT g FROM generate_series(1, 10000000) g) TO STDOUT",
						      evens, &e, &err), 0);
		n = 0;
		while ((ret = xl_db_copy_out_next(db, &row, &len, &err)) == 1)
			n++;
		assert_int_equal(ret, -XL_ERANGE);
		assert_string_equal(err.msg, "row 777 is too much");
		assert_int_equal(n, 388);
		assert_int_equal(xl_db_copy_out_end(db, &err), 0);
		assert_int_equal(value_of(db, "SELECT 42"), 42);
	}
	assert_int_equal(xl_db_copy_out_end(db, &err), 0);

	/* A second connection like the first one, sharing its snapshot. */
	assert_int_equal(xl_db_connect_like(&db2, db, &err), 0);
	exec_ok(db, "CREATE TABLE IF NOT EXISTS snap_t (id int)");
	exec_ok(db, "TRUNCATE snap_t");
	exec_ok(db, "BEGIN ISOLATION LEVEL REPEATABLE READ");
	{
		char *id = NULL;

		assert_int_equal(xl_db_snapshot_export(db, &id, &err), 0);
		exec_ok(db2, "BEGIN ISOLATION LEVEL REPEATABLE READ");
		assert_int_equal(xl_db_snapshot_import(db2, id, &err), 0);
		free(id);
		/* Only a snapshot's characters are let through to the statement. */
		exec_ok(db2, "ROLLBACK");
		exec_ok(db2, "BEGIN ISOLATION LEVEL REPEATABLE READ");
		assert_int_equal(xl_db_snapshot_import(db2, "1'; DROP TABLE snap_t; --", &err), -XL_EINVAL);
		assert_int_equal(xl_db_snapshot_import(db2, "00000003-0000001B-1", &err), -XL_EDB);
		exec_ok(db2, "ROLLBACK");
		exec_ok(db2, "BEGIN ISOLATION LEVEL REPEATABLE READ");
		assert_int_equal(xl_db_snapshot_export(db, &id, &err), 0);
		assert_int_equal(xl_db_snapshot_import(db2, id, &err), 0);
		free(id);
	}
	{
		struct xl_db *db3 = dbtest_connect();

		exec_ok(db3, "INSERT INTO snap_t VALUES (1)");
		xl_db_close(db3);
	}
	/* Sent, then read later: the row inserted after the snapshot is not seen. */
	{
		struct rows r = { 0, 0, 0 };

		assert_int_equal(xl_db_send(db2, "SELECT count(*) FROM snap_t", 0, NULL, &err), 0);
		assert_int_equal(xl_db_recv_rows(db2, count_tuple, &r, &err), 0);
		assert_int_equal(r.n, 1);
		assert_int_equal(r.sum, 0);
	}
	exec_ok(db2, "COMMIT");
	exec_ok(db, "COMMIT");
	assert_int_equal(value_of(db2, "SELECT count(*) FROM snap_t"), 1);
	exec_ok(db, "DROP TABLE snap_t");
	xl_db_close(db2);
	xl_db_close(db);
}

static void test_pipeline(void **state)
{
	struct xl_db *db = dbtest_connect();
	struct xl_err err = XL_ERR_INIT;
	char id[16];
	const char *p[] = { id };

	(void)state;
	exec_ok(db, "CREATE TEMP TABLE pl (id int PRIMARY KEY)");
	assert_int_equal(xl_db_pipeline_begin(db, &err), 0);
	for (int i = 1; i <= 200; i++) {
		snprintf(id, sizeof(id), "%d", i);
		assert_int_equal(xl_db_pipeline_send(db, "INSERT INTO pl VALUES ($1)", 1, p, &err), 0);
	}
	assert_int_equal(xl_db_pipeline_end(db, &err), 200);
	assert_int_equal(value_of(db, "SELECT count(*) FROM pl"), 200);

	/* One failure: the batch is one transaction, so nothing of it stays. */
	assert_int_equal(xl_db_pipeline_begin(db, &err), 0);
	for (int i = 199; i <= 210; i++) {
		snprintf(id, sizeof(id), "%d", i + 2);
		if (i == 205)
			snprintf(id, sizeof(id), "5");
		assert_int_equal(xl_db_pipeline_send(db, "INSERT INTO pl VALUES ($1)", 1, p, &err), 0);
	}
	assert_int_equal(xl_db_pipeline_end(db, &err), -XL_EDB);
	assert_string_equal(err.sqlstate, "23505");
	assert_non_null(strstr(err.msg, "statement 7 of 12"));
	assert_int_equal(value_of(db, "SELECT count(*) FROM pl"), 200);
	assert_int_equal(value_of(db, "SELECT 7"), 7);
	xl_db_close(db);
}

static void test_notify(void **state)
{
	struct xl_db *a = dbtest_connect(), *b = dbtest_connect();
	struct xl_err err = XL_ERR_INIT;
	const char *p[] = { "Weird Channel", "order:42" };
	char *chan = NULL, *payload = NULL;
	int64_t t0;

	(void)state;
	assert_int_equal(xl_db_listen(a, "Weird Channel", &err), 0);
	t0 = xl_time_now();
	assert_int_equal(xl_db_wait_notify(a, 200, &chan, &payload, &err), 0);
	assert_true(xl_time_now() - t0 >= 190000);
	assert_int_equal(xl_db_exec(b, "SELECT pg_notify($1, $2)", 2, p, NULL, &err), 0);
	assert_int_equal(xl_db_wait_notify(a, 5000, &chan, &payload, &err), 1);
	assert_string_equal(chan, "Weird Channel");
	assert_string_equal(payload, "order:42");
	free(chan);
	free(payload);
	xl_db_close(a);
	xl_db_close(b);
}

static void test_connection_lost(void **state)
{
	struct xl_db *a = dbtest_connect(), *b = dbtest_connect();
	struct xl_err err = XL_ERR_INIT;
	char *pid = NULL;
	const char *p[1];

	(void)state;
	assert_int_equal(xl_db_query_value(a, "SELECT pg_backend_pid()", 0, NULL, &pid, &err), 0);
	p[0] = pid;
	assert_int_equal(xl_db_exec(b, "SELECT pg_terminate_backend($1::int)", 1, p, NULL, &err), 0);
	usleep(100000);
	assert_int_equal(xl_db_exec(a, "SELECT 1", 0, NULL, NULL, &err), -XL_EUNAVAIL);
	assert_int_equal(xl_err_exit_status(err.code), 69);
	free(pid);
	xl_db_close(a);
	xl_db_close(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_params_and_errors),
		cmocka_unit_test(test_connect_failures),
		cmocka_unit_test(test_resolve_order),
		cmocka_unit_test(test_mask),
		cmocka_unit_test(test_transaction_retry),
		cmocka_unit_test(test_transaction_rolls_back),
		cmocka_unit_test(test_transaction_reports_what_failed),
		cmocka_unit_test(test_pipeline_abort),
		cmocka_unit_test(test_copy),
		cmocka_unit_test(test_each_row),
		cmocka_unit_test(test_copy_fields),
		cmocka_unit_test(test_copy_out_pull),
		cmocka_unit_test(test_pipeline),
		cmocka_unit_test(test_notify),
		cmocka_unit_test(test_connection_lost),
	};

	return cmocka_run_group_tests_name("xl_db", tests, NULL, NULL);
}
