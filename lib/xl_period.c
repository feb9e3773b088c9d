#include "xl_period.h"

#include <stdio.h>
#include <string.h>

#include "xl_banned.h"

int xl_period_parse(const char *s, enum xl_period *p, struct xl_err *err)
{
	if (!strcmp(s, "day"))
		*p = XL_PERIOD_DAY;
	else if (!strcmp(s, "week"))
		*p = XL_PERIOD_WEEK;
	else if (!strcmp(s, "month"))
		*p = XL_PERIOD_MONTH;
	else
		return xl_err_set(err, XL_EINVAL, "'%s' is not a period (day, week or month)", s);
	return 0;
}

const char *xl_period_name(enum xl_period p)
{
	return p == XL_PERIOD_DAY ? "day" : p == XL_PERIOD_WEEK ? "week" : "month";
}

int64_t xl_period_month_index(int64_t day)
{
	struct xl_date d = xl_date_from_days(day);

	return (int64_t)d.year * 12 + d.month - 1;
}

int64_t xl_period_month_day(int64_t month_index)
{
	struct xl_date d = { (int)(month_index / 12), (int)(month_index % 12) + 1, 1 };

	return xl_date_to_days(d);
}

int64_t xl_period_start(enum xl_period p, int64_t day)
{
	switch (p) {
	case XL_PERIOD_WEEK:
		return day - (xl_date_weekday(xl_date_from_days(day)) - 1);
	case XL_PERIOD_MONTH:
		return xl_period_month_day(xl_period_month_index(day));
	default:
		return day;
	}
}

int64_t xl_period_next(enum xl_period p, int64_t start)
{
	switch (p) {
	case XL_PERIOD_WEEK:
		return start + 7;
	case XL_PERIOD_MONTH:
		return xl_period_month_day(xl_period_month_index(start) + 1);
	default:
		return start + 1;
	}
}

int64_t xl_period_last(enum xl_period p, int64_t start)
{
	return xl_period_next(p, start) - 1;
}

void xl_period_month_label(int64_t month_index, char *buf, size_t size)
{
	snprintf(buf, size, "%04d-%02d", (int)(month_index / 12), (int)(month_index % 12) + 1);
}

void xl_period_label(enum xl_period p, int64_t start, char *buf, size_t size)
{
	struct xl_date d = xl_date_from_days(start), thu;
	int64_t jan1;

	switch (p) {
	case XL_PERIOD_WEEK:
		/* The ISO year is the Thursday's; week 1 holds its first Thursday. */
		thu = xl_date_from_days(start + 3);
		jan1 = xl_date_to_days((struct xl_date){ thu.year, 1, 1 });
		snprintf(buf, size, "%04d-W%02d", thu.year, (int)((start + 3 - jan1) / 7 + 1));
		break;
	case XL_PERIOD_MONTH:
		xl_period_month_label(xl_period_month_index(start), buf, size);
		break;
	default:
		snprintf(buf, size, "%04d-%02d-%02d", d.year, d.month, d.day);
		break;
	}
}

int64_t xl_period_seoul_day(int64_t us)
{
	return xl_date_to_days(xl_time_seoul_date(us));
}
