/*
 * xl-jsonl-cat: pass NDJSON records through the library's reader and
 * writer, unchanged, rejecting what does not parse. A test and benchmark
 * tool; not installed.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "xl_exit.h"
#include "xl_jsonl.h"
#include "xl_log.h"
#include "xl_map.h"
#include "xl_num.h"
#include "xl_opt.h"
#include "xl_rejects.h"
#include "xl_banned.h"

static const char usage[] =
	"usage: xl-jsonl-cat [-hqv] [-j threads] [--max-errors n] [--max-line size] [--rejects file] [file ...]";

static const char help[] =
	"options:\n"
	"  -j, --threads=N         parse on N worker threads (default: one per CPU)\n";

struct ctx {
	struct xl_rejects *rej;
	int status;
};

/* Name each bad line on stderr, keep it in the rejects file, note the exit status. */
static int on_problem(int code, const char *file, uint64_t line, const char *msg,
		      const char *raw, size_t rawlen, void *arg)
{
	struct ctx *c = arg;
	struct xl_err err = XL_ERR_INIT;

	if (code == -XL_ENOINPUT || code == -XL_EIO) {
		xl_error("%s", msg);
		if (c->status == XL_EXIT_OK)
			c->status = xl_err_exit_status(code);
		return 0;
	}
	xl_log_at(file, line, "%s", msg);
	if (xl_rejects_add(c->rej, file, line, msg, NULL, raw, rawlen, &err) < 0) {
		xl_error("%s", err.msg);
		c->status = xl_err_exit_status(err.code);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "threads", required_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 }
	};
	struct xl_opt o = { .usage = usage, .help = help, .shortopts = "j:", .longopts = longopts,
			    .flags = XL_OPT_RECORDS };
	struct xl_err err = XL_ERR_INIT;
	struct xl_jsonl_reader *in = NULL;
	struct xl_jsonl_writer out;
	struct ctx c = { NULL, XL_EXIT_OK };
	struct xl_map m = { .problem = on_problem, .problem_arg = &c };

	int64_t threads;
	int opt;

	xl_log_init(argv[0]);
	while ((opt = xl_opt_next(&o, argc, argv)) != -1) {
		if (opt == 'j') {
			if (xl_num_parse_range(optarg, 1, 64, &threads) < 0)
				xl_die_usage("invalid --threads '%s': expected 1 to 64", optarg);
			m.threads = (int)threads;
		}
	}
	xl_opt_release(&o);
	if (xl_rejects_open(&c.rej, o.rejects_path, o.max_errors, &err) < 0)
		xl_die_err(&err);
	xl_jsonl_open(&in, argv + optind, (size_t)(argc - optind), o.max_line);
	xl_jsonl_writer_init(&out, stdout, "<stdout>");
	if (xl_map_run(&m, in, &out, NULL, &err) < 0 && err.code) {
		xl_error("%s", err.msg);
		c.status = XL_EXIT_IOERR;
	}
	xl_jsonl_close(in);
	if (xl_rejects_count(c.rej) && c.status == XL_EXIT_OK)
		c.status = XL_EXIT_DATAERR;
	if (xl_rejects_close(c.rej, &err) < 0) {
		xl_error("%s", err.msg);
		c.status = XL_EXIT_IOERR;
	}
	if (xl_jsonl_writer_close(&out, &err) < 0) {
		if (c.status != XL_EXIT_IOERR)
			xl_error("%s", err.msg);
		c.status = XL_EXIT_IOERR;
	}
	return c.status;
}
