-- A small shop for the analyze and report tests, its answers worked out by hand
-- in tests/cli/t0300-analyze.sh. Load into an empty, migrated database.
-- Times are UTC; Seoul is 9 hours ahead.
--   o1 u1 delivered Sun 2026-11-22 23:59:59 KST (W47)  KF-001 x2 = 20000, shipping 3000
--   o2 u2 delivered Mon 2026-11-23 00:00:00 KST (W48)  KF-002 x3 = 4500 + KF-001 x1 = 10000
--   o3 u1 paid      Tue 2026-11-24 10:00 KST (W48)     KF-002 x1 = 1500, shipping 3000
--   o4 u3 pending   2026-11-24 (not a sale)           KF-001 x5
--   o5 u3 cancelled, never paid (not a sale)          KF-001 x1
--   o6 u2 cancelled after a capture, Wed 11-25 (W48)  KF-001 x3 = 30000; refunded 30000 on
--         Tue 2026-12-08 12:00 KST (W50, a week with no sales); a failed refund does not count
--   o7 u1 delivered Tue 2026-12-01 00:30 KST (W49)     KF-002 x2 = 3000, shipping 3000
--   o8 u3 delivered Tue 2026-11-24 11:00 KST (W48)     KF-003 x1 = 1001
INSERT INTO categories (slug, name) VALUES ('kimchi', '김치'), ('ramen', '라면');
INSERT INTO users (email, display_name) VALUES ('a@example.kr', 'A'), ('b@example.kr', 'B'), ('c@example.kr', 'C');
INSERT INTO products (sku, name, category_id, price_minor, stock)
VALUES ('KF-001', '포기김치', 1, 10000, 100), ('KF-002', '신라면', 2, 1500, 100), ('KF-003', '짜파게티', 2, 1001, 100);
INSERT INTO orders (buyer_id, status, total_minor, shipping_minor, placed_at) VALUES
  (1, 'delivered', 23000, 3000, '2026-11-22T14:59:59Z'),
  (2, 'delivered', 14500, 0, '2026-11-22T15:00:00Z'),
  (1, 'paid', 4500, 3000, '2026-11-24T01:00:00Z'),
  (3, 'pending', 50000, 0, '2026-11-24T02:00:00Z'),
  (3, 'cancelled', 10000, 0, '2026-11-25T02:00:00Z'),
  (2, 'cancelled', 30000, 0, '2026-11-25T00:00:00Z'),
  (1, 'delivered', 6000, 3000, '2026-11-30T15:30:00Z'),
  (3, 'delivered', 1001, 0, '2026-11-24T02:00:00Z');
INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_minor) VALUES
  (1, 1, 1, 2, 10000), (2, 1, 2, 3, 1500), (2, 2, 1, 1, 10000), (3, 1, 2, 1, 1500), (4, 1, 1, 5, 10000),
  (5, 1, 1, 1, 10000), (6, 1, 1, 3, 10000), (7, 1, 2, 2, 1500), (8, 1, 3, 1, 1001);
INSERT INTO payments (order_id, amount_minor, status, gateway, gateway_ref, refunded_minor)
VALUES (6, 30000, 'refunded', 'sandbox', 'pk-6', 30000);
INSERT INTO refunds (payment_id, amount_minor, status, created_at) VALUES
  (1, 30000, 'succeeded', '2026-12-08T03:00:00Z'), (1, 5000, 'failed', '2026-12-09T03:00:00Z');
