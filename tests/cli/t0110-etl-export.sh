#!/bin/bash
# xlcfi-etl export: tables and queries as NDJSON and CSV, for Excel too.
. "$(dirname "$0")/../lib.sh"
scratch_db

sql <<'SQL'
SET TimeZone = 'UTC';
INSERT INTO categories (slug, name) VALUES ('kimchi', '김치'), ('ramen', '라면 "매운맛", 5kg');
INSERT INTO products (sku, name, category_id, price_minor, currency, stock, active, nutrition)
VALUES ('KF-002', '신라면', 2, 1200, 'KRW', 10, true, '{"kcal": 500}'),
       ('KF-001', '포기김치 \ 특', 1, 12500, 'KRW', 0, false, NULL);
INSERT INTO users (email, display_name) VALUES ('kim@example.kr', '김철수');
INSERT INTO orders (buyer_id, status, total_minor, currency, placed_at)
VALUES (1, 'paid', 12500, 'KRW', '2026-01-01T14:59:59Z'),
       (1, 'paid', 1200, 'KRW', '2026-01-01T15:00:00.25Z'),
       (1, 'pending', 2400, 'KRW', '2026-01-08T00:00:00Z');
SQL

expect_code 0 'export a table as NDJSON' xlcfi-etl export --table products
expect_success 'rows come in primary key order with money as integers' '
	xlcfi-etl export --table products > out &&
	test "$(wc -l < out)" -eq 2 &&
	jq -c "[.id, .sku, .price_minor, .active, .nutrition]" out > got &&
	printf "%s\n" "[1,\"KF-002\",1200,true,{\"kcal\":500}]" "[2,\"KF-001\",12500,false,null]" > want &&
	diff -u want got
'
expect_success 'text with quotes and backslashes survives' '
	xlcfi-etl export --table products > out &&
	test "$(jq -r "select(.id == 2) | .name" out)" = "포기김치 \\ 특"
'
expect_success 'timestamps are RFC 3339 in UTC' '
	xlcfi-etl export --table orders > out &&
	jq -r .placed_at out > got &&
	printf "%s\n" 2026-01-01T14:59:59Z 2026-01-01T15:00:00.250000Z 2026-01-08T00:00:00Z > want &&
	diff -u want got
'
expect_success '--since/--until select on the time column; Seoul offsets work' '
	xlcfi-etl export --table orders --since 2026-01-02T00:00:00+09:00 --until 2026-01-08T00:00:00Z > out &&
	test "$(jq -r .total_minor out)" = 1200
'
expect_code 64 '--since on a table without a time column' xlcfi-etl export --table categories --since 2026-01-01T00:00:00Z
expect_code 64 'a malformed --since' xlcfi-etl export --table orders --since 2026-01-01
expect_code 66 'an unknown table exits 66' xlcfi-etl export --table no_such_table
expect_success 'CSV has a header, quotes what needs it, booleans as words' '
	xlcfi-etl export --table categories --format csv > got &&
	printf "%s\n" "id,parent_id,slug,name" "1,,kimchi,김치" "2,,ramen,\"라면 \"\"매운맛\"\", 5kg\"" > want &&
	diff -u want got &&
	xlcfi-etl export --sql "select active from products order by id" --format csv > got &&
	printf "%s\n" active true false > want && diff -u want got
'
expect_success '--excel writes a UTF-8 BOM and CRLF' '
	xlcfi-etl export --table categories --excel > got &&
	head -c 3 got | od -An -tx1 | grep -q "ef bb bf" &&
	test "$(grep -c $'"'"'\r$'"'"' got)" -eq 3
'
expect_success '--encoding cp949 writes Hangul that iconv reads back' '
	xlcfi-etl export --table categories --format csv --encoding cp949 > got &&
	! iconv -f utf-8 -t utf-8 got > /dev/null 2>&1 &&
	iconv -f cp949 -t utf-8 got > back &&
	xlcfi-etl export --table categories --format csv > want && cmp want back
'
expect_success 'characters CP949 lacks become ? with a warning' '
	xlcfi-etl export --sql "select '"'"'김치 🌶'"'"' as n" --format csv --encoding cp949 > got 2> err &&
	iconv -f cp949 -t utf-8 got | tail -n 1 | grep -qx "김치 ?" &&
	grep -q "1 characters have no CP949 form" err
'
expect_success '--sql runs a query, read-only' '
	xlcfi-etl export --sql "select sku, price_minor * 2 as double from products order by sku;" > got &&
	printf "%s\n" "{\"sku\":\"KF-001\",\"double\":25000}" "{\"sku\":\"KF-002\",\"double\":2400}" > want &&
	diff -u want got
'
expect_code 64 '--sql that writes is refused' xlcfi-etl export --sql "update products set stock = 0 returning id"
expect_code 64 '--sql with a syntax error is a usage error' xlcfi-etl export --sql "selec 1"
expect_code 64 '--sql failing on its data is a usage error' xlcfi-etl export --sql "select 1/0"
expect_code 64 '--sql with a writing CTE is refused' xlcfi-etl export --sql "with d as (delete from products returning id) select * from d"
expect_success '--excel with cp949 has CRLF but no UTF-8 byte order mark' '
	xlcfi-etl export --table categories --excel --encoding cp949 > got &&
	! head -c 3 got | od -An -tx1 | grep -q "ef bb bf" &&
	test "$(grep -c $'"'"'\r$'"'"' got)" -eq 3 &&
	iconv -f cp949 -t utf-8 got | tr -d "\r" > back &&
	xlcfi-etl export --table categories --format csv > want && cmp want back
'
expect_code 73 '-o onto a device is refused, not replaced' xlcfi-etl export --table products -o /dev/null
expect_success 'and the device is still a device' 'test -c /dev/null'
expect_success 'nothing was changed by those attempts' '
	test "$(sql -c "select sum(stock) from products")" -eq 10
'
expect_success '-o writes the file whole, leaving no temporary file' '
	xlcfi-etl export --table products -o products.ndjson &&
	test "$(wc -l < products.ndjson)" -eq 2 && test -z "$(ls | grep tmp)"
'
expect_success 'a failed export leaves an existing -o file untouched' '
	echo old > keep.ndjson &&
	! xlcfi-etl export --table no_such_table -o keep.ndjson 2> /dev/null &&
	test "$(cat keep.ndjson)" = old && test -z "$(ls | grep tmp)"
'
expect_code 73 '-o in a missing directory exits 73' xlcfi-etl export --table products -o /no/such/dir/x
expect_success 'a full disk is an I/O error' '
	xlcfi-etl export --table products > /dev/full 2> err; test $? -eq 74
'
# Memory is measured by scripts/bench-etl.sh, not here (sanitizers inflate it).
expect_success 'a big table streams out whole' '
	sql -c "insert into users (email, display_name) select '"'"'u'"'"' || g || '"'"'@x.kr'"'"', repeat('"'"'가'"'"', 50) from generate_series(1, 200000) g" &&
	xlcfi-etl export --table users > big &&
	test "$(wc -l < big)" -eq 200001 &&
	xlcfi-etl export --table users --format csv > big.csv &&
	test "$(wc -l < big.csv)" -eq 200002
'
test_done
