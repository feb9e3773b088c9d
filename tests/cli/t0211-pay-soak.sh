#!/bin/bash
# Soak: 10,000 random mixed operations through the library (orders, charges
# with points, declines and timeouts, reconciles, partial and full refunds,
# cancellations, a paid order's by a refund, expiries of orders and of
# points); then the points ledger balances, every SKU's stock is its initial
# stock less what live orders hold, and no cancelled order keeps money.
# XLCFI_SOAK_OPS changes the count.
. "$(dirname "$0")/../lib.sh"
scratch_db || exit 1

ops=${XLCFI_SOAK_OPS:-10000}
sql -c "INSERT INTO categories (slug, name) VALUES ('kimchi', '김치')" \
    -c "INSERT INTO users (email, display_name) SELECT 'u' || i || '@example.kr', 'u' || i FROM generate_series(1, 50) i" \
    -c "INSERT INTO products (sku, name, category_id, price_minor, stock)
	SELECT 'KF-' || lpad(i::text, 3, '0'), 'p' || i, 1, 1000 + i * 700, 400 FROM generate_series(1, 20) i"
expect_success "$ops random operations run without an error that is not a refusal" '
	xl-soak "$ops" 20261125 > soak.json &&
	jq -e ".created > 0 and .charged > 0 and .declined > 0 and .unknown > 0 and .reconciled > 0 and .refunds > 0
		and .cancelled > 0 and .orders_expired > 0 and .points_expired > 0" soak.json > /dev/null ||
	{ cat soak.json; false; }
'
expect_success 'the points ledger balances' '
	xlcfi-pay ledger check > ledger.json && jq -e .ok ledger.json > /dev/null
'
expect_success 'stock = initial - units of the orders not cancelled or expired, for every SKU' '
	test "$(sql -c "select count(*) from products p where p.stock <> 400 - coalesce((select sum(i.quantity)
		from order_items i join orders o on o.id = i.order_id
		where i.product_id = p.id and o.status not in ('"'"'cancelled'"'"', '"'"'expired'"'"')), 0)")" -eq 0
'
expect_success 'money: no payment refunded beyond what it captured; every captured payment has its order paid or later' '
	test "$(sql -c "select count(*) from payments where refunded_minor > amount_minor")" -eq 0 &&
	test "$(sql -c "select count(*) from payments p join orders o on o.id = p.order_id
		where p.status in ('"'"'captured'"'"', '"'"'partially_refunded'"'"') and o.status in ('"'"'pending'"'"', '"'"'expired'"'"')")" -eq 0 &&
	test "$(sql -c "select count(*) from payments where status in ('"'"'unknown'"'"', '"'"'pending'"'"')")" -eq 0
'
expect_success 'paid orders were cancelled, each by a refund in full: no cancelled order keeps money' '
	test "$(sql -c "select count(*) from idempotency_keys where scope = '"'"'order.cancel'"'"' and status = '"'"'completed'"'"'")" -gt 0 &&
	test "$(sql -c "select count(*) from payments p join orders o on o.id = p.order_id
		where o.status = '"'"'cancelled'"'"' and p.status in ('"'"'captured'"'"', '"'"'partially_refunded'"'"')")" -eq 0
'
expect_success 'the sandbox charged each order at most once, and what it charged is what was recorded' '
	test "$(sql -c "select count(*) from (select order_ref from sandbox_payments group by 1 having count(*) > 1) d")" -eq 0 &&
	test "$(sql -c "select coalesce(sum(amount_minor), 0) from sandbox_payments")" -eq \
		"$(sql -c "select coalesce(sum(amount_minor), 0) from payments where status in ('"'"'captured'"'"', '"'"'partially_refunded'"'"', '"'"'refunded'"'"')")" &&
	test "$(sql -c "select coalesce(sum(cancelled_minor), 0) from sandbox_payments")" -eq \
		"$(sql -c "select coalesce(sum(refunded_minor), 0) from payments")"
'
test_done
