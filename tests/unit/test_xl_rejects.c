/* Unit tests for lib/xl_rejects.h: the NDJSON rejects file and --max-errors. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_rejects.h"
#include "tmpdir.h"

#define FFFD "\xEF\xBF\xBD"
#define PATH_MAX_LEN 256

static int setup(void **state)
{
	return tmpdir_fixture_setup(state, "xl_rejects_test", "rejects.jsonl", NULL);
}

static int teardown(void **state)
{
	return tmpdir_fixture_teardown(state);
}

/* Read the whole file; *nlines gets the number of '\n'. */
static char *slurp(const char *path, size_t *nlines)
{
	FILE *fp = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	*nlines = 0;
	for (long i = 0; i < n; i++)
		if (s[i] == '\n')
			(*nlines)++;
	return s;
}

/* Parse line number idx (0-based) of text as JSON; a new reference. */
static json_t *line_json(const char *text, size_t idx)
{
	const char *p = text, *nl;
	json_error_t jerr;
	json_t *v;

	for (size_t i = 0; i < idx; i++) {
		p = strchr(p, '\n');
		assert_non_null(p);
		p++;
	}
	nl = strchr(p, '\n');
	assert_non_null(nl);
	v = json_loadb(p, (size_t)(nl - p), 0, &jerr);
	if (!v)
		fail_msg("line %zu is not JSON: %s", idx + 1, jerr.text);
	assert_true(json_is_object(v));
	assert_int_equal(json_object_size(v), 4);
	return v;
}

static void check_common(json_t *v, const char *error, const char *source, json_int_t line)
{
	assert_string_equal(json_string_value(json_object_get(v, "error")), error);
	assert_string_equal(json_string_value(json_object_get(v, "source")), source);
	assert_true(json_is_integer(json_object_get(v, "line")));
	assert_true(json_integer_value(json_object_get(v, "line")) == line);
	assert_non_null(json_object_get(v, "record"));
}

static void test_records_written(void **state)
{
	struct fixture *f = *state;
	struct xl_err err = XL_ERR_INIT;
	struct xl_rejects *r = NULL;
	json_t *rec, *v;
	size_t nlines;
	char *text;
	static const char raw[] = "{\"id\": 2, bad \xff\xfe}";

	assert_int_equal(xl_rejects_open(&r, f->path[0], -1, &err), 0);
	assert_non_null(r);
	/* Created at once. */
	assert_int_equal(access(f->path[0], F_OK), 0);

	rec = json_pack("{s:i, s:s}", "id", 1, "name", "\xEA\xB9\x80\xEC\xB9\x98");
	assert_int_equal(xl_rejects_add(r, "in.jsonl", 3, "bad amount", rec, NULL, 0, &err), 0);
	assert_int_equal(xl_rejects_add(r, "in.jsonl", 7, "invalid JSON at column 12", NULL,
					raw, sizeof(raw) - 1, &err), 0);
	assert_int_equal(xl_rejects_add(r, "dir/in 2.jsonl", 12345678901ULL, "line too long",
					NULL, NULL, 0, &err), 0);
	/* record wins over raw when both are given. */
	assert_int_equal(xl_rejects_add(r, "x", 1, "e", rec, "raw", 3, &err), 0);
	assert_true(xl_rejects_count(r) == 4);
	assert_int_equal(xl_rejects_close(r, &err), 0);
	/* The caller's record is not consumed. */
	assert_int_equal(rec->refcount, 1);

	text = slurp(f->path[0], &nlines);
	assert_int_equal(nlines, 4);
	/* Field order as documented, compact, UTF-8 kept. */
	assert_memory_equal(text,
		"{\"error\":\"bad amount\",\"source\":\"in.jsonl:3\",\"line\":3,"
		"\"record\":{\"id\":1,\"name\":\"\xEA\xB9\x80\xEC\xB9\x98\"}}\n",
		strlen("{\"error\":\"bad amount\",\"source\":\"in.jsonl:3\",\"line\":3,"
		       "\"record\":{\"id\":1,\"name\":\"\xEA\xB9\x80\xEC\xB9\x98\"}}\n"));

	v = line_json(text, 0);
	check_common(v, "bad amount", "in.jsonl:3", 3);
	assert_true(json_equal(json_object_get(v, "record"), rec));
	json_decref(v);

	v = line_json(text, 1);
	check_common(v, "invalid JSON at column 12", "in.jsonl:7", 7);
	assert_true(json_is_string(json_object_get(v, "record")));
	assert_string_equal(json_string_value(json_object_get(v, "record")),
			    "{\"id\": 2, bad " FFFD FFFD "}");
	json_decref(v);

	v = line_json(text, 2);
	check_common(v, "line too long", "dir/in 2.jsonl:12345678901", INT64_C(12345678901));
	assert_true(json_is_null(json_object_get(v, "record")));
	json_decref(v);

	v = line_json(text, 3);
	check_common(v, "e", "x:1", 1);
	assert_true(json_equal(json_object_get(v, "record"), rec));
	json_decref(v);

	json_decref(rec);
	free(text);
}

static void test_invalid_utf8_in_error_and_file(void **state)
{
	struct fixture *f = *state;
	struct xl_err err = XL_ERR_INIT;
	struct xl_rejects *r = NULL;
	size_t nlines;
	char *text;
	json_t *v;

	assert_int_equal(xl_rejects_open(&r, f->path[0], -1, &err), 0);
	assert_int_equal(xl_rejects_add(r, "f\xff.jsonl", 2, "bad \xc3 value", NULL, "", 0, &err), 0);
	assert_int_equal(xl_rejects_close(r, &err), 0);
	text = slurp(f->path[0], &nlines);
	assert_int_equal(nlines, 1);
	v = line_json(text, 0);
	check_common(v, "bad " FFFD " value", "f" FFFD ".jsonl:2", 2);
	assert_string_equal(json_string_value(json_object_get(v, "record")), "");
	json_decref(v);
	free(text);
}

static void test_max_errors(void **state)
{
	struct fixture *f = *state;
	struct xl_err err = XL_ERR_INIT;
	struct xl_rejects *r = NULL;
	size_t nlines;
	char *text;

	assert_int_equal(xl_rejects_open(&r, f->path[0], 2, &err), 0);
	assert_int_equal(xl_rejects_add(r, "a", 1, "e1", NULL, NULL, 0, &err), 0);
	assert_int_equal(xl_rejects_add(r, "a", 2, "e2", NULL, NULL, 0, &err), 0);
	assert_int_equal(xl_rejects_add(r, "a", 3, "e3", NULL, NULL, 0, &err), -XL_ETOOBIG);
	assert_int_equal(err.code, XL_ETOOBIG);
	assert_true(err.msg[0] != '\0');
	assert_true(xl_rejects_count(r) == 3);
	assert_int_equal(xl_rejects_close(r, &err), 0);
	/* The third reject is still written. */
	text = slurp(f->path[0], &nlines);
	assert_int_equal(nlines, 3);
	assert_non_null(strstr(text, "\"source\":\"a:3\""));
	free(text);
}

static void test_add_read(void **state)
{
	struct fixture *f = *state;
	struct xl_err err = XL_ERR_INIT;
	struct xl_rejects *r = NULL;
	struct xl_jsonl_reader *in;
	char inpath[PATH_MAX_LEN];
	char *paths[1] = { inpath };
	json_t *rec = NULL, *v;
	size_t nlines;
	char *text;
	FILE *fp;

	snprintf(inpath, sizeof(inpath), "%s/in.jsonl", f->dir);
	fp = fopen(inpath, "w");
	assert_non_null(fp);
	fputs("{\"id\":1}\n\n{\"id\": bad \xff}\r\n", fp);
	fclose(fp);

	assert_int_equal(xl_rejects_open(&r, f->path[0], -1, &err), 0);
	xl_jsonl_open(&in, paths, 1, 0);
	assert_int_equal(xl_jsonl_read(in, &rec, &err), 1);
	/* A parsed record that failed a later check. */
	assert_int_equal(xl_rejects_add_read(r, in, "no name", rec, &err), 0);
	json_decref(rec);
	rec = NULL;
	assert_int_equal(xl_jsonl_read(in, &rec, &err), -XL_EINVAL);
	assert_int_equal(xl_rejects_add_read(r, in, err.msg, NULL, &err), 0);
	xl_jsonl_close(in);
	assert_int_equal(xl_rejects_close(r, &err), 0);

	text = slurp(f->path[0], &nlines);
	assert_int_equal(nlines, 2);
	v = line_json(text, 0);
	assert_string_equal(json_string_value(json_object_get(v, "error")), "no name");
	assert_true(json_integer_value(json_object_get(v, "line")) == 1);
	assert_true(json_integer_value(json_object_get(json_object_get(v, "record"), "id")) == 1);
	assert_non_null(strstr(json_string_value(json_object_get(v, "source")), "/in.jsonl:1"));
	json_decref(v);
	v = line_json(text, 1);
	assert_true(json_integer_value(json_object_get(v, "line")) == 3);
	assert_non_null(strstr(json_string_value(json_object_get(v, "source")), "/in.jsonl:3"));
	assert_string_equal(json_string_value(json_object_get(v, "record")), "{\"id\": bad " FFFD "}");
	json_decref(v);
	free(text);
}

static void test_count_only(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_rejects *r = NULL;

	(void)state;
	assert_int_equal(xl_rejects_open(&r, NULL, 0, &err), 0);
	assert_int_equal(xl_rejects_add(r, "a", 1, "e", NULL, NULL, 0, &err), -XL_ETOOBIG);
	assert_true(xl_rejects_count(r) == 1);
	assert_int_equal(xl_rejects_close(r, &err), 0);

	assert_int_equal(xl_rejects_open(&r, NULL, -1, &err), 0);
	for (int i = 0; i < 1000; i++)
		assert_int_equal(xl_rejects_add(r, "a", (uint64_t)i, "e", NULL, NULL, 0, &err), 0);
	assert_true(xl_rejects_count(r) == 1000);
	assert_int_equal(xl_rejects_close(r, &err), 0);
	assert_int_equal(xl_rejects_close(NULL, &err), 0);
}

static void test_open_truncates(void **state)
{
	struct fixture *f = *state;
	struct xl_err err = XL_ERR_INIT;
	struct xl_rejects *r = NULL;
	FILE *fp = fopen(f->path[0], "w");
	size_t nlines;
	char *text;

	assert_non_null(fp);
	fputs("old line\nold line\n", fp);
	fclose(fp);
	assert_int_equal(xl_rejects_open(&r, f->path[0], 5, &err), 0);
	assert_int_equal(xl_rejects_close(r, &err), 0);
	text = slurp(f->path[0], &nlines);
	assert_string_equal(text, "");
	free(text);
}

static void test_open_missing_dir(void **state)
{
	struct fixture *f = *state;
	struct xl_err err = XL_ERR_INIT;
	struct xl_rejects *r = NULL;
	char path[256];

	snprintf(path, sizeof(path), "%s/no/such/dir/rejects.jsonl", f->dir);
	assert_int_equal(xl_rejects_open(&r, path, -1, &err), -XL_ECANTCREAT);
	assert_int_equal(err.code, XL_ECANTCREAT);
	assert_non_null(strstr(err.msg, "rejects.jsonl"));
	assert_null(r);
}

static void test_write_error(void **state)
{
	struct xl_err err = XL_ERR_INIT;
	struct xl_rejects *r = NULL;

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_int_equal(xl_rejects_open(&r, "/dev/full", -1, &err), 0);
	assert_int_equal(xl_rejects_add(r, "a", 1, "e", NULL, "x", 1, &err), -XL_EIO);
	assert_int_equal(err.code, XL_EIO);
	assert_int_equal(xl_rejects_close(r, &err), -XL_EIO);
}

static void expect_lossy(const char *in, size_t n, const char *want, size_t wantlen)
{
	json_t *v = xl_json_string_lossy(in, n);

	assert_non_null(v);
	assert_true(json_is_string(v));
	assert_int_equal(json_string_length(v), wantlen);
	assert_memory_equal(json_string_value(v), want, wantlen);
	json_decref(v);
}

static void test_string_lossy(void **state)
{
	json_t *v;
	const char *s;

	(void)state;
	expect_lossy("hello", 5, "hello", 5);
	expect_lossy("hello", 2, "he", 2);
	expect_lossy("", 0, "", 0);
	expect_lossy("\xEA\xB9\x80\xEC\xB9\x98", 6, "\xEA\xB9\x80\xEC\xB9\x98", 6);
	expect_lossy("\xF0\x9F\x98\x80!", 5, "\xF0\x9F\x98\x80!", 5);
	expect_lossy("a\xff" "b", 3, "a" FFFD "b", 5);
	expect_lossy("\x80", 1, FFFD, 3);
	expect_lossy("a\0b", 3, "a\0b", 3);
	/* Overlong "/" is two bad bytes. */
	expect_lossy("\xC0\xAF", 2, FFFD FFFD, 6);
	/* Cutting a valid character in half makes it invalid. */
	v = xl_json_string_lossy("\xEA\xB9\x80", 2);
	s = json_string_value(v);
	assert_non_null(strstr(s, FFFD));
	assert_null(strchr(s, '\xEA'));
	json_decref(v);

	/* Surrogates and code points past U+10FFFF are not UTF-8. */
	v = xl_json_string_lossy("x\xED\xA0\x80y", 5);
	s = json_string_value(v);
	assert_int_equal(s[0], 'x');
	assert_int_equal(s[json_string_length(v) - 1], 'y');
	assert_null(strchr(s, '\xED'));
	assert_non_null(strstr(s, FFFD));
	json_decref(v);
	v = xl_json_string_lossy("\xF4\x90\x80\x80", 4);
	assert_null(strchr(json_string_value(v), '\xF4'));
	assert_non_null(strstr(json_string_value(v), FFFD));
	json_decref(v);
	/* U+10FFFF itself is fine. */
	expect_lossy("\xF4\x8F\xBF\xBF", 4, "\xF4\x8F\xBF\xBF", 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_records_written, setup, teardown),
		cmocka_unit_test_setup_teardown(test_invalid_utf8_in_error_and_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_read, setup, teardown),
		cmocka_unit_test(test_count_only),
		cmocka_unit_test_setup_teardown(test_open_truncates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_open_missing_dir, setup, teardown),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_string_lossy),
	};

	return cmocka_run_group_tests_name("xl_rejects", tests, NULL, NULL);
}
