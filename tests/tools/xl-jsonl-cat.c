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
#include "xl_opt.h"
#include "xl_rejects.h"
#include "xl_banned.h"

static const char usage[] =
	"usage: xl-jsonl-cat [-hqv] [--max-errors n] [--max-line size] [--rejects file] [file ...]";

int main(int argc, char **argv)
{
	struct xl_opt o = { .usage = usage, .flags = XL_OPT_RECORDS };
	struct xl_err err = XL_ERR_INIT;
	struct xl_jsonl_reader *in = NULL;
	struct xl_jsonl_writer out;
	struct xl_rejects *rej = NULL;
	int status = XL_EXIT_OK, ret;
	json_t *rec;

	xl_log_init(argv[0]);
	while (xl_opt_next(&o, argc, argv) != -1)
		;
	xl_opt_release(&o);
	if (xl_rejects_open(&rej, o.rejects_path, o.max_errors, &err) < 0)
		xl_die_err(&err);
	xl_jsonl_open(&in, argv + optind, (size_t)(argc - optind), o.max_line);
	xl_jsonl_writer_init(&out, stdout, "<stdout>");
	while ((ret = xl_jsonl_read(in, &rec, &err)) != 0) {
		if (ret == -XL_ENOINPUT) {
			xl_error("%s", err.msg);
			status = XL_EXIT_NOINPUT;
			continue;
		}
		if (ret == -XL_EIO) {
			xl_error("%s", err.msg);
			status = XL_EXIT_IOERR;
			continue;
		}
		if (ret < 0) {
			struct xl_err rerr = XL_ERR_INIT;

			xl_log_at(xl_jsonl_file(in), xl_jsonl_line(in), "%s", err.msg);
			if (xl_rejects_add_read(rej, in, err.msg, NULL, &rerr) < 0) {
				status = xl_err_exit_status(rerr.code);
				xl_error("%s", rerr.msg);
				break;
			}
			continue;
		}
		ret = xl_jsonl_write(&out, rec, &err);
		json_decref(rec);
		if (ret < 0) {
			xl_error("%s", err.msg);
			status = XL_EXIT_IOERR;
			break;
		}
	}
	xl_jsonl_close(in);
	if (xl_rejects_count(rej) && status == XL_EXIT_OK)
		status = XL_EXIT_DATAERR;
	if (xl_rejects_close(rej, &err) < 0) {
		xl_error("%s", err.msg);
		status = XL_EXIT_IOERR;
	}
	if (xl_jsonl_writer_close(&out, &err) < 0) {
		xl_error("%s", err.msg);
		status = XL_EXIT_IOERR;
	}
	return status;
}
