/* notifications.c: a user's notifications (agora-notifyd writes them from
 * order events): the newest, and marking one read. */
#include "common.h"

#include "app.h"
#include "notify.h"

/* How many GET /api/notifications answers: the newest. */
#define NOTIFICATIONS_LIST 20

static const struct valid_field no_fields[] = {
	{ NULL }
};

/* GET /api/notifications: the caller's newest, as a bare array (the
 * shape the NestJS app answered). */
static int notifications_list(struct req *r)
{
	struct json_object *list;
	struct sbuf sql = SBUF_INIT;
	struct db_res *res;
	size_t i;
	int rc;

	/* Query parameters are ignored (no query DTO), cache busters
	 * included. */
	rc = db_query(r->env->db, &res,
		      col_sql(&sql, "SELECT ", notify_cols, " FROM "
			      "notifications WHERE user_id = $1 "
			      "ORDER BY created_at DESC, id DESC LIMIT $2"),
		      DB_ARGS(DB_I(r->user.id), DB_I(NOTIFICATIONS_LIST)),
		      &r->err);
	sbuf_release(&sql);
	if (rc < 0)
		return -1;
	list = json_object_new_array();
	for (i = 0; i < db_res_rows(res); i++)
		json_object_array_add(list, notify_row_json(res, i));
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
	struct sbuf sql = SBUF_INIT;
	struct db_res *res = NULL;
	char now[32];
	int64_t id;
	int ret = -1;

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_valid(r, no_fields, &body) < 0)
		return -1;
	db_now(now);
	if (db_query(r->env->db, &res,
		     col_sql(&sql, "UPDATE notifications SET read_at = "
			     "COALESCE(read_at, $3) WHERE id = $1 AND "
			     "user_id = $2 RETURNING ", notify_cols, ""),
		     DB_ARGS(DB_I(id), DB_I(r->user.id), DB_S(now)),
		     &r->err) < 0)
		goto out;
	if (db_res_rows(res) != 1)
		ret = err_set(&r->err, ERR_NOT_FOUND,
			      "Notification %" PRId64 " not found", id);
	else
		ret = req_json(r, 200, notify_row_json(res, 0));
out:
	if (res)
		db_res_free(res);
	sbuf_release(&sql);
	return ret;
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
