#!/bin/bash
# xlcfi-report: the files it writes are opened and read back: the xlsx's
# sheets, cells, number formats and charts (tests/tools/xlsx-dump.py, the
# standard library's zipfile); the CSV's bytes; the HTML's SVG. The shop
# is tests/data/shop-small.sql, whose sums t0300-analyze works out.
. "$(dirname "$0")/../lib.sh"

DUMP="$TOP/tests/tools/xlsx-dump.py"

for sub in "" weekly monthly range; do
	expect_code 0 "xlcfi-report $sub --help exits 0" xlcfi-report $sub --help
done
expect_success 'SYNOPSIS of xlcfi-report(1) matches the usage lines' '
	for s in "" weekly monthly range; do help_usage xlcfi-report $s; done > usage &&
	man_synopsis "$TOP/man/xlcfi-report.1" > synopsis &&
	diff -u usage synopsis
'
expect_code 64 'no subcommand' xlcfi-report
expect_code 64 'no -o' xlcfi-report weekly
expect_code 64 'a range without --to' xlcfi-report range --from 2026-11-01 -o r.xlsx
expect_code 64 '--date on a range' xlcfi-report range --date 2026-11-01 -o r.xlsx
expect_code 64 '--from on a weekly report' xlcfi-report weekly --from 2026-11-01 -o r.xlsx
expect_code 64 '--encoding on xlsx' xlcfi-report weekly --encoding cp949 -o r.xlsx
expect_code 64 'a bad --format' xlcfi-report weekly --format pdf -o r.pdf
expect_code 69 'an unreachable database exits 69' xlcfi-report weekly --dsn "host=127.0.0.1 port=1" -o r.xlsx

scratch_db || exit 1
sql -q -f "$TOP/tests/data/shop-small.sql" > /dev/null

# cell SHEET REF: the value of a cell of w.xlsx (dumped to cells).
cell() { awk -F'\t' -v s="$1" -v r="$2" '$1 == s && $2 == r { print $3 }' cells; }
fmt() { awk -F'\t' -v s="$1" -v r="$2" '$1 == s && $2 == r { print $4 }' cells; }

expect_success 'weekly xlsx: the week of --date, its record on stdout' '
	run 0 xlcfi-report weekly --date 2026-11-25 -o w.xlsx &&
	test "$(jq -r "[.report, .format, .kind, .from, .to, .lines] | @csv" out)" = \
		"\"w.xlsx\",\"xlsx\",\"weekly\",\"2026-11-23\",\"2026-11-29\",5" &&
	"$DUMP" w.xlsx > cells && "$DUMP" --parts w.xlsx > parts
'
expect_success 'weekly xlsx: the sheets, in order' '
	cut -f1 cells | uniq > got &&
	printf "%s\n" Summary Trend "Top products" Categories "RFM segments" Detail > want && diff -u want got
'
expect_success 'weekly xlsx: KPIs this week (50,001) and the week before (23,000), KRW format, change' '
	test "$(cell Summary A1)" = "Weekly sales report 2026-W48 (2026-11-23 to 2026-11-29)" &&
	test "$(cell Summary B7)" = 50001 && test "$(cell Summary C7)" = 23000 &&
	test "$(fmt Summary B7)" = "₩#,##0" &&
	awk "BEGIN { exit !($(cell Summary D7) > 1.1739 && $(cell Summary D7) < 1.1740) }" &&
	test "$(fmt Summary D7)" = "0.0%" &&
	test "$(cell Summary B2)" = 46349 && test "$(fmt Summary B2)" = yyyy-mm-dd
'
expect_success 'weekly xlsx: a trend row per day, real Excel dates' '
	test "$(awk -F"\t" "\$1 == \"Trend\" && \$2 ~ /^A[0-9]+$/" cells | wc -l)" -eq 8 &&
	test "$(cell Trend B2)" = 46349 && test "$(fmt Trend B2)" = yyyy-mm-dd
'
expect_success 'weekly xlsx: top products and categories with Hangul intact' '
	test "$(cell "Top products" B2)" = KF-001 && test "$(cell "Top products" C2)" = 포기김치 &&
	test "$(cell Categories B2)" = 김치
'
expect_success 'weekly xlsx: every sold line of the week in the detail, in time order' '
	awk -F"\t" "\$1 == \"Detail\" && \$2 ~ /^B[0-9]+$/ && \$2 != \"B1\" { print \$3 }" cells | paste -sd, > got &&
	echo 2,2,3,8,6 > want && diff -u want got &&
	test "$(cell Detail E2)" = 신라면 && test "$(cell Detail A2)" = 46349
'
expect_success 'weekly xlsx: native line, bar and doughnut charts; frozen header and autofilter' '
	test "$(grep -c "^xl/charts/chart[0-9]*.xml$" parts)" -eq 3 &&
	unzip_cat() { /usr/bin/python3 -c "import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())" "$@"; } &&
	for c in 1 2 3; do unzip_cat w.xlsx xl/charts/chart$c.xml; done > charts &&
	grep -q "<c:lineChart>" charts && grep -q "<c:barChart>" charts && grep -q "<c:doughnutChart>" charts &&
	unzip_cat w.xlsx xl/worksheets/sheet6.xml > detail.xml &&
	grep -q "ySplit=\"1\"" detail.xml && grep -q "<autoFilter ref=\"A1:G6\"" detail.xml
'
expect_success 'monthly xlsx: December, whose refunds exceed its sales: net -24,000' '
	run 0 xlcfi-report monthly --date 2026-12-15 -o m.xlsx && "$DUMP" m.xlsx > cells &&
	test "$(cell Summary B7)" = -24000 && test "$(cell Summary B9)" = 30000 && test "$(cell Summary C7)" = 73001
'
expect_success 'an empty period: a workbook with its sheets and zeros' '
	run 0 xlcfi-report weekly --date 2027-03-03 -o e.xlsx && "$DUMP" e.xlsx > cells &&
	test "$(cut -f1 cells | uniq | wc -l)" -eq 6 && test "$(cell Summary B7)" = 0 &&
	test "$(jq .lines out)" -eq 0
'
expect_success 'csv: UTF-8 with a BOM and CRLF, the detail lines' '
	run 0 xlcfi-report range --from 2026-11-23 --to 2026-11-29 -o r.csv &&
	test "$(head -c 3 r.csv | od -An -tx1 | tr -d " ")" = efbbbf &&
	test "$(grep -c $'"'"'\r$'"'"' r.csv)" -eq 6 && test "$(wc -l < r.csv)" -eq 6 &&
	sed -n 2p r.csv | tr -d "\r" > got && echo "2026-11-23,2,2,KF-002,신라면,3,4500,KRW" > want && diff -u want got
'
expect_success 'csv --encoding cp949: the same text in CP949, no BOM' '
	run 0 xlcfi-report range --from 2026-11-23 --to 2026-11-29 --encoding cp949 -o r949.csv &&
	test "$(head -c 4 r949.csv)" = date &&
	iconv -f CP949 -t UTF-8 r949.csv > back && tail -c +4 r.csv > want && cmp want back &&
	! cmp -s r.csv r949.csv
'
expect_success 'html: one file, inline SVG charts, no script, no network' '
	run 0 xlcfi-report weekly --date 2026-11-25 -o w.html &&
	test "$(grep -o "<svg" w.html | wc -l)" -eq 3 &&
	! grep -qi "<script" w.html && ! grep -Eq "(src|href)=\"https?:" w.html &&
	grep -q "₩50,001" w.html && grep -q "포기김치" w.html && grep -q "2026-W48" w.html
'
expect_success 'records on stdin give the same report as the database' '
	xlcfi-etl export --table order_lines | jq -c -s "sort_by(.occurred_at, .order_id, .line_no)[]" > lines.ndjson &&
	run 0 xlcfi-report weekly --date 2026-11-25 --from-stdin -o s.xlsx < lines.ndjson &&
	"$DUMP" w.xlsx | grep -v "^Summary	B3	" | sort > a && "$DUMP" s.xlsx | grep -v "^Summary	B3	" | sort > b &&
	diff -u a b &&
	run 0 xlcfi-report range --from 2026-11-23 --to 2026-11-29 --from-stdin -o s.csv lines.ndjson &&
	sort r.csv > a && sort s.csv > b && diff -u a b
'
expect_success 'records on stdin, the database: the same segments when history comes before the two weeks' '
	run 0 xlcfi-report weekly --date 2026-12-01 -o w49.xlsx && "$DUMP" w49.xlsx > cells &&
	test "$(cell "RFM segments" B2)" != "" &&
	run 0 xlcfi-report weekly --date 2026-12-01 --from-stdin -o s49.xlsx < lines.ndjson &&
	"$DUMP" w49.xlsx | grep -v "^Summary	B3	" > a && "$DUMP" s49.xlsx | grep -v "^Summary	B3	" > b &&
	diff -u a b
'
expect_success 'a bad record on stdin: refused with its line, exit 65, the report still written' '
	{ head -n 1 lines.ndjson; echo "{\"kind\":\"line\"}"; tail -n +2 lines.ndjson; } > bad.ndjson &&
	run 65 xlcfi-report weekly --date 2026-11-25 --from-stdin -o b.xlsx bad.ndjson &&
	grep -q "bad.ndjson:2:" err && test -s b.xlsx
'
expect_success 'a failed run leaves the old report as it was, and no temporary file' '
	cp w.xlsx keep.xlsx &&
	run 69 xlcfi-report weekly --date 2026-11-25 --dsn "host=127.0.0.1 port=1" -o w.xlsx &&
	cmp keep.xlsx w.xlsx &&
	{ echo "{\"kind\":\"line\"}" | xlcfi-report weekly --date 2026-11-25 --from-stdin --max-errors 0 -o w.xlsx; test $? -ne 0; } &&
	cmp keep.xlsx w.xlsx && test -z "$(ls | grep "\.tmp\.")"
'
expect_success 'jobs/weekly-report.sh: last week'"'"'s xlsx and html in a dated directory' '
	PATH="$TOP/cmd:$PATH" "$TOP/jobs/weekly-report.sh" jobs > out &&
	week=$(TZ=Asia/Seoul date -d "7 days ago" +%G-W%V) &&
	test -s "jobs/$week/weekly-report.xlsx" && grep -q "<svg" "jobs/$week/weekly-report.html" &&
	test "$(jq -r .format out | paste -sd,)" = xlsx,html
'
expect_success 'a second currency first seen late in the period: the report is in the first code, as from records' '
	sql -q -c "INSERT INTO orders (buyer_id, status, total_minor, currency, shipping_minor, placed_at) VALUES
		(1, '"'"'paid'"'"', 4500, '"'"'KRW'"'"', 0, '"'"'2027-02-01T01:00:00+09'"'"'),
		(2, '"'"'paid'"'"', 1234, '"'"'EUR'"'"', 0, '"'"'2027-02-03T01:00:00+09'"'"')" &&
	sql -q -c "INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_minor)
		SELECT o.id, 1, 1, 1, o.total_minor FROM orders o WHERE o.placed_at >= '"'"'2027-02-01T00:00:00+09'"'"'" &&
	run 0 xlcfi-report weekly --date 2027-02-01 -o cur.xlsx && "$DUMP" cur.xlsx > cells &&
	test "$(jq .lines out)" -eq 2 &&
	test "$(cell Summary B4)" = EUR && test "$(cell Summary B8)" = 57.34 &&
	test "$(cell Detail G2)" = 45 && test "$(cell Detail G3)" = 12.34 &&
	xlcfi-etl export --table order_lines | jq -c -s "sort_by(.occurred_at, .order_id, .line_no)[]" > cur.ndjson &&
	run 0 xlcfi-report weekly --date 2027-02-01 --from-stdin -o curs.xlsx cur.ndjson &&
	"$DUMP" cur.xlsx | grep -v "^Summary	B3	" > a && "$DUMP" curs.xlsx | grep -v "^Summary	B3	" > b &&
	diff -u a b &&
	run 0 xlcfi-report weekly --date 2027-02-01 -o cur.csv &&
	sed -n 2p cur.csv | tr -d "\r" > got && echo "2027-02-01,$(cell Detail B2),1,KF-001,$(cell Detail E2),1,45.00,EUR" > want &&
	diff -u want got
'
expect_code 73 'an output directory that is not there: exit 73' xlcfi-report weekly -o no/such/dir/w.xlsx

test_done
