/* Unit tests for lib/xl_err.h: error codes, messages and exit statuses. */
#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_err.h"
#include "xl_exit.h"

static void test_set_returns_negative_code(void **state)
{
	struct xl_err err = XL_ERR_INIT;

	(void)state;
	assert_int_equal(xl_err_set(&err, XL_EINVAL, "bad value '%s' at %d", "x", 3), -XL_EINVAL);
	assert_int_equal(err.code, XL_EINVAL);
	assert_string_equal(err.msg, "bad value 'x' at 3");
	assert_int_equal(xl_err_set(&err, XL_EIO, "disk"), -XL_EIO);
	assert_int_equal(err.code, XL_EIO);
	assert_string_equal(err.msg, "disk");
	/* A negated code is accepted too. */
	assert_int_equal(xl_err_set(&err, -XL_ERANGE, "r"), -XL_ERANGE);
	assert_int_equal(err.code, XL_ERANGE);
}

static void test_set_null_err(void **state)
{
	(void)state;
	assert_int_equal(xl_err_set(NULL, XL_ENOTFOUND, "nothing %d", 1), -XL_ENOTFOUND);
	assert_int_equal(xl_err_set(NULL, XL_ETIMEOUT, "t"), -XL_ETIMEOUT);
}

static void test_sqlstate_cleared_for_non_db(void **state)
{
	struct xl_err err = XL_ERR_INIT;

	(void)state;
	memcpy(err.sqlstate, "40001", 6);
	xl_err_set(&err, XL_EDB, "serialization failure");
	assert_string_equal(err.sqlstate, "40001");
	xl_err_set(&err, XL_EINVAL, "other");
	assert_string_equal(err.sqlstate, "");
}

static void test_newlines_flattened(void **state)
{
	struct xl_err err = XL_ERR_INIT;

	(void)state;
	xl_err_set(&err, XL_EDB, "ERROR:  relation \"x\" does not exist\nLINE 1: select\r\n");
	assert_null(strchr(err.msg, '\n'));
	assert_null(strchr(err.msg, '\r'));
	assert_string_equal(err.msg, "ERROR:  relation \"x\" does not exist LINE 1: select");
	xl_err_set(&err, XL_EFAIL, "%s", "a\nb");
	assert_string_equal(err.msg, "a b");
}

static void test_prefix(void **state)
{
	struct xl_err err = XL_ERR_INIT;

	(void)state;
	xl_err_set(&err, XL_EINVAL, "bad amount");
	assert_int_equal(xl_err_prefix(&err, "%s:%d: ", "orders.csv", 3), -XL_EINVAL);
	assert_string_equal(err.msg, "orders.csv:3: bad amount");
	assert_int_equal(err.code, XL_EINVAL);
	assert_int_equal(xl_err_prefix(&err, "load: "), -XL_EINVAL);
	assert_string_equal(err.msg, "load: orders.csv:3: bad amount");
	/* A newline in the prefix is flattened as well. */
	xl_err_prefix(&err, "x\n");
	assert_string_equal(err.msg, "x load: orders.csv:3: bad amount");
}

static void test_prefix_truncates(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	char big[3000];

	(void)state;
	memset(big, 'm', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	xl_err_set(&err, XL_EIO, "%s", big);
	assert_int_equal(xl_err_prefix(&err, "ctx: "), -XL_EIO);
	assert_int_equal(strlen(err.msg), XL_ERR_MSGMAX - 1);
	assert_memory_equal(err.msg, "ctx: mmm", 8);
	assert_int_equal(err.msg[XL_ERR_MSGMAX - 2], 'm');

	/* A prefix that alone fills the message. */
	memset(big, 'p', sizeof(big) - 1);
	xl_err_set(&err, XL_EIO, "tail");
	xl_err_prefix(&err, "%s", big);
	assert_int_equal(strlen(err.msg), XL_ERR_MSGMAX - 1);
	assert_int_equal(err.msg[0], 'p');
	assert_int_equal(err.msg[XL_ERR_MSGMAX - 2], 'p');
}

static void test_long_message_truncated(void **state)
{
	struct xl_err err;
	char big[5000];

	(void)state;
	memset(&err, 'Z', sizeof(err));
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_int_equal(xl_err_set(&err, XL_EINVAL, "%s%s", big, big), -XL_EINVAL);
	assert_int_equal(err.msg[XL_ERR_MSGMAX - 1], '\0');
	assert_int_equal(strlen(err.msg), XL_ERR_MSGMAX - 1);
	assert_int_equal(err.msg[0], 'a');
	assert_string_equal(err.sqlstate, "");
}

static void test_clear(void **state)
{
	struct xl_err err = XL_ERR_INIT;

	(void)state;
	xl_err_set(&err, XL_EPERM, "denied");
	xl_err_clear(&err);
	assert_int_equal(err.code, 0);
	assert_string_equal(err.msg, "");
	assert_string_equal(err.sqlstate, "");
	xl_err_clear(NULL);
}

static void test_exit_status(void **state)
{
	(void)state;
	assert_int_equal(xl_err_exit_status(XL_OK), 0);
	assert_int_equal(xl_err_exit_status(XL_EINVAL), 65);
	assert_int_equal(xl_err_exit_status(XL_EUNAVAIL), 69);
	assert_int_equal(xl_err_exit_status(XL_ERETRY), 75);
	assert_int_equal(xl_err_exit_status(XL_EPERM), 77);
	assert_int_equal(xl_err_exit_status(XL_ECONFIG), 78);
	assert_int_equal(xl_err_exit_status(XL_EIO), 74);
	assert_int_equal(xl_err_exit_status(XL_ECANTCREAT), 73);
	assert_int_equal(xl_err_exit_status(XL_ENOINPUT), 66);
	assert_int_equal(xl_err_exit_status(XL_ERANGE), XL_EXIT_DATAERR);
	assert_int_equal(xl_err_exit_status(XL_ETOOBIG), XL_EXIT_DATAERR);
	assert_int_equal(xl_err_exit_status(XL_ETIMEOUT), XL_EXIT_TEMPFAIL);
	assert_int_equal(xl_err_exit_status(XL_EFAIL), XL_EXIT_INTERNAL);
	/* Negated codes (as functions return them) map the same way. */
	assert_int_equal(xl_err_exit_status(-XL_EINVAL), 65);
	assert_int_equal(xl_err_exit_status(-XL_ENOINPUT), 66);
	assert_int_equal(xl_err_exit_status(-XL_ERETRY), 75);
	/* Unknown codes never fail. */
	assert_int_equal(xl_err_exit_status(999), XL_EXIT_INTERNAL);
	assert_int_equal(XL_EXIT_DATAERR, 65);
	assert_int_equal(XL_EXIT_NOINPUT, 66);
	assert_int_equal(XL_EXIT_UNAVAILABLE, 69);
	assert_int_equal(XL_EXIT_CANTCREAT, 73);
	assert_int_equal(XL_EXIT_IOERR, 74);
	assert_int_equal(XL_EXIT_TEMPFAIL, 75);
	assert_int_equal(XL_EXIT_NOPERM, 77);
	assert_int_equal(XL_EXIT_CONFIG, 78);
}

static int vset_helper(struct xl_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int vset_helper(struct xl_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = xl_err_vset(err, code, fmt, ap);
	va_end(ap);
	return ret;
}

static void test_vset(void **state)
{
	struct xl_err err = XL_ERR_INIT;

	(void)state;
	assert_int_equal(vset_helper(&err, XL_ECONFIG, "missing %s=%d\n", "k", 5), -XL_ECONFIG);
	assert_int_equal(err.code, XL_ECONFIG);
	assert_string_equal(err.msg, "missing k=5");
}

static int status_for(const char *sqlstate)
{
	struct xl_err err = XL_ERR_INIT;

	xl_err_set(&err, XL_EDB, "database: x");
	snprintf(err.sqlstate, sizeof(err.sqlstate), "%s", sqlstate);
	return xl_err_status(&err);
}

static void test_status_by_sqlstate(void **state)
{
	struct xl_err err = XL_ERR_INIT;

	(void)state;
	assert_int_equal(status_for("40001"), 75);
	assert_int_equal(status_for("40P01"), 75);
	assert_int_equal(status_for("55P03"), 75);
	assert_int_equal(status_for("57014"), 75);
	assert_int_equal(status_for("53100"), 75);
	assert_int_equal(status_for("28P01"), 77);
	assert_int_equal(status_for("42501"), 77);
	assert_int_equal(status_for("23505"), 65);
	assert_int_equal(status_for("22P02"), 65);
	assert_int_equal(status_for("3D000"), 78);
	assert_int_equal(status_for("42P01"), 1);
	assert_int_equal(status_for(""), 1);
	xl_err_set(&err, XL_EUNAVAIL, "gone");
	assert_int_equal(xl_err_status(&err), 69);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_returns_negative_code),
		cmocka_unit_test(test_set_null_err),
		cmocka_unit_test(test_sqlstate_cleared_for_non_db),
		cmocka_unit_test(test_newlines_flattened),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_prefix_truncates),
		cmocka_unit_test(test_long_message_truncated),
		cmocka_unit_test(test_clear),
		cmocka_unit_test(test_exit_status),
		cmocka_unit_test(test_vset),
		cmocka_unit_test(test_status_by_sqlstate),
	};

	return cmocka_run_group_tests_name("xl_err", tests, NULL, NULL);
}
