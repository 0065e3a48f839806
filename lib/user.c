/* user.c: creating accounts and showing them. */
#include "common.h"

#include <unicase.h>

#include "jsonx.h"
#include "passwd.h"
#include "user.h"

const struct valid_field user_new_fields[] = {
	{ "email", VALID_EMAIL, VALID_REQUIRED },
	{ "password", VALID_STRING, VALID_REQUIRED, 8, 72 },
	{ "name", VALID_STRING, VALID_REQUIRED, 1, 100 },
	{ NULL },
};

int user_valid_new(struct json_object *body, struct err *e)
{
	if (valid_body(body, user_new_fields, e) < 0)
		return -1;
	/* 72 characters of Korean are 216 bytes; bcrypt reads only 72. */
	if (strlen(jsonx_get_str(body, "password")) > 72)
		return err_add(e, "password must be shorter than or equal to "
				  "72 bytes");
	return 0;
}

const struct col user_cols[] = {
	[USER_ID] = COL_ID,
	[USER_EMAIL] = { "email", "email", COL_TEXT },
	[USER_NAME] = { "name", "name", COL_TEXT },
	[USER_ROLE] = { "role", "role", COL_TEXT },
	[USER_CREATED] = COL_CREATED_AT,
	[USER_UPDATED] = COL_UPDATED_AT,
	{ NULL },
};

int user_find(struct db *db, int64_t id, struct db_res **out, struct err *e)
{
	return col_query(db, out, "SELECT ", user_cols,
			 " FROM users WHERE id = $1", DB_ARGS(DB_I(id)), e);
}

char *user_email_fold(const char *email)
{
	size_t n = 0;
	uint8_t *low;
	char *out;

	/* No language (JavaScript's toLowerCase() ignores the locale) and no
	 * normalization (it does not normalize either). */
	low = u8_tolower((const uint8_t *)email, strlen(email), NULL, NULL,
			 NULL, &n);
	if (!low) {
		if (errno == ENOMEM)
			die("out of memory folding an email");
		/* Not UTF-8: the validators let no such address through. */
		return xstrdup(email);
	}
	out = xmemdupz(low, n);
	free(low);
	return out;
}

int user_create(struct db *db, const char *email, const char *password,
		const char *name, const char *role, int cost,
		struct db_res **out, struct err *e)
{
	char hash[PASSWD_HASH_MAX], now[32];
	char *folded = user_email_fold(email);
	struct db_res *res = NULL;
	struct err dberr = ERR_INIT;
	int ret = -1;

	if (passwd_hash(password, cost, hash, e) < 0)
		goto out;
	db_now(now);
	if (col_query(db, &res,
		      "INSERT INTO users (email, password_hash, "
		      "name, role, created_at, updated_at) VALUES ($1, $2, $3, "
		      "$4, $5, $5) RETURNING ",
		      user_cols, "",
		      DB_ARGS(DB_S(folded), DB_S(hash), DB_S(name), DB_S(role),
			      DB_S(now)),
		      &dberr) < 0) {
		if (dberr.code == ERR_CONFLICT)
			err_set(e, ERR_CONFLICT, "Email already exists");
		else
			err_set(e, dberr.code, "%s", dberr.msg);
		goto out;
	}
	db_res_hand(&res, out);
	ret = 0;
out:
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
	    db_query(db, NULL,
		     "SELECT id FROM users WHERE role = 'ADMIN' "
		     "ORDER BY id FOR UPDATE",
		     DB_NOARGS, e) < 0)
		goto fail;
	if (col_query(db, &res,
		      "UPDATE users SET role = $1, updated_at = $2 "
		      "WHERE id = $3 RETURNING ",
		      user_cols, "", DB_ARGS(DB_S(role), DB_S(now), DB_I(id)),
		      e) < 0)
		goto fail;
	if (db_res_rows(res) != 1) {
		err_set(e, ERR_NOT_FOUND, "User %" PRId64 " not found", id);
		goto fail;
	}
	if (db_query(db, &admins,
		     "SELECT count(*) FROM users "
		     "WHERE role = 'ADMIN'",
		     DB_NOARGS, e) < 0)
		goto fail;
	if (col_one_int(admins) == 0) {
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
	db_res_free(admins);
	db_res_free(res);
	return -1;
}

/* One account whose stored email folds to something else. */
struct user_fold {
	int64_t id;
	char *email;
	char *folded;
};

static int user_fold_cmp(const void *a, const void *b)
{
	const struct user_fold *x = a, *y = b;

	return strcmp(x->folded, y->folded);
}

int user_fold_emails(struct db *db, long *folded, struct sbuf *report,
		     struct err *e)
{
	struct db_res *res = NULL, *other = NULL;
	struct user_fold *f = NULL;
	size_t i, n = 0, rows, bad = 0;
	char now[32];
	int ret = -1;

	*folded = 0;
	/* Only addresses with a byte outside printable ASCII can change:
	 * ASCII was always folded. */
	if (col_query(
		    db, &res, "SELECT ", user_cols,
		    db_dialect(db) == DB_POSTGRES ?
			    " FROM users WHERE email ~ '[^ -~]' ORDER BY id" :
			    " FROM users WHERE email GLOB '*[^ -~]*' ORDER BY id",
		    DB_NOARGS, e) < 0)
		return -1;
	rows = db_res_rows(res);
	f = xcalloc(rows ? rows : 1, sizeof(*f));
	for (i = 0; i < rows; i++) {
		const char *email = db_res_str(res, i, USER_EMAIL);
		char *low = user_email_fold(email);

		if (!strcmp(low, email)) {
			free(low);
			continue;
		}
		f[n].id = db_res_int(res, i, USER_ID);
		f[n].email = xstrdup(email);
		f[n].folded = low;
		n++;
	}
	/* Collisions among the accounts that change, then with the rest. */
	qsort(f, n, sizeof(*f), user_fold_cmp);
	for (i = 0; i + 1 < n; i++)
		if (!strcmp(f[i].folded, f[i + 1].folded)) {
			sbuf_addf(report,
				  "accounts %" PRId64 " (%s) and "
				  "%" PRId64 " (%s) both fold to %s\n",
				  f[i].id, f[i].email, f[i + 1].id,
				  f[i + 1].email, f[i].folded);
			bad++;
		}
	for (i = 0; i < n; i++) {
		if (db_query(db, &other,
			     "SELECT id FROM users WHERE email = $1",
			     DB_ARGS(DB_S(f[i].folded)), e) < 0)
			goto out;
		if (db_res_rows(other)) {
			sbuf_addf(report,
				  "account %" PRId64 " (%s) folds to "
				  "%s, the email of account %" PRId64 "\n",
				  f[i].id, f[i].email, f[i].folded,
				  col_one_int(other));
			bad++;
		}
		db_res_free(other);
		other = NULL;
	}
	if (bad) {
		err_set(e, ERR_CONFLICT, "%zu accounts would collide", bad);
		goto out;
	}
	if (!n) {
		ret = 0;
		goto out;
	}
	db_now(now);
	if (db_begin(db, e) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (db_query(db, NULL,
			     "UPDATE users SET email = $1, "
			     "updated_at = $2 WHERE id = $3",
			     DB_ARGS(DB_S(f[i].folded), DB_S(now),
				     DB_I(f[i].id)),
			     e) < 0) {
			db_rollback(db);
			goto out;
		}
	if (db_commit(db, e) < 0)
		goto out;
	*folded = (long)n;
	ret = 0;
out:
	for (i = 0; i < n; i++) {
		free(f[i].email);
		free(f[i].folded);
	}
	free(f);
	db_res_free(other);
	db_res_free(res);
	return ret;
}

/* The password hash, selected after user_cols by user_login() alone. */
#define USER_HASH (USER_UPDATED + 1)

int user_login(struct db *db, const char *folded, const char *password,
	       int cost, struct db_res **out, struct err *e)
{
	struct db_res *res = NULL;
	const char *hash = NULL;
	int ret;

	*out = NULL;
	if (col_query(db, &res, "SELECT ", user_cols,
		      ", password_hash FROM "
		      "users WHERE email = $1",
		      DB_ARGS(DB_S(folded)), e) < 0)
		return -1;
	if (db_res_rows(res) == 1)
		hash = db_res_str(res, 0, USER_HASH);
	/* passwd_verify() with NULL checks a dummy hash at cost. */
	ret = passwd_verify(password, hash, cost) && hash;
	if (ret)
		*out = res;
	else
		db_res_free(res);
	return ret;
}

int user_password_is(struct db *db, const char *email, const char *password,
		     struct err *e)
{
	char *folded = user_email_fold(email);
	struct db_res *res = NULL;
	int ret = -1;

	if (db_query(db, &res,
		     "SELECT password_hash FROM users WHERE "
		     "email = $1",
		     DB_ARGS(DB_S(folded)), e) < 0)
		goto out;
	ret = db_res_rows(res) > 0 &&
	      passwd_verify(password, col_one_str(res), 4);
	db_res_free(res);
out:
	free(folded);
	return ret;
}

int user_role_of(struct db *db, const char *email, char role[16], struct err *e)
{
	char *folded = user_email_fold(email);
	struct db_res *res = NULL;
	int ret = -1;

	if (db_query(db, &res, "SELECT role FROM users WHERE email = $1",
		     DB_ARGS(DB_S(folded)), e) < 0)
		goto out;
	ret = db_res_rows(res) > 0;
	if (ret)
		snprintf(role, 16, "%s", col_one_str(res));
	db_res_free(res);
out:
	free(folded);
	return ret;
}

int user_promote(struct db *db, const char *email, struct err *e)
{
	char *folded = user_email_fold(email), now[32];
	int ret;

	db_now(now);
	ret = db_query(db, NULL,
		       "UPDATE users SET role = 'ADMIN', "
		       "updated_at = $2 WHERE email = $1",
		       DB_ARGS(DB_S(folded), DB_S(now)), e);
	free(folded);
	return ret;
}
