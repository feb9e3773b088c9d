#ifndef XL_EXIT_H
#define XL_EXIT_H

/*
 * The exit statuses of every xlcfi command. They follow sysexits(3) so that
 * cron wrappers and Kubernetes podFailurePolicy rules can act on them. This
 * table and xlcfi(7) are the only places that define them.
 */
enum xl_exit {
	XL_EXIT_OK = 0,          /* success */
	XL_EXIT_INTERNAL = 1,    /* internal error: a bug, an impossible state */
	XL_EXIT_USAGE = 64,      /* bad option or argument */
	XL_EXIT_DATAERR = 65,    /* some records rejected, or input malformed */
	XL_EXIT_NOINPUT = 66,    /* an input file cannot be opened */
	XL_EXIT_UNAVAILABLE = 69,/* database, gateway or chain node unavailable */
	XL_EXIT_CANTCREAT = 73,  /* an output file cannot be created */
	XL_EXIT_IOERR = 74,      /* an I/O error, e.g. a full disk on stdout */
	XL_EXIT_TEMPFAIL = 75,   /* temporary failure, worth retrying later */
	XL_EXIT_NOPERM = 77,     /* permission denied */
	XL_EXIT_CONFIG = 78      /* configuration error */
};

#endif
