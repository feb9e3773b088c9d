#include "xl_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "xl_banned.h"

int64_t xl_time_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * XL_TIME_US_PER_SEC + ts.tv_nsec / 1000;
}

int64_t xl_time_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * XL_TIME_US_PER_SEC + ts.tv_nsec / 1000;
}

/* Howard Hinnant's days_from_civil / civil_from_days, valid for any int year. */
int64_t xl_date_to_days(struct xl_date d)
{
	int64_t y = d.year - (d.month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t mp = (d.month + 9) % 12;
	int64_t doy = (153 * mp + 2) / 5 + d.day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

struct xl_date xl_date_from_days(int64_t z)
{
	struct xl_date d;
	int64_t era, doe, yoe, doy, mp, y;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d.day = (int)(doy - (153 * mp + 2) / 5 + 1);
	d.month = (int)(mp < 10 ? mp + 3 : mp - 9);
	d.year = (int)(y + (d.month <= 2));
	return d;
}

static int is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : mdays[m - 1];
}

int xl_date_valid(struct xl_date d)
{
	return d.year >= 1 && d.year <= 9999 && d.month >= 1 && d.month <= 12 &&
	       d.day >= 1 && d.day <= days_in_month(d.year, d.month);
}

/* Read exactly n digits at *p, advancing it. -1 if they are not all digits. */
static int digits(const char **p, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (c - '0');
	}
	*p += n;
	return v;
}

static int parse_date_part(const char **p, struct xl_date *d, const char *s, struct xl_err *err)
{
	d->year = digits(p, 4);
	if (d->year < 0 || **p != '-')
		return xl_err_set(err, XL_EINVAL, "invalid date '%s': expected YYYY-MM-DD", s);
	(*p)++;
	d->month = digits(p, 2);
	if (d->month < 0 || **p != '-')
		return xl_err_set(err, XL_EINVAL, "invalid date '%s': expected YYYY-MM-DD", s);
	(*p)++;
	d->day = digits(p, 2);
	if (d->day < 0)
		return xl_err_set(err, XL_EINVAL, "invalid date '%s': expected YYYY-MM-DD", s);
	if (!xl_date_valid(*d))
		return xl_err_set(err, XL_EINVAL, "invalid date '%s': no such day", s);
	return 0;
}

int xl_date_parse(const char *s, struct xl_date *d, struct xl_err *err)
{
	const char *p = s;
	struct xl_date tmp;
	int ret = parse_date_part(&p, &tmp, s, err);

	if (ret < 0)
		return ret;
	if (*p)
		return xl_err_set(err, XL_EINVAL, "invalid date '%s': trailing characters", s);
	*d = tmp;
	return 0;
}

int xl_time_parse(const char *s, int64_t *us, struct xl_err *err)
{
	const char *p = s;
	struct xl_date d = { -1, -1, -1 };
	int hh, mm, ss, off = 0;
	int64_t frac = 0, t;
	int leap = 0, ret = parse_date_part(&p, &d, s, err);

	if (ret < 0 && d.year >= 0 && d.month >= 0 && d.day >= 0)
		return xl_err_set(err, XL_EINVAL, "invalid timestamp '%s': no such day", s);
	if (ret < 0)
		return xl_err_set(err, XL_EINVAL, "invalid timestamp '%s': expected RFC 3339 like 2026-01-01T15:30:00Z", s);
	if (*p != 'T' && *p != 't' && *p != ' ')
		return xl_err_set(err, XL_EINVAL, "invalid timestamp '%s': expected 'T' after the date", s);
	p++;
	hh = digits(&p, 2);
	if (hh < 0 || *p++ != ':')
		goto bad_time;
	mm = digits(&p, 2);
	if (mm < 0 || *p++ != ':')
		goto bad_time;
	ss = digits(&p, 2);
	if (ss == 60 && hh == 23 && mm == 59) {
		leap = 1;
		ss = 59;
	}
	if (ss < 0 || hh > 23 || mm > 59 || ss > 59)
		goto bad_time;
	if (*p == '.') {
		int n = 0;

		p++;
		if (*p < '0' || *p > '9')
			goto bad_time;
		for (; *p >= '0' && *p <= '9'; p++, n++)
			if (n < 6)
				frac = frac * 10 + (*p - '0');
		for (; n < 6; n++)
			frac *= 10;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1;
		int oh = digits(&p, 2), om;

		if (oh < 0 || *p++ != ':')
			goto bad_zone;
		om = digits(&p, 2);
		if (om < 0 || oh > 23 || om > 59)
			goto bad_zone;
		off = sign * (oh * 60 + om);
	} else {
		goto bad_zone;
	}
	if (*p)
		return xl_err_set(err, XL_EINVAL, "invalid timestamp '%s': trailing characters", s);
	t = xl_date_to_days(d) * 86400 + hh * 3600 + mm * 60 + ss - (int64_t)off * 60;
	*us = t * XL_TIME_US_PER_SEC + (leap ? XL_TIME_US_PER_SEC - 1 : frac);
	return 0;
bad_time:
	return xl_err_set(err, XL_EINVAL, "invalid timestamp '%s': expected time HH:MM:SS[.frac]", s);
bad_zone:
	return xl_err_set(err, XL_EINVAL, "invalid timestamp '%s': expected 'Z' or an offset like +09:00", s);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

int xl_time_format(char *buf, size_t size, int64_t us, int offset_min, int frac_digits)
{
	int64_t local = us + (int64_t)offset_min * 60 * XL_TIME_US_PER_SEC;
	int64_t days = floor_div(local, XL_TIME_US_PER_DAY);
	int64_t rem = local - days * XL_TIME_US_PER_DAY;
	int64_t secs = rem / XL_TIME_US_PER_SEC, sub = rem % XL_TIME_US_PER_SEC;
	struct xl_date d = xl_date_from_days(days);
	char frac[16] = "", zone[16] = "Z";

	if (frac_digits == 3)
		snprintf(frac, sizeof(frac), ".%03d", (int)(sub / 1000));
	else if (frac_digits == 6)
		snprintf(frac, sizeof(frac), ".%06d", (int)sub);
	if (offset_min) {
		int a = offset_min < 0 ? -offset_min : offset_min;

		snprintf(zone, sizeof(zone), "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
	}
	return snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%s%s", d.year, d.month, d.day,
			(int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), frac, zone);
}

int xl_date_format(char *buf, size_t size, struct xl_date d)
{
	return snprintf(buf, size, "%04d-%02d-%02d", d.year, d.month, d.day);
}

struct xl_date xl_time_seoul_date(int64_t us)
{
	int64_t local = us + (int64_t)XL_TIME_SEOUL_OFFSET_MIN * 60 * XL_TIME_US_PER_SEC;

	return xl_date_from_days(floor_div(local, XL_TIME_US_PER_DAY));
}

int64_t xl_time_seoul_day_start(struct xl_date d)
{
	return xl_date_to_days(d) * XL_TIME_US_PER_DAY -
	       (int64_t)XL_TIME_SEOUL_OFFSET_MIN * 60 * XL_TIME_US_PER_SEC;
}

int xl_date_weekday(struct xl_date d)
{
	/* 1970-01-01 was a Thursday (ISO 4). */
	int64_t w = (xl_date_to_days(d) + 3) % 7;

	if (w < 0)
		w += 7;
	return (int)w + 1;
}

struct xl_date xl_date_week_start(struct xl_date d)
{
	return xl_date_from_days(xl_date_to_days(d) - (xl_date_weekday(d) - 1));
}

struct xl_date xl_date_month_start(struct xl_date d)
{
	d.day = 1;
	return d;
}

void xl_date_iso_week(struct xl_date d, int *iso_year, int *week)
{
	/* The ISO week belongs to the year its Thursday falls in. */
	int64_t thursday = xl_date_to_days(d) - xl_date_weekday(d) + 4;
	struct xl_date th = xl_date_from_days(thursday);
	struct xl_date jan1 = { th.year, 1, 1 };

	*iso_year = th.year;
	*week = (int)((thursday - xl_date_to_days(jan1)) / 7) + 1;
}

int xl_date_format_week(char *buf, size_t size, struct xl_date d)
{
	int y, w;

	xl_date_iso_week(d, &y, &w);
	return snprintf(buf, size, "%04d-W%02d", y, w);
}

int xl_date_format_month(char *buf, size_t size, struct xl_date d)
{
	return snprintf(buf, size, "%04d-%02d", d.year, d.month);
}
