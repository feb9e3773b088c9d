#ifndef XL_PERIOD_H
#define XL_PERIOD_H

#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"
#include "xl_time.h"

/*
 * Reporting periods of Asia/Seoul days: days, ISO weeks (Monday to
 * Sunday, numbered by the ISO year of their Thursday) and calendar
 * months. A day is a count of days since 1970-01-01 (xl_date_to_days); a
 * period is named by its first day. None of these can fail except _parse.
 */
enum xl_period {
	XL_PERIOD_DAY,
	XL_PERIOD_WEEK,
	XL_PERIOD_MONTH
};

/* "day", "week" or "month". 0, or -XL_EINVAL naming the accepted words. */
int xl_period_parse(const char *s, enum xl_period *p, struct xl_err *err);

/* "day", "week", "month". */
const char *xl_period_name(enum xl_period p);

/* The first day of the period that day falls in. */
int64_t xl_period_start(enum xl_period p, int64_t day);

/* The first day of the next period, given a period's first day. */
int64_t xl_period_next(enum xl_period p, int64_t start);

/* The last day of a period, given its first day. */
int64_t xl_period_last(enum xl_period p, int64_t start);

/* Its label: "2026-11-25", "2026-W48", "2026-11". buf needs XL_PERIOD_LABELSZ bytes. */
#define XL_PERIOD_LABELSZ 16
void xl_period_label(enum xl_period p, int64_t start, char *buf, size_t size);

/* The Asia/Seoul day of an instant (microseconds since the epoch). */
int64_t xl_period_seoul_day(int64_t us);

/* Months since year 0 (year * 12 + month - 1) of a day, and the day a month index begins. */
int64_t xl_period_month_index(int64_t day);
int64_t xl_period_month_day(int64_t month_index);

/* "YYYY-MM" of a month index. buf needs XL_PERIOD_LABELSZ bytes. */
void xl_period_month_label(int64_t month_index, char *buf, size_t size);

#endif
