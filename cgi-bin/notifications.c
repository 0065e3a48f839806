/* notifications.c: a user's notifications (agora-notifyd writes them from
 * order events): the newest, and marking one read. */
#include "common.h"

#include "app.h"

/* How many GET /api/notifications answers: the newest. */
#define NOTIFICATIONS_LIST 20

#define NOTIFICATION_COLUMNS "id, user_id, type, message, event_id, " \
	"created_at, read_at"

/* {id, userId, type, message, eventId, createdAt, readAt} of row i. */
static struct json_object *notifications_json(const struct db_res *res,
					      size_t i)
{
	struct json_object *o = json_object_new_object();
	char t[32];

	json_object_object_add(o, "id",
			       json_object_new_int64(db_res_int(res, i, 0)));
	json_object_object_add(o, "userId",
			       json_object_new_int64(db_res_int(res, i, 1)));
	json_object_object_add(o, "type",
			       json_object_new_string(db_res_str(res, i, 2)));
	json_object_object_add(o, "message",
			       json_object_new_string(db_res_str(res, i, 3)));
	json_object_object_add(o, "eventId",
			       json_object_new_string(db_res_str(res, i, 4)));
	json_object_object_add(o, "createdAt",
			       json_object_new_string(db_res_time(res, i, 5, t)));
	json_object_object_add(o, "readAt", db_res_isnull(res, i, 6) ? NULL :
			       json_object_new_string(db_res_time(res, i, 6, t)));
	return o;
}

static const struct valid_field no_fields[] = {
	{ NULL }
};

/* GET /api/notifications: the caller's newest, as a bare array (the
 * shape the NestJS app answered). */
static int notifications_list(struct req *r)
{
	struct json_object *list;
	struct db_res *res;
	size_t i;

	/* Query parameters are ignored (no query DTO), cache busters
	 * included. */
	if (db_query(r->env->db, &res,
		     "SELECT " NOTIFICATION_COLUMNS " FROM notifications "
		     "WHERE user_id = $1 ORDER BY created_at DESC, id DESC "
		     "LIMIT $2",
		     DB_ARGS(DB_I(r->user.id), DB_I(NOTIFICATIONS_LIST)),
		     &r->err) < 0)
		return -1;
	list = json_object_new_array();
	for (i = 0; i < db_res_rows(res); i++)
		json_object_array_add(list, notifications_json(res, i));
	db_res_free(res);
	return req_json(r, 200, list);
}

/*
 * PATCH /api/notifications/:id/read: set readAt, once: reading it again
 * keeps the first time. Someone else's notification is 404, an ADMIN's
 * included: notifications are personal.
 */
static int notifications_read(struct req *r)
{
	struct json_object *body;
	struct db_res *res;
	char now[32];
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_valid(r, no_fields, &body) < 0)
		return -1;
	db_now(now);
	if (db_query(r->env->db, &res,
		     "UPDATE notifications SET read_at = COALESCE(read_at, $3) "
		     "WHERE id = $1 AND user_id = $2 "
		     "RETURNING " NOTIFICATION_COLUMNS,
		     DB_ARGS(DB_I(id), DB_I(r->user.id), DB_S(now)),
		     &r->err) < 0)
		return -1;
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return err_set(&r->err, ERR_NOT_FOUND,
			       "Notification %" PRId64 " not found", id);
	}
	req_json(r, 200, notifications_json(res, 0));
	db_res_free(res);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/notifications", notifications_list, ROUTE_AUTH },
	{ "PATCH", "/api/notifications/:id/read", notifications_read,
	  ROUTE_AUTH },
	{ NULL }
};

int main(void)
{
	return app_main("notifications", routes, CFG_NEED_JWT);
}
