/* order.h: the orders table as the responder and the batch jobs share it. */
#ifndef AGORA_ORDER_H
#define AGORA_ORDER_H

#include <stdint.h>

#include "db.h"
#include "err.h"

/* The columns of an order row, in the order the responder reads them. */
#define ORDER_COLUMNS "id, user_id, status, total_amount, created_at, " \
	"updated_at"

/*
 * order_event: append the event of an order change (type ORDER_CREATED,
 * ORDER_PAID or ORDER_CANCELLED) to the outbox: aggregatetype "order",
 * aggregateid the order id, payload {"eventId","eventType","timestamp",
 * "orderId","userId","totalAmount"} where eventId is the outbox row's id.
 * Call it inside the transaction that makes the change.
 * Errors: those of db_query().
 */
int order_event(struct db *db, const char *type, int64_t order_id,
		int64_t user_id, int64_t total, struct err *e);

/*
 * order_expire: cancel every PENDING order created more than minutes
 * ago, each in its own transaction with its ORDER_CANCELLED event. An
 * order paid or cancelled meanwhile is left alone. *cancelled receives
 * how many were cancelled (also after a failure, those before it).
 * Errors: those of db_query().
 */
int order_expire(struct db *db, int minutes, long *cancelled, struct err *e);

#endif
