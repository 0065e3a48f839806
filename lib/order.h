/* order.h: the orders table and its items as the responder and the batch
 * jobs share it: rows as JSON, creation, status changes, their events. */
#ifndef AGORA_ORDER_H
#define AGORA_ORDER_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "col.h"
#include "db.h"
#include "err.h"

/* The columns of an order, and their positions in a row selected with
 * them; ORDER_REQUEST (what an Idempotency-Key's request held) is not
 * shown. */
enum order_col {
	ORDER_ID,
	ORDER_USER,
	ORDER_STATUS,
	ORDER_TOTAL,
	ORDER_CREATED,
	ORDER_UPDATED,
	ORDER_REQUEST
};
extern const struct col order_cols[];

/* An order's status. Each status an order reaches has its event:
 * ORDER_CREATED (PENDING), ORDER_PAID, ORDER_CANCELLED. */
enum order_status { ORDER_PENDING, ORDER_PAID, ORDER_CANCELLED };

/* order_status_name: "PENDING", "PAID" or "CANCELLED". */
const char *order_status_name(enum order_status s);

/*
 * order_find: order id, selected with order_cols, in *out (caller frees):
 * one row, or none. Errors: those of db_query().
 */
int order_find(struct db *db, int64_t id, struct db_res **out, struct err *e);

/*
 * order_json: the API's order {id, userId, status, totalAmount,
 * createdAt, updatedAt, items: [{id, productId, quantity, price}…]} of
 * row `row` of res (order_cols), read now with its items. The caller
 * owns *out. Errors: those of db_query().
 */
int order_json(struct db *db, const struct db_res *res, size_t row,
	       struct json_object **out, struct err *e);

/*
 * order_list: one page of user's orders, newest first, as the API's
 * {total, items}: total, the page and its items read in one snapshot.
 * The caller owns *out. Errors: those of db_query().
 */
int order_list(struct db *db, int64_t user_id, int64_t limit, int64_t offset,
	       struct json_object **out, struct err *e);

/* One line of a new order; price comes from the catalogue. */
struct order_line {
	int64_t product;
	int64_t quantity;
	int64_t price;
};

/*
 * order_create: price each line from the catalogue (only ACTIVE
 * products: 400 "Product 5 is not available"; a total past int64 is a
 * 400), then insert the PENDING order, its items and its ORDER_CREATED
 * event in one transaction. key (may be NULL) is the Idempotency-Key and
 * request what it stands for. *out (caller frees) receives the row
 * (order_cols). When another order of the user holds key, the error is
 * 409 and *raced is set: the caller answers the order that won.
 * Errors: 400, 409, those of db_query().
 */
int order_create(struct db *db, int64_t user_id, struct order_line *lines,
		 size_t n, const char *key, const char *request,
		 struct db_res **out, bool *raced, struct err *e);

/*
 * order_by_key: the user's order made with Idempotency-Key key (order_cols,
 * ORDER_REQUEST included) in *out (caller frees): one row, or none.
 * Errors: those of db_query().
 */
int order_by_key(struct db *db, int64_t user_id, const char *key,
		 struct db_res **out, struct err *e);

/*
 * order_move: PENDING → to (ORDER_PAID or ORDER_CANCELLED) with its event,
 * in one transaction: every status change goes through here. The UPDATE
 * itself checks the status, so of two concurrent moves one wins. *out
 * (caller frees; may be NULL) receives the moved row (order_cols).
 * Errors: 404 "Order 5 not found", 409 "Order 5 is PAID" when it is not
 * PENDING, those of db_query().
 */
int order_move(struct db *db, int64_t id, enum order_status to,
	       struct db_res **out, struct err *e);

/*
 * order_expire: cancel every PENDING order created more than minutes
 * ago, each through order_move(). An order paid or cancelled meanwhile
 * is left alone. *cancelled receives how many were cancelled (also after
 * a failure, those before it). Errors: those of db_query().
 */
int order_expire(struct db *db, int minutes, long *cancelled, struct err *e);

#endif
