#ifndef XL_TIME_H
#define XL_TIME_H

#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"

/*
 * Instants, calendar days and business buckets, without the C library's
 * time zone machinery: results never depend on the machine's TZ.
 *
 * An instant is an int64_t count of microseconds since
 * 1970-01-01T00:00:00Z (a "us" parameter). Business days are Asia/Seoul
 * days: Korea has kept UTC+09:00 without daylight saving since
 * 1988-10-09, so a fixed offset is exact for every date this platform
 * sees. Dates before then are bucketed at +09:00 as well.
 */

#define XL_TIME_SEOUL_OFFSET_MIN (9 * 60)
#define XL_TIME_US_PER_SEC INT64_C(1000000)
#define XL_TIME_US_PER_DAY (INT64_C(86400) * XL_TIME_US_PER_SEC)

/* A proleptic Gregorian calendar date; month 1-12, day 1-31. */
struct xl_date {
	int year;
	int month;
	int day;
};

/* Size of the buffers the format functions need, with room to spare. */
#define XL_TIME_BUFSZ 40

/* The current instant from the real-time clock. Cannot fail. */
int64_t xl_time_now(void);

/*
 * Microseconds on a clock that never jumps (CLOCK_MONOTONIC), for timeouts
 * and rates: only differences mean anything. Cannot fail.
 */
int64_t xl_time_mono(void);

/*
 * Parse an RFC 3339 timestamp: "2026-01-01T15:30:00Z",
 * "2026-01-02T00:30:00.25+09:00"; 't' or a space may replace 'T' and 'z'
 * may replace 'Z'. A time zone offset is required. Fractions beyond
 * microseconds are truncated. A leap second (23:59:60) is read as the
 * last microsecond of that minute. Returns 0, or -XL_EINVAL with a message that
 * says which part is wrong.
 */
int xl_time_parse(const char *s, int64_t *us, struct xl_err *err);

/*
 * Format us as RFC 3339 at the given UTC offset in minutes (0 writes "Z",
 * 540 writes "+09:00"). frac_digits is 0, 3 or 6. Returns the length; buf
 * needs XL_TIME_BUFSZ bytes.
 */
int xl_time_format(char *buf, size_t size, int64_t us, int offset_min, int frac_digits);

/* Days since 1970-01-01 of a date, and back. Cannot fail for valid dates. */
int64_t xl_date_to_days(struct xl_date d);
struct xl_date xl_date_from_days(int64_t days);

/* 1 if the date exists in the calendar (2026-02-29 does not), else 0. */
int xl_date_valid(struct xl_date d);

/* Parse "YYYY-MM-DD" exactly. 0 or -XL_EINVAL. */
int xl_date_parse(const char *s, struct xl_date *d, struct xl_err *err);

/* "YYYY-MM-DD". Returns the length; buf needs XL_TIME_BUFSZ bytes. */
int xl_date_format(char *buf, size_t size, struct xl_date d);

/* The Asia/Seoul calendar day an instant falls on. */
struct xl_date xl_time_seoul_date(int64_t us);

/* The instant at which an Asia/Seoul day begins (00:00 KST). */
int64_t xl_time_seoul_day_start(struct xl_date d);

/* ISO weekday, 1 = Monday ... 7 = Sunday. */
int xl_date_weekday(struct xl_date d);

/*
 * ISO 8601 week of a date: *iso_year may differ from d.year near New Year
 * (2027-01-01 is in week 53 of 2026).
 */
void xl_date_iso_week(struct xl_date d, int *iso_year, int *week);

/* The Monday that starts d's ISO week, and the first day of d's month. */
struct xl_date xl_date_week_start(struct xl_date d);
struct xl_date xl_date_month_start(struct xl_date d);

/* Bucket labels: "2026-W01" (ISO week) and "2026-01" (month). */
int xl_date_format_week(char *buf, size_t size, struct xl_date d);
int xl_date_format_month(char *buf, size_t size, struct xl_date d);

#endif
