/* Unit tests for lib/xl_hash.h: dense slots for integer and string keys. */
#include <stdio.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_hash.h"

static void test_integers(void **state)
{
	struct xl_hash h = XL_HASH_INIT;
	size_t slot;
	int added;

	(void)state;
	assert_int_equal(xl_hash_find_i64(&h, 7, &slot), -1);
	/* Slots in first-seen order, through many grows; negative keys too. */
	for (int64_t i = 0; i < 100000; i++) {
		assert_int_equal(xl_hash_i64(&h, (i - 50000) * 7919, &added), (size_t)i);
		assert_int_equal(added, 1);
	}
	for (int64_t i = 0; i < 100000; i += 997) {
		assert_int_equal(xl_hash_i64(&h, (i - 50000) * 7919, &added), (size_t)i);
		assert_int_equal(added, 0);
		assert_int_equal(xl_hash_find_i64(&h, (i - 50000) * 7919, &slot), 0);
		assert_int_equal(slot, (size_t)i);
		assert_int_equal(xl_hash_ikey(&h, slot), (i - 50000) * 7919);
	}
	assert_int_equal(xl_hash_find_i64(&h, 1, &slot), -1);
	assert_int_equal(xl_hash_count(&h), 100000);
	xl_hash_release(&h);
	assert_int_equal(xl_hash_count(&h), 0);
}

static void test_strings(void **state)
{
	struct xl_hash h = XL_HASH_INIT;
	char key[32];
	int added;

	(void)state;
	for (int i = 0; i < 5000; i++) {
		snprintf(key, sizeof(key), "KF-%05d", i);
		assert_int_equal(xl_hash_str(&h, key, &added), (size_t)i);
		assert_true(added);
	}
	assert_int_equal(xl_hash_str(&h, "KF-01234", &added), 1234);
	assert_false(added);
	assert_int_equal(xl_hash_str(&h, "불닭볶음면", NULL), 5000);
	assert_string_equal(xl_hash_skey(&h, 5000), "불닭볶음면");
	assert_int_equal(xl_hash_str(&h, "", &added), 5001);
	assert_true(added);
	xl_hash_release(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_integers),
		cmocka_unit_test(test_strings),
	};

	return cmocka_run_group_tests_name("xl_hash", tests, NULL, NULL);
}
