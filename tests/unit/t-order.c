/* t-order.c: orders made at the catalogue's prices, their JSON, the one
 * status transition and the expiry job, each change with its outbox
 * event, on SQLite and PostgreSQL. */
#include "common.h"

#include "jsonx.h"
#include "order.h"
#include "product.h"
#include "tap.h"
#include "testdb.h"

/* last_event: "TYPE aggregateid userId totalAmount eventId=id?" of the
 * newest outbox row into out; "none" when there is none. */
static void last_event(struct db *db, char *out, size_t len)
{
	struct db_res *res = NULL;
	struct json_object *p = NULL;
	struct err e = ERR_INIT;
	int64_t user = 0, total = 0;
	const char *pl;

	snprintf(out, len, "none");
	if (db_query(db, &res,
		     "SELECT type, aggregateid, payload, id "
		     "FROM outbox ORDER BY seq DESC LIMIT 1",
		     DB_NOARGS, &e) == 0 &&
	    db_res_rows(res) == 1 && (pl = db_res_str(res, 0, 2)) &&
	    jsonx_parse(pl, strlen(pl), &p, &e) == 0) {
		jsonx_get_int(p, "userId", &user);
		jsonx_get_int(p, "totalAmount", &total);
		snprintf(out, len, "%s %s %" PRId64 " %" PRId64 " %s %s",
			 db_res_str(res, 0, 0), db_res_str(res, 0, 1), user,
			 total,
			 !strcmp(jsonx_get_str(p, "eventId"),
				 db_res_str(res, 0, 3)) ?
				 "same-id" :
				 "other-id",
			 !strcmp(jsonx_get_str(p, "eventType"),
				 db_res_str(res, 0, 0)) ?
				 "same-type" :
				 "other-type");
	}
	json_object_put(p);
	if (res)
		db_res_free(res);
	err_release(&e);
}

static int64_t add_product(struct db *db, const char *name, int64_t price,
			   const char *status)
{
	struct product_input in = { name, NULL,	 false, "C",
				    "B",  price, true,	status };
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	int64_t id = 0;

	if (!product_create(db, &in, &res, &e))
		id = db_res_int(res, 0, PRODUCT_ID);
	if (res)
		db_res_free(res);
	err_release(&e);
	return id;
}

/* json_of: the API's order of row 0 of res, times blanked, into out. */
static void json_of(struct db *db, const struct db_res *res, char *out,
		    size_t len)
{
	struct json_object *o = NULL;
	struct err e = ERR_INIT;

	snprintf(out, len, "ERR");
	if (!order_json(db, res, 0, &o, &e)) {
		json_object_object_add(o, "createdAt",
				       json_object_new_string("T"));
		json_object_object_add(o, "updatedAt",
				       json_object_new_string("T"));
		snprintf(out, len, "%s", jsonx_str(o, NULL));
	}
	json_object_put(o);
	err_release(&e);
}

static void battery(struct db *db, const char *url, const char *tag)
{
	struct order_line lines[2];
	struct db_res *res = NULL;
	struct json_object *list = NULL;
	struct err e = ERR_INIT;
	char got[1024];
	int64_t a, b, off, id, events;
	long n = -1;
	bool raced;

	(void)url;
	ok(!db_query(db, NULL,
		     "INSERT INTO users (email, password_hash, "
		     "name, created_at, updated_at) VALUES ('o@x.io', 'x', "
		     "'o', '2026-01-01T00:00:00.000Z', "
		     "'2026-01-01T00:00:00.000Z')",
		     DB_NOARGS, &e),
	   "%s: a user", tag);
	a = add_product(db, "A", 700, NULL);
	b = add_product(db, "B", 30, NULL);
	off = add_product(db, "Off", 5, "INACTIVE");
	ok(a && b && off, "%s: three products", tag);

	lines[0] = (struct order_line){ a, 2, 0 };
	lines[1] = (struct order_line){ b, 3, 0 };
	ok(!order_create(db, 1, lines, 2, NULL, NULL, &res, &raced, &e),
	   "%s: create %s", tag, e.msg);
	if (!res)
		goto out;
	id = db_res_int(res, 0, ORDER_ID);
	json_of(db, res, got, sizeof(got));
	is_str(got,
	       "{\"id\":1,\"userId\":1,\"status\":\"PENDING\","
	       "\"totalAmount\":1490,\"createdAt\":\"T\",\"updatedAt\":\"T\","
	       "\"items\":[{\"id\":1,\"productId\":1,\"quantity\":2,"
	       "\"price\":700},{\"id\":2,\"productId\":2,\"quantity\":3,"
	       "\"price\":30}]}",
	       "%s: the order at the catalogue's prices", tag);
	db_res_free(res);
	res = NULL;
	last_event(db, got, sizeof(got));
	is_str(got, "ORDER_CREATED 1 1 1490 same-id same-type",
	       "%s: its ORDER_CREATED event carries its own id", tag);

	/* What cannot be ordered leaves nothing behind. */
	events = testdb_int(db, "SELECT count(*) FROM outbox");
	lines[1] = (struct order_line){ off, 1, 0 };
	ok(order_create(db, 1, lines, 2, NULL, NULL, &res, &raced, &e) < 0 &&
		   e.code == ERR_BAD_REQUEST &&
		   !strcmp(e.msg, "Product 3 is not available"),
	   "%s: an INACTIVE product is 400: %s", tag, e.msg);
	err_release(&e);
	lines[0] = (struct order_line){ a, INT64_MAX / 2, 0 };
	lines[1] = (struct order_line){ b, 1, 0 };
	ok(order_create(db, 1, lines, 2, NULL, NULL, &res, &raced, &e) < 0 &&
		   e.code == ERR_BAD_REQUEST,
	   "%s: a total past int64 is 400", tag);
	err_release(&e);
	is_int(testdb_int(db, "SELECT count(*) FROM orders"), 1,
	       "%s: no order made", tag);
	is_int(testdb_int(db, "SELECT count(*) FROM outbox"), events,
	       "%s: no event appended", tag);

	/* An Idempotency-Key once per user. */
	lines[0] = (struct order_line){ a, 1, 0 };
	ok(!order_create(db, 1, lines, 1, "k1", "1:1", &res, &raced, &e),
	   "%s: an order with a key", tag);
	if (res)
		db_res_free(res);
	res = NULL;
	ok(order_create(db, 1, lines, 1, "k1", "1:1", &res, &raced, &e) < 0 &&
		   e.code == ERR_CONFLICT && raced,
	   "%s: the key again: a race the "
	   "caller replays",
	   tag);
	err_release(&e);
	ok(!order_by_key(db, 1, "k1", &res, &e) && db_res_rows(res) == 1 &&
		   !strcmp(db_res_str(res, 0, ORDER_REQUEST), "1:1"),
	   "%s: the key's order and its request", tag);
	if (res)
		db_res_free(res);
	res = NULL;

	/* The one transition. */
	ok(!order_move(db, id, ORDER_PAID, &res, &e) && res &&
		   !strcmp(db_res_str(res, 0, ORDER_STATUS), "PAID"),
	   "%s: PENDING -> PAID %s", tag, e.msg);
	if (res)
		db_res_free(res);
	res = NULL;
	last_event(db, got, sizeof(got));
	is_str(got, "ORDER_PAID 1 1 1490 same-id same-type",
	       "%s: with its ORDER_PAID event", tag);
	events = testdb_int(db, "SELECT count(*) FROM outbox");
	ok(order_move(db, id, ORDER_CANCELLED, &res, &e) < 0 &&
		   e.code == ERR_CONFLICT &&
		   !strcmp(e.msg, "Order 1 is PAID") && !res,
	   "%s: a PAID order does not move: %s", tag, e.msg);
	err_release(&e);
	ok(order_move(db, 99, ORDER_PAID, NULL, &e) < 0 &&
		   e.code == ERR_NOT_FOUND &&
		   !strcmp(e.msg, "Order 99 not found"),
	   "%s: no such order: 404", tag);
	err_release(&e);
	is_int(testdb_int(db, "SELECT count(*) FROM outbox"), events,
	       "%s: refused moves append no event", tag);

	/* Expiry: the PENDING order (the keyed one) only, through the
	 * same transition; a cutoff in the future takes every order. */
	ok(!order_expire(db, -1, &n, &e) && n == 1,
	   "%s: expire cancels the one PENDING order (%ld)", tag, n);
	last_event(db, got, sizeof(got));
	ok(!strncmp(got, "ORDER_CANCELLED 2 1 700 same-id", 31),
	   "%s: with its ORDER_CANCELLED event: %s", tag, got);
	ok(!order_expire(db, -1, &n, &e) && n == 0,
	   "%s: a second run finds nothing", tag);
	is_int(testdb_int(db,
			  "SELECT count(*) FROM orders WHERE status = 'PAID'"),
	       1, "%s: the PAID order is left alone", tag);

	ok(!order_list(db, 1, 1, 0, &list, &e), "%s: a page", tag);
	is_int(json_object_get_int64(json_object_object_get(list, "total")), 2,
	       "%s: total counts every order of the user", tag);
	is_int(json_object_array_length(json_object_object_get(list, "items")),
	       1, "%s: items holds the page", tag);
	is_int(json_object_get_int64(json_object_object_get(
		       json_object_array_get_idx(json_object_object_get(list,
									"items"),
						 0),
		       "id")),
	       2, "%s: newest first", tag);
out:
	json_object_put(list);
	if (res)
		db_res_free(res);
	err_release(&e);
}

int main(void)
{
	testdb_run("order", battery);
	return done_testing();
}
