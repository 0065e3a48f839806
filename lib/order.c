/* order.c: order events and the expiry of unpaid orders. */
#include "common.h"

#include <time.h>

#include "order.h"
#include "outbox.h"

int order_event(struct db *db, const char *type, int64_t order_id,
		int64_t user_id, int64_t total, struct err *e)
{
	struct json_object *p = json_object_new_object();
	char id[OUTBOX_ID_LEN], now[32], aggid[24];
	int ret;

	/* The id is chosen first so that the payload can carry it: the
	 * consumers' idempotency key (notifications.event_id). */
	outbox_new_id(id);
	db_now(now);
	json_object_object_add(p, "eventId", json_object_new_string(id));
	json_object_object_add(p, "eventType", json_object_new_string(type));
	json_object_object_add(p, "timestamp", json_object_new_string(now));
	json_object_object_add(p, "orderId", json_object_new_int64(order_id));
	json_object_object_add(p, "userId", json_object_new_int64(user_id));
	json_object_object_add(p, "totalAmount", json_object_new_int64(total));
	snprintf(aggid, sizeof(aggid), "%" PRId64, order_id);
	ret = outbox_append_id(db, id, "order", aggid, type, p, e);
	json_object_put(p);
	return ret;
}

/* How many expired orders one query picks; the job loops until none. */
#define ORDER_EXPIRE_BATCH 500

/* order_cancel_one: cancel order id if it is still PENDING; *done is
 * set when it was. */
static int order_cancel_one(struct db *db, int64_t id, bool *done,
			    struct err *e)
{
	struct db_res *res = NULL;
	char now[32];

	*done = false;
	db_now(now);
	if (db_begin(db, e) < 0)
		return -1;
	if (db_query(db, &res,
		     "UPDATE orders SET status = 'CANCELLED', updated_at = $2 "
		     "WHERE id = $1 AND status = 'PENDING' "
		     "RETURNING id, user_id, total_amount",
		     DB_ARGS(DB_I(id), DB_S(now)), e) < 0)
		goto fail;
	if (db_res_rows(res) == 1 &&
	    order_event(db, "ORDER_CANCELLED", id, db_res_int(res, 0, 1),
			db_res_int(res, 0, 2), e) < 0)
		goto fail;
	if (db_commit(db, e) < 0)
		goto fail;
	*done = db_res_rows(res) == 1;
	db_res_free(res);
	return 0;
fail:
	db_rollback(db);
	if (res)
		db_res_free(res);
	return -1;
}

int order_expire(struct db *db, int minutes, long *cancelled, struct err *e)
{
	struct db_res *res = NULL;
	char cutoff[32];
	time_t t = time(NULL) - (time_t)minutes * 60;
	int64_t after = 0;
	struct tm tm;
	size_t i, n;
	bool done;

	*cancelled = 0;
	/* The text form of db_now(), which both backends compare as time. */
	gmtime_r(&t, &tm);
	strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	do {
		/* Keyset by id: an order that could not be cancelled (paid
		 * meanwhile) is not picked again. */
		if (db_query(db, &res,
			     "SELECT id FROM orders WHERE status = 'PENDING' "
			     "AND created_at < $1 AND id > $2 ORDER BY id "
			     "LIMIT $3",
			     DB_ARGS(DB_S(cutoff), DB_I(after),
				     DB_I(ORDER_EXPIRE_BATCH)), e) < 0)
			return -1;
		n = db_res_rows(res);
		for (i = 0; i < n; i++) {
			after = db_res_int(res, i, 0);
			if (order_cancel_one(db, after, &done, e) < 0) {
				db_res_free(res);
				return -1;
			}
			*cancelled += done;
		}
		db_res_free(res);
	} while (n == ORDER_EXPIRE_BATCH);
	return 0;
}
