#ifndef XL_ERR_H
#define XL_ERR_H

#include <stdarg.h>

/*
 * Error codes returned (negated) by lib functions, and the one-line message
 * that goes with them.
 *
 * A lib function returns 0 (or a count) on success and a negative XL_E* code
 * on failure, after filling the caller's struct xl_err. The message is one
 * line, lowercase, no full stop: "cannot open 'x.csv': No such file or
 * directory". Callers add context only when the lower level's message does
 * not already carry it.
 */
enum xl_errcode {
	XL_OK = 0,
	XL_EFAIL = 1,      /* anything not listed below */
	XL_EINVAL = 2,     /* bad input value or record */
	XL_ENOTFOUND = 3,  /* no such thing */
	XL_EIO = 4,        /* read/write error */
	XL_ENOINPUT = 5,   /* input file cannot be opened */
	XL_ECANTCREAT = 6, /* output file cannot be created */
	XL_ETOOBIG = 7,    /* a size limit was hit (line, buffer) */
	XL_ERANGE = 8,     /* numeric overflow or out of range */
	XL_EDB = 9,        /* a database statement failed */
	XL_EUNAVAIL = 10,  /* a service cannot be reached */
	XL_ERETRY = 11,    /* temporary; retries exhausted or lock held */
	XL_EPERM = 12,     /* permission or authentication denied */
	XL_ECONFIG = 13,   /* misconfiguration */
	XL_ETIMEOUT = 14   /* a wait ran out of time */
};

#define XL_ERR_MSGMAX 1024

struct xl_err {
	int code;                 /* positive XL_E* code, 0 when clear */
	char sqlstate[6];         /* SQLSTATE when code is XL_EDB, else "" */
	char msg[XL_ERR_MSGMAX];  /* one line, no trailing newline */
};

#define XL_ERR_INIT { 0, "", "" }

/*
 * Record an error in err (which may be NULL) and return -code, so that a
 * function can end with `return xl_err_set(err, XL_EINVAL, "...")`. The
 * message is truncated to fit and any newline in it becomes a space.
 */
int xl_err_set(struct xl_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int xl_err_vset(struct xl_err *err, int code, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/*
 * Prefix the message already in err with more context ("orders.csv:3: ").
 * Keeps the code. Returns -err->code.
 */
int xl_err_prefix(struct xl_err *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Forget any error in err. */
void xl_err_clear(struct xl_err *err);

/*
 * The exit status (enum xl_exit) that a command should end with for this
 * error code. Never fails.
 */
int xl_err_exit_status(int code);

/*
 * The exit status for an error, looking into the SQLSTATE of a database
 * error: serialization failures, deadlocks, lock and statement timeouts
 * and exhausted resources 75; authorization 77; bad data (classes 22, 23)
 * 65; a missing database 78; anything else from the database 1.
 */
int xl_err_status(const struct xl_err *err);

#endif
