/* notify.h: order events turned into notification rows (agora-notifyd). */
#ifndef AGORA_NOTIFY_H
#define AGORA_NOTIFY_H

#include <stddef.h>
#include <stdint.h>

#include "col.h"
#include "db.h"
#include "err.h"

/* The columns of a notification as GET /api/notifications shows it
 * ({id, userId, type, message, eventId, createdAt, readAt}), and their
 * positions in a row selected with them. */
enum notify_col {
	NOTIFY_ID,
	NOTIFY_USER,
	NOTIFY_TYPE,
	NOTIFY_MESSAGE,
	NOTIFY_EVENT,
	NOTIFY_CREATED,
	NOTIFY_READ
};
extern const struct col notify_cols[];

/*
 * notify_list: the newest `limit` notifications of user_id, newest first,
 * as an array of col_json(notify_cols) objects in *out (caller owns).
 * Errors: those of db_query().
 */
int notify_list(struct db *db, int64_t user_id, int64_t limit,
		struct json_object **out, struct err *e);

/*
 * notify_read: mark notification id of user_id read, once (reading it
 * again keeps the first time); *out (caller owns) is its
 * col_json(notify_cols). Errors: 404 "Notification 5 not found", also for
 * another user's; those of db_query().
 */
int notify_read(struct db *db, int64_t id, int64_t user_id,
		struct json_object **out, struct err *e);

/* One notification, as stored. Strings are owned (notify_note_release). */
struct notify_note {
	int64_t id; /* 0 until inserted */
	int64_t user_id;
	int64_t order_id;
	char *type; /* the eventType: ORDER_CREATED, ... */
	char *message;
	char *event_id;
	char created_at[32];
};

/*
 * notify_parse: check one order event, the JSON text payload of len bytes
 * ({"eventId","eventType","timestamp","orderId","userId","totalAmount"}),
 * strictly, and fill n with the notification it makes (id 0).
 * Returns 0, or -1 with ERR_BAD_REQUEST saying what is wrong: the event
 * can never be processed. n is released by the caller either way.
 */
int notify_parse(const char *payload, size_t len, struct notify_note *n,
		 struct err *e);

enum notify_result {
	NOTIFY_NEW, /* a row was inserted: n->id is set */
	NOTIFY_DUPLICATE, /* the event already has its row */
	NOTIFY_POISON, /* never processable: dead-letter it */
	NOTIFY_RETRY, /* the database failed: try it again */
};

/*
 * notify_handle: notify_parse, then insert the row unless one exists for
 * the event id (a redelivery inserts nothing). payload NULL is poison.
 * POISON and RETRY leave the reason in e. The insert is a statement of its
 * own, or part of the caller's open transaction.
 */
enum notify_result notify_handle(struct db *db, const char *payload,
				 struct notify_note *n, struct err *e);

void notify_note_release(struct notify_note *n);

/* notify_json: n as the webhook body {"id","userId","type","message",
 * "eventId","orderId","createdAt"}; a new object the caller owns. */
struct json_object *notify_json(const struct notify_note *n);

#endif
