#include "xl_log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_buf.h"
#include "xl_exit.h"
#include "xl_jsonl.h"
#include "xl_time.h"
#include "xl_banned.h"

static const char *prog = "xlcfi";
static const char *help_name;
static int log_level = XL_LOG_WARN;
static int log_format = XL_LOG_TEXT;

static const char *const level_names[] = { "error", "warn", "info", "debug" };

static int level_from_name(const char *s)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(s, level_names[i]))
			return i;
	if (!strcmp(s, "warning"))
		return XL_LOG_WARN;
	if (!strcmp(s, "quiet"))
		return XL_LOG_ERROR;
	return -1;
}

void xl_log_init(const char *argv0)
{
	const char *env, *slash;

	if (argv0 && *argv0) {
		slash = strrchr(argv0, '/');
		prog = slash ? slash + 1 : argv0;
	}
	env = getenv("XLCFI_LOG_FORMAT");
	if (env && *env && xl_log_set_format(env) < 0)
		xl_warn("ignoring XLCFI_LOG_FORMAT='%s': expected text or json", env);
	env = getenv("XLCFI_LOG");
	if (env && *env) {
		int l = level_from_name(env);

		if (l < 0)
			xl_warn("ignoring XLCFI_LOG='%s': expected error, warn, info or debug", env);
		else
			log_level = l;
	}
}

const char *xl_log_prog(void)
{
	return prog;
}

void xl_log_set_level(int level)
{
	if (level < XL_LOG_ERROR)
		level = XL_LOG_ERROR;
	if (level > XL_LOG_DEBUG)
		level = XL_LOG_DEBUG;
	log_level = level;
}

const char *xl_log_level_name(int level)
{
	return level_names[level < 0 ? 0 : level > 3 ? 3 : level];
}

int xl_log_level(void)
{
	return log_level;
}

void xl_log_set_help_name(const char *s)
{
	help_name = s;
}

int xl_log_set_format(const char *name)
{
	if (!strcmp(name, "text"))
		log_format = XL_LOG_TEXT;
	else if (!strcmp(name, "json"))
		log_format = XL_LOG_JSON;
	else
		return -XL_EINVAL;
	return 0;
}

int xl_log_format(void)
{
	return log_format;
}

static void write_json_line(int level, json_t *fields, const char *msg)
{
	struct xl_buf line = XL_BUF_INIT;
	char ts[XL_TIME_BUFSZ];
	json_t *rec = json_object();

	xl_time_format(ts, sizeof(ts), xl_time_now(), 0, 3);
	json_object_set_new(rec, "ts", json_string(ts));
	json_object_set_new(rec, "level", json_string(level_names[level]));
	json_object_set_new(rec, "prog", xl_json_str(prog));
	/* A message with invalid UTF-8 (a file name, say) still gets logged. */
	json_object_set_new(rec, "msg", xl_json_str(msg));
	if (fields)
		json_object_update_missing(rec, fields);
	if (xl_jsonl_dump(&line, rec) == 0) {
		xl_buf_addch(&line, '\n');
		fwrite(line.buf, 1, line.len, stderr);
	}
	xl_buf_release(&line);
	json_decref(rec);
}

void xl_log_vmsg(int level, json_t *fields, const char *fmt, va_list ap)
{
	char msg[4096];

	if (level > log_level) {
		json_decref(fields);
		return;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_format == XL_LOG_JSON)
		write_json_line(level, fields, msg);
	else
		fprintf(stderr, "%s: %s\n", prog, msg);
	json_decref(fields);
}

void xl_log_msg(int level, json_t *fields, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xl_log_vmsg(level, fields, fmt, ap);
	va_end(ap);
}

void xl_log_at(const char *file, uint64_t line, const char *fmt, ...)
{
	char msg[4096];
	json_t *fields;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fields = json_object();
	json_object_set_new(fields, "file", xl_json_str(file));
	json_object_set_new(fields, "line", json_integer((json_int_t)line));
	xl_log_msg(XL_LOG_ERROR, fields, "%s:%llu: %s", file, (unsigned long long)line, msg);
}

void xl_log_record(const char *file, uint64_t line, const char *msg)
{
	if (file)
		xl_log_at(file, line, "%s", msg);
	else
		xl_log_msg(XL_LOG_ERROR, NULL, "%s", msg);
}

void xl_exit(int status)
{
	/* Help and version text count as output: a full disk is an I/O error. */
	if ((fflush(stdout) != 0 || ferror(stdout)) && status == XL_EXIT_OK) {
		fprintf(stderr, "%s: cannot write to '<stdout>': %s\n", prog, strerror(errno));
		status = XL_EXIT_IOERR;
	}
	exit(status);
}

void xl_die(int status, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	xl_log_vmsg(XL_LOG_ERROR, json_pack("{si}", "exit", status), fmt, ap);
	va_end(ap);
	xl_exit(status);
}

void xl_die_err(const struct xl_err *err)
{
	xl_die(xl_err_status(err), "%s", err->msg[0] ? err->msg : "unknown error");
}

void xl_die_usage(const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	xl_die(XL_EXIT_USAGE, "%s; try '%s --help'", msg, help_name ? help_name : prog);
}
