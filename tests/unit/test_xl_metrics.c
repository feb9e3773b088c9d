/* Unit tests for lib/xl_metrics.h: node_exporter textfile output. */
#include <dirent.h>
#include <math.h>
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

#include "xl_metrics.h"
#include "tmpdir.h"

static int setup(void **state)
{
	return tmpdir_fixture_setup(state, "xl_metrics_test", "job.prom", NULL);
}

static int teardown(void **state)
{
	return tmpdir_fixture_teardown(state);
}

/* Number of entries in dir other than . and .., and whether any has ".tmp.". */
static int count_entries(const char *dir, int *tmp_seen)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	*tmp_seen = 0;
	assert_non_null(d);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		n++;
		if (strstr(e->d_name, ".tmp"))
			*tmp_seen = 1;
	}
	closedir(d);
	return n;
}

static char *slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s;
	long n;

	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	s = malloc((size_t)n + 1);
	assert_non_null(s);
	assert_int_equal(fread(s, 1, (size_t)n, fp), (size_t)n);
	s[n] = '\0';
	fclose(fp);
	return s;
}

static void test_write_exact_text(void **state)
{
	struct fixture *f = *state;
	struct xl_metrics *m = xl_metrics_new();
	struct xl_err err = XL_ERR_INIT;
	char *text;
	int tmp;

	assert_int_equal(xl_metrics_set(m, "xlcfi_rows", "Rows loaded", XL_METRIC_GAUGE, NULL, 3), 0);
	assert_int_equal(xl_metrics_set(m, "xlcfi_errors_total", "Rejected records", XL_METRIC_COUNTER,
					"kind=\"parse\"", 2), 0);
	assert_int_equal(xl_metrics_set(m, "xlcfi_last_success_seconds", "Unix time of the last success",
					XL_METRIC_GAUGE, NULL, 1767225600.5), 0);
	assert_int_equal(xl_metrics_write(m, f->path[0], &err), 0);
	text = slurp(f->path[0]);
	assert_string_equal(text,
		"# HELP xlcfi_rows Rows loaded\n"
		"# TYPE xlcfi_rows gauge\n"
		"xlcfi_rows 3.0\n"
		"# HELP xlcfi_errors_total Rejected records\n"
		"# TYPE xlcfi_errors_total counter\n"
		"xlcfi_errors_total{kind=\"parse\"} 2.0\n"
		"# HELP xlcfi_last_success_seconds Unix time of the last success\n"
		"# TYPE xlcfi_last_success_seconds gauge\n"
		"xlcfi_last_success_seconds 1767225600.5\n");
	free(text);
	assert_int_equal(count_entries(f->dir, &tmp), 1);
	assert_false(tmp);
	xl_metrics_free(m);
}

static void test_samples_of_one_name_adjacent(void **state)
{
	struct fixture *f = *state;
	struct xl_metrics *m = xl_metrics_new();
	struct xl_err err = XL_ERR_INIT;
	char *text;

	xl_metrics_set(m, "errs", "Errors", XL_METRIC_COUNTER, "kind=\"parse\"", 2);
	xl_metrics_set(m, "rows", NULL, XL_METRIC_GAUGE, NULL, 0.25);
	xl_metrics_set(m, "errs", "ignored", XL_METRIC_GAUGE, "kind=\"io\"", 1);
	/* Setting an existing sample replaces its value. */
	xl_metrics_set(m, "errs", "Errors", XL_METRIC_COUNTER, "kind=\"parse\"", 5);
	xl_metrics_set(m, "rows", NULL, XL_METRIC_GAUGE, NULL, -0.5);
	assert_int_equal(xl_metrics_write(m, f->path[0], &err), 0);
	text = slurp(f->path[0]);
	assert_string_equal(text,
		"# HELP errs Errors\n"
		"# TYPE errs counter\n"
		"errs{kind=\"parse\"} 5.0\n"
		"errs{kind=\"io\"} 1.0\n"
		"# TYPE rows gauge\n"
		"rows -0.5\n");
	free(text);
	xl_metrics_free(m);
}

static void test_empty_set(void **state)
{
	struct fixture *f = *state;
	struct xl_metrics *m = xl_metrics_new();
	struct xl_err err = XL_ERR_INIT;
	char *text;

	assert_int_equal(xl_metrics_write(m, f->path[0], &err), 0);
	text = slurp(f->path[0]);
	assert_string_equal(text, "");
	free(text);
	xl_metrics_free(m);
	xl_metrics_free(NULL);
}

static void test_invalid_names(void **state)
{
	struct xl_metrics *m = xl_metrics_new();

	(void)state;
	assert_int_equal(xl_metrics_set(m, "", "h", XL_METRIC_GAUGE, NULL, 1), -XL_EINVAL);
	assert_int_equal(xl_metrics_set(m, "1abc", "h", XL_METRIC_GAUGE, NULL, 1), -XL_EINVAL);
	assert_int_equal(xl_metrics_set(m, "a-b", "h", XL_METRIC_GAUGE, NULL, 1), -XL_EINVAL);
	assert_int_equal(xl_metrics_set(m, "a b", "h", XL_METRIC_GAUGE, NULL, 1), -XL_EINVAL);
	assert_int_equal(xl_metrics_set(m, "a.b", "h", XL_METRIC_GAUGE, NULL, 1), -XL_EINVAL);
	assert_int_equal(xl_metrics_set(m, "a{x}", "h", XL_METRIC_GAUGE, NULL, 1), -XL_EINVAL);
	assert_int_equal(xl_metrics_set(m, "_a:b9", "h", XL_METRIC_GAUGE, NULL, 1), 0);
	assert_int_equal(xl_metrics_set(m, ":x", "h", XL_METRIC_GAUGE, NULL, 1), 0);
	assert_int_equal(xl_metrics_set(m, "Zz_0", "h", XL_METRIC_GAUGE, NULL, 1), 0);
	xl_metrics_free(m);
}

static void test_escape(void **state)
{
	char buf[64];
	char small[5];

	(void)state;
	assert_int_equal(xl_metrics_escape(buf, sizeof(buf), "plain"), 5);
	assert_string_equal(buf, "plain");
	assert_int_equal(xl_metrics_escape(buf, sizeof(buf), "a\"b\\c\nd"), 10);
	assert_string_equal(buf, "a\\\"b\\\\c\\nd");
	assert_int_equal(xl_metrics_escape(buf, sizeof(buf), ""), 0);
	assert_string_equal(buf, "");
	/* Truncated but always terminated, never a dangling backslash. */
	xl_metrics_escape(small, sizeof(small), "\"\"\"\"\"");
	assert_true(strlen(small) < sizeof(small));
	assert_int_equal(strlen(small) % 2, 0);
}

static void test_write_into_missing_dir(void **state)
{
	struct fixture *f = *state;
	struct xl_metrics *m = xl_metrics_new();
	struct xl_err err = XL_ERR_INIT;
	char path[256];
	int tmp;

	xl_metrics_set(m, "a", "h", XL_METRIC_GAUGE, NULL, 1);
	snprintf(path, sizeof(path), "%s/nonexistent/job.prom", f->dir);
	assert_int_equal(xl_metrics_write(m, path, &err), -XL_ECANTCREAT);
	assert_int_equal(err.code, XL_ECANTCREAT);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(count_entries(f->dir, &tmp), 0);
	assert_int_equal(access(path, F_OK), -1);
	xl_metrics_free(m);
}

static void test_replaces_atomically(void **state)
{
	struct fixture *f = *state;
	struct xl_metrics *m = xl_metrics_new();
	struct xl_err err = XL_ERR_INIT;
	struct stat st1, st2;
	char *text;
	int tmp;

	xl_metrics_set(m, "a", "h", XL_METRIC_GAUGE, NULL, 1);
	assert_int_equal(xl_metrics_write(m, f->path[0], &err), 0);
	assert_int_equal(stat(f->path[0], &st1), 0);
	xl_metrics_set(m, "a", "h", XL_METRIC_GAUGE, NULL, 2);
	assert_int_equal(xl_metrics_write(m, f->path[0], &err), 0);
	assert_int_equal(stat(f->path[0], &st2), 0);
	/* rename() puts a new inode in place rather than rewriting the old one. */
	assert_true(st1.st_ino != st2.st_ino);
	text = slurp(f->path[0]);
	assert_string_equal(text, "# HELP a h\n# TYPE a gauge\na 2.0\n");
	free(text);
	assert_int_equal(count_entries(f->dir, &tmp), 1);
	assert_false(tmp);
	xl_metrics_free(m);
}

static void test_rename_failure_leaves_no_temp(void **state)
{
	struct fixture *f = *state;
	struct xl_metrics *m = xl_metrics_new();
	struct xl_err err = XL_ERR_INIT;
	char sub[256], inner[300];
	int tmp;

	/* The target is a non-empty directory, so the final rename fails. */
	snprintf(sub, sizeof(sub), "%s/target", f->dir);
	snprintf(inner, sizeof(inner), "%s/keep", sub);
	assert_int_equal(mkdir(sub, 0700), 0);
	assert_int_equal(mkdir(inner, 0700), 0);
	xl_metrics_set(m, "a", "h", XL_METRIC_GAUGE, NULL, 1);
	assert_true(xl_metrics_write(m, sub, &err) < 0);
	assert_true(err.msg[0] != '\0');
	assert_int_equal(count_entries(f->dir, &tmp), 1);
	assert_false(tmp);
	rmdir(inner);
	rmdir(sub);
	xl_metrics_free(m);
}

/* Prometheus writes infinities as +Inf / -Inf; NaN would be a different value. */
static void test_infinity_written_as_inf(void **state)
{
	struct fixture *f = *state;
	struct xl_metrics *m = xl_metrics_new();
	struct xl_err err = XL_ERR_INIT;
	char *text;

	xl_metrics_set(m, "up", NULL, XL_METRIC_GAUGE, NULL, INFINITY);
	xl_metrics_set(m, "down", NULL, XL_METRIC_GAUGE, NULL, -INFINITY);
	xl_metrics_set(m, "nan", NULL, XL_METRIC_GAUGE, NULL, NAN);
	assert_int_equal(xl_metrics_write(m, f->path[0], &err), 0);
	text = slurp(f->path[0]);
	xl_metrics_free(m);
	if (strcmp(text, "# TYPE up gauge\nup +Inf\n# TYPE down gauge\ndown -Inf\n"
			 "# TYPE nan gauge\nnan NaN\n") != 0) {
		fprintf(stderr, "got:\n%s", text);
		free(text);
		fail_msg("infinite values not written as +Inf/-Inf");
	}
	free(text);
}

/*
 * The text format requires '\' and newline in HELP to be escaped; a raw
 * newline there makes the collector reject the whole file.
 */
static void test_help_escaped(void **state)
{
	struct fixture *f = *state;
	struct xl_metrics *m = xl_metrics_new();
	struct xl_err err = XL_ERR_INIT;
	char *text;

	xl_metrics_set(m, "a", "line one\nline two \\ back", XL_METRIC_GAUGE, NULL, 1);
	assert_int_equal(xl_metrics_write(m, f->path[0], &err), 0);
	text = slurp(f->path[0]);
	xl_metrics_free(m);
	if (strcmp(text, "# HELP a line one\\nline two \\\\ back\n# TYPE a gauge\na 1.0\n") != 0) {
		fprintf(stderr, "got:\n%s", text);
		free(text);
		fail_msg("HELP text not escaped");
	}
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_write_exact_text, setup, teardown),
		cmocka_unit_test_setup_teardown(test_samples_of_one_name_adjacent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_set, setup, teardown),
		cmocka_unit_test(test_invalid_names),
		cmocka_unit_test(test_escape),
		cmocka_unit_test_setup_teardown(test_write_into_missing_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_replaces_atomically, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_failure_leaves_no_temp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_infinity_written_as_inf, setup, teardown),
		cmocka_unit_test_setup_teardown(test_help_escaped, setup, teardown),
	};

	return cmocka_run_group_tests_name("xl_metrics", tests, NULL, NULL);
}
