/* t-user.c: email case folding as JavaScript's toLowerCase(), and the
 * migration step that folds stored emails or refuses collisions. */
#include "common.h"

#include "jsonx.h"
#include "migrate.h"
#include "tap.h"
#include "testdb.h"
#include "user.h"

static void fold(const char *in, const char *want, const char *what)
{
	char *got = user_email_fold(in);

	is_str(got, want, "%s", what);
	free(got);
}

/* The expected values are what JavaScript's toLowerCase() answers. */
static void test_fold(void)
{
	fold("Kim@Example.COM", "kim@example.com", "ASCII");
	fold("\xc3\x84@example.com", "\xc3\xa4@example.com", "Ä -> ä");
	fold("\xc3\xa4@example.com", "\xc3\xa4@example.com",
	     "ä stays (folding is idempotent)");
	/* Final sigma: Σ at the end of a word is ς, inside it σ. */
	fold("\xce\x91\xce\xa3@x.gr", "\xce\xb1\xcf\x82@x.gr",
	     "ΑΣ@ -> ας@ (final sigma)");
	fold("\xce\xa3\xce\x91@x.gr", "\xcf\x83\xce\xb1@x.gr",
	     "ΣΑ@ -> σα@ (sigma inside a word)");
	/* İ has no one-letter lower case: i + COMBINING DOT ABOVE. */
	fold("\xc4\xb0@x.tr", "i\xcc\x87@x.tr", "İ -> i + U+0307");
	fold("I@x.tr", "i@x.tr", "I -> i whatever the locale");
	fold("\xe1\xba\x9e@x.de", "\xc3\x9f@x.de", "ẞ -> ß");
	fold("\xed\x95\x9c@x.kr", "\xed\x95\x9c@x.kr", "Hangul has no case");
	/* No normalization: A + COMBINING DIAERESIS is not Ä. */
	fold("A\xcc\x88@x.de", "a\xcc\x88@x.de",
	     "decomposed Ä keeps its combining mark");
}

static int64_t add(struct db *db, const char *email)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	int64_t id = 0;

	/* Inserted as it is, as accounts were before Unicode folding. */
	if (db_query(db, &res,
		     "INSERT INTO users (email, password_hash, "
		     "name, created_at, updated_at) VALUES ($1, 'x', 'n', "
		     "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z') "
		     "RETURNING id",
		     DB_ARGS(DB_S(email)), &e) == 0)
		id = db_res_int(res, 0, 0);
	if (res)
		db_res_free(res);
	err_release(&e);
	return id;
}

static char *email_of(struct db *db, int64_t id)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	char *s = xstrdup("?");

	if (db_query(db, &res, "SELECT email FROM users WHERE id = $1",
		     DB_ARGS(DB_I(id)), &e) == 0 &&
	    db_res_rows(res) == 1) {
		free(s);
		s = xstrdup(db_res_str(res, 0, 0));
	}
	if (res)
		db_res_free(res);
	err_release(&e);
	return s;
}

/* An account made as the API makes it, then shown and logged into. */
static void logins(struct db *db, const char *dialect)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	struct json_object *o;
	char *want;
	int64_t id;

	ok(!user_create(db, "Lee@Example.com", "correct horse", "Lee", "USER",
			4, &res, &e),
	   "%s: create %s", dialect, e.msg);
	if (!res)
		return;
	id = db_res_int(res, 0, USER_ID);
	o = col_json(user_cols, res, 0);
	json_object_object_del(o, "createdAt");
	json_object_object_del(o, "updatedAt");
	want = xasprintf("{\"id\":%" PRId64 ",\"email\":\"lee@example.com\","
			 "\"name\":\"Lee\",\"role\":\"USER\"}",
			 id);
	is_str(jsonx_str(o, NULL), want,
	       "%s: the API's user, email folded, no hash", dialect);
	free(want);
	json_object_put(o);
	db_res_free(res);
	res = NULL;
	ok(user_login(db, "lee@example.com", "correct horse", 4, &res, &e) ==
			   1 &&
		   res && db_res_int(res, 0, USER_ID) == id &&
		   !strcmp(db_res_str(res, 0, USER_ROLE), "USER"),
	   "%s: the right password logs in, with the account's row", dialect);
	if (res)
		db_res_free(res);
	ok(user_login(db, "lee@example.com", "wrong horse", 4, &res, &e) == 0 &&
		   !res,
	   "%s: a wrong password does not", dialect);
	ok(user_login(db, "nobody@example.com", "correct horse", 4, &res, &e) ==
			   0 &&
		   !res,
	   "%s: nor an unknown email", dialect);
	ok(!user_find(db, id, &res, &e) && db_res_rows(res) == 1 &&
		   !strcmp(db_res_str(res, 0, USER_NAME), "Lee"),
	   "%s: user_find", dialect);
	if (res)
		db_res_free(res);
	err_release(&e);
}

static void battery(struct db *db, const char *url, const char *dialect)
{
	struct sbuf report = SBUF_INIT;
	struct err e = ERR_INIT;
	int64_t a, b, c, d;
	long n = -1;
	char *s;

	(void)url;

	a = add(db, "\xc3\x84@example.com"); /* Ä */
	b = add(db, "\xc3\xa4@example.com"); /* ä */
	c = add(db, "\xc3\x96@example.com"); /* Ö */
	d = add(db, "plain@example.com");
	ok(a && b && c && d, "%s: four accounts stored as they were", dialect);
	ok(user_fold_emails(db, &n, &report, &e) < 0 && e.code == ERR_CONFLICT,
	   "%s: Ä@ beside ä@ is a collision: 409", dialect);
	is_str(e.msg, "1 accounts would collide", "%s: the count", dialect);
	ok(strstr(report.buf, "folds to \xc3\xa4@example.com") != NULL,
	   "%s: the report names the address: %s", dialect, report.buf);
	s = email_of(db, c);
	is_str(s, "\xc3\x96@example.com", "%s: nothing changed", dialect);
	free(s);
	err_release(&e);
	sbuf_reset(&report);

	/* The operator renames one of the two; then everything folds. */
	ok(!db_query(db, NULL,
		     "UPDATE users SET email = 'other@example.com' "
		     "WHERE id = $1",
		     DB_ARGS(DB_I(a)), &e),
	   "%s: one of the two renamed", dialect);
	ok(!user_fold_emails(db, &n, &report, &e), "%s: folding succeeds",
	   dialect);
	is_int(n, 1, "%s: one email folded", dialect);
	s = email_of(db, c);
	is_str(s, "\xc3\xb6@example.com", "%s: Ö@ is now ö@", dialect);
	free(s);
	ok(!user_fold_emails(db, &n, &report, &e) && n == 0,
	   "%s: a second run folds nothing", dialect);
	err_release(&e);
	sbuf_release(&report);
	logins(db, dialect);
}

int main(void)
{
	test_fold();
	testdb_run("user", battery);
	return done_testing();
}
