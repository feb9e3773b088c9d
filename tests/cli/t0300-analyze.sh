#!/bin/bash
# xlcfi-analyze: sales, products, categories, RFM, cohorts and the dashboard
# on a small shop whose answers are worked out by hand in the comments, from
# the database and from exported records, which must agree byte for byte.
. "$(dirname "$0")/../lib.sh"

subs="sales top-products categories rfm segments cohorts dashboard"
for sub in "" $subs; do
	expect_code 0 "xlcfi-analyze $sub --help exits 0" xlcfi-analyze $sub --help
done
expect_success 'SYNOPSIS of xlcfi-analyze(1) matches the usage lines' '
	for s in "" $subs; do help_usage xlcfi-analyze $s; done > usage &&
	man_synopsis "$TOP/man/xlcfi-analyze.1" > synopsis &&
	diff -u usage synopsis
'
expect_code 64 'no subcommand' xlcfi-analyze
expect_code 64 'unknown subcommand' xlcfi-analyze forecast
expect_code 64 'a bad --by' xlcfi-analyze sales --by fortnight
expect_code 64 'a bad --by for top-products' xlcfi-analyze top-products --by week
expect_code 64 'a bad date' xlcfi-analyze sales --from 2026-02-30
expect_code 64 '--from after --to' xlcfi-analyze sales --from 2026-02-02 --to 2026-02-01
expect_code 64 '--category on rfm' xlcfi-analyze rfm --category kimchi
expect_code 64 '--from on the dashboard' xlcfi-analyze dashboard --from 2026-01-01
expect_code 64 '-n on sales' xlcfi-analyze sales -n 3
expect_code 64 '--as-of on sales' xlcfi-analyze sales --as-of 2026-01-01
expect_code 64 'files without --from-stdin' xlcfi-analyze sales some.ndjson
expect_code 69 'an unreachable database exits 69' xlcfi-analyze sales --dsn "host=127.0.0.1 port=1"

scratch_db || exit 1

# The shop of tests/data/shop-small.sql:
# Times are UTC; Seoul is 9 hours ahead.
#   o1 u1 delivered Sun 2026-11-22 23:59:59 KST (W47)  KF-001 x2 = 20000, shipping 3000
#   o2 u2 delivered Mon 2026-11-23 00:00:00 KST (W48)  KF-002 x3 = 4500 + KF-001 x1 = 10000
#   o3 u1 paid      Tue 2026-11-24 10:00 KST (W48)     KF-002 x1 = 1500, shipping 3000
#   o4 u3 pending   2026-11-24 (not a sale)           KF-001 x5
#   o5 u3 cancelled, never paid (not a sale)          KF-001 x1
#   o6 u2 cancelled after a capture, Wed 11-25 (W48)  KF-001 x3 = 30000; refunded 30000 on
#         Tue 2026-12-08 12:00 KST (W50, a week with no sales); a failed refund does not count
#   o7 u1 delivered Tue 2026-12-01 00:30 KST (W49)     KF-002 x2 = 3000, shipping 3000
#   o8 u3 delivered Tue 2026-11-24 11:00 KST (W48)     KF-003 x1 = 1001
seed() {
	sql -c "SET client_min_messages = warning; TRUNCATE categories, products, users, orders, order_items,
		order_status_history, payments, refunds, events RESTART IDENTITY CASCADE" &&
	sql -f "$TOP/tests/data/shop-small.sql"
}
# Fields of the records in out, one line per record, as CSV.
rows() { jq -r "[$1] | @csv" out; }

expect_success 'order_lines: lines, shipping fees and refunds, with what counts as sold' '
	seed &&
	sql -c "select kind, count(*), sum(amount_minor), count(*) filter (where sold) from order_lines group by 1 order by 1" > got &&
	printf "%s\n" "line|9|130001|7" "refund|1|-30000|1" "shipping|3|9000|3" > want &&
	diff -u want got
'
expect_success 'sales by week: Seoul weeks, the Sunday/Monday edge, an empty week, refunds in the week made' '
	run 0 xlcfi-analyze sales --by week &&
	rows ".period, .from, .to, .gross_minor, .refunds_minor, .net_minor, .orders, .units, .aov_minor, .buyers" > got &&
	printf "%s\n" "\"2026-W47\",\"2026-11-16\",\"2026-11-22\",23000,0,23000,1,2,23000,1" \
		"\"2026-W48\",\"2026-11-23\",\"2026-11-29\",50001,0,50001,4,9,12500,3" \
		"\"2026-W49\",\"2026-11-30\",\"2026-12-06\",6000,0,6000,1,2,6000,1" \
		"\"2026-W50\",\"2026-12-07\",\"2026-12-13\",0,30000,-30000,0,0,0,0" > want &&
	diff -u want got && test "$(jq -r .currency out | sort -u)" = KRW
'
expect_success 'sales by day: average order value rounds half up (5501 / 2 = 2751)' '
	run 0 xlcfi-analyze sales --by day --from 2026-11-23 --to 2026-11-25 &&
	rows ".period, .gross_minor, .orders, .aov_minor" > got &&
	printf "%s\n" "\"2026-11-23\",14500,1,14500" "\"2026-11-24\",5501,2,2751" "\"2026-11-25\",30000,1,30000" > want &&
	diff -u want got
'
expect_success 'sales by month: 00:30 on 1 December in Seoul is December; net can be negative' '
	run 0 xlcfi-analyze sales --by month &&
	rows ".period, .gross_minor, .refunds_minor, .net_minor, .orders, .units, .aov_minor, .buyers" > got &&
	printf "%s\n" "\"2026-11\",73001,0,73001,5,11,14600,3" "\"2026-12\",6000,30000,-24000,1,2,6000,1" > want &&
	diff -u want got
'
expect_success 'sales: a range with no sales gives zero rows; 2027-01-01 is in ISO week 2026-W53' '
	run 0 xlcfi-analyze sales --by week --from 2026-12-28 --to 2027-01-04 &&
	rows ".period, .from, .to, .net_minor, .orders" > got &&
	printf "%s\n" "\"2026-W53\",\"2026-12-28\",\"2027-01-03\",0,0" "\"2027-W01\",\"2027-01-04\",\"2027-01-10\",0,0" > want &&
	diff -u want got
'
expect_success 'sales --category: only that category'"'"'s lines, no shipping, no refunds' '
	run 0 xlcfi-analyze sales --by month --category ramen &&
	rows ".period, .gross_minor, .refunds_minor, .orders, .units" > got &&
	printf "%s\n" "\"2026-11\",7001,0,3,5" "\"2026-12\",3000,0,1,2" > want &&
	diff -u want got
'
expect_success 'top-products: by revenue, and by units with ties broken by revenue' '
	run 0 xlcfi-analyze top-products &&
	rows ".rank, .sku, .name, .category, .units, .revenue_minor, .orders" > got &&
	printf "%s\n" "1,\"KF-001\",\"포기김치\",\"kimchi\",6,60000,3" "2,\"KF-002\",\"신라면\",\"ramen\",6,9000,3" \
		"3,\"KF-003\",\"짜파게티\",\"ramen\",1,1001,1" > want &&
	diff -u want got &&
	run 0 xlcfi-analyze top-products --by units -n 2 && rows ".sku" > got &&
	printf "%s\n" "\"KF-001\"" "\"KF-002\"" > want && diff -u want got
'
expect_success 'categories: revenue and share (60000 / 70001)' '
	run 0 xlcfi-analyze categories &&
	rows ".category, .name, .revenue_minor, .units, .share" > got &&
	printf "%s\n" "\"kimchi\",\"김치\",60000,6,0.857131" "\"ramen\",\"라면\",10001,7,0.142869" > want &&
	diff -u want got
'
expect_success 'rfm: recency to the day after the last sale, rank quintiles, segments' '
	run 0 xlcfi-analyze rfm &&
	rows ".user_id, .last_order, .recency_days, .frequency, .monetary_minor, .rfm, .segment" > got &&
	printf "%s\n" "1,\"2026-12-01\",1,3,33500,\"444\",\"Champions\"" "2,\"2026-11-25\",7,2,14500,\"222\",\"Hibernating\"" \
		"3,\"2026-11-24\",8,1,1001,\"111\",\"Lost\"" > want &&
	diff -u want got
'
expect_success 'rfm --as-of: recency to that day, only the orders before it; segments: every one, in the man page'"'"'s order' '
	run 0 xlcfi-analyze rfm --as-of 2026-12-31 && test "$(rows ".recency_days" | paste -sd,)" = 30,36,37 &&
	run 0 xlcfi-analyze rfm --as-of 2026-11-25 &&
	test "$(rows ".user_id, .last_order, .recency_days, .frequency" | paste -sd";")" = \
		"1,\"2026-11-24\",1,2;2,\"2026-11-23\",2,1;3,\"2026-11-24\",1,1" &&
	run 0 xlcfi-analyze segments && rows ".segment, .customers" > got &&
	printf "%s\n" "\"Champions\",1" "\"Loyal\",0" "\"New\",0" "\"Potential\",0" "\"Can'"'"'t lose\",0" \
		"\"At risk\",0" "\"Hibernating\",1" "\"Lost\",1" > want &&
	diff -u want got
'
expect_success 'cohorts: November'"'"'s three buyers, one of them back in December' '
	run 0 xlcfi-analyze cohorts &&
	rows ".cohort, .size, .month, .active, .retention" > got &&
	printf "%s\n" "\"2026-11\",3,0,3,1" "\"2026-11\",3,1,1,0.333333" > want &&
	diff -u want got
'
expect_success 'dashboard: 30 days to --as-of, totals, pending orders, top products' '
	run 0 xlcfi-analyze dashboard --as-of 2026-12-10 &&
	test "$(jq -r "[.from, .to, .revenue_minor, .gross_minor, .refunds_minor, .orders, .aov_minor, .active_buyers, .pending_orders] | @csv" out)" = \
		"\"2026-11-11\",\"2026-12-10\",49001,79001,30000,6,13167,3,1" &&
	test "$(jq ".trend | length" out)" -eq 30 &&
	test "$(jq -r ".top_products | map(.sku) | join(\",\")" out)" = KF-001,KF-002,KF-003
'

# Every subcommand, with and without options, from exported records: the same bytes.
expect_success 'the same output from the database and from xlcfi-etl export --table order_lines' '
	run 0 xlcfi-etl export --table order_lines && mv out lines.ndjson &&
	for args in "sales" "sales --by week" "sales --by month --category ramen" "sales --from 2026-11-20 --to 2026-12-31" \
		"top-products" "top-products --by units -n 1" "categories --to 2026-11-30" "rfm" "segments --as-of 2027-01-01" \
		"cohorts" "dashboard --as-of 2026-12-10"; do
		xlcfi-analyze $args > db.out &&
		xlcfi-analyze $args --from-stdin < lines.ndjson > stdin.out &&
		xlcfi-analyze $args --from-stdin lines.ndjson > file.out &&
		cmp db.out stdin.out && cmp db.out file.out || { echo "differs: $args"; return 1; }
	done
'
expect_success 'records that are not order_lines facts: refused with file, line and field, exit 65, the rest counted' '
	{ head -n 2 lines.ndjson; echo "{\"kind\":\"line\",\"order_id\":1}"; echo "not json"; tail -n +3 lines.ndjson; } > bad.ndjson &&
	run 65 xlcfi-analyze sales --by month --from-stdin --rejects rej bad.ndjson &&
	xlcfi-analyze sales --by month > want && diff -u want out &&
	grep -q "bad.ndjson:3: field .occurred_at.: missing" err &&
	grep -q "bad.ndjson:4:" err &&
	test "$(wc -l < rej)" -eq 2 && test "$(jq -r .line rej | paste -sd,)" = 3,4
'
expect_success 'an empty database: no rows, exit 0; an empty range still has its zero rows' '
	sql -c "SET client_min_messages = warning; TRUNCATE orders, order_items, payments, refunds RESTART IDENTITY CASCADE" &&
	run 0 xlcfi-analyze sales && test ! -s out &&
	run 0 xlcfi-analyze rfm && test ! -s out &&
	run 0 xlcfi-analyze sales --by month --from 2026-01-01 --to 2026-02-28 &&
	test "$(rows ".period, .net_minor" | paste -sd,)" = "\"2026-01\",0,\"2026-02\",0"
'

test_done
