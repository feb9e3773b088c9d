#ifndef XL_LOG_H
#define XL_LOG_H

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>

#include "xl_err.h"

/*
 * Diagnostics on stderr, for cmd/ code. lib/ modules never log: they return
 * an error and let the command decide.
 *
 * The program name and the level are the only global state in xlcfi.
 * Text format is "prog: message". JSON format (--log-format=json or
 * XLCFI_LOG_FORMAT=json) writes one object per line with "ts", "level",
 * "prog", "msg" and any extra fields, for cron mail and Kubernetes log
 * collectors. There are no timestamps in text format: cron, journald and
 * access logs add their own.
 */
enum xl_log_level {
	XL_LOG_ERROR = 0,
	XL_LOG_WARN = 1,   /* the default; -q goes down to errors only */
	XL_LOG_INFO = 2,   /* -v */
	XL_LOG_DEBUG = 3   /* -vv */
};

enum xl_log_format {
	XL_LOG_TEXT = 0,
	XL_LOG_JSON = 1
};

/*
 * Set the program name from argv[0] (its basename) and read XLCFI_LOG
 * (error|warn|info|debug) and XLCFI_LOG_FORMAT (text|json). Call first in
 * main(). An unknown value in either variable is ignored with a warning.
 */
void xl_log_init(const char *argv0);

/* The program name; borrowed, lives for the whole run. */
const char *xl_log_prog(void);

/*
 * Name the command whose --help a usage error should point to, when it is
 * not the program itself ("xlcfi db"). s must live for the whole run.
 */
void xl_log_set_help_name(const char *s);

void xl_log_set_level(int level);

/* "error", "warn", "info" or "debug"; static. */
const char *xl_log_level_name(int level);
int xl_log_level(void);

/* Select the format by name. 0, or -XL_EINVAL for an unknown name. */
int xl_log_set_format(const char *name);
int xl_log_format(void);

/*
 * Log one line if level is enabled. fields (may be NULL) is a JSON object
 * of extra fields for the JSON format and is consumed (decref'd) whatever
 * happens; the text format appends nothing for them.
 */
void xl_log_msg(int level, json_t *fields, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void xl_log_vmsg(int level, json_t *fields, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * An error about one input record: "prog: file:line: message" (in JSON
 * format the position goes in "file" and "line" fields).
 */
void xl_log_at(const char *file, uint64_t line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * xl_log_at for a message as it is, or a plain error when file is NULL:
 * the say function of xl_records (xl_records_say_fn).
 */
void xl_log_record(const char *file, uint64_t line, const char *msg);

#define xl_error(...) xl_log_msg(XL_LOG_ERROR, NULL, __VA_ARGS__)
#define xl_warn(...)  xl_log_msg(XL_LOG_WARN, NULL, __VA_ARGS__)
#define xl_info(...)  xl_log_msg(XL_LOG_INFO, NULL, __VA_ARGS__)
#define xl_debug(...) xl_log_msg(XL_LOG_DEBUG, NULL, __VA_ARGS__)

/*
 * For main()-level code only: log an error and exit with status (an enum
 * xl_exit value). These are the only exits in xlcfi besides returning from
 * main().
 */
__attribute__((noreturn, format(printf, 2, 3)))
void xl_die(int status, const char *fmt, ...);

/* Log err's message and exit with the status its code maps to. */
__attribute__((noreturn))
void xl_die_err(const struct xl_err *err);

/* A usage error: message, then "try 'prog --help'", exit 64. */
__attribute__((noreturn, format(printf, 1, 2)))
void xl_die_usage(const char *fmt, ...);

/* Exit with status without a message (after help output, say). */
__attribute__((noreturn))
void xl_exit(int status);

#endif
