#!/bin/bash
# xlcfi-recommend on the real UCI Online Retail data, imported as the README
# says: the issue's protocol (train before 2011-10-01 London time, test on
# the later purchases of customers seen in training, K = 10) with the
# defaults chosen on a validation split before it (192 factors). ALS must
# reach precision@10 0.11 and beat item-kNN and popularity.
. "$(dirname "$0")/../lib.sh"

RETAIL="$SHARED_DATA/online_retail.csv.gz"
if [ ! -f "$RETAIL" ]; then
	echo "# skipping: $RETAIL is not there (see ../shared/data/README.md)"
	test_done
fi
scratch_db || exit 1
exec 3>&1

zcat "$RETAIL" > retail.csv
expect_success 'the Online Retail file imports' '
	printf "slug,name\nonline-retail,Online Retail\n" | xlcfi-etl -q import --table categories > /dev/null &&
	{ xlcfi-etl -q import --table products --upsert --currency GBP --map stockcode=sku,description=name,unitprice=price --set category=online-retail < retail.csv > /dev/null; test $? -eq 65; } &&
	{ xlcfi-etl -q import --table users --upsert --map customerid=ref < retail.csv > /dev/null; test $? -eq 65; } &&
	{ xlcfi-etl -q import --table orders --currency GBP --timezone Europe/London --map invoiceno=order_ref,stockcode=sku,unitprice=unit_price,invoicedate=placed_at,customerid=buyer_ref < retail.csv > /dev/null; test $? -eq 65; } &&
	test "$(count orders)" -gt 18000
'
expect_success 'eval: ALS reaches precision@10 0.11 and beats both baselines' '
	run 0 xlcfi-recommend eval --split-date 2011-10-01T00:00:00+01:00 --factors 192 &&
	sed "s/^/# /" out >&3 &&
	p() { jq -r "select(.model == \"$1\") | .\"precision@10\"" out; } &&
	awk -v a="$(p als)" -v k="$(p item-knn)" -v q="$(p popularity)" "BEGIN { exit !(a >= 0.11 && a > k && k > q) }" &&
	users=$(jq -r .users out | sort -u) && test "$users" -gt 1700 && test "$users" -lt 1800
'
test_done
