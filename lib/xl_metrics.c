#include "xl_metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xl_alloc.h"
#include "xl_atfile.h"
#include "xl_buf.h"
#include "xl_num.h"
#include "xl_banned.h"

struct sample {
	char *name, *help, *labels;
	enum xl_metric_type type;
	double value;
};

struct xl_metrics {
	struct sample *s;
	size_t n, alloc;
};

struct xl_metrics *xl_metrics_new(void)
{
	return xl_xcalloc(1, sizeof(struct xl_metrics));
}

void xl_metrics_free(struct xl_metrics *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->s[i].name);
		free(m->s[i].help);
		free(m->s[i].labels);
	}
	free(m->s);
	free(m);
}

static int valid_name(const char *s)
{
	if (!*s || (*s >= '0' && *s <= '9'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == ':'))
			return 0;
	return 1;
}

int xl_metrics_set(struct xl_metrics *m, const char *name, const char *help,
		   enum xl_metric_type type, const char *labels, double value)
{
	const char *l = labels ? labels : "";
	struct sample *s;

	if (!valid_name(name))
		return -XL_EINVAL;
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->s[i].name, name) && !strcmp(m->s[i].labels, l)) {
			m->s[i].value = value;
			return 0;
		}
	XL_ALLOC_GROW(m->s, m->n + 1, m->alloc);
	s = &m->s[m->n++];
	s->name = xl_xstrdup(name);
	s->help = xl_xstrdup(help ? help : "");
	s->labels = xl_xstrdup(l);
	s->type = type;
	s->value = value;
	return 0;
}

size_t xl_metrics_escape(char *buf, size_t size, const char *value)
{
	size_t n = 0;

	if (!size)
		return 0;
	for (; *value && n + 2 < size; value++) {
		char c = *value;

		if (c == '\\' || c == '"' || c == '\n') {
			buf[n++] = '\\';
			c = c == '\n' ? 'n' : c;
		}
		buf[n++] = c;
	}
	buf[n] = '\0';
	return n;
}

/* HELP text escapes backslash and newline, or the collector rejects the file. */
static void add_help(struct xl_buf *out, const char *help)
{
	for (; *help; help++) {
		if (*help == '\\')
			xl_buf_adds(out, "\\\\");
		else if (*help == '\n')
			xl_buf_adds(out, "\\n");
		else
			xl_buf_addch(out, *help);
	}
	xl_buf_addch(out, '\n');
}

static void render(const struct xl_metrics *m, struct xl_buf *out)
{
	char num[XL_NUM_DBL_BUFSZ];

	for (size_t i = 0; i < m->n; i++) {
		const struct sample *s = &m->s[i];
		int first = 1;

		for (size_t j = 0; j < i; j++)
			if (!strcmp(m->s[j].name, s->name))
				first = 0;
		if (first) {
			if (*s->help) {
				xl_buf_addf(out, "# HELP %s ", s->name);
				add_help(out, s->help);
			}
			xl_buf_addf(out, "# TYPE %s %s\n", s->name,
				    s->type == XL_METRIC_COUNTER ? "counter" : "gauge");
			/* Samples of one name must be adjacent. */
			for (size_t j = i; j < m->n; j++) {
				const struct sample *t = &m->s[j];

				if (strcmp(t->name, s->name))
					continue;
				if (isinf(t->value))
					snprintf(num, sizeof(num), "%cInf", t->value > 0 ? '+' : '-');
				else if (xl_num_format_double(num, sizeof(num), t->value) < 0)
					snprintf(num, sizeof(num), "NaN");
				if (*t->labels)
					xl_buf_addf(out, "%s{%s} %s\n", t->name, t->labels, num);
				else
					xl_buf_addf(out, "%s %s\n", t->name, num);
			}
		}
	}
}

int xl_metrics_write(const struct xl_metrics *m, const char *path, struct xl_err *err)
{
	struct xl_buf out = XL_BUF_INIT;
	struct xl_atfile f;
	int ret;

	render(m, &out);
	ret = xl_atfile_open(&f, path, err);
	if (ret == 0) {
		fwrite(out.buf, 1, out.len, f.fp);
		ret = xl_atfile_commit(&f, err);
	}
	xl_buf_release(&out);
	return ret;
}
