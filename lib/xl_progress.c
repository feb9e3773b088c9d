#include "xl_progress.h"

#include <unistd.h>

#include "xl_log.h"
#include "xl_time.h"
#include "xl_banned.h"

#define REDRAW_US (XL_TIME_US_PER_SEC / 5)

FILE *xl_progress_stream(void)
{
	if (xl_log_level() < XL_LOG_WARN || !isatty(STDERR_FILENO))
		return NULL;
	return stderr;
}

void xl_progress_init(struct xl_progress *p, FILE *out, const char *label, uint64_t total)
{
	p->out = out;
	p->label = label;
	p->total = total;
	p->count = 0;
	p->bytes = p->total_bytes = 0;
	p->start_us = p->last_us = xl_time_mono();
	p->drawn = 0;
}

int xl_progress_format(const struct xl_progress *p, int64_t now_us, char *buf, size_t size)
{
	double secs = (double)(now_us - p->start_us) / 1e6;
	double rate = secs > 0 ? (double)p->count / secs : 0;
	int n = snprintf(buf, size, "%s: %llu records, %.0f/s", p->label,
			 (unsigned long long)p->count, rate);

	if (p->total_bytes && n >= 0 && (size_t)n < size) {
		double secs_left = p->bytes && p->bytes < p->total_bytes ?
			secs * (double)(p->total_bytes - p->bytes) / (double)p->bytes : 0;
		long eta = (long)(secs_left + 0.5);

		n += snprintf(buf + n, size - (size_t)n, ", %.1f of %.1f MB, %d%%, ETA %ld:%02ld",
			      (double)p->bytes / 1e6, (double)p->total_bytes / 1e6,
			      (int)(p->bytes >= p->total_bytes ? 100 : p->bytes * 100 / p->total_bytes),
			      eta / 60, eta % 60);
	} else if (p->total && n >= 0 && (size_t)n < size) {
		uint64_t left = p->total > p->count ? p->total - p->count : 0;
		long eta = rate > 0 ? (long)((double)left / rate + 0.5) : -1;
		int pct = (int)(p->count >= p->total ? 100 : p->count * 100 / p->total);

		if (eta >= 0)
			n += snprintf(buf + n, size - (size_t)n, ", %d%%, ETA %ld:%02ld",
				      pct, eta / 60, eta % 60);
		else
			n += snprintf(buf + n, size - (size_t)n, ", %d%%", pct);
	}
	return n;
}

static void redraw(struct xl_progress *p);
void xl_progress_set(struct xl_progress *p, uint64_t count, uint64_t bytes, uint64_t total_bytes)
{
	p->count = count;
	p->bytes = bytes;
	p->total_bytes = total_bytes;
	redraw(p);
}

void xl_progress_add(struct xl_progress *p, uint64_t n)
{
	p->count += n;
	redraw(p);
}

static void draw(struct xl_progress *p, int64_t now)
{
	char line[200];

	p->last_us = now;
	xl_progress_format(p, now, line, sizeof(line));
	fprintf(p->out, "\r\033[K%s", line);
	fflush(p->out);
	p->drawn = 1;
}

static void redraw(struct xl_progress *p)
{
	int64_t now;

	if (!p->out)
		return;
	now = xl_time_mono();
	if (now - p->last_us >= REDRAW_US)
		draw(p, now);
}

void xl_progress_draw(struct xl_progress *p)
{
	if (p->out)
		draw(p, xl_time_mono());
}

void xl_progress_done(struct xl_progress *p)
{
	if (p->out && p->drawn) {
		fputs("\r\033[K", p->out);
		fflush(p->out);
	}
	p->drawn = 0;
}
