/* Unit tests for lib/xl_progress.h: the one-line progress display. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_progress.h"

#define SEC INT64_C(1000000)

static struct xl_progress fixed(const char *label, uint64_t total, uint64_t count)
{
	struct xl_progress p;

	xl_progress_init(&p, NULL, label, total);
	p.start_us = p.last_us = 1000 * SEC;
	p.count = count;
	return p;
}

static void expect_line(const struct xl_progress *p, int64_t elapsed_us, const char *want)
{
	char buf[200];
	int n;

	memset(buf, 'X', sizeof(buf));
	n = xl_progress_format(p, p->start_us + elapsed_us, buf, sizeof(buf));
	assert_string_equal(buf, want);
	assert_int_equal(n, (int)strlen(want));
}

static void test_format_count_rate_percent_eta(void **state)
{
	struct xl_progress p = fixed("load", 4000, 1000);

	(void)state;
	expect_line(&p, 10 * SEC, "load: 1000 records, 100/s, 25%, ETA 0:30");
	p = fixed("load", 10000, 100);
	expect_line(&p, 10 * SEC, "load: 100 records, 10/s, 1%, ETA 16:30");
	p = fixed("orders", 300000, 120000);
	expect_line(&p, 4 * SEC, "orders: 120000 records, 30000/s, 40%, ETA 0:06");
	p = fixed("x", 3, 1);
	expect_line(&p, SEC / 2, "x: 1 records, 2/s, 33%, ETA 0:01");
}

static void test_format_done_and_over(void **state)
{
	struct xl_progress p = fixed("load", 500, 500);

	(void)state;
	expect_line(&p, 5 * SEC, "load: 500 records, 100/s, 100%, ETA 0:00");
	p = fixed("load", 500, 700);
	expect_line(&p, 7 * SEC, "load: 700 records, 100/s, 100%, ETA 0:00");
}

static void test_format_unknown_total(void **state)
{
	struct xl_progress p = fixed("scan", 0, 1000);
	char buf[200];

	(void)state;
	expect_line(&p, 10 * SEC, "scan: 1000 records, 100/s");
	xl_progress_format(&p, p.start_us + 10 * SEC, buf, sizeof(buf));
	assert_null(strchr(buf, '%'));
	assert_null(strstr(buf, "ETA"));
}

static void test_format_no_time_elapsed(void **state)
{
	struct xl_progress p = fixed("x", 100, 5);

	(void)state;
	/* No rate yet: no ETA either, but the percentage is known. */
	expect_line(&p, 0, "x: 5 records, 0/s, 5%");
	p = fixed("x", 100, 0);
	expect_line(&p, 3 * SEC, "x: 0 records, 0/s, 0%");
	p = fixed("x", 0, 0);
	expect_line(&p, 0, "x: 0 records, 0/s");
}

static void test_format_small_buffer(void **state)
{
	struct xl_progress p = fixed("a-long-label", 4000, 1000);
	char buf[8];

	(void)state;
	memset(buf, 'X', sizeof(buf));
	assert_true(xl_progress_format(&p, p.start_us + 10 * SEC, buf, sizeof(buf)) > 0);
	assert_int_equal(buf[sizeof(buf) - 1], '\0');
	assert_string_equal(buf, "a-long-");
}

static void test_disabled_is_harmless(void **state)
{
	struct xl_progress p;

	(void)state;
	xl_progress_init(&p, NULL, "quiet", 10);
	assert_null(p.out);
	assert_true(p.count == 0);
	for (int i = 0; i < 1000; i++)
		xl_progress_add(&p, 3);
	assert_true(p.count == 3000);
	assert_int_equal(p.drawn, 0);
	xl_progress_done(&p);
	xl_progress_done(&p);
	assert_true(p.count == 3000);
}

static char *stream_text(FILE *fp, size_t *len)
{
	long n;
	char *s;

	fflush(fp);
	n = ftell(fp);
	assert_true(n >= 0);
	s = calloc(1, (size_t)n + 1);
	assert_non_null(s);
	rewind(fp);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	*len = (size_t)n;
	return s;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0)
		;
}

static void test_draws_to_stream_and_clears(void **state)
{
	FILE *fp = tmpfile();
	struct xl_progress p;
	size_t len, len2;
	char *s;

	(void)state;
	assert_non_null(fp);
	xl_progress_init(&p, fp, "load", 100);
	/* Right after the start: too early to draw. */
	xl_progress_add(&p, 1);
	s = stream_text(fp, &len);
	assert_int_equal(len, 0);
	free(s);

	sleep_ms(250);
	xl_progress_add(&p, 1);
	s = stream_text(fp, &len);
	assert_true(len > 0);
	assert_int_equal(s[0], '\r');
	assert_non_null(strstr(s, "load: 2 records"));
	assert_non_null(strstr(s, "2%"));
	assert_null(strchr(s, '\n'));
	free(s);
	assert_int_equal(p.drawn, 1);

	/* At most 5 redraws a second: an immediate add draws nothing. */
	xl_progress_add(&p, 1);
	s = stream_text(fp, &len2);
	assert_int_equal(len2, len);
	free(s);
	assert_true(p.count == 3);

	xl_progress_done(&p);
	s = stream_text(fp, &len2);
	assert_true(len2 > len);
	/* The clearing sequence starts with a carriage return and ends the output. */
	assert_int_equal(s[len], '\r');
	assert_null(strstr(s + len, "load"));
	assert_null(strchr(s, '\n'));
	free(s);
	assert_int_equal(p.drawn, 0);

	/* Done again: nothing more to clear. */
	xl_progress_done(&p);
	s = stream_text(fp, &len);
	assert_int_equal(len, len2);
	free(s);
	fclose(fp);
}

static void test_done_without_draw_writes_nothing(void **state)
{
	FILE *fp = tmpfile();
	struct xl_progress p;
	size_t len;
	char *s;

	(void)state;
	assert_non_null(fp);
	xl_progress_init(&p, fp, "x", 0);
	xl_progress_add(&p, 5);
	xl_progress_done(&p);
	s = stream_text(fp, &len);
	assert_int_equal(len, 0);
	free(s);
	fclose(fp);
}

static void test_stream_choice(void **state)
{
	(void)state;
	if (!isatty(STDERR_FILENO))
		assert_null(xl_progress_stream());
	else
		skip();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_count_rate_percent_eta),
		cmocka_unit_test(test_format_done_and_over),
		cmocka_unit_test(test_format_unknown_total),
		cmocka_unit_test(test_format_no_time_elapsed),
		cmocka_unit_test(test_format_small_buffer),
		cmocka_unit_test(test_disabled_is_harmless),
		cmocka_unit_test(test_draws_to_stream_and_clears),
		cmocka_unit_test(test_done_without_draw_writes_nothing),
		cmocka_unit_test(test_stream_choice),
	};

	return cmocka_run_group_tests_name("xl_progress", tests, NULL, NULL);
}
