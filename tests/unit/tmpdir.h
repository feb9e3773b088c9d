/*
 * Scratch directories for unit tests: made with mkdtemp() under /tmp and
 * removed with the files (and empty subdirectories) in them.
 */
#ifndef XL_TEST_TMPDIR_H
#define XL_TEST_TMPDIR_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Make /tmp/<tag>.XXXXXX into dir (size bytes). 0 or -1. */
static inline int tmpdir_make(char *dir, size_t size, const char *tag)
{
	snprintf(dir, size, "/tmp/%s.XXXXXX", tag);
	return mkdtemp(dir) ? 0 : -1;
}

/* Remove what is in dir, one level deep, then dir itself. */
static inline void tmpdir_remove(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;

	while (d && (e = readdir(d))) {
		char p[512];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (unlink(p) < 0)
			rmdir(p);
	}
	if (d)
		closedir(d);
	rmdir(dir);
}

/*
 * The usual cmocka fixture: a scratch directory and up to two file paths
 * in it (path[i] is "" when name i is NULL). Use as a group or test
 * setup/teardown through tmpdir_fixture_setup/_teardown.
 */
struct fixture {
	char dir[64];
	char path[2][128];
};

static inline int tmpdir_fixture_setup(void **state, const char *tag, const char *name0,
				       const char *name1)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	if (tmpdir_make(f->dir, sizeof(f->dir), tag) < 0) {
		free(f);
		return -1;
	}
	if (name0)
		snprintf(f->path[0], sizeof(f->path[0]), "%s/%s", f->dir, name0);
	if (name1)
		snprintf(f->path[1], sizeof(f->path[1]), "%s/%s", f->dir, name1);
	*state = f;
	return 0;
}

static inline int tmpdir_fixture_teardown(void **state)
{
	struct fixture *f = *state;

	tmpdir_remove(f->dir);
	free(f);
	return 0;
}

#endif
