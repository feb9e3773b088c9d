/* Unit tests for lib/xl_recmodel.h: the model file's round trip and its refusals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tmpdir.h"
#include "xl_recmodel.h"

struct model_fixture {
	char dir[64], path[128];
	struct xl_csr ui;
	struct xl_als_params p;
	float x[3 * 4], y[4 * 4];
};

static const char *const users[] = { "17850", "u-2", "사용자" };
static const char *const items[] = { "KF-002", "KF-001", "85123A", "떡볶이" };

static int setup(void **state)
{
	static const uint32_t r[] = { 0, 0, 1, 2, 2 }, c[] = { 1, 3, 0, 2, 3 };
	static const float v[] = { 1, 2, 3, 4, 5 };
	struct model_fixture *f = calloc(1, sizeof(*f));

	if (tmpdir_make(f->dir, sizeof(f->dir), "xl_recmodel") < 0)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/m.als", f->dir);
	xl_csr_build(&f->ui, 3, 4, r, c, v, 5);
	f->p = (struct xl_als_params)XL_ALS_PARAMS_INIT;
	f->p.factors = 4;
	for (int i = 0; i < 12; i++)
		f->x[i] = (float)i / 7;
	for (int i = 0; i < 16; i++)
		f->y[i] = (float)(16 - i) / 9;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct model_fixture *f = *state;

	tmpdir_remove(f->dir);
	xl_csr_release(&f->ui);
	free(f);
	return 0;
}

static void write_model(struct model_fixture *f)
{
	struct xl_recmodel_data d = {
		.params = &f->p, .nusers = 3, .nitems = 4, .user_ids = users, .item_ids = items,
		.user_factors = f->x, .item_factors = f->y, .ui = &f->ui, .trained_at = 1764547200000000,
		.train_seconds = 1.5, .params_json = "{\"source\":\"records\"}",
	};
	struct xl_err err = XL_ERR_INIT;

	assert_int_equal(xl_recmodel_write(f->path, &d, &err), 0);
}

static void test_round_trip(void **state)
{
	struct model_fixture *f = *state;
	struct xl_recmodel *m = NULL;
	struct xl_err err = XL_ERR_INIT;
	const struct xl_recmodel_info *in;
	const uint32_t *it;
	const float *sv;
	uint32_t idx;

	write_model(f);
	assert_int_equal(xl_recmodel_open(&m, f->path, &err), 0);
	in = xl_recmodel_info(m);
	assert_int_equal(in->version, XL_RECMODEL_VERSION);
	assert_int_equal(in->factors, 4);
	assert_int_equal(in->nusers, 3);
	assert_int_equal(in->nitems, 4);
	assert_int_equal(in->nnz, 5);
	assert_true(in->reg == f->p.reg && in->alpha == f->p.alpha);
	assert_int_equal(in->trained_at, 1764547200000000);
	assert_string_equal(in->params_json, "{\"source\":\"records\"}");
	assert_memory_equal(xl_recmodel_user_factors(m), f->x, sizeof(f->x));
	assert_memory_equal(xl_recmodel_item_factors(m), f->y, sizeof(f->y));
	/* Ids both ways, Hangul included; an unknown id is not found. */
	for (uint32_t u = 0; u < 3; u++) {
		assert_int_equal(xl_recmodel_find_user(m, users[u], &idx), 0);
		assert_int_equal(idx, u);
		assert_string_equal(xl_recmodel_user_id(m, u), users[u]);
	}
	for (uint32_t i = 0; i < 4; i++) {
		assert_int_equal(xl_recmodel_find_item(m, items[i], &idx), 0);
		assert_int_equal(idx, i);
	}
	assert_int_equal(xl_recmodel_find_user(m, "nobody", &idx), -XL_ENOTFOUND);
	assert_int_equal(xl_recmodel_find_item(m, "", &idx), -XL_ENOTFOUND);
	/* What user 2 had, and the popularity and Y^T Y derived on writing. */
	assert_int_equal(xl_recmodel_user_items(m, 2, &it, &sv), 2);
	assert_int_equal(it[0], 2);
	assert_true(sv[1] == 5);
	assert_true(xl_recmodel_popularity(m)[3] == 2);
	assert_true(xl_recmodel_gram(m)[1] == xl_recmodel_gram(m)[4]);
	xl_recmodel_close(m);
}

/* Open must fail with code and a message containing want. */
static void refused(const char *path, int code, const char *want)
{
	struct xl_recmodel *m = NULL;
	struct xl_err err = XL_ERR_INIT;

	assert_int_equal(xl_recmodel_open(&m, path, &err), -code);
	assert_null(m);
	if (!strstr(err.msg, want))
		fail_msg("'%s' does not say '%s'", err.msg, want);
}

static void test_refusals(void **state)
{
	struct model_fixture *f = *state;
	struct stat st;
	FILE *fp;
	char other[160];
	int c;

	write_model(f);
	assert_int_equal(stat(f->path, &st), 0);
	refused("/nonexistent/m.als", XL_ENOINPUT, "cannot open");
	refused(f->dir, XL_ENOINPUT, "cannot open");
	/* One byte flipped in the factors: the checksum. */
	fp = fopen(f->path, "r+b");
	assert_non_null(fp);
	fseek(fp, st.st_size - 200, SEEK_SET);
	c = fgetc(fp);
	fseek(fp, st.st_size - 200, SEEK_SET);
	fputc(c ^ 0x40, fp);
	fclose(fp);
	refused(f->path, XL_EINVAL, "checksum");
	/* Truncated, at every cut worth trying. */
	write_model(f);
	for (off_t cut = 0; cut < st.st_size; cut += cut < 300 ? 37 : 501) {
		assert_int_equal(truncate(f->path, cut), 0);
		refused(f->path, XL_EINVAL, "not a valid model");
		write_model(f);
	}
	/* Something else altogether. */
	snprintf(other, sizeof(other), "%s/other", f->dir);
	fp = fopen(other, "w");
	for (int i = 0; i < 1000; i++)
		fputs("not a model at all ", fp);
	fclose(fp);
	refused(other, XL_EINVAL, "wrong magic");
	/* A failed write leaves nothing behind and the old model intact. */
	{
		struct xl_recmodel_data d = {
			.params = &f->p, .nusers = 2, .nitems = 4, .user_ids = (const char *const[]){ "a", "a" },
			.item_ids = items, .user_factors = f->x, .item_factors = f->y, .ui = &f->ui,
		};
		struct xl_err err = XL_ERR_INIT;
		struct xl_recmodel *m = NULL;

		assert_int_equal(xl_recmodel_write(f->path, &d, &err), -XL_EINVAL);
		assert_int_equal(xl_recmodel_open(&m, f->path, &err), 0);
		assert_int_equal(xl_recmodel_info(m)->nusers, 3);
		xl_recmodel_close(m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
