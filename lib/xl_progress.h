#ifndef XL_PROGRESS_H
#define XL_PROGRESS_H

#include <stdint.h>
#include <stdio.h>

/*
 * A one-line progress display for long work: "label: 120000 records,
 * 45000/s, 40%, ETA 0:12". It redraws at most 5 times a second with a
 * carriage return, and clears itself at the end.
 *
 * The command decides whether to show it: pass the stream to draw on
 * (stderr when it is a terminal and -q was not given) or NULL to disable;
 * xl_progress_stream() makes that choice the standard way.
 */
struct xl_progress {
	FILE *out;            /* NULL = disabled; not owned */
	const char *label;    /* borrowed */
	uint64_t total;       /* 0 = unknown */
	uint64_t count;
	uint64_t bytes;       /* input read so far, when known */
	uint64_t total_bytes; /* input size, 0 = unknown; gives the percentage and ETA */
	int64_t start_us, last_us;
	int drawn;
};

/* stderr if it is a terminal and the log level is not quiet, else NULL. */
FILE *xl_progress_stream(void);

/* Start. total 0 means unknown (no percentage or ETA). Cannot fail. */
void xl_progress_init(struct xl_progress *p, FILE *out, const char *label, uint64_t total);

/* Add n to the count and redraw if it is time. Cheap when disabled. */
void xl_progress_add(struct xl_progress *p, uint64_t n);

/*
 * Set the count and the bytes read of total_bytes (0 = unknown) and
 * redraw if it is time: for readers that know their input's size.
 */
void xl_progress_set(struct xl_progress *p, uint64_t count, uint64_t bytes, uint64_t total_bytes);

/*
 * Draw the line now, however recently it was drawn: before a long step
 * that sends no updates (an import's database work once its input is read).
 */
void xl_progress_draw(struct xl_progress *p);

/* Erase the line. Call before printing anything else and at the end. */
void xl_progress_done(struct xl_progress *p);

/*
 * Format the line into buf (for tests and the redraw); now_us is the
 * current time. Returns the length.
 */
int xl_progress_format(const struct xl_progress *p, int64_t now_us, char *buf, size_t size);

#endif
