#include "xl_xlsx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#include "xl_money.h"
#include "xl_time.h"
#include "xl_banned.h"

/* Days from Excel's day 0 (1899-12-30, the 1900 system) to 1970-01-01. */
#define EXCEL_EPOCH_DAYS 25569
/*
 * Excel counts a 1900-02-29 that never was, so its serial numbers are right
 * only from 1900-03-01 (serial 61) on. Older days are left blank.
 */
#define EXCEL_FIRST_DAYS (61 - EXCEL_EPOCH_DAYS)

/* Charts show at most this many products or categories. */
#define CHART_MAX_ITEMS 25u

struct formats {
	lxw_format *title, *bold, *header, *date, *datetime, *money, *count, *pct, *dec1;
};

struct ctx {
	const struct xl_report *r;
	const char *path;
	struct xl_err *err;
	lxw_workbook *wb;
	struct formats f;
	double money_div;          /* 10^exponent: minor units to major */
	char money_fmt[64];
};

static int xlsx_fail(struct ctx *c, lxw_error e)
{
	return xl_err_set(c->err, XL_EIO, "cannot write '%s': %s", c->path, lxw_strerror(e));
}

/* Return from the calling function when a libxlsxwriter write fails. */
#define TRY(call) \
	do { \
		lxw_error e_ = (call); \
		if (e_ != LXW_NO_ERROR) \
			return xlsx_fail(c, e_); \
	} while (0)

static double money(const struct ctx *c, int64_t minor)
{
	return (double)minor / c->money_div;
}

/* The Excel serial number of a day, or -1 when Excel cannot show it. */
static double excel_day(struct xl_date d)
{
	int64_t days;

	if (!xl_date_valid(d))
		return -1;
	days = xl_date_to_days(d);
	if (days < EXCEL_FIRST_DAYS)
		return -1;
	return (double)(days + EXCEL_EPOCH_DAYS);
}

/* The Excel serial number of an instant, as Asia/Seoul wall-clock time. */
static double excel_seoul_time(int64_t us)
{
	struct xl_date d = xl_time_seoul_date(us);
	double day = excel_day(d);

	if (day < 0)
		return -1;
	return day + (double)(us - xl_time_seoul_day_start(d)) / (double)XL_TIME_US_PER_DAY;
}

static int write_day(struct ctx *c, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
		     struct xl_date d)
{
	double serial = excel_day(d);

	if (serial >= 0)
		TRY(worksheet_write_number(ws, row, col, serial, c->f.date));
	return 0;
}

/* A string cell; NULL and "" leave the cell empty. */
static int write_str(struct ctx *c, lxw_worksheet *ws, lxw_row_t row, lxw_col_t col,
		     const char *s, lxw_format *fmt)
{
	if (s && *s)
		TRY(worksheet_write_string(ws, row, col, s, fmt));
	return 0;
}

static int write_header(struct ctx *c, lxw_worksheet *ws, lxw_row_t row,
			const char *const *names, const double *widths, lxw_col_t n)
{
	for (lxw_col_t i = 0; i < n; i++) {
		TRY(worksheet_write_string(ws, row, i, names[i], c->f.header));
		if (widths)
			TRY(worksheet_set_column(ws, i, i, widths[i], NULL));
	}
	return 0;
}

/*
 * Finish a table whose header is row 0 and data rows 1..nrows: freeze the
 * header and put an autofilter over it all. In constant-memory mode an
 * autofilter can only be set while its last row is the current one, so
 * this comes after the last row is written.
 */
static int finish_table(struct ctx *c, lxw_worksheet *ws, lxw_row_t nrows, lxw_col_t ncols,
			int filter)
{
	worksheet_freeze_panes(ws, 1, 0);
	if (filter)
		TRY(worksheet_autofilter(ws, 0, 0, nrows, ncols - 1));
	return 0;
}

static lxw_worksheet *add_sheet(struct ctx *c, const char *name)
{
	lxw_worksheet *ws;

	errno = 0;
	ws = workbook_add_worksheet(c->wb, name);
	if (!ws)
		xl_err_set(c->err, XL_EIO, "cannot write '%s': cannot add sheet '%s': %s", c->path,
			   name, errno ? strerror(errno) : "out of memory");
	return ws;
}

static lxw_format *add_format(struct ctx *c, const char *num_format, int bold)
{
	lxw_format *f = workbook_add_format(c->wb);

	if (f && num_format)
		format_set_num_format(f, num_format);
	if (f && bold)
		format_set_bold(f);
	return f;
}

static int make_formats(struct ctx *c)
{
	struct formats *f = &c->f;

	f->title = add_format(c, NULL, 1);
	f->bold = add_format(c, NULL, 1);
	f->header = add_format(c, NULL, 1);
	f->date = add_format(c, "yyyy-mm-dd", 0);
	f->datetime = add_format(c, "yyyy-mm-dd hh:mm:ss", 0);
	f->money = add_format(c, c->money_fmt, 0);
	f->count = add_format(c, "#,##0", 0);
	f->pct = add_format(c, "0.0%", 0);
	f->dec1 = add_format(c, "#,##0.0", 0);
	if (!f->title || !f->bold || !f->header || !f->date || !f->datetime || !f->money ||
	    !f->count || !f->pct || !f->dec1)
		return xlsx_fail(c, LXW_ERROR_MEMORY_MALLOC_FAILED);
	format_set_font_size(f->title, 14);
	format_set_bottom(f->header, LXW_BORDER_THIN);
	format_set_bg_color(f->header, 0xD9E1F2);
	return 0;
}

/*
 * The number format for money: "₩#,##0" for won, else the amount with the
 * currency's decimals after its code ("GBP "#,##0.00).
 */
static int money_format(struct ctx *c)
{
	const char *cur = c->r->currency;
	int exp = xl_money_exponent(cur);

	if (exp < 0)
		return xl_err_set(c->err, XL_EINVAL, "cannot write '%s': unknown currency '%s'",
				  c->path, cur);
	c->money_div = 1;
	for (int i = 0; i < exp; i++)
		c->money_div *= 10;
	if (!strcmp(cur, "KRW")) {
		snprintf(c->money_fmt, sizeof(c->money_fmt), "\xE2\x82\xA9#,##0");
		return 0;
	}
	snprintf(c->money_fmt, sizeof(c->money_fmt), "\"%s \"#,##0%s%.*s", cur, exp ? "." : "",
		 exp, "000000000");
	return 0;
}

enum kpi { KPI_NET, KPI_GROSS, KPI_REFUNDS, KPI_ORDERS, KPI_UNITS, KPI_AOV, KPI_BUYERS, KPI_N };

static const struct {
	const char *name;
	int is_money;
} kpis[KPI_N] = {
	[KPI_NET] = { "Net revenue", 1 },
	[KPI_GROSS] = { "Gross sales", 1 },
	[KPI_REFUNDS] = { "Refunds", 1 },
	[KPI_ORDERS] = { "Orders", 0 },
	[KPI_UNITS] = { "Units", 0 },
	[KPI_AOV] = { "Average order value", 1 },
	[KPI_BUYERS] = { "Buyers", 0 },
};

static int64_t kpi_value(const struct xl_report_sales *s, enum kpi k)
{
	switch (k) {
	case KPI_NET: return s->net_minor;
	case KPI_GROSS: return s->gross_minor;
	case KPI_REFUNDS: return s->refunds_minor;
	case KPI_ORDERS: return s->orders;
	case KPI_UNITS: return s->units;
	case KPI_AOV: return s->aov_minor;
	case KPI_BUYERS: return s->buyers;
	case KPI_N: break;
	}
	return 0;
}

static int summary_sheet(struct ctx *c, lxw_worksheet *ws)
{
	static const char *const head[] = { "KPI", "This period", "Previous period", "Change" };
	static const double widths[] = { 24, 18, 18, 12 };
	const struct xl_report *r = c->r;
	double gen;
	int ret;

	if ((ret = write_str(c, ws, 0, 0, r->title ? r->title : "Sales report", c->f.title)) < 0)
		return ret;
	TRY(worksheet_write_string(ws, 1, 0, "Period", c->f.bold));
	if ((ret = write_day(c, ws, 1, 1, r->first)) < 0 ||
	    (ret = write_day(c, ws, 1, 2, r->last)) < 0 ||
	    (ret = write_str(c, ws, 1, 3, r->period_name, NULL)) < 0)
		return ret;
	TRY(worksheet_write_string(ws, 2, 0, "Generated (Asia/Seoul)", c->f.bold));
	gen = excel_seoul_time(r->generated_us);
	if (gen >= 0)
		TRY(worksheet_write_number(ws, 2, 1, gen, c->f.datetime));
	TRY(worksheet_write_string(ws, 3, 0, "Currency", c->f.bold));
	TRY(worksheet_write_string(ws, 3, 1, r->currency, NULL));

	if ((ret = write_header(c, ws, 5, head, widths, 4)) < 0)
		return ret;
	for (int k = 0; k < KPI_N; k++) {
		lxw_row_t row = 6 + (lxw_row_t)k;
		int64_t cur = kpi_value(&r->current, k), prev = kpi_value(&r->previous, k);
		lxw_format *fmt = kpis[k].is_money ? c->f.money : c->f.count;
		double dcur = kpis[k].is_money ? money(c, cur) : (double)cur;
		double dprev = kpis[k].is_money ? money(c, prev) : (double)prev;

		TRY(worksheet_write_string(ws, row, 0, kpis[k].name, NULL));
		TRY(worksheet_write_number(ws, row, 1, dcur, fmt));
		TRY(worksheet_write_number(ws, row, 2, dprev, fmt));
		/* Against the size of the previous value, so a negative one still reads right. */
		if (prev != 0)
			TRY(worksheet_write_number(ws, row, 3,
						   ((double)cur - (double)prev) /
							   (prev < 0 ? -(double)prev : (double)prev),
						   c->f.pct));
	}
	worksheet_activate(ws);
	return 0;
}

static lxw_chart *new_chart(struct ctx *c, uint8_t type, const char *title)
{
	lxw_chart *chart = workbook_add_chart(c->wb, type);

	if (!chart) {
		xlsx_fail(c, LXW_ERROR_MEMORY_MALLOC_FAILED);
		return NULL;
	}
	chart_title_set_name(chart, title);
	return chart;
}

/* One series: categories and values are columns of sheet, rows 1..n. */
static int chart_series(struct ctx *c, lxw_chart *chart, const char *sheet, lxw_row_t n,
			lxw_col_t cat_col, lxw_col_t val_col, const char *name)
{
	lxw_chart_series *s = chart_add_series(chart, NULL, NULL);

	if (!s)
		return xlsx_fail(c, LXW_ERROR_MEMORY_MALLOC_FAILED);
	chart_series_set_categories(s, sheet, 1, cat_col, n, cat_col);
	chart_series_set_values(s, sheet, 1, val_col, n, val_col);
	chart_series_set_name(s, name);
	return 0;
}

static int trend_sheet(struct ctx *c, lxw_worksheet *ws)
{
	static const char *const head[] = { "Period", "First day", "Net revenue", "Gross", "Refunds",
					    "Orders", "Units", "AOV", "Buyers" };
	static const double widths[] = { 12, 12, 16, 16, 14, 10, 10, 14, 10 };
	const struct xl_report *r = c->r;
	lxw_row_t n = (lxw_row_t)r->ntrend;
	lxw_chart *chart;
	int ret;

	if ((ret = write_header(c, ws, 0, head, widths, 9)) < 0)
		return ret;
	for (lxw_row_t i = 0; i < n; i++) {
		const struct xl_report_sales *s = &r->trend[i];
		lxw_row_t row = i + 1;

		if ((ret = write_str(c, ws, row, 0, s->label, NULL)) < 0 ||
		    (ret = write_day(c, ws, row, 1, s->first)) < 0)
			return ret;
		TRY(worksheet_write_number(ws, row, 2, money(c, s->net_minor), c->f.money));
		TRY(worksheet_write_number(ws, row, 3, money(c, s->gross_minor), c->f.money));
		TRY(worksheet_write_number(ws, row, 4, money(c, s->refunds_minor), c->f.money));
		TRY(worksheet_write_number(ws, row, 5, (double)s->orders, c->f.count));
		TRY(worksheet_write_number(ws, row, 6, (double)s->units, c->f.count));
		TRY(worksheet_write_number(ws, row, 7, money(c, s->aov_minor), c->f.money));
		TRY(worksheet_write_number(ws, row, 8, (double)s->buyers, c->f.count));
	}
	if ((ret = finish_table(c, ws, n, 9, 1)) < 0)
		return ret;
	if (n == 0)
		return 0;
	if (!(chart = new_chart(c, LXW_CHART_LINE, "Net revenue")))
		return -XL_EIO;
	if ((ret = chart_series(c, chart, "Trend", n, 0, 2, "Net revenue")) < 0)
		return ret;
	chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
	chart_axis_set_num_format(chart->y_axis, c->money_fmt);
	TRY(worksheet_insert_chart(ws, 1, 10, chart));
	return 0;
}

static int top_sheet(struct ctx *c, lxw_worksheet *ws)
{
	static const char *const head[] = { "Rank", "SKU", "Name", "Category", "Units", "Revenue",
					    "Orders" };
	static const double widths[] = { 6, 16, 32, 16, 10, 16, 10 };
	const struct xl_report *r = c->r;
	lxw_row_t n = (lxw_row_t)r->ntop;
	lxw_chart *chart;
	int ret;

	if ((ret = write_header(c, ws, 0, head, widths, 7)) < 0)
		return ret;
	for (lxw_row_t i = 0; i < n; i++) {
		const struct xl_report_product *p = &r->top[i];
		lxw_row_t row = i + 1;

		TRY(worksheet_write_number(ws, row, 0, (double)row, NULL));
		if ((ret = write_str(c, ws, row, 1, p->sku, NULL)) < 0 ||
		    (ret = write_str(c, ws, row, 2, p->name, NULL)) < 0 ||
		    (ret = write_str(c, ws, row, 3, p->category, NULL)) < 0)
			return ret;
		TRY(worksheet_write_number(ws, row, 4, (double)p->units, c->f.count));
		TRY(worksheet_write_number(ws, row, 5, money(c, p->revenue_minor), c->f.money));
		TRY(worksheet_write_number(ws, row, 6, (double)p->orders, c->f.count));
	}
	if ((ret = finish_table(c, ws, n, 7, 1)) < 0)
		return ret;
	if (n == 0)
		return 0;
	if (!(chart = new_chart(c, LXW_CHART_BAR, "Revenue by product")))
		return -XL_EIO;
	if ((ret = chart_series(c, chart, "Top products", n < CHART_MAX_ITEMS ? n : CHART_MAX_ITEMS,
				2, 5, "Revenue")) < 0)
		return ret;
	chart_legend_set_position(chart, LXW_CHART_LEGEND_NONE);
	/* Best first, at the top, as in the table. */
	chart_axis_set_reverse(chart->x_axis);
	chart_axis_set_num_format(chart->y_axis, c->money_fmt);
	TRY(worksheet_insert_chart(ws, 1, 8, chart));
	return 0;
}

static int categories_sheet(struct ctx *c, lxw_worksheet *ws)
{
	static const char *const head[] = { "Category", "Name", "Revenue", "Units", "Share" };
	static const double widths[] = { 16, 24, 16, 10, 10 };
	const struct xl_report *r = c->r;
	lxw_row_t n = (lxw_row_t)r->ncategories;
	lxw_chart *chart;
	int ret;

	if ((ret = write_header(c, ws, 0, head, widths, 5)) < 0)
		return ret;
	for (lxw_row_t i = 0; i < n; i++) {
		const struct xl_report_category *k = &r->categories[i];
		lxw_row_t row = i + 1;

		if ((ret = write_str(c, ws, row, 0, k->category, NULL)) < 0 ||
		    (ret = write_str(c, ws, row, 1, k->name ? k->name : k->category, NULL)) < 0)
			return ret;
		TRY(worksheet_write_number(ws, row, 2, money(c, k->revenue_minor), c->f.money));
		TRY(worksheet_write_number(ws, row, 3, (double)k->units, c->f.count));
		TRY(worksheet_write_number(ws, row, 4, k->share, c->f.pct));
	}
	if ((ret = finish_table(c, ws, n, 5, 0)) < 0)
		return ret;
	if (n == 0)
		return 0;
	if (!(chart = new_chart(c, LXW_CHART_DOUGHNUT, "Revenue by category")))
		return -XL_EIO;
	if ((ret = chart_series(c, chart, "Categories", n < CHART_MAX_ITEMS ? n : CHART_MAX_ITEMS,
				1, 2, "Revenue")) < 0)
		return ret;
	TRY(worksheet_insert_chart(ws, 1, 6, chart));
	return 0;
}

static int segments_sheet(struct ctx *c, lxw_worksheet *ws)
{
	static const char *const head[] = { "Segment", "Customers", "Monetary",
					    "Avg recency (days)", "Avg frequency" };
	static const double widths[] = { 20, 12, 18, 20, 14 };
	const struct xl_report *r = c->r;
	lxw_row_t n = (lxw_row_t)r->nsegments;
	int ret;

	if ((ret = write_header(c, ws, 0, head, widths, 5)) < 0)
		return ret;
	for (lxw_row_t i = 0; i < n; i++) {
		const struct xl_report_segment *s = &r->segments[i];
		lxw_row_t row = i + 1;

		if ((ret = write_str(c, ws, row, 0, s->segment, NULL)) < 0)
			return ret;
		TRY(worksheet_write_number(ws, row, 1, (double)s->customers, c->f.count));
		TRY(worksheet_write_number(ws, row, 2, money(c, s->monetary_minor), c->f.money));
		TRY(worksheet_write_number(ws, row, 3, s->recency_days, c->f.dec1));
		TRY(worksheet_write_number(ws, row, 4, s->frequency, c->f.dec1));
	}
	return finish_table(c, ws, n, 5, 0);
}

#define DETAIL_COLS 7

static lxw_worksheet *detail_sheet_new(struct ctx *c, unsigned number)
{
	static const char *const head[DETAIL_COLS] = { "Date", "Order", "Customer", "SKU",
						       "Product", "Qty", "Amount" };
	static const double widths[DETAIL_COLS] = { 12, 12, 12, 16, 32, 6, 14 };
	char name[32];
	lxw_worksheet *ws;

	if (number == 1)
		snprintf(name, sizeof(name), "Detail");
	else
		snprintf(name, sizeof(name), "Detail %u", number);
	if (!(ws = add_sheet(c, name)))
		return NULL;
	if (write_header(c, ws, 0, head, widths, DETAIL_COLS) < 0)
		return NULL;
	return ws;
}

/*
 * The detail lines, in as many sheets as they need. This is the loop that
 * sees a million rows: formats are made beforehand, a day's serial number
 * is worked out once per run of lines on that day, and each cell is one
 * libxlsxwriter call.
 */
static int detail_sheets(struct ctx *c, uint32_t max_rows)
{
	const struct xl_report *r = c->r;
	lxw_format *date_fmt = c->f.date, *money_fmt = c->f.money;
	lxw_worksheet *ws = NULL;
	lxw_row_t row = 0;
	unsigned nsheets = 0;
	struct xl_report_line line;
	struct xl_date day = { 0, 0, 0 };
	double serial = -1;
	int ret;

	for (;;) {
		memset(&line, 0, sizeof(line));
		ret = r->next_line(r->next_line_arg, &line, c->err);
		if (ret < 0)
			return ret;
		if (ret == 0)
			break;
		if (!ws || row == max_rows) {
			if (ws && (ret = finish_table(c, ws, row, DETAIL_COLS, 1)) < 0)
				return ret;
			if (!(ws = detail_sheet_new(c, ++nsheets)))
				return -XL_EIO;
			row = 0;
		}
		row++;
		if (line.day.day != day.day || line.day.month != day.month ||
		    line.day.year != day.year) {
			day = line.day;
			serial = excel_day(day);
		}
		if (serial >= 0)
			TRY(worksheet_write_number(ws, row, 0, serial, date_fmt));
		TRY(worksheet_write_number(ws, row, 1, (double)line.order_id, NULL));
		TRY(worksheet_write_number(ws, row, 2, (double)line.user_id, NULL));
		if (line.sku && *line.sku)
			TRY(worksheet_write_string(ws, row, 3, line.sku, NULL));
		if (line.name && *line.name)
			TRY(worksheet_write_string(ws, row, 4, line.name, NULL));
		TRY(worksheet_write_number(ws, row, 5, (double)line.qty, NULL));
		TRY(worksheet_write_number(ws, row, 6, money(c, line.amount_minor), money_fmt));
	}
	if (!ws && !(ws = detail_sheet_new(c, 1)))
		return -XL_EIO;
	return finish_table(c, ws, row, DETAIL_COLS, 1);
}

/*
 * Drop a workbook that will not be written. lxw_workbook_free() leaves the
 * constant-memory temporary files open, so close them first.
 */
static void discard(lxw_workbook *wb)
{
	lxw_worksheet *ws;

	LXW_FOREACH_WORKSHEET(ws, wb) {
		if (ws->optimize_tmpfile)
			fclose(ws->optimize_tmpfile);
		ws->optimize_tmpfile = NULL;
		ws->file = NULL;
	}
	lxw_workbook_free(wb);
}

/*
 * The sheets are all added first, in their order, and filled in later: in
 * constant-memory mode only the rows within one sheet must come in order,
 * so the detail is written while its facts are read, and the sheets that
 * sum them once the finish hook has run.
 */
static int write_sheets(struct ctx *c, uint32_t max_rows)
{
	static const char *const names[] = { "Summary", "Trend", "Top products", "Categories",
					     "RFM segments" };
	lxw_worksheet *ws[5];
	int ret;

	if ((ret = make_formats(c)) < 0)
		return ret;
	for (size_t i = 0; i < 5; i++)
		if (!(ws[i] = add_sheet(c, names[i])))
			return -XL_EIO;
	if (c->r->next_line && (ret = detail_sheets(c, max_rows)) < 0)
		return ret;
	if (c->r->finish && (ret = c->r->finish(c->r->finish_arg, c->err)) < 0)
		return ret;
	if ((ret = summary_sheet(c, ws[0])) < 0 || (ret = trend_sheet(c, ws[1])) < 0 ||
	    (ret = top_sheet(c, ws[2])) < 0 || (ret = categories_sheet(c, ws[3])) < 0 ||
	    (ret = segments_sheet(c, ws[4])) < 0)
		return ret;
	return 0;
}

int xl_xlsx_report_write_opt(const struct xl_report *r, const char *path,
			     uint32_t max_rows_per_sheet, struct xl_err *err)
{
	struct ctx c = { .r = r, .path = path, .err = err };
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE };
	lxw_doc_properties props = { 0 };
	const char *tmpdir = getenv("TMPDIR");
	lxw_error e;
	FILE *probe;
	int ret;

	if (max_rows_per_sheet == 0 || max_rows_per_sheet > XL_XLSX_MAX_ROWS)
		max_rows_per_sheet = XL_XLSX_MAX_ROWS;
	if ((ret = money_format(&c)) < 0)
		return ret;
	/*
	 * libxlsxwriter opens path only at the end, after all the rows, and
	 * then reports a failure with a vague code and a line on stderr. Find
	 * out now, with errno.
	 */
	if (!(probe = fopen(path, "wb")))
		return xl_err_set(err, XL_ECANTCREAT, "cannot create '%s': %s", path,
				  strerror(errno));
	fclose(probe);

	if (tmpdir && *tmpdir)
		opt.tmpdir = (char *)tmpdir;
	if (!(c.wb = workbook_new_opt(path, &opt)))
		return xl_err_set(err, XL_EIO, "cannot write '%s': out of memory", path);
	props.title = (char *)r->title;
	props.author = (char *)"xlcfi";
	props.created = (time_t)(r->generated_us / XL_TIME_US_PER_SEC);
	workbook_set_properties(c.wb, &props);

	if ((ret = write_sheets(&c, max_rows_per_sheet)) < 0) {
		discard(c.wb);
		return ret;
	}
	/* workbook_close() frees the workbook whatever happens. */
	if ((e = workbook_close(c.wb)) != LXW_NO_ERROR)
		return xlsx_fail(&c, e);
	return 0;
}

int xl_xlsx_report_write(const struct xl_report *r, const char *path, struct xl_err *err)
{
	return xl_xlsx_report_write_opt(r, path, XL_XLSX_MAX_ROWS, err);
}
