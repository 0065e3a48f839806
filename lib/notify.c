/* notify.c: checking an order event and storing its notification. */
#include "common.h"

#include "jsonx.h"
#include "notify.h"

#define NOTIFY_EVENT_ID_MAX 100

const struct col notify_cols[] = {
	[NOTIFY_ID] = COL_ID,
	[NOTIFY_USER] = { "user_id", "userId", COL_INT },
	[NOTIFY_TYPE] = { "type", "type", COL_TEXT },
	[NOTIFY_MESSAGE] = { "message", "message", COL_TEXT },
	[NOTIFY_EVENT] = { "event_id", "eventId", COL_TEXT },
	[NOTIFY_CREATED] = COL_CREATED_AT,
	[NOTIFY_READ] = { "read_at", "readAt", COL_TIME },
	{ NULL },
};

int notify_list(struct db *db, int64_t user_id, int64_t limit,
		struct json_object **out, struct err *e)
{
	struct db_res *res = NULL;

	if (col_query(db, &res, "SELECT ", notify_cols,
		      " FROM notifications "
		      "WHERE user_id = $1 ORDER BY created_at DESC, id DESC "
		      "LIMIT $2",
		      DB_ARGS(DB_I(user_id), DB_I(limit)), e) < 0)
		return -1;
	*out = col_json_rows(notify_cols, res);
	db_res_free(res);
	return 0;
}

int notify_read(struct db *db, int64_t id, int64_t user_id,
		struct json_object **out, struct err *e)
{
	char now[32];
	int rc;

	db_now(now);
	rc = col_query_one(db, out,
			   "UPDATE notifications SET read_at = "
			   "COALESCE(read_at, $3) WHERE id = $1 AND "
			   "user_id = $2 RETURNING ",
			   notify_cols, "",
			   DB_ARGS(DB_I(id), DB_I(user_id), DB_S(now)), e);
	if (rc == 0)
		return err_set(e, ERR_NOT_FOUND,
			       "Notification %" PRId64 " not found", id);
	return rc < 0 ? -1 : 0;
}

void notify_note_release(struct notify_note *n)
{
	free(n->type);
	free(n->message);
	free(n->event_id);
	memset(n, 0, sizeof(*n));
}

/* notify_text: the seed's text for type, or NULL for an unknown type. */
static char *notify_text(const char *type, int64_t order_id, int64_t amount)
{
	if (!strcmp(type, "ORDER_CREATED"))
		return xasprintf("주문이 생성되었습니다. 주문 번호: %" PRId64
				 ", 금액: %" PRId64 "원",
				 order_id, amount);
	if (!strcmp(type, "ORDER_PAID"))
		return xasprintf("주문이 결제되었습니다. 주문 번호: %" PRId64,
				 order_id);
	if (!strcmp(type, "ORDER_CANCELLED"))
		return xasprintf("주문이 취소되었습니다. 주문 번호: %" PRId64,
				 order_id);
	return NULL;
}

/* notify_id: obj[key] as an integer of at least min, or -1 with e. */
static int notify_int(struct json_object *obj, const char *key, int64_t min,
		      int64_t *out, struct err *e)
{
	if (!jsonx_has(obj, key))
		return err_set(e, ERR_BAD_REQUEST, "%s is missing", key);
	if (!jsonx_get_int(obj, key, out) || *out < min)
		return err_set(e, ERR_BAD_REQUEST,
			       "%s must be an integer "
			       "not less than %" PRId64,
			       key, min);
	return 0;
}

int notify_parse(const char *payload, size_t len, struct notify_note *n,
		 struct err *e)
{
	struct json_object *o = NULL;
	const char *id, *type;
	int64_t amount;
	int rc = -1;

	memset(n, 0, sizeof(*n));
	if (jsonx_parse(payload, len, &o, e) < 0)
		goto out;
	if (!json_object_is_type(o, json_type_object)) {
		err_set(e, ERR_BAD_REQUEST, "the event is not a JSON object");
		goto out;
	}
	id = jsonx_get_str(o, "eventId");
	type = jsonx_get_str(o, "eventType");
	if (!id || !*id || strlen(id) > NOTIFY_EVENT_ID_MAX) {
		err_set(e, ERR_BAD_REQUEST,
			"eventId must be a string of 1 to "
			"%d characters",
			NOTIFY_EVENT_ID_MAX);
		goto out;
	}
	if (!type) {
		err_set(e, ERR_BAD_REQUEST, "eventType must be a string");
		goto out;
	}
	if (!jsonx_get_str(o, "timestamp")) {
		err_set(e, ERR_BAD_REQUEST, "timestamp must be a string");
		goto out;
	}
	if (notify_int(o, "orderId", 1, &n->order_id, e) < 0 ||
	    notify_int(o, "userId", 1, &n->user_id, e) < 0 ||
	    notify_int(o, "totalAmount", 0, &amount, e) < 0)
		goto out;
	n->message = notify_text(type, n->order_id, amount);
	if (!n->message) {
		err_set(e, ERR_BAD_REQUEST, "unknown eventType %.64s", type);
		goto out;
	}
	n->type = xstrdup(type);
	n->event_id = xstrdup(id);
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

enum notify_result notify_handle(struct db *db, const char *payload,
				 struct notify_note *n, struct err *e)
{
	struct db_res *res = NULL;
	enum notify_result r;

	if (!payload) {
		memset(n, 0, sizeof(*n));
		err_set(e, ERR_BAD_REQUEST, "the event holds a NUL byte");
		return NOTIFY_POISON;
	}
	if (notify_parse(payload, strlen(payload), n, e) < 0)
		return NOTIFY_POISON;
	db_now(n->created_at);
	if (db_query(db, &res,
		     "INSERT INTO notifications (user_id, type, "
		     "message, event_id, created_at) VALUES ($1, $2, $3, $4, "
		     "$5) ON CONFLICT (event_id) DO NOTHING RETURNING id",
		     DB_ARGS(DB_I(n->user_id), DB_S(n->type), DB_S(n->message),
			     DB_S(n->event_id), DB_S(n->created_at)),
		     e) < 0)
		/* A constraint the row breaks (a user that does not exist)
		 * stays broken; anything else may pass on the next try. */
		return e->code == ERR_BAD_REQUEST || e->code == ERR_CONFLICT ?
			       NOTIFY_POISON :
			       NOTIFY_RETRY;
	if (db_res_rows(res) == 1) {
		n->id = col_one_int(res);
		r = NOTIFY_NEW;
	} else {
		r = NOTIFY_DUPLICATE;
	}
	db_res_free(res);
	return r;
}

struct json_object *notify_json(const struct notify_note *n)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "id", json_object_new_int64(n->id));
	json_object_object_add(o, "userId", json_object_new_int64(n->user_id));
	json_object_object_add(o, "type", json_object_new_string(n->type));
	json_object_object_add(o, "message",
			       json_object_new_string(n->message));
	json_object_object_add(o, "eventId",
			       json_object_new_string(n->event_id));
	json_object_object_add(o, "orderId",
			       json_object_new_int64(n->order_id));
	json_object_object_add(o, "createdAt",
			       json_object_new_string(n->created_at));
	return o;
}
