/* user.h: the accounts table as the responders and the CLI share it. */
#ifndef AGORA_USER_H
#define AGORA_USER_H

#include <json-c/json.h>

#include "col.h"
#include "db.h"
#include "err.h"
#include "sbuf.h"
#include "valid.h"

/* The columns of an account as the API shows it (never the hash), and
 * their positions in a row selected with them: col_json(user_cols, …) is
 * {id, email, name, role, createdAt, updatedAt}. */
enum user_col {
	USER_ID,
	USER_EMAIL,
	USER_NAME,
	USER_ROLE,
	USER_CREATED,
	USER_UPDATED
};
extern const struct col user_cols[];

/*
 * user_find: the account id, selected with user_cols, in *out (caller
 * frees): one row, or none when there is no such account.
 * Errors: those of db_query().
 */
int user_find(struct db *db, int64_t id, struct db_res **out, struct err *e);

/*
 * user_email_fold: email lower-cased as JavaScript's toLowerCase() does
 * (Unicode's full default mappings, no locale: Ä -> ä, final Σ -> ς,
 * İ -> i + U+0307). Emails are stored folded so uniqueness and login
 * ignore case. email must be valid UTF-8; the caller frees the result.
 */
char *user_email_fold(const char *email);

/*
 * user_fold_emails: fold, in one transaction, every stored email that
 * user_email_fold() would change (accounts made when only ASCII was
 * folded). *folded receives how many changed. When some would collide
 * with another account (Ä@x and ä@x), nothing changes: each collision is
 * described on a line of *report and the error is 409 "N accounts would
 * collide". Errors: 409, 503/500 from the database.
 */
int user_fold_emails(struct db *db, long *folded, struct sbuf *report,
		     struct err *e);

/* The fields of a new account, as POST /api/auth/signup takes them:
 * email, password (8-72 characters), name (1-100). */
extern const struct valid_field user_new_fields[];

/*
 * user_valid_new: body against user_new_fields, plus bcrypt's limit of 72
 * bytes on the password: the one set of rules for an account, whether the
 * API or the CLI makes it. Errors: 400 with the validation messages.
 */
int user_valid_new(struct json_object *body, struct err *e);

/*
 * user_create: hash password at `cost` and insert the account with a
 * folded email and role "USER" or "ADMIN". *out (may be NULL) receives the
 * new row selected with user_cols; the caller frees it.
 * Errors: 409 "Email already exists", 400 for a password bcrypt cannot
 * take, 503/500 from the database.
 */
int user_create(struct db *db, const char *email, const char *password,
		const char *name, const char *role, int cost,
		struct db_res **out, struct err *e);

/*
 * user_set_role: set the role of user id to "USER" or "ADMIN". *out
 * receives the updated row (user_cols; the caller frees it). Demoting
 * the last ADMIN would leave nobody able to make another: it is refused.
 * Errors: 404 "User 7 not found", 409 "Cannot demote the last ADMIN",
 * 503/500 from the database.
 */
int user_set_role(struct db *db, int64_t id, const char *role,
		  struct db_res **out, struct err *e);

/*
 * user_role_of: the role of the account with this email (folded here),
 * copied into role. Returns 1 found, 0 no such account, -1 with e set.
 */
int user_role_of(struct db *db, const char *email, char role[16],
		 struct err *e);

/*
 * user_login: the account with email `folded` (as user_email_fold()
 * gives it) when password is its password: 1 and *out (caller frees) its
 * row (user_cols); 0 when the account or the password is not it. An
 * unknown email costs one bcrypt at `cost` too, so that the time taken
 * does not tell which accounts exist. Errors (-1): those of db_query().
 */
int user_login(struct db *db, const char *folded, const char *password,
	       int cost, struct db_res **out, struct err *e);

/*
 * user_password_is: whether password is that of the account with this
 * email (folded here). Returns 1 yes, 0 no (or no such account), -1 with
 * e set.
 */
int user_password_is(struct db *db, const char *email, const char *password,
		     struct err *e);

/* user_promote: make the account with this email (folded here) an ADMIN.
 * Errors: those of db_query(). */
int user_promote(struct db *db, const char *email, struct err *e);

#endif
