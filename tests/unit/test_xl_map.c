#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xl_map.h"
#include "tmpdir.h"

static int setup(void **state)
{
	return tmpdir_fixture_setup(state, "xl_map_test", "in.jsonl", "out.jsonl");
}

static int teardown(void **state)
{
	return tmpdir_fixture_teardown(state);
}

/* n records {"i":k}; every bad_every-th line (if > 0) is not JSON. */
static void write_input(const char *path, int n, int bad_every)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	for (int k = 1; k <= n; k++) {
		if (bad_every && k % bad_every == 0)
			fprintf(fp, "not json %d\n", k);
		else
			fprintf(fp, "{\"i\":%d}\n", k);
	}
	fclose(fp);
}

static char *slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "r");
	char *buf;
	long n;

	assert_non_null(fp);
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_int_equal(fread(buf, 1, (size_t)n, fp), (size_t)n);
	buf[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return buf;
}

struct seen {
	int count;
	uint64_t lines[64];
	int codes[64];
	int stop_after;     /* stop the run at this problem (0 = never) */
};

static int on_problem(int code, const char *file, uint64_t line, const char *msg,
		      const char *raw, size_t rawlen, void *arg)
{
	struct seen *s = arg;

	(void)file;
	(void)raw;
	(void)rawlen;
	assert_non_null(msg);
	if (s->count < 64) {
		s->lines[s->count] = line;
		s->codes[s->count] = code;
	}
	s->count++;
	return s->stop_after && s->count >= s->stop_after ? -1 : 0;
}

/* Keep even i, drop multiples of 3, reject multiples of 7, double the rest. */
static int filter(json_t *rec, void *arg, struct xl_err *err)
{
	json_int_t i = json_integer_value(json_object_get(rec, "i"));

	(void)arg;
	if (i % 7 == 0)
		return xl_err_set(err, XL_EINVAL, "i %lld is a multiple of 7", (long long)i);
	if (i % 3 == 0)
		return XL_MAP_DROP;
	json_object_set_new(rec, "twice", json_integer(i * 2));
	return XL_MAP_KEEP;
}

static char *run(struct fixture *f, const struct xl_map *m, struct xl_map_stats *st, int *ret)
{
	char *paths[] = { f->path[0] };
	struct xl_jsonl_reader *in = NULL;
	struct xl_jsonl_writer w;
	struct xl_err err = XL_ERR_INIT;
	size_t len;

	xl_jsonl_open(&in, paths, 1, 0);
	xl_jsonl_writer_init(&w, fopen(f->path[1], "w"), f->path[1]);
	*ret = xl_map_run(m, in, &w, st, &err);
	assert_int_equal(xl_jsonl_writer_close(&w, &err), 0);
	xl_jsonl_close(in);
	return slurp(f->path[1], &len);
}

static void test_order_and_filter(void **state)
{
	struct fixture *f = *state;
	struct xl_map_stats st;
	struct seen s = { 0 };
	struct xl_map m = { .fn = filter, .problem = on_problem, .problem_arg = &s, .threads = 4 };
	char *got, *p;
	int ret, k, expect_written = 0;

	/* Enough lines for many batches, so the workers really overlap. */
	write_input(f->path[0], 20000, 0);
	got = run(f, &m, &st, &ret);
	assert_int_equal(ret, 0);
	p = got;
	for (k = 1; k <= 20000; k++) {
		char want[64];
		int n;

		if (k % 7 == 0 || k % 3 == 0)
			continue;
		n = snprintf(want, sizeof(want), "{\"i\":%d,\"twice\":%d}\n", k, 2 * k);
		assert_memory_equal(p, want, (size_t)n);
		p += n;
		expect_written++;
	}
	assert_int_equal(*p, '\0');
	assert_int_equal(st.read, 20000);
	assert_int_equal(st.written, expect_written);
	assert_int_equal(st.problems, 20000 / 7);
	assert_int_equal(st.dropped, 20000 / 3 - 20000 / 21);
	/* Problems come in input order with their line numbers. */
	assert_int_equal(s.lines[0], 7);
	assert_int_equal(s.lines[1], 14);
	assert_int_equal(s.codes[0], -XL_EINVAL);
	free(got);
}

static void test_threads_agree(void **state)
{
	struct fixture *f = *state;
	struct xl_map one = { .threads = 1 }, many = { .threads = 8 };
	char *a, *b;
	int ret;

	write_input(f->path[0], 5000, 0);
	a = run(f, &one, NULL, &ret);
	assert_int_equal(ret, 0);
	b = run(f, &many, NULL, &ret);
	assert_int_equal(ret, 0);
	assert_string_equal(a, b);
	free(a);
	free(b);
}

static void test_stop_writes_what_came_before(void **state)
{
	struct fixture *f = *state;
	struct seen s = { .stop_after = 2 };
	struct xl_map m = { .problem = on_problem, .problem_arg = &s, .threads = 2 };
	struct xl_map_stats st;
	char *got, want[4096] = "";
	int ret;

	write_input(f->path[0], 1000, 10);
	got = run(f, &m, &st, &ret);
	assert_int_equal(ret, -1);
	assert_int_equal(s.count, 2);
	assert_int_equal(s.lines[0], 10);
	assert_int_equal(s.lines[1], 20);
	/* Exactly the good records before line 20: 1..9 and 11..19. */
	for (int k = 1; k < 20; k++)
		if (k != 10)
			snprintf(want + strlen(want), sizeof(want) - strlen(want), "{\"i\":%d}\n", k);
	assert_string_equal(got, want);
	/* The counts stop where the run stopped. */
	assert_int_equal(st.written, 18);
	assert_int_equal(st.read, 18);
	assert_int_equal(st.problems, 2);
	free(got);
}

static void test_missing_file_and_empty_input(void **state)
{
	struct fixture *f = *state;
	char *paths[] = { (char *)"/nonexistent/x.jsonl", f->path[0] };
	struct seen s = { 0 };
	struct xl_map m = { .problem = on_problem, .problem_arg = &s };
	struct xl_jsonl_reader *in = NULL;
	struct xl_jsonl_writer w;
	struct xl_err err = XL_ERR_INIT;
	struct xl_map_stats st;
	FILE *fp = fopen(f->path[0], "w");

	fclose(fp);
	xl_jsonl_open(&in, paths, 2, 0);
	xl_jsonl_writer_init(&w, fopen(f->path[1], "w"), f->path[1]);
	assert_int_equal(xl_map_run(&m, in, &w, &st, &err), 0);
	assert_int_equal(xl_jsonl_writer_close(&w, &err), 0);
	xl_jsonl_close(in);
	assert_int_equal(s.count, 1);
	assert_int_equal(s.codes[0], -XL_ENOINPUT);
	assert_int_equal(st.read, 0);
	assert_int_equal(st.written, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_order_and_filter, setup, teardown),
		cmocka_unit_test_setup_teardown(test_threads_agree, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_writes_what_came_before, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_file_and_empty_input, setup, teardown),
	};

	return cmocka_run_group_tests_name("xl_map", tests, NULL, NULL);
}
