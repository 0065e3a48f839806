-- 0006_orders: orders and their items, prices copied at order time.
--
-- An order made with an Idempotency-Key keeps the key and the request it
-- answered (its items in canonical form, "productId:quantity,..."): a
-- retry with the same key and the same items gets this order back, the
-- same key with other items is refused. Keys are scoped to their user.
CREATE TABLE orders (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	user_id integer NOT NULL REFERENCES users (id),
	status text NOT NULL DEFAULT 'PENDING'
		CHECK (status IN ('PENDING', 'PAID', 'CANCELLED')),
	total_amount integer NOT NULL CHECK (total_amount >= 0),
	idempotency_key text,
	idempotency_request text,
	created_at text NOT NULL
		DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
	updated_at text NOT NULL
		DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
CREATE UNIQUE INDEX orders_idempotency ON orders (user_id, idempotency_key)
	WHERE idempotency_key IS NOT NULL;
-- A user's list, newest first; the expire-orders job.
CREATE INDEX orders_user_created ON orders (user_id, created_at DESC,
	id DESC);
CREATE INDEX orders_pending ON orders (created_at) WHERE status = 'PENDING';

-- product_id is not a foreign key: a product may be deleted, its orders
-- stay as they were.
CREATE TABLE order_items (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	order_id integer NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
	product_id integer NOT NULL,
	quantity integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
	price integer NOT NULL CHECK (price >= 0)
);
CREATE INDEX order_items_order ON order_items (order_id, id);
