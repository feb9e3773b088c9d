#include "xl_map.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_banned.h"

#define BATCH_LINES 512
#define BATCH_BYTES ((size_t)256 << 10)
#define MAX_THREADS 8
/* Input text in flight across all batches; past it the reader waits for the writer. */
#define INFLIGHT_BYTES ((size_t)32 << 20)

enum batch_state { FREE, FILLED, WORKING, DONE };

struct line {
	size_t off, len;      /* text in the batch's input buffer */
	const char *file;     /* borrowed from the reader's paths */
	uint64_t lineno;
	int has_raw;
	int code;             /* 0, or a negative XL_E* for a problem */
	char *msg;
	size_t out_end;       /* the batch's output up to and including this line */
	unsigned char parsed, written, dropped;
};

struct batch {
	enum batch_state state;
	struct line *lines;
	size_t n, alloc;
	struct xl_buf in, out;
};

struct pool {
	const struct xl_map *m;
	pthread_mutex_t lock;
	pthread_cond_t work, done;
	struct batch *b;
	size_t nb;
	uint64_t next_fill, next_take;
	int quit;
};

static void process(const struct xl_map *m, struct batch *bt)
{
	for (size_t i = 0; i < bt->n; i++) {
		struct line *l = &bt->lines[i];
		struct xl_err err = XL_ERR_INIT;
		json_t *rec = NULL;
		size_t mark;
		int r;

		if (l->code) {
			l->out_end = bt->out.len;
			continue;
		}
		r = xl_jsonl_parse(bt->in.buf + l->off, l->len, &rec, &err);
		if (r == 0) {
			l->parsed = 1;
			r = m->fn ? m->fn(rec, m->arg, &err) : XL_MAP_KEEP;
			if (r > XL_MAP_DROP)
				r = xl_err_set(&err, XL_EINVAL, "filter returned an unknown result %d", r);
		}
		if (r == XL_MAP_KEEP) {
			mark = bt->out.len;
			r = xl_jsonl_dump(&bt->out, rec);
			if (r < 0) {
				xl_buf_setlen(&bt->out, mark);
				xl_err_set(&err, XL_EINVAL, "cannot serialise record: a number is NaN or infinite");
			} else {
				xl_buf_addch(&bt->out, '\n');
				l->written = 1;
			}
		} else if (r == XL_MAP_DROP) {
			l->dropped = 1;
		}
		if (r < 0) {
			/* Whatever fn said, it is about this one record. */
			l->code = -XL_EINVAL;
			l->msg = xl_xstrdup(err.msg[0] ? err.msg : "record rejected");
		}
		l->out_end = bt->out.len;
		json_decref(rec);
	}
}

static void *worker(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		struct batch *bt;

		while (!p->quit && p->next_take == p->next_fill)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->quit)
			break;
		bt = &p->b[p->next_take++ % p->nb];
		bt->state = WORKING;
		pthread_mutex_unlock(&p->lock);
		process(p->m, bt);
		pthread_mutex_lock(&p->lock);
		bt->state = DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

static struct line *add_line(struct batch *bt, struct xl_jsonl_reader *in)
{
	struct line *l;

	XL_ALLOC_GROW(bt->lines, bt->n + 1, bt->alloc);
	l = &bt->lines[bt->n++];
	memset(l, 0, sizeof(*l));
	l->file = xl_jsonl_file(in);
	l->lineno = xl_jsonl_line(in);
	return l;
}

/* Read the next lines into bt. Returns 1 at the end of the input. */
static int fill(struct batch *bt, struct xl_jsonl_reader *in)
{
	while (bt->n < BATCH_LINES && bt->in.len < BATCH_BYTES) {
		struct xl_err err = XL_ERR_INIT;
		const char *text;
		size_t len;
		int r = xl_jsonl_read_line(in, &text, &len, &err);
		struct line *l;

		if (r == 0)
			return 1;
		l = add_line(bt, in);
		if (r < 0) {
			l->code = r;
			l->msg = xl_xstrdup(err.msg);
			continue;
		}
		l->has_raw = 1;
		l->off = bt->in.len;
		l->len = len;
		xl_buf_add(&bt->in, text, len);
	}
	return 0;
}

static void clear(struct batch *bt)
{
	for (size_t i = 0; i < bt->n; i++)
		free(bt->lines[i].msg);
	bt->n = 0;
	xl_buf_reset(&bt->in);
	xl_buf_reset(&bt->out);
	bt->state = FREE;
}

/*
 * Write bt's output and report its problems, in input order: the records
 * before a problem are written before it is reported, so a run the problem
 * callback stops has written exactly the good records before the stop.
 */
static int emit(const struct xl_map *m, struct batch *bt, struct xl_jsonl_writer *out,
		struct xl_map_stats *st, struct xl_err *err)
{
	size_t written = 0;
	int r;

	for (size_t i = 0; i < bt->n; i++) {
		const struct line *l = &bt->lines[i];

		st->read += l->parsed;
		st->written += l->written;
		st->dropped += l->dropped;
		if (!l->code)
			continue;
		st->problems++;
		if (!m->problem)
			continue;
		r = xl_jsonl_write_text(out, bt->out.buf + written, l->out_end - written, err);
		if (r < 0)
			return r;
		written = l->out_end;
		r = m->problem(l->code, l->file, l->lineno, l->msg,
			       l->has_raw ? bt->in.buf + l->off : NULL, l->has_raw ? l->len : 0,
			       m->problem_arg);
		if (r < 0)
			return r;
	}
	return xl_jsonl_write_text(out, bt->out.buf + written, bt->out.len - written, err);
}

/* Bytes of input held by the batches read but not yet written. */
static size_t inflight(const struct pool *p, uint64_t next_write)
{
	size_t sum = 0;

	for (uint64_t i = next_write; i < p->next_fill; i++)
		sum += p->b[i % p->nb].in.len;
	return sum;
}

static int thread_count(const struct xl_map *m)
{
	long n = m->threads > 0 ? m->threads : sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : n > MAX_THREADS ? MAX_THREADS : (int)n;
}

int xl_map_run(const struct xl_map *m, struct xl_jsonl_reader *in,
	       struct xl_jsonl_writer *out, struct xl_map_stats *stats, struct xl_err *err)
{
	struct xl_map_stats st = { 0, 0, 0, 0 };
	pthread_t tids[MAX_THREADS];
	int nthreads = thread_count(m), started = 0, eof = 0, ret = 0;
	uint64_t next_write = 0;
	struct pool p;

	memset(&p, 0, sizeof(p));
	p.m = m;
	p.nb = (size_t)nthreads * 2 + 2;
	p.b = xl_xcalloc(p.nb, sizeof(*p.b));
	for (size_t i = 0; i < p.nb; i++) {
		xl_buf_init(&p.b[i].in, 0);
		xl_buf_init(&p.b[i].out, 0);
	}
	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.done, NULL);
	/* jansson seeds its hash function on first use; do it before the threads race to. */
	json_object_seed(0);
	for (int i = 0; i < nthreads; i++)
		if (pthread_create(&tids[started], NULL, worker, &p) == 0)
			started++;

	for (;;) {
		struct batch *bt;

		while (!eof && p.next_fill - next_write < p.nb && inflight(&p, next_write) < INFLIGHT_BYTES) {
			bt = &p.b[p.next_fill % p.nb];
			eof = fill(bt, in);
			if (bt->n == 0)
				break;
			pthread_mutex_lock(&p.lock);
			bt->state = FILLED;
			p.next_fill++;
			pthread_cond_signal(&p.work);
			pthread_mutex_unlock(&p.lock);
		}
		if (next_write == p.next_fill)
			break;
		bt = &p.b[next_write % p.nb];
		if (!started) {
			/* No thread could be had: do the work here. */
			p.next_take++;
			process(m, bt);
			bt->state = DONE;
		}
		pthread_mutex_lock(&p.lock);
		while (bt->state != DONE)
			pthread_cond_wait(&p.done, &p.lock);
		pthread_mutex_unlock(&p.lock);
		ret = emit(m, bt, out, &st, err);
		clear(bt);
		next_write++;
		if (ret < 0)
			break;
	}

	pthread_mutex_lock(&p.lock);
	p.quit = 1;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.lock);
	for (int i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	for (size_t i = 0; i < p.nb; i++) {
		clear(&p.b[i]);
		free(p.b[i].lines);
		xl_buf_release(&p.b[i].in);
		xl_buf_release(&p.b[i].out);
	}
	free(p.b);
	pthread_mutex_destroy(&p.lock);
	pthread_cond_destroy(&p.work);
	pthread_cond_destroy(&p.done);
	if (stats)
		*stats = st;
	return ret;
}
