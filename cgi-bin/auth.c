/* auth.c: sign-up and login (POST /api/auth/signup, /api/auth/login). */
#include "common.h"

#include <time.h>

#include "app.h"
#include "jsonx.h"
#include "log.h"
#include "throttle.h"
#include "token.h"
#include "user.h"

static int auth_signup(struct req *r)
{
	struct json_object *body;
	struct db_res *res = NULL;

	if (req_body(r, &body) < 0 || user_valid_new(body, &r->err) < 0)
		return -1;
	if (user_create(r->env->db, jsonx_get_str(body, "email"),
			jsonx_get_str(body, "password"),
			jsonx_get_str(body, "name"), "USER",
			app_of(r)->cfg.bcrypt_cost, &res, &r->err) < 0)
		return -1;
	req_json(r, 201, col_json(user_cols, res, 0));
	db_res_free(res);
	return 0;
}

static const struct valid_field login_fields[] = {
	{ "email", VALID_EMAIL, VALID_REQUIRED },
	{ "password", VALID_STRING, VALID_REQUIRED },
	{ NULL },
};

/*
 * The answer @nestjs/throttler gives: 429, Retry-After in seconds, and
 * ThrottlerException's bare body (no "error" member).
 */
static int auth_throttled(struct req *r, long retry_s)
{
	struct json_object *o = json_object_new_object();
	char v[24];

	snprintf(v, sizeof(v), "%ld", retry_s);
	req_header(r, "Retry-After", v);
	json_object_object_add(o, "statusCode", json_object_new_int(429));
	json_object_object_add(o, "message",
			       json_object_new_string(
				       "ThrottlerException: Too Many Requests"));
	return req_json(r, 429, o);
}

/* auth_take: count a login attempt against key; 1 (and the 429 made)
 * when key is over limit, 0 to go on, -1 with r->err set. */
static int auth_take(struct req *r, struct throttle *t, const char *key,
		     long limit)
{
	long retry;

	if (throttle_take(t, key, limit, app_of(r)->cfg.login_window, &retry,
			  &r->err) < 0)
		return -1;
	if (!retry)
		return 0;
	auth_throttled(r, retry);
	return 1;
}

static int auth_login(struct req *r)
{
	struct throttle t = { r->env->cache, r->env->db };
	const struct cfg *cfg = &app_of(r)->cfg;
	const char *addr = req_getenv(r, "REMOTE_ADDR");
	struct json_object *body, *o;
	struct db_res *res = NULL;
	struct token_claims c;
	struct err te = ERR_INIT;
	char *email = NULL, *tok = NULL, *akey = NULL, *ekey = NULL;
	int ret = -1, rc;

	/*
	 * Attempts are counted per address and per account before any
	 * bcrypt, atomically, so that parallel guesses cannot all slip under
	 * the limit; a successful login is given back, so only failures
	 * remain counted. The address is counted first, as the throttler
	 * guard runs before validation.
	 */
	if (addr && *addr) {
		akey = xasprintf("addr:%s", addr);
		if ((rc = auth_take(r, &t, akey, cfg->login_limit_address)))
			goto throttled;
	}
	if (req_body_valid(r, login_fields, &body) < 0)
		goto out;
	email = user_email_fold(jsonx_get_str(body, "email"));
	ekey = xasprintf("acct:%s", email);
	if ((rc = auth_take(r, &t, ekey, cfg->login_limit_account)))
		goto throttled;
	/* An unknown email costs one bcrypt too (user_login), so the timing
	 * does not tell which accounts exist. */
	if ((rc = user_login(r->env->db, email, jsonx_get_str(body, "password"),
			     cfg->bcrypt_cost, &res, &r->err)) < 0)
		goto out;
	if (!rc) {
		err_set(&r->err, ERR_UNAUTHORIZED, "Invalid credentials");
		goto out;
	}
	/* Not a failure: give both attempts back. A store that fails costs
	 * the count, never the login. */
	rc = akey ? throttle_give(&t, akey, &te) : 0;
	if (throttle_give(&t, ekey, &te) < 0 || rc < 0)
		log_msg(LOG_WARN, r->reqid, "login throttle: %s", te.msg);
	memset(&c, 0, sizeof(c));
	c.sub = db_res_int(res, 0, USER_ID);
	snprintf(c.email, sizeof(c.email), "%s",
		 db_res_str(res, 0, USER_EMAIL));
	snprintf(c.role, sizeof(c.role), "%s", db_res_str(res, 0, USER_ROLE));
	c.iat = (int64_t)time(NULL);
	c.exp = c.iat + cfg->jwt_expires_in;
	if (token_sign(cfg->jwt_secret, &c, &tok, &r->err) < 0)
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "accessToken", json_object_new_string(tok));
	json_object_object_add(o, "tokenType",
			       json_object_new_string("Bearer"));
	json_object_object_add(o, "expiresIn",
			       json_object_new_int64(cfg->jwt_expires_in));
	ret = req_json(r, 200, o);
	goto out;
throttled:
	/* 1: the 429 is made; -1: r->err says why not. */
	ret = rc > 0 ? 0 : -1;
out:
	err_release(&te);
	db_res_free(res);
	free(tok);
	free(email);
	free(akey);
	free(ekey);
	return ret;
}

static const struct route routes[] = {
	{ "POST", "/api/auth/signup", auth_signup, 0 },
	{ "POST", "/api/auth/login", auth_login, 0 },
	{ NULL },
};

APP_MAIN("auth", routes, CFG_NEED_JWT)
