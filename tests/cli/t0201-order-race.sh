#!/bin/bash
# xlcfi-order: 16 processes race for one SKU with stock 100. Exactly 100 units
# are sold, stock never goes below zero, a refused request reserves nothing
# even under contention, and orders for the same SKUs in opposite orders
# never deadlock. Three rounds: it must hold every time.
. "$(dirname "$0")/../lib.sh"
scratch_db || exit 1

procs=16
per=25
sql -c "INSERT INTO categories (slug, name) VALUES ('kimchi', '김치')" \
    -c "INSERT INTO users (email, display_name) SELECT 'u' || i || '@example.kr', 'u' || i FROM generate_series(1, $procs) i"
# Process p's requests: one unit of KF-HOT each, alone or between KF-A and KF-B
# (listed A first in even processes, B first in odd ones).
for p in $(seq 1 $procs); do
	for i in $(seq 1 $per); do
		case $(( (p + i) % 3 )) in
		0) echo "{\"user_id\":$p,\"items\":[{\"sku\":\"KF-HOT\",\"qty\":1}]}" ;;
		1) if [ $((p % 2)) -eq 0 ]; then first=KF-A second=KF-B; else first=KF-B second=KF-A; fi
		   echo "{\"user_id\":$p,\"items\":[{\"sku\":\"$first\",\"qty\":2},{\"sku\":\"KF-HOT\",\"qty\":1},{\"sku\":\"$second\",\"qty\":1}]}" ;;
		2) if [ $((p % 2)) -eq 0 ]; then first=KF-A second=KF-B; else first=KF-B second=KF-A; fi
		   echo "{\"user_id\":$p,\"items\":[{\"sku\":\"$first\",\"qty\":1},{\"sku\":\"$second\",\"qty\":1}]}" ;;
		esac
	done > "req.$p"
done

sold() { sql -c "select coalesce(sum(i.quantity), 0) from order_items i join products p on p.id = i.product_id where p.sku = '$1'"; }
stock() { sql -c "select stock from products where sku = '$1'"; }

for round in 1 2 3; do
	sql -c "SET client_min_messages = warning; TRUNCATE products, orders, order_items, order_status_history, events
		RESTART IDENTITY CASCADE" \
	    -c "INSERT INTO products (sku, name, category_id, price_minor, stock) VALUES
		('KF-HOT', '한정판 김치', 1, 9900, 100), ('KF-A', '라면', 1, 1000, 100000), ('KF-B', '과자', 1, 1500, 100000)"
	pids=()
	for p in $(seq 1 $procs); do
		xlcfi-order create "req.$p" > "out.$p" 2> "err.$p" &
		pids+=($!)
	done
	codes=""
	for pid in "${pids[@]}"; do
		wait "$pid"
		codes="$codes $?"
	done
	expect_success "round $round: every process finished, refusing only for stock (no deadlock, no error)" '
		for c in $codes; do case $c in 0|65) ;; *) echo "exit $c"; exit 1 ;; esac; done &&
		! grep -hv "not enough stock of .KF-HOT." err.* &&
		! grep -qi deadlock err.*
	'
	expect_success "round $round: exactly 100 units of the hot SKU sold, stock 0, never below" '
		test "$(sold KF-HOT)" -eq 100 && test "$(stock KF-HOT)" -eq 0 &&
		test "$(sql -c "select min(stock) >= 0 from products")" = t
	'
	expect_success "round $round: refused requests reserved nothing: stock = initial - sold for every SKU" '
		test "$(stock KF-A)" -eq $((100000 - $(sold KF-A))) &&
		test "$(stock KF-B)" -eq $((100000 - $(sold KF-B))) &&
		test "$(sold KF-A)" -gt 0
	'
	expect_success "round $round: every order written is in the database, with its event; every request accounted for" '
		test "$(cat out.* | wc -l)" -eq "$(count orders)" &&
		test "$(sql -c "select count(*) from events where topic = '"'"'order.created'"'"'")" -eq "$(count orders)" &&
		test $(( $(cat out.* | wc -l) + $(cat err.* | wc -l) )) -eq $((procs * per))
	'
done
test_done
