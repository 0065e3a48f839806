/* order.c: orders and their items: rows as JSON, creation, the one status
 * transition with its event, the expiry of unpaid orders. */
#include "common.h"

#include "clock.h"
#include "order.h"
#include "outbox.h"
#include "page.h"
#include "product.h"

const struct col order_cols[] = {
	[ORDER_ID] = COL_ID,
	[ORDER_USER] = { "user_id", "userId", COL_INT },
	[ORDER_STATUS] = { "status", "status", COL_TEXT },
	[ORDER_TOTAL] = { "total_amount", "totalAmount", COL_INT },
	[ORDER_CREATED] = COL_CREATED_AT,
	[ORDER_UPDATED] = COL_UPDATED_AT,
	[ORDER_REQUEST] = { "idempotency_request", NULL, COL_TEXT },
	{ NULL },
};

/* An item as the API shows it, after the order it belongs to. */
enum { ITEM_ORDER, ITEM_ID, ITEM_PRODUCT, ITEM_QUANTITY, ITEM_PRICE };
static const struct col item_cols[] = {
	[ITEM_ORDER] = { "order_id", NULL, COL_INT },
	[ITEM_ID] = COL_ID,
	[ITEM_PRODUCT] = { "product_id", "productId", COL_INT },
	[ITEM_QUANTITY] = { "quantity", "quantity", COL_INT },
	[ITEM_PRICE] = { "price", "price", COL_INT },
	{ NULL },
};

static const char *const status_names[] = {
	[ORDER_PENDING] = "PENDING",
	[ORDER_PAID] = "PAID",
	[ORDER_CANCELLED] = "CANCELLED",
};

/* The event of reaching each status. */
static const char *const status_events[] = {
	[ORDER_PENDING] = "ORDER_CREATED",
	[ORDER_PAID] = "ORDER_PAID",
	[ORDER_CANCELLED] = "ORDER_CANCELLED",
};

const char *order_status_name(enum order_status s)
{
	return status_names[s];
}

static int order_not_found(struct err *e, int64_t id)
{
	return err_set(e, ERR_NOT_FOUND, "Order %" PRId64 " not found", id);
}

int order_find(struct db *db, int64_t id, struct db_res **out, struct err *e)
{
	return col_query(db, out, "SELECT ", order_cols,
			 " FROM orders WHERE id = $1", DB_ARGS(DB_I(id)), e);
}

int order_by_key(struct db *db, int64_t user_id, const char *key,
		 struct db_res **out, struct err *e)
{
	return col_query(db, out, "SELECT ", order_cols,
			 " FROM orders "
			 "WHERE user_id = $1 AND idempotency_key = $2",
			 DB_ARGS(DB_I(user_id), DB_S(key)), e);
}

/*
 * The API's order: row i of res with the rows of items (item_cols) that
 * belong to it. The caller owns the object.
 */
static struct json_object *order_obj(const struct db_res *res, size_t i,
				     const struct db_res *items)
{
	struct json_object *o = col_json(order_cols, res, i);
	struct json_object *list = json_object_new_array();
	int64_t id = db_res_int(res, i, ORDER_ID);
	size_t j;

	for (j = 0; items && j < db_res_rows(items); j++)
		if (db_res_int(items, j, ITEM_ORDER) == id)
			json_object_array_add(list,
					      col_json(item_cols, items, j));
	json_object_object_add(o, "items", list);
	return o;
}

int order_json(struct db *db, const struct db_res *res, size_t row,
	       struct json_object **out, struct err *e)
{
	struct db_res *items = NULL;

	if (col_query(db, &items, "SELECT ", item_cols,
		      " FROM order_items "
		      "WHERE order_id = $1 ORDER BY id",
		      DB_ARGS(DB_I(db_res_int(res, row, ORDER_ID))), e) < 0)
		return -1;
	*out = order_obj(res, row, items);
	db_res_free(items);
	return 0;
}

int order_list(struct db *db, int64_t user_id, int64_t limit, int64_t offset,
	       struct json_object **out, struct err *e)
{
	struct db_res *cnt = NULL, *res = NULL, *items = NULL;
	struct sbuf sql = SBUF_INIT;
	struct json_object *list;
	size_t i;
	int ret = -1;

	/*
	 * total, the page and its items from one snapshot: read apart, an
	 * order committed between the statements shows with no items, or
	 * shifts the page under the items read for it.
	 */
	if (db_begin_read(db, e) < 0)
		return -1;
	if (db_query(db, &cnt,
		     "SELECT count(*) FROM orders WHERE "
		     "user_id = $1",
		     DB_ARGS(DB_I(user_id)), e) < 0 ||
	    col_query(db, &res, "SELECT ", order_cols,
		      " FROM orders "
		      "WHERE user_id = $1 ORDER BY created_at DESC, id DESC "
		      "LIMIT $2 OFFSET $3",
		      DB_ARGS(DB_I(user_id), DB_I(limit), DB_I(offset)), e) < 0)
		goto out;
	/* The items of the same page in one statement, whatever its size. */
	sbuf_addstr(&sql, "SELECT ");
	col_list(&sql, item_cols, "i");
	sbuf_addstr(&sql,
		    " FROM order_items i JOIN (SELECT id FROM orders "
		    "WHERE user_id = $1 ORDER BY created_at DESC, id DESC "
		    "LIMIT $2 OFFSET $3) o ON o.id = i.order_id "
		    "ORDER BY i.order_id, i.id");
	if (db_res_rows(res) &&
	    db_query(db, &items, sql.buf,
		     DB_ARGS(DB_I(user_id), DB_I(limit), DB_I(offset)), e) < 0)
		goto out;
	if (db_commit(db, e) < 0)
		goto out;
	list = json_object_new_array();
	for (i = 0; i < db_res_rows(res); i++)
		json_object_array_add(list, order_obj(res, i, items));
	*out = page_json(cnt, list);
	ret = 0;
out:
	db_rollback(db);
	db_res_free(items);
	db_res_free(res);
	db_res_free(cnt);
	sbuf_release(&sql);
	return ret;
}

/*
 * order_event: append the event of order row 0 of res reaching its
 * status: aggregatetype "order", aggregateid the order id, payload
 * {"eventId","eventType","timestamp","orderId","userId","totalAmount"}
 * where eventId is the outbox row's id. Inside the change's transaction.
 */
static int order_event(struct db *db, enum order_status reached,
		       const struct db_res *res, struct err *e)
{
	struct json_object *p = json_object_new_object();
	const char *type = status_events[reached];
	char id[OUTBOX_ID_LEN], now[32], aggid[24];
	int64_t order_id = db_res_int(res, 0, ORDER_ID);
	int ret;

	/* The id is chosen first so that the payload can carry it: the
	 * consumers' idempotency key (notifications.event_id). */
	outbox_new_id(id);
	db_now(now);
	json_object_object_add(p, "eventId", json_object_new_string(id));
	json_object_object_add(p, "eventType", json_object_new_string(type));
	json_object_object_add(p, "timestamp", json_object_new_string(now));
	json_object_object_add(p, "orderId", json_object_new_int64(order_id));
	json_object_object_add(p, "userId",
			       json_object_new_int64(
				       db_res_int(res, 0, ORDER_USER)));
	json_object_object_add(p, "totalAmount",
			       json_object_new_int64(
				       db_res_int(res, 0, ORDER_TOTAL)));
	snprintf(aggid, sizeof(aggid), "%" PRId64, order_id);
	ret = outbox_append_id(db, id, "order", aggid, type, p, e);
	json_object_put(p);
	return ret;
}

/* order_price: each line's price from the catalogue; *total receives the
 * order's amount. */
static int order_price(struct db *db, struct order_line *lines, size_t n,
		       int64_t *total, struct err *e)
{
	int64_t sum = 0, line;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		rc = product_price(db, lines[i].product, &lines[i].price, e);
		if (rc < 0)
			return -1;
		if (rc == 0)
			return err_set(e, ERR_BAD_REQUEST,
				       "Product %" PRId64 " is not available",
				       lines[i].product);
		if (__builtin_mul_overflow(lines[i].price, lines[i].quantity,
					   &line) ||
		    __builtin_add_overflow(sum, line, &sum))
			return err_add(e,
				       "totalAmount must not be greater "
				       "than %" PRId64,
				       INT64_MAX);
	}
	*total = sum;
	return 0;
}

int order_create(struct db *db, int64_t user_id, struct order_line *lines,
		 size_t n, const char *key, const char *request,
		 struct db_res **out, bool *raced, struct err *e)
{
	struct db_res *res = NULL;
	int64_t total = 0, id;
	char now[32];
	size_t i;

	*raced = false;
	if (order_price(db, lines, n, &total, e) < 0)
		return -1;
	db_now(now);
	if (db_begin(db, e) < 0)
		return -1;
	if (col_query(db, &res,
		      "INSERT INTO orders (user_id, status, "
		      "total_amount, idempotency_key, idempotency_request, "
		      "created_at, updated_at) VALUES ($1, 'PENDING', $2, $3, "
		      "$4, $5, $5) RETURNING ",
		      order_cols, "",
		      DB_ARGS(DB_I(user_id), DB_I(total), DB_S(key),
			      key ? DB_S(request) : DB_NUL, DB_S(now)),
		      e) < 0) {
		*raced = key && e->code == ERR_CONFLICT;
		goto fail;
	}
	id = db_res_int(res, 0, ORDER_ID);
	for (i = 0; i < n; i++)
		if (db_query(db, NULL,
			     "INSERT INTO order_items (order_id, product_id, "
			     "quantity, price) VALUES ($1, $2, $3, $4)",
			     DB_ARGS(DB_I(id), DB_I(lines[i].product),
				     DB_I(lines[i].quantity),
				     DB_I(lines[i].price)),
			     e) < 0)
			goto fail;
	if (order_event(db, ORDER_PENDING, res, e) < 0 || db_commit(db, e) < 0)
		goto fail;
	*out = res;
	return 0;
fail:
	db_rollback(db);
	db_res_free(res);
	return -1;
}

int order_move(struct db *db, int64_t id, enum order_status to,
	       struct db_res **out, struct err *e)
{
	struct db_res *res = NULL;
	char now[32];
	int ret = -1;

	db_now(now);
	if (db_begin(db, e) < 0)
		return -1;
	if (col_query(db, &res,
		      "UPDATE orders SET status = $2, updated_at = "
		      "$3 WHERE id = $1 AND status = 'PENDING' RETURNING ",
		      order_cols, "",
		      DB_ARGS(DB_I(id), DB_S(status_names[to]), DB_S(now)),
		      e) < 0)
		goto out;
	if (db_res_rows(res) != 1) {
		/* Not PENDING (or moved by someone else since the caller
		 * read it): say what it is now. */
		db_rollback(db);
		db_res_free(res);
		res = NULL;
		if (order_find(db, id, &res, e) < 0)
			goto out;
		if (db_res_rows(res) != 1)
			order_not_found(e, id);
		else
			err_set(e, ERR_CONFLICT, "Order %" PRId64 " is %s", id,
				db_res_str(res, 0, ORDER_STATUS));
		goto out;
	}
	if (order_event(db, to, res, e) < 0 || db_commit(db, e) < 0)
		goto out;
	db_res_hand(&res, out);
	ret = 0;
out:
	db_rollback(db); /* nothing is left to undo once committed */
	db_res_free(res);
	return ret;
}

/* How many expired orders one query picks; the job loops until none. */
#define ORDER_EXPIRE_BATCH 500

int order_expire(struct db *db, int minutes, long *cancelled, struct err *e)
{
	struct db_res *res = NULL;
	char cutoff[32];
	int64_t after = 0;
	size_t i, n;

	*cancelled = 0;
	clock_ago(cutoff, (long)minutes * 60);
	do {
		/* Keyset by id: an order that could not be cancelled (paid
		 * meanwhile) is not picked again. */
		if (col_query(db, &res, "SELECT ", order_cols,
			      " FROM orders "
			      "WHERE status = 'PENDING' AND created_at < $1 "
			      "AND id > $2 ORDER BY id LIMIT $3",
			      DB_ARGS(DB_S(cutoff), DB_I(after),
				      DB_I(ORDER_EXPIRE_BATCH)),
			      e) < 0)
			return -1;
		n = db_res_rows(res);
		for (i = 0; i < n; i++) {
			after = db_res_int(res, i, ORDER_ID);
			if (order_move(db, after, ORDER_CANCELLED, NULL, e) ==
			    0) {
				(*cancelled)++;
			} else if (e->code == ERR_CONFLICT) {
				err_release(e); /* paid meanwhile */
			} else {
				db_res_free(res);
				return -1;
			}
		}
		db_res_free(res);
	} while (n == ORDER_EXPIRE_BATCH);
	return 0;
}
