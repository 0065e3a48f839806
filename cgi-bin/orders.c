/* orders.c: a user's orders: made at the catalogue's prices, read, paid,
 * cancelled; each change commits with its outbox event (lib/order.c). */
#include "common.h"

#include "app.h"
#include "jsonx.h"
#include "order.h"
#include "page.h"

#define ORDER_MAX_ITEMS	   100
#define ORDER_MAX_QUANTITY 1000
#define ORDER_KEY_MAX	   255

/* orders_answer: answer status with row 0 of res and its items, read
 * now. Returns 0, or -1 with r->err set. */
static int orders_answer(struct req *r, int status, const struct db_res *res)
{
	struct json_object *o;

	if (order_json(r->env->db, res, 0, &o, &r->err) < 0)
		return -1;
	return req_json(r, status, o);
}

/*
 * orders_find: the order id as the caller may see it: theirs, or any for
 * an ADMIN; anyone else's is 404 as if it did not exist. *out (caller
 * frees) is its row (order_cols).
 */
static int orders_find(struct req *r, int64_t id, struct db_res **out)
{
	struct db_res *res;

	if (order_find(r->env->db, id, &res, &r->err) < 0)
		return -1;
	if (db_res_rows(res) != 1 ||
	    (db_res_int(res, 0, ORDER_USER) != r->user.id &&
	     strcmp(r->user.role, "ADMIN") != 0)) {
		db_res_free(res);
		return err_set(&r->err, ERR_NOT_FOUND,
			       "Order %" PRId64 " not found", id);
	}
	*out = res;
	return 0;
}

/* ---- reads --------------------------------------------------------------- */

static const struct valid_field list_fields[] = {
	PAGE_FIELDS,
	{ NULL },
};

/* GET /api/orders: the caller's own orders, newest first, with items. */
static int orders_list(struct req *r)
{
	struct json_object *q, *o;
	struct page p;

	if (req_query_valid(r, list_fields, &q) < 0 ||
	    page_get(r, q, 20, &p) < 0 ||
	    order_list(r->env->db, r->user.id, p.size, p.offset, &o, &r->err) <
		    0)
		return -1;
	return req_json(r, 200, o);
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
	{ NULL },
};

/*
 * orders_parse: {"items":[{"productId","quantity"}…]} into lines[] (room
 * for ORDER_MAX_ITEMS). A `price` in an item is dropped: prices come from
 * the catalogue. A product named twice is a 400 rather than merged, so
 * that an order's lines are the request's lines.
 */
static int orders_parse(struct req *r, struct json_object *body,
			struct order_line *lines, size_t *n)
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
	json_object_object_foreach (body, key, val) {
		(void)val;
		if (strcmp(key, "items") != 0)
			err_add(e, "property %s should not exist", key);
	}
	if (e->code)
		return -1;
	for (i = 0; i < len; i++)
		for (j = 0; j < i; j++)
			if (lines[i].product == lines[j].product)
				return err_add(e,
					       "items.%zu.productId %" PRId64
					       " appears more than once",
					       i, lines[i].product);
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
		return err_add(&r->err,
			       "Idempotency-Key must be 1 to %d "
			       "visible ASCII characters",
			       ORDER_KEY_MAX);
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

	if (order_by_key(r->env->db, r->user.id, key, &res, &r->err) < 0)
		return -1;
	if (db_res_rows(res) != 1) {
		ret = 1;
	} else if (strcmp(db_res_str(res, 0, ORDER_REQUEST), request) != 0) {
		ret = err_set(&r->err, ERR_CONFLICT,
			      "Idempotency-Key was "
			      "already used with a different request");
	} else {
		req_header(r, "Idempotent-Replayed", "true");
		ret = orders_answer(r, 201, res);
	}
	db_res_free(res);
	return ret;
}

static int orders_create(struct req *r)
{
	struct order_line lines[ORDER_MAX_ITEMS];
	struct json_object *body;
	struct db_res *res = NULL;
	struct sbuf request;
	const char *key;
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
	if (order_create(r->env->db, r->user.id, lines, n, key, request.buf,
			 &res, &raced, &r->err) < 0) {
		if (raced) {
			err_release(&r->err);
			ret = orders_replay(r, key, request.buf);
			if (ret == 1) /* the winner is gone: cannot be */
				ret = err_set(&r->err, ERR_INTERNAL,
					      "idempotency race: no order");
		}
		goto out;
	}
	ret = orders_answer(r, 201, res);
out:
	db_res_free(res);
	sbuf_release(&request);
	return ret;
}

/* ---- pay and cancel ------------------------------------------------------ */

/* Their body, when there is one, is {}. */
static const struct valid_field no_fields[] = {
	{ NULL },
};

/* orders_move: PENDING -> to (order_move()): anything else is 409
 * "Order 5 is PAID". */
static int orders_move(struct req *r, enum order_status to)
{
	struct db_res *res = NULL, *moved = NULL;
	struct json_object *body;
	int64_t id;
	int ret = -1;

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_valid(r, no_fields, &body) < 0 ||
	    orders_find(r, id, &res) < 0)
		return -1;
	if (order_move(r->env->db, id, to, &moved, &r->err) == 0)
		ret = orders_answer(r, 201, moved);
	db_res_free(moved);
	db_res_free(res);
	return ret;
}

static int orders_pay(struct req *r)
{
	return orders_move(r, ORDER_PAID);
}

static int orders_cancel(struct req *r)
{
	return orders_move(r, ORDER_CANCELLED);
}

static const struct route routes[] = {
	{ "GET", "/api/orders", orders_list, ROUTE_AUTH },
	{ "GET", "/api/orders/:id", orders_get, ROUTE_AUTH },
	{ "POST", "/api/orders", orders_create, ROUTE_AUTH },
	{ "POST", "/api/orders/:id/pay", orders_pay, ROUTE_AUTH },
	{ "POST", "/api/orders/:id/cancel", orders_cancel, ROUTE_AUTH },
	{ NULL },
};

APP_MAIN("orders", routes, CFG_NEED_JWT)
