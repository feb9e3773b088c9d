-- 001_core.sql: core schema of the xlcfi K-Food trading platform (PostgreSQL 15). Money is bigint *_minor plus
-- an ISO 4217 char(3) currency (KRW exponent 0); enumerations are text + CHECK so later migrations can widen them.

-- Keeps updated_at honest on tables that are modified in place.
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN NEW.updated_at := now(); RETURN NEW; END;
$$;

-- Every person or organisation that logs in; the role decides what they may do.
-- Emails are stored lower-cased so the unique constraint is case-insensitive in practice.
CREATE TABLE users (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email        text NOT NULL UNIQUE CHECK (email = lower(email) AND email LIKE '_%@_%'),
    display_name text NOT NULL,
    role         text NOT NULL DEFAULT 'buyer' CHECK (role IN ('buyer', 'seller', 'operator', 'admin')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE users IS 'Platform accounts (buyers, sellers, operators, admins).';

-- Product taxonomy as a tree; a NULL parent marks a top-level category.
CREATE TABLE categories (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id bigint REFERENCES categories (id),
    slug      text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name      text NOT NULL,
    CHECK (parent_id IS NULL OR parent_id <> id)
);
CREATE INDEX categories_parent_id_idx ON categories (parent_id);
COMMENT ON TABLE categories IS 'Hierarchical product categories.';

-- Sellable items. Stock can never go negative, so a sale that would oversell fails at the database.
CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text NOT NULL UNIQUE,
    name        text NOT NULL,
    category_id bigint NOT NULL REFERENCES categories (id),
    seller_id   bigint REFERENCES users (id),
    price_minor bigint NOT NULL CHECK (price_minor >= 0),
    currency    char(3) NOT NULL DEFAULT 'KRW' CHECK (currency ~ '^[A-Z]{3}$'),
    stock       integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
    nutrition   jsonb CHECK (nutrition IS NULL OR jsonb_typeof(nutrition) = 'object'),
    image_path  text,
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_category_id_idx ON products (category_id);
CREATE INDEX products_seller_id_idx ON products (seller_id);
CREATE TRIGGER products_touch BEFORE UPDATE ON products FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE products IS 'Catalogue of sellable K-Food products with price and stock.';

-- A buyer's order. total_minor is the sum of its lines in the order currency.
-- external_ref is a client-supplied key that makes order creation idempotent.
CREATE TABLE orders (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    buyer_id     bigint NOT NULL REFERENCES users (id),
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN
                 ('pending', 'paid', 'preparing', 'shipped', 'delivered', 'cancelled', 'refunded')),
    total_minor  bigint NOT NULL CHECK (total_minor >= 0),
    currency     char(3) NOT NULL DEFAULT 'KRW' CHECK (currency ~ '^[A-Z]{3}$'),
    external_ref text UNIQUE,
    placed_at    timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_buyer_placed_idx ON orders (buyer_id, placed_at);
CREATE INDEX orders_status_idx ON orders (status);
CREATE INDEX orders_placed_at_idx ON orders (placed_at);
CREATE TRIGGER orders_touch BEFORE UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE orders IS 'Buyer orders with lifecycle status and idempotent external reference.';

-- Lines of an order. The unit price is copied at order time so later price changes do not rewrite history.
CREATE TABLE order_items (
    order_id         bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no          integer NOT NULL CHECK (line_no > 0),
    product_id       bigint NOT NULL REFERENCES products (id),
    quantity         integer NOT NULL CHECK (quantity > 0),
    unit_price_minor bigint NOT NULL CHECK (unit_price_minor >= 0),
    PRIMARY KEY (order_id, line_no)
);
CREATE INDEX order_items_product_id_idx ON order_items (product_id);
COMMENT ON TABLE order_items IS 'Order lines with quantity and price snapshot.';

-- Append-only audit trail of order status transitions; from_status is NULL for the initial state.
CREATE TABLE order_status_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status text CHECK (from_status IN
                ('pending', 'paid', 'preparing', 'shipped', 'delivered', 'cancelled', 'refunded')),
    to_status   text NOT NULL CHECK (to_status IN
                ('pending', 'paid', 'preparing', 'shipped', 'delivered', 'cancelled', 'refunded')),
    reason      text,
    changed_by  bigint REFERENCES users (id),
    changed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_status_history_order_idx ON order_status_history (order_id, changed_at);
COMMENT ON TABLE order_status_history IS 'Audit log of order status transitions.';

-- A payment against an order through an external gateway; (gateway, gateway_ref) identifies it there.
CREATE TABLE payments (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id     bigint NOT NULL REFERENCES orders (id),
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency     char(3) NOT NULL DEFAULT 'KRW' CHECK (currency ~ '^[A-Z]{3}$'),
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'authorized', 'captured',
                 'failed', 'cancelled', 'refunded', 'partially_refunded')),
    gateway      text NOT NULL,
    gateway_ref  text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (gateway, gateway_ref)
);
CREATE INDEX payments_order_id_idx ON payments (order_id);
CREATE TRIGGER payments_touch BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE payments IS 'Payments for orders via external gateways.';

-- Each call to the gateway for a payment, numbered per payment, with raw request and response for disputes.
CREATE TABLE payment_attempts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id bigint NOT NULL REFERENCES payments (id),
    attempt_no integer NOT NULL CHECK (attempt_no > 0),
    request    jsonb,
    response   jsonb,
    outcome    text NOT NULL CHECK (outcome IN ('success', 'declined', 'error', 'timeout', 'unknown')),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payment_id, attempt_no)
);
COMMENT ON TABLE payment_attempts IS 'Individual gateway calls made for a payment.';

-- Server-side idempotency: a retried request with the same key replays the stored response.
-- A reused key with a different request_hash must be rejected by the application.
CREATE TABLE idempotency_keys (
    key          text PRIMARY KEY,
    scope        text NOT NULL,
    request_hash text NOT NULL,
    status       text NOT NULL DEFAULT 'in_progress' CHECK (status IN ('in_progress', 'completed', 'failed')),
    response     jsonb,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    CHECK (expires_at > created_at)
);
CREATE INDEX idempotency_keys_expires_at_idx ON idempotency_keys (expires_at);
COMMENT ON TABLE idempotency_keys IS 'Idempotency keys for retried API operations (e.g. pay.charge).';

-- Money returned against a payment; a payment may have several partial refunds.
CREATE TABLE refunds (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    payment_id   bigint NOT NULL REFERENCES payments (id),
    amount_minor bigint NOT NULL CHECK (amount_minor > 0),
    currency     char(3) NOT NULL DEFAULT 'KRW' CHECK (currency ~ '^[A-Z]{3}$'),
    reason       text,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed')),
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX refunds_payment_id_idx ON refunds (payment_id);
COMMENT ON TABLE refunds IS 'Full or partial refunds of payments.';

-- Loyalty-point accounts. User accounts belong to a user and can never go negative; system accounts
-- (issuance, redemption, expiry, adjustment) have no user and act as the other side of each entry.
-- balance is a cache of sum(point_entries.amount), updated by the application in the same transaction.
CREATE TABLE point_accounts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint REFERENCES users (id),
    kind       text NOT NULL CHECK (kind IN ('user', 'issuance', 'redemption', 'expiry', 'adjustment')),
    balance    bigint NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK (kind <> 'user' OR balance >= 0),
    CHECK ((kind = 'user') = (user_id IS NOT NULL)),
    UNIQUE NULLS NOT DISTINCT (user_id, kind)
);
COMMENT ON TABLE point_accounts IS 'Loyalty-point accounts: one per user plus one system account per kind.';

-- A double-entry point movement; (kind, reference) makes posting the same business event idempotent.
CREATE TABLE point_transactions (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL,
    reference  text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, reference)
);
COMMENT ON TABLE point_transactions IS 'Double-entry point ledger transactions (idempotent by kind+reference).';

-- Legs of a point transaction. Invariant: the entries of each transaction sum to zero,
-- checked at commit by the deferred constraint trigger below so legs can be inserted one by one.
CREATE TABLE point_entries (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    transaction_id bigint NOT NULL REFERENCES point_transactions (id),
    account_id     bigint NOT NULL REFERENCES point_accounts (id),
    amount         bigint NOT NULL CHECK (amount <> 0)
);
CREATE INDEX point_entries_account_id_idx ON point_entries (account_id);
CREATE INDEX point_entries_transaction_id_idx ON point_entries (transaction_id);
COMMENT ON TABLE point_entries IS 'Ledger entries; each transaction''s entries must sum to zero.';

CREATE FUNCTION point_tx_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    tx    bigint;
    total numeric;
BEGIN
    FOREACH tx IN ARRAY ARRAY[CASE WHEN TG_OP <> 'DELETE' THEN NEW.transaction_id END,
                              CASE WHEN TG_OP <> 'INSERT' THEN OLD.transaction_id END] LOOP
        CONTINUE WHEN tx IS NULL;
        SELECT coalesce(sum(amount), 0) INTO total FROM point_entries WHERE transaction_id = tx;
        IF total <> 0 THEN
            RAISE EXCEPTION 'point transaction % is unbalanced: entries sum to %', tx, total
                USING ERRCODE = 'check_violation';
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER point_entries_balanced
    AFTER INSERT OR UPDATE OR DELETE ON point_entries
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION point_tx_balanced();

-- Product reviews; a user may review each product once per order it was bought in.
CREATE TABLE reviews (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id   bigint NOT NULL REFERENCES orders (id),
    product_id bigint NOT NULL REFERENCES products (id),
    user_id    bigint NOT NULL REFERENCES users (id),
    rating     smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body       text,
    status     text NOT NULL DEFAULT 'visible' CHECK (status IN ('visible', 'hidden', 'removed')),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, product_id, user_id)
);
CREATE INDEX reviews_product_created_idx ON reviews (product_id, created_at);
CREATE INDEX reviews_user_id_idx ON reviews (user_id);
COMMENT ON TABLE reviews IS 'Buyer reviews of purchased products.';

-- Abuse reports on reviews; each user can report a given review at most once.
CREATE TABLE review_reports (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    review_id   bigint NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
    reporter_id bigint NOT NULL REFERENCES users (id),
    reason      text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (review_id, reporter_id)
);
COMMENT ON TABLE review_reports IS 'User reports of inappropriate reviews.';

-- Implicit-feedback signals (views, carts, purchases) that feed the recommender.
CREATE TABLE interactions (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id),
    product_id  bigint NOT NULL REFERENCES products (id),
    kind        text NOT NULL CHECK (kind IN ('view', 'cart', 'purchase')),
    weight      integer NOT NULL DEFAULT 1 CHECK (weight > 0),
    occurred_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX interactions_user_occurred_idx ON interactions (user_id, occurred_at);
CREATE INDEX interactions_product_id_idx ON interactions (product_id);
CREATE INDEX interactions_occurred_at_idx ON interactions (occurred_at);
COMMENT ON TABLE interactions IS 'User-product interaction events used for recommendations.';

-- Transactional outbox: events are written in the same transaction as the change they describe,
-- then consumers read them in id order per topic.
CREATE TABLE events (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic      text NOT NULL CHECK (topic <> ''),
    key        text,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_topic_id_idx ON events (topic, id);
COMMENT ON TABLE events IS 'Transactional outbox of domain events.';

-- How far each consumer has read each outbox topic; advance it in the same transaction as the side effect.
CREATE TABLE consumer_offsets (
    consumer      text NOT NULL,
    topic         text NOT NULL,
    last_event_id bigint NOT NULL DEFAULT 0 CHECK (last_event_id >= 0),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic)
);
CREATE TRIGGER consumer_offsets_touch BEFORE UPDATE ON consumer_offsets
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
COMMENT ON TABLE consumer_offsets IS 'Per-consumer read position in the events outbox.';

-- Trained recommendation models; at most one model per kind is active (served) at a time.
CREATE TABLE rec_models (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind       text NOT NULL,
    params     jsonb,
    metrics    jsonb,
    trained_at timestamptz NOT NULL DEFAULT now(),
    active     boolean NOT NULL DEFAULT false
);
CREATE UNIQUE INDEX rec_models_one_active_per_kind ON rec_models (kind) WHERE active;
COMMENT ON TABLE rec_models IS 'Recommendation model versions; one active per kind.';

-- Precomputed recommendations. With user_id set, product_id is recommended to that user;
-- with user_id NULL, related_product_id is recommended alongside product_id (item-to-item).
CREATE TABLE rec_results (
    id                 bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    model_id           bigint NOT NULL REFERENCES rec_models (id) ON DELETE CASCADE,
    user_id            bigint REFERENCES users (id) ON DELETE CASCADE,
    product_id         bigint NOT NULL REFERENCES products (id),
    related_product_id bigint REFERENCES products (id),
    rank               integer NOT NULL CHECK (rank > 0),
    score              double precision,
    CHECK ((user_id IS NULL) <> (related_product_id IS NULL))
);
CREATE INDEX rec_results_user_rank_idx ON rec_results (model_id, user_id, rank);
CREATE INDEX rec_results_product_rank_idx ON rec_results (model_id, product_id, rank);
COMMENT ON TABLE rec_results IS 'Ranked recommendation outputs per model (user-to-item and item-to-item).';

-- A Merkle batch of record hashes anchored on a blockchain; a confirmed batch must have its tx hash and time.
CREATE TABLE anchor_batches (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    merkle_root bytea NOT NULL CHECK (octet_length(merkle_root) = 32),
    leaf_count  integer NOT NULL CHECK (leaf_count > 0),
    chain_id    bigint,
    tx_hash     text,
    status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'submitted', 'confirmed', 'failed')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    anchored_at timestamptz,
    CHECK (status <> 'confirmed' OR (tx_hash IS NOT NULL AND anchored_at IS NOT NULL))
);
CREATE INDEX anchor_batches_status_idx ON anchor_batches (status);
COMMENT ON TABLE anchor_batches IS 'Merkle-root batches anchored on-chain for tamper evidence.';

-- Leaves of an anchor batch, so any record can be proven against its batch's Merkle root.
CREATE TABLE anchor_leaves (
    batch_id    bigint NOT NULL REFERENCES anchor_batches (id) ON DELETE CASCADE,
    leaf_index  integer NOT NULL CHECK (leaf_index >= 0),
    record_kind text NOT NULL,
    record_key  text NOT NULL,
    leaf_hash   bytea NOT NULL CHECK (octet_length(leaf_hash) = 32),
    PRIMARY KEY (batch_id, leaf_index)
);
CREATE INDEX anchor_leaves_record_idx ON anchor_leaves (record_kind, record_key);
COMMENT ON TABLE anchor_leaves IS 'Hashed records included in an anchor batch.';

-- OCR output for product label images; phash (perceptual hash) finds near-duplicate images.
CREATE TABLE ocr_results (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id   bigint REFERENCES products (id),
    image_path   text NOT NULL,
    image_sha256 bytea CHECK (octet_length(image_sha256) = 32),
    lang         text,
    text         text,
    fields       jsonb,
    confidence   real CHECK (confidence BETWEEN 0 AND 100),
    quality      jsonb,
    phash        bigint,
    created_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ocr_results_product_id_idx ON ocr_results (product_id);
CREATE INDEX ocr_results_phash_idx ON ocr_results (phash);
COMMENT ON TABLE ocr_results IS 'OCR text and extracted fields from product label images.';

-- One row per batch job execution (ETL, training, anchoring); a running job has no finish time.
CREATE TABLE job_runs (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job              text NOT NULL,
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz,
    status           text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    exit_code        integer,
    records_in       bigint CHECK (records_in >= 0),
    records_out      bigint CHECK (records_out >= 0),
    records_rejected bigint CHECK (records_rejected >= 0),
    detail           jsonb,
    CHECK ((status = 'running') = (finished_at IS NULL)),
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);
CREATE INDEX job_runs_job_started_idx ON job_runs (job, started_at DESC);
COMMENT ON TABLE job_runs IS 'Execution log of batch jobs with record counts.';
