#include "xl_lines.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xl_alloc.h"
#include "xl_buf.h"
#include "xl_banned.h"

#define CHUNK_SIZE ((size_t)256 << 10)
#define MAX_LINE_DEFAULT ((size_t)16 << 20)

struct xl_lines {
	char *const *paths;
	size_t npaths;
	size_t next;          /* index of the next path to open */
	size_t index;         /* index of the current (or last) file */
	unsigned flags;
	int fd;               /* -1 when no file is open */
	int is_stdin;
	const char *name;
	uint64_t lineno;
	size_t max_line;
	uint64_t bytes, total;

	char *chunk;
	size_t chunk_len, chunk_pos;
	int eof;

	struct xl_buf line;   /* a line that spans chunks */
};

static char *const stdin_only[] = { (char *)"-" };

void xl_lines_open(struct xl_lines **out, char *const *paths, size_t npaths, size_t max_line,
		   unsigned flags)
{
	struct xl_lines *l = xl_xcalloc(1, sizeof(*l));

	if (npaths == 0) {
		paths = stdin_only;
		npaths = 1;
	}
	l->paths = paths;
	l->npaths = npaths;
	l->flags = flags;
	l->fd = -1;
	l->name = "<stdin>";
	l->max_line = max_line ? max_line : MAX_LINE_DEFAULT;
	l->chunk = xl_xmalloc(CHUNK_SIZE);
	xl_buf_init(&l->line, l->max_line);
	for (size_t i = 0; i < npaths; i++) {
		struct stat st;

		if (strcmp(paths[i], "-") && stat(paths[i], &st) == 0 && S_ISREG(st.st_mode))
			l->total += (uint64_t)st.st_size;
	}
	*out = l;
}

void xl_lines_set_flags(struct xl_lines *l, unsigned flags)
{
	l->flags = flags;
}

static void close_file(struct xl_lines *l)
{
	/* A file can get descriptor 0 when stdin was closed: only "-" is left open. */
	if (l->fd >= 0 && !l->is_stdin)
		close(l->fd);
	l->fd = -1;
}

static int open_next(struct xl_lines *l, struct xl_err *err)
{
	const char *path = l->paths[l->next];

	l->index = l->next++;
	l->lineno = 0;
	l->chunk_len = l->chunk_pos = 0;
	l->eof = 0;
	l->is_stdin = !strcmp(path, "-");
	if (l->is_stdin) {
		l->name = "<stdin>";
		l->fd = 0;
		return 0;
	}
	l->name = path;
	l->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (l->fd < 0)
		return xl_err_set(err, XL_ENOINPUT, "cannot open '%s': %s", path, strerror(errno));
	return 0;
}

/* Read the next chunk: 1, 0 at end of file, or -XL_EIO. */
static int fill(struct xl_lines *l, struct xl_err *err)
{
	for (;;) {
		ssize_t n = read(l->fd, l->chunk, CHUNK_SIZE);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return xl_err_set(err, XL_EIO, "cannot read '%s': %s", l->name, strerror(errno));
		l->chunk_len = (size_t)n;
		l->chunk_pos = 0;
		l->bytes += (uint64_t)n;
		if (n == 0)
			l->eof = 1;
		return n > 0;
	}
}

/* The next line of the open file: 1, 0 at end of file, -XL_ETOOBIG, -XL_EIO. */
static int next_in_file(struct xl_lines *l, const char **line, size_t *len, struct xl_err *err)
{
	int toolong = 0;

	xl_buf_reset(&l->line);
	for (;;) {
		const char *p, *nl;
		size_t avail, seg;

		if (l->chunk_pos == l->chunk_len) {
			int ret;

			if (l->eof) {
				if (!toolong && l->line.len == 0)
					return 0;
				break;
			}
			ret = fill(l, err);
			if (ret < 0)
				return ret;
			continue;
		}
		p = l->chunk + l->chunk_pos;
		avail = l->chunk_len - l->chunk_pos;
		nl = memchr(p, '\n', avail);
		seg = nl ? (size_t)(nl - p) : avail;
		if (!toolong && l->line.len == 0 && nl && seg <= l->max_line) {
			l->chunk_pos += seg + 1;
			l->lineno++;
			*line = p;
			*len = seg;
			return 1;
		}
		if (!toolong && xl_buf_add(&l->line, p, seg) < 0) {
			toolong = 1;
			xl_buf_release(&l->line);
		}
		l->chunk_pos += seg + (nl ? 1 : 0);
		if (nl)
			break;
	}
	l->lineno++;
	if (toolong) {
		xl_buf_release(&l->line);
		return xl_err_set(err, XL_ETOOBIG, "line is longer than the limit of %zu bytes", l->max_line);
	}
	*line = l->line.buf;
	*len = l->line.len;
	return 1;
}

static int is_blank(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != ' ' && s[i] != '\t')
			return 0;
	return 1;
}

int xl_lines_next(struct xl_lines *l, const char **line, size_t *len, struct xl_err *err)
{
	for (;;) {
		int ret;

		if (l->fd < 0) {
			if (l->next >= l->npaths)
				return 0;
			ret = open_next(l, err);
			if (ret < 0)
				return ret;
		}
		ret = next_in_file(l, line, len, err);
		if (ret == 0 || ret == -XL_EIO) {
			close_file(l);
			if (ret < 0)
				return ret;
			continue;
		}
		if (ret < 0)
			return ret;
		if ((l->flags & XL_LINES_STRIP_BOM) && l->lineno == 1 && *len >= 3 &&
		    !memcmp(*line, "\xEF\xBB\xBF", 3)) {
			*line += 3;
			*len -= 3;
		}
		if ((l->flags & XL_LINES_STRIP_CR) && *len > 0 && (*line)[*len - 1] == '\r')
			(*len)--;
		if ((l->flags & XL_LINES_SKIP_BLANK) && is_blank(*line, *len))
			continue;
		return 1;
	}
}

int xl_lines_peek(struct xl_lines *l, const char **data, size_t *len, struct xl_err *err)
{
	*data = NULL;
	*len = 0;
	while (l->fd < 0) {
		int ret;

		if (l->next >= l->npaths)
			return 0;
		ret = open_next(l, err);
		if (ret < 0)
			return ret;
	}
	if (l->chunk_len == 0 && !l->eof) {
		int ret = fill(l, err);

		if (ret < 0)
			return ret;
	}
	*data = l->chunk + l->chunk_pos;
	*len = l->chunk_len - l->chunk_pos;
	return 0;
}

const char *xl_lines_file(const struct xl_lines *l)
{
	return l->name;
}

size_t xl_lines_file_index(const struct xl_lines *l)
{
	return l->index;
}

uint64_t xl_lines_line(const struct xl_lines *l)
{
	return l->lineno;
}

uint64_t xl_lines_bytes(const struct xl_lines *l)
{
	return l->bytes;
}

uint64_t xl_lines_total_size(const struct xl_lines *l)
{
	return l->total;
}

void xl_lines_close(struct xl_lines *l)
{
	if (!l)
		return;
	close_file(l);
	xl_buf_release(&l->line);
	free(l->chunk);
	free(l);
}
