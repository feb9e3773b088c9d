#!/bin/bash
# xlcfi-order cancel of a paid or preparing order: a refund in full through
# the gateway that took the payment, and the cancel in the transaction that
# records it. The sandbox for the refunds that go through, the fake of the
# Toss API (tests/tools/xl-fake-toss) for a refused refund, a lost answer
# settled by reconcile, an unreachable and an unconfigured gateway.
. "$(dirname "$0")/../lib.sh"
scratch_db || exit 1

seed() {
	reset_pay_tables && sql <<-'SQL'
	INSERT INTO categories (slug, name) VALUES ('kimchi', '김치');
	INSERT INTO users (email, display_name) VALUES ('kim@example.kr', '김철수'), ('lee@example.kr', '이영희');
	INSERT INTO products (sku, name, category_id, price_minor, stock) VALUES ('KF-001', '포기김치', 1, 12500, 100);
	SQL
}
# A new order of user 1 for N of KF-001 (12,500 won each; from 4 no shipping fee): its record on stdout.
order() { echo "{\"user_id\":1,\"items\":[{\"sku\":\"KF-001\",\"qty\":$1}]}" | xlcfi-order create; }
# A new order for N, paid through the sandbox (with P points): its id on stdout.
paid() {
	order "$1" > new.order && xlcfi-pay charge --provider sandbox --use-points "${2:-0}" new.order > new.pay &&
	jq -e '.status == "captured"' new.pay > /dev/null && jq .order_id new.order
}
field() { jq -r "$1" "${2:-out}"; }
balance() { xlcfi-pay points --user "$1" balance | jq .balance; }
stock() { sql -c "select stock from products where sku = 'KF-001'"; }
status() { sql -c "select status from orders where id = $1"; }
pay_status() { sql -c "select status || ' ' || refunded_minor from payments where order_id = $1 and status <> 'failed'"; }
refunds() { sql -c "select coalesce(string_agg(r.status || ' ' || r.amount_minor, ',' order by r.id), '')
	from refunds r join payments p on p.id = r.payment_id where p.order_id = $1"; }
# The order's history after it was created: from>to|reason|actor, space-separated.
history() { sql -c "select string_agg(from_status || '>' || to_status || '|' || coalesce(reason, '') || '|' ||
	coalesce(changed_by::text, ''), ' ' order by id) from order_status_history where order_id = $1 and from_status is not null"; }
cancel_events() { sql -c "select payload from events where topic = 'order.cancelled' and key = '$1' order by id"; }
ledger_ok() { xlcfi-pay ledger check > ledger.out && jq -e .ok ledger.out > /dev/null; }

expect_success 'a paid order: refunded in full, points earned taken back and points used given back, stock back' '
	seed && a=$(paid 4) && b=$(paid 1 300) &&
	test "$(balance 1)" -eq 352 && test "$(stock)" -eq 95 &&
	run 0 xlcfi-order cancel --actor 2 --reason "고객 변심" "$b" &&
	test "$(wc -l < out)" -eq 1 &&
	test "$(field "[.order_id, .from, .status, .actor, .reason, .restocked] | @csv")" = "$b,\"paid\",\"cancelled\",2,\"고객 변심\",true" &&
	test "$(field "[.refund.refund_id, .refund.status, .refund.amount_minor, .refund.payment_status, .refund.order_status,
		.refund.points_reversed, .refund.points_restored, .refund.reason] | @csv")" = \
		"1,\"succeeded\",15200,\"refunded\",\"cancelled\",152,300,\"고객 변심\"" &&
	test "$(balance 1)" -eq 500 && test "$(stock)" -eq 96 &&
	test "$(pay_status "$b")" = "refunded 15200" && test "$(pay_status "$a")" = "captured 0" &&
	test "$(sql -c "select sum(cancelled_minor) from sandbox_payments")" -eq 15200 &&
	ledger_ok
'
expect_success 'the cancel is recorded as the actor for the reason: one history row, one order.cancelled event' '
	b=2 && test "$(history "$b")" = "pending>paid|payment 2| paid>cancelled|고객 변심|2" &&
	cancel_events "$b" > ev && test "$(wc -l < ev)" -eq 1 &&
	test "$(jq -r "[.order_id, .from, .status, .actor, .reason, .restocked] | @csv" ev)" = "$b,\"paid\",\"cancelled\",2,\"고객 변심\",true" &&
	test "$(sql -c "select count(*) from events where topic = '"'"'payment.refunded'"'"'")" -eq 1
'
expect_success 'cancelling it again is refused (65) and refunds nothing more' '
	b=2 && run 65 xlcfi-order cancel --reason again "$b" && ! test -s out &&
	grep -q "<args>:1: order $b is cancelled: it cannot become cancelled" err &&
	test "$(refunds "$b")" = "succeeded 15200" && test "$(count sandbox_cancels)" -eq 1 &&
	test "$(balance 1)" -eq 500 && test "$(stock)" -eq 96 && test "$(cancel_events "$b" | wc -l)" -eq 1
'
expect_success 'a preparing order is refunded and cancelled too; a shipped one is refused and keeps its payment' '
	c=$(paid 2) && d=$(paid 1) && xlcfi-order -q prepare "$c" "$d" > /dev/null &&
	xlcfi-order -q ship --tracking 6012345678901 "$d" > /dev/null && test "$(stock)" -eq 93 &&
	run 65 xlcfi-order cancel --rejects rej "$c" "$d" &&
	test "$(field "[.order_id, .from, .status, .refund.amount_minor, .refund.payment_status] | @csv")" = \
		"$c,\"preparing\",\"cancelled\",28000,\"refunded\"" &&
	grep -q "<args>:2: order $d is shipped: it cannot become cancelled" err &&
	test "$(jq -r .source rej)" = "<args>:2" &&
	test "$(pay_status "$d")" = "captured 0" && test "$(refunds "$d")" = "" &&
	test "$(stock)" -eq 95 && ledger_ok
'
expect_success 'a pending order is cancelled as before: nothing to refund, no refund key in the record' '
	order 2 > o && id=$(jq .order_id o) && test "$(stock)" -eq 93 &&
	run 0 xlcfi-order cancel --actor 1 --reason "주문 실수" "$id" &&
	test "$(field "[.from, .status, .actor, .reason, .restocked, has(\"refund\")] | @csv")" = "\"pending\",\"cancelled\",1,\"주문 실수\",true,false" &&
	test "$(stock)" -eq 95 && test "$(sql -c "select count(*) from payments where order_id = $id")" -eq 0
'
expect_success 'a paid order with no captured payment on record (moved by hand, imported) is refused and stays paid' '
	order 1 > o && id=$(jq .order_id o) &&
	sql -c "select xl_order_move($id, '"'"'{pending}'"'"', '"'"'paid'"'"', null, '"'"'by hand'"'"', null, false)" > /dev/null &&
	run 65 xlcfi-order cancel "$id" &&
	grep -q "order $id is paid, but no captured payment of it is on record to refund: it is not cancelled" err &&
	test "$(status "$id")" = paid && test "$(stock)" -eq 94
'
expect_success 'a pending order whose payment outcome is unknown is refused; once reconciled as captured, it is refunded' '
	order 1 > o && id=$(jq .order_id o) &&
	run 75 xlcfi-pay charge --provider sandbox --card 4000000000000259 o &&
	run 65 xlcfi-order cancel "$id" && grep -q "order $id has a payment in flight" err &&
	test "$(status "$id")" = pending && test "$(stock)" -eq 93 &&
	xlcfi-pay reconcile --provider sandbox > /dev/null && test "$(status "$id")" = paid &&
	run 0 xlcfi-order cancel "$id" &&
	test "$(field "[.from, .refund.status, .refund.amount_minor] | @csv")" = "\"paid\",\"succeeded\",15500" &&
	test "$(stock)" -eq 94 && ledger_ok
'
expect_success 'an unknown actor is refused before anything is refunded' '
	id=$(paid 1) && before=$(count refunds) &&
	run 65 xlcfi-order cancel --actor 99 "$id" && grep -q "<args>:1: actor: no such user 99" err &&
	test "$(count refunds)" -eq "$before" && test "$(status "$id")" = paid && test "$(pay_status "$id")" = "captured 0"
'
expect_success 'a refund of the order still pending: refused, nothing more refunded; settled, the cancel refunds the rest' '
	seed && id=$(paid 4) &&
	sql -c "SELECT xl_refund_begin($id, 5000, '"'"'lost answer'"'"', '"'"'sandbox'"'"')" > /dev/null &&
	run 65 xlcfi-order cancel "$id" &&
	grep -q "refund 1 of order $id is pending: the order is not refunded again until .xlcfi-pay reconcile. settles it" err &&
	test "$(refunds "$id")" = "pending 5000" && test "$(count sandbox_cancels)" -eq 0 && test "$(status "$id")" = paid &&
	sql -c "UPDATE refunds SET created_at = now() - interval '"'"'5 minutes'"'"'" &&
	xlcfi-pay reconcile --provider sandbox > /dev/null && test "$(pay_status "$id")" = "partially_refunded 5000" &&
	run 0 xlcfi-order cancel --reason "나머지" "$id" &&
	test "$(field "[.refund.amount_minor, .refund.payment_status, .refund.order_status] | @csv")" = "45000,\"refunded\",\"cancelled\"" &&
	test "$(refunds "$id")" = "succeeded 5000,succeeded 45000" &&
	test "$(sql -c "select cancelled_minor from sandbox_payments")" -eq 50000 &&
	test "$(balance 1)" -eq 0 && test "$(stock)" -eq 100 && ledger_ok
'
expect_success 'order records on stdin: list --status paid | cancel refunds each one' '
	seed && paid 1 > /dev/null && paid 2 > /dev/null && paid 4 > /dev/null && order 1 > /dev/null &&
	xlcfi-order list --status paid > paid.ndjson &&
	run 0 xlcfi-order cancel --reason "품절" < paid.ndjson &&
	test "$(jq -r "[.order_id, .refund.status, .refund.amount_minor] | @csv" out | sort | paste -sd" ")" = \
		"1,\"succeeded\",15500 2,\"succeeded\",28000 3,\"succeeded\",50000" &&
	test "$(sql -c "select string_agg(status, chr(44) order by id) from orders")" = "cancelled,cancelled,cancelled,pending" &&
	test "$(stock)" -eq 99 && test "$(balance 1)" -eq 0 && ledger_ok
'
expect_success 'eight cancels of one paid order at once: one refund, one cancel, the others refused' '
	seed && id=$(paid 4) &&
	for i in 1 2 3 4 5 6 7 8; do xlcfi-order cancel --reason "race $i" "$id" > "c.$i" 2> "e.$i" & done; wait &&
	test "$(cat c.* | wc -l)" -eq 1 && test "$(jq -r .refund.amount_minor c.*)" -eq 50000 &&
	test "$(refunds "$id")" = "succeeded 50000" && test "$(count sandbox_cancels)" -eq 1 &&
	test "$(cat e.* | grep -c "order $id is cancelled: it cannot become cancelled\|refund 1 of order $id is pending")" -eq 7 &&
	test "$(cancel_events "$id" | wc -l)" -eq 1 && test "$(stock)" -eq 100 && ledger_ok
'

# Through the fake Toss API.
start_fake_toss
# A new order for 4, paid through toss with the buyer's paymentKey KEY: its id on stdout.
toss_paid() {
	order 4 | jq -c ".payment_key = \"$1\"" > new.order && xlcfi-pay charge --provider toss new.order > new.pay &&
	jq -e '.status == "captured"' new.pay > /dev/null && jq .order_id new.order
}
# What the fake gateway holds of the payment of order ID.
at_gateway() { curl -s -u test_sk_xlcfi: "$XLCFI_TOSS_BASE_URL/v1/payments/orders/xlcfi-$1"; }
key_status() { sql -c "select status from idempotency_keys where key = 'refund-$1' and scope = 'order.cancel'"; }

expect_success 'toss: a paid order is refunded at the gateway that took it, with the reason' '
	seed && id=$(toss_paid pk_ok_1) &&
	run 0 xlcfi-order cancel --actor 1 --reason "고객 요청" "$id" &&
	test "$(field "[.status, .refund.status, .refund.amount_minor] | @csv")" = "\"cancelled\",\"succeeded\",50000" &&
	test "$(sql -c "select gateway || '"'"' '"'"'|| status from payments where order_id = $id")" = "toss refunded" &&
	at_gateway "$id" > gw.json && test "$(jq -r "[.status, .balanceAmount, .cancels[0].cancelReason] | @csv" gw.json)" = \
		"\"CANCELED\",0,\"고객 요청\"" &&
	test "$(key_status 1)" = completed
'
expect_success 'toss refuses the refund: a reject (65), the refund recorded failed, the order paid with its stock' '
	id=$(toss_paid cancelrefused_1) && test "$(stock)" -eq 96 &&
	run 65 xlcfi-order cancel --rejects rej --actor 1 --reason "고객 요청" "$id" && ! test -s out &&
	grep -q "<args>:1: order $id: the gateway refused refund 2: NOT_CANCELABLE_PAYMENT 취소 할 수 없는 결제 입니다.; the order is not cancelled" err &&
	test "$(jq -r .source rej)" = "<args>:1" && jq -r .error rej | grep -q "the gateway refused refund 2" &&
	test "$(status "$id")" = paid && test "$(pay_status "$id")" = "captured 0" && test "$(refunds "$id")" = "failed 50000" &&
	test "$(stock)" -eq 96 && test "$(cancel_events "$id" | wc -l)" -eq 0 && test "$(key_status 2)" = failed &&
	at_gateway "$id" > gw.json && test "$(jq -r .balanceAmount gw.json)" -eq 50000 && ledger_ok
'
expect_success 'toss: the answer to the refund is lost: 75, the refund pending, the order paid; a second cancel is refused' '
	id=$(toss_paid cancelslow_1) && echo "$id" > slow.id &&
	run 75 xlcfi-order cancel --actor 1 --reason "배송 지연" "$id" && ! test -s out &&
	grep -q "<args>:1: order $id: the outcome of refund 3 is unknown (.*); it stays pending until .xlcfi-pay reconcile. settles it and cancels the order" err &&
	test "$(status "$id")" = paid && test "$(refunds "$id")" = "pending 50000" && test "$(stock)" -eq 92 &&
	run 65 xlcfi-order cancel "$id" && grep -q "refund 3 of order $id is pending" err &&
	test "$(refunds "$id")" = "pending 50000" && test "$(key_status 3)" = in_progress
'
expect_success 'toss: reconcile settles the lost refund once, and cancels the order as the cancel'"'"'s actor for its reason' '
	id=$(cat slow.id) && sleep 2 &&
	sql -c "UPDATE refunds SET created_at = now() - interval '"'"'5 minutes'"'"' WHERE status = '"'"'pending'"'"'" &&
	run 0 xlcfi-pay reconcile --provider toss &&
	test "$(field "[.refund_id, .status, .payment_status, .order_status] | @csv")" = "3,\"succeeded\",\"refunded\",\"cancelled\"" &&
	test "$(history "$id")" = "pending>paid|payment 3| paid>cancelled|배송 지연|1" &&
	test "$(cancel_events "$id" | jq -r "[.actor, .reason] | @csv")" = "1,\"배송 지연\"" &&
	at_gateway "$id" > gw.json && test "$(jq -r "[.status, (.cancels | length)] | @csv" gw.json)" = "\"CANCELED\",1" &&
	test "$(stock)" -eq 96 && test "$(key_status 3)" = completed &&
	run 0 xlcfi-pay reconcile --provider toss && ! test -s out && ledger_ok
'
expect_success 'toss unreachable: 69, the refund recorded failed, the order paid; not configured: 78, nothing recorded' '
	id=$(toss_paid pk_ok_2) && before=$(count refunds) &&
	XLCFI_TOSS_BASE_URL=http://127.0.0.1:1 xlcfi-order cancel "$id" > out 2> err; test $? -eq 69 &&
	test "$(status "$id")" = paid && test "$(refunds "$id")" = "failed 50000" &&
	env -u XLCFI_TOSS_SECRET_KEY xlcfi-order cancel "$id" > out 2> err; test $? -eq 78 &&
	grep -q XLCFI_TOSS_SECRET_KEY err && test "$(count refunds)" -eq $((before + 1)) && test "$(status "$id")" = paid &&
	run 0 xlcfi-order cancel "$id" && test "$(field .refund.status)" = succeeded
'
expect_success 'toss: shipped while its refund was on its way: the refund is recorded, the order stays shipped (65)' '
	id=$(toss_paid cancelslow_2) && xlcfi-order -q prepare "$id" > /dev/null && test "$(stock)" -eq 92 &&
	{ XLCFI_TOSS_TIMEOUT_MS=10000 xlcfi-order cancel --reason "늦은 취소" "$id" > c.out 2> c.err & } && cancel=$! &&
	for i in $(seq 1 50); do test "$(refunds "$id")" = "pending 50000" && break; sleep 0.1; done &&
	run 0 xlcfi-order ship --tracking 6012345678901 "$id" && wait "$cancel"; test $? -eq 65 &&
	grep -q "<args>:1: order $id: refund 6 went through, but the cancel was refused (order $id is shipped: it cannot become cancelled): the order is shipped" c.err &&
	! test -s c.out && test "$(status "$id")" = shipped && test "$(refunds "$id")" = "succeeded 50000" &&
	test "$(pay_status "$id")" = "refunded 50000" && test "$(stock)" -eq 92 && test "$(cancel_events "$id" | wc -l)" -eq 0 &&
	test "$(key_status 6)" = completed && ledger_ok
'
kill "$fake" 2> /dev/null
wait "$fake" 2> /dev/null
test_done
