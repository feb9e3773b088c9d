#ifndef XL_METRICS_H
#define XL_METRICS_H

#include <stddef.h>

#include "xl_err.h"

/*
 * Metrics for the Prometheus node_exporter textfile collector, written by
 * batch jobs at the end of a run. The file is replaced atomically (a
 * temporary file in the same directory, fsync, rename), so the collector
 * never reads half a file.
 */
struct xl_metrics;

enum xl_metric_type {
	XL_METRIC_GAUGE = 0,
	XL_METRIC_COUNTER = 1
};

/* A new, empty set; yours to xl_metrics_free(). Cannot fail. */
struct xl_metrics *xl_metrics_new(void);

/* Free the set. Accepts NULL. */
void xl_metrics_free(struct xl_metrics *m);

/*
 * Set a sample. name must match [a-zA-Z_:][a-zA-Z0-9_:]*; labels is NULL
 * or preformatted label pairs without braces (`job="etl"`), with values
 * escaped by the caller via xl_metrics_escape. The first sample of a name
 * fixes its help text and type. 0 or -XL_EINVAL for a bad name.
 */
int xl_metrics_set(struct xl_metrics *m, const char *name, const char *help,
		   enum xl_metric_type type, const char *labels, double value);

/* Escape a label value (\\, \", \n) into buf. Returns the length. */
size_t xl_metrics_escape(char *buf, size_t size, const char *value);

/* Write all samples to path atomically. 0, -XL_ECANTCREAT or -XL_EIO. */
int xl_metrics_write(const struct xl_metrics *m, const char *path, struct xl_err *err);

#endif
