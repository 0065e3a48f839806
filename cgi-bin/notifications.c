/* notifications.c: a user's notifications (agora-notifyd writes them from
 * order events): the newest, and marking one read. */
#include "common.h"

#include "app.h"
#include "notify.h"

/* How many GET /api/notifications answers: the newest. */
#define NOTIFICATIONS_LIST 20

static const struct valid_field no_fields[] = {
	{ NULL },
};

/* GET /api/notifications: the caller's newest, as a bare array (the
 * shape the NestJS app answered). */
static int notifications_list(struct req *r)
{
	struct json_object *list;

	/* Query parameters are ignored (no query DTO), cache busters
	 * included. */
	if (notify_list(r->env->db, r->user.id, NOTIFICATIONS_LIST, &list,
			&r->err) < 0)
		return -1;
	return req_json(r, 200, list);
}

/*
 * PATCH /api/notifications/:id/read: set readAt, once: reading it again
 * keeps the first time. Someone else's notification is 404, an ADMIN's
 * included: notifications are personal.
 */
static int notifications_read(struct req *r)
{
	struct json_object *body, *o;
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_valid(r, no_fields, &body) < 0 ||
	    notify_read(r->env->db, id, r->user.id, &o, &r->err) < 0)
		return -1;
	return req_json(r, 200, o);
}

static const struct route routes[] = {
	{ "GET", "/api/notifications", notifications_list, ROUTE_AUTH },
	{ "PATCH", "/api/notifications/:id/read", notifications_read,
	  ROUTE_AUTH },
	{ NULL },
};

APP_MAIN("notifications", routes, CFG_NEED_JWT)
