#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_csv.h"
#include "tmpdir.h"

static int setup(void **state)
{
	return tmpdir_fixture_setup(state, "xl_csv_test", "a.csv", "b.csv");
}

static int teardown(void **state)
{
	return tmpdir_fixture_teardown(state);
}

static void put(const char *path, const char *data, size_t n)
{
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, n, fp), n);
	fclose(fp);
}

#define PUT(path, lit) put((path), (lit), sizeof(lit) - 1)

/* Read one row and check it is "f0|f1|..." at the given line. */
static void expect_row(struct xl_csv_reader *r, uint64_t line, const char *joined)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_csv_row row;
	char got[512] = "";
	int ret = xl_csv_read(r, &row, &err);

	if (ret != 1)
		fail_msg("expected a row at line %llu, got %d: %s", (unsigned long long)line, ret, err.msg);
	for (size_t i = 0; i < row.nfields; i++)
		snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "|" : "", row.fields[i]);
	assert_string_equal(got, joined);
	assert_int_equal(row.line, line);
}

static void expect_error(struct xl_csv_reader *r, int code, uint64_t line, const char *needle)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_csv_row row;
	int ret = xl_csv_read(r, &row, &err);

	if (ret != code)
		fail_msg("expected %d at line %llu, got %d (%s)", code, (unsigned long long)line, ret, err.msg);
	assert_int_equal(row.line, line);
	if (needle && !strstr(err.msg, needle))
		fail_msg("'%s' does not say '%s'", err.msg, needle);
}

static void expect_end(struct xl_csv_reader *r)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_csv_row row;

	assert_int_equal(xl_csv_read(r, &row, &err), 0);
}

static void test_rfc4180(void **state)
{
	struct fixture *f = *state;
	char *paths[] = { f->path[0] };
	struct xl_csv_reader *r;

	PUT(f->path[0], "\xEF\xBB\xBFsku,name,note\r\n"
		"A1,\"Kimchi, napa\",\"say \"\"hi\"\"\"\r\n"
		"\r\n"
		"A2,\"two\nlines\",x\n"
		"A3,,\n"
		"A4,last,no newline");
	xl_csv_open(&r, paths, 1, 0, XL_CSV_AUTO);
	expect_row(r, 1, "sku|name|note");
	expect_row(r, 2, "A1|Kimchi, napa|say \"hi\"");
	expect_row(r, 4, "A2|two\nlines|x");
	expect_row(r, 6, "A3||");
	expect_row(r, 7, "A4|last|no newline");
	expect_end(r);
	assert_string_equal(xl_csv_encoding_name(r), "UTF-8");
	xl_csv_close(r);
}

static void test_first_in_file_and_raw(void **state)
{
	struct fixture *f = *state;
	char *paths[] = { f->path[0], f->path[1] };
	struct xl_err err = XL_ERR_INIT;
	struct xl_csv_reader *r;
	struct xl_csv_row row;

	PUT(f->path[0], "h\n1");
	PUT(f->path[1], "h\n\"2\n3\"\n");
	xl_csv_open(&r, paths, 2, 0, XL_CSV_UTF8);
	assert_int_equal(xl_csv_read(r, &row, &err), 1);
	assert_true(row.first_in_file);
	assert_int_equal(xl_csv_read(r, &row, &err), 1);
	assert_false(row.first_in_file);
	assert_string_equal(row.fields[0], "1");
	assert_int_equal(xl_csv_read(r, &row, &err), 1);
	assert_true(row.first_in_file);
	assert_string_equal(row.file, f->path[1]);
	assert_int_equal(xl_csv_read(r, &row, &err), 1);
	assert_string_equal(row.fields[0], "2\n3");
	assert_int_equal(row.line, 2);
	assert_int_equal(row.rawlen, 5);
	assert_memory_equal(row.raw, "\"2\n3\"", 5);
	expect_end(r);
	xl_csv_close(r);
}

static void test_cp949(void **state)
{
	struct fixture *f = *state;
	char *paths[] = { f->path[0] };
	struct xl_csv_reader *r;

	/* "name\n김치,1\n" in CP949, as Korean Excel saves it. */
	PUT(f->path[0], "name,n\r\n\xB1\xE8\xC4\xA1,1\r\n");
	xl_csv_open(&r, paths, 1, 0, XL_CSV_AUTO);
	expect_row(r, 1, "name|n");
	expect_row(r, 2, "김치|1");
	assert_string_equal(xl_csv_encoding_name(r), "CP949");
	expect_end(r);
	xl_csv_close(r);

	/* Forced UTF-8 on CP949 bytes: the row is refused, the next one read. */
	PUT(f->path[0], "name\n\xB1\xE8\xC4\xA1\nok\n");
	xl_csv_open(&r, paths, 1, 0, XL_CSV_UTF8);
	expect_row(r, 1, "name");
	expect_error(r, -XL_EINVAL, 2, "not valid UTF-8");
	expect_row(r, 3, "ok");
	expect_end(r);
	xl_csv_close(r);
}

static void test_malformed(void **state)
{
	struct fixture *f = *state;
	char *paths[] = { f->path[0] };
	struct xl_csv_reader *r;

	PUT(f->path[0], "a,b\nx\"y,1\n2,3\n4,\"unterminated\n5,6\n");
	xl_csv_open(&r, paths, 1, 0, XL_CSV_UTF8);
	expect_row(r, 1, "a|b");
	expect_error(r, -XL_EINVAL, 2, "malformed quoting");
	expect_row(r, 3, "2|3");
	expect_error(r, -XL_EINVAL, 4, "unterminated quoted field");
	expect_end(r);
	xl_csv_close(r);

	PUT(f->path[0], "a\nx\0y\nz\n");
	put(f->path[0], "a\nx\0y\nz\n", 8);
	xl_csv_open(&r, paths, 1, 0, XL_CSV_UTF8);
	expect_row(r, 1, "a");
	expect_error(r, -XL_EINVAL, 2, "NUL");
	expect_row(r, 3, "z");
	expect_end(r);
	xl_csv_close(r);
}

static void test_too_long(void **state)
{
	struct fixture *f = *state;
	char *paths[] = { f->path[0] };
	struct xl_csv_reader *r;
	FILE *fp = fopen(f->path[0], "w");

	assert_non_null(fp);
	fputs("a\n", fp);
	for (int i = 0; i < 2000; i++)
		fputc('x', fp);
	fputs("\n\"q\nq\"\nlast\n", fp);
	fclose(fp);
	xl_csv_open(&r, paths, 1, 1024, XL_CSV_UTF8);
	expect_row(r, 1, "a");
	expect_error(r, -XL_ETOOBIG, 2, "longer than");
	expect_row(r, 3, "q\nq");
	expect_row(r, 5, "last");
	expect_end(r);
	xl_csv_close(r);
}

static void test_empty_and_missing(void **state)
{
	struct fixture *f = *state;
	char *paths[] = { (char *)"/nonexistent/x.csv", f->path[0] };
	struct xl_csv_reader *r;

	PUT(f->path[0], "");
	xl_csv_open(&r, paths, 2, 0, XL_CSV_AUTO);
	expect_error(r, -XL_ENOINPUT, 0, "cannot open");
	expect_end(r);
	xl_csv_close(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_rfc4180, setup, teardown),
		cmocka_unit_test_setup_teardown(test_first_in_file_and_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cp949, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_missing, setup, teardown),
	};

	return cmocka_run_group_tests_name("xl_csv", tests, NULL, NULL);
}
