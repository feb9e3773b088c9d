#ifndef XL_CLUSTER_H
#define XL_CLUSTER_H

#include "xl_err.h"

/*
 * The private PostgreSQL cluster: xlcfi's embedded default database.
 *
 * It lives under XLCFI_HOME (default ${XDG_DATA_HOME:-~/.local/share}/xlcfi,
 * or /var/lib/xlcfi for root):
 *   pg/data        the cluster (initdb, UTF-8, superuser "xlcfi")
 *   pg/run         its Unix socket; no TCP port is opened
 *   pg/server.log  the server's log
 *   pg/setup.log   output of initdb and pg_ctl
 * Local connections are trusted, so the socket directory's mode (0700) is
 * what keeps other users out. up, down and reset hold a lock on
 * XLCFI_HOME/.lock, so concurrent runs wait for each other. The server
 * never sees the caller's PG* variables. PostgreSQL refuses to run as root: when root
 * runs these functions the server runs as the 'postgres' account, which
 * must be able to enter XLCFI_HOME.
 *
 * The server binaries come from XLCFI_PG_BINDIR, `pg_config --bindir`, or
 * the newest /usr/lib/postgresql/N/bin.
 */

#define XL_CLUSTER_DBNAME "xlcfi"
#define XL_CLUSTER_USER "xlcfi"
/* Only names the socket (.s.PGSQL.5432): no TCP port is opened. */
#define XL_CLUSTER_PORT "5432"

/*
 * The home directory, as above. *home is yours to free(). -XL_ECONFIG if
 * neither XLCFI_HOME nor HOME is set.
 */
int xl_cluster_home(char **home, struct xl_err *err);

/*
 * The connection string of the private cluster's database, whether or not
 * it is running. home NULL = xl_cluster_home(). *dsn is yours.
 */
int xl_cluster_dsn(const char *home, char **dsn, struct xl_err *err);

/*
 * 0 if the private cluster looks up (its socket exists), else
 * -XL_EUNAVAIL with a message that says how to start it. Cheap: one stat.
 */
int xl_cluster_check_running(const char *home, struct xl_err *err);

/*
 * Create the cluster if it does not exist, start it if it is not running,
 * and create the database. *already is set to 1 when it was running. The
 * cluster is created in a temporary directory and renamed into place, so a
 * crash never leaves half a cluster. Errors: -XL_EPERM / -XL_ECANTCREAT
 * when the home cannot be created, -XL_ECONFIG when the server binaries or
 * the postgres account are missing or the path is too long for a socket,
 * -XL_EUNAVAIL when the server does not start (the message names the log).
 * A home whose path holds ',', '"', '\'' or '\\' is refused (-XL_ECONFIG):
 * PostgreSQL's socket directory list cannot carry them.
 * fast != 0 turns off fsync, for throwaway test clusters.
 */
int xl_cluster_up(const char *home, int fast, int *already, struct xl_err *err);

/* Stop the cluster (fast shutdown). *was_running says whether it ran. */
int xl_cluster_down(const char *home, int *was_running, struct xl_err *err);

/* Drop and recreate the database (the cluster must be running). */
int xl_cluster_reset(const char *home, struct xl_err *err);

#endif
