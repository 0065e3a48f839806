/* orders.c: a user's orders: made at the catalogue's prices, read, paid,
 * cancelled. Every change commits together with its outbox event. */
#include "common.h"

#include "app.h"
#include "jsonx.h"
#include "order.h"
#include "page.h"

#define ORDER_MAX_ITEMS 100
#define ORDER_MAX_QUANTITY 1000
#define ORDER_KEY_MAX 255

/* The columns orders_item_json() expects, in order. */
#define ITEM_COLUMNS "order_id, id, product_id, quantity, price"

/* One line of a new order. */
struct orders_line {
	int64_t product;
	int64_t quantity;
	int64_t price;
};

static int orders_not_found(struct req *r, int64_t id)
{
	return err_set(&r->err, ERR_NOT_FOUND, "Order %" PRId64 " not found",
		       id);
}

/* {id, productId, quantity, price} of row i (ITEM_COLUMNS). */
static struct json_object *orders_item_json(const struct db_res *res,
					    size_t i)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id",
			       json_object_new_int64(db_res_int(res, i, 1)));
	json_object_object_add(o, "productId",
			       json_object_new_int64(db_res_int(res, i, 2)));
	json_object_object_add(o, "quantity",
			       json_object_new_int64(db_res_int(res, i, 3)));
	json_object_object_add(o, "price",
			       json_object_new_int64(db_res_int(res, i, 4)));
	return o;
}

/*
 * The API's order: row i of an ORDER_COLUMNS result, with the rows of
 * items (ITEM_COLUMNS) that belong to it. The caller owns the object.
 */
static struct json_object *orders_json(const struct db_res *res, size_t i,
				       const struct db_res *items)
{
	struct json_object *o = json_object_new_object();
	struct json_object *list = json_object_new_array();
	int64_t id = db_res_int(res, i, 0);
	char t[32];
	size_t j;

	json_object_object_add(o, "id", json_object_new_int64(id));
	json_object_object_add(o, "userId",
			       json_object_new_int64(db_res_int(res, i, 1)));
	json_object_object_add(o, "status",
			       json_object_new_string(db_res_str(res, i, 2)));
	json_object_object_add(o, "totalAmount",
			       json_object_new_int64(db_res_int(res, i, 3)));
	json_object_object_add(o, "createdAt",
			       json_object_new_string(db_res_time(res, i, 4, t)));
	json_object_object_add(o, "updatedAt",
			       json_object_new_string(db_res_time(res, i, 5, t)));
	for (j = 0; items && j < db_res_rows(items); j++)
		if (db_res_int(items, j, 0) == id)
			json_object_array_add(list, orders_item_json(items, j));
	json_object_object_add(o, "items", list);
	return o;
}

/* orders_answer: answer status with row 0 of res and its items, read
 * now. Returns 0, or -1 with r->err set. */
static int orders_answer(struct req *r, int status, const struct db_res *res)
{
	struct db_res *items = NULL;

	if (db_query(r->env->db, &items,
		     "SELECT " ITEM_COLUMNS " FROM order_items "
		     "WHERE order_id = $1 ORDER BY id",
		     DB_ARGS(DB_I(db_res_int(res, 0, 0))), &r->err) < 0)
		return -1;
	req_json(r, status, orders_json(res, 0, items));
	db_res_free(items);
	return 0;
}

/*
 * orders_find: the order id as the caller may see it: theirs, or any for
 * an ADMIN; anyone else's is 404 as if it did not exist. *out (caller
 * frees) is its ORDER_COLUMNS row.
 */
static int orders_find(struct req *r, int64_t id, struct db_res **out)
{
	struct db_res *res;

	if (db_query(r->env->db, &res,
		     "SELECT " ORDER_COLUMNS " FROM orders WHERE id = $1",
		     DB_ARGS(DB_I(id)), &r->err) < 0)
		return -1;
	if (db_res_rows(res) != 1 ||
	    (db_res_int(res, 0, 1) != r->user.id &&
	     strcmp(r->user.role, "ADMIN") != 0)) {
		db_res_free(res);
		return orders_not_found(r, id);
	}
	*out = res;
	return 0;
}

/* ---- reads --------------------------------------------------------------- */

static const struct valid_field list_fields[] = {
	PAGE_FIELDS,
	{ NULL }
};

/* GET /api/orders: the caller's own orders, newest first, with items. */
static int orders_list(struct req *r)
{
	struct db_res *cnt = NULL, *res = NULL, *items = NULL;
	struct json_object *q, *o, *list;
	struct page p;
	size_t i;
	int ret = -1;

	if (req_query_valid(r, list_fields, &q) < 0 ||
	    page_get(r, q, 20, &p) < 0)
		return -1;
	/*
	 * total, the page and its items from one snapshot: read apart, an
	 * order committed between the statements shows with no items, or
	 * shifts the page under the items read for it.
	 */
	if (db_begin_read(r->env->db, &r->err) < 0)
		return -1;
	if (db_query(r->env->db, &cnt,
		     "SELECT count(*) FROM orders WHERE user_id = $1",
		     DB_ARGS(DB_I(r->user.id)), &r->err) < 0 ||
	    db_query(r->env->db, &res,
		     "SELECT " ORDER_COLUMNS " FROM orders WHERE user_id = $1 "
		     "ORDER BY created_at DESC, id DESC LIMIT $2 OFFSET $3",
		     DB_ARGS(DB_I(r->user.id), DB_I(p.size), DB_I(p.offset)),
		     &r->err) < 0)
		goto out;
	/* The items of the same page in one statement, whatever its size. */
	if (db_res_rows(res) &&
	    db_query(r->env->db, &items,
		     "SELECT i.order_id, i.id, i.product_id, i.quantity, "
		     "i.price FROM order_items i JOIN (SELECT id FROM orders "
		     "WHERE user_id = $1 ORDER BY created_at DESC, id DESC "
		     "LIMIT $2 OFFSET $3) o ON o.id = i.order_id "
		     "ORDER BY i.order_id, i.id",
		     DB_ARGS(DB_I(r->user.id), DB_I(p.size), DB_I(p.offset)),
		     &r->err) < 0)
		goto out;
	if (db_commit(r->env->db, &r->err) < 0)
		goto out;
	list = json_object_new_array();
	for (i = 0; i < db_res_rows(res); i++)
		json_object_array_add(list, orders_json(res, i, items));
	o = json_object_new_object();
	json_object_object_add(o, "total",
			       json_object_new_int64(db_res_int(cnt, 0, 0)));
	json_object_object_add(o, "items", list);
	ret = req_json(r, 200, o);
out:
	db_rollback(r->env->db);
	if (items)
		db_res_free(items);
	if (res)
		db_res_free(res);
	if (cnt)
		db_res_free(cnt);
	return ret;
}

static int orders_get(struct req *r)
{
	struct db_res *res;
	int64_t id;
	int ret;

	if (req_param_id(r, "id", &id) < 0 || orders_find(r, id, &res) < 0)
		return -1;
	ret = orders_answer(r, 200, res);
	db_res_free(res);
	return ret;
}

/* ---- create -------------------------------------------------------------- */

static const struct valid_field item_fields[] = {
	{ "productId", VALID_INT, VALID_REQUIRED, 1, INT64_MAX },
	{ "quantity", VALID_INT, VALID_REQUIRED, 1, ORDER_MAX_QUANTITY },
	{ NULL }
};

/*
 * orders_parse: {"items":[{"productId","quantity"}…]} into lines[] (room
 * for ORDER_MAX_ITEMS). A `price` in an item is dropped: prices come from
 * the catalogue. A product named twice is a 400 rather than merged, so
 * that an order's lines are the request's lines.
 */
static int orders_parse(struct req *r, struct json_object *body,
			struct orders_line *lines, size_t *n)
{
	struct json_object *items = NULL, *v;
	struct err *e = &r->err;
	size_t i, j, k, len = 0;

	*n = 0;
	memset(lines, 0, ORDER_MAX_ITEMS * sizeof(*lines));
	if (!json_object_is_type(body, json_type_object))
		return err_add(e, "body must be an object");
	json_object_object_get_ex(body, "items", &items);
	if (!items)
		err_add(e, "items should not be empty");
	else if (!json_object_is_type(items, json_type_array))
		err_add(e, "items must be an array");
	else if ((len = json_object_array_length(items)) < 1)
		err_add(e, "items must contain at least 1 elements");
	else if (len > ORDER_MAX_ITEMS)
		err_add(e, "items must contain no more than %d elements",
			ORDER_MAX_ITEMS);
	else
		for (i = 0; i < len; i++) {
			struct err ie = ERR_INIT;

			v = json_object_array_get_idx(items, i);
			if (!json_object_is_type(v, json_type_object)) {
				err_add(e, "items.%zu must be an object", i);
				continue;
			}
			json_object_object_del(v, "price");
			/* class-validator's nested messages: items.0.… */
			if (valid_body(v, item_fields, &ie) < 0)
				for (k = 0; k < ie.nlist; k++)
					err_add(e, "items.%zu.%s", i,
						ie.list[k]);
			if (e->code == ERR_BAD_REQUEST)
				e->more += ie.more;
			err_release(&ie);
			jsonx_get_int(v, "productId", &lines[i].product);
			jsonx_get_int(v, "quantity", &lines[i].quantity);
		}
	json_object_object_foreach(body, key, val) {
		(void)val;
		if (strcmp(key, "items") != 0)
			err_add(e, "property %s should not exist", key);
	}
	if (e->code)
		return -1;
	for (i = 0; i < len; i++)
		for (j = 0; j < i; j++)
			if (lines[i].product == lines[j].product)
				return err_add(e, "items.%zu.productId %" PRId64
					       " appears more than once", i,
					       lines[i].product);
	*n = len;
	return 0;
}

/* orders_key: the Idempotency-Key header, NULL when absent; else 1–255
 * visible ASCII characters or a 400. */
static int orders_key(struct req *r, const char **key)
{
	const char *k = req_getenv(r, "HTTP_IDEMPOTENCY_KEY");
	size_t i, len;

	*key = k;
	if (!k)
		return 0;
	len = strlen(k);
	for (i = 0; i < len; i++)
		if (k[i] < 0x21 || k[i] > 0x7e)
			break;
	if (len < 1 || len > ORDER_KEY_MAX || i < len)
		return err_add(&r->err, "Idempotency-Key must be 1 to %d "
			       "visible ASCII characters", ORDER_KEY_MAX);
	return 0;
}

/*
 * orders_replay: with an Idempotency-Key the caller used before, answer
 * the order it made (201 as the first time, with its current state) when
 * the request is the same, 409 when it is not. Returns 1 when the key is
 * new, 0 when answered, -1 with r->err set.
 */
static int orders_replay(struct req *r, const char *key, const char *request)
{
	struct db_res *res;
	int ret;

	if (db_query(r->env->db, &res,
		     "SELECT " ORDER_COLUMNS ", idempotency_request "
		     "FROM orders WHERE user_id = $1 AND idempotency_key = $2",
		     DB_ARGS(DB_I(r->user.id), DB_S(key)), &r->err) < 0)
		return -1;
	if (db_res_rows(res) != 1) {
		ret = 1;
	} else if (strcmp(db_res_str(res, 0, 6), request) != 0) {
		ret = err_set(&r->err, ERR_CONFLICT, "Idempotency-Key was "
			      "already used with a different request");
	} else {
		req_header(r, "Idempotent-Replayed", "true");
		ret = orders_answer(r, 201, res);
	}
	db_res_free(res);
	return ret;
}

/* orders_price: each line's price from the catalogue; only ACTIVE
 * products may be ordered. *total receives the order's amount. */
static int orders_price(struct req *r, struct orders_line *lines, size_t n,
			int64_t *total)
{
	struct db_res *res;
	int64_t sum = 0, line;
	bool ok;
	size_t i;

	for (i = 0; i < n; i++) {
		if (db_query(r->env->db, &res,
			     "SELECT price, status FROM products WHERE id = $1",
			     DB_ARGS(DB_I(lines[i].product)), &r->err) < 0)
			return -1;
		ok = db_res_rows(res) == 1 &&
		     !strcmp(db_res_str(res, 0, 1), "ACTIVE");
		if (ok)
			lines[i].price = db_res_int(res, 0, 0);
		db_res_free(res);
		if (!ok)
			return err_set(&r->err, ERR_BAD_REQUEST, "Product %"
				       PRId64 " is not available",
				       lines[i].product);
		if (__builtin_mul_overflow(lines[i].price, lines[i].quantity,
					   &line) ||
		    __builtin_add_overflow(sum, line, &sum))
			return err_add(&r->err, "totalAmount must not be "
				       "greater than %" PRId64, INT64_MAX);
	}
	*total = sum;
	return 0;
}

/*
 * orders_insert: the order, its items and its ORDER_CREATED event in one
 * transaction; *out (caller frees) is the order's row. A concurrent
 * request with the same Idempotency-Key makes the insert a conflict:
 * *raced is set, and the caller replays the order that won.
 */
static int orders_insert(struct req *r, const struct orders_line *lines,
			 size_t n, int64_t total, const char *key,
			 const char *request, struct db_res **out, bool *raced)
{
	struct db *db = r->env->db;
	struct db_res *res = NULL;
	char now[32];
	int64_t id;
	size_t i;

	*raced = false;
	db_now(now);
	if (db_begin(db, &r->err) < 0)
		return -1;
	if (db_query(db, &res,
		     "INSERT INTO orders (user_id, status, total_amount, "
		     "idempotency_key, idempotency_request, created_at, "
		     "updated_at) VALUES ($1, 'PENDING', $2, $3, $4, $5, $5) "
		     "RETURNING " ORDER_COLUMNS,
		     DB_ARGS(DB_I(r->user.id), DB_I(total), DB_S(key),
			     key ? DB_S(request) : DB_NUL, DB_S(now)),
		     &r->err) < 0) {
		*raced = key && r->err.code == ERR_CONFLICT;
		goto fail;
	}
	id = db_res_int(res, 0, 0);
	for (i = 0; i < n; i++)
		if (db_query(db, NULL,
			     "INSERT INTO order_items (order_id, product_id, "
			     "quantity, price) VALUES ($1, $2, $3, $4)",
			     DB_ARGS(DB_I(id), DB_I(lines[i].product),
				     DB_I(lines[i].quantity),
				     DB_I(lines[i].price)), &r->err) < 0)
			goto fail;
	if (order_event(db, "ORDER_CREATED", id, r->user.id, total,
			&r->err) < 0 ||
	    db_commit(db, &r->err) < 0)
		goto fail;
	*out = res;
	return 0;
fail:
	db_rollback(db);
	if (res)
		db_res_free(res);
	return -1;
}

static int orders_create(struct req *r)
{
	struct orders_line lines[ORDER_MAX_ITEMS];
	struct json_object *body;
	struct db_res *res = NULL;
	struct sbuf request;
	const char *key;
	int64_t total = 0;
	size_t n, i;
	bool raced;
	int ret = -1;

	if (orders_key(r, &key) < 0 || req_body(r, &body) < 0 ||
	    orders_parse(r, body, lines, &n) < 0)
		return -1;
	/* What a retry must repeat: the lines, not the JSON's spelling. */
	sbuf_init(&request, 0, 0);
	for (i = 0; i < n; i++)
		sbuf_addf(&request, "%s%" PRId64 ":%" PRId64, i ? "," : "",
			  lines[i].product, lines[i].quantity);
	if (key && (ret = orders_replay(r, key, request.buf)) != 1)
		goto out;
	ret = -1;
	if (orders_price(r, lines, n, &total) < 0)
		goto out;
	if (orders_insert(r, lines, n, total, key, request.buf, &res,
			  &raced) < 0) {
		if (raced) {
			err_release(&r->err);
			ret = orders_replay(r, key, request.buf);
			if (ret == 1)	/* the winner is gone: cannot be */
				ret = err_set(&r->err, ERR_INTERNAL,
					      "idempotency race: no order");
		}
		goto out;
	}
	ret = orders_answer(r, 201, res);
out:
	if (res)
		db_res_free(res);
	sbuf_release(&request);
	return ret;
}

/* ---- pay and cancel ------------------------------------------------------ */

/* Their body, when there is one, is {}. */
static const struct valid_field no_fields[] = {
	{ NULL }
};

/*
 * orders_move: PENDING -> to, with its event, in one transaction. Only a
 * PENDING order moves: anything else is 409 "Order 5 is PAID". The
 * UPDATE itself checks the status, so of two concurrent moves one wins.
 */
static int orders_move(struct req *r, const char *to, const char *type)
{
	struct db *db = r->env->db;
	struct db_res *res = NULL, *upd = NULL;
	struct json_object *body;
	char now[32];
	int64_t id;
	int ret = -1;

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_valid(r, no_fields, &body) < 0 ||
	    orders_find(r, id, &res) < 0)
		return -1;
	if (strcmp(db_res_str(res, 0, 2), "PENDING") != 0) {
		err_set(&r->err, ERR_CONFLICT, "Order %" PRId64 " is %s", id,
			db_res_str(res, 0, 2));
		goto out;
	}
	db_now(now);
	if (db_begin(db, &r->err) < 0)
		goto out;
	if (db_query(db, &upd,
		     "UPDATE orders SET status = $2, updated_at = $3 "
		     "WHERE id = $1 AND status = 'PENDING' "
		     "RETURNING " ORDER_COLUMNS,
		     DB_ARGS(DB_I(id), DB_S(to), DB_S(now)), &r->err) < 0)
		goto fail;
	if (db_res_rows(upd) != 1) {
		/* Moved by someone else since we read it. */
		db_rollback(db);
		db_res_free(res);
		res = NULL;
		if (orders_find(r, id, &res) == 0)
			err_set(&r->err, ERR_CONFLICT, "Order %" PRId64
				" is %s", id, db_res_str(res, 0, 2));
		goto out;
	}
	if (order_event(db, type, id, db_res_int(upd, 0, 1),
			db_res_int(upd, 0, 3), &r->err) < 0 ||
	    db_commit(db, &r->err) < 0)
		goto fail;
	ret = orders_answer(r, 201, upd);
	goto out;
fail:
	db_rollback(db);
out:
	if (upd)
		db_res_free(upd);
	if (res)
		db_res_free(res);
	return ret;
}

static int orders_pay(struct req *r)
{
	return orders_move(r, "PAID", "ORDER_PAID");
}

static int orders_cancel(struct req *r)
{
	return orders_move(r, "CANCELLED", "ORDER_CANCELLED");
}

static const struct route routes[] = {
	{ "GET", "/api/orders", orders_list, ROUTE_AUTH },
	{ "GET", "/api/orders/:id", orders_get, ROUTE_AUTH },
	{ "POST", "/api/orders", orders_create, ROUTE_AUTH },
	{ "POST", "/api/orders/:id/pay", orders_pay, ROUTE_AUTH },
	{ "POST", "/api/orders/:id/cancel", orders_cancel, ROUTE_AUTH },
	{ NULL }
};

int main(void)
{
	return app_main("orders", routes, CFG_NEED_JWT);
}
