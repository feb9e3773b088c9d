#!/bin/bash
# xlcfi-etl import: CSV and NDJSON into the six tables, bad input of every
# kind, rejects, duplicates and --upsert, --dry-run, --max-errors, and
# kill -9 in the middle of a big import.
. "$(dirname "$0")/../lib.sh"
scratch_db

# loaded + rejected = read in the summary line of FILE.
balanced() {
	set -- $(summary "$1")
	[ $# -eq 5 ] && [ $(($2 + $5)) -eq "$1" ]
}

# Empty every table import writes, and start the ids at 1 again.
reset_db() {
	sql -c "SET client_min_messages = warning; TRUNCATE categories, products, users, orders, order_items, order_status_history,
		interactions, reviews RESTART IDENTITY CASCADE"
}

# Two categories, two users, two products.
seed() {
	reset_db && sql <<-'SQL'
	INSERT INTO categories (slug, name) VALUES ('kimchi', '김치'), ('ramen', '라면');
	INSERT INTO users (email, display_name) VALUES ('kim@example.kr', '김철수'), ('lee@example.kr', '이영희');
	INSERT INTO products (sku, name, category_id, price_minor, stock)
	VALUES ('KF-001', '포기김치', 1, 12500, 10), ('KF-002', '신라면', 2, 1200, 5);
	SQL
}


# A query's rows with times in UTC.
utc() { PGTZ=UTC sql "$@"; }

# --- the tables ---------------------------------------------------------------

cat > categories.csv <<'EOF'
slug,name,parent
baechu-kimchi,배추김치,kimchi
kimchi,김치,
ramen,"라면, 국수",
EOF
expect_success 'categories: a parent may come later in the same file' '
	reset_db &&
	run 0 xlcfi-etl import --table categories categories.csv &&
	summary_is err 3 3 3 0 0 &&
	sql -c "select c.slug, c.name, coalesce(p.slug, \$\$\$\$) from categories c
		left join categories p on p.id = c.parent_id order by c.slug" > got &&
	printf "%s\n" "baechu-kimchi|배추김치|kimchi" "kimchi|김치|" "ramen|라면, 국수|" > want &&
	diff -u want got
'

cat > products.csv <<'EOF'
sku,name,category,price,stock,active,nutrition
KF-101,포기김치 1kg,kimchi,"12,500",10,yes,"{""kcal"": 30, ""salt_g"": 1.5}"
KF-102,"깍두기, 500g",kimchi,8000,0,false,
KF-103,신라면,ramen,₩950,,,
EOF
cat > products-minor.csv <<'EOF'
sku,name,category,price_minor,currency
US-1,Kimchi jar,kimchi,1299,USD
KF-104,짜파게티,ramen,"1,100",
EOF
expect_success 'products: prices with thousands separators, stock, active, nutrition JSON in a cell' '
	seed &&
	run 0 xlcfi-etl import --table products products.csv &&
	summary_is err 3 3 3 0 0 &&
	sql -c "select p.sku, p.name, c.slug, p.price_minor, p.currency, p.stock, p.active, p.nutrition
		from products p join categories c on c.id = p.category_id where p.id > 2 order by p.sku" > got &&
	printf "%s\n" "KF-101|포기김치 1kg|kimchi|12500|KRW|10|t|{\"kcal\": 30, \"salt_g\": 1.5}" \
		"KF-102|깍두기, 500g|kimchi|8000|KRW|0|f|" "KF-103|신라면|ramen|950|KRW|0|t|" > want &&
	diff -u want got
'
expect_success 'products: price_minor is taken as minor units, in the row currency' '
	seed &&
	run 0 xlcfi-etl import --table products products-minor.csv &&
	sql -c "select sku, price_minor, currency from products where id > 2 order by sku" > got &&
	printf "%s\n" "KF-104|1100|KRW" "US-1|1299|USD" > want &&
	diff -u want got
'

cat > users.csv <<'EOF'
email,display_name,role
Kim.Minji@Example.KR,김민지,
park@example.kr,,seller
EOF
expect_success 'users: email lower-cased, display name from the email when absent, role' '
	reset_db &&
	run 0 xlcfi-etl import --table users users.csv &&
	summary_is err 2 2 2 0 0 &&
	sql -c "select email, display_name, role from users order by id" > got &&
	printf "%s\n" "kim.minji@example.kr|김민지|buyer" "park@example.kr|park|seller" > want &&
	diff -u want got
'

cat > orders.csv <<'EOF'
order_ref,buyer,sku,quantity,unit_price,placed_at
A-1,kim@example.kr,KF-002,2,"1,200",2026-01-01 10:00
B-1,lee@example.kr,KF-001,1,12500,2026-01-02T09:30:00+09:00
A-1,kim@example.kr,KF-001,3,12500,2026-01-01 10:00
A-1,kim@example.kr,KF-002,1,1100,2026-01-01 10:00
EOF
expect_success 'orders: lines grouped by order_ref, totals, line numbers in input order, delivered' '
	seed &&
	run 0 xlcfi-etl import --table orders orders.csv &&
	summary_is err 4 4 4 0 0 &&
	utc -c "select o.external_ref, u.email, o.status, o.total_minor, o.currency, o.placed_at
		from orders o join users u on u.id = o.buyer_id order by o.external_ref" > got &&
	printf "%s\n" "A-1|kim@example.kr|delivered|41000|KRW|2026-01-01 01:00:00+00" \
		"B-1|lee@example.kr|delivered|12500|KRW|2026-01-02 00:30:00+00" > want &&
	diff -u want got &&
	sql -c "select o.external_ref, i.line_no, p.sku, i.quantity, i.unit_price_minor from order_items i
		join orders o on o.id = i.order_id join products p on p.id = i.product_id
		order by o.external_ref, i.line_no" > got &&
	printf "%s\n" "A-1|1|KF-002|2|1200" "A-1|2|KF-001|3|12500" "A-1|3|KF-002|1|1100" \
		"B-1|1|KF-001|1|12500" > want &&
	diff -u want got &&
	sql -c "select count(*), min(to_status), min(reason) from order_status_history" > got &&
	echo "2|delivered|imported" > want && diff -u want got
'
cat > orders-utc.csv <<'EOF'
order_ref,buyer,sku,quantity,unit_price,placed_at,status
U-1,kim@example.kr,KF-001,1,12500,2026-01-01 10:00,paid
EOF
expect_success 'orders: --timezone UTC reads times without an offset as UTC; status given' '
	seed &&
	run 0 xlcfi-etl import --table orders --timezone UTC orders-utc.csv &&
	utc -c "select external_ref, status, placed_at from orders" > got &&
	echo "U-1|paid|2026-01-01 10:00:00+00" > want && diff -u want got
'
expect_code 64 'an unknown --timezone is a usage error' \
	xlcfi-etl import --table orders --timezone Mars/Olympus_Mons orders-utc.csv

cat > interactions.ndjson <<'EOF'
{"user": "kim@example.kr", "sku": "KF-001", "kind": "view", "occurred_at": "2026-01-03T10:00:00+09:00"}

{"user": "LEE@example.kr", "sku": "KF-002", "kind": "cart", "weight": 3, "occurred_at": "2026-01-03 11:00", "extra": [1]}
EOF
expect_success 'interactions: NDJSON on standard input is recognised by its content' '
	seed &&
	run 0 xlcfi-etl import --table interactions < interactions.ndjson &&
	summary_is err 2 2 2 0 0 &&
	utc -c "select u.email, p.sku, i.kind, i.weight, i.occurred_at from interactions i
		join users u on u.id = i.user_id join products p on p.id = i.product_id order by i.id" > got &&
	printf "%s\n" "kim@example.kr|KF-001|view|1|2026-01-03 01:00:00+00" \
		"lee@example.kr|KF-002|cart|3|2026-01-03 02:00:00+00" > want &&
	diff -u want got
'
expect_code 64 'interactions have no natural key: --upsert is a usage error' \
	xlcfi-etl import --table interactions --upsert interactions.ndjson

cat > reviews.csv <<'EOF'
order_ref,sku,rating,body
A-1,KF-001,5,"아주 맛있어요, 또 살게요"
A-1,KF-002,4,
A-1,KF-404,3,no such product
B-1,KF-002,3,not in that order
EOF
cat > reviews-other.csv <<'EOF'
order_ref,sku,user,rating
A-1,KF-001,lee@example.kr,1
EOF
expect_success 'reviews: by the order buyer, of a product in the order' '
	seed && run 0 xlcfi-etl import --table orders orders.csv &&
	run 65 xlcfi-etl import --table reviews --rejects rej reviews.csv &&
	summary_is err 4 2 2 0 2 &&
	sql -c "select o.external_ref, p.sku, u.email, r.rating, coalesce(r.body, \$\$-\$\$) from reviews r
		join orders o on o.id = r.order_id join products p on p.id = r.product_id
		join users u on u.id = r.user_id order by r.id" > got &&
	printf "%s\n" "A-1|KF-001|kim@example.kr|5|아주 맛있어요, 또 살게요" "A-1|KF-002|kim@example.kr|4|-" > want &&
	diff -u want got &&
	jq -c "[.line, .field, .value, .error]" rej > got &&
	printf "%s\n" "[4,\"sku\",\"KF-404\",\"no such product\"]" \
		"[5,\"sku\",\"KF-002\",\"the order has no such product\"]" > want &&
	diff -u want got
'
expect_success 'reviews: another user than the buyer is refused' '
	run 65 xlcfi-etl import --table reviews --rejects rej reviews-other.csv &&
	summary_is err 1 0 0 0 1 &&
	test "$(jq -r "[.field, .value, .error] | join(\"/\")" rej)" = "user/lee@example.kr/only the order'"'"'s buyer can review it" &&
	test "$(count reviews)" -eq 2
'

# --- headers, --map, --set ----------------------------------------------------

cat > header.csv <<'EOF'
 Order Ref ,BUYER,Sku,Quantity,Unit Price,Placed-At,Comment
H-1,kim@example.kr,KF-001,2,"12,500",2026-01-01 10:00,ignored
EOF
cat > mapped.csv <<'EOF'
Code,Title,Won,Memo
KF-201,김치찌개 키트,"3,900",whatever
KF-202,부대찌개 키트,4500,
EOF
expect_success 'header names match case- and space-insensitively; unknown columns are ignored' '
	seed &&
	run 0 xlcfi-etl import --table orders header.csv &&
	summary_is err 1 1 1 0 0 &&
	sql -c "select o.external_ref, o.total_minor, i.quantity, i.unit_price_minor from orders o
		join order_items i on i.order_id = o.id" > got &&
	echo "H-1|25000|2|12500" > want && diff -u want got
'
expect_success '--map renames input columns, --set fills a missing one' '
	seed &&
	run 0 xlcfi-etl import --table products --map code=sku,title=name --map won=price --set category=ramen mapped.csv &&
	summary_is err 2 2 2 0 0 &&
	sql -c "select p.sku, p.name, p.price_minor, c.slug from products p join categories c on c.id = p.category_id
		where p.id > 2 order by p.sku" > got &&
	printf "%s\n" "KF-201|김치찌개 키트|3900|ramen" "KF-202|부대찌개 키트|4500|ramen" > want &&
	diff -u want got
'
expect_success 'NDJSON keys are renamed by --map too' '
	seed &&
	printf "%s\n" "{\"who\": \"kim@example.kr\", \"code\": \"KF-002\", \"kind\": \"purchase\", \"at\": \"2026-02-01 09:00\"}" > mapped.ndjson &&
	run 0 xlcfi-etl import --table interactions --map who=user,code=sku,at=occurred_at mapped.ndjson &&
	utc -c "select user_id, product_id, kind, occurred_at from interactions" > got &&
	echo "1|2|purchase|2026-02-01 00:00:00+00" > want && diff -u want got
'
expect_code 64 '--map without = is a usage error' xlcfi-etl import --table products --map code mapped.csv
expect_code 64 '--set of a field the table lacks is a usage error' \
	xlcfi-etl import --table products --map code=sku,title=name,won=price --set colour=red mapped.csv

cat > no-category.csv <<'EOF'
sku,name,price
KF-301,ok,1000
KF-302,ok too,2000
EOF
printf 'order_ref,buyer,sku,quantity,unit_price\nN-1,kim@example.kr,KF-001,1,100\n' > no-time.csv
printf 'order_ref,buyer,sku,quantity,placed_at\nN-1,kim@example.kr,KF-001,1,2026-01-01 10:00\n' > no-price.csv
expect_success 'a missing required column: exit 65 naming it, nothing loaded' '
	seed &&
	run 65 xlcfi-etl import --table products no-category.csv &&
	grep -q "missing column .category." err &&
	test "$(count products)" -eq 2 &&
	run 65 xlcfi-etl import --table orders no-time.csv &&
	grep -q "missing column .placed_at." err &&
	run 65 xlcfi-etl import --table orders no-price.csv &&
	grep -q "missing column .unit_price. or .unit_price_minor." err &&
	test "$(count orders)" -eq 0 && test "$(count order_items)" -eq 0
'

# --- bad input ----------------------------------------------------------------

printf 'slug,name\nkimchi,김치\nramen,"라면, 매운맛"\n' | iconv -f utf-8 -t cp949 > cp949.csv
expect_success 'a CP949 file: auto-detected, and -v says so' '
	! iconv -f utf-8 -t utf-8 cp949.csv > /dev/null 2>&1 &&
	reset_db &&
	run 0 xlcfi-etl import -v --table categories cp949.csv &&
	grep -q "reading CSV as CP949" err &&
	summary_is err 2 2 2 0 0 &&
	sql -c "select slug, name from categories order by id" > got &&
	printf "%s\n" "kimchi|김치" "ramen|라면, 매운맛" > want && diff -u want got
'
expect_success 'a CP949 file with --encoding cp949 on standard input' '
	reset_db &&
	run 0 xlcfi-etl import --table categories --encoding cp949 < cp949.csv &&
	test "$(sql -c "select string_agg(name, \$\$/\$\$ order by id) from categories")" = "김치/라면, 매운맛"
'
expect_success 'a CP949 file read as UTF-8 (--encoding utf-8): its rows are refused' '
	reset_db &&
	run 65 xlcfi-etl import --table categories --encoding utf-8 --rejects rej cp949.csv &&
	summary_is err 2 0 0 0 2 &&
	test "$(jq -r .line rej | paste -sd,)" = 2,3 &&
	jq -r .error rej | grep -q "not valid UTF-8" &&
	test "$(count categories)" -eq 0
'
printf '\357\273\277slug,name\r\nkimchi,김치\r\n' > bom.csv
expect_success 'a UTF-8 byte order mark (and CRLF) is dropped' '
	reset_db &&
	run 0 xlcfi-etl import --table categories bom.csv &&
	test "$(sql -c "select slug || \$\$|\$\$ || name from categories")" = "kimchi|김치" &&
	reset_db &&
	run 0 xlcfi-etl import --table categories < bom.csv &&
	test "$(count categories)" -eq 1
'
cat > ragged.csv <<'EOF'
slug,name
r-one,One
r-two
r-three,Three,extra
r-four,Four
EOF
expect_success 'ragged rows are refused with "expected N fields"; the others load' '
	reset_db &&
	run 65 xlcfi-etl import --table categories --rejects rej ragged.csv &&
	summary_is err 4 2 2 0 2 &&
	jq -c "[.source, .line, .error, .record]" rej > got &&
	printf "%s\n" "[\"ragged.csv:3\",3,\"expected 2 fields as in the header, found 1\",\"r-two\"]" \
		"[\"ragged.csv:4\",4,\"expected 2 fields as in the header, found 3\",\"r-three,Three,extra\"]" > want &&
	diff -u want got &&
	test "$(sql -c "select string_agg(slug, \$\$,\$\$ order by id) from categories")" = r-one,r-four
'
printf 'slug,name\nq-one,"One, quoted"\nq-two,"Two\nq-three,Three\n' > unterminated.csv
expect_success 'an unterminated quote at the end of the file: refused, earlier rows load' '
	reset_db &&
	run 65 xlcfi-etl import --table categories --rejects rej unterminated.csv &&
	summary_is err 2 1 1 0 1 &&
	test "$(jq -r .line rej)" = 3 && jq -r .error rej | grep -q unterminated &&
	test "$(sql -c "select slug || \$\$|\$\$ || name from categories")" = "q-one|One, quoted"
'
printf 'slug,name,Slug\nd-one,x,y\n' > dup-header.csv
printf 'sku,name,category,price,code\nKF-1,x,kimchi,100,KF-2\n' > dup-field.csv
expect_success 'a column twice in the header: exit 65, nothing loaded' '
	reset_db &&
	run 65 xlcfi-etl import --table categories --rejects rej dup-header.csv &&
	grep -q "column .slug. appears twice" err &&
	test "$(count categories)" -eq 0 &&
	seed &&
	run 65 xlcfi-etl import --table products --map code=sku dup-field.csv &&
	grep -q "two columns give field .sku." err &&
	test "$(count products)" -eq 2
'
cat > wrong-types.csv <<'EOF'
sku,name,category,price,stock,active,nutrition
KF-401,good,kimchi,1000,1,true,
KF-402,x,kimchi,1000,many,,
KF 403,x,kimchi,1000,1,,
KF-404,x,Kim Chi,1000,1,,
KF-405,x,kimchi,abc,1,,
KF-406,x,kimchi,1000,1,maybe,
KF-407,x,kimchi,1000,1,,[1
KF-408,x,kimchi,12.5,1,,
KF-409,x,kimchi,-1000,1,,
KF-410,x,kimchi,1000,-1,,
EOF
expect_success 'products: wrong types and negative numbers are refused, field by field' '
	seed &&
	run 65 xlcfi-etl import --table products --rejects rej wrong-types.csv &&
	summary_is err 10 1 1 0 9 &&
	jq -c "[.line, .field, .value]" rej > got &&
	printf "%s\n" "[3,\"stock\",\"many\"]" "[4,\"sku\",\"KF 403\"]" "[5,\"category\",\"Kim Chi\"]" \
		"[6,\"price\",\"abc\"]" "[7,\"active\",\"maybe\"]" "[8,\"nutrition\",\"[1\"]" \
		"[9,\"price\",\"12.5\"]" "[10,\"price\",\"-1000\"]" "[11,\"stock\",\"-1\"]" > want &&
	diff -u want got &&
	jq -r "select(.line == 10 or .line == 11) | .error" rej > got &&
	grep -c "negative\|between 0 and" got | grep -qx 2 &&
	test "$(sql -c "select string_agg(sku, \$\$,\$\$) from products where id > 2")" = KF-401
'
cat > order-types.csv <<'EOF'
order_ref,buyer,sku,quantity,unit_price,placed_at,status
T-1,kim@example.kr,KF-001,1,100,2026-01-01 10:00,PAID
T-2,kim@example.kr,KF-001,1,100,2026-13-01 10:00,
T-3,kim@example.kr,KF-001,1,100,yesterday,
T-4,kim@example.kr,KF-001,1,100,2026-01-01 10:00,lost
T-5,kim@example.kr,KF-001,-2,100,2026-01-01 10:00,
T-6,kim@example.kr,KF-001,0,100,2026-01-01 10:00,
T-7,kim@example.kr,KF-001,two,100,2026-01-01 10:00,
T-8,kim@example.kr,KF-001,1,-100,2026-01-01 10:00,
T-9,kim@@example.kr,KF-001,1,100,2026-01-01 10:00,
EOF
expect_success 'orders: bad dates, enums, emails and quantities, negative prices are refused' '
	seed &&
	run 65 xlcfi-etl import --table orders --rejects rej order-types.csv &&
	summary_is err 9 1 1 0 8 &&
	jq -c "[.line, .field, .value]" rej > got &&
	printf "%s\n" "[3,\"placed_at\",\"2026-13-01 10:00\"]" "[4,\"placed_at\",\"yesterday\"]" \
		"[5,\"status\",\"lost\"]" "[6,\"quantity\",\"-2\"]" "[7,\"quantity\",\"0\"]" \
		"[8,\"quantity\",\"two\"]" "[9,\"unit_price\",\"-100\"]" "[10,\"buyer\",\"kim@@example.kr\"]" > want &&
	diff -u want got &&
	test "$(sql -c "select external_ref || status from orders")" = T-1paid
'
printf 'email\nnot-an-email\nA@B.KR\nkim@example\n' > emails.csv
expect_success 'users: a bad email is refused' '
	reset_db &&
	run 65 xlcfi-etl import --table users --rejects rej emails.csv &&
	summary_is err 3 1 1 0 2 &&
	test "$(jq -r .value rej | paste -sd,)" = "not-an-email,kim@example" &&
	test "$(sql -c "select email from users")" = a@b.kr
'
{
	printf 'slug,name\nbefore,Before\nhuge,"'
	head -c $((20 << 20)) /dev/zero | tr '\0' x
	printf '"\nafter,After\n'
} > huge.csv
expect_success 'a 20 MiB field is refused as too long; the rows around it load' '
	test "$(wc -c < huge.csv)" -gt $((20 << 20)) &&
	reset_db &&
	run 65 xlcfi-etl import --table categories --rejects rej huge.csv &&
	summary_is err 3 2 2 0 1 &&
	test "$(jq -r .line rej)" = 3 && jq -r .error rej | grep -q "longer than" &&
	test "$(sql -c "select string_agg(slug, \$\$,\$\$ order by id) from categories")" = before,after
'
printf 'slug,name\nn-one,a\000b\nn-two,ok\n' > nul.csv
expect_success 'an embedded NUL byte is refused' '
	reset_db &&
	run 65 xlcfi-etl import --table categories --rejects rej nul.csv &&
	summary_is err 2 1 1 0 1 &&
	test "$(jq -r .line rej)" = 2 && jq -r .error rej | grep -q NUL &&
	test "$(sql -c "select slug from categories")" = n-two
'
: > empty.csv
expect_success 'an empty file: exit 65, no header row' '
	reset_db &&
	run 65 xlcfi-etl import --table categories empty.csv &&
	grep -q "no header row" err &&
	test "$(count categories)" -eq 0
'
printf 'slug,name\n' > header-only.csv
expect_success 'a header-only file: exit 0, read 0' '
	reset_db &&
	run 0 xlcfi-etl import --table categories header-only.csv &&
	summary_is err 0 0 0 0 0
'
expect_code 64 'an unknown table exits 64' xlcfi-etl import --table no_such_table header-only.csv
expect_code 64 'no --table exits 64' xlcfi-etl import header-only.csv
expect_code 66 'a missing input file exits 66' xlcfi-etl import --table categories no-such-file.csv

# --- rejects and the report ---------------------------------------------------

cat > bad.ndjson <<'EOF'
{"user": "kim@example.kr", "sku": "KF-001", "kind": "view", "occurred_at": "2026-01-03 10:00"}
{"user": "kim@example.kr", "sku": "KF-001", "kind": "like", "occurred_at": "2026-01-03 10:00"}
{"user": "kim@example.kr", "sku": "KF-001", "kind": "view"
["not", "an", "object"]
{"user": "nobody@example.kr", "sku": "KF-001", "kind": "cart", "occurred_at": "2026-01-03 10:00"}
EOF
expect_success 'rejects of NDJSON: error, source, line, field, value and the object as record' '
	seed &&
	run 65 xlcfi-etl import --table interactions --rejects rej bad.ndjson &&
	summary_is err 5 1 1 0 4 &&
	test "$(wc -l < rej)" -eq 4 &&
	jq -c "[.source, .line, .field, .value]" rej > got &&
	printf "%s\n" "[\"bad.ndjson:2\",2,\"kind\",\"like\"]" "[\"bad.ndjson:3\",3,null,null]" \
		"[\"bad.ndjson:4\",4,null,null]" "[\"bad.ndjson:5\",5,\"user\",\"nobody@example.kr\"]" > want &&
	diff -u want got &&
	jq -s -e "map(select(.line == 2))[0] | .record == {\"user\": \"kim@example.kr\", \"sku\": \"KF-001\", \"kind\": \"like\", \"occurred_at\": \"2026-01-03 10:00\"}" rej &&
	jq -s -e "map(select(.line == 5))[0] | .record.user == \"nobody@example.kr\" and (.error | test(\"no such user\"))" rej &&
	jq -s -e "map(select(.line == 2))[0] | .error | test(\"must be one of view, cart, purchase\")" rej &&
	test "$(jq -r "select(.line == 3) | .record" rej)" = "{\"user\": \"kim@example.kr\", \"sku\": \"KF-001\", \"kind\": \"view\"" &&
	test "$(jq -r "select(.error == null or .source == null or .line == null) | .line" rej | wc -l)" -eq 0 &&
	test "$(count interactions)" -eq 1
'
{
	echo 'slug,name'
	for i in $(seq 1 12); do echo "bad_$i,x"; done
	echo 'good,Good'
} > many-bad.csv
expect_success 'only the first 10 refusals are printed, then a count of the others' '
	reset_db &&
	run 65 xlcfi-etl import --table categories many-bad.csv &&
	test "$(grep -c "^xlcfi-etl: many-bad.csv:[0-9]*: slug" err)" -eq 10 &&
	grep -q "many-bad.csv:11: slug .bad_10." err &&
	! grep -q "many-bad.csv:12:" err &&
	grep -q "^xlcfi-etl: 2 more rows refused" err &&
	summary_is err 13 1 1 0 12 &&
	test "$(sql -c "select slug from categories")" = good
'
expect_success 'with -v every refusal is printed' '
	reset_db &&
	run 65 xlcfi-etl import -v --table categories --rejects rej many-bad.csv &&
	test "$(grep -c "^xlcfi-etl: many-bad.csv:[0-9]*: slug" err)" -eq 12 &&
	! grep -q "more rows refused" err &&
	test "$(wc -l < rej)" -eq 12 &&
	test "$(jq -r .source rej | head -n 1)" = many-bad.csv:2 &&
	test "$(jq -r .record rej | tail -n 1)" = bad_12,x
'
expect_success 'the rejects file has every refusal even when stderr shows 10' '
	reset_db &&
	run 65 xlcfi-etl import --table categories --rejects rej many-bad.csv &&
	test "$(wc -l < rej)" -eq 12 &&
	grep -q "2 more rows refused; all are in the rejects file" err
'
expect_success 'exit 0 when nothing is refused, 65 as soon as one row is' '
	reset_db &&
	run 0 xlcfi-etl import --table categories header-only.csv &&
	printf "slug,name\nok,Ok\n" > one-good.csv &&
	run 0 xlcfi-etl import --table categories one-good.csv &&
	printf "slug,name\nok-two,Ok\nnot ok,x\n" > one-bad.csv &&
	run 65 xlcfi-etl import --table categories one-bad.csv &&
	test "$(count categories)" -eq 2
'

# --- duplicates and --upsert --------------------------------------------------

cat > dups.csv <<'EOF'
sku,name,category,price,stock,active,nutrition
KF-501,first,kimchi,100,1,true,"{""kcal"": 1}"
KF-502,only,ramen,200,2,false,
KF-501,second,ramen,150,3,false,"{""kcal"": 2}"
EOF
cat > dups-again.csv <<'EOF'
sku,name,category,price
KF-502,again,ramen,250
KF-503,new,ramen,300
EOF
expect_success 'the same key twice in one input: the later row is refused' '
	seed &&
	run 65 xlcfi-etl import --table products --rejects rej dups.csv &&
	summary_is err 3 2 2 0 1 &&
	test "$(jq -r "[.line, .field, .value, .error] | join(\"/\")" rej)" = "4/sku/KF-501/same key as an earlier row of this input" &&
	test "$(sql -c "select name || price_minor from products where id > 2 order by id" | paste -sd,)" = first100,only200
'
expect_success 'a key already in the database is refused without --upsert' '
	run 65 xlcfi-etl import --table products --rejects rej dups-again.csv &&
	summary_is err 2 1 1 0 1 &&
	test "$(jq -r .line rej)" = 2 && jq -r .error rej | grep -q "^already in the database" &&
	test "$(sql -c "select name || price_minor from products where id > 2 order by id" | paste -sd,)" = first100,only200,new300
'
expect_success 'with --upsert the last row of a key wins' '
	seed &&
	run 0 xlcfi-etl import --table products --upsert dups.csv &&
	summary_is err 3 3 2 0 0 &&
	sql -c "select p.sku, p.name, c.slug, p.price_minor, p.stock, p.active, p.nutrition from products p
		join categories c on c.id = p.category_id where p.id > 2 order by p.sku" > got &&
	printf "%s\n" "KF-501|second|ramen|150|3|f|{\"kcal\": 2}" "KF-502|only|ramen|200|2|f|" > want &&
	diff -u want got
'
expect_success 'the same --upsert import again changes nothing, updated_at included' '
	sql -c "select sku, updated_at from products order by sku" > before &&
	sleep 0.2 &&
	run 0 xlcfi-etl import --table products --upsert dups.csv &&
	summary_is err 3 3 0 0 0 &&
	sql -c "select sku, updated_at from products order by sku" > after &&
	diff -u before after
'
expect_success '--upsert updates rows already in the database, keeping what the input does not give' '
	run 0 xlcfi-etl import --table products --upsert dups-again.csv &&
	summary_is err 2 2 1 1 0 &&
	test "$(sql -c "select name || price_minor from products where id > 2 order by sku" | paste -sd,)" = second150,again250,new300 &&
	test "$(sql -c "select stock || \$\$/\$\$ || active from products where sku = \$\$KF-502\$\$")" = 2/false
'
expect_success 'users: --upsert by email, run twice' '
	reset_db &&
	printf "email,display_name\nkim@example.kr,Kim\nKIM@example.kr,김\n" > users-dup.csv &&
	run 0 xlcfi-etl import --table users --upsert users-dup.csv &&
	summary_is err 2 2 1 0 0 &&
	run 0 xlcfi-etl import --table users --upsert users-dup.csv &&
	summary_is err 2 2 0 0 0 &&
	test "$(sql -c "select email || display_name from users")" = kim@example.kr김
'

# --- --dry-run, --max-errors, --strict ----------------------------------------

expect_success '--dry-run checks and reports, writes nothing' '
	seed &&
	run 0 xlcfi-etl import --table products --dry-run products.csv &&
	grep -q "^xlcfi-etl: dry run, nothing written: products: read 3, loaded 3" err &&
	test "$(count products)" -eq 2 &&
	run 65 xlcfi-etl import --table products --dry-run --rejects rej wrong-types.csv &&
	summary_is err 10 1 0 0 9 &&
	test "$(wc -l < rej)" -eq 9 &&
	test "$(count products)" -eq 2 &&
	run 65 xlcfi-etl import --table orders --dry-run --rejects rej order-types.csv &&
	test "$(count orders)" -eq 0 && test "$(count order_items)" -eq 0
'
cat > two-bad.csv <<'EOF'
sku,name,category,price
KF-601,one,kimchi,100
KF-602,two,kimchi,x
KF-603,three,nowhere,300
KF-604,four,kimchi,400
EOF
expect_success '--max-errors N: past N refusals exit 65 and nothing is loaded' '
	seed &&
	run 65 xlcfi-etl import --table products --max-errors 1 two-bad.csv &&
	grep -q "more than 1 rows refused; nothing was loaded" err &&
	test "$(count products)" -eq 2 &&
	run 65 xlcfi-etl import --table products --max-errors 2 two-bad.csv &&
	summary_is err 4 2 2 0 2 &&
	test "$(count products)" -eq 4
'
expect_success '--strict: the first refusal, even one only the database sees, loads nothing' '
	seed &&
	printf "sku,name,category,price\nKF-611,one,kimchi,100\nKF-612,two,nowhere,100\n" > fk-bad.csv &&
	run 65 xlcfi-etl import --table products --strict fk-bad.csv &&
	grep -q "more than 0 rows refused; nothing was loaded" err &&
	test "$(count products)" -eq 2 &&
	run 65 xlcfi-etl import --table products --strict two-bad.csv &&
	test "$(count products)" -eq 2 &&
	run 0 xlcfi-etl import --table products --strict products.csv &&
	test "$(count products)" -eq 5
'

# --- foreign keys -------------------------------------------------------------

expect_success 'a product whose category does not exist is refused with field category' '
	seed &&
	run 65 xlcfi-etl import --table products --rejects rej fk-bad.csv &&
	summary_is err 2 1 1 0 1 &&
	test "$(jq -r "[.source, .field, .value, .error, .record] | join(\"/\")" rej)" = "fk-bad.csv:3/category/nowhere/no such category/KF-612,two,nowhere,100"
'
cat > orders-fk.csv <<'EOF'
order_ref,buyer,sku,quantity,unit_price,placed_at
F-1,kim@example.kr,KF-001,1,100,2026-01-01 10:00
F-1,lee@example.kr,KF-002,2,100,2026-01-01 10:00
F-2,nobody@example.kr,KF-001,1,100,2026-01-01 10:00
F-3,lee@example.kr,KF-404,1,100,2026-01-01 10:00
F-4,lee@example.kr,KF-002,1,100,2026-01-01 10:00
F-4,lee@example.kr,KF-001,1,100,2026-01-01 10:00,
EOF
expect_success 'order lines with an unknown buyer or SKU, or another buyer than the first line, are refused, with their whole order' '
	seed &&
	run 65 xlcfi-etl import --table orders --rejects rej orders-fk.csv &&
	summary_is err 6 0 0 0 6 &&
	jq -c "[.line, .field, .value]" rej | sort > got &&
	printf "%s\n" "[2,\"order_ref\",\"F-1\"]" "[3,\"order_ref\",\"F-1\"]" "[4,\"buyer\",\"nobody@example.kr\"]" \
		"[5,\"sku\",\"KF-404\"]" "[6,\"order_ref\",\"F-4\"]" "[7,null,null]" > want &&
	diff -u want got &&
	test "$(sql -c "select count(*) from orders")" -eq 0 &&
	grep -q "another row with this order_ref was refused" rej
'
cat > orders-first-bad.csv <<'EOF'
order_ref,buyer,sku,quantity,unit_price,placed_at
G-1,nobody@example.kr,KF-001,1,100,2026-01-01 10:00
G-1,lee@example.kr,KF-001,2,100,2026-01-01 10:00
G-1,kim@example.kr,KF-001,3,100,2026-01-01 10:00
EOF
expect_success 'an order never mixes the lines of two buyers, even when its first line is refused' '
	seed &&
	run 65 xlcfi-etl import --table orders --rejects rej orders-first-bad.csv &&
	balanced err &&
	test "$(count order_items)" -le 1
'
expect_success 'an order already in the database: its lines are refused, it is unchanged' '
	seed &&
	run 0 xlcfi-etl import --table orders orders.csv &&
	run 65 xlcfi-etl import --table orders --rejects rej orders.csv &&
	summary_is err 4 0 0 0 4 &&
	test "$(jq -r .error rej | sort -u | sed "s/ (.*//")" = "already in the database" &&
	test "$(count order_items)" -eq 4 &&
	test "$(sql -c "select sum(total_minor) from orders")" -eq 53500
'

# --- the bulk load: references locked once instead of per-row foreign-key triggers --------

# The order tables, in a stable text form, to compare two loads.
orders_dump() {
	utc -c "select o.external_ref, u.email, o.status, o.total_minor, o.placed_at, i.line_no, p.sku, i.quantity,
		i.unit_price_minor, (select count(*) from order_status_history h where h.order_id = o.id)
		from orders o join users u on u.id = o.buyer_id join order_items i on i.order_id = o.id
		join products p on p.id = i.product_id order by o.external_ref, i.line_no"
}
plain="xl_plain_$$"
sql -c "CREATE ROLE $plain LOGIN" -c "GRANT USAGE ON SCHEMA public TO $plain" \
	-c "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO $plain" \
	-c "GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO $plain"
expect_success 'orders: a superuser loads in bulk, locking each referenced row once' '
	seed &&
	run 0 xlcfi-etl -v import --table orders orders.csv &&
	grep -q "checked and locked in bulk; per-row foreign-key triggers skipped" err &&
	summary_is err 4 4 4 0 0 &&
	orders_dump > bulk.dump && test "$(wc -l < bulk.dump)" -eq 4
'
expect_success 'a role that may not set session_replication_role gets the per-row checks, and the same rows' '
	seed &&
	XLCFI_DSN="$XLCFI_DSN user=$plain" run 0 xlcfi-etl -v import --table orders orders.csv &&
	! grep -q "locked in bulk" err &&
	summary_is err 4 4 4 0 0 &&
	orders_dump > plain.dump && diff -u bulk.dump plain.dump
'
expect_success 'GRANT SET ON PARAMETER session_replication_role gives that role the bulk load' '
	seed &&
	sql -c "GRANT SET ON PARAMETER session_replication_role TO $plain" &&
	XLCFI_DSN="$XLCFI_DSN user=$plain" run 0 xlcfi-etl -v import --table orders orders.csv &&
	grep -q "locked in bulk" err &&
	orders_dump > granted.dump && diff -u bulk.dump granted.dump &&
	sql -c "REVOKE SET ON PARAMETER session_replication_role FROM $plain"
'
expect_success 'an insert trigger on a target table turns the bulk load off, so the trigger still fires' '
	seed &&
	sql -c "CREATE TABLE item_log (n int)" \
	    -c "CREATE FUNCTION log_item() RETURNS trigger LANGUAGE plpgsql AS \$\$ BEGIN INSERT INTO item_log VALUES (1); RETURN NEW; END \$\$" \
	    -c "CREATE TRIGGER item_logged AFTER INSERT ON order_items FOR EACH ROW EXECUTE FUNCTION log_item()" &&
	run 0 xlcfi-etl -v import --table orders orders.csv &&
	! grep -q "locked in bulk" err &&
	test "$(count item_log)" -eq 4 &&
	orders_dump > trigger.dump && diff -u bulk.dump trigger.dump &&
	sql -c "DROP TRIGGER item_logged ON order_items" -c "DROP FUNCTION log_item()" -c "DROP TABLE item_log"
'
expect_success 'interactions load in bulk too, every reference checked' '
	seed &&
	printf "%s\n" user,sku,kind,occurred_at "kim@example.kr,KF-001,view,2026-01-01 10:00" \
		"lee@example.kr,KF-002,purchase,2026-01-02 10:00" "nobody@example.kr,KF-002,view,2026-01-02 10:00" \
		"lee@example.kr,KF-404,cart,2026-01-02 10:00" > inter.csv &&
	run 65 xlcfi-etl -v import --table interactions inter.csv &&
	grep -q "locked in bulk" err &&
	summary_is err 4 2 2 0 2 &&
	test "$(sql -c "select string_agg(u.email || p.sku || i.kind, chr(32) order by i.id) from interactions i
		join users u on u.id = i.user_id join products p on p.id = i.product_id")" = \
		"kim@example.krKF-001view lee@example.krKF-002purchase"
'
sql -c "DROP OWNED BY $plain" -c "DROP ROLE $plain"

# --- kill -9 in the middle of a big import -------------------------------------

# The other sessions on this database, and whether a staging table is left.
others() { sql -c "select count(*) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()"; }
stages() { sql -c "select count(*) from pg_class where relname = 'xl_stage'"; }
# Wait up to $2 tenths of a second for the import's session to run a statement starting with $1.
wait_query() {
	local i
	for i in $(seq 1 "$2"); do
		[ "$(sql -c "select count(*) from pg_stat_activity where datname = current_database()
			and state = 'active' and query like '$1%'")" -gt 0 ] && return 0
		sleep 0.1
	done
	return 1
}
# Wait up to 60 s for the sessions of a killed import to end.
wait_alone() {
	local i
	for i in $(seq 1 600); do
		[ "$(others)" -eq 0 ] && return 0
		sleep 0.1
	done
	return 1
}

# 1,000,000 products, about 40 MB. Under ASan the import takes some 25 s,
# most of it in the server.
ROWS=${ROWS:-1000000}
awk -v n=$ROWS 'BEGIN {
	print "sku,name,category,price,stock"
	for (i = 1; i <= n; i++)
		printf "KF-%07d,product %d,kimchi,%d,%d\n", i, i, 1000 + i % 5000, i % 100
}' > big.csv
seed
sql -c "DELETE FROM products"

# Killed while COPY streams the rows into the staging table.
xlcfi-etl import --table products big.csv > kill1.out 2> kill1.err &
pid=$!
wait_query 'COPY xl_stage' 300 && sleep 0.5
copying=$(sql -c "select count(*) from pg_stat_activity where datname = current_database() and query like 'COPY xl_stage%'")
kill -9 $pid
wait $pid 2> /dev/null
status=$?
expect_success 'kill -9 while COPY runs' 'test "$copying" -eq 1 && test "$status" -eq 137'
expect_success 'leaves nothing behind: no product, no staging table' '
	wait_alone && test "$(count products)" -eq 0 && test "$(stages)" -eq 0
'

# Killed while the server moves the staged rows into products: the
# server finishes the statement, finds the client gone, rolls back.
xlcfi-etl import --table products big.csv > kill2.out 2> kill2.err &
pid=$!
wait_query 'WITH src AS' 1200
loading=$?
kill -9 $pid
wait $pid 2> /dev/null
status=$?
expect_success 'kill -9 while the server loads the staged rows' 'test "$loading" -eq 0 && test "$status" -eq 137'
expect_success 'leaves nothing behind either, once the server notices' '
	wait_alone && test "$(count products)" -eq 0 && test "$(stages)" -eq 0
'
expect_success 'the same import then runs to completion' '
	run 0 xlcfi-etl import --table products big.csv &&
	summary_is err $ROWS $ROWS $ROWS 0 0 &&
	test "$(count products)" -eq $ROWS &&
	test "$(sql -c "select min(sku) || max(sku) from products")" = KF-0000001KF-1000000 &&
	test "$(stages)" -eq 0
'
# The progress line: on a terminal only (script(1) gives the command one).
awk 'BEGIN { print "sku,name,category,price"; for (i = 1; i <= 60000; i++) printf "PR-%06d,n%d,kimchi,%d\n", i, i, 100 + i }' > progress.csv
expect_success 'on a terminal a progress line shows rows, rate, bytes of the total and an ETA' '
	reset_db &&
	printf "slug,name\nkimchi,Kimchi\n" | xlcfi-etl -q import --table categories &&
	script -qec "xlcfi-etl import --table products progress.csv" /dev/null > tty.out &&
	tr "\r" "\n" < tty.out | grep -Eq "^.*import: [0-9]+ records, [0-9]+/s, [0-9.]+ of 1.[0-9] MB, [0-9]+%, ETA [0-9]+:[0-9]{2}" &&
	test "$(count products)" -eq 60000
'
expect_success 'with stderr not a terminal there is no progress line, and -q leaves only errors' '
	reset_db &&
	printf "slug,name\nkimchi,Kimchi\n" | xlcfi-etl -q import --table categories &&
	xlcfi-etl import --table products progress.csv 2> err &&
	! grep -q "records," err && grep -q "read 60000, loaded 60000" err &&
	reset_db && printf "slug,name\nkimchi,Kimchi\n" | xlcfi-etl -q import --table categories &&
	xlcfi-etl -q import --table products progress.csv 2> err && ! test -s err
'
test_done
