#!/bin/sh
# make demo: bring up the private database (creating it the first time),
# fill it with a generated K-Food shop the first time, and show what is in
# it, then take a few new orders and pay for them: generate -> import ->
# xlcfi-order create | xlcfi-pay charge, a weekly report, and a recommender
# trained on the shop with a few recommendations.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
xlcfi="$top/cmd/xlcfi"
etl="$top/cmd/xlcfi-etl"
order="$top/cmd/xlcfi-order"
pay="$top/cmd/xlcfi-pay"
analyze="$top/cmd/xlcfi-analyze"
report="$top/cmd/xlcfi-report"
recommend="$top/cmd/xlcfi-recommend"

echo "demo: starting the private database (xlcfi db up)" >&2
"$xlcfi" db up
dsn=$("$xlcfi" db dsn)
products=$(psql -X -q -At "$dsn" -c "SELECT count(*) FROM products")
if [ "$products" -eq 0 ]; then
	data=$(mktemp -d "${TMPDIR:-/tmp}/xlcfi-demo.XXXXXX")
	trap 'rm -rf "$data"' EXIT
	echo "demo: generating a K-Food shop (xlcfi-etl generate) and importing it (xlcfi-etl import)" >&2
	"$etl" generate --users 2000 --products 300 --days 120 --seed 1 -o "$data"
	for t in categories users products orders interactions reviews; do
		"$etl" import --table "$t" "$data/$t.ndjson"
	done
else
	echo "demo: the database already holds $products products; not loading again" >&2
fi
echo "demo: the five best-selling products (xlcfi-etl export --sql ...)" >&2
"$etl" export --sql "SELECT p.sku, p.name, sum(i.quantity) AS units, sum(i.quantity * i.unit_price_minor) AS revenue_minor, 'KRW' AS currency
	FROM order_items i JOIN products p ON p.id = i.product_id JOIN orders o ON o.id = i.order_id
	WHERE o.status NOT IN ('cancelled', 'refunded')
	GROUP BY p.id ORDER BY revenue_minor DESC LIMIT 5"
echo "demo: three new orders from the catalogue, paid through the sandbox gateway" >&2
echo "demo:   (xlcfi-order create | xlcfi-pay charge --provider sandbox)" >&2
psql -X -q -At "$dsn" -c "SELECT json_build_object('user_id', u.id, 'client_ref', 'demo-' || u.id || '-' || p.sku,
		'items', json_build_array(json_build_object('sku', p.sku, 'qty', 2)))
	FROM (SELECT id FROM users ORDER BY id LIMIT 3) u
	CROSS JOIN LATERAL (SELECT sku FROM products WHERE active AND stock >= 2 ORDER BY id LIMIT 1) p" |
	"$order" create | "$pay" charge --provider sandbox |
	jq -c '{payment_id, order_id, status, amount_minor, points_earned}'
# The generated shop lies in the past (its orders are the imported ones):
# show its last weeks, and report its last full week.
last=$(psql -X -q -At "$dsn" -c "SELECT max((placed_at AT TIME ZONE 'Asia/Seoul')::date) FROM orders WHERE external_ref IS NOT NULL")
week=$(psql -X -q -At "$dsn" -c "SELECT DATE '$last' - 7")
echo "demo: weekly sales, the shop's last four weeks (xlcfi-analyze sales --by week --to $last)" >&2
"$analyze" sales --by week --to "$last" | tail -n 4 | jq -c '{period, net_minor, orders, aov_minor, buyers}'
mkdir -p "$top/out"
echo "demo: the weekly report of the week of $week as xlsx and html (xlcfi-report weekly)" >&2
"$report" weekly --date "$week" -o "$top/out/weekly-report.xlsx" | jq -c .
"$report" weekly --date "$week" -o "$top/out/weekly-report.html" | jq -c .
echo "demo: reports written: $top/out/weekly-report.xlsx $top/out/weekly-report.html" >&2
echo "demo: a recommender trained on the shop (xlcfi-recommend train -o out/als.model)" >&2
"$recommend" train -o "$top/out/als.model" | jq -c '{users, items, nnz, factors, seconds}'
buyer=$(psql -X -q -At "$dsn" -c "SELECT buyer_id FROM orders GROUP BY buyer_id ORDER BY count(*) DESC, buyer_id LIMIT 1")
echo "demo: what buyer $buyer bought most, then five new items for them (xlcfi-recommend for --names)" >&2
psql -X -q -At "$dsn" -c "SELECT p.name || ' (' || c.name || ')' FROM order_items i JOIN orders o ON o.id = i.order_id
	JOIN products p ON p.id = i.product_id JOIN categories c ON c.id = p.category_id
	WHERE o.buyer_id = $buyer GROUP BY p.id, c.name ORDER BY sum(i.quantity) DESC, p.id LIMIT 3" | sed 's/^/demo:   bought: /' >&2
"$recommend" for -m "$top/out/als.model" --user "$buyer" -n 5 --names | jq -c '{rank, item, name, score, source}'
echo "demo: its status (xlcfi db status)" >&2
"$xlcfi" db status
echo "demo: connect with:  psql \"\$($xlcfi db dsn)\"" >&2
echo "demo: stop it with:  $xlcfi db down" >&2
