/* Unit tests for lib/xl_buf.h: the bounded growable byte buffer. */
#include <stdlib.h>
#include <string.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "xl_buf.h"
#include "xl_err.h"

static void test_init_is_empty_string(void **state)
{
	struct xl_buf a = XL_BUF_INIT, b;

	(void)state;
	assert_non_null(a.buf);
	assert_int_equal(a.len, 0);
	assert_string_equal(a.buf, "");
	xl_buf_init(&b, 10);
	assert_non_null(b.buf);
	assert_string_equal(b.buf, "");
	assert_int_equal(b.max, 10);
	/* Releasing a never-used buffer is harmless. */
	xl_buf_release(&a);
	xl_buf_release(&b);
	assert_string_equal(a.buf, "");
	assert_int_equal(b.max, 10);
}

static void test_add_adds_addch(void **state)
{
	struct xl_buf b = XL_BUF_INIT;

	(void)state;
	assert_int_equal(xl_buf_add(&b, "abc", 3), 0);
	assert_int_equal(xl_buf_adds(&b, "def"), 0);
	assert_int_equal(xl_buf_addch(&b, 'g'), 0);
	assert_int_equal(xl_buf_add(&b, "zzz", 0), 0);
	assert_int_equal(b.len, 7);
	assert_string_equal(b.buf, "abcdefg");
	assert_true(b.alloc > b.len);
	xl_buf_release(&b);
}

static void test_add_binary_with_nul(void **state)
{
	struct xl_buf b = XL_BUF_INIT;

	(void)state;
	assert_int_equal(xl_buf_add(&b, "a\0b", 3), 0);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.buf, "a\0b", 4);
	xl_buf_release(&b);
}

static void test_cap_add(void **state)
{
	struct xl_buf b;

	(void)state;
	xl_buf_init(&b, 5);
	assert_int_equal(xl_buf_add(&b, "abc", 3), 0);
	assert_int_equal(xl_buf_add(&b, "def", 3), -XL_ETOOBIG);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.buf, "abc");
	assert_int_equal(xl_buf_adds(&b, "xyz"), -XL_ETOOBIG);
	assert_string_equal(b.buf, "abc");
	/* Exactly up to the cap is fine. */
	assert_int_equal(xl_buf_add(&b, "de", 2), 0);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.buf, "abcde");
	assert_int_equal(xl_buf_addch(&b, 'f'), -XL_ETOOBIG);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.buf, "abcde");
	assert_int_equal(xl_buf_add(&b, "", 0), 0);
	assert_int_equal(xl_buf_grow(&b, 1), -XL_ETOOBIG);
	assert_int_equal(xl_buf_grow(&b, SIZE_MAX), -XL_ETOOBIG);
	assert_string_equal(b.buf, "abcde");
	xl_buf_release(&b);
}

static void test_cap_on_empty_buffer(void **state)
{
	struct xl_buf b;

	(void)state;
	xl_buf_init(&b, 2);
	assert_int_equal(xl_buf_adds(&b, "abc"), -XL_ETOOBIG);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	assert_int_equal(xl_buf_addf(&b, "%d", 123), -XL_ETOOBIG);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	xl_buf_release(&b);
}

static void test_cap_addf(void **state)
{
	struct xl_buf b;

	(void)state;
	xl_buf_init(&b, 8);
	assert_int_equal(xl_buf_addf(&b, "%s-%d", "ab", 12), 0);
	assert_string_equal(b.buf, "ab-12");
	/* Fits in the allocation (64 bytes) but not under the cap. */
	assert_int_equal(xl_buf_addf(&b, "%s", "wxyz"), -XL_ETOOBIG);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.buf, "ab-12");
	/* Bigger than the allocation and the cap. */
	assert_int_equal(xl_buf_addf(&b, "%0200d", 7), -XL_ETOOBIG);
	assert_int_equal(b.len, 5);
	assert_string_equal(b.buf, "ab-12");
	assert_int_equal(xl_buf_addf(&b, "%d", 678), 0);
	assert_string_equal(b.buf, "ab-12678");
	assert_int_equal(xl_buf_addf(&b, "%s", ""), 0);
	assert_int_equal(xl_buf_addf(&b, "x"), -XL_ETOOBIG);
	assert_string_equal(b.buf, "ab-12678");
	xl_buf_release(&b);
}

static void test_addf_grows_past_initial_allocation(void **state)
{
	struct xl_buf b = XL_BUF_INIT;
	char expect[1200];
	size_t first_alloc;

	(void)state;
	assert_int_equal(xl_buf_addf(&b, "%s", "head:"), 0);
	first_alloc = b.alloc;
	assert_true(first_alloc < 1000);
	memset(expect, 'q', 1000);
	expect[1000] = '\0';
	assert_int_equal(xl_buf_addf(&b, "%s|%d", expect, 42), 0);
	assert_true(b.alloc > first_alloc);
	assert_int_equal(b.len, 5 + 1000 + 3);
	assert_memory_equal(b.buf, "head:", 5);
	assert_memory_equal(b.buf + 5, expect, 1000);
	assert_string_equal(b.buf + 1005, "|42");
	/* Many small appends keep everything. */
	for (int i = 0; i < 500; i++)
		assert_int_equal(xl_buf_addf(&b, "%03d", i), 0);
	assert_int_equal(b.len, 1008 + 1500);
	assert_memory_equal(b.buf + 1008, "000001002", 9);
	assert_string_equal(b.buf + b.len - 3, "499");
	xl_buf_release(&b);
}

static void test_addf_first_call_on_init_buffer(void **state)
{
	struct xl_buf b = XL_BUF_INIT;

	(void)state;
	assert_int_equal(xl_buf_addf(&b, "%d %s %c", -5, "x", 'y'), 0);
	assert_string_equal(b.buf, "-5 x y");
	assert_int_equal(b.len, 6);
	xl_buf_release(&b);
}

static void test_detach_empty(void **state)
{
	struct xl_buf b = XL_BUF_INIT;
	size_t len = 99;
	char *s = xl_buf_detach(&b, &len);

	(void)state;
	assert_non_null(s);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	assert_true(s != xl_buf_empty);
	free(s);
	/* After add + reset: also empty. */
	xl_buf_adds(&b, "abc");
	xl_buf_reset(&b);
	s = xl_buf_detach(&b, NULL);
	assert_string_equal(s, "");
	free(s);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
}

static void test_detach_non_empty(void **state)
{
	struct xl_buf b;
	size_t len = 0;
	char *s;

	(void)state;
	xl_buf_init(&b, 100);
	xl_buf_adds(&b, "hello");
	s = xl_buf_detach(&b, &len);
	assert_string_equal(s, "hello");
	assert_int_equal(len, 5);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_int_equal(b.max, 100);
	assert_string_equal(b.buf, "");
	assert_true(b.buf != s);
	free(s);
	/* Usable again. */
	assert_int_equal(xl_buf_adds(&b, "again"), 0);
	assert_string_equal(b.buf, "again");
	xl_buf_release(&b);
}

static void test_release_then_reuse(void **state)
{
	struct xl_buf b;

	(void)state;
	xl_buf_init(&b, 4);
	assert_int_equal(xl_buf_adds(&b, "abcd"), 0);
	xl_buf_release(&b);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.alloc, 0);
	assert_int_equal(b.max, 4);
	assert_string_equal(b.buf, "");
	assert_int_equal(xl_buf_adds(&b, "wxyz"), 0);
	assert_string_equal(b.buf, "wxyz");
	assert_int_equal(xl_buf_addch(&b, '!'), -XL_ETOOBIG);
	xl_buf_release(&b);
	xl_buf_release(&b);
	assert_string_equal(b.buf, "");
}

static void test_reset_and_setlen(void **state)
{
	struct xl_buf b = XL_BUF_INIT;
	size_t alloc;

	(void)state;
	xl_buf_reset(&b);
	assert_string_equal(b.buf, "");
	xl_buf_adds(&b, "abcdef");
	alloc = b.alloc;
	xl_buf_setlen(&b, 3);
	assert_int_equal(b.len, 3);
	assert_string_equal(b.buf, "abc");
	xl_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	assert_int_equal(b.alloc, alloc);
	xl_buf_adds(&b, "xy");
	assert_string_equal(b.buf, "xy");
	xl_buf_release(&b);
}

static void test_grow_reserves(void **state)
{
	struct xl_buf b = XL_BUF_INIT;

	(void)state;
	assert_int_equal(xl_buf_grow(&b, 1000), 0);
	assert_true(b.alloc >= 1001);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.buf, "");
	xl_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_is_empty_string),
		cmocka_unit_test(test_add_adds_addch),
		cmocka_unit_test(test_add_binary_with_nul),
		cmocka_unit_test(test_cap_add),
		cmocka_unit_test(test_cap_on_empty_buffer),
		cmocka_unit_test(test_cap_addf),
		cmocka_unit_test(test_addf_grows_past_initial_allocation),
		cmocka_unit_test(test_addf_first_call_on_init_buffer),
		cmocka_unit_test(test_detach_empty),
		cmocka_unit_test(test_detach_non_empty),
		cmocka_unit_test(test_release_then_reuse),
		cmocka_unit_test(test_reset_and_setlen),
		cmocka_unit_test(test_grow_reserves),
	};

	return cmocka_run_group_tests_name("xl_buf", tests, NULL, NULL);
}
