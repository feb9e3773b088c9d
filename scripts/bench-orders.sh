#!/bin/sh
# Benchmark xlcfi-order create against pgbench, on one throwaway cluster:
#   A. uniform: 16 concurrent `xlcfi-order create` processes, each reading
#      its own file of N requests (default 2000; 1-3 lines of random SKUs
#      out of 10,000), so 32,000 orders;
#   B. hot SKU: the same, but every request is 1 unit of the same SKU;
#   C. pgbench's built-in TPC-B-like script, 16 clients, -T 20, scale 16,
#      in its own database on the same cluster.
# An order is one database function call, one short transaction, so
# orders/s is set against pgbench's tps (without connection time).
# Wall time runs from the start of the first process to the end of the
# last; every order written is counted and checked against the orders table.
# Times are medians of RUNS runs (default 3). Goal: orders/s >= 1.0x tps.
#
# usage: scripts/bench-orders.sh [runs [requests-per-client]]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
per=${2:-2000}
clients=16
name=orders
. "$top/scripts/bench-lib.sh"
order="$top/cmd/xlcfi-order"
pgbench=$(command -v pgbench || true)
for p in /usr/lib/postgresql/*/bin/pgbench; do [ -n "$pgbench" ] || [ ! -x "$p" ] || pgbench=$p; done
[ -n "$pgbench" ] || { echo "bench-orders: pgbench not found (postgresql-client)" >&2; exit 77; }

echo "seeding 10,000 users and 10,000 products, writing $clients x $per requests ..." >&2
stock=100000000
q -c "INSERT INTO categories (slug, name) VALUES ('bench', 'Bench')" \
  -c "INSERT INTO users (email, display_name) SELECT 'u' || i || '@bench.test', 'User ' || i FROM generate_series(1, 10000) i" \
  -c "INSERT INTO products (sku, name, category_id, price_minor, stock)
      SELECT 'KF-' || lpad(i::text, 5, '0'), 'Bench product ' || i, (SELECT id FROM categories WHERE slug = 'bench'),
             1000 + (i % 50) * 100, $stock FROM generate_series(1, 10000) i" \
  -c "VACUUM ANALYZE users, products"
c=1
while [ "$c" -le "$clients" ]; do
	awk -v seed="$c" -v n="$per" 'BEGIN { srand(seed)
		for (r = 0; r < n; r++) {
			k = 1 + int(rand() * 3); s = ""
			for (j = 0; j < k; j++)
				s = s sprintf("%s{\"sku\":\"KF-%05d\",\"qty\":%d}", j ? "," : "", 1 + int(rand() * 10000), 1 + int(rand() * 3))
			printf "{\"user_id\":%d,\"items\":[%s]}\n", 1 + int(rand() * 10000), s
		} }' > "$work/uniform.$c.ndjson"
	awk -v seed="$((c + 100))" -v n="$per" 'BEGIN { srand(seed)
		for (r = 0; r < n; r++)
			printf "{\"user_id\":%d,\"items\":[{\"sku\":\"KF-00001\",\"qty\":1}]}\n", 1 + int(rand() * 10000) }' > "$work/hot.$c.ndjson"
	c=$((c + 1))
done
reset_orders() {
	q -c "TRUNCATE orders, order_items, order_status_history, events RESTART IDENTITY CASCADE" \
	  -c "UPDATE products SET stock = $stock" -c "VACUUM ANALYZE products" 2> /dev/null
}
# run_clients KIND: run the 16 processes on KIND's files at once, wait for all.
run_clients() {
	pids="" c=1
	while [ "$c" -le "$clients" ]; do
		"$order" create "$work/$1.$c.ndjson" > "$work/out.$c" 2> "$work/err.$c" &
		pids="$pids $!" c=$((c + 1))
	done
	rc=0
	for p in $pids; do wait "$p" || rc=1; done
	[ "$rc" -eq 0 ] || { cat "$work"/err.* | head -n 5 >&2; echo "bench-orders: xlcfi-order create failed" >&2; exit 1; }
}
# bench KIND: RUNS runs of KIND; prints the median seconds.
bench() {
	: > "$work/t_$1"
	i=0
	while [ "$i" -lt "$runs" ]; do
		reset_orders
		seconds run_clients "$1" >> "$work/t_$1"
		n=$(cat "$work"/out.* | wc -l)
		rows=$(q -c "SELECT count(*) FROM orders")
		if [ "$n" -ne "$total" ] || [ "$rows" -ne "$total" ]; then
			echo "bench-orders: $1: $n orders written, $rows in the table, $total wanted" >&2
			exit 1
		fi
		i=$((i + 1))
	done
	median < "$work/t_$1"
}
total=$((clients * per))

echo "A. uniform, $clients clients, $total orders ..." >&2
t_a=$(bench uniform)
echo "B. hot SKU, $clients clients, $total orders ..." >&2
t_b=$(bench hot)

echo "C. pgbench -i -s 16, then -c $clients -j 2 -T 20 ..." >&2
q -c "CREATE DATABASE bench_pgbench"
pdsn="$dsn dbname=bench_pgbench"
"$pgbench" -i -s 16 -q "$pdsn" > /dev/null 2>&1
: > "$work/tps"
: > "$work/txns"
i=0
while [ "$i" -lt "$runs" ]; do
	"$pgbench" -c "$clients" -j 2 -T 20 -n "$pdsn" > "$work/pgbench.out" 2> /dev/null
	awk '/^tps = / && !/including/ { print $3; exit }' "$work/pgbench.out" >> "$work/tps"
	awk -F': *' '/^number of transactions actually processed/ { print $2 }' "$work/pgbench.out" >> "$work/txns"
	i=$((i + 1))
done
tps=$(median < "$work/tps")
txns=$(median < "$work/txns" | cut -d/ -f1)

rate() { echo "$1 $2" | awk '{ printf "%.0f", $1 / $2 }'; }
r_a=$(rate "$total" "$t_a")
r_b=$(rate "$total" "$t_b")
echo
echo "xlcfi-order benchmark ($(nproc) cores, PostgreSQL $(q -c 'SHOW server_version' | cut -d' ' -f1), $clients clients, medians of $runs runs)"
printf "%-44s %10s %8s %10s %10s\n" "case" "orders" "seconds" "orders/s" "/ pgbench"
printf "%-44s %10s %8s %10s %10s\n" "A. xlcfi-order create, uniform, 10k SKUs" "$total" "$t_a" "$r_a" "$(ratio "$r_a" "$tps")"
printf "%-44s %10s %8s %10s %10s\n" "B. xlcfi-order create, one hot SKU" "$total" "$t_b" "$r_b" "$(ratio "$r_b" "$tps")"
printf "%-44s %10s %8s %10.0f %10s\n" "C. pgbench TPC-B-like, scale 16 (txns, tps)" "$txns" "20" "$tps" "1.00x"
echo "orders/s / pgbench tps: $(ratio "$r_a" "$tps") (uniform), $(ratio "$r_b" "$tps") (hot SKU) (goal >= 1.0x)"
