#ifndef XL_OPT_H
#define XL_OPT_H

#include <getopt.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/*
 * Option parsing for cmd/ main(). A command declares only its own options;
 * xl_opt adds the common ones every command has:
 *
 *   -h, --help            usage and options on stdout, exit 0
 *       --version         "prog VERSION" on stdout, exit 0
 *   -v, --verbose         more diagnostics (repeatable)
 *   -q, --quiet           errors only
 *       --log-format=F    text or json (also XLCFI_LOG_FORMAT)
 *       --dsn=DSN         database (only with XL_OPT_DB)
 *       --rejects=FILE, --max-errors=N, --max-line=SIZE
 *                         (only with XL_OPT_RECORDS)
 *
 * Like xl_die, this is main()-level code: --help, --version and usage
 * errors print and exit (0, 0 and 64).
 */

enum xl_opt_flags {
	XL_OPT_DB = 1 << 0,       /* the command talks to the database */
	XL_OPT_RECORDS = 1 << 1,  /* the command reads records and may reject them */
	XL_OPT_STOP_AT_OPERAND = 1 << 2 /* options end at the first operand (for subcommands) */
};

struct xl_opt {
	/* Filled in by the command. */
	const char *usage;               /* "usage: xlcfi-x [-n] [file ...]", as in the man SYNOPSIS */
	const char *help;                /* the command's own options, one per line, may be NULL */
	const char *shortopts;           /* the command's own short options, may be NULL */
	const struct option *longopts;   /* the command's own long options, {0} terminated, may be NULL */
	unsigned flags;                  /* enum xl_opt_flags */
	void (*more_help)(FILE *out);    /* prints more help after the options, may be NULL */

	/* Results of the common options. */
	const char *dsn;                 /* --dsn, or NULL */
	const char *rejects_path;        /* --rejects, or NULL */
	long max_errors;                 /* --max-errors, -1 = no limit */
	size_t max_line;                 /* --max-line, 0 = default */

	/* Private. */
	struct option *all_long;
	char *all_short;
};

/*
 * Return the next of the command's own options (its val, with optarg set),
 * or -1 when options end (optind is then the first operand). Options may
 * follow operands unless XL_OPT_STOP_AT_OPERAND is set. Common options are
 * handled inside. To parse another argument vector (a subcommand's), set
 * optind = 0 first. Call xl_opt_release() afterwards.
 */
int xl_opt_next(struct xl_opt *o, int argc, char **argv);

/*
 * For a command made of subcommands: parse the common options before the
 * subcommand (o has none of its own; XL_OPT_STOP_AT_OPERAND is implied),
 * release o, and return the subcommand's name, argv[optind]. No name is a
 * usage error (exit 64).
 */
const char *xl_opt_command(struct xl_opt *o, int argc, char **argv);

/*
 * An option's date argument (YYYY-MM-DD) as days since 1970-01-01; a bad
 * date is a usage error naming the option (exit 64).
 */
int64_t xl_opt_day(const char *opt, const char *arg);

/* Free what xl_opt_next allocated. */
void xl_opt_release(struct xl_opt *o);

/* Print usage and help to out (what --help does, on stdout). */
void xl_opt_print_help(const struct xl_opt *o, FILE *out);

/* The version string of this build. */
const char *xl_opt_version(void);

#endif
