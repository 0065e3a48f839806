/* user.h: the accounts table as the responders and the CLI share it. */
#ifndef AGORA_USER_H
#define AGORA_USER_H

#include <json-c/json.h>

#include "db.h"
#include "err.h"

/* The columns user_json() expects, in this order. */
#define USER_COLUMNS "id, email, name, role, created_at, updated_at"

/* user_json: row `row` of a result selected with USER_COLUMNS as the API's
 * user object {id, email, name, role, createdAt, updatedAt} (never the
 * hash). The caller owns the new object. */
struct json_object *user_json(const struct db_res *res, size_t row);

/* user_email_fold: lower-case ASCII letters in place; emails are stored
 * folded so uniqueness and login ignore case. */
void user_email_fold(char *email);

/*
 * user_create: hash password at `cost` and insert the account with a
 * folded email and role "USER" or "ADMIN". *out (may be NULL) receives the
 * new row selected with USER_COLUMNS; the caller frees it.
 * Errors: 409 "Email already exists", 400 for a password bcrypt cannot
 * take, 503/500 from the database.
 */
int user_create(struct db *db, const char *email, const char *password,
		const char *name, const char *role, int cost,
		struct db_res **out, struct err *e);

/*
 * user_set_role: set the role of user id to "USER" or "ADMIN". *out
 * receives the updated row (USER_COLUMNS; the caller frees it). Demoting
 * the last ADMIN would leave nobody able to make another: it is refused.
 * Errors: 404 "User 7 not found", 409 "Cannot demote the last ADMIN",
 * 503/500 from the database.
 */
int user_set_role(struct db *db, int64_t id, const char *role,
		  struct db_res **out, struct err *e);

#endif
