/*
 * Unit tests for lib/xl_xlsx.h: a report as an .xlsx workbook. The files
 * are opened again and their XML parts read back through Python's zipfile
 * module (in every Debian python3), so the checks are on what Excel reads.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_xlsx.h"
#include "tmpdir.h"

#define BULDAK "\xEB\xB6\x88\xEB\x8B\xAD\xEB\xB3\xB6\xEC\x9D\x8C\xEB\xA9\xB4" /* 불닭볶음면 */
#define SHIN "\xEC\x8B\xA0\xEB\x9D\xBC\xEB\xA9\xB4"                         /* 신라면 */
#define SAEU "\xEC\x83\x88\xEC\x9A\xB0\xEA\xB9\xA1"                         /* 새우깡 */
#define RAMYEON "\xEB\x9D\xBC\xEB\xA9\xB4"                                  /* 라면 */
#define SNACK "\xEA\xB3\xBC\xEC\x9E\x90"                                    /* 과자 */
#define WON "\xE2\x82\xA9"                                                  /* ₩ */

static int setup(void **state)
{
	return tmpdir_fixture_setup(state, "xl_xlsx_test", "report.xlsx", NULL);
}

static int teardown(void **state)
{
	return tmpdir_fixture_teardown(state);
}

/*
 * Run a shell command and return all it printed (yours to free), or NULL
 * when it exits non-zero.
 */
static char *run(const char *cmd)
{
	FILE *p = popen(cmd, "r");
	char *out = NULL;
	size_t len = 0, alloc = 0, n;
	int status;

	assert_non_null(p);
	do {
		if (alloc - len < 4096) {
			alloc = alloc ? 2 * alloc : 65536;
			out = realloc(out, alloc + 1);
			assert_non_null(out);
		}
		n = fread(out + len, 1, alloc - len, p);
		len += n;
	} while (n > 0);
	out[len] = '\0';
	status = pclose(p);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* One member of a zip file, or NULL when it has none of that name. */
static char *zip_read(const char *zip, const char *member)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys, zipfile; "
		 "sys.stdout.buffer.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))' "
		 "'%s' '%s' 2>/dev/null",
		 zip, member);
	return run(cmd);
}

/* The names in a zip file, one a line, after a check of every member's CRC. */
static char *zip_names(const char *zip)
{
	char cmd[1024];

	snprintf(cmd, sizeof(cmd),
		 "python3 -c 'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); "
		 "assert z.testzip() is None; print(\"\\n\".join(z.namelist()))' '%s'",
		 zip);
	return run(cmd);
}

static char *zip_must_read(const char *zip, const char *member)
{
	char *s = zip_read(zip, member);

	if (!s)
		fail_msg("%s has no %s", zip, member);
	return s;
}

static size_t count_of(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

static void assert_contains(const char *hay, const char *needle)
{
	if (!strstr(hay, needle))
		fail_msg("'%s' not found", needle);
}

/*
 * The sheet names of workbook.xml in order, joined with '|'.
 */
static void sheet_names(const char *zip, char *out, size_t size)
{
	char *wb = zip_must_read(zip, "xl/workbook.xml");
	const char *p = wb;
	size_t len = 0;

	out[0] = '\0';
	while ((p = strstr(p, "<sheet name=\""))) {
		const char *q;

		p += strlen("<sheet name=\"");
		q = strchr(p, '"');
		assert_non_null(q);
		len += (size_t)snprintf(out + len, size - len, "%s%.*s", len ? "|" : "", (int)(q - p), p);
		assert_true(len < size);
		p = q;
	}
	free(wb);
}

/*
 * The number format code of the style a cell carries: finds <c r="ref" s="N">
 * in the sheet XML, takes the N-th <xf> of cellXfs in styles.xml and
 * its numFmtId's formatCode. Into out, "" when the cell has no style.
 */
static void cell_format(const char *zip, const char *sheet_xml, const char *ref, char *out,
			size_t size)
{
	char needle[64], id[64];
	char *styles = zip_must_read(zip, "xl/styles.xml");
	const char *p, *q;
	long xf, fmt_id;

	out[0] = '\0';
	snprintf(needle, sizeof(needle), "<c r=\"%s\" s=\"", ref);
	p = strstr(sheet_xml, needle);
	if (!p) {
		free(styles);
		return;
	}
	xf = strtol(p + strlen(needle), NULL, 10);
	p = strstr(styles, "<cellXfs");
	assert_non_null(p);
	for (long i = 0; i <= xf; i++) {
		p = strstr(p + 1, "<xf ");
		assert_non_null(p);
	}
	p = strstr(p, "numFmtId=\"");
	assert_non_null(p);
	fmt_id = strtol(p + strlen("numFmtId=\""), NULL, 10);
	snprintf(id, sizeof(id), "<numFmt numFmtId=\"%ld\" formatCode=\"", fmt_id);
	p = strstr(styles, id);
	if (p) {
		p += strlen(id);
		q = strchr(p, '"');
		assert_non_null(q);
		snprintf(out, size, "%.*s", (int)(q - p), p);
	} else {
		snprintf(out, size, "builtin:%ld", fmt_id);
	}
	free(styles);
}

/* The detail callback: n lines, or an error at line fail_at. */
struct lines {
	int n, i, fail_at;
	char sku[32];
};

static int next_line(void *arg, struct xl_report_line *line, struct xl_err *err)
{
	struct lines *l = arg;
	static const char *const names[] = { BULDAK, SHIN, SAEU };

	if (l->fail_at && l->i + 1 == l->fail_at)
		return xl_err_set(err, XL_EDB, "detail query failed at line %d", l->fail_at);
	if (l->i == l->n)
		return 0;
	l->i++;
	snprintf(l->sku, sizeof(l->sku), "SKU-%03d", l->i);
	/* Two lines a day from 2026-11-25 on. */
	line->day = xl_date_from_days(xl_date_to_days((struct xl_date){ 2026, 11, 25 }) +
				      (l->i - 1) / 2);
	line->order_id = 1000 + l->i;
	line->user_id = 77;
	line->sku = l->sku;
	line->name = names[l->i % 3];
	line->qty = l->i;
	line->amount_minor = 1500 * l->i;
	return 1;
}

static const struct xl_report_sales trend[] = {
	{ { 2026, 11, 23 }, { 2026, 11, 23 }, "2026-11-23", 500000, 0, 500000, 10, 14, 9, 50000 },
	{ { 2026, 11, 24 }, { 2026, 11, 24 }, "2026-11-24", 620000, 20000, 600000, 12, 15, 11, 51667 },
	{ { 2026, 11, 25 }, { 2026, 11, 25 }, "2026-11-25", 114500, 0, 114500, 3, 4, 3, 38167 },
};

static const struct xl_report_product top[] = {
	{ "SKU-001", BULDAK, "ramyeon", 40, 560000, 30 },
	{ "SKU-002", SHIN, "ramyeon", 25, 300000, 20 },
	{ "SKU-003", SAEU, "snack", 12, 54000, 9 },
};

static const struct xl_report_category categories[] = {
	{ "ramyeon", RAMYEON, 860000, 65, 0.941 },
	{ "snack", SNACK, 54000, 12, 0.059 },
};

static const struct xl_report_segment segments[] = {
	{ "Champions", 12, 720000, 3.5, 6.25 },
	{ "At risk", 4, 94000, 61.0, 1.5 },
};

static struct xl_report full_report(struct lines *l)
{
	struct xl_report r = {
		.title = "Weekly sales report",
		.period_name = "week",
		.currency = "KRW",
		.first = { 2026, 11, 23 },
		.last = { 2026, 11, 29 },
		.generated_us = INT64_C(1795964400000000), /* 2026-11-30 00:00 KST */
		.current = { { 2026, 11, 23 }, { 2026, 11, 29 }, "2026-W48", 1234500, 20000,
			     1214500, 25, 33, 21, 49380 },
		.previous = { { 2026, 11, 16 }, { 2026, 11, 22 }, "2026-W47", 1000000, 0, 1000000,
			      20, 30, 0, 50000 },
		.trend = trend, .ntrend = 3,
		.top = top, .ntop = 3,
		.categories = categories, .ncategories = 2,
		.segments = segments, .nsegments = 2,
		.next_line = next_line, .next_line_arg = l,
	};

	return r;
}

static void write_ok(const struct xl_report *r, const char *path, uint32_t max_rows)
{
	struct xl_err err = XL_ERR_INIT;
	int ret = xl_xlsx_report_write_opt(r, path, max_rows, &err);

	if (ret != 0)
		fail_msg("write %s: %d %s", path, ret, err.msg);
}

static void test_full(void **state)
{
	struct fixture *f = *state;
	struct lines l = { .n = 10 };
	struct xl_report r = full_report(&l);
	char names[256], fmt[64];
	char *list, *charts, *styles, *sheet;

	write_ok(&r, f->path[0], 0);
	assert_int_equal(l.i, 10);

	sheet_names(f->path[0], names, sizeof(names));
	assert_string_equal(names, "Summary|Trend|Top products|Categories|RFM segments|Detail");

	/* Three charts, one of each kind, each drawn on its sheet. */
	list = zip_names(f->path[0]);
	assert_non_null(list);
	assert_contains(list, "xl/charts/chart1.xml");
	assert_contains(list, "xl/charts/chart2.xml");
	assert_contains(list, "xl/charts/chart3.xml");
	assert_null(strstr(list, "xl/charts/chart4.xml"));
	assert_contains(list, "xl/drawings/drawing3.xml");
	free(list);
	charts = zip_must_read(f->path[0], "xl/charts/chart1.xml");
	assert_contains(charts, "<c:lineChart>");
	assert_contains(charts, "<c:f>Trend!$C$2:$C$4</c:f>");
	free(charts);
	charts = zip_must_read(f->path[0], "xl/charts/chart2.xml");
	assert_contains(charts, "<c:barChart>");
	assert_contains(charts, "<c:f>'Top products'!$C$2:$C$4</c:f>");
	assert_contains(charts, "<c:f>'Top products'!$F$2:$F$4</c:f>");
	free(charts);
	charts = zip_must_read(f->path[0], "xl/charts/chart3.xml");
	assert_contains(charts, "<c:doughnutChart>");
	assert_contains(charts, "<c:f>Categories!$C$2:$C$3</c:f>");
	free(charts);

	styles = zip_must_read(f->path[0], "xl/styles.xml");
	assert_contains(styles, "formatCode=\"" WON "#,##0\"");
	assert_contains(styles, "formatCode=\"0.0%\"");
	assert_contains(styles, "formatCode=\"yyyy-mm-dd\"");
	free(styles);

	/* Summary: the period as dates, KPIs as won, the change as a percentage. */
	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet1.xml");
	assert_contains(sheet, "Weekly sales report");
	assert_contains(sheet, "<c r=\"B2\" s=\"");
	cell_format(f->path[0], sheet, "B2", fmt, sizeof(fmt));
	assert_string_equal(fmt, "yyyy-mm-dd");
	assert_contains(sheet, "<v>46349</v>"); /* 2026-11-23 */
	assert_contains(sheet, "<v>46355</v>"); /* 2026-11-29 */
	assert_contains(sheet, "<v>46356</v>"); /* generated 2026-11-30 00:00 KST */
	assert_contains(sheet, "<t>Net revenue</t>");
	assert_contains(sheet, "<t>Average order value</t>");
	assert_contains(sheet, "<c r=\"B7\" s=\"");
	assert_contains(sheet, "<v>1214500</v>");
	cell_format(f->path[0], sheet, "B7", fmt, sizeof(fmt));
	assert_string_equal(fmt, WON "#,##0");
	assert_contains(sheet, "<v>0.2145</v>"); /* net +21.45 % */
	cell_format(f->path[0], sheet, "D7", fmt, sizeof(fmt));
	assert_string_equal(fmt, "0.0%");
	/* Buyers: previous 0, so no change. */
	assert_null(strstr(sheet, "<c r=\"D13\""));
	free(sheet);

	/* Trend: frozen header, autofilter, first days as dates. */
	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet2.xml");
	assert_contains(sheet, "ySplit=\"1\"");
	assert_contains(sheet, "state=\"frozen\"");
	assert_contains(sheet, "<autoFilter ref=\"A1:I4\"");
	assert_contains(sheet, "<drawing r:id=");
	cell_format(f->path[0], sheet, "B2", fmt, sizeof(fmt));
	assert_string_equal(fmt, "yyyy-mm-dd");
	free(sheet);

	/* Top products: Hangul intact, inline. */
	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet3.xml");
	assert_contains(sheet, "<t>" BULDAK "</t>");
	assert_contains(sheet, "<t>" SHIN "</t>");
	assert_contains(sheet, "ySplit=\"1\"");
	assert_contains(sheet, "<autoFilter ref=\"A1:G4\"");
	free(sheet);

	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet4.xml");
	assert_contains(sheet, "<t>" RAMYEON "</t>");
	cell_format(f->path[0], sheet, "E2", fmt, sizeof(fmt));
	assert_string_equal(fmt, "0.0%");
	free(sheet);

	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet5.xml");
	assert_contains(sheet, "<t>Champions</t>");
	assert_contains(sheet, "<t>Avg recency (days)</t>");
	free(sheet);

	/* Detail: 10 lines under a header; the first one is 2026-11-25. */
	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet6.xml");
	assert_int_equal(count_of(sheet, "<row "), 11);
	assert_contains(sheet, "ySplit=\"1\"");
	assert_contains(sheet, "<autoFilter ref=\"A1:G11\"");
	assert_contains(sheet, "<c r=\"A2\" s=\"");
	assert_contains(sheet, "<v>46351</v></c><c r=\"B2\"");
	cell_format(f->path[0], sheet, "A2", fmt, sizeof(fmt));
	assert_string_equal(fmt, "yyyy-mm-dd");
	assert_contains(sheet, "<t>" BULDAK "</t>");
	assert_contains(sheet, "<t>SKU-010</t>");
	assert_contains(sheet, "<v>15000</v>"); /* line 10's amount, won */
	cell_format(f->path[0], sheet, "G11", fmt, sizeof(fmt));
	assert_string_equal(fmt, WON "#,##0");
	free(sheet);
}

static void expect_detail_sheet(const char *zip, int n, int rows, int first_line)
{
	char member[64], filter[64], order[32];
	char *sheet;

	snprintf(member, sizeof(member), "xl/worksheets/sheet%d.xml", n);
	sheet = zip_must_read(zip, member);
	assert_int_equal(count_of(sheet, "<row "), rows + 1);
	assert_contains(sheet, "<t>Amount</t>");
	assert_contains(sheet, "ySplit=\"1\"");
	snprintf(filter, sizeof(filter), "<autoFilter ref=\"A1:G%d\"", rows + 1);
	assert_contains(sheet, filter);
	snprintf(order, sizeof(order), "<c r=\"B2\"><v>%d</v>", 1000 + first_line);
	assert_contains(sheet, order);
	free(sheet);
}

static void test_rollover(void **state)
{
	struct fixture *f = *state;
	struct lines l = { .n = 12 };
	struct xl_report r = full_report(&l);
	char names[256];

	write_ok(&r, f->path[0], 5);
	sheet_names(f->path[0], names, sizeof(names));
	assert_string_equal(names, "Summary|Trend|Top products|Categories|RFM segments|"
				   "Detail|Detail 2|Detail 3");
	expect_detail_sheet(f->path[0], 6, 5, 1);
	expect_detail_sheet(f->path[0], 7, 5, 6);
	expect_detail_sheet(f->path[0], 8, 2, 11);

	/* Exactly full: no empty sheet after it. */
	l = (struct lines){ .n = 10 };
	write_ok(&r, f->path[0], 5);
	sheet_names(f->path[0], names, sizeof(names));
	assert_string_equal(names, "Summary|Trend|Top products|Categories|RFM segments|"
				   "Detail|Detail 2");
	expect_detail_sheet(f->path[0], 7, 5, 6);
}

/* The finish hook: fills in the sums once the detail has been read. */
struct late {
	struct xl_report *r;
	const struct lines *l;
	int calls, fail;
};

static int finish_late(void *arg, struct xl_err *err)
{
	struct late *k = arg;
	struct xl_report full = full_report(NULL);

	k->calls++;
	/* Every detail line was asked for first. */
	assert_int_equal(k->l->i, k->l->n);
	if (k->fail)
		return xl_err_set(err, XL_EDB, "segments query failed");
	k->r->current = full.current;
	k->r->previous = full.previous;
	k->r->trend = full.trend, k->r->ntrend = full.ntrend;
	k->r->top = full.top, k->r->ntop = full.ntop;
	k->r->categories = full.categories, k->r->ncategories = full.ncategories;
	k->r->segments = full.segments, k->r->nsegments = full.nsegments;
	return 0;
}

static void test_finish_hook(void **state)
{
	struct fixture *f = *state;
	struct lines l = { .n = 7 };
	struct xl_report r = { .title = "Weekly sales report", .period_name = "week", .currency = "KRW",
			       .first = { 2026, 11, 23 }, .last = { 2026, 11, 29 },
			       .generated_us = INT64_C(1795964400000000),
			       .next_line = next_line, .next_line_arg = &l };
	struct late k = { &r, &l, 0, 0 };
	struct xl_err err = XL_ERR_INIT;
	char names[256];
	char *sheet, *list;

	r.finish = finish_late;
	r.finish_arg = &k;
	write_ok(&r, f->path[0], 3);
	assert_int_equal(k.calls, 1);
	/* The same sheets, in the same order, as a report filled in beforehand. */
	sheet_names(f->path[0], names, sizeof(names));
	assert_string_equal(names, "Summary|Trend|Top products|Categories|RFM segments|"
				   "Detail|Detail 2|Detail 3");
	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet1.xml");
	assert_contains(sheet, "<v>1214500</v>");
	assert_contains(sheet, "<v>0.2145</v>");
	free(sheet);
	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet5.xml");
	assert_contains(sheet, "<t>Champions</t>");
	free(sheet);
	list = zip_names(f->path[0]);
	assert_non_null(list);
	assert_contains(list, "xl/charts/chart3.xml");
	free(list);
	expect_detail_sheet(f->path[0], 7, 3, 4);
	expect_detail_sheet(f->path[0], 8, 1, 7);

	/* Without a detail the hook still runs, once. */
	r.next_line = NULL;
	l = (struct lines){ .n = 0 };
	k.calls = 0;
	write_ok(&r, f->path[0], 0);
	assert_int_equal(k.calls, 1);
	sheet_names(f->path[0], names, sizeof(names));
	assert_string_equal(names, "Summary|Trend|Top products|Categories|RFM segments");

	/* Its failure is the writer's. */
	k.fail = 1;
	assert_int_equal(xl_xlsx_report_write_opt(&r, f->path[0], 0, &err), -XL_EDB);
	assert_string_equal(err.msg, "segments query failed");
}

static void test_callback_error(void **state)
{
	struct fixture *f = *state;
	struct lines l = { .n = 10, .fail_at = 3 };
	struct xl_report r = full_report(&l);
	struct xl_err err = XL_ERR_INIT;

	assert_int_equal(xl_xlsx_report_write_opt(&r, f->path[0], 0, &err), -XL_EDB);
	assert_int_equal(err.code, XL_EDB);
	assert_string_equal(err.msg, "detail query failed at line 3");
	assert_int_equal(l.i, 2);

	/* Also when the failure comes right after a rollover. */
	l = (struct lines){ .n = 10, .fail_at = 3 };
	xl_err_clear(&err);
	assert_int_equal(xl_xlsx_report_write_opt(&r, f->path[0], 2, &err), -XL_EDB);
	assert_int_equal(err.code, XL_EDB);
}

static void test_empty(void **state)
{
	struct fixture *f = *state;
	struct xl_report r = { .currency = "KRW" };
	struct lines l = { .n = 0 };
	char names[256];
	char *list, *sheet;

	write_ok(&r, f->path[0], 0);
	sheet_names(f->path[0], names, sizeof(names));
	assert_string_equal(names, "Summary|Trend|Top products|Categories|RFM segments");
	list = zip_names(f->path[0]);
	assert_non_null(list);
	assert_null(strstr(list, "xl/charts/"));
	free(list);
	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet2.xml");
	assert_int_equal(count_of(sheet, "<row "), 1);
	assert_contains(sheet, "<t>Net revenue</t>");
	assert_contains(sheet, "<autoFilter ref=\"A1:I1\"");
	free(sheet);

	/* A detail callback with nothing to give: a sheet with its header. */
	r.next_line = next_line;
	r.next_line_arg = &l;
	write_ok(&r, f->path[0], 0);
	sheet_names(f->path[0], names, sizeof(names));
	assert_string_equal(names, "Summary|Trend|Top products|Categories|RFM segments|Detail");
	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet6.xml");
	assert_int_equal(count_of(sheet, "<row "), 1);
	assert_contains(sheet, "<t>Product</t>");
	free(sheet);
}

static void test_other_currency(void **state)
{
	struct fixture *f = *state;
	struct lines l = { .n = 1 };
	struct xl_report r = full_report(&l);
	struct xl_err err = XL_ERR_INIT;
	char fmt[64];
	char *sheet;

	memcpy(r.currency, "GBP", 4);
	write_ok(&r, f->path[0], 0);
	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet6.xml");
	assert_contains(sheet, "<v>15</v>"); /* 1500 pence */
	cell_format(f->path[0], sheet, "G2", fmt, sizeof(fmt));
	assert_string_equal(fmt, "&quot;GBP &quot;#,##0.00");
	free(sheet);

	l = (struct lines){ .n = 1 };
	memcpy(r.currency, "KWD", 4);
	write_ok(&r, f->path[0], 0);
	sheet = zip_must_read(f->path[0], "xl/worksheets/sheet6.xml");
	assert_contains(sheet, "<v>1.5</v>");
	cell_format(f->path[0], sheet, "G2", fmt, sizeof(fmt));
	assert_string_equal(fmt, "&quot;KWD &quot;#,##0.000");
	free(sheet);

	memcpy(r.currency, "XYZ", 4);
	assert_int_equal(xl_xlsx_report_write(&r, f->path[0], &err), -XL_EINVAL);
	assert_non_null(strstr(err.msg, "'XYZ'"));
}

static void test_cannot_create(void **state)
{
	struct fixture *f = *state;
	struct xl_report r = { .currency = "KRW" };
	struct xl_err err = XL_ERR_INIT;
	char path[256];

	snprintf(path, sizeof(path), "%s/no/such/dir/r.xlsx", f->dir);
	assert_int_equal(xl_xlsx_report_write(&r, path, &err), -XL_ECANTCREAT);
	assert_non_null(strstr(err.msg, path));
	assert_non_null(strstr(err.msg, "No such file or directory"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rollover, setup, teardown),
		cmocka_unit_test_setup_teardown(test_callback_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_finish_hook, setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_currency, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cannot_create, setup, teardown),
	};

	return cmocka_run_group_tests_name("xl_xlsx", tests, NULL, NULL);
}
