/*
 * The bare loop of scripts/bench-report.sh: the order lines of a CSV file
 * (as psql \copy ... CSV writes them: date, order id, customer id, SKU,
 * product name, qty, amount in won) written as the cells of xlcfi-report's
 * detail sheet with libxlsxwriter in constant-memory mode, and nothing else.
 * The same header, column widths, frozen header row, autofilter, date and
 * money formats, and a new sheet every 1,048,575 lines; the other sheets of
 * the report, and its database queries, are left out. This is the limit a
 * report writer on libxlsxwriter can get near.
 *
 * usage: xlsx_loop IN.csv OUT.xlsx
 * build: cc -O2 -o xlsx_loop xlsx_loop.c $(pkg-config --cflags --libs xlsxwriter)
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xlsxwriter.h>

#define NCOLS 7
#define MAX_ROWS 1048575u /* Excel's 1,048,576 rows less the header */

static const char *out_path;

static void die(const char *what, lxw_error e)
{
	fprintf(stderr, "xlsx_loop: %s: %s\n", what, e == LXW_NO_ERROR ? "failed" : lxw_strerror(e));
	exit(1);
}

#define TRY(call) \
	do { \
		lxw_error e_ = (call); \
		if (e_ != LXW_NO_ERROR) \
			die(out_path, e_); \
	} while (0)

/*
 * Split a CSV line in place into n fields: quoted fields ("" for a quote)
 * are unquoted, the line's end is dropped. Returns the number of fields.
 */
static int split(char *s, char **f, int n)
{
	int k = 0;

	while (k < n) {
		char *w = s;

		f[k++] = w;
		if (*s == '"') {
			s++;
			for (;;) {
				if (*s == '"' && s[1] == '"') {
					*w++ = '"';
					s += 2;
				} else if (*s == '"') {
					s++;
					break;
				} else if (!*s) {
					break;
				} else {
					*w++ = *s++;
				}
			}
		} else {
			while (*s && *s != ',' && *s != '\n' && *s != '\r')
				*w++ = *s++;
		}
		if (*s != ',') {
			*w = '\0';
			break;
		}
		s++;
		*w = '\0';
	}
	return k;
}

/* Days from 1970-01-01 to a proleptic Gregorian day (Howard Hinnant's days_from_civil). */
static long days_from_civil(long y, long m, long d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static lxw_worksheet *new_sheet(lxw_workbook *wb, unsigned number, lxw_format *header)
{
	static const char *const head[NCOLS] = { "Date", "Order", "Customer", "SKU", "Product", "Qty",
						"Amount" };
	static const double widths[NCOLS] = { 12, 12, 12, 16, 32, 6, 14 };
	char name[32];
	lxw_worksheet *ws;

	if (number == 1)
		snprintf(name, sizeof(name), "Detail");
	else
		snprintf(name, sizeof(name), "Detail %u", number);
	if (!(ws = workbook_add_worksheet(wb, name)))
		die("cannot add a sheet", LXW_NO_ERROR);
	for (lxw_col_t c = 0; c < NCOLS; c++) {
		TRY(worksheet_write_string(ws, 0, c, head[c], header));
		TRY(worksheet_set_column(ws, c, c, widths[c], NULL));
	}
	return ws;
}

static void finish_sheet(lxw_worksheet *ws, lxw_row_t rows)
{
	worksheet_freeze_panes(ws, 1, 0);
	TRY(worksheet_autofilter(ws, 0, 0, rows, NCOLS - 1));
}

int main(int argc, char **argv)
{
	lxw_workbook_options opt = { .constant_memory = LXW_TRUE };
	const char *tmpdir = getenv("TMPDIR");
	lxw_workbook *wb;
	lxw_format *header, *date_fmt, *money_fmt;
	lxw_worksheet *ws = NULL;
	lxw_row_t row = 0;
	unsigned nsheets = 0;
	char *line = NULL, *f[NCOLS], prev_day[16] = "";
	size_t cap = 0;
	double serial = 0;
	FILE *in;

	if (argc != 3) {
		fprintf(stderr, "usage: xlsx_loop IN.csv OUT.xlsx\n");
		return 64;
	}
	out_path = argv[2];
	if (!(in = fopen(argv[1], "r"))) {
		perror(argv[1]);
		return 1;
	}
	if (tmpdir && *tmpdir)
		opt.tmpdir = (char *)tmpdir;
	if (!(wb = workbook_new_opt(out_path, &opt)))
		die(out_path, LXW_NO_ERROR);
	header = workbook_add_format(wb);
	format_set_bold(header);
	format_set_bottom(header, LXW_BORDER_THIN);
	format_set_bg_color(header, 0xD9E1F2);
	date_fmt = workbook_add_format(wb);
	format_set_num_format(date_fmt, "yyyy-mm-dd");
	money_fmt = workbook_add_format(wb);
	format_set_num_format(money_fmt, "\xE2\x82\xA9#,##0"); /* ₩#,##0 */

	while (getline(&line, &cap, in) > 0) {
		if (split(line, f, NCOLS) != NCOLS) {
			fprintf(stderr, "xlsx_loop: %s: a line without %d fields\n", argv[1], NCOLS);
			return 1;
		}
		if (!ws || row == MAX_ROWS) {
			if (ws)
				finish_sheet(ws, row);
			ws = new_sheet(wb, ++nsheets, header);
			row = 0;
		}
		row++;
		/* The day's serial number, worked out once per run of lines on that day. */
		if (strcmp(f[0], prev_day) != 0) {
			long y, m, d;

			if (sscanf(f[0], "%ld-%ld-%ld", &y, &m, &d) != 3) {
				fprintf(stderr, "xlsx_loop: %s: bad date '%s'\n", argv[1], f[0]);
				return 1;
			}
			serial = (double)(days_from_civil(y, m, d) + 25569); /* Excel's day 0 is 1899-12-30 */
			snprintf(prev_day, sizeof(prev_day), "%s", f[0]);
		}
		TRY(worksheet_write_number(ws, row, 0, serial, date_fmt));
		TRY(worksheet_write_number(ws, row, 1, (double)strtoll(f[1], NULL, 10), NULL));
		TRY(worksheet_write_number(ws, row, 2, (double)strtoll(f[2], NULL, 10), NULL));
		if (*f[3])
			TRY(worksheet_write_string(ws, row, 3, f[3], NULL));
		if (*f[4])
			TRY(worksheet_write_string(ws, row, 4, f[4], NULL));
		TRY(worksheet_write_number(ws, row, 5, (double)strtoll(f[5], NULL, 10), NULL));
		TRY(worksheet_write_number(ws, row, 6, (double)strtoll(f[6], NULL, 10), money_fmt));
	}
	if (ferror(in)) {
		perror(argv[1]);
		return 1;
	}
	fclose(in);
	free(line);
	if (!ws)
		ws = new_sheet(wb, 1, header);
	finish_sheet(ws, row);
	TRY(workbook_close(wb));
	return 0;
}
