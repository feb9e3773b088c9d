#include "xl_atfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_banned.h"

static void release(struct xl_atfile *f)
{
	free(f->path);
	free(f->tmp);
	f->path = f->tmp = NULL;
	f->fp = NULL;
}

/* Make the rename itself durable: fsync the directory that holds path. */
static void sync_dir(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash ? xl_xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : xl_xstrdup(".");
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

int xl_atfile_open(struct xl_atfile *f, const char *path, struct xl_err *err)
{
	struct xl_buf tmp = XL_BUF_INIT;
	struct stat st;
	int fd;

	f->fp = NULL;
	f->path = NULL;
	f->tmp = NULL;
	/* Renaming over a device, a FIFO or a symbolic link would replace it, not write to it. */
	if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode))
		return xl_err_set(err, XL_ECANTCREAT,
				  "'%s' is not a regular file; write to it with '>' instead", path);
	xl_buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	if (fd < 0 && errno == EEXIST) {
		/* A leftover of an earlier run with our pid: ours to replace. */
		unlink(tmp.buf);
		fd = open(tmp.buf, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
	}
	if (fd < 0) {
		int e = errno;

		xl_buf_release(&tmp);
		return xl_err_set(err, XL_ECANTCREAT, "cannot create '%s': %s", path, strerror(e));
	}
	f->fp = fdopen(fd, "w");
	if (!f->fp) {
		close(fd);
		unlink(tmp.buf);
		xl_buf_release(&tmp);
		return xl_err_set(err, XL_ECANTCREAT, "cannot create '%s': out of memory", path);
	}
	f->path = xl_xstrdup(path);
	f->tmp = xl_buf_detach(&tmp, NULL);
	return 0;
}

int xl_atfile_commit(struct xl_atfile *f, struct xl_err *err)
{
	int ret = 0, e = 0;

	if (fflush(f->fp) != 0 || ferror(f->fp) || fsync(fileno(f->fp)) != 0)
		e = errno ? errno : EIO;
	if (fclose(f->fp) != 0 && !e)
		e = errno;
	if (!e && rename(f->tmp, f->path) != 0)
		e = errno;
	if (!e)
		sync_dir(f->path);
	if (e) {
		unlink(f->tmp);
		ret = xl_err_set(err, XL_EIO, "cannot write '%s': %s", f->path, strerror(e));
	}
	release(f);
	return ret;
}

void xl_atfile_abort(struct xl_atfile *f)
{
	if (f->fp) {
		fclose(f->fp);
		unlink(f->tmp);
	}
	release(f);
}
