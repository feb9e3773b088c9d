#include "xl_cluster.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_db.h"
#include "xl_banned.h"

#define SOCKET_NAME ".s.PGSQL." XL_CLUSTER_PORT

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
	xl_buf_addf(&b, " port=" XL_CLUSTER_PORT " dbname=%s user=%s", dbname, XL_CLUSTER_USER);
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

/*
 * 1 if postmaster.pid names a process that no longer exists (the server
 * crashed and left its socket file). 0 when it is alive or we cannot tell
 * (the file is the server account's and unreadable to us).
 */
static int postmaster_gone(const char *home)
{
	struct xl_buf path = XL_BUF_INIT;
	char line[32] = "";
	FILE *fp;
	long pid;

	xl_buf_addf(&path, "%s/pg/data/postmaster.pid", home);
	fp = fopen(path.buf, "re");
	xl_buf_release(&path);
	if (!fp)
		return errno == ENOENT;
	if (!fgets(line, sizeof(line), fp))
		line[0] = '\0';
	fclose(fp);
	pid = strtol(line, NULL, 10);
	if (pid <= 0)
		return 0;
	return kill((pid_t)pid, 0) != 0 && errno == ESRCH;
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
	if (stat(sock.buf, &st) != 0 || postmaster_gone(home)) {
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

extern char **environ;

/*
 * In a child that will act for the server: drop to its account, keep no
 * descriptor but 0-2 (the postmaster lives on and would hold the caller's
 * pipes open), default signals, no PG* variables (PGPORT would move the
 * socket), and a working directory the account can enter.
 */
static int child_prepare(const struct runas *ra)
{
	sigset_t none;
	size_t n = 0;

	if (become(ra) != 0)
		return -1;
	close_range(3, ~0U, 0);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	while (environ && environ[n]) {
		if (!strncmp(environ[n], "PG", 2)) {
			char name[256];
			size_t len = strcspn(environ[n], "=");

			snprintf(name, sizeof(name), "%.*s", (int)len, environ[n]);
			unsetenv(name);
			continue;
		}
		n++;
	}
	return chdir("/");
}

static int wait_child(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/*
 * Run argv as the server user with output appended to log_path. Returns
 * the exit status, or -1 if it could not be run or was killed.
 */
static int run_as(const struct runas *ra, char *const argv[], const char *log_path)
{
	pid_t pid = fork();

	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd;

		if (child_prepare(ra) != 0)
			_exit(126);
		fd = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOFOLLOW, 0600);
		if (fd >= 0) {
			dup2(fd, STDOUT_FILENO);
			dup2(fd, STDERR_FILENO);
		}
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			dup2(fd, STDIN_FILENO);
		execv(argv[0], argv);
		_exit(127);
	}
	return wait_child(pid);
}

/*
 * Run fn(arg) as the server user. Everything under pg/ is done this way
 * when we are root, so that links the account plants there are followed
 * with its rights, never root's. Returns fn's result (0 or 1), or -1.
 */
static int run_fn_as(const struct runas *ra, int (*fn)(const void *arg), const void *arg)
{
	pid_t pid;

	if (!ra->switch_user)
		return fn(arg) == 0 ? 0 : 1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0)
		_exit(child_prepare(ra) == 0 && fn(arg) == 0 ? 0 : 1);
	return wait_child(pid);
}

static int enter_check(const void *arg)
{
	return access(arg, X_OK) == 0 ? 0 : -1;
}

/* Can the server user enter dir? */
static int can_enter(const struct runas *ra, const char *dir)
{
	if (!ra->switch_user)
		return access(dir, X_OK | W_OK) == 0;
	return run_fn_as(ra, enter_check, dir) == 0;
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

/*
 * pg/: a directory owned by the server user, mode 0700. It is made by us
 * (root, maybe) in XLCFI_HOME, which only we can write, and opened without
 * following links before it is handed over.
 */
static int make_pg_dir(const struct runas *ra, const char *path, struct xl_err *err)
{
	int fd, e;

	if (mkdir(path, 0700) != 0 && errno != EEXIST) {
		e = errno;
		return xl_err_set(err, e == EACCES || e == EPERM || e == EROFS ? XL_EPERM : XL_ECANTCREAT,
				  "cannot create '%s': %s", path, strerror(e));
	}
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return xl_err_set(err, XL_ECANTCREAT, "cannot use '%s': %s", path, strerror(errno));
	if ((ra->switch_user && fchown(fd, ra->uid, ra->gid) != 0) || fchmod(fd, 0700) != 0) {
		e = errno;
		close(fd);
		return xl_err_set(err, XL_EPERM, "cannot give '%s' to '%s': %s", path,
				  ra->switch_user ? ra->name : "us", strerror(e));
	}
	close(fd);
	return 0;
}

/* pg/run, made by the server user itself (run_fn_as). */
static int make_run_dir(const void *arg)
{
	const char *path = arg;
	struct stat st;

	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		return -1;
	if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode))
		return -1;
	return chmod(path, 0700);
}

static int exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static int remove_tree(const struct runas *ra, const char *path, const char *log_path)
{
	char *argv[] = { (char *)"/bin/rm", (char *)"-rf", (char *)"--", (char *)path, NULL };

	return run_as(ra, argv, log_path) == 0 ? 0 : -1;
}

struct conf_append {
	const char *path;
	const struct xl_buf *text;
};

static int append_conf(const void *arg)
{
	const struct conf_append *ca = arg;
	int fd = open(ca->path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	int ok;

	if (fd < 0)
		return -1;
	ok = write(fd, ca->text->buf, ca->text->len) == (ssize_t)ca->text->len;
	return close(fd) == 0 && ok ? 0 : -1;
}

static int init_cluster(const struct runas *ra, const char *bindir, struct paths *p,
			int fast, struct xl_err *err)
{
	struct xl_buf initdb = XL_BUF_INIT, conf = XL_BUF_INIT, confpath = XL_BUF_INIT;
	char *argv[16];
	int n = 0, ret = -1, rc;

	/* A leftover from a crashed initdb is ours to discard. */
	if (exists(p->tmpdata.buf) && remove_tree(ra, p->tmpdata.buf, p->setup_log.buf) != 0) {
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
	xl_buf_adds(&conf, "'\nunix_socket_permissions = 0700\nport = " XL_CLUSTER_PORT "\nmax_connections = 200\n");
	if (fast)
		xl_buf_adds(&conf, "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
	xl_buf_addf(&confpath, "%s/postgresql.conf", p->tmpdata.buf);
	{
		struct conf_append ca = { confpath.buf, &conf };

		if (run_fn_as(ra, append_conf, &ca) != 0) {
			ret = xl_err_set(err, XL_EIO, "cannot write '%s'", confpath.buf);
			goto out;
		}
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

/*
 * Serialise up, down and reset on one home: a second db up must not take
 * a running initdb's directory for a crashed one's leftovers. Returns the
 * lock's descriptor (close it to unlock) or a negative error.
 */
static int lock_home(const char *home, struct xl_err *err)
{
	struct xl_buf path = XL_BUF_INIT;
	int fd;

	xl_buf_addf(&path, "%s/.lock", home);
	fd = open(path.buf, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		int e = errno;

		xl_err_set(err, e == EACCES || e == EPERM || e == EROFS ? XL_EPERM : XL_ECANTCREAT,
			   "cannot create '%s': %s", path.buf, strerror(e));
		xl_buf_release(&path);
		return -err->code;
	}
	xl_buf_release(&path);
	while (flock(fd, LOCK_EX) != 0)
		if (errno != EINTR) {
			close(fd);
			return xl_err_set(err, XL_EIO, "cannot lock '%s': %s", home, strerror(errno));
		}
	return fd;
}

int xl_cluster_up(const char *home, int fast, int *already, struct xl_err *err)
{
	struct xl_buf bindir = XL_BUF_INIT;
	struct paths p;
	struct runas ra;
	struct sockaddr_un sun;
	int ret, rc, lockfd = -1;

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
	if (strpbrk(home, ",\"'\\")) {
		ret = xl_err_set(err, XL_ECONFIG,
				 "XLCFI_HOME '%s' contains one of , \" ' \\ which PostgreSQL cannot take in a socket path",
				 home);
		goto out;
	}
	ret = mkdir_p(home, ra.switch_user ? 0755 : 0700, err);
	if (ret < 0)
		goto out;
	lockfd = lock_home(home, err);
	if (lockfd < 0) {
		ret = lockfd;
		goto out;
	}
	if (!can_enter(&ra, home)) {
		ret = xl_err_set(err, XL_EPERM,
				 "the '%s' account cannot enter '%s'; choose an XLCFI_HOME it can reach "
				 "(root's default is /var/lib/xlcfi)", ra.name, home);
		goto out;
	}
	ret = make_pg_dir(&ra, p.pg.buf, err);
	if (ret < 0)
		goto out;
	if (run_fn_as(&ra, make_run_dir, p.run.buf) != 0) {
		ret = xl_err_set(err, XL_ECANTCREAT, "cannot create '%s'", p.run.buf);
		goto out;
	}
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
	if (lockfd >= 0)
		close(lockfd);
	xl_buf_release(&bindir);
	paths_release(&p);
	return ret;
}

int xl_cluster_down(const char *home, int *was_running, struct xl_err *err)
{
	struct xl_buf bindir = XL_BUF_INIT;
	struct paths p;
	struct runas ra;
	int ret, rc, lockfd = -1;

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
	lockfd = lock_home(home, err);
	if (lockfd < 0) {
		ret = lockfd;
		goto out;
	}
	if (pg_ctl(&ra, bindir.buf, &p, "status") != 0)
		goto out;
	*was_running = 1;
	rc = pg_ctl(&ra, bindir.buf, &p, "stop");
	if (rc != 0)
		ret = xl_err_set(err, XL_EFAIL, "cannot stop the private database (pg_ctl status %d); see '%s'",
				 rc, p.setup_log.buf);
out:
	if (lockfd >= 0)
		close(lockfd);
	xl_buf_release(&bindir);
	paths_release(&p);
	return ret;
}

int xl_cluster_reset(const char *home, struct xl_err *err)
{
	char *dsn = dsn_for(home, "postgres");
	struct xl_db *db = NULL;
	int lockfd = -1, ret = xl_cluster_check_running(home, err);

	if (ret == 0) {
		lockfd = lock_home(home, err);
		ret = lockfd < 0 ? lockfd : 0;
	}
	if (ret == 0)
		ret = xl_db_connect(&db, dsn, err);
	if (ret == 0)
		ret = xl_db_exec(db, "DROP DATABASE IF EXISTS " XL_CLUSTER_DBNAME " WITH (FORCE)",
				 0, NULL, NULL, err);
	if (ret == 0)
		ret = xl_db_exec(db, "CREATE DATABASE " XL_CLUSTER_DBNAME, 0, NULL, NULL, err);
	if (lockfd >= 0)
		close(lockfd);
	xl_db_close(db);
	free(dsn);
	return ret;
}
