-- 004_order_lifecycle.sql: orders as xlcfi-order creates and moves them.
--
-- Orders are created and moved by the two functions below, so that each
-- operation is one statement: one round trip, one short transaction. The
-- state machine itself (which status may follow which) lives in
-- lib/xl_order.c and is passed in as the statuses an order may be in; the
-- UPDATE names the status it expects, so a concurrent change is never
-- overwritten.

-- The statuses of the whole lifecycle. 'refunded' stays for imported history.
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN ('pending', 'paid', 'preparing',
    'shipped', 'delivered', 'cancelled', 'expired', 'return_requested', 'returned', 'refunded'));
ALTER TABLE order_status_history DROP CONSTRAINT order_status_history_from_status_check;
ALTER TABLE order_status_history DROP CONSTRAINT order_status_history_to_status_check;
ALTER TABLE order_status_history ADD CONSTRAINT order_status_history_from_status_check CHECK (from_status IN
    ('pending', 'paid', 'preparing', 'shipped', 'delivered', 'cancelled', 'expired', 'return_requested',
     'returned', 'refunded'));
ALTER TABLE order_status_history ADD CONSTRAINT order_status_history_to_status_check CHECK (to_status IN
    ('pending', 'paid', 'preparing', 'shipped', 'delivered', 'cancelled', 'expired', 'return_requested',
     'returned', 'refunded'));

-- total_minor = the lines + shipping_minor. client_ref is the buyer's own key
-- for a request: the same key again returns the same order (request_hash
-- tells a retry from a different request reusing the key).
ALTER TABLE orders ADD COLUMN shipping_minor bigint NOT NULL DEFAULT 0 CHECK (shipping_minor >= 0);
ALTER TABLE orders ADD COLUMN client_ref text CHECK (client_ref <> '');
ALTER TABLE orders ADD COLUMN request_hash text;
ALTER TABLE orders ADD COLUMN tracking_no text CHECK (tracking_no <> '');
ALTER TABLE orders ADD CONSTRAINT orders_buyer_client_ref_key UNIQUE (buyer_id, client_ref);
-- What expire scans: pending orders by age.
CREATE INDEX orders_pending_placed_idx ON orders (placed_at) WHERE status = 'pending';

-- Times in records: RFC 3339 with Seoul's offset (fixed at +09:00 since 1988).
CREATE FUNCTION xl_rfc3339(t timestamptz) RETURNS text LANGUAGE sql IMMUTABLE STRICT AS $$
    SELECT to_char(t AT TIME ZONE 'Asia/Seoul', 'YYYY-MM-DD"T"HH24:MI:SS.US') || '+09:00'
$$;

-- The order record that xlcfi-order writes and order.created carries.
CREATE FUNCTION xl_order_record(p_id bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('order_id', o.id, 'user_id', o.buyer_id, 'status', o.status,
        'client_ref', o.client_ref, 'currency', o.currency,
        'items', (SELECT json_agg(json_build_object('line_no', i.line_no, 'sku', p.sku, 'name', p.name,
                      'qty', i.quantity, 'unit_price_minor', i.unit_price_minor,
                      'amount_minor', i.quantity::bigint * i.unit_price_minor) ORDER BY i.line_no)
                  FROM order_items i JOIN products p ON p.id = i.product_id WHERE i.order_id = o.id),
        'subtotal_minor', o.total_minor - o.shipping_minor, 'shipping_fee_minor', o.shipping_minor,
        'total_minor', o.total_minor, 'tracking_no', o.tracking_no,
        'created_at', xl_rfc3339(o.placed_at), 'updated_at', xl_rfc3339(o.updated_at))
    FROM orders o WHERE o.id = p_id
$$;

-- Refusals are raised with SQLSTATE class XL, which xlcfi turns into reject
-- records: XL400 bad request, XL404 no such thing, XL409 conflict with the
-- current state, XL422 not enough stock.
--
-- Create an order: reserve stock with conditional decrements taken in SKU
-- order (two orders for the same SKUs cannot deadlock), price the lines from
-- the catalogue, write the order, its lines, its first history row and an
-- order.created event. Returns {"replayed": false, "order": the order record},
-- or "replayed": true when client_ref names an order this buyer already made
-- with the same request.
CREATE FUNCTION xl_order_create(p_buyer bigint, p_client_ref text, p_skus text[], p_qtys integer[],
                                p_fee bigint, p_free_from bigint) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    v_hash     text := md5(array_to_string(p_skus, ',') || '|' || array_to_string(p_qtys, ','));
    v_old      record;
    v_line     record;
    v_left     integer;
    v_active   boolean;
    v_total    numeric;
    v_subtotal bigint;
    v_currency text;
    v_ncur     integer;
    v_fee      bigint := 0;
    v_id       bigint;
    v_rec      json;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_buyer) THEN
        RAISE EXCEPTION 'user_id: no such user %', p_buyer USING ERRCODE = 'XL404';
    END IF;
    IF p_client_ref IS NOT NULL THEN
        -- Two tries with one key wait for each other here, not on a unique violation.
        PERFORM pg_advisory_xact_lock(20261125, hashtext(p_buyer || '/' || p_client_ref));
        SELECT id, request_hash INTO v_old FROM orders WHERE buyer_id = p_buyer AND client_ref = p_client_ref;
        IF FOUND THEN
            IF v_old.request_hash IS DISTINCT FROM v_hash THEN
                RAISE EXCEPTION 'client_ref: ''%'' already made order % with other items', p_client_ref, v_old.id
                    USING ERRCODE = 'XL409';
            END IF;
            RETURN json_build_object('replayed', true, 'order', xl_order_record(v_old.id));
        END IF;
    END IF;
    FOR v_line IN
        SELECT t.sku, sum(t.qty)::integer AS qty, min(t.n) AS n
        FROM unnest(p_skus, p_qtys) WITH ORDINALITY AS t(sku, qty, n)
        GROUP BY t.sku ORDER BY t.sku COLLATE "C"
    LOOP
        UPDATE products SET stock = stock - v_line.qty
        WHERE sku = v_line.sku AND active AND stock >= v_line.qty;
        IF NOT FOUND THEN
            SELECT stock, active INTO v_left, v_active FROM products WHERE sku = v_line.sku;
            IF NOT FOUND THEN
                RAISE EXCEPTION 'items[%].sku: no such product ''%''', v_line.n - 1, v_line.sku
                    USING ERRCODE = 'XL404';
            ELSIF NOT v_active THEN
                RAISE EXCEPTION 'items[%].sku: ''%'' is not for sale', v_line.n - 1, v_line.sku
                    USING ERRCODE = 'XL409';
            END IF;
            RAISE EXCEPTION 'items[%].qty: not enough stock of ''%'': % wanted, % left',
                v_line.n - 1, v_line.sku, v_line.qty, v_left USING ERRCODE = 'XL422';
        END IF;
    END LOOP;
    -- The rows are locked by the decrements: these prices are the ones sold at.
    SELECT sum(t.qty::numeric * p.price_minor), min(p.currency), count(DISTINCT p.currency)
    INTO v_total, v_currency, v_ncur
    FROM unnest(p_skus, p_qtys) AS t(sku, qty) JOIN products p ON p.sku = t.sku;
    IF v_total + p_fee > 9223372036854775807 THEN
        RAISE EXCEPTION 'items: the amounts overflow (% is more than an order can hold)', v_total
            USING ERRCODE = 'XL400';
    END IF;
    v_subtotal := v_total;
    IF v_ncur > 1 THEN
        RAISE EXCEPTION 'items: products priced in different currencies cannot share an order'
            USING ERRCODE = 'XL400';
    END IF;
    IF v_currency = 'KRW' AND v_subtotal < p_free_from THEN
        v_fee := p_fee;
    END IF;
    INSERT INTO orders (buyer_id, status, total_minor, shipping_minor, currency, client_ref, request_hash)
    VALUES (p_buyer, 'pending', v_subtotal + v_fee, v_fee, v_currency, p_client_ref, v_hash)
    RETURNING id INTO v_id;
    INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_minor)
    SELECT v_id, t.n, p.id, t.qty, p.price_minor
    FROM unnest(p_skus, p_qtys) WITH ORDINALITY AS t(sku, qty, n) JOIN products p ON p.sku = t.sku;
    INSERT INTO order_status_history (order_id, from_status, to_status, reason, changed_by)
    VALUES (v_id, NULL, 'pending', 'created', p_buyer);
    v_rec := xl_order_record(v_id);
    INSERT INTO events (topic, key, payload) VALUES ('order.created', v_id::text, v_rec::jsonb);
    RETURN json_build_object('replayed', false, 'order', v_rec);
END;
$$;

-- Move an order from one of p_from to p_to, recording who and why, and
-- write the order.<status> event. With p_restock the order's units go back
-- on the shelf (taken in SKU order, as create takes them). Returns the
-- transition: order_id, from, status, reason, actor, tracking_no, at.
CREATE FUNCTION xl_order_move(p_id bigint, p_from text[], p_to text, p_actor bigint, p_reason text,
                              p_tracking text, p_restock boolean) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    v_old   text;
    v_line  record;
    v_now   timestamptz := now();
    v_rec   json;
BEGIN
    SELECT status INTO v_old FROM orders WHERE id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order_id: no such order %', p_id USING ERRCODE = 'XL404';
    END IF;
    IF NOT v_old = ANY (p_from) THEN
        RAISE EXCEPTION 'order % is %: it cannot become %', p_id, v_old, p_to USING ERRCODE = 'XL409';
    END IF;
    IF p_actor IS NOT NULL AND NOT EXISTS (SELECT 1 FROM users WHERE id = p_actor) THEN
        RAISE EXCEPTION 'actor: no such user %', p_actor USING ERRCODE = 'XL404';
    END IF;
    UPDATE orders SET status = p_to, tracking_no = coalesce(p_tracking, tracking_no)
    WHERE id = p_id AND status = v_old;
    IF p_restock THEN
        FOR v_line IN
            SELECT p.id, sum(i.quantity)::integer AS qty FROM order_items i JOIN products p ON p.id = i.product_id
            WHERE i.order_id = p_id GROUP BY p.id, p.sku ORDER BY p.sku COLLATE "C"
        LOOP
            UPDATE products SET stock = stock + v_line.qty WHERE id = v_line.id;
        END LOOP;
    END IF;
    INSERT INTO order_status_history (order_id, from_status, to_status, reason, changed_by, changed_at)
    VALUES (p_id, v_old, p_to, p_reason, p_actor, v_now);
    v_rec := json_build_object('order_id', p_id, 'from', v_old, 'status', p_to, 'reason', p_reason,
        'actor', p_actor, 'tracking_no', (SELECT tracking_no FROM orders WHERE id = p_id),
        'restocked', p_restock, 'at', xl_rfc3339(v_now));
    INSERT INTO events (topic, key, payload) VALUES ('order.' || p_to, p_id::text, v_rec::jsonb);
    RETURN v_rec;
END;
$$;

-- A review by the buyer of an item that was delivered: one per item of an
-- order, rating 1 to 5. Returns the review record; writes review.created.
CREATE FUNCTION xl_review_record(p_id bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('review_id', r.id, 'order_id', r.order_id, 'sku', p.sku, 'user_id', r.user_id,
        'rating', r.rating, 'body', r.body, 'status', r.status,
        'reports', (SELECT count(*) FROM review_reports x WHERE x.review_id = r.id),
        'created_at', xl_rfc3339(r.created_at))
    FROM reviews r JOIN products p ON p.id = r.product_id WHERE r.id = p_id
$$;

CREATE FUNCTION xl_review_add(p_user bigint, p_order bigint, p_sku text, p_rating integer, p_body text)
RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_order   record;
    v_product bigint;
    v_id      bigint;
    v_rec     json;
BEGIN
    SELECT buyer_id, status INTO v_order FROM orders WHERE id = p_order;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order_id: no such order %', p_order USING ERRCODE = 'XL404';
    END IF;
    IF v_order.buyer_id <> p_user THEN
        RAISE EXCEPTION 'user_id: only the buyer of order % can review it', p_order USING ERRCODE = 'XL409';
    END IF;
    SELECT p.id INTO v_product FROM order_items i JOIN products p ON p.id = i.product_id
    WHERE i.order_id = p_order AND p.sku = p_sku LIMIT 1;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'sku: order % has no item ''%''', p_order, p_sku USING ERRCODE = 'XL404';
    END IF;
    IF v_order.status NOT IN ('delivered', 'return_requested', 'returned') THEN
        RAISE EXCEPTION 'order_id: order % is %: only delivered items can be reviewed', p_order, v_order.status
            USING ERRCODE = 'XL409';
    END IF;
    INSERT INTO reviews (order_id, product_id, user_id, rating, body)
    VALUES (p_order, v_product, p_user, p_rating, p_body)
    ON CONFLICT (order_id, product_id, user_id) DO NOTHING RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        RAISE EXCEPTION 'sku: ''%'' of order % is already reviewed', p_sku, p_order USING ERRCODE = 'XL409';
    END IF;
    v_rec := xl_review_record(v_id);
    INSERT INTO events (topic, key, payload) VALUES ('review.created', v_id::text, v_rec::jsonb);
    RETURN v_rec;
END;
$$;

-- A report on a review, one per user; from the third distinct reporter on
-- the review is hidden (review.hidden is written when that happens).
CREATE FUNCTION xl_review_report(p_review bigint, p_reporter bigint, p_reason text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    v_author  bigint;
    v_status  text;
    v_reports bigint;
    v_rec     json;
BEGIN
    SELECT user_id, status INTO v_author, v_status FROM reviews WHERE id = p_review FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'review_id: no such review %', p_review USING ERRCODE = 'XL404';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_reporter) THEN
        RAISE EXCEPTION 'user_id: no such user %', p_reporter USING ERRCODE = 'XL404';
    END IF;
    IF v_author = p_reporter THEN
        RAISE EXCEPTION 'user_id: a user cannot report their own review' USING ERRCODE = 'XL409';
    END IF;
    INSERT INTO review_reports (review_id, reporter_id, reason) VALUES (p_review, p_reporter, p_reason)
    ON CONFLICT (review_id, reporter_id) DO NOTHING;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'user_id: user % already reported review %', p_reporter, p_review USING ERRCODE = 'XL409';
    END IF;
    SELECT count(*) INTO v_reports FROM review_reports WHERE review_id = p_review;
    IF v_reports >= 3 AND v_status = 'visible' THEN
        UPDATE reviews SET status = 'hidden' WHERE id = p_review;
        v_rec := xl_review_record(p_review);
        INSERT INTO events (topic, key, payload) VALUES ('review.hidden', p_review::text, v_rec::jsonb);
        RETURN v_rec;
    END IF;
    RETURN xl_review_record(p_review);
END;
$$;
