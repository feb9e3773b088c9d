-- What sales analytics read: one row per order line, per shipping fee and
-- per refund, each with the instant it counts at. xlcfi-analyze aggregates
-- this view in SQL, and `xlcfi-etl export --table order_lines` writes the
-- same rows as NDJSON for `xlcfi-analyze --from-stdin`, so both sources
-- see the same facts. (Sales totals, which need no product, are read from
-- the orders and their lines directly, by the same rules; the tests hold
-- both to the same results.)
--
--   kind         'line' (an order line), 'shipping' (an order's shipping fee)
--                or 'refund' (a refund that succeeded)
--   occurred_at  when the order was placed; for a refund, when it was made
--   sold         the order counts as a sale: it was paid (paid and every
--                status after it, or cancelled after a capture); pending,
--                expired and unpaid cancelled orders are not sales
--   amount_minor qty x unit price, the fee, or minus the refunded amount
-- Each order with whether it counts as a sale: paid, any status after
-- paid, or cancelled after its payment was captured. (A view, not a
-- function, so that the planner reads the rule into every query.)
CREATE VIEW order_facts AS
SELECT o.id, o.buyer_id, o.status::text AS status, o.placed_at, o.currency::text AS currency, o.shipping_minor,
       CASE WHEN o.status IN ('paid', 'preparing', 'shipped', 'delivered', 'return_requested', 'returned',
                              'refunded') THEN true
            WHEN o.status = 'cancelled' THEN EXISTS (SELECT 1 FROM payments pay WHERE pay.order_id = o.id
                AND pay.status IN ('captured', 'partially_refunded', 'refunded'))
            ELSE false END AS sold
FROM orders o;

CREATE VIEW order_lines AS
SELECT 'line'::text AS kind, o.placed_at AS occurred_at, o.id AS order_id, o.buyer_id AS user_id,
       o.status, o.sold, i.line_no, p.sku, p.name, c.slug AS category, c.name AS category_name,
       i.quantity::bigint AS qty, i.unit_price_minor, i.quantity::bigint * i.unit_price_minor AS amount_minor,
       o.currency
FROM order_items i
JOIN order_facts o ON o.id = i.order_id
JOIN products p ON p.id = i.product_id
JOIN categories c ON c.id = p.category_id
UNION ALL
SELECT 'shipping', o.placed_at, o.id, o.buyer_id, o.status, o.sold, NULL, NULL, NULL, NULL, NULL, 0, NULL,
       o.shipping_minor, o.currency
FROM order_facts o WHERE o.shipping_minor > 0
UNION ALL
SELECT 'refund', r.created_at, o.id, o.buyer_id, o.status::text, true, NULL, NULL, NULL, NULL, NULL, 0, NULL,
       -r.amount_minor, r.currency::text
FROM refunds r JOIN payments pay ON pay.id = r.payment_id JOIN orders o ON o.id = pay.order_id
WHERE r.status = 'succeeded';
