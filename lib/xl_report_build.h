#ifndef XL_REPORT_BUILD_H
#define XL_REPORT_BUILD_H

#include <jansson.h>
#include <stdint.h>

#include "xl_db.h"
#include "xl_err.h"
#include "xl_report.h"

/*
 * Builds a struct xl_report for a period from the order_lines facts (the
 * database, or order_lines records one at a time), with xl_analyze doing
 * the sums, and writes it as xlsx, csv or html, atomically.
 *
 *   period     the days first..last (inclusive, Asia/Seoul);
 *   previous   the period of the same kind just before (the week before,
 *              the month before, or as many days just before a range);
 *   trend      per day when the period is up to 92 days long, else per week;
 *   top        the 10 best products by revenue; categories; RFM segments
 *              of every buyer up to the period's last day;
 *   detail     every sold order line of the period: in time order (then
 *              order id and line number) from the database, in input order
 *              from records.
 * From records, the facts are summed as they are added and the detail is
 * spooled to a temporary file (memory stays flat), then written. From the
 * database, the report is written while its facts stream in: one pass over
 * the facts of both periods, in time order, writes the detail and feeds
 * the sums, and the other sheets follow; meanwhile a second connection
 * sums the segments in SQL. Both read one REPEATABLE READ snapshot, so the
 * sheets agree, and memory stays flat.
 */

enum xl_report_kind {
	XL_REPORT_WEEKLY,
	XL_REPORT_MONTHLY,
	XL_REPORT_RANGE
};

enum xl_report_format {
	XL_REPORT_XLSX,
	XL_REPORT_CSV,
	XL_REPORT_HTML
};

struct xl_report_build;

/*
 * The period of a report: for weekly and monthly, the week or month that
 * holds day (days since 1970-01-01); for range, from..to (both needed).
 * Fills *first and *last. -XL_EINVAL when a range has no bounds or they are
 * the wrong way round.
 */
int xl_report_period(enum xl_report_kind kind, int64_t day, int64_t from, int64_t to, int64_t *first,
		     int64_t *last, struct xl_err *err);

/* A new report of first..last (days). Free with xl_report_build_free (accepts NULL). */
struct xl_report_build *xl_report_build_new(enum xl_report_kind kind, int64_t first, int64_t last);
void xl_report_build_free(struct xl_report_build *b);

/* Records source: one order_lines record. 0, or as xl_analyze_add; -XL_EIO when spooling fails. */
int xl_report_build_add(struct xl_report_build *b, const json_t *rec, struct xl_err *err);

/*
 * Database source: opens the snapshot on db (no transaction may be open
 * on it; db stays the caller's and must outlive b) and a second connection
 * like it, which starts summing the segments. The facts are read by
 * xl_report_build_write. 0, or an error as xl_db_exec or xl_db_connect.
 */
int xl_report_build_load(struct xl_report_build *b, struct xl_db *db, struct xl_err *err);

/*
 * After the adds, or once after the load, write the report to path
 * atomically (a temporary file renamed over it: a failure leaves no
 * partial file). CSV is the detail lines, UTF-8 with a BOM and CRLF line
 * ends for Excel, or CP949 when cp949 is set. 0, -XL_ECANTCREAT, -XL_EIO,
 * -XL_ERANGE when a sum overflows, or the database's error.
 */
int xl_report_build_write(struct xl_report_build *b, enum xl_report_format format, const char *path, int cp949,
			  struct xl_err *err);

/* Rows the last write put in its detail (xlsx, csv). */
uint64_t xl_report_build_lines(const struct xl_report_build *b);

/* Characters a CP949 CSV could not hold, written as '?'. */
uint64_t xl_report_build_replaced(const struct xl_report_build *b);

#endif
