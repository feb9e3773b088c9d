#!/bin/sh
# make demo: bring up the private database (creating it the first time),
# fill it with a generated K-Food shop the first time, and show what is in
# it. Later issues grow this into the full pipeline.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
xlcfi="$top/cmd/xlcfi"
etl="$top/cmd/xlcfi-etl"

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
echo "demo: its status (xlcfi db status)" >&2
"$xlcfi" db status
echo "demo: connect with:  psql \"\$($xlcfi db dsn)\"" >&2
echo "demo: stop it with:  $xlcfi db down" >&2
