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

#endif
