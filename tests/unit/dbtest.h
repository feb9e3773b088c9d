/*
 * Shared set-up for unit tests that need PostgreSQL: the database named by
 * XLCFI_TEST_DSN (make check starts one). Without it the tests fail under
 * CI and are skipped, with a message, elsewhere.
 */
#ifndef XL_DBTEST_H
#define XL_DBTEST_H

#include <stdio.h>
#include <stdlib.h>

#include "xl_db.h"

static inline const char *dbtest_dsn(void)
{
	const char *dsn = getenv("XLCFI_TEST_DSN");

	if (dsn && *dsn)
		return dsn;
	if (getenv("CI")) {
		fprintf(stderr, "XLCFI_TEST_DSN is not set under CI; run 'make check'\n");
		fail();
	}
	fprintf(stderr, "skipping: XLCFI_TEST_DSN is not set; run through 'make check'\n");
	skip();
	return NULL;
}

static inline struct xl_db *dbtest_connect(void)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_db *db = NULL;
	const char *dsn = dbtest_dsn();

	if (xl_db_connect(&db, dsn, &err) < 0) {
		fprintf(stderr, "cannot connect to the test database: %s\n", err.msg);
		fail();
	}
	return db;
}

#endif
