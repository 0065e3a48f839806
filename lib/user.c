/* user.c: creating accounts and showing them. */
#include "common.h"

#include "passwd.h"
#include "user.h"

struct json_object *user_json(const struct db_res *res, size_t row)
{
	struct json_object *o = json_object_new_object();
	char t[32];

	json_object_object_add(o, "id",
			       json_object_new_int64(db_res_int(res, row, 0)));
	json_object_object_add(o, "email",
			       json_object_new_string(db_res_str(res, row, 1)));
	json_object_object_add(o, "name",
			       json_object_new_string(db_res_str(res, row, 2)));
	json_object_object_add(o, "role",
			       json_object_new_string(db_res_str(res, row, 3)));
	json_object_object_add(o, "createdAt",
			       json_object_new_string(db_res_time(res, row, 4, t)));
	json_object_object_add(o, "updatedAt",
			       json_object_new_string(db_res_time(res, row, 5, t)));
	return o;
}

void user_email_fold(char *email)
{
	for (; *email; email++)
		if (*email >= 'A' && *email <= 'Z')
			*email = (char)(*email - 'A' + 'a');
}

int user_create(struct db *db, const char *email, const char *password,
		const char *name, const char *role, int cost,
		struct db_res **out, struct err *e)
{
	char hash[PASSWD_HASH_MAX], now[32];
	char *folded = xstrdup(email);
	struct db_res *res = NULL;
	struct err dberr = ERR_INIT;
	int ret = -1;

	user_email_fold(folded);
	if (passwd_hash(password, cost, hash, e) < 0)
		goto out;
	db_now(now);
	if (db_query(db, &res,
		     "INSERT INTO users (email, password_hash, name, role, "
		     "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $5) "
		     "RETURNING " USER_COLUMNS,
		     DB_ARGS(DB_S(folded), DB_S(hash), DB_S(name), DB_S(role),
			     DB_S(now)), &dberr) < 0) {
		if (dberr.code == ERR_CONFLICT)
			err_set(e, ERR_CONFLICT, "Email already exists");
		else
			err_set(e, dberr.code, "%s", dberr.msg);
		goto out;
	}
	if (out) {
		*out = res;
		res = NULL;
	}
	ret = 0;
out:
	if (res)
		db_res_free(res);
	err_release(&dberr);
	free(folded);
	return ret;
}

int user_set_role(struct db *db, int64_t id, const char *role,
		  struct db_res **out, struct err *e)
{
	struct db_res *res = NULL, *admins = NULL;
	char now[32];

	*out = NULL;
	db_now(now);
	if (db_begin(db, e) < 0)
		return -1;
	/*
	 * Two ADMINs demoting each other at once must not both succeed. On
	 * SQLite db_begin() already holds the write lock; on PostgreSQL the
	 * ADMIN rows are locked so the count below holds until commit.
	 */
	if (db_dialect(db) == DB_POSTGRES &&
	    db_query(db, NULL, "SELECT id FROM users WHERE role = 'ADMIN' "
		     "ORDER BY id FOR UPDATE", DB_NOARGS, e) < 0)
		goto fail;
	if (db_query(db, &res,
		     "UPDATE users SET role = $1, updated_at = $2 WHERE id = $3 "
		     "RETURNING " USER_COLUMNS,
		     DB_ARGS(DB_S(role), DB_S(now), DB_I(id)), e) < 0)
		goto fail;
	if (db_res_rows(res) != 1) {
		err_set(e, ERR_NOT_FOUND, "User %" PRId64 " not found", id);
		goto fail;
	}
	if (db_query(db, &admins, "SELECT count(*) FROM users "
		     "WHERE role = 'ADMIN'", DB_NOARGS, e) < 0)
		goto fail;
	if (db_res_int(admins, 0, 0) == 0) {
		err_set(e, ERR_CONFLICT, "Cannot demote the last ADMIN");
		goto fail;
	}
	if (db_commit(db, e) < 0)
		goto fail;
	db_res_free(admins);
	*out = res;
	return 0;
fail:
	db_rollback(db);
	if (admins)
		db_res_free(admins);
	if (res)
		db_res_free(res);
	return -1;
}
