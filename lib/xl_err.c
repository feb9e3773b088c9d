#include "xl_err.h"

#include <stdio.h>
#include <string.h>

#include "xl_exit.h"
#include "xl_banned.h"

static void flatten(char *s)
{
	for (; *s; s++)
		if (*s == '\n' || *s == '\r')
			*s = ' ';
}

static void trim_trailing_space(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
}

int xl_err_vset(struct xl_err *err, int code, const char *fmt, va_list ap)
{
	if (code < 0)
		code = -code;
	if (!err)
		return -code;
	err->code = code;
	if (code != XL_EDB)
		err->sqlstate[0] = '\0';
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	flatten(err->msg);
	trim_trailing_space(err->msg);
	return -code;
}

int xl_err_set(struct xl_err *err, int code, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = xl_err_vset(err, code, fmt, ap);
	va_end(ap);
	return ret;
}

int xl_err_prefix(struct xl_err *err, const char *fmt, ...)
{
	char prefix[XL_ERR_MSGMAX];
	size_t plen, olen;
	va_list ap;

	if (!err)
		return -XL_EFAIL;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	plen = strlen(prefix);
	olen = strlen(err->msg);
	if (plen + olen >= sizeof(err->msg))
		olen = plen < sizeof(err->msg) ? sizeof(err->msg) - 1 - plen : 0;
	memmove(err->msg + plen, err->msg, olen);
	memcpy(err->msg, prefix, plen < sizeof(err->msg) ? plen : sizeof(err->msg) - 1);
	err->msg[plen + olen < sizeof(err->msg) ? plen + olen : sizeof(err->msg) - 1] = '\0';
	flatten(err->msg);
	return -(err->code ? err->code : XL_EFAIL);
}

void xl_err_clear(struct xl_err *err)
{
	if (!err)
		return;
	err->code = 0;
	err->sqlstate[0] = '\0';
	err->msg[0] = '\0';
}

int xl_err_exit_status(int code)
{
	if (code < 0)
		code = -code;
	switch (code) {
	case XL_OK:        return XL_EXIT_OK;
	case XL_EINVAL:
	case XL_ERANGE:
	case XL_ETOOBIG:   return XL_EXIT_DATAERR;
	case XL_ENOINPUT:
	case XL_ENOTFOUND: return XL_EXIT_NOINPUT;
	case XL_ECANTCREAT: return XL_EXIT_CANTCREAT;
	case XL_EIO:       return XL_EXIT_IOERR;
	case XL_EUNAVAIL:  return XL_EXIT_UNAVAILABLE;
	case XL_ERETRY:
	case XL_ETIMEOUT:  return XL_EXIT_TEMPFAIL;
	case XL_EPERM:     return XL_EXIT_NOPERM;
	case XL_ECONFIG:   return XL_EXIT_CONFIG;
	case XL_EDB:       return XL_EXIT_INTERNAL;
	default:           return XL_EXIT_INTERNAL;
	}
}

int xl_err_status(const struct xl_err *err)
{
	const char *st = err->sqlstate;

	if (err->code != XL_EDB || !st[0])
		return xl_err_exit_status(err->code);
	if (!strncmp(st, "40", 2) || !strcmp(st, "55P03") || !strcmp(st, "57014") ||
	    !strncmp(st, "53", 2))
		return XL_EXIT_TEMPFAIL;
	if (!strncmp(st, "28", 2) || !strcmp(st, "42501"))
		return XL_EXIT_NOPERM;
	if (!strncmp(st, "22", 2) || !strncmp(st, "23", 2))
		return XL_EXIT_DATAERR;
	if (!strcmp(st, "3D000"))
		return XL_EXIT_CONFIG;
	return XL_EXIT_INTERNAL;
}
