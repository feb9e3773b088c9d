/* Unit tests for lib/xl_jsonl.h: the NDJSON reader, dump and writer. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_jsonl.h"
#include "tmpdir.h"

#define BOM "\xEF\xBB\xBF"
#define KIMCHI "\xEA\xB9\x80\xEC\xB9\x98"

static int setup(void **state)
{
	return tmpdir_fixture_setup(state, "xl_jsonl_test", NULL, NULL);
}

static int teardown(void **state)
{
	return tmpdir_fixture_teardown(state);
}

/* Write len bytes to dir/name; the path goes to out (PATH_SZ bytes). */
#define PATH_SZ 256
static void put(const struct fixture *f, const char *name, const void *data, size_t len, char *out)
{
	FILE *fp;

	snprintf(out, PATH_SZ, "%s/%s", f->dir, name);
	fp = fopen(out, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(data, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
}

static void puts_file(const struct fixture *f, const char *name, const char *text, char *out)
{
	put(f, name, text, strlen(text), out);
}

/* Read one record and check it is an object with "k" == v, at line. */
static void expect_rec(struct xl_jsonl_reader *r, const char *k, json_int_t v, uint64_t line)
{
	struct xl_err err = XL_ERR_INIT;
	json_t *rec = NULL;
	int ret = xl_jsonl_read(r, &rec, &err);

	if (ret != 1)
		fail_msg("want record %s=%lld at line %llu, got %d (%s) at %s:%llu", k, (long long)v,
			 (unsigned long long)line, ret, err.msg, xl_jsonl_file(r),
			 (unsigned long long)xl_jsonl_line(r));
	assert_non_null(rec);
	assert_true(json_is_object(rec));
	assert_true(json_is_integer(json_object_get(rec, k)));
	assert_true(json_integer_value(json_object_get(rec, k)) == v);
	assert_true(xl_jsonl_line(r) == line);
	json_decref(rec);
}

/* Read and expect error code at line; returns nothing, checks msg not empty. */
static void expect_err(struct xl_jsonl_reader *r, int code, uint64_t line, const char *msgpart)
{
	struct xl_err err = XL_ERR_INIT;
	json_t *rec = NULL;
	int ret = xl_jsonl_read(r, &rec, &err);

	if (ret != -code)
		fail_msg("want %d at line %llu, got %d (%s) at line %llu", -code,
			 (unsigned long long)line, ret, err.msg, (unsigned long long)xl_jsonl_line(r));
	assert_null(rec);
	assert_int_equal(err.code, code);
	assert_true(err.msg[0] != '\0');
	if (msgpart && !strstr(err.msg, msgpart))
		fail_msg("message '%s' lacks '%s'", err.msg, msgpart);
	assert_true(xl_jsonl_line(r) == line);
}

static void expect_eof(struct xl_jsonl_reader *r)
{
	struct xl_err err = XL_ERR_INIT;
	json_t *rec = NULL;

	assert_int_equal(xl_jsonl_read(r, &rec, &err), 0);
	assert_null(rec);
	/* And it stays at the end. */
	assert_int_equal(xl_jsonl_read(r, &rec, &err), 0);
}

static void expect_raw(const struct xl_jsonl_reader *r, const char *want)
{
	size_t len = 0;
	const char *raw = xl_jsonl_raw(r, &len);

	assert_non_null(raw);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(raw, want, len);
}

static void test_bom_crlf_blank_lines(void **state)
{
	struct fixture *f = *state;
	char path[PATH_SZ];
	char *paths[1] = { path };
	struct xl_jsonl_reader *r;

	puts_file(f, "a.jsonl",
		  BOM "{\"a\":1}\r\n"      /* 1 */
		  "\r\n"                   /* 2 */
		  "   \n"                  /* 3 */
		  "\t \t\r\n"              /* 4 */
		  "{\"a\":2}\n"            /* 5 */
		  "\n"                     /* 6 */
		  "  {\"a\":3} \r\n"       /* 7 */
		  "{\"a\":4}", path);      /* 8, no newline */
	xl_jsonl_open(&r, paths, 1, 0);
	assert_true(xl_jsonl_line(r) == 0);
	expect_rec(r, "a", 1, 1);
	expect_raw(r, "{\"a\":1}");
	assert_string_equal(xl_jsonl_file(r), path);
	expect_rec(r, "a", 2, 5);
	expect_raw(r, "{\"a\":2}");
	expect_rec(r, "a", 3, 7);
	expect_raw(r, "  {\"a\":3} ");
	expect_rec(r, "a", 4, 8);
	expect_raw(r, "{\"a\":4}");
	expect_eof(r);
	xl_jsonl_close(r);
}

static void test_empty_and_bom_only_files(void **state)
{
	struct fixture *f = *state;
	char p1[PATH_SZ], p2[PATH_SZ], p3[PATH_SZ];
	char *paths[3] = { p1, p2, p3 };
	struct xl_jsonl_reader *r;

	put(f, "empty.jsonl", "", 0, p1);
	puts_file(f, "bom.jsonl", BOM, p2);
	puts_file(f, "blank.jsonl", "\n\n \r\n", p3);
	xl_jsonl_open(&r, paths, 3, 0);
	expect_eof(r);
	xl_jsonl_close(r);
	xl_jsonl_close(NULL);
}

static void test_bom_only_at_start(void **state)
{
	struct fixture *f = *state;
	char path[PATH_SZ];
	char *paths[1] = { path };
	struct xl_jsonl_reader *r;

	/* A BOM on a later line is not a BOM but garbage. */
	puts_file(f, "a.jsonl", "{\"a\":1}\n" BOM "{\"a\":2}\n{\"a\":3}\n", path);
	xl_jsonl_open(&r, paths, 1, 0);
	expect_rec(r, "a", 1, 1);
	expect_err(r, XL_EINVAL, 2, NULL);
	expect_rec(r, "a", 3, 3);
	expect_eof(r);
	xl_jsonl_close(r);
}

static void test_too_long_line_skipped(void **state)
{
	struct fixture *f = *state;
	char path[PATH_SZ];
	char *paths[1] = { path };
	struct xl_jsonl_reader *r;
	char *data = malloc(2000);
	size_t n = 0;

	assert_non_null(data);
	n += (size_t)snprintf(data + n, 2000 - n, "{\"a\":1}\n");
	n += (size_t)snprintf(data + n, 2000 - n, "{\"x\":\"");
	memset(data + n, 'y', 1000 - 8);
	n += 1000 - 8;
	n += (size_t)snprintf(data + n, 2000 - n, "\"}\n{\"a\":3}\n");
	/* Exactly 64 bytes: at the limit, accepted. */
	n += (size_t)snprintf(data + n, 2000 - n, "{\"a\":5,\"p\":\"%0*d\"}\n", 64 - 16, 0);
	/* Too long again, and the last line, without a newline. */
	memset(data + n, ' ', 100);
	n += 100;
	put(f, "long.jsonl", data, n, path);
	free(data);

	xl_jsonl_open(&r, paths, 1, 64);
	expect_rec(r, "a", 1, 1);
	expect_err(r, XL_ETOOBIG, 2, NULL);
	assert_null(xl_jsonl_raw(r, NULL));
	expect_rec(r, "a", 3, 3);
	expect_rec(r, "a", 5, 4);
	expect_err(r, XL_ETOOBIG, 5, NULL);
	assert_null(xl_jsonl_raw(r, NULL));
	expect_eof(r);
	xl_jsonl_close(r);
}

static void test_too_long_line_across_chunks(void **state)
{
	struct fixture *f = *state;
	char path[PATH_SZ];
	char *paths[1] = { path };
	struct xl_jsonl_reader *r;
	size_t big = 700000, n = 0;
	char *data = malloc(big + 100);

	assert_non_null(data);
	n += (size_t)snprintf(data, 100, "{\"a\":1}\n");
	memset(data + n, 'z', big);
	n += big;
	memcpy(data + n, "\n{\"a\":3}\n", 9);
	n += 9;
	put(f, "huge.jsonl", data, n, path);
	free(data);

	xl_jsonl_open(&r, paths, 1, 1000);
	expect_rec(r, "a", 1, 1);
	expect_err(r, XL_ETOOBIG, 2, NULL);
	expect_rec(r, "a", 3, 3);
	expect_eof(r);
	xl_jsonl_close(r);
}

static void test_malformed_json(void **state)
{
	struct fixture *f = *state;
	char path[PATH_SZ];
	char *paths[1] = { path };
	struct xl_jsonl_reader *r;

	puts_file(f, "bad.jsonl",
		  "{\"a\":}\n"                  /* 1 malformed */
		  "{\"a\":\"\xff\"}\n"          /* 2 invalid UTF-8 */
		  "[1,2]\n"                     /* 3 array */
		  "{\"a\":1} x\n"               /* 4 trailing garbage */
		  "{\"a\":1}{\"a\":2}\n"        /* 5 two objects */
		  "\"str\"\n"                   /* 6 not an object */
		  "42\n"                        /* 7 */
		  "{\"a\":7}\n"                 /* 8 good */
		  "{\"a\":1,}\n"                /* 9 */
		  "{\"a\" 1}\n"                 /* 10 */
		  "{\"a\":9}\n", path);         /* 11 */
	xl_jsonl_open(&r, paths, 1, 0);
	expect_err(r, XL_EINVAL, 1, "column");
	expect_raw(r, "{\"a\":}");
	expect_err(r, XL_EINVAL, 2, NULL);
	expect_err(r, XL_EINVAL, 3, "array");
	expect_raw(r, "[1,2]");
	expect_err(r, XL_EINVAL, 4, NULL);
	expect_raw(r, "{\"a\":1} x");
	expect_err(r, XL_EINVAL, 5, NULL);
	expect_err(r, XL_EINVAL, 6, NULL);
	expect_err(r, XL_EINVAL, 7, NULL);
	expect_rec(r, "a", 7, 8);
	expect_err(r, XL_EINVAL, 9, "column");
	expect_err(r, XL_EINVAL, 10, "column");
	expect_rec(r, "a", 9, 11);
	expect_eof(r);
	xl_jsonl_close(r);
}

static void test_two_files_and_missing(void **state)
{
	struct fixture *f = *state;
	char p1[PATH_SZ], p2[PATH_SZ], p3[PATH_SZ];
	char *paths[3] = { p1, p2, p3 };
	struct xl_err err = XL_ERR_INIT;
	struct xl_jsonl_reader *r;
	json_t *rec = NULL;

	puts_file(f, "one.jsonl", "{\"a\":1}\n\n{\"a\":2}\n", p1);
	snprintf(p2, sizeof(p2), "%s/missing.jsonl", f->dir);
	puts_file(f, "two.jsonl", BOM "\r\n{\"b\":1}\r\n{\"b\":2}", p3);
	xl_jsonl_open(&r, paths, 3, 0);
	expect_rec(r, "a", 1, 1);
	assert_string_equal(xl_jsonl_file(r), p1);
	expect_rec(r, "a", 2, 3);
	assert_string_equal(xl_jsonl_file(r), p1);

	assert_int_equal(xl_jsonl_read(r, &rec, &err), -XL_ENOINPUT);
	assert_null(rec);
	assert_int_equal(err.code, XL_ENOINPUT);
	assert_non_null(strstr(err.msg, "missing.jsonl"));
	assert_string_equal(xl_jsonl_file(r), p2);
	assert_null(xl_jsonl_raw(r, NULL));

	expect_rec(r, "b", 1, 2);
	assert_string_equal(xl_jsonl_file(r), p3);
	expect_raw(r, "{\"b\":1}");
	expect_rec(r, "b", 2, 3);
	assert_string_equal(xl_jsonl_file(r), p3);
	expect_eof(r);
	xl_jsonl_close(r);
}

static void test_missing_last_file(void **state)
{
	struct fixture *f = *state;
	char p1[PATH_SZ], p2[PATH_SZ];
	char *paths[2] = { p1, p2 };
	struct xl_jsonl_reader *r;

	puts_file(f, "one.jsonl", "{\"a\":1}", p1);
	snprintf(p2, sizeof(p2), "%s/missing.jsonl", f->dir);
	xl_jsonl_open(&r, paths, 2, 0);
	expect_rec(r, "a", 1, 1);
	expect_err(r, XL_ENOINPUT, 0, "missing.jsonl");
	expect_eof(r);
	xl_jsonl_close(r);
}

static void test_directory_is_read_error(void **state)
{
	struct fixture *f = *state;
	char p1[PATH_SZ], p2[PATH_SZ];
	char *paths[2] = { p1, p2 };
	struct xl_jsonl_reader *r;
	struct xl_err err = XL_ERR_INIT;
	json_t *rec = NULL;
	int ret;

	snprintf(p1, sizeof(p1), "%s/subdir", f->dir);
	assert_int_equal(mkdir(p1, 0700), 0);
	puts_file(f, "one.jsonl", "{\"a\":1}\n", p2);
	xl_jsonl_open(&r, paths, 2, 0);
	ret = xl_jsonl_read(r, &rec, &err);
	assert_null(rec);
	/* A directory opens but cannot be read (or cannot be opened): either way, go on. */
	assert_true(ret == -XL_EIO || ret == -XL_ENOINPUT);
	assert_true(err.msg[0] != '\0');
	expect_rec(r, "a", 1, 1);
	assert_string_equal(xl_jsonl_file(r), p2);
	expect_eof(r);
	xl_jsonl_close(r);
}

static void test_line_across_chunk_boundary(void **state)
{
	struct fixture *f = *state;
	char path[PATH_SZ];
	char *paths[1] = { path };
	struct xl_err err = XL_ERR_INIT;
	struct xl_jsonl_reader *r;
	size_t big = 300000, n = 0, cap = big + 200;
	char *data = malloc(cap);
	json_t *rec = NULL;
	const char *s;
	size_t rawlen = 0;

	assert_non_null(data);
	n += (size_t)snprintf(data, cap, "{\"a\":1}\n{\"big\":\"");
	for (size_t i = 0; i < big; i++)
		data[n + i] = (char)('a' + i % 26);
	n += big;
	n += (size_t)snprintf(data + n, cap - n, "\",\"n\":2}\r\n{\"a\":3}\n");
	put(f, "big.jsonl", data, n, path);

	xl_jsonl_open(&r, paths, 1, 0);
	expect_rec(r, "a", 1, 1);
	assert_int_equal(xl_jsonl_read(r, &rec, &err), 1);
	assert_true(xl_jsonl_line(r) == 2);
	s = json_string_value(json_object_get(rec, "big"));
	assert_non_null(s);
	assert_int_equal(strlen(s), big);
	for (size_t i = 0; i < big; i += 4099)
		assert_int_equal(s[i], 'a' + i % 26);
	assert_int_equal(s[big - 1], 'a' + (big - 1) % 26);
	assert_true(json_integer_value(json_object_get(rec, "n")) == 2);
	json_decref(rec);
	/* raw is the whole line, without the CR. */
	s = xl_jsonl_raw(r, &rawlen);
	assert_int_equal(rawlen, big + 16);
	assert_memory_equal(s, data + 8, rawlen);
	expect_rec(r, "a", 3, 3);
	expect_eof(r);
	xl_jsonl_close(r);
	free(data);
}

static void test_many_lines_across_chunks(void **state)
{
	struct fixture *f = *state;
	char path[PATH_SZ];
	char *paths[1] = { path };
	struct xl_jsonl_reader *r;
	const int count = 60000;
	size_t cap = (size_t)count * 24, n = 0;
	char *data = malloc(cap);

	assert_non_null(data);
	for (int i = 0; i < count; i++)
		n += (size_t)snprintf(data + n, cap - n, i % 3 ? "{\"i\":%d}\n" : "{\"i\":%d}\r\n", i);
	put(f, "many.jsonl", data, n, path);
	free(data);
	assert_true(n > 2 * (256 << 10));

	xl_jsonl_open(&r, paths, 1, 0);
	for (int i = 0; i < count; i++)
		expect_rec(r, "i", i, (uint64_t)i + 1);
	expect_eof(r);
	xl_jsonl_close(r);
}

/* Put back the stdin saved by dup() (or leave it closed if it was). */
static void restore_stdin(int saved)
{
	if (saved >= 0) {
		dup2(saved, STDIN_FILENO);
		close(saved);
	} else {
		close(STDIN_FILENO);
	}
}

static void test_stdin(void **state)
{
	struct fixture *f = *state;
	char path[PATH_SZ];
	struct xl_jsonl_reader *r;
	int saved, fd;

	puts_file(f, "in.jsonl", "{\"s\":1}\n\n{\"s\":2}\n", path);
	saved = dup(STDIN_FILENO); /* -1 if stdin is closed: then close it again after */
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(dup2(fd, STDIN_FILENO), STDIN_FILENO);
	close(fd);

	xl_jsonl_open(&r, NULL, 0, 0);
	expect_rec(r, "s", 1, 1);
	assert_string_equal(xl_jsonl_file(r), "<stdin>");
	expect_rec(r, "s", 2, 3);
	expect_eof(r);
	xl_jsonl_close(r);

	restore_stdin(saved);
}

/*
 * With stdin closed (cron, daemons), the first file opened gets descriptor
 * 0. The reader must still close it at the end of the file.
 */
static void test_file_on_fd0_is_closed(void **state)
{
	struct fixture *f = *state;
	char p1[PATH_SZ], p2[PATH_SZ];
	char *paths[2] = { p1, p2 };
	struct xl_jsonl_reader *r;
	int saved, fd0_open_after_close;

	puts_file(f, "one.jsonl", "{\"a\":1}\n", p1);
	puts_file(f, "two.jsonl", "{\"a\":2}\n", p2);
	saved = dup(STDIN_FILENO);
	close(STDIN_FILENO);

	xl_jsonl_open(&r, paths, 2, 0);
	expect_rec(r, "a", 1, 1);
	/* one.jsonl is closed at its end, so two.jsonl reuses descriptor 0. */
	expect_rec(r, "a", 2, 1);
	expect_eof(r);
	xl_jsonl_close(r);
	fd0_open_after_close = fcntl(STDIN_FILENO, F_GETFD) != -1;

	restore_stdin(saved);
	if (fd0_open_after_close)
		fail_msg("descriptor 0 left open after xl_jsonl_close");
}

static void expect_dump(const json_t *v, const char *want)
{
	struct xl_buf b = XL_BUF_INIT;

	assert_int_equal(xl_jsonl_dump(&b, v), 0);
	assert_string_equal(b.buf, want);
	assert_int_equal(b.len, strlen(want));
	xl_buf_release(&b);
}

static void test_dump_key_order_and_reals(void **state)
{
	json_t *o = json_object();

	(void)state;
	json_object_set_new(o, "z", json_integer(1));
	json_object_set_new(o, "a", json_real(0.1));
	json_object_set_new(o, "m", json_real(1.0));
	json_object_set_new(o, "b", json_real(1e300));
	json_object_set_new(o, "c", json_real(0.1 + 0.2));
	json_object_set_new(o, "d", json_real(-2.5));
	expect_dump(o, "{\"z\":1,\"a\":0.1,\"m\":1.0,\"b\":1e+300,\"c\":0.30000000000000004,\"d\":-2.5}");
	/* Replacing a value keeps the key's place. */
	json_object_set_new(o, "z", json_string("x"));
	expect_dump(o, "{\"z\":\"x\",\"a\":0.1,\"m\":1.0,\"b\":1e+300,\"c\":0.30000000000000004,\"d\":-2.5}");
	json_decref(o);
}

static void test_dump_escapes_and_utf8(void **state)
{
	json_t *v;

	(void)state;
	v = json_string("q\"b\\s/\n\x01\t\r\b\f\x1f\x7f");
	expect_dump(v, "\"q\\\"b\\\\s/\\n\\u0001\\t\\r\\b\\f\\u001f\x7f\"");
	json_decref(v);
	v = json_string(KIMCHI);
	expect_dump(v, "\"" KIMCHI "\"");
	json_decref(v);
	v = json_stringn("a\0b", 3);
	expect_dump(v, "\"a\\u0000b\"");
	json_decref(v);
	v = json_pack("{s:s}", "k\"" KIMCHI "\n", "v");
	expect_dump(v, "{\"k\\\"" KIMCHI "\\n\":\"v\"}");
	json_decref(v);
	v = json_string("");
	expect_dump(v, "\"\"");
	json_decref(v);
}

static void test_dump_nested_and_scalars(void **state)
{
	json_t *v;

	(void)state;
	v = json_pack("{s:[i,[i,{}],{s:n}],s:b,s:b,s:[],s:{s:{s:[s]}}}",
		      "a", 1, 2, "b", "t", 1, "f", 0, "e", "o", "p", "q", "deep");
	assert_non_null(v);
	expect_dump(v, "{\"a\":[1,[2,{}],{\"b\":null}],\"t\":true,\"f\":false,\"e\":[],"
		       "\"o\":{\"p\":{\"q\":[\"deep\"]}}}");
	json_decref(v);
	v = json_pack("[I,I,i,i]", (json_int_t)INT64_MIN, (json_int_t)INT64_MAX, 0, -1);
	expect_dump(v, "[-9223372036854775808,9223372036854775807,0,-1]");
	json_decref(v);
	expect_dump(json_null(), "null");
	expect_dump(json_true(), "true");
}

static void test_dump_appends_and_round_trips(void **state)
{
	struct xl_buf b = XL_BUF_INIT;
	json_error_t jerr;
	json_t *v = json_pack("{s:s,s:f,s:[i,s],s:I}", "name", KIMCHI "\x01\"", "price", 12.5,
			      "l", 1, "x\\y", "big", (json_int_t)INT64_MIN);
	json_t *back;

	(void)state;
	xl_buf_adds(&b, "prefix ");
	assert_int_equal(xl_jsonl_dump(&b, v), 0);
	assert_memory_equal(b.buf, "prefix {", 8);
	back = json_loads(b.buf + 7, 0, &jerr);
	assert_non_null(back);
	assert_true(json_equal(back, v));
	json_decref(back);
	json_decref(v);
	xl_buf_release(&b);
}

static void test_dump_cap(void **state)
{
	struct xl_buf b;
	json_t *v = json_pack("{s:s}", "abc", "defghij");

	(void)state;
	xl_buf_init(&b, 8);
	assert_int_equal(xl_jsonl_dump(&b, v), -XL_ETOOBIG);
	assert_true(b.len <= 8);
	xl_buf_release(&b);
	json_decref(v);
}

/* Only the cap matters: output that fits under it must be written. */
static void test_dump_fits_under_cap(void **state)
{
	json_t *v = json_pack("{s:s}", "abc", "defghijklmnopqrstuvw");
	const char *want = "{\"abc\":\"defghijklmnopqrstuvw\"}";
	/* 30 bytes of output under a 40-byte cap, and exactly at the cap. */
	const size_t caps[2] = { 40, strlen(want) };
	int ret[2], same[2];

	(void)state;
	for (int i = 0; i < 2; i++) {
		struct xl_buf b;

		xl_buf_init(&b, caps[i]);
		ret[i] = xl_jsonl_dump(&b, v);
		same[i] = !strcmp(b.buf, want);
		xl_buf_release(&b);
	}
	json_decref(v);
	for (int i = 0; i < 2; i++)
		if (ret[i] != 0 || !same[i])
			fail_msg("cap %zu for %zu bytes of output: dump returned %d", caps[i],
				 strlen(want), ret[i]);
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	rewind(fp);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	fclose(fp);
	return s;
}

static void test_writer(void **state)
{
	struct fixture *f = *state;
	struct xl_jsonl_writer w;
	struct xl_err err = XL_ERR_INIT;
	char path[PATH_SZ];
	FILE *fp;
	json_t *a = json_pack("{s:i,s:s}", "id", 1, "name", KIMCHI);
	json_t *b = json_pack("{s:f}", "x", 0.1);
	char *text;

	snprintf(path, sizeof(path), "%s/out.jsonl", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	xl_jsonl_writer_init(&w, fp, path);
	assert_int_equal(xl_jsonl_write(&w, a, &err), 0);
	assert_int_equal(xl_jsonl_write(&w, b, &err), 0);
	assert_int_equal(xl_jsonl_writer_close(&w, &err), 0);
	text = slurp(path);
	assert_string_equal(text, "{\"id\":1,\"name\":\"" KIMCHI "\"}\n{\"x\":0.1}\n");
	free(text);
	json_decref(a);
	json_decref(b);
}

static void test_writer_read_back(void **state)
{
	struct fixture *f = *state;
	struct xl_jsonl_writer w;
	struct xl_err err = XL_ERR_INIT;
	char path[PATH_SZ];
	char *paths[1] = { path };
	struct xl_jsonl_reader *r;
	FILE *fp;

	snprintf(path, sizeof(path), "%s/rt.jsonl", f->dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	xl_jsonl_writer_init(&w, fp, path);
	for (int i = 0; i < 1000; i++) {
		json_t *v = json_pack("{s:i,s:s}", "i", i, "s", "line\nbreak");

		assert_int_equal(xl_jsonl_write(&w, v, &err), 0);
		json_decref(v);
	}
	assert_int_equal(xl_jsonl_writer_close(&w, &err), 0);
	xl_jsonl_open(&r, paths, 1, 0);
	for (int i = 0; i < 1000; i++)
		expect_rec(r, "i", i, (uint64_t)i + 1);
	expect_eof(r);
	xl_jsonl_close(r);
}

static void test_writer_full_disk(void **state)
{
	struct xl_jsonl_writer w;
	struct xl_err err = XL_ERR_INIT;
	json_t *a = json_pack("{s:i}", "id", 1);
	FILE *fp;
	int ret;

	(void)state;
	fp = fopen("/dev/full", "w");
	if (!fp) {
		json_decref(a);
		skip();
	}
	xl_jsonl_writer_init(&w, fp, "/dev/full");
	ret = xl_jsonl_write(&w, a, &err);
	/* Buffered: the write itself may or may not notice; close must. */
	assert_true(ret == 0 || ret == -XL_EIO);
	assert_int_equal(xl_jsonl_writer_close(&w, &err), -XL_EIO);
	assert_int_equal(err.code, XL_EIO);
	assert_non_null(strstr(err.msg, "/dev/full"));
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_bom_crlf_blank_lines, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_and_bom_only_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bom_only_at_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long_line_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_too_long_line_across_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_two_files_and_missing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_last_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_directory_is_read_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_line_across_chunk_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_many_lines_across_chunks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stdin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_file_on_fd0_is_closed, setup, teardown),
		cmocka_unit_test(test_dump_key_order_and_reals),
		cmocka_unit_test(test_dump_escapes_and_utf8),
		cmocka_unit_test(test_dump_nested_and_scalars),
		cmocka_unit_test(test_dump_appends_and_round_trips),
		cmocka_unit_test(test_dump_cap),
		cmocka_unit_test(test_dump_fits_under_cap),
		cmocka_unit_test_setup_teardown(test_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_writer_read_back, setup, teardown),
		cmocka_unit_test(test_writer_full_disk),
	};

	return cmocka_run_group_tests_name("xl_jsonl", tests, NULL, NULL);
}
