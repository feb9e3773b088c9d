#!/bin/bash
# xlcfi-etl import of the real UCI Online Retail file (541,909 order lines),
# with the mapping documented in xlcfi-etl(1). The figures asserted here
# were measured on that file; every row is accounted for.
. "$(dirname "$0")/../lib.sh"

RETAIL="$SHARED_DATA/online_retail.csv.gz"
if [ ! -f "$RETAIL" ]; then
	echo "# skipping: $RETAIL is not there (see ../shared/data/README.md)"
	test_done
fi
scratch_db

# The refusals of a rejects file, "COUNT ERROR" per reason, sorted by reason.
reasons() { jq -s -r 'group_by(.error) | map("\(length) \(.[0].error)")[]' "$1"; }


# Read once, fed to each import on standard input as `zcat ... |` would.
zcat "$RETAIL" > retail.csv
zstatus=$?
expect_success 'the data set decompresses: 541,909 lines and a header' '
	test "$zstatus" -eq 0 && test "$(wc -l < retail.csv)" -eq 541910
'

expect_success 'the category' '
	printf "slug,name\nonline-retail,Online Retail\n" > category.csv &&
	run 0 xlcfi-etl import --table categories < category.csv &&
	test "$(sql -c "select name from categories")" = "Online Retail"
'

PRODUCTS="--table products --upsert --currency GBP --map stockcode=sku,description=name,unitprice=price --set category=online-retail"
expect_success 'products: 3,957 from 540,413 lines, 1,496 lines refused' '
	run 65 xlcfi-etl import $PRODUCTS --rejects rej.products < retail.csv &&
	summary_is err 541909 540413 3957 0 1496 &&
	test "$(wc -l < rej.products)" -eq 1496 &&
	test "$(count products)" -eq 3957 &&
	reasons rej.products > got &&
	printf "%s\n" "3 invalid amount '"'"'0.001'"'"': GBP has 2 decimal places" "1454 missing value" \
		"2 must not be negative" "37 not a SKU (letters, digits and . _ / -, at most 64)" > want &&
	diff -u want got
'
expect_success 'products: refused lines are lines without a description, BANK CHARGES, 0.001 and bad debt' '
	test "$(jq -r "select(.error == \"missing value\") | .field" rej.products | sort -u)" = name &&
	test "$(jq -r "select(.error | test(\"SKU\")) | .value" rej.products | sort -u)" = "BANK CHARGES" &&
	test "$(jq -r "select(.error | test(\"0.001\")) | .line" rej.products | paste -sd,)" = 157197,279047,359873 &&
	test "$(jq -r "select(.error | test(\"negative\")) | .value" rej.products | paste -sd,)" = -11062.06,-11062.06 &&
	test "$(jq -r "select(.line == 157197) | .record" rej.products)" = "550193,PADS,PADS TO MATCH ALL CUSHIONS,1,2011-04-15 09:27:00,0.001,13952.0,United Kingdom"
'
expect_success 'products: prices in pence GBP, the last line of a SKU winning; other codes load' '
	sql -c "select sku, name, price_minor, currency, stock, active from products
		where sku in (\$\$85123A\$\$, \$\$POST\$\$, \$\$M\$\$, \$\$DOT\$\$) order by sku" > got &&
	printf "%s\n" "85123A|CREAM HANGING HEART T-LIGHT HOLDER|295|GBP|0|t" "DOT|DOTCOM POSTAGE|171417|GBP|0|t" \
		"M|Manual|22469|GBP|0|t" "POST|POSTAGE|1800|GBP|0|t" > want &&
	diff -u want got
'
expect_success 'products: the same --upsert import again changes nothing' '
	sql -c "select max(updated_at) from products" > before &&
	run 65 xlcfi-etl import $PRODUCTS < retail.csv &&
	summary_is err 541909 540413 0 0 1496 &&
	sql -c "select max(updated_at) from products" > after &&
	diff -u before after
'

expect_success 'users: 4,372 customers, the 135,080 lines without one refused' '
	run 65 xlcfi-etl import --table users --upsert --map customerid=ref --rejects rej.users < retail.csv &&
	summary_is err 541909 406829 4372 0 135080 &&
	test "$(count users)" -eq 4372 &&
	reasons rej.users > got &&
	echo "135080 email or ref needed" > want && diff -u want got &&
	sql -c "select external_ref, email is null, display_name, role from users order by external_ref limit 1" > got &&
	echo "12346|t|customer 12346|buyer" > want && diff -u want got
'

ORDERS="--table orders --currency GBP --timezone Europe/London --map invoiceno=order_ref,stockcode=sku,unitprice=unit_price,invoicedate=placed_at,customerid=buyer_ref"
expect_success 'orders: 18,522 orders of 397,792 lines; 144,117 lines refused (117 with the rest of their invoice)' '
	run 65 xlcfi-etl import $ORDERS --rejects rej.orders < retail.csv &&
	summary_is err 541909 397792 397792 0 144117 &&
	test "$(count orders)" -eq 18522 &&
	test "$(count order_items)" -eq 397792 &&
	test "$(wc -l < rej.orders)" -eq 144117 &&
	reasons rej.orders > got &&
	printf "%s\n" "117 another row with this order_ref was refused" "133359 buyer or buyer_ref needed" "3 invalid amount '"'"'0.001'"'"': GBP has 2 decimal places" \
		"10599 must be between 1 and 1000000" "2 must not be negative" \
		"37 not a SKU (letters, digits and . _ / -, at most 64)" > want &&
	diff -u want got
'
expect_success 'orders: every cancellation (C invoice) is refused, most for their negative quantity' '
	test "$(jq -r "select(.record | startswith(\"C\")) | .field" rej.orders | sort | uniq -c | awk "{ print \$2 \"=\" \$1 }" | paste -sd,)" = quantity=9263,sku=25 &&
	test "$(jq -r "select(.field == \"quantity\") | .value | startswith(\"-\")" rej.orders | sort -u)" = true &&
	test "$(sql -c "select count(*) from orders where external_ref like \$\$C%\$\$")" -eq 0
'
expect_success 'orders: invoice 536365 has 7 lines, 139.12 GBP, placed 2010-12-01 08:26 GMT' '
	PGTZ=UTC sql -c "select o.external_ref, u.external_ref, o.status, o.total_minor, o.currency, o.placed_at,
		(select count(*) from order_items i where i.order_id = o.id)
		from orders o join users u on u.id = o.buyer_id where o.external_ref = \$\$536365\$\$" > got &&
	echo "536365|17850|delivered|13912|GBP|2010-12-01 08:26:00+00|7" > want &&
	diff -u want got &&
	sql -c "select i.line_no, p.sku, i.quantity, i.unit_price_minor from order_items i
		join orders o on o.id = i.order_id join products p on p.id = i.product_id
		where o.external_ref = \$\$536365\$\$ order by i.line_no" > got &&
	printf "%s\n" "1|85123A|6|255" "2|71053|6|339" "3|84406B|8|275" "4|84029G|6|339" \
		"5|84029E|6|339" "6|22752|2|765" "7|21730|6|425" > want &&
	diff -u want got
'
expect_success 'orders: summer times are BST (invoice 558638, 2011-07-01 08:16 local)' '
	PGTZ=UTC sql -c "select placed_at, total_minor from orders where external_ref = \$\$558638\$\$" > got &&
	echo "2011-07-01 07:16:00+00|46258" > want && diff -u want got
'
expect_success 'orders: totals are the sums of their lines' '
	test "$(sql -c "select count(*) from orders o where total_minor <>
		(select sum(quantity::bigint * unit_price_minor) from order_items i where i.order_id = o.id)")" -eq 0 &&
	test "$(sql -c "select sum(total_minor) from orders")" -eq 890857663
'
test_done
