-- Orders are created at the rate of short transactions, and a profile of
-- sixteen clients creating orders showed the server re-reading the same
-- expressions for every statement: each CHECK constraint and each trigger's
-- WHEN clause is parsed again whenever a statement starts, and a SQL
-- function that cannot be inlined is parsed again on each call. This
-- migration keeps every rule and moves it where it is read once:
--   * the order status and currency rules become domains (their checks are
--     cached with the type);
--   * products_touch fires on the catalogue columns named in its UPDATE OF
--     list, not through a WHEN clause (a stock decrement names none of them);
--   * xl_rfc3339 is declared STABLE, as its to_char is, so the planner
--     inlines it;
--   * index entries no query needs are not written: orders_status_idx (the
--     pending orders have their own partial index; the other statuses are
--     most of the table), and the NULL external_ref / client_ref of orders
--     made here or imported without one.

CREATE DOMAIN xl_order_status AS text CHECK (VALUE IN ('pending', 'paid', 'preparing', 'shipped', 'delivered',
    'cancelled', 'expired', 'return_requested', 'returned', 'refunded'));
COMMENT ON DOMAIN xl_order_status IS 'The statuses of an order (the state machine is in lib/xl_order.c).';
CREATE DOMAIN xl_currency AS char(3) CHECK (VALUE ~ '^[A-Z]{3}$');
COMMENT ON DOMAIN xl_currency IS 'An ISO 4217 currency code.';

ALTER TABLE orders DROP CONSTRAINT orders_status_check, DROP CONSTRAINT orders_currency_check,
    ALTER COLUMN status TYPE xl_order_status, ALTER COLUMN currency TYPE xl_currency;
ALTER TABLE order_status_history DROP CONSTRAINT order_status_history_from_status_check,
    DROP CONSTRAINT order_status_history_to_status_check,
    ALTER COLUMN from_status TYPE xl_order_status, ALTER COLUMN to_status TYPE xl_order_status;
ALTER TABLE payments DROP CONSTRAINT payments_currency_check, ALTER COLUMN currency TYPE xl_currency;
ALTER TABLE refunds DROP CONSTRAINT refunds_currency_check, ALTER COLUMN currency TYPE xl_currency;
ALTER TABLE sandbox_payments ALTER COLUMN currency TYPE xl_currency;

DROP TRIGGER products_touch ON products;
ALTER TABLE products DROP CONSTRAINT products_currency_check, ALTER COLUMN currency TYPE xl_currency;
CREATE TRIGGER products_touch BEFORE UPDATE OF sku, name, category_id, seller_id, price_minor, currency, nutrition,
    image_path, active ON products FOR EACH ROW EXECUTE FUNCTION touch_updated_at();

CREATE OR REPLACE FUNCTION xl_rfc3339(t timestamptz) RETURNS text LANGUAGE sql STABLE AS $$
    SELECT to_char(t AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+09:00'
$$;

DROP INDEX orders_status_idx;
ALTER TABLE orders DROP CONSTRAINT orders_external_ref_key;
CREATE UNIQUE INDEX orders_external_ref_key ON orders (external_ref) WHERE external_ref IS NOT NULL;
ALTER TABLE orders DROP CONSTRAINT orders_buyer_client_ref_key;
CREATE UNIQUE INDEX orders_buyer_client_ref_key ON orders (buyer_id, client_ref) WHERE client_ref IS NOT NULL;
