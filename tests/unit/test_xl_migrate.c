#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xl_migrate.h"
#include "dbtest.h"

#define SCRATCH_DB "xlcfi_migrate_test"

static char scratch_dsn[4096];

/* A fresh, empty database next to the test database. */
static int setup(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db;

	(void)state;
	if (!getenv("XLCFI_TEST_DSN"))
		return 0;
	db = dbtest_connect();
	if (xl_db_exec(db, "DROP DATABASE IF EXISTS " SCRATCH_DB " WITH (FORCE)", 0, NULL, NULL, &err) < 0 ||
	    xl_db_exec(db, "CREATE DATABASE " SCRATCH_DB, 0, NULL, NULL, &err) < 0) {
		fprintf(stderr, "cannot create " SCRATCH_DB ": %s\n", err.msg);
		xl_db_close(db);
		return -1;
	}
	xl_db_close(db);
	snprintf(scratch_dsn, sizeof(scratch_dsn), "%s dbname=" SCRATCH_DB, getenv("XLCFI_TEST_DSN"));
	return 0;
}

static int teardown(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db;

	(void)state;
	if (!getenv("XLCFI_TEST_DSN"))
		return 0;
	db = dbtest_connect();
	xl_db_exec(db, "DROP DATABASE IF EXISTS " SCRATCH_DB " WITH (FORCE)", 0, NULL, NULL, &err);
	xl_db_close(db);
	return 0;
}

static struct xl_db *scratch(void)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db = NULL;

	dbtest_dsn();
	if (xl_db_connect(&db, scratch_dsn, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		fail();
	}
	return db;
}

static void exec_ok(struct xl_db *db, const char *sql)
{
	struct xl_err err = XL_ERR_INIT;

	if (xl_db_exec(db, sql, 0, NULL, NULL, &err) < 0) {
		fprintf(stderr, "%s: %s\n", sql, err.msg);
		fail();
	}
}

static void test_compiled_in(void **state)
{
	(void)state;
	assert_true(xl_migrations_count >= 1);
	assert_int_equal(xl_migrations[0].version, 1);
	assert_string_equal(xl_migrations[0].name, "core");
	for (size_t i = 1; i < xl_migrations_count; i++)
		assert_true(xl_migrations[i].version > xl_migrations[i - 1].version);
	assert_int_equal(xl_migrate_latest(), xl_migrations[xl_migrations_count - 1].version);
}

static void test_apply_twice(void **state)
{
	struct xl_db *db = scratch();
	struct xl_err err = XL_ERR_INIT;
	int applied = -1, version = -1;
	char *v = NULL;

	(void)state;
	assert_int_equal(xl_migrate_version(db, &version, &err), 0);
	assert_int_equal(version, 0);
	assert_int_equal(xl_migrate(db, &applied, &err), 0);
	assert_int_equal(applied, (int)xl_migrations_count);
	assert_int_equal(xl_migrate_version(db, &version, &err), 0);
	assert_int_equal(version, xl_migrate_latest());

	/* The second run is a no-op. */
	assert_int_equal(xl_migrate(db, &applied, &err), 0);
	assert_int_equal(applied, 0);
	assert_int_equal(xl_db_query_value(db, "SELECT count(*) FROM schema_migrations", 0, NULL, &v, &err), 0);
	assert_int_equal(strtol(v, NULL, 10), (long)xl_migrations_count);
	free(v);

	/* The schema enforces what the platform relies on. */
	exec_ok(db, "INSERT INTO categories (slug, name) VALUES ('kimchi', 'Kimchi')");
	exec_ok(db, "INSERT INTO products (sku, name, category_id, price_minor, currency, stock) "
		    "SELECT 'KF-1', 'Napa kimchi', id, 12000, 'KRW', 1 FROM categories");
	assert_int_equal(xl_db_exec(db, "UPDATE products SET stock = stock - 2", 0, NULL, NULL, &err), -XL_EDB);
	assert_string_equal(err.sqlstate, "23514");
	assert_int_equal(xl_db_exec(db, "INSERT INTO products (sku, name, category_id, price_minor, currency) "
				    "SELECT 'KF-1', 'dup', id, 1, 'KRW' FROM categories", 0, NULL, NULL, &err), -XL_EDB);
	assert_string_equal(err.sqlstate, "23505");
	xl_db_close(db);
}

static void test_concurrent_migrators(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db = scratch();
	pid_t pids[3];
	int version = 0;

	(void)state;
	/* Start again from an empty database. */
	assert_int_equal(xl_db_exec_script(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", &err), 0);
	xl_db_close(db);
	for (int i = 0; i < 3; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			struct xl_db *c = NULL;
			int ok = xl_db_connect(&c, scratch_dsn, &err) == 0 && xl_migrate(c, NULL, &err) == 0;

			if (!ok)
				fprintf(stderr, "child %d: %s\n", i, err.msg);
			xl_db_close(c);
			_exit(ok ? 0 : 1);
		}
	}
	for (int i = 0; i < 3; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	db = scratch();
	assert_int_equal(xl_migrate_version(db, &version, &err), 0);
	assert_int_equal(version, xl_migrate_latest());
	xl_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compiled_in),
		cmocka_unit_test(test_apply_twice),
		cmocka_unit_test(test_concurrent_migrators),
	};

	return cmocka_run_group_tests_name("xl_migrate", tests, setup, teardown);
}
