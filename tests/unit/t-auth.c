/* t-auth.c: a bearer token to the caller's row, through the request's
 * environment (its database and JWT secret). */
#include "common.h"

#include <time.h>

#include "auth.h"
#include "migrate.h"
#include "tap.h"
#include "testreq.h"
#include "testdb.h"
#include "token.h"

static char secret[] = "0123456789abcdef0123456789abcdef";

/* token: a token for user id, signed with key, expiring in ttl s. */
static char *token(const char *key, int64_t id, int64_t ttl)
{
	struct token_claims c = { 0 };
	struct err e = ERR_INIT;
	char *tok = NULL;

	c.sub = id;
	snprintf(c.email, sizeof(c.email), "a@example.com");
	snprintf(c.role, sizeof(c.role), "USER");
	c.iat = (int64_t)time(NULL);
	c.exp = c.iat + ttl;
	if (token_sign(key, &c, &tok, &e) < 0)
		die("token_sign: %s", e.msg);
	return tok;
}

/* check: auth_require with this Authorization header (NULL: none);
 * the status it sets (0 when it lets the caller in). */
static int check(const struct req_env *env, const char *auth, struct req *r)
{
	char hdr[1024];
	const char *vars[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/api/x", hdr,
			       NULL };
	struct req_io io = { testreq_no_body, testreq_discard, NULL };

	snprintf(hdr, sizeof(hdr), "HTTP_AUTHORIZATION=%s", auth ? auth : "");
	if (!auth)
		vars[2] = NULL;
	req_init(r, env, (char **)vars, &io);
	if (auth_require(r) == 0)
		return 0;
	return r->err.code;
}

int main(void)
{
	char *path = testdb_sqlite_path("auth");
	struct req_env env = { NULL, NULL, 1024, secret };
	struct err e = ERR_INIT;
	char *good = NULL, *other = NULL, *gone = NULL, *h;
	struct db_res *res = NULL;
	struct req r;
	int64_t id = 0;

	if (db_open(&env.db, path, NULL, &e) || migrate_run(env.db, NULL, &e)) {
		ok(0, "database: %s", e.msg);
		goto out;
	}
	if (!db_query(env.db, &res,
		      "INSERT INTO users (email, "
		      "password_hash, name, role, created_at, updated_at) "
		      "VALUES ('a@example.com', 'x', 'A', 'ADMIN', "
		      "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')"
		      " RETURNING id",
		      DB_NOARGS, &e))
		id = db_res_int(res, 0, 0);
	db_res_free(res);
	ok(id > 0, "a user (%s)", e.msg);
	good = token(secret, id, 60);
	other = token("another secret, just as long as it", id, 60);
	gone = token(secret, id + 1, 60);

	h = xasprintf("Bearer %s", good);
	is_int(check(&env, h, &r), 0, "the env's secret and database: in");
	is_int(r.user.id, id, "... as the token's user");
	is_str(r.user.role, "ADMIN", "... with the role the database says");
	req_release(&r);
	free(h);

	h = xasprintf("Bearer %s", other);
	is_int(check(&env, h, &r), ERR_UNAUTHORIZED,
	       "signed with another secret: 401");
	req_release(&r);
	free(h);

	h = xasprintf("Bearer %s", gone);
	is_int(check(&env, h, &r), ERR_UNAUTHORIZED,
	       "a valid token for no account: 401");
	req_release(&r);
	free(h);

	is_int(check(&env, NULL, &r), ERR_UNAUTHORIZED, "no header: 401");
	req_release(&r);
	is_int(check(&env, "Basic eDp5", &r), ERR_UNAUTHORIZED,
	       "another scheme: 401");
	req_release(&r);

	h = xasprintf("Bearer %s", good);
	is_int(check(NULL, h, &r), ERR_UNAUTHORIZED,
	       "a request without an environment has no secret: 401");
	req_release(&r);
	free(h);
out:
	free(good);
	free(other);
	free(gone);
	err_release(&e);
	db_free(env.db);
	testdb_sqlite_unlink(path);
	free(path);
	return done_testing();
}
