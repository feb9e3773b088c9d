#ifndef XL_XLSX_H
#define XL_XLSX_H

#include <stdint.h>

#include "xl_err.h"
#include "xl_report.h"

/*
 * A sales report (lib/xl_report.h) as an Excel workbook, written with
 * libxlsxwriter in constant-memory mode: rows go to temporary files (in
 * $TMPDIR, else the C library's default) as they are written, so memory
 * stays flat however many detail lines there are.
 *
 * Sheets, in order: "Summary" (title, period, generation time in Asia/Seoul,
 * and the KPIs of this and the previous period with the change), "Trend"
 * (with a line chart of net revenue), "Top products" (bar chart of
 * revenue), "Categories" (doughnut chart of revenue), "RFM segments", and,
 * when r->next_line is set, "Detail", "Detail 2", ... holding the order
 * lines, a new sheet whenever one is full. The sheets are added first and
 * the detail written before the others, so r->finish (when set) runs after
 * the last detail line and before any sum is read. Days are real Excel dates, money
 * is a number in major units (KRW: won) with a currency number format,
 * shares and changes are percentages (a change is against the size of the
 * previous value, and blank when that is 0). Tables have a bold, frozen
 * header row; Trend, Top products and the detail sheets also carry an
 * autofilter. An empty array gives a sheet with only its header and no
 * chart.
 */

/* Excel's limit of 1,048,576 rows, less the header row. */
#define XL_XLSX_MAX_ROWS UINT32_C(1048575)

/*
 * Write r as an .xlsx file at path, creating or truncating it (the caller
 * writes to a temporary name and renames it into place). r and everything
 * it points to are only read.
 *
 * max_rows_per_sheet is how many detail lines a detail sheet holds before
 * the next one starts; 0, or anything above XL_XLSX_MAX_ROWS, means
 * XL_XLSX_MAX_ROWS. Tests lower it to see the rollover.
 *
 * Returns 0, or:
 *  -XL_ECANTCREAT when path cannot be created (the message has strerror);
 *  -XL_EINVAL for a currency xl_money_exponent does not know;
 *  -XL_EIO when libxlsxwriter fails (the message names path and has
 *   lxw_strerror), a temporary file included;
 *  whatever negative code r->next_line or r->finish returned, with the
 *   message it set.
 * On failure path may be missing, empty or partly written; the caller
 * removes it. libxlsxwriter itself may print a line to stderr for a
 * failure it meets (it has no way to turn that off).
 */
int xl_xlsx_report_write_opt(const struct xl_report *r, const char *path,
			     uint32_t max_rows_per_sheet, struct xl_err *err);

/* xl_xlsx_report_write_opt with Excel's own row limit. */
int xl_xlsx_report_write(const struct xl_report *r, const char *path, struct xl_err *err);

#endif
