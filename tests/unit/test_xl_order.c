/*
 * xl_order: the checks a request passes before it reaches the database
 * (no connection is needed: a refused request never uses it), and the
 * state machine's names. Creating and moving orders against a real
 * database is tested by tests/cli/t0200-order.sh and t0201-order-race.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "xl_order.h"

/* The request in text must be refused with a message starting with want. */
static void refused(const char *text, const char *want)
{
	struct xl_order_pricing pricing = XL_ORDER_PRICING_DEFAULT;
	struct xl_err err = XL_ERR_INIT;
	json_error_t jerr;
	json_t *req = json_loads(text, JSON_DECODE_ANY, &jerr), *order = (json_t *)1;
	int replayed = 7;

	assert_non_null(req);
	assert_int_equal(xl_order_create(NULL, req, &pricing, &order, &replayed, &err), -XL_EINVAL);
	if (strncmp(err.msg, want, strlen(want))) {
		print_error("request %s: got '%s', want '%s...'\n", text, err.msg, want);
		fail();
	}
	assert_null(order);
	assert_int_equal(replayed, 0);
	json_decref(req);
}

static void test_request_shape(void **state)
{
	(void)state;
	refused("[]", "expected an order request object");
	refused("{\"items\":[{\"sku\":\"A\",\"qty\":1}]}", "user_id: missing");
	refused("{\"user_id\":0,\"items\":[{\"sku\":\"A\",\"qty\":1}]}", "user_id: expected a positive whole number");
	refused("{\"user_id\":\"7\",\"items\":[{\"sku\":\"A\",\"qty\":1}]}", "user_id: expected a positive");
	refused("{\"user_id\":1.5,\"items\":[{\"sku\":\"A\",\"qty\":1}]}", "user_id: expected a positive");
	refused("{\"user_id\":1}", "items: expected an array");
	refused("{\"user_id\":1,\"items\":{}}", "items: expected an array");
	refused("{\"user_id\":1,\"items\":[]}", "items: an order needs at least one item");
	refused("{\"user_id\":1,\"items\":[7]}", "items[0]: expected an object");
	refused("{\"user_id\":1,\"items\":[{\"qty\":1}]}", "items[0].sku: missing");
	refused("{\"user_id\":1,\"items\":[{\"sku\":\"A\",\"qty\":1},{\"sku\":\"has space\",\"qty\":1}]}",
		"items[1].sku: not a SKU");
	refused("{\"user_id\":1,\"items\":[{\"sku\":7,\"qty\":1}]}", "items[0].sku: not a SKU");
	refused("{\"user_id\":1,\"items\":[{\"sku\":\"A\\\"B\",\"qty\":1}]}", "items[0].sku: not a SKU");
	refused("{\"user_id\":1,\"items\":[{\"sku\":\"A\"}]}", "items[0].qty: missing");
}

static void test_quantities(void **state)
{
	(void)state;
	refused("{\"user_id\":1,\"items\":[{\"sku\":\"A\",\"qty\":0}]}", "items[0].qty: expected a whole number from 1 to 100000");
	refused("{\"user_id\":1,\"items\":[{\"sku\":\"A\",\"qty\":-1}]}", "items[0].qty: expected");
	refused("{\"user_id\":1,\"items\":[{\"sku\":\"A\",\"qty\":100001}]}", "items[0].qty: expected");
	refused("{\"user_id\":1,\"items\":[{\"sku\":\"A\",\"qty\":2.0}]}", "items[0].qty: expected");
	refused("{\"user_id\":1,\"items\":[{\"sku\":\"A\",\"qty\":\"2\"}]}", "items[0].qty: expected");
	refused("{\"user_id\":1,\"items\":[{\"sku\":\"A\",\"qty\":1e3}]}", "items[0].qty: expected");
}

static void test_too_many_lines(void **state)
{
	char text[8192];
	size_t n = (size_t)snprintf(text, sizeof(text), "{\"user_id\":1,\"items\":[");

	(void)state;
	for (int i = 0; i <= XL_ORDER_MAX_LINES; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "%s{\"sku\":\"S%d\",\"qty\":1}", i ? "," : "", i);
	snprintf(text + n, sizeof(text) - n, "]}");
	refused(text, "items: 101 lines, at most 100");
}

static void test_client_ref(void **state)
{
	char text[512];

	(void)state;
	refused("{\"user_id\":1,\"client_ref\":\"\",\"items\":[{\"sku\":\"A\",\"qty\":1}]}",
		"client_ref: expected a string of 1 to 200 bytes");
	refused("{\"user_id\":1,\"client_ref\":42,\"items\":[{\"sku\":\"A\",\"qty\":1}]}", "client_ref: expected");
	snprintf(text, sizeof(text), "{\"user_id\":1,\"client_ref\":\"%0201d\",\"items\":[{\"sku\":\"A\",\"qty\":1}]}", 0);
	refused(text, "client_ref: expected");
}

static void test_moves(void **state)
{
	struct xl_order_move m = { .action = XL_ORDER_SHIP, .order_id = 1 };
	struct xl_err err = XL_ERR_INIT;
	json_t *t = (json_t *)1;

	(void)state;
	assert_string_equal(xl_order_action_status(XL_ORDER_PAY), "paid");
	assert_string_equal(xl_order_action_status(XL_ORDER_PREPARE), "preparing");
	assert_string_equal(xl_order_action_status(XL_ORDER_SHIP), "shipped");
	assert_string_equal(xl_order_action_status(XL_ORDER_DELIVER), "delivered");
	assert_string_equal(xl_order_action_status(XL_ORDER_CANCEL), "cancelled");
	assert_string_equal(xl_order_action_status(XL_ORDER_EXPIRE), "expired");
	assert_string_equal(xl_order_action_status(XL_ORDER_REQUEST_RETURN), "return_requested");
	assert_string_equal(xl_order_action_status(XL_ORDER_RETURN), "returned");
	/* Shipping without a tracking number never reaches the database. */
	assert_int_equal(xl_order_move(NULL, &m, &t, &err), -XL_EINVAL);
	assert_null(t);
	assert_string_equal(err.msg, "tracking_no: shipping needs a tracking number");
	m.tracking_no = "";
	assert_int_equal(xl_order_move(NULL, &m, &t, &err), -XL_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_shape),
		cmocka_unit_test(test_quantities),
		cmocka_unit_test(test_too_many_lines),
		cmocka_unit_test(test_client_ref),
		cmocka_unit_test(test_moves),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
