#!/bin/bash
# xlcfi-analyze on the real UCI Online Retail data, imported as xlcfi-etl(1)
# documents: weekly sales and RFM checked against an independent
# computation in plain SQL over the orders tables (not the order_lines view
# the command reads), and the database and --from-stdin agreeing exactly.
. "$(dirname "$0")/../lib.sh"

RETAIL="$SHARED_DATA/online_retail.csv.gz"
if [ ! -f "$RETAIL" ]; then
	echo "# skipping: $RETAIL is not there (see ../shared/data/README.md)"
	test_done
fi
scratch_db || exit 1

expect_success 'import the data set (products, customers, orders)' '
	zcat "$RETAIL" > retail.csv &&
	printf "slug,name\nonline-retail,Online Retail\n" | xlcfi-etl -q import --table categories &&
	{ xlcfi-etl -q import --table products --upsert --currency GBP --map stockcode=sku,description=name,unitprice=price \
		--set category=online-retail < retail.csv; test $? -eq 65; } &&
	{ xlcfi-etl -q import --table users --upsert --map customerid=ref < retail.csv; test $? -eq 65; } &&
	{ xlcfi-etl -q import --table orders --currency GBP --timezone Europe/London \
		--map invoiceno=order_ref,stockcode=sku,unitprice=unit_price,invoicedate=placed_at,customerid=buyer_ref \
		< retail.csv; test $? -eq 65; } &&
	test "$(count orders)" -eq 18522 && rm retail.csv
'

# Orders that are sales, with their amounts, straight from the tables.
SOLD="SELECT o.id, o.buyer_id, (o.placed_at AT TIME ZONE 'Asia/Seoul')::date AS day,
	t.amount + o.shipping_minor AS amount, t.units
	FROM orders o JOIN (SELECT order_id, sum(quantity::bigint * unit_price_minor) AS amount,
	sum(quantity) AS units FROM order_items GROUP BY order_id) t ON t.order_id = o.id
	WHERE o.status IN ('paid', 'preparing', 'shipped', 'delivered', 'return_requested', 'returned', 'refunded')"

expect_success 'weekly sales equal an independent SQL computation, empty weeks included' '
	run 0 xlcfi-analyze sales --by week &&
	jq -r "[.period, .gross_minor, .net_minor, .orders, .units, .aov_minor, .buyers] | @csv" out > got &&
	sql -c "WITH s AS ($SOLD), w AS (SELECT date_trunc(\$\$week\$\$, day)::date AS wk, sum(amount) AS g,
		count(*) AS n, sum(units) AS u, count(DISTINCT buyer_id) AS b FROM s GROUP BY 1),
		all_weeks AS (SELECT generate_series(min(wk), max(wk), interval \$\$7 days\$\$)::date AS wk FROM w)
		SELECT format(\$\$\"%s\",%s,%s,%s,%s,%s,%s\$\$, to_char(a.wk, \$\$IYYY-\"W\"IW\$\$), coalesce(g, 0),
		coalesce(g, 0), coalesce(n, 0), coalesce(u, 0), coalesce(round(g::numeric / n), 0), coalesce(b, 0))
		FROM all_weeks a LEFT JOIN w USING (wk) ORDER BY a.wk" > want &&
	test "$(wc -l < want)" -ge 50 && diff -u want got
'
expect_success 'RFM equals an independent SQL computation (rank quintiles, segments)' '
	run 0 xlcfi-analyze rfm &&
	jq -r "[.user_id, .last_order, .recency_days, .frequency, .monetary_minor, .r, .f, .m, .segment] | @csv" out > got &&
	sql -c "WITH s AS ($SOLD), b AS (SELECT buyer_id AS u, max(day) AS last, count(*) AS f, sum(amount) AS m
		FROM s GROUP BY 1), k AS (SELECT max(last) + 1 AS asof, count(*) AS n FROM b),
		sc AS (SELECT b.*, asof - last AS rec,
		1 + 5 * (rank() OVER (ORDER BY asof - last DESC) - 1) / n AS rs,
		1 + 5 * (rank() OVER (ORDER BY f) - 1) / n AS fs,
		1 + 5 * (rank() OVER (ORDER BY m) - 1) / n AS ms FROM b, k)
		SELECT format(\$\$%s,\"%s\",%s,%s,%s,%s,%s,%s,\"%s\"\$\$, u, last, rec, f, m, rs, fs, ms,
		CASE WHEN rs >= 4 AND fs >= 4 THEN \$\$Champions\$\$ WHEN rs >= 3 AND fs >= 3 THEN \$\$Loyal\$\$
		WHEN rs = 5 AND fs = 1 THEN \$\$New\$\$ WHEN rs >= 3 THEN \$\$Potential\$\$
		WHEN rs = 1 AND fs >= 4 THEN \$\$Can'"'"'t lose\$\$ WHEN fs >= 3 THEN \$\$At risk\$\$
		WHEN rs = 2 THEN \$\$Hibernating\$\$ ELSE \$\$Lost\$\$ END) FROM sc ORDER BY u" > want &&
	test "$(wc -l < want)" -eq 4337 && diff -u want got
'
expect_success 'the database and --from-stdin agree on this data too' '
	xlcfi-etl export --table order_lines > lines.ndjson &&
	for args in "sales --by week" "sales --by month --category online-retail" "rfm" "cohorts" "top-products -n 20"; do
		xlcfi-analyze $args > db.out && xlcfi-analyze $args --from-stdin < lines.ndjson > stdin.out &&
		cmp db.out stdin.out || { echo "differs: $args"; return 1; }
	done
'

test_done
