#!/bin/sh
# Benchmark xlcfi-etl in one run, on one throwaway database:
#   1. 1M generated order lines as CSV: xlcfi-etl import, against psql \copy
#      of the same data already clean into the same tables (the limit), and
#      csvsql --insert (csvkit) on a slice, scaled; pgloader if it runs;
#   2. the full Online Retail file (../shared/data), if present;
#   3. export of 1M rows as NDJSON, against psql COPY ... TO STDOUT;
#   4. peak RSS of import at 1M and 10M rows (interactions).
# Times are medians of RUNS runs (default 3) unless said otherwise.
#
# usage: scripts/bench-etl.sh [runs]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
name=etl
. "$top/scripts/bench-lib.sh"
etl="$top/cmd/xlcfi-etl"

echo "generating the data ..." >&2
"$etl" -q generate --users 120000 --products 3000 --days 365 --seed 42 -o "$work/gen"
lines=$(wc -l < "$work/gen/orders.ndjson")
jq -r '[.order_ref, .buyer, .sku, .quantity, .unit_price_minor, .currency, .placed_at, .status] | @csv' \
	"$work/gen/orders.ndjson" > "$work/body.csv"
{ echo order_ref,buyer,sku,quantity,unit_price_minor,currency,placed_at,status; cat "$work/body.csv"; } > "$work/orders.csv"
for t in categories users products; do "$etl" -q import --table "$t" "$work/gen/$t.ndjson"; done
reset_orders() { q -c "TRUNCATE orders, order_items, order_status_history, reviews RESTART IDENTITY CASCADE" 2> /dev/null; }

echo "1. import of $lines order lines ..." >&2
: > "$work/t_import"
i=0
while [ "$i" -lt "$runs" ]; do
	reset_orders
	seconds "$etl" -q import --table orders "$work/orders.csv" >> "$work/t_import"
	i=$((i + 1))
done
t_import=$(median < "$work/t_import")
# The same as a role that may not skip the per-row foreign-key triggers.
q -c "CREATE ROLE bench_plain LOGIN" -c "GRANT USAGE ON SCHEMA public TO bench_plain" \
  -c "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO bench_plain" \
  -c "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO bench_plain"
: > "$work/t_plain"
i=0
while [ "$i" -lt "$runs" ]; do
	reset_orders
	seconds env XLCFI_DSN="$dsn user=bench_plain" "$etl" -q import --table orders "$work/orders.csv" >> "$work/t_plain"
	i=$((i + 1))
done
t_plain=$(median < "$work/t_plain")
reset_orders
"$etl" -q import --table orders "$work/orders.csv"
# The limit: the rows the import wrote, already clean, copied straight in.
q -c "\copy (SELECT id, buyer_id, status, total_minor, currency, placed_at, updated_at, external_ref FROM orders) TO '$work/c_orders.csv' CSV" \
  -c "\copy order_items TO '$work/c_items.csv' CSV" \
  -c "\copy (SELECT id, order_id, from_status, to_status, reason, changed_by, changed_at FROM order_status_history) TO '$work/c_hist.csv' CSV"
copy_clean() {
	q -c "BEGIN" \
	  -c "\copy orders (id, buyer_id, status, total_minor, currency, placed_at, updated_at, external_ref) FROM '$work/c_orders.csv' CSV" \
	  -c "\copy order_items FROM '$work/c_items.csv' CSV" \
	  -c "\copy order_status_history (id, order_id, from_status, to_status, reason, changed_by, changed_at) FROM '$work/c_hist.csv' CSV" \
	  -c "COMMIT"
}
: > "$work/t_copy"
i=0
while [ "$i" -lt "$runs" ]; do
	reset_orders
	seconds copy_clean >> "$work/t_copy"
	i=$((i + 1))
done
t_copy=$(median < "$work/t_copy")

slice=20000
head -n $((slice + 1)) "$work/orders.csv" > "$work/slice.csv"
csvsql_url="postgresql:///xlcfi?host=$XLCFI_HOME/pg/run&user=xlcfi"
t_csvsql=""
if command -v csvsql > /dev/null 2>&1; then
	q -c "DROP TABLE IF EXISTS bench_csvsql"
	t=$(seconds csvsql --db "$csvsql_url" --insert --tables bench_csvsql "$work/slice.csv")
	t_csvsql=$(echo "$t $lines $slice" | awk '{ printf "%.1f", $1 * $2 / $3 }')
fi
t_pgloader=""
if command -v pgloader > /dev/null 2>&1; then
	q -c "DROP TABLE IF EXISTS bench_pgloader" \
	  -c "CREATE TABLE bench_pgloader (order_ref text, buyer text, sku text, quantity int, unit_price_minor bigint, currency text, placed_at timestamptz, status text)"
	cat > "$work/load.pgl" <<PGL
LOAD CSV FROM '$work/orders.csv' (order_ref, buyer, sku, quantity, unit_price_minor, currency, placed_at, status)
     INTO postgresql://xlcfi@unix:$XLCFI_HOME/pg/run:5432/xlcfi?tablename=bench_pgloader
     WITH skip header = 1, fields optionally enclosed by '"', fields terminated by ','
     SET work_mem to '64MB';
PGL
	if t=$(seconds sh -c "pgloader --quiet '$work/load.pgl' > '$work/pgloader.out' 2> '$work/pgloader.err'") &&
	   [ "$(q -c "SELECT count(*) FROM bench_pgloader")" -eq "$lines" ]; then
		t_pgloader=$t
	fi
fi

retail="$top/../shared/data/online_retail.csv.gz"
retail_line=""
if [ -f "$retail" ]; then
	echo "2. Online Retail ..." >&2
	# The clean copies above set ids by hand: start the sequences afresh.
	reset_orders
	printf 'slug,name\nonline-retail,Online Retail\n' | "$etl" -q import --table categories
	rt() {
		zcat "$retail" | "$etl" -q import --table products --upsert --currency GBP \
			--map stockcode=sku,description=name,unitprice=price --set category=online-retail 2> /dev/null || true
		zcat "$retail" | "$etl" -q import --table users --upsert --map customerid=ref 2> /dev/null || true
		zcat "$retail" | "$etl" -q import --table orders --currency GBP --timezone Europe/London \
			--map invoiceno=order_ref,stockcode=sku,unitprice=unit_price,invoicedate=placed_at,customerid=buyer_ref \
			2> /dev/null || true
	}
	t_retail=$(seconds rt)
	retail_line=$(printf "Online Retail (541,909 lines; products, users, orders): %s s, %s orders, %s lines loaded" \
		"$t_retail" "$(q -c "SELECT count(*) FROM orders WHERE currency = 'GBP'")" \
		"$(q -c "SELECT count(*) FROM order_items i JOIN orders o ON o.id = i.order_id WHERE o.currency = 'GBP'")")
fi

echo "3. export ..." >&2
reset_orders
"$etl" -q import --table orders "$work/orders.csv"
: > "$work/t_export"
: > "$work/t_pgcopy"
i=0
while [ "$i" -lt "$runs" ]; do
	seconds sh -c "'$etl' export --table order_items > /dev/null" >> "$work/t_export"
	seconds sh -c "psql -X -q '$dsn' -c 'COPY order_items TO STDOUT' > /dev/null" >> "$work/t_pgcopy"
	i=$((i + 1))
done
t_export=$(median < "$work/t_export")
t_pgcopy=$(median < "$work/t_pgcopy")
rss_export=$(rss "$etl" export --table order_items)

echo "4. memory at 1M and 10M rows ..." >&2
"$etl" -q generate --users 280000 --products 3000 --days 365 --seed 43 -o "$work/big"
for t in users products; do "$etl" -q import --table "$t" --upsert "$work/big/$t.ndjson" || true; done
head -n 1000000 "$work/big/interactions.ndjson" > "$work/i1m.ndjson"
head -n 10000000 "$work/big/interactions.ndjson" > "$work/i10m.ndjson"
n10=$(wc -l < "$work/i10m.ndjson")
rss1=$(rss "$etl" -q import --table interactions "$work/i1m.ndjson")
q -c "TRUNCATE interactions"
s10=$(date +%s)
rss10=$(rss "$etl" -q import --table interactions "$work/i10m.ndjson")
t10=$(( $(date +%s) - s10 ))

echo
echo "xlcfi-etl benchmark ($(nproc) cores, PostgreSQL $(q -c 'SHOW server_version' | cut -d' ' -f1), medians of $runs runs)"
printf "%-52s %10s %12s\n" "1M order lines as CSV ($lines lines)" "seconds" "lines/s"
printf "%-52s %10s %12.0f\n" "xlcfi-etl import --table orders" "$t_import" "$(echo "$lines $t_import" | awk '{ print $1 / $2 }')"
printf "%-52s %10s %12.0f\n" "  the same, as a role with per-row FK triggers" "$t_plain" "$(echo "$lines $t_plain" | awk '{ print $1 / $2 }')"
printf "%-52s %10s %12.0f\n" "psql \\copy of the same rows already clean (limit)" "$t_copy" "$(echo "$lines $t_copy" | awk '{ print $1 / $2 }')"
[ -z "$t_csvsql" ] || printf "%-52s %10s %12.0f\n" "csvsql --insert ($slice-line slice, scaled)" "$t_csvsql" "$(echo "$lines $t_csvsql" | awk '{ print $1 / $2 }')"
[ -z "$t_pgloader" ] || printf "%-52s %10s %12.0f\n" "pgloader into one plain table (no checks)" "$t_pgloader" "$(echo "$lines $t_pgloader" | awk '{ print $1 / $2 }')"
[ -n "$t_pgloader" ] || echo "pgloader: did not run here"
echo "$t_import $t_copy" | awk '{ printf "import / \\copy: %.2fx (goal <= 1.3x)\n", $1 / $2 }'
echo "$t_plain $t_copy" | awk '{ printf "import with per-row FK triggers / \\copy: %.2fx\n", $1 / $2 }'
[ -z "$t_csvsql" ] || echo "$t_csvsql $t_import" | awk '{ printf "csvsql / import: %.1fx (goal >= 10x)\n", $1 / $2 }'
[ -z "$retail_line" ] || echo "$retail_line"
printf "export of %s order_items rows as NDJSON: %s s; psql COPY TO STDOUT (text): %s s; ratio %s; peak RSS %s MiB\n" \
	"$(q -c 'SELECT count(*) FROM order_items')" "$t_export" "$t_pgcopy" \
	"$(echo "$t_export $t_pgcopy" | awk '{ printf "%.2fx", $1 / $2 }')" "$rss_export"
printf "import peak RSS: 1,000,000 interactions %s MiB; %s interactions %s MiB (%s s) (goal < 64 MiB, flat)\n" \
	"$rss1" "$n10" "$rss10" "$t10"
