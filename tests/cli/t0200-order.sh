#!/bin/bash
# xlcfi-order: creating orders, the state machine, expiry, against a real database.
. "$(dirname "$0")/../lib.sh"

subs="create show status list prepare ship deliver cancel request-return return expire review"
for sub in "" $subs "review add" "review list" "review report"; do
	expect_code 0 "xlcfi-order $sub --help exits 0" xlcfi-order $sub --help
done
expect_success 'SYNOPSIS of xlcfi-order(1) matches the usage lines' '
	for s in "" $subs "review add" "review list" "review report"; do help_usage xlcfi-order $s; done > usage &&
	man_synopsis "$TOP/man/xlcfi-order.1" > synopsis &&
	diff -u usage synopsis
'
expect_code 64 'no subcommand' xlcfi-order
expect_code 64 'unknown subcommand' xlcfi-order launder
expect_code 64 'ship without --tracking' xlcfi-order ship 1
expect_code 64 '--tracking on another move' xlcfi-order deliver --tracking 1 1
expect_code 64 'a bad order id' xlcfi-order show abc
expect_code 64 'a bad --ttl' xlcfi-order expire --ttl 5x
expect_code 64 'a bad --shipping-fee' xlcfi-order create --shipping-fee -1
expect_code 64 'review list without --sku' xlcfi-order review list
expect_code 64 'review report without --user' xlcfi-order review report --id 1
expect_code 64 'an unknown review command' xlcfi-order review delete
expect_code 69 'an unreachable database exits 69' xlcfi-order show --dsn "host=127.0.0.1 port=1" 1

scratch_db || exit 1

seed() {
	sql -c "SET client_min_messages = warning; TRUNCATE categories, products, users, orders, order_items,
		order_status_history, events RESTART IDENTITY CASCADE" && sql <<-'SQL'
	INSERT INTO categories (slug, name) VALUES ('kimchi', '김치'), ('ramen', '라면');
	INSERT INTO users (email, display_name) VALUES ('kim@example.kr', '김철수'), ('lee@example.kr', '이영희');
	INSERT INTO products (sku, name, category_id, price_minor, stock)
	VALUES ('KF-001', '포기김치', 1, 12500, 10), ('KF-002', '신라면', 2, 1200, 5),
	       ('KF-003', '단종', 1, 1000, 100), ('KF-GBP', 'Tea', 2, 250, 10), ('KF-BIG', '금', 1, 4611686018427387904, 10);
	UPDATE products SET active = false WHERE sku = 'KF-003';
	UPDATE products SET currency = 'GBP' WHERE sku = 'KF-GBP';
	SQL
}
stock() { sql -c "select stock from products where sku = '$1'"; }
field() { jq -r "$1" "${2:-out}"; }

expect_success 'create: prices from the catalogue, never from the request; shipping under 50,000 won' '
	seed &&
	echo "{\"user_id\":1,\"items\":[{\"sku\":\"KF-002\",\"qty\":2,\"unit_price_minor\":1},{\"sku\":\"KF-001\",\"qty\":1,\"price\":5}],\"client_ref\":\"r-1\"}" |
		run 0 xlcfi-order create &&
	test "$(field "[.order_id, .user_id, .status, .client_ref, .currency, .subtotal_minor, .shipping_fee_minor, .total_minor] | @csv")" = \
		"1,1,\"pending\",\"r-1\",\"KRW\",14900,3000,17900" &&
	test "$(field "[.items[] | [.line_no, .sku, .qty, .unit_price_minor, .amount_minor] | @csv] | join(\";\")")" = \
		"1,\"KF-002\",2,1200,2400;2,\"KF-001\",1,12500,12500" &&
	field .created_at | grep -Eq "^2[0-9]{3}-[0-9]{2}-[0-9]{2}T[0-9:.]+\+09:00$" &&
	test "$(stock KF-001)" -eq 9 && test "$(stock KF-002)" -eq 3 &&
	test "$(sql -c "select total_minor, shipping_minor from orders")" = "17900|3000" &&
	test "$(sql -c "select count(*) from order_status_history")" -eq 0 &&
	xlcfi-order status 1 > st &&
	test "$(jq -c ".history" st)" = "[{\"from\":null,\"status\":\"pending\",\"reason\":\"created\",\"actor\":1,\"at\":$(field .created_at | jq -R .)}]"
'
expect_success 'status: an order with its own first history row (made before migration 008) shows that row once' '
	sql -c "insert into order_status_history (order_id, from_status, to_status, reason, changed_by, changed_at)
		select id, null, \$\$pending\$\$, \$\$created-old\$\$, buyer_id, placed_at from orders where id = 1" &&
	xlcfi-order status 1 > st &&
	test "$(jq -r "[.history[] | .reason] | join(\",\")" st)" = created-old
'
expect_success 'create: the order.created event carries the order record, in the same transaction' '
	test "$(sql -c "select topic || key from events")" = order.created1 &&
	sql -c "select payload from events" | jq -S . > event.json && jq -S . out > record.json && diff -u record.json event.json
'
expect_success 'create: from 50,000 won no shipping; --shipping-fee and --free-shipping-from change that' '
	seed &&
	echo "{\"user_id\":2,\"items\":[{\"sku\":\"KF-001\",\"qty\":4}]}" | run 0 xlcfi-order create &&
	test "$(field "[.subtotal_minor, .shipping_fee_minor, .total_minor] | @csv")" = "50000,0,50000" &&
	echo "{\"user_id\":2,\"items\":[{\"sku\":\"KF-001\",\"qty\":4}]}" |
		run 0 xlcfi-order create --shipping-fee 2500 --free-shipping-from 60000 &&
	test "$(field "[.subtotal_minor, .shipping_fee_minor, .total_minor] | @csv")" = "50000,2500,52500"
'
expect_success 'create: orders in other currencies ship free' '
	seed &&
	echo "{\"user_id\":2,\"items\":[{\"sku\":\"KF-GBP\",\"qty\":1}]}" | run 0 xlcfi-order create &&
	test "$(field "[.currency, .subtotal_minor, .shipping_fee_minor] | @csv")" = "\"GBP\",250,0"
'
expect_success 'create: a retried request with the same client_ref returns the same order, reserving nothing more' '
	seed &&
	req="{\"user_id\":1,\"items\":[{\"sku\":\"KF-001\",\"qty\":3}],\"client_ref\":\"retry-me\"}" &&
	echo "$req" | run 0 xlcfi-order create && cp out first &&
	printf "%s\n%s\n" "$req" "$req" | run 0 xlcfi-order -v create &&
	test "$(jq -c . first first)" = "$(jq -c . out)" &&
	grep -q "created 0 orders, returned 2 already made" err &&
	test "$(count orders)" -eq 1 && test "$(stock KF-001)" -eq 7 &&
	test "$(sql -c "select count(*) from events")" -eq 1
'
expect_success 'create: the same client_ref for other items is refused, naming the order it made' '
	echo "{\"user_id\":1,\"items\":[{\"sku\":\"KF-001\",\"qty\":1}],\"client_ref\":\"retry-me\"}" |
		run 65 xlcfi-order create &&
	grep -q "<stdin>:1: client_ref: .retry-me. already made order 1 with other items" err &&
	test "$(count orders)" -eq 1 && test "$(stock KF-001)" -eq 7
'
expect_success 'create: client_ref is per user: another user may use the same one' '
	echo "{\"user_id\":2,\"items\":[{\"sku\":\"KF-001\",\"qty\":1}],\"client_ref\":\"retry-me\"}" |
		run 0 xlcfi-order create && test "$(count orders)" -eq 2
'
expect_success 'create: not enough stock of one line refuses the whole request and reserves nothing' '
	seed &&
	echo "{\"user_id\":1,\"items\":[{\"sku\":\"KF-001\",\"qty\":2},{\"sku\":\"KF-002\",\"qty\":6}]}" |
		run 65 xlcfi-order create --rejects rej &&
	grep -q "<stdin>:1: items\[1\].qty: not enough stock of .KF-002.: 6 wanted, 5 left" err &&
	test "$(stock KF-001)" -eq 10 && test "$(stock KF-002)" -eq 5 && test "$(count orders)" -eq 0 &&
	test "$(jq -r "[.source, .line, (.record.items | length)] | @csv" rej)" = "\"<stdin>:1\",1,2" &&
	! test -s out
'
expect_success 'create: the same SKU on two lines is reserved once, for both' '
	seed &&
	echo "{\"user_id\":1,\"items\":[{\"sku\":\"KF-002\",\"qty\":3},{\"sku\":\"KF-002\",\"qty\":3}]}" |
		run 65 xlcfi-order create && grep -q "6 wanted, 5 left" err &&
	echo "{\"user_id\":1,\"items\":[{\"sku\":\"KF-002\",\"qty\":2},{\"sku\":\"KF-002\",\"qty\":3}]}" |
		run 0 xlcfi-order create && test "$(stock KF-002)" -eq 0 &&
	test "$(field "[.items[].qty] | @csv")" = "2,3"
'
cat > bad.ndjson <<'EOF'
{"user_id":1,"items":[{"sku":"KF-404","qty":1}]}
{"user_id":1,"items":[{"sku":"KF-001","qty":0}]}
{"user_id":1,"items":[{"sku":"KF-001","qty":-2}]}
{"user_id":1,"items":[{"sku":"KF-001","qty":1.5}]}
{"user_id":1,"items":[{"sku":"KF-001","qty":"2"}]}
{"items":[{"sku":"KF-001","qty":1}]}
{"user_id":99,"items":[{"sku":"KF-001","qty":1}]}
{"user_id":1,"items":[]}
{"user_id":1,"items":[{"sku":"KF-003","qty":1}]}
{"user_id":1,"items":[{"sku":"KF-001","qty":1},{"sku":"KF-GBP","qty":1}]}
{"user_id":1,"items":[{"sku":"KF-BIG","qty":2}]}
{"user_id":1,"items":[{"sku":"bad sku!","qty":1}]}
not json
{"user_id":1,"items":[{"sku":"KF-001","qty":1}],"client_ref":7}
{"user_id":1,"items":[{"sku":"KF-001","qty":1}]}
EOF
expect_success 'create: each bad request is refused with its line and field, the good one still goes through' '
	seed &&
	run 65 xlcfi-order create --rejects rej bad.ndjson &&
	test "$(wc -l < out)" -eq 1 && test "$(field .order_id)" -eq 1 &&
	test "$(wc -l < rej)" -eq 14 &&
	sed "s/^xlcfi-order: //" err | grep -v "^created" > got &&
	cat > want <<-EOF &&
	bad.ndjson:1: items[0].sku: no such product '"'"'KF-404'"'"'
	bad.ndjson:2: items[0].qty: expected a whole number from 1 to 100000
	bad.ndjson:3: items[0].qty: expected a whole number from 1 to 100000
	bad.ndjson:4: items[0].qty: expected a whole number from 1 to 100000
	bad.ndjson:5: items[0].qty: expected a whole number from 1 to 100000
	bad.ndjson:6: user_id: missing
	bad.ndjson:7: user_id: no such user 99
	bad.ndjson:8: items: an order needs at least one item
	bad.ndjson:9: items[0].sku: '"'"'KF-003'"'"' is not for sale
	bad.ndjson:10: items: products priced in different currencies cannot share an order
	bad.ndjson:11: items: the amounts overflow (9223372036854775808 is more than an order can hold)
	bad.ndjson:12: items[0].sku: not a SKU (letters, digits and . _ / -, at most 64)
	bad.ndjson:13: invalid JSON at column 3: invalid token near '"'"'not'"'"'
	bad.ndjson:14: client_ref: expected a string of 1 to 200 bytes
	EOF
	diff -u want got &&
	test "$(stock KF-001)" -eq 9 && test "$(stock KF-BIG)" -eq 10 && test "$(stock KF-GBP)" -eq 10
'
expect_success 'create: --max-errors stops at the limit' '
	seed &&
	run 65 xlcfi-order create --max-errors 2 bad.ndjson && ! test -s out && test "$(count orders)" -eq 0
'

# --- the state machine ------------------------------------------------------------------

# An order of user 1 for one KF-001, its id on stdout.
new_order() {
	echo "{\"user_id\":1,\"items\":[{\"sku\":\"KF-001\",\"qty\":${1:-1}}]}" | xlcfi-order create | jq .order_id
}
# Mark an order paid, as xlcfi-pay does.
pay() { sql -c "select xl_order_move($1, '{pending}', 'paid', null, 'test payment', null, false)" > /dev/null; }

expect_success 'the whole way: paid, preparing, shipped, delivered, return requested, returned' '
	seed && id=$(new_order 2) && pay "$id" &&
	run 0 xlcfi-order prepare --actor 2 "$id" &&
	test "$(field "[.order_id, .from, .status, .actor, .restocked] | @csv")" = "$id,\"paid\",\"preparing\",2,false" &&
	run 0 xlcfi-order ship --tracking 6012345678901 --reason "CJ대한통운" "$id" &&
	test "$(field .tracking_no)" = 6012345678901 &&
	run 0 xlcfi-order deliver "$id" &&
	run 0 xlcfi-order request-return --actor 1 --reason "포장 파손" "$id" &&
	run 0 xlcfi-order return "$id" && test "$(field .status)" = returned &&
	xlcfi-order status "$id" > st &&
	test "$(jq -r "[.history[] | .status] | join(\",\")" st)" = \
		"pending,paid,preparing,shipped,delivered,return_requested,returned" &&
	test "$(jq -r ".history[3].reason, .history[3].actor" st | paste -sd,)" = "CJ대한통운,null" &&
	test "$(jq -r ".history[5].reason, .history[5].actor" st | paste -sd,)" = "포장 파손,1" &&
	test "$(sql -c "select string_agg(topic, chr(44) order by id) from events")" = \
		"order.created,order.paid,order.preparing,order.shipped,order.delivered,order.return_requested,order.returned" &&
	xlcfi-order show "$id" | jq -e ".status == \"returned\" and .tracking_no == \"6012345678901\"" > /dev/null &&
	test "$(stock KF-001)" -eq 8
'
expect_success 'an illegal move is refused with the current status, and changes nothing' '
	seed && id=$(new_order) &&
	run 65 xlcfi-order ship --tracking 1 "$id" &&
	grep -q "<args>:1: order $id is pending: it cannot become shipped" err &&
	run 65 xlcfi-order deliver "$id" && run 65 xlcfi-order return "$id" &&
	test "$(sql -c "select status from orders")" = pending &&
	test "$(sql -c "select count(*) from order_status_history")" -eq 0 &&
	test "$(sql -c "select count(*) from events")" -eq 1
'
expect_success 'cancel puts the stock back, once: a second cancel is refused' '
	seed && id=$(new_order 4) && test "$(stock KF-001)" -eq 6 &&
	run 0 xlcfi-order cancel --reason "고객 요청" "$id" &&
	test "$(field "[.status, .restocked, .reason] | @csv")" = "\"cancelled\",true,\"고객 요청\"" &&
	test "$(stock KF-001)" -eq 10 &&
	run 65 xlcfi-order cancel "$id" && grep -q "is cancelled: it cannot become cancelled" err &&
	test "$(stock KF-001)" -eq 10
'
expect_success 'a paid or preparing order with no payment to refund is not cancelled; a shipped one cannot be' '
	seed && a=$(new_order) && b=$(new_order) && c=$(new_order) &&
	pay "$a" && pay "$b" && pay "$c" && xlcfi-order -q prepare "$b" "$c" > /dev/null &&
	xlcfi-order -q ship --tracking 1 "$c" > /dev/null &&
	run 65 xlcfi-order cancel "$a" "$b" "$c" && ! test -s out &&
	grep -q "<args>:1: order_id: order $a is paid, but no captured payment of it is on record to refund: it is not cancelled" err &&
	grep -q "<args>:2: order_id: order $b is preparing, but no captured payment" err &&
	grep -q "<args>:3: order $c is shipped: it cannot become cancelled" err &&
	test "$(sql -c "select string_agg(status, chr(44) order by id) from orders")" = "paid,preparing,shipped" &&
	test "$(stock KF-001)" -eq 7
'
expect_success 'moves read order records from stdin: list | prepare' '
	seed && a=$(new_order) && b=$(new_order) && c=$(new_order) && pay "$a" && pay "$c" &&
	xlcfi-order list --status paid | run 0 xlcfi-order prepare --reason batch &&
	test "$(jq -r .order_id out | sort -n | paste -sd,)" = "$a,$c" &&
	test "$(sql -c "select string_agg(status, chr(44) order by id) from orders")" = "preparing,pending,preparing"
'
expect_success 'stdin records without an order_id, or for an unknown order, are rejects' '
	printf "%s\n" "{\"id\":1}" "{\"order_id\":999}" "{\"order_id\":\"1\"}" |
		run 65 xlcfi-order deliver --rejects rej &&
	grep -q "<stdin>:1: order_id: missing" err &&
	grep -q "<stdin>:2: order_id: no such order 999" err &&
	grep -q "<stdin>:3: order_id: expected a positive whole number" err &&
	test "$(wc -l < rej)" -eq 3
'
expect_success 'show and status of an unknown order exit 65' '
	run 65 xlcfi-order show 999 && grep -q "order_id: no such order 999" err &&
	run 65 xlcfi-order status 999
'
expect_success 'list: newest first; --user, --status, --since and --limit' '
	seed && a=$(new_order) && b=$(new_order) &&
	echo "{\"user_id\":2,\"items\":[{\"sku\":\"KF-002\",\"qty\":1}]}" | xlcfi-order create > /dev/null &&
	sql -c "UPDATE orders SET placed_at = timestamptz '"'"'2026-01-01 10:00+09'"'"' WHERE id = $a" &&
	run 0 xlcfi-order list && test "$(jq -r .order_id out | paste -sd,)" = "3,$b,$a" &&
	run 0 xlcfi-order list --user 1 && test "$(jq -r .order_id out | paste -sd,)" = "$b,$a" &&
	run 0 xlcfi-order list --since 2026-01-02 && test "$(jq -r .order_id out | paste -sd,)" = "3,$b" &&
	run 0 xlcfi-order list --since 2026-01-01T01:00:00Z && test "$(jq -r .order_id out | paste -sd,)" = "3,$b,$a" &&
	run 0 xlcfi-order list --since 2026-01-01T01:00:01Z && test "$(wc -l < out)" -eq 2 &&
	run 0 xlcfi-order list --limit 1 && test "$(jq -r .order_id out)" = 3 &&
	run 0 xlcfi-order list --status cancelled && ! test -s out &&
	run 64 xlcfi-order list --since yesterday && grep -q "invalid --since" err
'
expect_success 'expire: pending orders older than the TTL expire and return their stock; the rest stay' '
	seed && old=$(new_order 3) && paid=$(new_order 2) && young=$(new_order 1) && pay "$paid" &&
	sql -c "UPDATE orders SET placed_at = now() - interval '"'"'2 hours'"'"' WHERE id IN ($old, $paid)" &&
	test "$(stock KF-001)" -eq 4 &&
	run 0 xlcfi-order -v expire &&
	test "$(jq -r "[.order_id, .from, .status, .restocked] | @csv" out)" = "$old,\"pending\",\"expired\",true" &&
	grep -q "expired 1 orders" err &&
	test "$(sql -c "select string_agg(status, chr(44) order by id) from orders")" = "expired,paid,pending" &&
	test "$(stock KF-001)" -eq 7 &&
	run 0 xlcfi-order expire --ttl 1h && ! test -s out &&
	test "$(sql -c "select count(*) from events where topic = '"'"'order.expired'"'"'")" -eq 1
'
expect_success 'expire --ttl in seconds and --limit' '
	seed && a=$(new_order) && b=$(new_order) &&
	sql -c "UPDATE orders SET placed_at = now() - interval '"'"'10 minutes'"'"'" &&
	run 0 xlcfi-order expire --ttl 9m --limit 1 && test "$(jq -r .order_id out)" = "$a" &&
	run 0 xlcfi-order expire --ttl 700s && ! test -s out &&
	run 0 xlcfi-order expire --ttl 599 && test "$(jq -r .order_id out)" = "$b"
'
# --- reviews ---------------------------------------------------------------------------

# A delivered order of user 1 with KF-001 and KF-002, its id on stdout.
delivered_order() {
	local id
	id=$(echo "{\"user_id\":1,\"items\":[{\"sku\":\"KF-001\",\"qty\":1},{\"sku\":\"KF-002\",\"qty\":1}]}" |
		xlcfi-order create | jq .order_id)
	pay "$id"
	xlcfi-order -q prepare "$id" > /dev/null && xlcfi-order -q ship --tracking 1 "$id" > /dev/null &&
		xlcfi-order -q deliver "$id" > /dev/null && echo "$id"
}
expect_success 'review add: the buyer of a delivered item, once per item, with a review.created event' '
	seed && sql -c "INSERT INTO users (email, display_name) VALUES ('"'"'park@example.kr'"'"', '"'"'박'"'"')" &&
	id=$(delivered_order) &&
	echo "{\"user_id\":1,\"order_id\":$id,\"sku\":\"KF-001\",\"rating\":5,\"body\":\"정말 맛있어요! 또 살게요\"}" |
		run 0 xlcfi-order review add &&
	test "$(field "[.review_id, .order_id, .sku, .user_id, .rating, .body, .status, .reports] | @csv")" = \
		"1,$id,\"KF-001\",1,5,\"정말 맛있어요! 또 살게요\",\"visible\",0" &&
	test "$(sql -c "select topic || key from events where topic like '"'"'review.%'"'"'")" = review.created1
'
expect_success 'review add: others, undelivered orders, items not in the order, repeats and bad ratings are refused' '
	seed && id=$(delivered_order) && pending=$(new_order) &&
	printf "%s\n" "{\"user_id\":2,\"order_id\":$id,\"sku\":\"KF-001\",\"rating\":1}" \
		"{\"user_id\":1,\"order_id\":$pending,\"sku\":\"KF-001\",\"rating\":4}" \
		"{\"user_id\":1,\"order_id\":$id,\"sku\":\"KF-GBP\",\"rating\":4}" \
		"{\"user_id\":1,\"order_id\":$id,\"sku\":\"KF-002\",\"rating\":6}" \
		"{\"user_id\":1,\"order_id\":$id,\"sku\":\"KF-002\",\"rating\":3,\"body\":\"보통\"}" \
		"{\"user_id\":1,\"order_id\":$id,\"sku\":\"KF-002\",\"rating\":2}" \
		"{\"user_id\":1,\"order_id\":999,\"sku\":\"KF-002\",\"rating\":2}" \
		"{\"user_id\":1,\"order_id\":$id,\"rating\":2}" |
		run 65 xlcfi-order review add --rejects rej &&
	test "$(wc -l < out)" -eq 1 && test "$(field .sku)" = KF-002 &&
	sed "s/^xlcfi-order: //" err > got &&
	cat > want <<-EOF &&
	<stdin>:1: user_id: only the buyer of order $id can review it
	<stdin>:2: order_id: order $pending is pending: only delivered items can be reviewed
	<stdin>:3: sku: order $id has no item '"'"'KF-GBP'"'"'
	<stdin>:4: rating: expected a whole number from 1 to 5
	<stdin>:6: sku: '"'"'KF-002'"'"' of order $id is already reviewed
	<stdin>:7: order_id: no such order 999
	<stdin>:8: sku: missing
	EOF
	diff -u want got && test "$(wc -l < rej)" -eq 7 && test "$(count reviews)" -eq 1
'
expect_success 'review list: visible reviews of a SKU, newest first; an unknown SKU exits 65' '
	seed && a=$(delivered_order) && b=$(delivered_order) &&
	printf "%s\n" "{\"user_id\":1,\"order_id\":$a,\"sku\":\"KF-001\",\"rating\":4}" \
		"{\"user_id\":1,\"order_id\":$b,\"sku\":\"KF-001\",\"rating\":2}" \
		"{\"user_id\":1,\"order_id\":$b,\"sku\":\"KF-002\",\"rating\":5}" | xlcfi-order review add > /dev/null &&
	run 0 xlcfi-order review list --sku KF-001 && test "$(jq -r .rating out | paste -sd,)" = "2,4" &&
	run 0 xlcfi-order review list --sku KF-001 --limit 1 && test "$(jq -r .rating out)" = 2 &&
	run 65 xlcfi-order review list --sku KF-404 && grep -q "no such product .KF-404." err
'
expect_success 'review report: one report per user, not your own; the third reporter hides the review' '
	sql -c "INSERT INTO users (email, display_name) SELECT '"'"'r'"'"' || i || '"'"'@example.kr'"'"', '"'"'r'"'"' FROM generate_series(1, 3) i" &&
	rid=$(sql -c "select min(id) from reviews") &&
	run 65 xlcfi-order review report --id "$rid" --user 1 && grep -q "cannot report their own review" err &&
	run 0 xlcfi-order review report --id "$rid" --user 2 --reason "광고" &&
	test "$(field "[.status, .reports] | @csv")" = "\"visible\",1" &&
	run 65 xlcfi-order review report --id "$rid" --user 2 && grep -q "already reported review $rid" err &&
	run 0 xlcfi-order review report --id "$rid" --user 3 && test "$(field .status)" = visible &&
	run 0 xlcfi-order review report --id "$rid" --user 4 &&
	test "$(field "[.status, .reports] | @csv")" = "\"hidden\",3" &&
	test "$(sql -c "select count(*) from events where topic = '"'"'review.hidden'"'"'")" -eq 1 &&
	run 0 xlcfi-order review report --id "$rid" --user 5 && test "$(field .reports)" = 4 &&
	test "$(sql -c "select count(*) from events where topic = '"'"'review.hidden'"'"'")" -eq 1 &&
	xlcfi-order review list --sku KF-001 > visible && ! grep -q "\"review_id\":$rid," visible &&
	run 65 xlcfi-order review report --id 999 --user 2 && grep -q "no such review 999" err
'
expect_success 'list --status refuses an unknown status' '
	run 64 xlcfi-order list --status shipped-ish && grep -q "unknown status .shipped-ish." err
'
expect_success 'moves honour --max-line on stdin' '
	printf "{\"order_id\":1,\"pad\":\"%0200d\"}\n" 0 | run 65 xlcfi-order deliver --max-line 100 &&
	grep -q "<stdin>:1:" err
'
test_done
