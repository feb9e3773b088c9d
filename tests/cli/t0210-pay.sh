#!/bin/bash
# xlcfi-pay: charges through the sandbox gateway, idempotency keys, unknown
# outcomes and reconcile, refunds, and the points ledger, on a real database.
. "$(dirname "$0")/../lib.sh"

subs="charge refund reconcile points ledger"
for sub in "" $subs; do
	expect_code 0 "xlcfi-pay $sub --help exits 0" xlcfi-pay $sub --help
done
expect_success 'SYNOPSIS of xlcfi-pay(1) matches the usage lines' '
	for s in "" $subs; do help_usage xlcfi-pay $s; done > usage &&
	man_synopsis "$TOP/man/xlcfi-pay.1" > synopsis &&
	diff -u usage synopsis
'
expect_code 64 'charge without --provider' xlcfi-pay charge
expect_code 64 'an unknown provider' xlcfi-pay charge --provider paypal --dsn "host=127.0.0.1 port=1"
expect_code 64 'a bad --points-rate' xlcfi-pay charge --provider sandbox --points-rate 1.234
expect_code 64 '--card with toss' xlcfi-pay charge --provider toss --card 4242424242424242
expect_code 64 'refund without --order' xlcfi-pay refund --provider sandbox
expect_code 64 'points without a command' xlcfi-pay points --user 1
expect_code 64 'points balance without --user' xlcfi-pay points balance
expect_code 64 'ledger without check' xlcfi-pay ledger
expect_code 69 'an unreachable database exits 69' xlcfi-pay ledger check --dsn "host=127.0.0.1 port=1"

scratch_db || exit 1

seed() {
	reset_pay_tables && sql <<-'SQL'
	INSERT INTO categories (slug, name) VALUES ('kimchi', '김치');
	INSERT INTO users (email, display_name) VALUES ('kim@example.kr', '김철수'), ('lee@example.kr', '이영희');
	INSERT INTO products (sku, name, category_id, price_minor, stock)
	VALUES ('KF-001', '포기김치', 1, 12500, 100), ('KF-002', '신라면', 1, 1200, 500);
	SQL
}
# An order of user ${2:-1} for N of KF-001 (12,500 won each; from 4 no shipping fee): its record on stdout.
order() { echo "{\"user_id\":${2:-1},\"items\":[{\"sku\":\"KF-001\",\"qty\":$1}]}" | xlcfi-order create; }
field() { jq -r "$1" "${2:-out}"; }
balance() { xlcfi-pay points --user "$1" balance | jq .balance; }
captures() { sql -c "select count(*) from sandbox_payments"; }
ledger_ok() { xlcfi-pay ledger check > ledger.out && jq -e .ok ledger.out > /dev/null; }

expect_success 'charge: the order record from create is paid, the order is paid, 1 % comes back as points' '
	seed && order 4 | run 0 xlcfi-pay charge --provider sandbox &&
	test "$(field "[.order_id, .status, .amount_minor, .points_used, .currency, .provider, .points_earned, .idempotency_key] | @csv")" = \
		"1,\"captured\",50000,0,\"KRW\",\"sandbox\",500,\"charge-order-1\"" &&
	field .payment_key | grep -q "^sbx_" &&
	test "$(sql -c "select status from orders")" = paid &&
	test "$(balance 1)" -eq 500 &&
	test "$(sql -c "select string_agg(topic, chr(44) order by id) from events")" = "order.created,order.paid,payment.captured" &&
	ledger_ok
'
expect_success 'charge again with the same key: the stored result, no second gateway call' '
	cp out first &&
	echo "{\"order_id\":1}" | run 0 xlcfi-pay -v charge --provider sandbox &&
	diff -u first out && grep -q "captured 0, replayed 1" err &&
	test "$(captures)" -eq 1 && test "$(count payment_attempts)" -eq 1 && test "$(balance 1)" -eq 500
'
expect_success 'the same key for another request is refused, naming both' '
	echo "{\"order_id\":1,\"use_points\":100}" | run 65 xlcfi-pay charge --provider sandbox &&
	grep -q "idempotency_key: .charge-order-1. was used for another request (order 1, 0 points, sandbox, method ending 4242); this one is order 1, 100 points" err &&
	test "$(count payments)" -eq 1
'
expect_success 'a finished key past its 24 hours is forgotten; reconcile removes such keys' '
	sql -c "UPDATE idempotency_keys SET created_at = now() - interval '"'"'2 days'"'"', expires_at = now() - interval '"'"'1 day'"'"'" &&
	echo "{\"order_id\":1,\"use_points\":100}" | run 65 xlcfi-pay charge --provider sandbox &&
	grep -q "order 1 is paid: only pending orders are charged" err &&
	test "$(count idempotency_keys)" -eq 1 &&
	run 0 xlcfi-pay reconcile --provider sandbox && test "$(count idempotency_keys)" -eq 0
'
expect_success 'a paid order under a new key is refused: it is not pending' '
	echo "{\"order_id\":1,\"idempotency_key\":\"again\"}" | run 65 xlcfi-pay charge --provider sandbox &&
	grep -q "order 1 is paid: only pending orders are charged" err && test "$(captures)" -eq 1
'
expect_success 'points: spent on the next order (a hold posted on success), earned on the amount charged' '
	order 1 | run 0 xlcfi-pay charge --provider sandbox --use-points 300 &&
	test "$(field "[.amount_minor, .points_used, .points_earned] | @csv")" = "15200,300,152" &&
	test "$(balance 1)" -eq 352 &&
	test "$(sql -c "select status from point_holds")" = posted &&
	xlcfi-pay points --user 1 history > hist &&
	test "$(jq -r "[.kind, .points, .balance] | @csv" hist | paste -sd" ")" = \
		"\"accrual\",500,500 \"redemption\",-300,200 \"accrual\",152,352" &&
	ledger_ok
'
expect_success 'points: more than available, or the whole total, are refused and nothing is held' '
	order 1 > o3 && jq -c ".use_points = 353" o3 | run 65 xlcfi-pay charge --provider sandbox &&
	grep -q "use_points: 353 points wanted, 352 available" err &&
	jq -c ".use_points = 15500" o3 | run 65 xlcfi-pay charge --provider sandbox &&
	grep -q "use_points: 15500 points for a total of 15500: at most 15499" err &&
	test "$(sql -c "select count(*) from point_holds where status = '"'"'held'"'"'")" -eq 0 &&
	test "$(sql -c "select status from orders where id = 3")" = pending
'
expect_success 'a declined card: payment failed, order pending, hold voided, exit 65; another key and card then pay it' '
	jq -c ".use_points = 100 | .card = \"4000-0000-0000-0002\"" o3 | run 65 xlcfi-pay charge --provider sandbox --rejects rej &&
	grep -q "order 3: declined: REJECT_CARD_COMPANY" err && ! test -s out &&
	test "$(jq -r .record.status rej)" = failed &&
	test "$(sql -c "select status from payments where order_id = 3")" = failed &&
	test "$(sql -c "select status from point_holds")" = "posted
voided" || test "$(sql -c "select string_agg(status, chr(44) order by id) from point_holds")" = "posted,voided" &&
	test "$(sql -c "select status from orders where id = 3")" = pending &&
	jq -c ".idempotency_key = \"second-try\"" o3 | run 0 xlcfi-pay charge --provider sandbox &&
	test "$(field .status)" = captured && ledger_ok
'
expect_success 'charged, then the call timed out: unknown, exit 75; again: still unknown; reconcile settles it once' '
	seed && order 2 > o1 &&
	run 75 xlcfi-pay charge --provider sandbox --card 4000000000000259 o1 &&
	grep -q "payment 1 is recorded as unknown" err &&
	test "$(sql -c "select p.status || o.status from payments p join orders o on o.id = p.order_id")" = unknownpending &&
	run 75 xlcfi-pay charge --provider sandbox --card 4000000000000259 o1 && grep -q "outcome of payment 1 is unknown" err &&
	run 0 xlcfi-pay -v reconcile --provider sandbox &&
	test "$(field "[.payment_id, .status] | @csv")" = "1,\"captured\"" && grep -q "settled 1 payments" err &&
	test "$(sql -c "select status from orders")" = paid && test "$(captures)" -eq 1 && test "$(balance 1)" -eq 280 &&
	run 0 xlcfi-pay charge --provider sandbox --card 4000000000000259 o1 && test "$(field .status)" = captured &&
	run 0 xlcfi-pay reconcile --provider sandbox && ! test -s out && test "$(balance 1)" -eq 280 && ledger_ok
'
expect_success 'reconcile: a payment the gateway never got fails, and the order can be paid again' '
	order 1 > o2 && sql -c "INSERT INTO idempotency_keys (key, scope, request_hash, status, expires_at, locked_at)
		VALUES ('"'"'lost'"'"', '"'"'pay.charge'"'"', '"'"'x'"'"', '"'"'in_progress'"'"', now() + interval '"'"'1 day'"'"', now() - interval '"'"'1 hour'"'"')" \
		-c "INSERT INTO payments (order_id, amount_minor, status, gateway, idempotency_key) VALUES (2, 15500, '"'"'pending'"'"', '"'"'sandbox'"'"', '"'"'lost'"'"')" &&
	run 0 xlcfi-pay reconcile --provider sandbox && test "$(field "[.order_id, .status] | @csv")" = "2,\"failed\"" &&
	run 0 xlcfi-pay charge --provider sandbox o2 && test "$(field .status)" = captured && test "$(captures)" -eq 2
'
expect_success 'reconcile leaves alone a charge whose key is held right now (it is between its phases)' '
	order 1 > o4 && sql -c "INSERT INTO idempotency_keys (key, scope, request_hash, status, expires_at, locked_at)
		VALUES ('"'"'busy'"'"', '"'"'pay.charge'"'"', '"'"'x'"'"', '"'"'in_progress'"'"', now() + interval '"'"'1 day'"'"', now())" \
		-c "INSERT INTO payments (order_id, amount_minor, status, gateway, idempotency_key) VALUES (3, 15500, '"'"'pending'"'"', '"'"'sandbox'"'"', '"'"'busy'"'"')" &&
	run 0 xlcfi-pay reconcile --provider sandbox && ! test -s out &&
	test "$(sql -c "select status from payments where idempotency_key = '"'"'busy'"'"'")" = pending
'
expect_success 'refund: partial, then too much (65), then the rest: the order is cancelled and its stock back' '
	seed && order 4 | xlcfi-pay charge --provider sandbox > /dev/null && test "$(sql -c "select stock from products where sku = '"'"'KF-001'"'"'")" -eq 96 &&
	run 0 xlcfi-pay refund --provider sandbox --order 1 --amount 10000 --reason "일부 파손" &&
	test "$(field "[.status, .amount_minor, .payment_status, .refunded_minor, .order_status, .points_reversed] | @csv")" = \
		"\"succeeded\",10000,\"partially_refunded\",10000,\"paid\",100" &&
	test "$(balance 1)" -eq 400 &&
	run 65 xlcfi-pay refund --provider sandbox --order 1 --amount 40001 &&
	grep -q "amount: 40001 is more than the 40000 left to refund of payment 1" err &&
	run 0 xlcfi-pay refund --provider sandbox --order 1 &&
	test "$(field "[.amount_minor, .payment_status, .order_status, .points_reversed] | @csv")" = "40000,\"refunded\",\"cancelled\",400" &&
	test "$(balance 1)" -eq 0 && test "$(sql -c "select stock from products where sku = '"'"'KF-001'"'"'")" -eq 100 &&
	test "$(sql -c "select sum(cancelled_minor) from sandbox_payments")" -eq 50000 &&
	run 65 xlcfi-pay refund --provider sandbox --order 1 && grep -q "refunded in full" err &&
	test "$(sql -c "select count(*) from events where topic = '"'"'payment.refunded'"'"'")" -eq 2 && ledger_ok
'
expect_success 'a refund left pending (its answer lost) is asked again by reconcile, and refunds once' '
	seed && order 4 | xlcfi-pay charge --provider sandbox > /dev/null &&
	sql -c "SELECT xl_refund_begin(1, 5000, '"'"'lost answer'"'"', '"'"'sandbox'"'"')" > /dev/null &&
	run 0 xlcfi-pay reconcile --provider sandbox && ! test -s out &&
	sql -c "UPDATE refunds SET created_at = now() - interval '"'"'5 minutes'"'"'" &&
	run 0 xlcfi-pay -v reconcile --provider sandbox &&
	test "$(field "[.refund_id, .status, .amount_minor, .payment_status] | @csv")" = "1,\"succeeded\",5000,\"partially_refunded\"" &&
	test "$(sql -c "select cancelled_minor from sandbox_payments")" -eq 5000 &&
	run 0 xlcfi-pay reconcile --provider sandbox && ! test -s out &&
	test "$(sql -c "select cancelled_minor from sandbox_payments")" -eq 5000 && ledger_ok
'
expect_success 'refund: the points used come back in proportion, all of them on a full refund' '
	seed && order 4 | xlcfi-pay charge --provider sandbox > /dev/null &&
	order 4 | jq -c ".use_points = 500" | xlcfi-pay charge --provider sandbox > /dev/null &&
	test "$(balance 1)" -eq 495 &&
	run 0 xlcfi-pay refund --provider sandbox --order 2 --amount 24750 &&
	test "$(field "[.points_restored, .points_reversed] | @csv")" = "250,247" &&
	run 0 xlcfi-pay refund --provider sandbox --order 2 &&
	test "$(field "[.points_restored, .points_reversed] | @csv")" = "250,248" &&
	test "$(balance 1)" -eq 500 && ledger_ok
'
expect_success 'refunds go back through the provider that took the payment' '
	run 65 xlcfi-pay refund --provider toss --order 1 2> /dev/null || run 78 xlcfi-pay refund --provider toss --order 1
'
expect_success 'bad records: no order_id, an unknown order, negative points; the good one still pays' '
	seed && order 1 > good &&
	{ echo "{\"id\":1}"; echo "{\"order_id\":99}"; echo "{\"order_id\":1,\"use_points\":-5}"; echo "oops"; cat good; } |
		run 65 xlcfi-pay charge --provider sandbox --rejects rej &&
	test "$(wc -l < out)" -eq 1 && test "$(wc -l < rej)" -eq 4 &&
	grep -q "<stdin>:1: order_id: missing" err && grep -q "<stdin>:2: order_id: no such order 99" err &&
	grep -q "<stdin>:3: use_points: expected a whole number of points, 0 or more" err
'
expect_success 'points expire: lots past their date, first in first out; the ledger still balances' '
	seed && order 4 | xlcfi-pay charge --provider sandbox > /dev/null && order 1 | xlcfi-pay charge --provider sandbox > /dev/null &&
	sql -c "UPDATE point_lots SET expires_at = now() - interval '"'"'1 day'"'"' WHERE id = 1" &&
	run 0 xlcfi-pay points expire && test "$(field "[.lots, .points] | @csv")" = "1,500" &&
	test "$(balance 1)" -eq 155 && run 0 xlcfi-pay points expire && test "$(field .lots)" -eq 0 && ledger_ok
'
expect_success 'ledger check finds a balance that is not the sum of its entries, and exits 65' '
	sql -c "UPDATE point_accounts SET balance = balance + 1 WHERE kind = '"'"'user'"'"'" &&
	run 65 xlcfi-pay ledger check && test "$(field "[.ok, .balance_mismatches, .lot_mismatches] | @csv")" = "false,1,1" &&
	sql -c "UPDATE point_accounts SET balance = balance - 1 WHERE kind = '"'"'user'"'"'" && ledger_ok
'
expect_success 'points balance of an unknown user exits 65; of a user without points is zero' '
	run 65 xlcfi-pay points --user 999 balance && run 0 xlcfi-pay points --user 2 balance &&
	test "$(field "[.balance, .available, (.lots | length)] | @csv")" = "0,0,0"
'

# 100 charge runs at once with one key: one gateway call, one payment, one answer.
seed
order 3 > one
for i in $(seq 1 100); do
	xlcfi-pay charge --provider sandbox one > "c.$i" 2> "e.$i" &
done
wait
expect_success '100 concurrent charges with the same key: one capture, one payment, all see the same result' '
	test "$(captures)" -eq 1 && test "$(count payments)" -eq 1 && test "$(count payment_attempts)" -eq 1 &&
	test "$(cat c.* | sort -u | wc -l)" -eq 1 && test "$(cat c.* | wc -l)" -eq 100 &&
	! cat e.* | grep . && test "$(balance 1)" -eq 405 && ledger_ok
'
test_done
