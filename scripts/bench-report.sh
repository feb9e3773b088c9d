#!/bin/sh
# Benchmark xlcfi-report and xlcfi-analyze in one run, on one throwaway
# cluster:
#   1. 1M order lines of one month (generated in SQL, all delivered) to
#      xlsx: `xlcfi-report range --format xlsx` (the whole report: summary,
#      charts, top products, categories, RFM segments and the detail sheet
#      of every line, read from the database) against writing the same 7
#      columns of the same lines, read from a CSV export, with a bare C loop
#      on libxlsxwriter (scripts/bench-report/xlsx_loop.c, the limit), with
#      Python XlsxWriter (constant_memory) and with openpyxl (write_only);
#      every file's detail rows are counted;
#   2. `xlcfi-analyze sales --by week` on the imported Online Retail data
#      (../shared/data/online_retail.csv.gz, skipped when absent) against
#      pandas reading the CSV and grouping by Asia/Seoul ISO week;
#   3. the streaming path, `xlcfi-analyze sales --by week --from-stdin` on
#      the NDJSON export of part 1's lines, against pandas.read_json
#      (lines=True) + groupby on the same file, and its peak RSS on the
#      file read three times over (flat memory).
# Times are medians of RUNS runs (default 3), peak RSS the largest of them.
# Goals: xlsx within 1.15x of the bare loop, >= 3.5x faster than
# XlsxWriter, >= 5x faster than openpyxl, peak RSS < 32 MiB; weekly sales
# >= 5x faster than pandas; streaming >= 2x faster than pandas, flat memory.
# Python is /usr/bin/python3, with Debian's pandas, XlsxWriter and openpyxl.
#
# usage: scripts/bench-report.sh [runs [lines]]      (default 3 1000000)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-3}
lines=${2:-1000000}
name=report
# shellcheck source=scripts/bench-lib.sh
. "$top/scripts/bench-lib.sh"
report="$top/cmd/xlcfi-report"
analyze="$top/cmd/xlcfi-analyze"
etl="$top/cmd/xlcfi-etl"
here="$top/scripts/bench-report"
py=/usr/bin/python3

for c in "$report" "$analyze" "$etl"; do
	[ -x "$c" ] || { echo "bench-report: $c was not built" >&2; exit 77; }
done
"$py" -c 'import pandas, xlsxwriter, openpyxl' 2> /dev/null ||
	{ echo "bench-report: $py cannot import pandas, xlsxwriter and openpyxl" >&2; exit 77; }
xlsxwriter_libs=$(pkg-config --cflags --libs xlsxwriter 2> /dev/null) ||
	{ echo "bench-report: libxlsxwriter not found (pkg-config xlsxwriter)" >&2; exit 77; }
# shellcheck disable=SC2086 # the flags are words
cc -O2 -o "$work/xlsx_loop" "$here/xlsx_loop.c" $xlsxwriter_libs ||
	{ echo "bench-report: cannot build $here/xlsx_loop.c" >&2; exit 77; }

# bench NAME SRC CMD...: RUNS runs of CMD, stdin from SRC, stdout to
# $work/NAME.out; prints the median seconds and keeps the largest peak
# RSS (KiB) in $work/NAME.kib.
bench() {
	b=$1 src=$2
	shift 2
	: > "$work/$b.t"
	: > "$work/$b.rss"
	n=0
	while [ "$n" -lt "$runs" ]; do
		seconds timed "$b" "$src" "$@" >> "$work/$b.t"
		n=$((n + 1))
	done
	sort -n "$work/$b.rss" | tail -n 1 > "$work/$b.kib"
	median < "$work/$b.t"
}

echo "generating $(group "$lines") order lines of October 2026 ..." >&2
# 10 categories, 20,000 users, 2,000 products with Korean names; orders of
# 1-3 lines (a hash of the order number) spread evenly over the month in
# Seoul, cut so that there are exactly $lines lines, all delivered.
q -c "INSERT INTO categories (slug, name)
      SELECT * FROM unnest(ARRAY['kimchi', 'jang', 'ramyeon', 'snacks', 'drinks', 'tteok', 'dried-seafood', 'frozen', 'rice', 'seaweed'],
                           ARRAY['김치', '장류', '라면', '과자', '음료', '떡', '건어물', '냉동식품', '쌀·잡곡', '김·해조류'])" \
  -c "INSERT INTO users (id, email, display_name) OVERRIDING SYSTEM VALUE
      SELECT i, 'c' || i || '@bench.test', '고객 ' || i FROM generate_series(1, 20000) i" \
  -c "INSERT INTO products (id, sku, name, category_id, price_minor, stock) OVERRIDING SYSTEM VALUE
      SELECT i, 'KF-' || lpad(i::text, 6, '0'),
             (ARRAY['종가', '비비고', '농심', '오뚜기', '청정원', '해태', '동원', '풀무원', '삼양', '오리온'])[1 + (i / 10) % 10] || ' ' ||
             (ARRAY['포기김치', '고추장', '신라면', '새우깡', '식혜', '떡볶이떡', '쥐포', '왕교자', '햅쌀', '조미김'])[1 + i % 10] || ' ' ||
             (100 * (1 + i % 20)) || 'g',
             (SELECT id FROM categories ORDER BY id LIMIT 1 OFFSET i % 10), 1000 + (i % 90) * 100, 1000000
      FROM generate_series(1, 2000) i" \
  -c "CREATE TEMP TABLE bench_orders AS
      SELECT i, k, sum(k) OVER (ORDER BY i) - k AS before
      FROM (SELECT i, 1 + (i * 2654435761 % 4294967291) % 3 AS k FROM generate_series(1::bigint, $lines) i) s" \
  -c "DELETE FROM bench_orders WHERE before >= $lines" \
  -c "CREATE TEMP TABLE bench_lines AS
      SELECT i AS order_id, j AS line_no, 1 + (i * 31 + j * 7919) % 2000 AS product_id, 1 + (i + j) % 3 AS qty
      FROM bench_orders, generate_series(1, least(k, $lines - before)) j" \
  -c "INSERT INTO orders (id, buyer_id, status, total_minor, currency, placed_at, updated_at) OVERRIDING SYSTEM VALUE
      SELECT o.i, 1 + o.i * 7919 % 20000, 'delivered', t.total, 'KRW', o.at, o.at
      FROM (SELECT i, timestamptz '2026-10-01 00:00:00+09' + ((i - 1) * 2678399 / count(*) OVER ()) * interval '1 second' AS at
            FROM bench_orders) o
      JOIN (SELECT l.order_id, sum(l.qty * p.price_minor) AS total FROM bench_lines l JOIN products p ON p.id = l.product_id
            GROUP BY l.order_id) t ON t.order_id = o.i" \
  -c "INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_minor)
      SELECT l.order_id, l.line_no, l.product_id, l.qty, p.price_minor FROM bench_lines l JOIN products p ON p.id = l.product_id
      ORDER BY l.order_id, l.line_no" \
  -c "SELECT setval(pg_get_serial_sequence('users', 'id'), 20000), setval(pg_get_serial_sequence('products', 'id'), 2000),
             setval(pg_get_serial_sequence('orders', 'id'), (SELECT max(id) FROM orders))" \
  -c "VACUUM ANALYZE categories, users, products, orders, order_items" > /dev/null
got=$(q -c "SELECT count(*) FROM order_lines WHERE kind = 'line' AND sold
            AND occurred_at >= '2026-10-01 00:00:00+09' AND occurred_at < '2026-11-01 00:00:00+09'")
[ "$got" -eq "$lines" ] || { echo "bench-report: $got order lines generated, $lines wanted" >&2; exit 1; }
q -c "\copy (SELECT to_char(occurred_at AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD'), order_id, user_id, sku, name, qty, amount_minor
             FROM order_lines WHERE kind = 'line' AND sold ORDER BY occurred_at, order_id, line_no) TO '$work/lines.csv' CSV"
[ "$(wc -l < "$work/lines.csv")" -eq "$lines" ] || { echo "bench-report: the CSV export is short" >&2; exit 1; }

echo "1. $(group "$lines") detail rows to xlsx ..." >&2
t_loop=$(bench loop /dev/null "$work/xlsx_loop" "$work/lines.csv" "$work/loop.xlsx")
t_report=$(bench report /dev/null "$report" range --from 2026-10-01 --to 2026-10-31 --format xlsx -o "$work/report.xlsx")
t_xw=$(bench xlsxwriter /dev/null "$py" "$here/xlsx_xlsxwriter.py" "$work/lines.csv" "$work/xlsxwriter.xlsx")
t_op=$(bench openpyxl /dev/null "$py" "$here/xlsx_openpyxl.py" "$work/lines.csv" "$work/openpyxl.xlsx")
# The detail rows of each file, and the sheets of the report.
for b in report loop xlsxwriter openpyxl; do
	"$py" "$here/xlsx_rows.py" "$work/$b.xlsx" > "$work/$b.rows"
	read -r r _ _ < "$work/$b.rows"
	[ "$r" -eq "$lines" ] || { echo "bench-report: $b.xlsx has $r detail rows, $lines wanted" >&2; exit 1; }
done
read -r _ report_nsheets report_sheets < "$work/report.rows"

echo "3. the streaming path on the NDJSON export ..." >&2
"$etl" export --table order_lines > "$work/lines.ndjson"
records=$(wc -l < "$work/lines.ndjson")
t_stream=$(bench stream "$work/lines.ndjson" "$analyze" sales --by week --from-stdin)
t_pdjson=$(bench pdjson /dev/null "$py" "$here/pandas_lines.py" "$work/lines.ndjson")
same=no
cmp -s "$work/stream.out" "$work/pdjson.out" && same=yes
"$analyze" sales --by week > "$work/db.out"
cmp -s "$work/stream.out" "$work/db.out" || same="$same (and the database gives other figures)"
# The peak RSS of a pipeline under time(1) is that of its largest process
# (Linux reports the largest of the descendants waited for): xlcfi-analyze's.
# One run: it is there for the memory.
f="$work/lines.ndjson"
t_three=$(runs=1 bench three /dev/null sh -c "cat '$f' '$f' '$f' | '$analyze' sales --by week --from-stdin")

retail="$top/../shared/data/online_retail.csv.gz"
t_weekly=""
if [ -f "$retail" ]; then
	echo "2. Online Retail: import, then weekly sales ..." >&2
	q -c "TRUNCATE categories, users, products, orders, order_items RESTART IDENTITY CASCADE" 2> /dev/null
	zcat "$retail" > "$work/retail.csv"
	printf 'slug,name\nonline-retail,Online Retail\n' | "$etl" -q import --table categories
	# As tests/cli/t0301-analyze-online-retail.sh does; each refuses rows (exit 65).
	rc=0
	"$etl" -q import --table products --upsert --currency GBP --map stockcode=sku,description=name,unitprice=price \
		--set category=online-retail < "$work/retail.csv" 2> /dev/null || rc=$?
	[ "$rc" -eq 65 ] || { echo "bench-report: products import: exit $rc" >&2; exit 1; }
	rc=0
	"$etl" -q import --table users --upsert --map customerid=ref < "$work/retail.csv" 2> /dev/null || rc=$?
	[ "$rc" -eq 65 ] || { echo "bench-report: users import: exit $rc" >&2; exit 1; }
	rc=0
	"$etl" -q import --table orders --currency GBP --timezone Europe/London \
		--map invoiceno=order_ref,stockcode=sku,unitprice=unit_price,invoicedate=placed_at,customerid=buyer_ref \
		< "$work/retail.csv" 2> /dev/null || rc=$?
	[ "$rc" -eq 65 ] || { echo "bench-report: orders import: exit $rc" >&2; exit 1; }
	rm -f "$work/retail.csv"
	q -c "VACUUM ANALYZE" 2> /dev/null
	retail_orders=$(q -c "SELECT count(*) FROM orders")
	retail_lines=$(q -c "SELECT count(*) FROM order_items")
	t_weekly=$(bench weekly /dev/null "$analyze" sales --by week)
	t_pdcsv=$(bench pdcsv /dev/null "$py" "$here/pandas_retail.py" "$retail")
	weeks_x=$(wc -l < "$work/weekly.out")
	weeks_p=$(($(wc -l < "$work/pdcsv.out") - 1))
	# Revenue in pounds, all weeks: xlcfi (lines and shipping; there is no shipping here) and pandas.
	rev_x=$(jq -s 'map(.gross_minor) | add' "$work/weekly.out" | awk '{ printf "%.2f", $1 / 100 }')
	rev_p=$(awk -F, 'NR > 1 { s += $2 } END { printf "%.2f", s }' "$work/pdcsv.out")
else
	echo "2. skipped: $retail is not there (see ../shared/data/README.md)" >&2
fi

echo
echo "xlcfi-report / xlcfi-analyze benchmark ($(nproc) cores, PostgreSQL $(q -c 'SHOW server_version' | cut -d' ' -f1), medians of $runs runs)"
row() { printf "%-58s %8s %10s %13s\n" "$@"; }
row "case" "seconds" "/ ref" "peak RSS MiB"
echo "1. $(group "$lines") detail rows (7 columns) to xlsx"
row "  bare C loop on libxlsxwriter, constant_memory (ref)" "$t_loop" "1.00x" "$(mib loop)"
row "  xlcfi-report range --format xlsx (whole report, from DB)" "$t_report" "$(ratio "$t_report" "$t_loop")" "$(mib report)"
row "  python3 XlsxWriter, constant_memory" "$t_xw" "$(ratio "$t_xw" "$t_loop")" "$(mib xlsxwriter)"
row "  python3 openpyxl, write_only" "$t_op" "$(ratio "$t_op" "$t_loop")" "$(mib openpyxl)"
if [ -n "$t_weekly" ]; then
	echo "2. Online Retail, weekly sales ($(group "$retail_lines") lines in $(group "$retail_orders") orders)"
	row "  xlcfi-analyze sales --by week, database (ref)" "$t_weekly" "1.00x" "$(mib weekly)"
	row "  pandas read_csv(.csv.gz) + groupby Seoul ISO week" "$t_pdcsv" "$(ratio "$t_pdcsv" "$t_weekly")" "$(mib pdcsv)"
else
	echo "2. Online Retail, weekly sales: skipped, $retail is not there"
fi
echo "3. weekly sales from NDJSON ($(group "$records") order_lines records, $(du -m "$work/lines.ndjson" | cut -f1) MB)"
row "  xlcfi-analyze sales --by week --from-stdin (ref)" "$t_stream" "1.00x" "$(mib stream)"
row "  pandas read_json(lines=True) + groupby Seoul ISO week" "$t_pdjson" "$(ratio "$t_pdjson" "$t_stream")" "$(mib pdjson)"
row "  the same, the file 3 times over (cat f f f |; 1 run)" "$t_three" "$(ratio "$t_three" "$t_stream")" "$(mib three)"
echo "xlcfi-report wrote $report_nsheets sheets ($(echo "$report_sheets" | sed 's/|/, /g')) with $(group "$lines") detail rows; so did the other three writers' Detail sheets"
echo "weekly sales from NDJSON: pandas and xlcfi-analyze --from-stdin agree byte for byte: $same"
printf "xlsx: %s the bare loop (goal <= 1.15x), %s XlsxWriter (goal >= 3.5x), %s openpyxl (goal >= 5x), RSS %s MiB (goal < 32)\n" \
	"$(ratio "$t_report" "$t_loop")" "$(ratio "$t_xw" "$t_report")" "$(ratio "$t_op" "$t_report")" "$(mib report)"
if [ -n "$t_weekly" ]; then
	printf "weekly sales on Online Retail: %s pandas (goal >= 5x); %s weeks vs pandas' %s, revenue GBP %s vs pandas' %s (pandas approximates the import's cleaning)\n" \
		"$(ratio "$t_pdcsv" "$t_weekly")" "$weeks_x" "$weeks_p" "$rev_x" "$rev_p"
fi
printf "streaming: %s pandas.read_json (goal >= 2x); RSS %s MiB, %s MiB on 3x the records (goal: flat; the same orders thrice, so no new keys), pandas %s MiB\n" \
	"$(ratio "$t_pdjson" "$t_stream")" "$(mib stream)" "$(mib three)" "$(mib pdjson)"
