#include "xl_import_tables.h"

#include <string.h>

#include "xl_banned.h"

/*
 * Every load statement ends in "SELECT inserted, updated": rows new to the
 * table, and rows changed in it. Rows loaded but identical to what was
 * there are the rest.
 */
#define COUNTS " SELECT count(*) FILTER (WHERE ins), count(*) FILTER (WHERE NOT ins) FROM done"

/* The staging rows, one per key, the last one read winning (for --upsert). */
#define LATEST(key) "src AS (SELECT DISTINCT ON (" key ") * FROM xl_stage ORDER BY " key ", _seq DESC)"

static const char *const roles[] = { "buyer", "seller", "operator", "admin", NULL };
static const char *const statuses[] = {
	"pending", "paid", "preparing", "shipped", "delivered", "cancelled", "refunded", NULL
};
static const char *const kinds[] = { "view", "cart", "purchase", NULL };

/* categories ------------------------------------------------------------ */

static const struct xl_ifield category_fields[] = {
	{ "slug", NULL, "text", XL_V_SLUG, XL_IF_REQUIRED, 0, 0, NULL, NULL },
	{ "name", NULL, "text", XL_V_TEXT, XL_IF_REQUIRED | XL_IF_NONEMPTY, 0, 0, NULL, NULL },
	{ "parent", NULL, "text", XL_V_SLUG, 0, 0, 0, NULL, NULL },
	{ NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL }
};

static const struct xl_icheck category_checks[] = {
	{ "parent", "s.parent IS NOT NULL AND NOT EXISTS (SELECT 1 FROM categories c WHERE c.slug = s.parent)"
	  " AND NOT EXISTS (SELECT 1 FROM xl_stage p WHERE p.slug = s.parent)",
	  "s.parent", "no such parent category (not in the database nor in this input)" },
	{ "parent", "s.parent = s.slug", "s.parent", "a category cannot be its own parent" },
	{ NULL, NULL, NULL, NULL }
};

/* Parents may come in the same input: link them once all rows are in. */
#define CATEGORY_PARENTS \
	"UPDATE categories c SET parent_id = p.id FROM xl_stage s, categories p " \
	"WHERE c.slug = s.slug AND p.slug = s.parent AND c.parent_id IS DISTINCT FROM p.id"

/* products -------------------------------------------------------------- */

static const struct xl_ifield product_fields[] = {
	{ "sku", NULL, "text", XL_V_SKU, XL_IF_REQUIRED, 0, 0, NULL, NULL },
	{ "name", NULL, "text", XL_V_TEXT, XL_IF_REQUIRED | XL_IF_NONEMPTY, 0, 0, NULL, NULL },
	{ "category", NULL, "text", XL_V_SLUG, XL_IF_REQUIRED, 0, 0, NULL, NULL },
	{ "currency", NULL, "text", XL_V_CURRENCY, 0, 0, 0, NULL, NULL },
	{ "price", "price_minor", "bigint", XL_V_MONEY, 0, 0, 0, NULL, "price" },
	{ "price_minor", NULL, "bigint", XL_V_MONEY_MINOR, 0, 0, 0, NULL, "price" },
	{ "stock", NULL, "integer", XL_V_INT, 0, 0, 2147483647, NULL, NULL },
	{ "nutrition", NULL, "jsonb", XL_V_JSON, 0, 0, 0, NULL, NULL },
	{ "image_path", NULL, "text", XL_V_TEXT, XL_IF_NONEMPTY, 0, 0, NULL, NULL },
	{ "active", NULL, "boolean", XL_V_BOOL, 0, 0, 0, NULL, NULL },
	{ "seller", NULL, "text", XL_V_EMAIL, 0, 0, 0, NULL, NULL },
	{ NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL }
};

#define PRODUCT_COLS "c.id AS category_id, u.id AS seller_id"
#define PRODUCT_JOINS "LEFT JOIN categories c ON c.slug = s.category LEFT JOIN users u ON u.email = s.seller"

static const struct xl_icheck product_checks[] = {
	{ "category", "s.category_id IS NULL", "s.category", "no such category" },
	{ "seller", "s.seller IS NOT NULL AND s.seller_id IS NULL", "s.seller", "no such seller" },
	{ NULL, NULL, NULL, NULL }
};

#define PRODUCT_INSERT \
	"INSERT INTO products (sku, name, category_id, seller_id, price_minor, currency, stock, nutrition, " \
	"image_path, active) SELECT sku, name, category_id, seller_id, price_minor, currency, " \
	"coalesce(stock, 0), nutrition, image_path, coalesce(active, true) FROM src "

#define PRODUCT_LOAD \
	"WITH src AS (SELECT * FROM xl_stage), done AS (" PRODUCT_INSERT \
	"ON CONFLICT (sku) DO NOTHING RETURNING (xmax = 0) AS ins)" COUNTS

/*
 * Update what exists, then insert what does not. Done as an UPDATE (not ON
 * CONFLICT) so that a column the input does not give keeps its value: an
 * input without stock does not reset the stock.
 */
#define PRODUCT_UPSERT \
	"WITH " LATEST("sku") ", " \
	"upd AS (UPDATE products t SET name = s.name, category_id = s.category_id, " \
	"seller_id = coalesce(s.seller_id, t.seller_id), price_minor = s.price_minor, currency = s.currency, " \
	"stock = coalesce(s.stock, t.stock), nutrition = coalesce(s.nutrition, t.nutrition), " \
	"image_path = coalesce(s.image_path, t.image_path), active = coalesce(s.active, t.active) " \
	"FROM src s WHERE t.sku = s.sku AND (t.name, t.category_id, t.seller_id, t.price_minor, t.currency, " \
	"t.stock, t.nutrition, t.image_path, t.active) IS DISTINCT FROM (s.name, s.category_id, " \
	"coalesce(s.seller_id, t.seller_id), s.price_minor, s.currency, coalesce(s.stock, t.stock), " \
	"coalesce(s.nutrition, t.nutrition), coalesce(s.image_path, t.image_path), coalesce(s.active, t.active)) " \
	"RETURNING false AS ins), " \
	"new AS (" PRODUCT_INSERT "WHERE NOT EXISTS (SELECT 1 FROM products t WHERE t.sku = src.sku) " \
	"ON CONFLICT (sku) DO NOTHING RETURNING true AS ins), " \
	"done AS (SELECT ins FROM upd UNION ALL SELECT ins FROM new)" COUNTS

/* users ----------------------------------------------------------------- */

static const struct xl_ifield user_fields[] = {
	{ "email", NULL, "text", XL_V_EMAIL, 0, 0, 0, NULL, "id" },
	{ "ref", NULL, "text", XL_V_REF, 0, 0, 0, NULL, "id" },
	{ "display_name", NULL, "text", XL_V_TEXT, XL_IF_NONEMPTY, 0, 0, NULL, NULL },
	{ "role", NULL, "text", XL_V_ENUM, 0, 0, 0, roles, NULL },
	{ "created_at", NULL, "timestamptz", XL_V_TIME, 0, 0, 0, NULL, NULL },
	{ NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL }
};

static const struct xl_icheck user_checks[] = {
	{ "email", "s.ref IS NOT NULL AND s.email IS NOT NULL AND EXISTS (SELECT 1 FROM users u "
	  "WHERE u.email = s.email AND u.external_ref IS DISTINCT FROM s.ref)",
	  "s.email", "this email belongs to another user" },
	{ NULL, NULL, NULL, NULL }
};

#define USER_INSERT \
	"INSERT INTO users (email, external_ref, display_name, role, created_at) SELECT email, ref, " \
	"coalesce(display_name, split_part(email, '@', 1), 'customer ' || ref), coalesce(role, 'buyer'), " \
	"coalesce(created_at, now()) FROM src "

/* The identifying key: the ref when there is one, else the email. */
#define USER_KEY "coalesce(ref, email)"

#define USER_LOAD \
	"WITH src AS (SELECT * FROM xl_stage), done AS (" USER_INSERT \
	"ON CONFLICT DO NOTHING RETURNING (xmax = 0) AS ins)" COUNTS

/*
 * Rows with a ref are matched on it, rows without one on their email; a
 * column the input does not give keeps its value.
 */
#define USER_UPSERT \
	"WITH " LATEST(USER_KEY) ", " \
	"upd AS (UPDATE users t SET email = coalesce(s.email, t.email), " \
	"display_name = coalesce(s.display_name, t.display_name), role = coalesce(s.role, t.role) " \
	"FROM src s WHERE ((s.ref IS NOT NULL AND t.external_ref = s.ref) OR (s.ref IS NULL AND t.email = s.email)) " \
	"AND (t.email, t.display_name, t.role) IS DISTINCT FROM " \
	"(coalesce(s.email, t.email), coalesce(s.display_name, t.display_name), coalesce(s.role, t.role)) " \
	"RETURNING false AS ins), " \
	"new AS (" USER_INSERT "WHERE NOT EXISTS (SELECT 1 FROM users t WHERE (src.ref IS NOT NULL AND " \
	"t.external_ref = src.ref) OR (src.ref IS NULL AND t.email = src.email)) " \
	"ON CONFLICT DO NOTHING RETURNING true AS ins), " \
	"done AS (SELECT ins FROM upd UNION ALL SELECT ins FROM new)" COUNTS

/* orders, from one row per order line ----------------------------------- */

static const struct xl_ifield order_fields[] = {
	{ "order_ref", NULL, "text", XL_V_REF, XL_IF_REQUIRED, 0, 0, NULL, NULL },
	{ "buyer", NULL, "text", XL_V_EMAIL, 0, 0, 0, NULL, "buyer" },
	{ "buyer_ref", NULL, "text", XL_V_REF, 0, 0, 0, NULL, "buyer" },
	{ "sku", NULL, "text", XL_V_SKU, XL_IF_REQUIRED, 0, 0, NULL, NULL },
	{ "quantity", NULL, "integer", XL_V_INT, XL_IF_REQUIRED, 1, 1000000, NULL, NULL },
	{ "currency", NULL, "text", XL_V_CURRENCY, 0, 0, 0, NULL, NULL },
	{ "unit_price", "unit_price_minor", "bigint", XL_V_MONEY, 0, 0, 0, NULL, "unit_price" },
	{ "unit_price_minor", NULL, "bigint", XL_V_MONEY_MINOR, 0, 0, 0, NULL, "unit_price" },
	{ "placed_at", NULL, "timestamptz", XL_V_TIME, XL_IF_REQUIRED, 0, 0, NULL, NULL },
	{ "status", NULL, "text", XL_V_ENUM, 0, 0, 0, statuses, NULL },
	{ NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL }
};

#define ORDER_COLS "coalesce(ur.id, ue.id) AS buyer_id, p.id AS product_id"
#define USER_JOINS(ref, email) \
	"LEFT JOIN users ur ON s." ref " IS NOT NULL AND ur.external_ref = s." ref " " \
	"LEFT JOIN users ue ON s." ref " IS NULL AND ue.email = s." email " "
#define ORDER_JOINS USER_JOINS("buyer_ref", "buyer") "LEFT JOIN products p ON p.sku = s.sku"

static const struct xl_icheck order_checks[] = {
	{ "buyer", "s.buyer_id IS NULL", "coalesce(s.buyer_ref, s.buyer)", "no such buyer" },
	{ "sku", "s.product_id IS NULL", "s.sku", "no such product" },
	/*
	 * An order's lines must agree with its first good line on all but the
	 * item. Times may differ (a till that ticked over a minute): the order
	 * takes the earliest.
	 */
	{ "order_ref", "s._seq IN (SELECT _seq FROM (SELECT _seq, buyer_id, currency, status, "
	  "first_value(buyer_id) OVER w AS fb, first_value(currency) OVER w AS fc, "
	  "first_value(status) OVER w AS fs FROM xl_stage WHERE NOT _refused "
	  "WINDOW w AS (PARTITION BY order_ref ORDER BY _seq)) d "
	  "WHERE (d.buyer_id, d.currency, d.status) IS DISTINCT FROM (d.fb, d.fc, d.fs))",
	  "s.order_ref", "line disagrees with the order's first line on buyer, currency or status" },
	{ NULL, NULL, NULL, NULL }
};

/*
 * New orders with their lines (numbered in input order), totals and a
 * first status history row. An order already in the database is left as
 * it is: with --upsert its lines count as loaded and unchanged.
 */
#define ORDER_BODY \
	"new_orders AS (INSERT INTO orders (external_ref, buyer_id, status, total_minor, currency, placed_at) " \
	"SELECT order_ref, min(buyer_id), min(coalesce(status, 'delivered')), " \
	"sum(quantity::bigint * unit_price_minor), min(currency), min(placed_at) FROM xl_stage " \
	"GROUP BY order_ref ON CONFLICT (external_ref) WHERE external_ref IS NOT NULL DO NOTHING RETURNING id, external_ref, status, placed_at), " \
	"history AS (INSERT INTO order_status_history (order_id, from_status, to_status, reason, changed_at) " \
	"SELECT id, NULL, status, 'imported', placed_at FROM new_orders RETURNING 1), " \
	"items AS (INSERT INTO order_items (order_id, line_no, product_id, quantity, unit_price_minor) " \
	"SELECT o.id, row_number() OVER (PARTITION BY s.order_ref ORDER BY s._seq), s.product_id, " \
	"s.quantity, s.unit_price_minor FROM xl_stage s JOIN new_orders o ON o.external_ref = s.order_ref " \
	"RETURNING 1), " \
	"done AS (SELECT true AS ins FROM items)"

#define ORDER_LOAD "WITH " ORDER_BODY COUNTS

/*
 * The references of the bulk load: staged ids locked as the foreign-key
 * triggers would lock them, all found; and no foreign key or insert
 * trigger on the target tables that this does not cover.
 */
#define LOCKED(table, col) \
	"(WITH ids AS (SELECT DISTINCT " col " AS id FROM xl_stage) SELECT (SELECT count(*) FROM ids) = " \
	"(SELECT count(*) FROM (SELECT 1 FROM " table " WHERE id IN (SELECT id FROM ids) FOR KEY SHARE) l))"
#define ONLY_FKEYS(tables, names) \
	"(SELECT array_agg(conname::text ORDER BY conname::text) FROM pg_constraint WHERE contype = 'f' " \
	"AND conrelid = ANY (ARRAY[" tables "]::regclass[])) = ARRAY[" names "]::text[] " \
	"AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = ANY (ARRAY[" tables "]::regclass[]) " \
	"AND NOT tgisinternal AND tgenabled <> 'D' AND (tgtype & 4) <> 0)"

/* History rows have no changed_by; items and history reference the new orders. */
#define ORDER_BULK \
	"SELECT " ONLY_FKEYS("'orders', 'order_items', 'order_status_history'", \
			     "'order_items_order_id_fkey', 'order_items_product_id_fkey', " \
			     "'order_status_history_changed_by_fkey', 'order_status_history_order_id_fkey', " \
			     "'orders_buyer_id_fkey'") \
	" AND " LOCKED("users", "buyer_id") " AND " LOCKED("products", "product_id")

/* interactions ---------------------------------------------------------- */

static const struct xl_ifield interaction_fields[] = {
	{ "user", NULL, "text", XL_V_EMAIL, 0, 0, 0, NULL, "user" },
	{ "user_ref", NULL, "text", XL_V_REF, 0, 0, 0, NULL, "user" },
	{ "sku", NULL, "text", XL_V_SKU, XL_IF_REQUIRED, 0, 0, NULL, NULL },
	{ "kind", NULL, "text", XL_V_ENUM, XL_IF_REQUIRED, 0, 0, kinds, NULL },
	{ "weight", NULL, "integer", XL_V_INT, 0, 1, 1000000, NULL, NULL },
	{ "occurred_at", NULL, "timestamptz", XL_V_TIME, XL_IF_REQUIRED, 0, 0, NULL, NULL },
	{ NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL }
};

#define INTERACTION_COLS "coalesce(ur.id, ue.id) AS user_id, p.id AS product_id"
#define INTERACTION_JOINS USER_JOINS("user_ref", "\"user\"") "LEFT JOIN products p ON p.sku = s.sku"

static const struct xl_icheck interaction_checks[] = {
	{ "user", "s.user_id IS NULL", "coalesce(s.user_ref, s.\"user\")", "no such user" },
	{ "sku", "s.product_id IS NULL", "s.sku", "no such product" },
	{ NULL, NULL, NULL, NULL }
};

#define INTERACTION_BULK \
	"SELECT " ONLY_FKEYS("'interactions'", "'interactions_product_id_fkey', 'interactions_user_id_fkey'") \
	" AND " LOCKED("users", "user_id") " AND " LOCKED("products", "product_id")

#define INTERACTION_LOAD \
	"WITH done AS (INSERT INTO interactions (user_id, product_id, kind, weight, occurred_at) " \
	"SELECT user_id, product_id, kind, coalesce(weight, 1), occurred_at FROM xl_stage " \
	"RETURNING true AS ins)" COUNTS

/* reviews --------------------------------------------------------------- */

static const struct xl_ifield review_fields[] = {
	{ "order_ref", NULL, "text", XL_V_REF, XL_IF_REQUIRED, 0, 0, NULL, NULL },
	{ "sku", NULL, "text", XL_V_SKU, XL_IF_REQUIRED, 0, 0, NULL, NULL },
	{ "user", NULL, "text", XL_V_EMAIL, 0, 0, 0, NULL, NULL },
	{ "user_ref", NULL, "text", XL_V_REF, 0, 0, 0, NULL, NULL },
	{ "rating", NULL, "smallint", XL_V_INT, XL_IF_REQUIRED, 1, 5, NULL, NULL },
	{ "body", NULL, "text", XL_V_TEXT, 0, 0, 0, NULL, NULL },
	{ "created_at", NULL, "timestamptz", XL_V_TIME, 0, 0, 0, NULL, NULL },
	{ NULL, NULL, NULL, 0, 0, 0, 0, NULL, NULL }
};

/* Without a user the review is the buyer's. */
#define REVIEW_COLS "o.id AS order_id, o.buyer_id AS buyer_id, p.id AS product_id, " \
	"CASE WHEN s.user_ref IS NULL AND s.\"user\" IS NULL THEN o.buyer_id ELSE coalesce(ur.id, ue.id) END AS user_id"
#define REVIEW_JOINS USER_JOINS("user_ref", "\"user\"") \
	"LEFT JOIN products p ON p.sku = s.sku LEFT JOIN orders o ON o.external_ref = s.order_ref"

static const struct xl_icheck review_checks[] = {
	{ "order_ref", "s.order_id IS NULL", "s.order_ref", "no such order" },
	{ "sku", "s.product_id IS NULL", "s.sku", "no such product" },
	{ "user", "s.user_id IS NULL", "coalesce(s.user_ref, s.\"user\")", "no such user" },
	{ "sku", "NOT EXISTS (SELECT 1 FROM order_items i WHERE i.order_id = s.order_id AND i.product_id = s.product_id)",
	  "s.sku", "the order has no such product" },
	{ "user", "s.user_id <> s.buyer_id", "coalesce(s.user_ref, s.\"user\")", "only the order's buyer can review it" },
	{ NULL, NULL, NULL, NULL }
};

#define REVIEW_INSERT \
	"INSERT INTO reviews (order_id, product_id, user_id, rating, body, created_at) " \
	"SELECT order_id, product_id, user_id, rating, body, coalesce(created_at, now()) FROM src "

#define REVIEW_LOAD \
	"WITH src AS (SELECT * FROM xl_stage), done AS (" REVIEW_INSERT \
	"ON CONFLICT DO NOTHING RETURNING (xmax = 0) AS ins)" COUNTS

#define REVIEW_UPSERT \
	"WITH " LATEST("order_id, product_id, user_id") ", done AS (" REVIEW_INSERT \
	"ON CONFLICT (order_id, product_id, user_id) DO UPDATE SET rating = EXCLUDED.rating, " \
	"body = coalesce(EXCLUDED.body, reviews.body) " \
	"WHERE (reviews.rating, reviews.body) IS DISTINCT FROM (EXCLUDED.rating, coalesce(EXCLUDED.body, reviews.body)) " \
	"RETURNING (xmax = 0) AS ins)" COUNTS

/* ----------------------------------------------------------------------- */

static const struct xl_itable tables[] = {
	{ "categories", category_fields, NULL, NULL, category_checks, "slug",
	  "EXISTS (SELECT 1 FROM categories t WHERE t.slug = s.slug)",
	  "WITH src AS (SELECT * FROM xl_stage), done AS (INSERT INTO categories (slug, name) "
	  "SELECT slug, name FROM src ON CONFLICT (slug) DO NOTHING RETURNING (xmax = 0) AS ins)" COUNTS,
	  "WITH " LATEST("slug") ", done AS (INSERT INTO categories (slug, name) SELECT slug, name FROM src "
	  "ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name WHERE categories.name IS DISTINCT FROM EXCLUDED.name "
	  "RETURNING (xmax = 0) AS ins)" COUNTS,
	  CATEGORY_PARENTS, NULL, NULL },
	{ "products", product_fields, PRODUCT_COLS, PRODUCT_JOINS, product_checks,
	  "sku", "EXISTS (SELECT 1 FROM products t WHERE t.sku = s.sku)", PRODUCT_LOAD, PRODUCT_UPSERT, NULL, NULL, NULL },
	{ "users", user_fields, NULL, NULL, user_checks, USER_KEY,
	  "EXISTS (SELECT 1 FROM users t WHERE (s.ref IS NOT NULL AND t.external_ref = s.ref) "
	  "OR (s.ref IS NULL AND t.email = s.email))", USER_LOAD, USER_UPSERT, NULL, NULL, NULL },
	{ "orders", order_fields, ORDER_COLS, ORDER_JOINS, order_checks, NULL,
	  "EXISTS (SELECT 1 FROM orders t WHERE t.external_ref = s.order_ref)",
	  ORDER_LOAD, ORDER_LOAD, NULL, "order_ref", ORDER_BULK },
	{ "interactions", interaction_fields, INTERACTION_COLS, INTERACTION_JOINS, interaction_checks, NULL, NULL,
	  INTERACTION_LOAD, NULL, NULL, NULL, INTERACTION_BULK },
	{ "reviews", review_fields, REVIEW_COLS, REVIEW_JOINS, review_checks, "order_id, product_id, user_id",
	  "EXISTS (SELECT 1 FROM reviews t WHERE t.order_id = s.order_id AND t.product_id = s.product_id "
	  "AND t.user_id = s.user_id)", REVIEW_LOAD, REVIEW_UPSERT, NULL, NULL, NULL },
};

const struct xl_itable *xl_itable_find(const char *name)
{
	for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++)
		if (!strcmp(tables[i].name, name))
			return &tables[i];
	return NULL;
}

const char *xl_itable_names(void)
{
	return "categories, products, users, orders, interactions, reviews";
}
