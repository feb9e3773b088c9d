#include "xl_cluster.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_db.h"
#include "xl_banned.h"

#define SOCKET_NAME ".s.PGSQL.5432"

/* Who runs the server: ourselves, or 'postgres' when we are root. */
struct runas {
	int switch_user;
	uid_t uid;
	gid_t gid;
	char name[64];
};

struct paths {
	struct xl_buf home, pg, data, tmpdata, run, sock, log, setup_log;
};

static void paths_init(struct paths *p, const char *home)
{
	struct xl_buf *all[] = { &p->home, &p->pg, &p->data, &p->tmpdata, &p->run,
				 &p->sock, &p->log, &p->setup_log };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		xl_buf_init(all[i], 0);
	xl_buf_adds(&p->home, home);
	xl_buf_addf(&p->pg, "%s/pg", home);
	xl_buf_addf(&p->data, "%s/pg/data", home);
	xl_buf_addf(&p->tmpdata, "%s/pg/data.initdb", home);
	xl_buf_addf(&p->run, "%s/pg/run", home);
	xl_buf_addf(&p->sock, "%s/pg/run/" SOCKET_NAME, home);
	xl_buf_addf(&p->log, "%s/pg/server.log", home);
	xl_buf_addf(&p->setup_log, "%s/pg/setup.log", home);
}

static void paths_release(struct paths *p)
{
	struct xl_buf *all[] = { &p->home, &p->pg, &p->data, &p->tmpdata, &p->run,
				 &p->sock, &p->log, &p->setup_log };

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		xl_buf_release(all[i]);
}

int xl_cluster_home(char **home, struct xl_err *err)
{
	const char *env = getenv("XLCFI_HOME"), *xdg, *h;
	struct xl_buf b = XL_BUF_INIT;

	if (env && *env) {
		*home = xl_xstrdup(env);
		return 0;
	}
	if (geteuid() == 0) {
		*home = xl_xstrdup("/var/lib/xlcfi");
		return 0;
	}
	xdg = getenv("XDG_DATA_HOME");
	h = getenv("HOME");
	if (xdg && *xdg == '/')
		xl_buf_addf(&b, "%s/xlcfi", xdg);
	else if (h && *h)
		xl_buf_addf(&b, "%s/.local/share/xlcfi", h);
	else
		return xl_err_set(err, XL_ECONFIG, "cannot place the private database: set XLCFI_HOME or HOME");
	*home = xl_buf_detach(&b, NULL);
	return 0;
}

/* Quote a conninfo value: 'it''s' style is not libpq's; it uses backslashes. */
static void add_conninfo_value(struct xl_buf *b, const char *v)
{
	xl_buf_addch(b, '\'');
	for (; *v; v++) {
		if (*v == '\'' || *v == '\\')
			xl_buf_addch(b, '\\');
		xl_buf_addch(b, *v);
	}
	xl_buf_addch(b, '\'');
}

static char *dsn_for(const char *home, const char *dbname)
{
	struct xl_buf b = XL_BUF_INIT, run = XL_BUF_INIT;

	xl_buf_addf(&run, "%s/pg/run", home);
	xl_buf_adds(&b, "host=");
	add_conninfo_value(&b, run.buf);
	xl_buf_addf(&b, " dbname=%s user=%s", dbname, XL_CLUSTER_USER);
	xl_buf_release(&run);
	return xl_buf_detach(&b, NULL);
}

int xl_cluster_dsn(const char *home, char **dsn, struct xl_err *err)
{
	char *h = NULL;

	if (!home) {
		int ret = xl_cluster_home(&h, err);

		if (ret < 0)
			return ret;
		home = h;
	}
	*dsn = dsn_for(home, XL_CLUSTER_DBNAME);
	free(h);
	return 0;
}

int xl_cluster_check_running(const char *home, struct xl_err *err)
{
	struct xl_buf sock = XL_BUF_INIT, pgv = XL_BUF_INIT;
	char *h = NULL;
	struct stat st;
	int ret = 0;

	if (!home) {
		ret = xl_cluster_home(&h, err);
		if (ret < 0)
			return ret;
		home = h;
	}
	xl_buf_addf(&sock, "%s/pg/run/" SOCKET_NAME, home);
	xl_buf_addf(&pgv, "%s/pg/data/PG_VERSION", home);
	if (stat(sock.buf, &st) != 0) {
		if (stat(pgv.buf, &st) != 0 && errno == ENOENT)
			ret = xl_err_set(err, XL_EUNAVAIL,
					 "no private database in '%s' and no XLCFI_DSN or PG* settings; "
					 "create one with 'xlcfi db up' or set XLCFI_DSN", home);
		else
			ret = xl_err_set(err, XL_EUNAVAIL,
					 "the private database in '%s' is not running; start it with 'xlcfi db up'",
					 home);
	}
	xl_buf_release(&sock);
	xl_buf_release(&pgv);
	free(h);
	return ret;
}

static int find_bindir(struct xl_buf *out, struct xl_err *err)
{
	const char *env = getenv("XLCFI_PG_BINDIR");
	struct xl_buf probe = XL_BUF_INIT;
	char line[4096];
	int best = -1;
	DIR *d;
	FILE *fp;

	if (env && *env) {
		xl_buf_adds(out, env);
		return 0;
	}
	fp = popen("pg_config --bindir 2>/dev/null", "r");
	if (fp) {
		if (fgets(line, sizeof(line), fp)) {
			line[strcspn(line, "\n")] = '\0';
			xl_buf_addf(&probe, "%s/initdb", line);
			if (access(probe.buf, X_OK) == 0) {
				pclose(fp);
				xl_buf_release(&probe);
				xl_buf_adds(out, line);
				return 0;
			}
		}
		pclose(fp);
	}
	d = opendir("/usr/lib/postgresql");
	if (d) {
		struct dirent *e;

		while ((e = readdir(d)) != NULL) {
			char *end;
			long v = strtol(e->d_name, &end, 10);

			if (*end || end == e->d_name || v <= best)
				continue;
			xl_buf_reset(&probe);
			xl_buf_addf(&probe, "/usr/lib/postgresql/%ld/bin/initdb", v);
			if (access(probe.buf, X_OK) == 0)
				best = (int)v;
		}
		closedir(d);
	}
	xl_buf_release(&probe);
	if (best < 0)
		return xl_err_set(err, XL_ECONFIG,
				  "cannot find the PostgreSQL server programs (initdb, pg_ctl); "
				  "install postgresql or set XLCFI_PG_BINDIR");
	xl_buf_addf(out, "/usr/lib/postgresql/%d/bin", best);
	return 0;
}

static int get_runas(struct runas *ra, struct xl_err *err)
{
	struct passwd *pw;

	memset(ra, 0, sizeof(*ra));
	if (geteuid() != 0) {
		ra->uid = geteuid();
		ra->gid = getegid();
		return 0;
	}
	pw = getpwnam("postgres");
	if (!pw)
		return xl_err_set(err, XL_ECONFIG,
				  "PostgreSQL refuses to run as root and there is no 'postgres' account to run it as");
	ra->switch_user = 1;
	ra->uid = pw->pw_uid;
	ra->gid = pw->pw_gid;
	snprintf(ra->name, sizeof(ra->name), "%s", pw->pw_name);
	return 0;
}

static int become(const struct runas *ra)
{
	if (!ra->switch_user)
		return 0;
	if (setgroups(0, NULL) != 0 || setgid(ra->gid) != 0 || setuid(ra->uid) != 0)
		return -1;
	return 0;
}

/*
 * Run argv as the server user with output appended to log_path. Returns
 * the exit status, or -1 if it could not be run or was killed.
 */
static int run_as(const struct runas *ra, char *const argv[], const char *log_path)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		if (become(ra) != 0)
			_exit(126);
		fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		/* Run from a directory the server user can enter. */
		if (chdir("/") != 0)
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Can the server user enter dir? Checked as that user, in a child. */
static int can_enter(const struct runas *ra, const char *dir)
{
	pid_t pid;
	int status;

	if (!ra->switch_user)
		return access(dir, X_OK | W_OK) == 0;
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0)
		_exit(become(ra) == 0 && access(dir, X_OK) == 0 ? 0 : 1);
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return 0;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static int mkdir_p(const char *path, mode_t mode, struct xl_err *err)
{
	struct xl_buf b = XL_BUF_INIT;
	int ret = 0;

	xl_buf_adds(&b, path);
	for (char *p = b.buf + 1; ; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(b.buf, mode) != 0 && errno != EEXIST) {
			int e = errno;

			ret = xl_err_set(err, e == EACCES || e == EPERM || e == EROFS ? XL_EPERM : XL_ECANTCREAT,
					 "cannot create '%s': %s", b.buf, strerror(e));
			break;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	xl_buf_release(&b);
	if (ret == 0) {
		struct stat st;

		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
			ret = xl_err_set(err, XL_ECANTCREAT, "cannot create '%s': not a directory", path);
		else if (access(path, W_OK | X_OK) != 0)
			ret = xl_err_set(err, XL_EPERM, "cannot write to '%s': %s", path, strerror(errno));
	}
	return ret;
}

/* A directory owned by the server user, mode 0700. */
static int make_private_dir(const struct runas *ra, const char *path, struct xl_err *err)
{
	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		int e = errno;

		return xl_err_set(err, e == EACCES || e == EPERM || e == EROFS ? XL_EPERM : XL_ECANTCREAT,
				  "cannot create '%s': %s", path, strerror(e));
	}
	if (ra->switch_user && chown(path, ra->uid, ra->gid) != 0)
		return xl_err_set(err, XL_EPERM, "cannot give '%s' to '%s': %s", path, ra->name,
				  strerror(errno));
	if (chmod(path, 0700) != 0)
		return xl_err_set(err, XL_EPERM, "cannot chmod '%s': %s", path, strerror(errno));
	return 0;
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int remove_tree(const char *path)
{
	char *argv[] = { (char *)"/bin/rm", (char *)"-rf", (char *)"--", (char *)path, NULL };
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		execv(argv[0], argv);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

static int init_cluster(const struct runas *ra, const char *bindir, struct paths *p,
			int fast, struct xl_err *err)
{
	struct xl_buf initdb = XL_BUF_INIT, conf = XL_BUF_INIT, confpath = XL_BUF_INIT;
	char *argv[16];
	int n = 0, ret = -1, rc;
	FILE *fp;

	/* A leftover from a crashed initdb is ours to discard. */
	if (exists(p->tmpdata.buf) && remove_tree(p->tmpdata.buf) != 0) {
		ret = xl_err_set(err, XL_ECANTCREAT, "cannot remove the unfinished cluster '%s'", p->tmpdata.buf);
		goto out;
	}
	xl_buf_addf(&initdb, "%s/initdb", bindir);
	argv[n++] = initdb.buf;
	argv[n++] = (char *)"-D";
	argv[n++] = p->tmpdata.buf;
	argv[n++] = (char *)"-U";
	argv[n++] = (char *)XL_CLUSTER_USER;
	argv[n++] = (char *)"-A";
	argv[n++] = (char *)"trust";
	argv[n++] = (char *)"-E";
	argv[n++] = (char *)"UTF8";
	argv[n++] = (char *)"--locale=C.UTF-8";
	if (fast)
		argv[n++] = (char *)"--no-sync";
	argv[n] = NULL;
	rc = run_as(ra, argv, p->setup_log.buf);
	if (rc != 0) {
		ret = xl_err_set(err, rc == 126 ? XL_EPERM : XL_EUNAVAIL,
				 "initdb failed (status %d); see '%s'", rc, p->setup_log.buf);
		goto out;
	}
	xl_buf_adds(&conf, "\n# Written by xlcfi db up: Unix socket only, no TCP port.\n"
		    "listen_addresses = ''\nunix_socket_directories = '");
	for (const char *c = p->run.buf; *c; c++) {
		if (*c == '\'')
			xl_buf_addch(&conf, '\'');
		xl_buf_addch(&conf, *c);
	}
	xl_buf_adds(&conf, "'\nunix_socket_permissions = 0700\nmax_connections = 50\n");
	if (fast)
		xl_buf_adds(&conf, "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
	xl_buf_addf(&confpath, "%s/postgresql.conf", p->tmpdata.buf);
	fp = fopen(confpath.buf, "ae");
	if (!fp || fwrite(conf.buf, 1, conf.len, fp) != conf.len || fclose(fp) != 0) {
		ret = xl_err_set(err, XL_EIO, "cannot write '%s': %s", confpath.buf, strerror(errno));
		goto out;
	}
	if (rename(p->tmpdata.buf, p->data.buf) != 0) {
		ret = xl_err_set(err, XL_EIO, "cannot rename '%s' to '%s': %s", p->tmpdata.buf,
				 p->data.buf, strerror(errno));
		goto out;
	}
	ret = 0;
out:
	xl_buf_release(&initdb);
	xl_buf_release(&conf);
	xl_buf_release(&confpath);
	return ret;
}

static int pg_ctl(const struct runas *ra, const char *bindir, struct paths *p,
		  const char *action)
{
	struct xl_buf prog = XL_BUF_INIT;
	char *argv[16];
	int n = 0, rc;

	xl_buf_addf(&prog, "%s/pg_ctl", bindir);
	argv[n++] = prog.buf;
	argv[n++] = (char *)action;
	argv[n++] = (char *)"-D";
	argv[n++] = p->data.buf;
	if (!strcmp(action, "start")) {
		argv[n++] = (char *)"-l";
		argv[n++] = p->log.buf;
		argv[n++] = (char *)"-w";
		argv[n++] = (char *)"-t";
		argv[n++] = (char *)"60";
	} else if (!strcmp(action, "stop")) {
		argv[n++] = (char *)"-m";
		argv[n++] = (char *)"fast";
		argv[n++] = (char *)"-w";
	}
	argv[n] = NULL;
	rc = run_as(ra, argv, p->setup_log.buf);
	xl_buf_release(&prog);
	return rc;
}

static int ensure_database(const char *home, struct xl_err *err)
{
	char *dsn = dsn_for(home, "postgres"), *found = NULL;
	const char *params[] = { XL_CLUSTER_DBNAME };
	struct xl_db *db = NULL;
	int ret = xl_db_connect(&db, dsn, err);

	if (ret < 0)
		goto out;
	ret = xl_db_query_value(db, "SELECT 1 FROM pg_database WHERE datname = $1", 1, params,
				&found, err);
	if (ret == 0 && !found)
		ret = xl_db_exec(db, "CREATE DATABASE " XL_CLUSTER_DBNAME, 0, NULL, NULL, err);
out:
	free(found);
	free(dsn);
	xl_db_close(db);
	return ret;
}

int xl_cluster_up(const char *home, int fast, int *already, struct xl_err *err)
{
	struct xl_buf bindir = XL_BUF_INIT;
	struct paths p;
	struct runas ra;
	struct sockaddr_un sun;
	int ret, rc;

	*already = 0;
	paths_init(&p, home);
	if (home[0] != '/') {
		ret = xl_err_set(err, XL_ECONFIG, "XLCFI_HOME must be an absolute path, not '%s'", home);
		goto out;
	}
	if (p.sock.len >= sizeof(sun.sun_path)) {
		ret = xl_err_set(err, XL_ECONFIG,
				 "XLCFI_HOME '%s' is too long: the socket path must be under %zu bytes",
				 home, sizeof(sun.sun_path));
		goto out;
	}
	ret = get_runas(&ra, err);
	if (ret < 0)
		goto out;
	ret = find_bindir(&bindir, err);
	if (ret < 0)
		goto out;
	ret = mkdir_p(home, ra.switch_user ? 0755 : 0700, err);
	if (ret < 0)
		goto out;
	if (!can_enter(&ra, home)) {
		ret = xl_err_set(err, XL_EPERM,
				 "the '%s' account cannot enter '%s'; choose an XLCFI_HOME it can reach "
				 "(root's default is /var/lib/xlcfi)", ra.name, home);
		goto out;
	}
	ret = make_private_dir(&ra, p.pg.buf, err);
	if (ret == 0)
		ret = make_private_dir(&ra, p.run.buf, err);
	if (ret < 0)
		goto out;
	if (!exists(p.data.buf)) {
		ret = init_cluster(&ra, bindir.buf, &p, fast, err);
		if (ret < 0)
			goto out;
	}
	if (pg_ctl(&ra, bindir.buf, &p, "status") == 0) {
		*already = 1;
	} else {
		rc = pg_ctl(&ra, bindir.buf, &p, "start");
		if (rc != 0) {
			ret = xl_err_set(err, XL_EUNAVAIL,
					 "the private database did not start (pg_ctl status %d); see '%s'",
					 rc, p.log.buf);
			goto out;
		}
	}
	ret = ensure_database(home, err);
out:
	xl_buf_release(&bindir);
	paths_release(&p);
	return ret;
}

int xl_cluster_down(const char *home, int *was_running, struct xl_err *err)
{
	struct xl_buf bindir = XL_BUF_INIT;
	struct paths p;
	struct runas ra;
	int ret, rc;

	*was_running = 0;
	paths_init(&p, home);
	if (!exists(p.data.buf)) {
		ret = 0;
		goto out;
	}
	ret = get_runas(&ra, err);
	if (ret == 0)
		ret = find_bindir(&bindir, err);
	if (ret < 0)
		goto out;
	if (pg_ctl(&ra, bindir.buf, &p, "status") != 0)
		goto out;
	*was_running = 1;
	rc = pg_ctl(&ra, bindir.buf, &p, "stop");
	if (rc != 0)
		ret = xl_err_set(err, XL_EFAIL, "cannot stop the private database (pg_ctl status %d); see '%s'",
				 rc, p.setup_log.buf);
out:
	xl_buf_release(&bindir);
	paths_release(&p);
	return ret;
}

int xl_cluster_reset(const char *home, struct xl_err *err)
{
	char *dsn = dsn_for(home, "postgres");
	struct xl_db *db = NULL;
	int ret = xl_cluster_check_running(home, err);

	if (ret == 0)
		ret = xl_db_connect(&db, dsn, err);
	if (ret == 0)
		ret = xl_db_exec(db, "DROP DATABASE IF EXISTS " XL_CLUSTER_DBNAME " WITH (FORCE)",
				 0, NULL, NULL, err);
	if (ret == 0)
		ret = xl_db_exec(db, "CREATE DATABASE " XL_CLUSTER_DBNAME, 0, NULL, NULL, err);
	xl_db_close(db);
	free(dsn);
	return ret;
}
