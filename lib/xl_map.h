#ifndef XL_MAP_H
#define XL_MAP_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "xl_err.h"
#include "xl_jsonl.h"

/*
 * A record filter that uses every core: the calling thread reads lines and
 * writes results; worker threads parse each line, pass the record to fn
 * and serialise what fn keeps. Output keeps the input order. Memory stays
 * bounded: batches of at most 512 lines or 256 KiB (plus one line), and at
 * most 32 MiB of input text (plus one line) in flight, with its output.
 *
 * fn runs on worker threads, several at once: it may change the record it
 * is given but must not touch shared state without its own locking. It
 * returns XL_MAP_KEEP, XL_MAP_DROP, or a negative XL_E* code with err set
 * to reject the record. NULL fn keeps every record unchanged.
 */
enum xl_map_result {
	XL_MAP_KEEP = 0,
	XL_MAP_DROP = 1
};

typedef int xl_map_fn(json_t *rec, void *arg, struct xl_err *err);

/*
 * A problem with one input line or file, reported on the calling thread
 * in input order: code is -XL_EINVAL (not a JSON object, or fn rejected
 * it, whatever code fn gave), -XL_ETOOBIG (line over the limit), -XL_ENOINPUT (file cannot be
 * opened) or -XL_EIO (read error). raw is the line's text, or NULL.
 * Return 0 to go on, or a negative value to stop the run.
 */
typedef int xl_map_problem_fn(int code, const char *file, uint64_t line, const char *msg,
			      const char *raw, size_t rawlen, void *arg);

struct xl_map {
	xl_map_fn *fn;                  /* may be NULL */
	void *arg;
	xl_map_problem_fn *problem;     /* may be NULL: problems are only counted */
	void *problem_arg;
	int threads;                    /* workers; 0 = one per online CPU (at most 8) */
};

struct xl_map_stats {
	uint64_t read;       /* records parsed */
	uint64_t written;    /* records written */
	uint64_t dropped;    /* records fn dropped */
	uint64_t problems;   /* lines and files reported to problem */
};

/*
 * Run the filter from in to out. stats (may be NULL) is filled in either
 * way. Returns 0; the problem callback's negative value when it stopped
 * the run; or -XL_EIO when out cannot be written (err set). out is not
 * closed.
 */
int xl_map_run(const struct xl_map *m, struct xl_jsonl_reader *in,
	       struct xl_jsonl_writer *out, struct xl_map_stats *stats, struct xl_err *err);

#endif
