#!/bin/bash
# xlcfi-pay with the toss provider, against a fake of the Toss Payments API
# (tests/tools/xl-fake-toss) on 127.0.0.1: a charge, a decline, HTTP 500,
# "charge, then drop the connection" settled by reconcile with exactly one
# capture, refunds, and the secret-key configuration.
. "$(dirname "$0")/../lib.sh"
scratch_db || exit 1

start_fake_toss
stats() { curl -s "$XLCFI_TOSS_BASE_URL/_stats" | jq -r ".$1"; }

sql -c "INSERT INTO categories (slug, name) VALUES ('kimchi', '김치')" \
    -c "INSERT INTO users (email, display_name) VALUES ('kim@example.kr', '김철수')" \
    -c "INSERT INTO products (sku, name, category_id, price_minor, stock) VALUES ('KF-001', '포기김치', 1, 12500, 100)"
# A new order record with the buyer's paymentKey: what the checkout page hands over.
order() { echo "{\"user_id\":1,\"items\":[{\"sku\":\"KF-001\",\"qty\":4}]}" | xlcfi-order create | jq -c ".payment_key = \"$1\""; }
field() { jq -r "$1" "${2:-out}"; }

expect_success 'a charge through toss: confirmed with the order total, the order paid' '
	order pk_ok_1 | run 0 xlcfi-pay charge --provider toss &&
	test "$(field "[.status, .provider, .payment_key, .amount_minor] | @csv")" = "\"captured\",\"toss\",\"pk_ok_1\",50000" &&
	test "$(sql -c "select status from orders where id = 1")" = paid && test "$(stats captures)" -eq 1
'
expect_success 'without a payment_key in the record, toss cannot charge: a reject' '
	echo "{\"order_id\":1}" | run 65 xlcfi-pay charge --provider toss && grep -q "payment_key: missing" err
'
expect_success 'a decline: the gateway code and its Korean message, exit 65' '
	order decline_1 | run 65 xlcfi-pay charge --provider toss &&
	grep -q "declined: REJECT_CARD_COMPANY 카드사에서 거절" err &&
	test "$(sql -c "select status from payments where order_id = 2")" = failed
'
expect_success 'HTTP 500: the outcome is unknown, exit 75' '
	order error500_1 | run 75 xlcfi-pay charge --provider toss &&
	test "$(sql -c "select status from payments where order_id = 3")" = unknown
'
expect_success 'charged, then the connection dropped: unknown; reconcile finds it captured; one capture' '
	before=$(stats captures) &&
	order drop_1 | run 75 xlcfi-pay charge --provider toss &&
	test "$(stats captures)" -eq $((before + 1)) &&
	test "$(sql -c "select status from payments where order_id = 4")" = unknown &&
	run 0 xlcfi-pay reconcile --provider toss &&
	jq -r "[.order_id, .status] | @csv" out | grep -qx "4,\"captured\"" &&
	jq -r "[.order_id, .status] | @csv" out | grep -qx "3,\"failed\"" &&
	test "$(sql -c "select status from orders where id = 4")" = paid &&
	test "$(stats captures)" -eq $((before + 1))
'
expect_success 'a slow gateway past the timeout: unknown, then reconciled' '
	order slow_1 | run 75 xlcfi-pay charge --provider toss &&
	sleep 2 && run 0 xlcfi-pay reconcile --provider toss && test "$(field .status)" = captured
'
expect_success 'refunds through toss: partial, too much, the rest' '
	run 0 xlcfi-pay refund --provider toss --order 1 --amount 20000 --reason "부분 환불" &&
	test "$(field "[.status, .payment_status] | @csv")" = "\"succeeded\",\"partially_refunded\"" &&
	run 65 xlcfi-pay refund --provider toss --order 1 --amount 30001 &&
	run 0 xlcfi-pay refund --provider toss --order 1 && test "$(field .order_status)" = cancelled &&
	xlcfi-pay ledger check > /dev/null
'
expect_success 'a payment made through toss is not refunded through the sandbox' '
	run 65 xlcfi-pay refund --provider sandbox --order 4 && grep -q "paid through toss, not sandbox" err
'
expect_success 'no secret: exit 78 before any call; a secret file readable by others: exit 78' '
	env -u XLCFI_TOSS_SECRET_KEY xlcfi-pay reconcile --provider toss 2> err; test $? -eq 78 &&
	grep -q "XLCFI_TOSS_SECRET_KEY" err &&
	printf "test_sk_xlcfi\n" > sk && chmod 0644 sk &&
	env -u XLCFI_TOSS_SECRET_KEY XLCFI_TOSS_SECRET_KEY_FILE=sk xlcfi-pay reconcile --provider toss 2> err; test $? -eq 78 &&
	chmod 0600 sk && env -u XLCFI_TOSS_SECRET_KEY XLCFI_TOSS_SECRET_KEY_FILE=sk xlcfi-pay reconcile --provider toss &&
	! grep -rq test_sk_xlcfi err
'
expect_success 'a gateway that is not there: exit 69, nothing recorded as charged' '
	order pk_ok_2 > o && XLCFI_TOSS_BASE_URL=http://127.0.0.1:1 xlcfi-pay charge --provider toss o 2> err; test $? -eq 69 &&
	test "$(sql -c "select count(*) from payments where status = '"'"'captured'"'"' and order_id = (select max(id) from orders)")" -eq 0 &&
	run 0 xlcfi-pay charge --provider toss o && test "$(field .status)" = captured
'
kill "$fake" 2> /dev/null
wait "$fake" 2> /dev/null
test_done
