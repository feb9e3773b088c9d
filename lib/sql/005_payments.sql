-- 005_payments.sql: payments that never double-charge, and a points ledger
-- that always balances (xlcfi-pay).
--
-- A charge runs in three phases, as in Brandur Leach's "Implementing
-- Stripe-like idempotency keys in Postgres": xl_pay_begin records the
-- idempotency key, the payment and any points hold in one transaction; the
-- gateway is called outside any transaction; xl_pay_finish writes the
-- outcome, the order status, the points and the event in one transaction.
-- Refusals raise SQLSTATE class XL (see 004_order_lifecycle.sql).

-- A payment's outcome may be unknown (the gateway timed out after the
-- request left) until xlcfi-pay reconcile asks the gateway.
ALTER TABLE payments DROP CONSTRAINT payments_status_check;
ALTER TABLE payments ADD CONSTRAINT payments_status_check CHECK (status IN ('pending', 'authorized', 'captured',
    'failed', 'cancelled', 'refunded', 'partially_refunded', 'unknown'));
ALTER TABLE payments ADD COLUMN idempotency_key text;
ALTER TABLE payments ADD COLUMN points_used bigint NOT NULL DEFAULT 0 CHECK (points_used >= 0);
ALTER TABLE payments ADD COLUMN refunded_minor bigint NOT NULL DEFAULT 0 CHECK (refunded_minor >= 0);
ALTER TABLE payments ADD CONSTRAINT payments_refund_limit CHECK (refunded_minor <= amount_minor);
CREATE UNIQUE INDEX payments_one_live_per_order ON payments (order_id)
    WHERE status IN ('pending', 'authorized', 'captured', 'unknown', 'partially_refunded', 'refunded');
ALTER TABLE refunds ADD COLUMN gateway_ref text;

-- The request a key was first used with (to name a mismatch), who holds it,
-- and how far its charge got.
ALTER TABLE idempotency_keys ADD COLUMN request jsonb;
-- A replay returns the stored response byte for byte.
ALTER TABLE idempotency_keys ALTER COLUMN response TYPE json;
ALTER TABLE idempotency_keys ADD COLUMN locked_at timestamptz;
ALTER TABLE idempotency_keys ADD COLUMN payment_id bigint REFERENCES payments (id);

-- The sandbox gateway's own books: it is in-process, but what it charged
-- must outlive the process so that a "charge, then time out" can be
-- reconciled. Its idempotency key makes a repeated call charge once.
CREATE TABLE sandbox_payments (
    payment_key     text PRIMARY KEY,
    idempotency_key text NOT NULL UNIQUE,
    order_ref       text NOT NULL UNIQUE,
    amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
    currency        char(3) NOT NULL,
    cancelled_minor bigint NOT NULL DEFAULT 0 CHECK (cancelled_minor >= 0 AND cancelled_minor <= amount_minor),
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sandbox_payments IS 'What the sandbox payment gateway has charged (its side, not ours).';

-- Points: the system accounts, lots for first-in-first-out expiry, and
-- holds on points promised to a payment in flight.
INSERT INTO point_accounts (user_id, kind) VALUES (NULL, 'issuance'), (NULL, 'redemption'), (NULL, 'expiry'),
    (NULL, 'adjustment');

CREATE TABLE point_lots (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id     bigint NOT NULL REFERENCES point_accounts (id),
    transaction_id bigint NOT NULL REFERENCES point_transactions (id),
    amount         bigint NOT NULL CHECK (amount > 0),
    remaining      bigint NOT NULL CHECK (remaining >= 0 AND remaining <= amount),
    expires_at     timestamptz NOT NULL
);
CREATE INDEX point_lots_open_idx ON point_lots (account_id, expires_at, id) WHERE remaining > 0;
COMMENT ON TABLE point_lots IS 'Points earned together, spent and expired first-in-first-out.';

CREATE TABLE point_holds (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    account_id bigint NOT NULL REFERENCES point_accounts (id),
    payment_id bigint NOT NULL UNIQUE REFERENCES payments (id),
    amount     bigint NOT NULL CHECK (amount > 0),
    status     text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'posted', 'voided')),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX point_holds_held_idx ON point_holds (account_id) WHERE status = 'held';
COMMENT ON TABLE point_holds IS 'Points set aside for a payment in flight: posted on success, voided on failure.';

CREATE FUNCTION xl_points_account(p_user bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_id bigint;
BEGIN
    SELECT id INTO v_id FROM point_accounts WHERE user_id = p_user AND kind = 'user';
    IF NOT FOUND THEN
        INSERT INTO point_accounts (user_id, kind) VALUES (p_user, 'user')
        ON CONFLICT (user_id, kind) DO NOTHING RETURNING id INTO v_id;
        IF v_id IS NULL THEN
            SELECT id INTO v_id FROM point_accounts WHERE user_id = p_user AND kind = 'user';
        END IF;
    END IF;
    RETURN v_id;
END;
$$;

CREATE FUNCTION xl_points_system(p_kind text) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT id FROM point_accounts WHERE user_id IS NULL AND kind = p_kind
$$;

-- Post one movement: p_amount from account p_from to account p_to, as one
-- transaction of two entries, idempotent by (kind, reference). Balances
-- follow in the same statement; a user balance below zero fails its CHECK.
-- Returns the transaction id, or NULL when it was already posted.
CREATE FUNCTION xl_points_post(p_kind text, p_reference text, p_from bigint, p_to bigint, p_amount bigint)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_tx bigint;
BEGIN
    IF p_amount <= 0 THEN
        RETURN NULL;
    END IF;
    INSERT INTO point_transactions (kind, reference) VALUES (p_kind, p_reference)
    ON CONFLICT (kind, reference) DO NOTHING RETURNING id INTO v_tx;
    IF v_tx IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO point_entries (transaction_id, account_id, amount) VALUES (v_tx, p_from, -p_amount), (v_tx, p_to, p_amount);
    -- In account order, so that two movements between the same accounts cannot deadlock.
    UPDATE point_accounts SET balance = balance + CASE WHEN id = p_to THEN p_amount ELSE -p_amount END
    WHERE id IN (p_from, p_to);
    RETURN v_tx;
END;
$$;

-- Take p_amount out of a user's lots, oldest expiry first.
CREATE FUNCTION xl_points_consume(p_account bigint, p_amount bigint) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    v_left bigint := p_amount;
    v_lot  record;
    v_take bigint;
BEGIN
    FOR v_lot IN SELECT id, remaining FROM point_lots WHERE account_id = p_account AND remaining > 0
                 ORDER BY expires_at, id FOR UPDATE LOOP
        EXIT WHEN v_left <= 0;
        v_take := least(v_left, v_lot.remaining);
        UPDATE point_lots SET remaining = remaining - v_take WHERE id = v_lot.id;
        v_left := v_left - v_take;
    END LOOP;
    IF v_left > 0 THEN
        RAISE EXCEPTION 'points: the lots of account % hold % fewer points than its balance', p_account, v_left
            USING ERRCODE = 'XL500';
    END IF;
END;
$$;

-- Points a user can spend now: the balance less what payments in flight hold.
CREATE FUNCTION xl_points_available(p_account bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT a.balance - coalesce((SELECT sum(h.amount) FROM point_holds h WHERE h.account_id = a.id
                                  AND h.status = 'held'), 0)
    FROM point_accounts a WHERE a.id = p_account
$$;

-- Earn points: a new lot, expiring after p_days.
CREATE FUNCTION xl_points_accrue(p_user bigint, p_reference text, p_amount bigint, p_days integer)
RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    v_acct bigint := xl_points_account(p_user);
    v_tx   bigint;
BEGIN
    v_tx := xl_points_post('accrual', p_reference, xl_points_system('issuance'), v_acct, p_amount);
    IF v_tx IS NOT NULL THEN
        INSERT INTO point_lots (account_id, transaction_id, amount, remaining, expires_at)
        VALUES (v_acct, v_tx, p_amount, p_amount, now() + make_interval(days => p_days));
    END IF;
    RETURN v_tx;
END;
$$;

-- Take points back (a refund reverses what the refunded part earned), at
-- most what the user still has: a balance never goes below zero.
CREATE FUNCTION xl_points_reverse(p_user bigint, p_reference text, p_amount bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_acct bigint := xl_points_account(p_user);
    v_take bigint;
BEGIN
    PERFORM 1 FROM point_accounts WHERE id = v_acct FOR UPDATE;
    v_take := least(p_amount, xl_points_available(v_acct));
    IF v_take <= 0 THEN
        RETURN 0;
    END IF;
    IF xl_points_post('reversal', p_reference, v_acct, xl_points_system('issuance'), v_take) IS NULL THEN
        RETURN 0;
    END IF;
    PERFORM xl_points_consume(v_acct, v_take);
    RETURN v_take;
END;
$$;

-- The payment record xlcfi-pay writes.
CREATE FUNCTION xl_payment_record(p_id bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('payment_id', p.id, 'order_id', p.order_id, 'status', p.status,
        'amount_minor', p.amount_minor, 'points_used', p.points_used, 'currency', p.currency,
        'refunded_minor', p.refunded_minor, 'provider', p.gateway, 'payment_key', p.gateway_ref,
        'idempotency_key', p.idempotency_key,
        'points_earned', (SELECT coalesce(sum(e.amount), 0) FROM point_transactions t
                          JOIN point_entries e ON e.transaction_id = t.id
                          JOIN point_accounts a ON a.id = e.account_id AND a.kind = 'user'
                          WHERE t.kind = 'accrual' AND t.reference = 'payment:' || p.id),
        'decline', (SELECT json_build_object('code', a.response ->> 'code', 'message', a.response ->> 'message')
                    FROM payment_attempts a WHERE a.payment_id = p.id AND p.status = 'failed'
                    ORDER BY a.attempt_no DESC LIMIT 1),
        'created_at', xl_rfc3339(p.created_at), 'updated_at', xl_rfc3339(p.updated_at))
    FROM payments p WHERE p.id = p_id
$$;

-- Phase 1 of a charge. Returns one of:
--   {"state":"done", "response": the stored result}     the key's charge is over: replay it
--   {"state":"busy"}                                     another process holds the key right now
--   {"state":"unknown", "payment_id"}                    the outcome is unknown: reconcile first
--   {"state":"call", "payment_id", "amount_minor", "currency", "order_ref"}  call the gateway
CREATE FUNCTION xl_pay_describe(p_request jsonb) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT format('order %s, %s points, %s, method ending %s', p_request ->> 'order_id',
                  p_request ->> 'use_points', p_request ->> 'provider', p_request ->> 'method')
$$;

CREATE FUNCTION xl_pay_begin(p_key text, p_order bigint, p_points bigint, p_provider text, p_method text,
                             p_lock_seconds integer) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    -- What the key stands for. The method (a card number) is kept only as
    -- its last four characters and a digest.
    v_request jsonb := jsonb_build_object('order_id', p_order, 'use_points', p_points, 'provider', p_provider,
                                          'method', right(coalesce(p_method, ''), 4),
                                          'method_md5', md5(coalesce(p_method, '')));
    v_key     record;
    v_order   record;
    v_acct    bigint;
    v_amount  bigint;
    v_currency text;
    v_payment bigint;
BEGIN
    -- A finished key past its 24 hours is forgotten: the key is new again.
    DELETE FROM idempotency_keys WHERE key = p_key AND expires_at < now() AND status <> 'in_progress';
    INSERT INTO idempotency_keys (key, scope, request_hash, request, status, expires_at, locked_at)
    VALUES (p_key, 'pay.charge', md5(v_request::text), v_request, 'in_progress', now() + interval '24 hours', now())
    ON CONFLICT (key) DO NOTHING;
    IF NOT FOUND THEN
        SELECT * INTO v_key FROM idempotency_keys WHERE key = p_key FOR UPDATE;
        IF v_key.request IS DISTINCT FROM v_request THEN
            RAISE EXCEPTION 'idempotency_key: ''%'' was used for another request (%); this one is %',
                p_key, xl_pay_describe(v_key.request), xl_pay_describe(v_request) USING ERRCODE = 'XL409';
        END IF;
        IF v_key.status <> 'in_progress' THEN
            RETURN json_build_object('state', 'done', 'response', v_key.response);
        END IF;
        IF v_key.payment_id IS NOT NULL AND
           (SELECT status FROM payments WHERE id = v_key.payment_id) = 'unknown' THEN
            RETURN json_build_object('state', 'unknown', 'payment_id', v_key.payment_id);
        END IF;
        IF v_key.locked_at > now() - make_interval(secs => p_lock_seconds) THEN
            RETURN json_build_object('state', 'busy');
        END IF;
        -- Its holder died between the phases: take the key over.
        UPDATE idempotency_keys SET locked_at = now() WHERE key = p_key;
        IF v_key.payment_id IS NOT NULL THEN
            SELECT amount_minor, currency INTO v_amount, v_currency FROM payments WHERE id = v_key.payment_id;
            RETURN json_build_object('state', 'call', 'payment_id', v_key.payment_id, 'amount_minor', v_amount,
                                     'currency', v_currency, 'order_ref', 'xlcfi-' || p_order);
        END IF;
    END IF;
    SELECT id, buyer_id, status, total_minor, currency INTO v_order FROM orders WHERE id = p_order FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order_id: no such order %', p_order USING ERRCODE = 'XL404';
    END IF;
    IF v_order.status <> 'pending' THEN
        RAISE EXCEPTION 'order_id: order % is %: only pending orders are charged', p_order, v_order.status
            USING ERRCODE = 'XL409';
    END IF;
    IF EXISTS (SELECT 1 FROM payments WHERE order_id = p_order AND status IN ('pending', 'unknown', 'captured')) THEN
        RAISE EXCEPTION 'order_id: order % already has a payment in flight under another key', p_order
            USING ERRCODE = 'XL409';
    END IF;
    IF p_points >= v_order.total_minor THEN
        RAISE EXCEPTION 'use_points: % points for a total of %: at most % (the rest is charged)',
            p_points, v_order.total_minor, v_order.total_minor - 1 USING ERRCODE = 'XL400';
    END IF;
    v_amount := v_order.total_minor - p_points;
    INSERT INTO payments (order_id, amount_minor, currency, status, gateway, idempotency_key, points_used)
    VALUES (p_order, v_amount, v_order.currency, 'pending', p_provider, p_key, p_points)
    RETURNING id INTO v_payment;
    IF p_points > 0 THEN
        v_acct := xl_points_account(v_order.buyer_id);
        PERFORM 1 FROM point_accounts WHERE id = v_acct FOR UPDATE;
        IF xl_points_available(v_acct) < p_points THEN
            RAISE EXCEPTION 'use_points: % points wanted, % available', p_points, xl_points_available(v_acct)
                USING ERRCODE = 'XL422';
        END IF;
        INSERT INTO point_holds (account_id, payment_id, amount) VALUES (v_acct, v_payment, p_points);
    END IF;
    UPDATE idempotency_keys SET payment_id = v_payment WHERE key = p_key;
    RETURN json_build_object('state', 'call', 'payment_id', v_payment, 'amount_minor', v_amount,
                             'currency', v_order.currency, 'order_ref', 'xlcfi-' || p_order);
END;
$$;

-- Phase 3 of a charge (and reconcile's settlement): the gateway's answer
-- p_outcome is 'success', 'declined', 'error' (known not charged) or
-- 'timeout' (unknown). Records the attempt; on success the payment is
-- captured, the order paid, the held points spent and new points earned
-- (p_rate_bp basis points of the amount charged, lots expiring after
-- p_days); otherwise the hold is voided. Unknown leaves the key open for
-- reconcile. Returns the payment record, which is also the key's stored
-- response once the outcome is known.
CREATE FUNCTION xl_pay_finish(p_key text, p_payment bigint, p_outcome text, p_payment_key text, p_request jsonb,
                              p_response jsonb, p_rate_bp integer, p_days integer) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    v_pay   record;
    v_buyer bigint;
    v_hold  record;
    v_rec   json;
BEGIN
    SELECT * INTO v_pay FROM payments WHERE id = p_payment FOR UPDATE;
    IF v_pay.status NOT IN ('pending', 'unknown') THEN
        -- Settled already (reconcile and a late charge crossing): say so again.
        RETURN xl_payment_record(p_payment);
    END IF;
    INSERT INTO payment_attempts (payment_id, attempt_no, request, response, outcome)
    VALUES (p_payment, coalesce((SELECT max(attempt_no) FROM payment_attempts WHERE payment_id = p_payment), 0) + 1,
            p_request, p_response, CASE p_outcome WHEN 'timeout' THEN 'unknown' ELSE p_outcome END);
    SELECT buyer_id INTO v_buyer FROM orders WHERE id = v_pay.order_id;
    SELECT * INTO v_hold FROM point_holds WHERE payment_id = p_payment AND status = 'held' FOR UPDATE;
    IF p_outcome = 'timeout' THEN
        UPDATE payments SET status = 'unknown' WHERE id = p_payment;
        UPDATE idempotency_keys SET locked_at = NULL WHERE key = p_key;
        RETURN xl_payment_record(p_payment);
    END IF;
    IF p_outcome = 'success' THEN
        UPDATE payments SET status = 'captured', gateway_ref = p_payment_key WHERE id = p_payment;
        PERFORM xl_order_move(v_pay.order_id, '{pending}', 'paid', NULL, 'payment ' || p_payment, NULL, false);
        IF v_hold.id IS NOT NULL THEN
            PERFORM xl_points_post('redemption', 'payment:' || p_payment, v_hold.account_id,
                                   xl_points_system('redemption'), v_hold.amount);
            PERFORM xl_points_consume(v_hold.account_id, v_hold.amount);
            UPDATE point_holds SET status = 'posted' WHERE id = v_hold.id;
        END IF;
        PERFORM xl_points_accrue(v_buyer, 'payment:' || p_payment, v_pay.amount_minor * p_rate_bp / 10000, p_days);
    ELSE
        UPDATE payments SET status = 'failed' WHERE id = p_payment;
        UPDATE point_holds SET status = 'voided' WHERE id = v_hold.id;
    END IF;
    v_rec := xl_payment_record(p_payment);
    INSERT INTO events (topic, key, payload)
    VALUES (CASE p_outcome WHEN 'success' THEN 'payment.captured' ELSE 'payment.failed' END, p_payment::text, v_rec::jsonb);
    UPDATE idempotency_keys SET status = CASE p_outcome WHEN 'success' THEN 'completed' ELSE 'failed' END,
        response = v_rec, locked_at = NULL WHERE key = p_key;
    RETURN v_rec;
END;
$$;

-- Phase 1 of a refund: p_amount (NULL = all that is left) of the order's
-- captured payment, at most what was captured less what is refunded or
-- being refunded. Returns {refund_id, payment_id, payment_key, amount_minor, provider}.
CREATE FUNCTION xl_refund_begin(p_order bigint, p_amount bigint, p_reason text, p_provider text) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    v_pay     record;
    v_pending bigint;
    v_left    bigint;
    v_amount  bigint;
    v_id      bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM orders WHERE id = p_order) THEN
        RAISE EXCEPTION 'order_id: no such order %', p_order USING ERRCODE = 'XL404';
    END IF;
    SELECT * INTO v_pay FROM payments WHERE order_id = p_order AND status IN ('captured', 'partially_refunded', 'refunded')
    FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'order_id: order % has no captured payment', p_order USING ERRCODE = 'XL409';
    END IF;
    IF v_pay.gateway <> p_provider THEN
        RAISE EXCEPTION 'provider: order % was paid through %, not %', p_order, v_pay.gateway, p_provider
            USING ERRCODE = 'XL409';
    END IF;
    SELECT coalesce(sum(amount_minor), 0) INTO v_pending FROM refunds WHERE payment_id = v_pay.id AND status = 'pending';
    v_left := v_pay.amount_minor - v_pay.refunded_minor - v_pending;
    v_amount := coalesce(p_amount, v_left);
    IF v_left <= 0 THEN
        RAISE EXCEPTION 'amount: payment % of order % is refunded in full', v_pay.id, p_order USING ERRCODE = 'XL409';
    END IF;
    IF v_amount <= 0 OR v_amount > v_left THEN
        RAISE EXCEPTION 'amount: % is more than the % left to refund of payment %', v_amount, v_left, v_pay.id
            USING ERRCODE = 'XL422';
    END IF;
    INSERT INTO refunds (payment_id, amount_minor, currency, reason, status)
    VALUES (v_pay.id, v_amount, v_pay.currency, p_reason, 'pending') RETURNING id INTO v_id;
    RETURN json_build_object('refund_id', v_id, 'payment_id', v_pay.id, 'payment_key', v_pay.gateway_ref,
                             'amount_minor', v_amount, 'provider', v_pay.gateway);
END;
$$;

-- The refund record xlcfi-pay refund writes.
CREATE FUNCTION xl_refund_record(p_id bigint) RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object('refund_id', r.id, 'payment_id', r.payment_id, 'order_id', p.order_id,
        'status', r.status, 'amount_minor', r.amount_minor, 'currency', r.currency, 'reason', r.reason,
        'payment_status', p.status, 'refunded_minor', p.refunded_minor, 'order_status', o.status,
        'points_reversed', (SELECT coalesce(sum(e.amount), 0) FROM point_transactions t
                            JOIN point_entries e ON e.transaction_id = t.id
                            JOIN point_accounts a ON a.id = e.account_id AND a.kind <> 'user'
                            WHERE t.kind = 'reversal' AND t.reference = 'refund:' || r.id),
        'points_restored', (SELECT coalesce(sum(e.amount), 0) FROM point_transactions t
                            JOIN point_entries e ON e.transaction_id = t.id
                            JOIN point_accounts a ON a.id = e.account_id AND a.kind = 'user'
                            WHERE t.kind = 'restore' AND t.reference = 'refund:' || r.id),
        'created_at', xl_rfc3339(r.created_at))
    FROM refunds r JOIN payments p ON p.id = r.payment_id JOIN orders o ON o.id = p.order_id WHERE r.id = p_id
$$;

-- Phase 3 of a refund. On success: the payment's refunded amount, its
-- status, the points earned on the refunded part taken back and the points
-- used given back (both in proportion, rounded so that a refund in full
-- gives back exactly all), the order cancelled (paid, preparing) or
-- returned (return_requested) once refunded in full, and a
-- payment.refunded event. On failure the refund is marked failed.
CREATE FUNCTION xl_refund_finish(p_refund bigint, p_ok boolean, p_gateway_ref text, p_days integer) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    v_ref      record;
    v_pay      record;
    v_buyer    bigint;
    v_status   text;
    v_earned   bigint;
    v_back     bigint;
    v_restore  bigint;
    v_restored bigint;
    v_acct     bigint;
    v_rec      json;
BEGIN
    SELECT * INTO v_ref FROM refunds WHERE id = p_refund FOR UPDATE;
    IF v_ref.status <> 'pending' THEN
        RETURN xl_refund_record(p_refund);
    END IF;
    IF NOT p_ok THEN
        UPDATE refunds SET status = 'failed' WHERE id = p_refund;
        RETURN xl_refund_record(p_refund);
    END IF;
    SELECT * INTO v_pay FROM payments WHERE id = v_ref.payment_id FOR UPDATE;
    SELECT buyer_id, status INTO v_buyer, v_status FROM orders WHERE id = v_pay.order_id;
    UPDATE refunds SET status = 'succeeded', gateway_ref = p_gateway_ref WHERE id = p_refund;
    UPDATE payments SET refunded_minor = refunded_minor + v_ref.amount_minor,
        status = CASE WHEN refunded_minor + v_ref.amount_minor = amount_minor THEN 'refunded'
                      ELSE 'partially_refunded' END
    WHERE id = v_pay.id;
    -- What the refunded total should have taken back so far, less what earlier refunds took.
    SELECT coalesce(sum(e.amount), 0) INTO v_earned FROM point_transactions t JOIN point_entries e ON e.transaction_id = t.id
    JOIN point_accounts a ON a.id = e.account_id AND a.kind = 'user'
    WHERE t.kind = 'accrual' AND t.reference = 'payment:' || v_pay.id;
    v_back := v_earned * (v_pay.refunded_minor + v_ref.amount_minor) / v_pay.amount_minor
        - v_earned * v_pay.refunded_minor / v_pay.amount_minor;
    PERFORM xl_points_reverse(v_buyer, 'refund:' || p_refund, v_back);
    v_restore := v_pay.points_used * (v_pay.refunded_minor + v_ref.amount_minor) / v_pay.amount_minor
        - v_pay.points_used * v_pay.refunded_minor / v_pay.amount_minor;
    IF v_restore > 0 THEN
        v_acct := xl_points_account(v_buyer);
        v_restored := xl_points_post('restore', 'refund:' || p_refund, xl_points_system('redemption'), v_acct, v_restore);
        IF v_restored IS NOT NULL THEN
            INSERT INTO point_lots (account_id, transaction_id, amount, remaining, expires_at)
            VALUES (v_acct, v_restored, v_restore, v_restore, now() + make_interval(days => p_days));
        END IF;
    END IF;
    IF v_pay.refunded_minor + v_ref.amount_minor = v_pay.amount_minor THEN
        IF v_status IN ('paid', 'preparing') THEN
            PERFORM xl_order_move(v_pay.order_id, ARRAY[v_status], 'cancelled', NULL, 'refunded', NULL, true);
        ELSIF v_status = 'return_requested' THEN
            PERFORM xl_order_move(v_pay.order_id, '{return_requested}', 'returned', NULL, 'refunded', NULL, false);
        END IF;
    END IF;
    v_rec := xl_refund_record(p_refund);
    INSERT INTO events (topic, key, payload) VALUES ('payment.refunded', v_pay.id::text, v_rec::jsonb);
    RETURN v_rec;
END;
$$;

-- Expire what is left of lots past their date, first-in-first-out.
CREATE FUNCTION xl_points_expire(p_limit integer) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
    v_lot   record;
    v_count integer := 0;
    v_total bigint := 0;
BEGIN
    FOR v_lot IN SELECT id, account_id, remaining FROM point_lots WHERE remaining > 0 AND expires_at <= now()
                 ORDER BY expires_at, id LIMIT p_limit FOR UPDATE SKIP LOCKED LOOP
        PERFORM 1 FROM point_accounts WHERE id = v_lot.account_id FOR UPDATE;
        -- Points held for a payment in flight are not taken away under it.
        IF xl_points_available(v_lot.account_id) < v_lot.remaining THEN
            CONTINUE;
        END IF;
        PERFORM xl_points_post('expiry', 'lot:' || v_lot.id, v_lot.account_id, xl_points_system('expiry'),
                               v_lot.remaining);
        UPDATE point_lots SET remaining = 0 WHERE id = v_lot.id;
        v_count := v_count + 1;
        v_total := v_total + v_lot.remaining;
    END LOOP;
    RETURN json_build_object('lots', v_count, 'points', v_total);
END;
$$;

-- The ledger's invariants, each with the number of rows that break it.
CREATE FUNCTION xl_points_check() RETURNS json LANGUAGE sql STABLE AS $$
    SELECT json_build_object(
        'entries_sum', (SELECT coalesce(sum(amount), 0) FROM point_entries),
        'unbalanced_transactions', (SELECT count(*) FROM (SELECT transaction_id FROM point_entries
                                    GROUP BY transaction_id HAVING sum(amount) <> 0) t),
        'balance_mismatches', (SELECT count(*) FROM point_accounts a
                               WHERE a.balance <> (SELECT coalesce(sum(e.amount), 0) FROM point_entries e
                                                   WHERE e.account_id = a.id)),
        'negative_balances', (SELECT count(*) FROM point_accounts WHERE kind = 'user' AND balance < 0),
        'lot_mismatches', (SELECT count(*) FROM point_accounts a WHERE a.kind = 'user'
                           AND a.balance <> (SELECT coalesce(sum(l.remaining), 0) FROM point_lots l
                                             WHERE l.account_id = a.id)),
        'accounts', (SELECT count(*) FROM point_accounts),
        'transactions', (SELECT count(*) FROM point_transactions))
$$;

-- The sandbox's refunds, one per idempotency key.
CREATE TABLE sandbox_cancels (
    idempotency_key text PRIMARY KEY,
    payment_key     text NOT NULL REFERENCES sandbox_payments (payment_key),
    amount_minor    bigint NOT NULL CHECK (amount_minor > 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);

-- A pending order whose payment is in flight (being charged, or its
-- outcome unknown) is neither cancelled nor expired under it: the money may
-- have moved. The move is otherwise as in 004.
CREATE OR REPLACE FUNCTION xl_order_move(p_id bigint, p_from text[], p_to text, p_actor bigint, p_reason text,
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
    IF v_old = 'pending' AND p_to IN ('cancelled', 'expired') AND EXISTS (SELECT 1 FROM payments
            WHERE order_id = p_id AND status IN ('pending', 'unknown')) THEN
        RAISE EXCEPTION 'order % has a payment in flight: it cannot become % until the payment is settled '
            '(xlcfi-pay reconcile)', p_id, p_to USING ERRCODE = 'XL409';
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

-- NOTIFY serialises commits: PostgreSQL lets one notifying transaction
-- commit at a time, cluster-wide. So the outbox trigger wakes followers
-- only when one is listening: each follower registers its backend here
-- (xl_events_listen). Writers take a shared advisory lock first and a
-- registering follower an exclusive one, so a writer that looked before
-- the follower registered has committed before the follower's first read.
CREATE TABLE event_listeners (
    pid   integer PRIMARY KEY,
    since timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE event_listeners IS 'Backends of event followers listening for xlcfi_events.';

CREATE OR REPLACE FUNCTION events_notify() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock_shared(20261126);
    IF EXISTS (SELECT 1 FROM event_listeners) THEN
        PERFORM pg_notify('xlcfi_events', '');
    END IF;
    RETURN NULL;
END;
$$;

-- Orders are created at the rate of short transactions: xl_order_create
-- does its work in as few statements as it can. The decrements return what
-- the lines need (the rows are locked by them, so these are the prices sold
-- at); the order, its lines and its first history row are one statement;
-- the record is built from what is at hand. Behaviour is as in 004.
CREATE OR REPLACE FUNCTION xl_order_create(p_buyer bigint, p_client_ref text, p_skus text[], p_qtys integer[],
                                           p_fee bigint, p_free_from bigint) RETURNS json
LANGUAGE plpgsql AS $$
DECLARE
    v_hash     text := md5(array_to_string(p_skus, ',') || '|' || array_to_string(p_qtys, ','));
    v_old      record;
    v_line     record;
    v_left     integer;
    v_active   boolean;
    v_row      record;
    v_skus     text[] := '{}';
    v_ids      bigint[] := '{}';
    v_names    text[] := '{}';
    v_prices   bigint[] := '{}';
    v_currency text;
    v_total    numeric := 0;
    v_subtotal bigint;
    v_fee      bigint := 0;
    v_id       bigint;
    v_at       timestamptz;
    v_rec      json;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM users WHERE id = p_buyer) THEN
        RAISE EXCEPTION 'user_id: no such user %', p_buyer USING ERRCODE = 'XL404';
    END IF;
    IF p_client_ref IS NOT NULL THEN
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
        WHERE sku = v_line.sku AND active AND stock >= v_line.qty
        RETURNING id, name, price_minor, currency INTO v_row;
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
        IF v_currency IS NOT NULL AND v_currency <> v_row.currency THEN
            RAISE EXCEPTION 'items: products priced in different currencies cannot share an order'
                USING ERRCODE = 'XL400';
        END IF;
        v_currency := v_row.currency;
        v_total := v_total + v_line.qty::numeric * v_row.price_minor;
        v_skus := v_skus || v_line.sku;
        v_ids := v_ids || v_row.id;
        v_names := v_names || v_row.name;
        v_prices := v_prices || v_row.price_minor;
    END LOOP;
    IF v_total + p_fee > 9223372036854775807 THEN
        RAISE EXCEPTION 'items: the amounts overflow (% is more than an order can hold)', v_total
            USING ERRCODE = 'XL400';
    END IF;
    v_subtotal := v_total;
    IF v_currency = 'KRW' AND v_subtotal < p_free_from THEN
        v_fee := p_fee;
    END IF;
    WITH o AS (
        INSERT INTO orders (buyer_id, status, total_minor, shipping_minor, currency, client_ref, request_hash)
        VALUES (p_buyer, 'pending', v_subtotal + v_fee, v_fee, v_currency, p_client_ref, v_hash)
        RETURNING id, placed_at),
    i AS (
        INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_minor)
        SELECT o.id, t.n, p.id, t.qty, p.price
        FROM o, unnest(p_skus, p_qtys) WITH ORDINALITY AS t(sku, qty, n)
        JOIN unnest(v_skus, v_ids, v_prices) AS p(sku, id, price) ON p.sku = t.sku),
    h AS (
        INSERT INTO order_status_history (order_id, from_status, to_status, reason, changed_by, changed_at)
        SELECT o.id, NULL, 'pending', 'created', p_buyer, o.placed_at FROM o)
    SELECT o.id, o.placed_at INTO v_id, v_at FROM o;
    SELECT json_build_object('order_id', v_id, 'user_id', p_buyer, 'status', 'pending', 'client_ref', p_client_ref,
        'currency', v_currency,
        'items', json_agg(json_build_object('line_no', t.n, 'sku', t.sku, 'name', p.name, 'qty', t.qty,
                 'unit_price_minor', p.price, 'amount_minor', t.qty::bigint * p.price) ORDER BY t.n),
        'subtotal_minor', v_subtotal, 'shipping_fee_minor', v_fee, 'total_minor', v_subtotal + v_fee,
        'tracking_no', NULL, 'created_at', xl_rfc3339(v_at), 'updated_at', xl_rfc3339(v_at))
    INTO v_rec
    FROM unnest(p_skus, p_qtys) WITH ORDINALITY AS t(sku, qty, n)
    JOIN unnest(v_skus, v_names, v_prices) AS p(sku, name, price) ON p.sku = t.sku;
    INSERT INTO events (topic, key, payload) VALUES ('order.created', v_id::text, v_rec::jsonb);
    RETURN json_build_object('replayed', false, 'order', v_rec);
END;
$$;

-- Stock moves with every order: it is not an edit of the catalogue entry.
DROP TRIGGER products_touch ON products;
CREATE TRIGGER products_touch BEFORE UPDATE ON products FOR EACH ROW
    WHEN ((OLD.sku, OLD.name, OLD.category_id, OLD.seller_id, OLD.price_minor, OLD.currency, OLD.nutrition,
           OLD.image_path, OLD.active) IS DISTINCT FROM
          (NEW.sku, NEW.name, NEW.category_id, NEW.seller_id, NEW.price_minor, NEW.currency, NEW.nutrition,
           NEW.image_path, NEW.active))
    EXECUTE FUNCTION touch_updated_at();
