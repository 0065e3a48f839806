/* auth.c: sign-up and login (POST /api/auth/signup, /api/auth/login). */
#include "common.h"

#include <time.h>

#include "app.h"
#include "jsonx.h"
#include "passwd.h"
#include "token.h"
#include "user.h"

static const struct valid_field signup_fields[] = {
	{ "email", VALID_EMAIL, VALID_REQUIRED },
	{ "password", VALID_STRING, VALID_REQUIRED, 8, 72 },
	{ "name", VALID_STRING, VALID_REQUIRED, 1, 100 },
	{ NULL }
};

static int auth_signup(struct req *r)
{
	struct json_object *body;
	struct db_res *res = NULL;

	if (req_body_valid(r, signup_fields, &body) < 0)
		return -1;
	/* 72 characters of Korean are 216 bytes; bcrypt reads only 72. */
	if (strlen(jsonx_get_str(body, "password")) > 72)
		return err_add(&r->err, "password must be shorter than or "
			       "equal to 72 bytes");
	if (user_create(r->app->db, jsonx_get_str(body, "email"),
			jsonx_get_str(body, "password"),
			jsonx_get_str(body, "name"), "USER",
			r->app->cfg.bcrypt_cost, &res, &r->err) < 0)
		return -1;
	req_json(r, 201, user_json(res, 0));
	db_res_free(res);
	return 0;
}

static const struct valid_field login_fields[] = {
	{ "email", VALID_EMAIL, VALID_REQUIRED },
	{ "password", VALID_STRING, VALID_REQUIRED },
	{ NULL }
};

static int auth_login(struct req *r)
{
	struct json_object *body, *o;
	struct db_res *res = NULL;
	struct token_claims c;
	char *email = NULL, *tok = NULL;
	const char *hash = NULL;
	int ret = -1;

	if (req_body_valid(r, login_fields, &body) < 0)
		return -1;
	email = user_email_fold(jsonx_get_str(body, "email"));
	if (db_query(r->app->db, &res,
		     "SELECT id, email, role, password_hash FROM users "
		     "WHERE email = $1",
		     DB_ARGS(DB_S(email)), &r->err) < 0)
		goto out;
	if (db_res_rows(res) == 1)
		hash = db_res_str(res, 0, 3);
	/* An unknown email costs one bcrypt too (passwd_verify with NULL), so
	 * the timing does not tell which accounts exist. */
	if (!passwd_verify(jsonx_get_str(body, "password"), hash,
			   r->app->cfg.bcrypt_cost) || !hash) {
		err_set(&r->err, ERR_UNAUTHORIZED, "Invalid credentials");
		goto out;
	}
	memset(&c, 0, sizeof(c));
	c.sub = db_res_int(res, 0, 0);
	snprintf(c.email, sizeof(c.email), "%s", db_res_str(res, 0, 1));
	snprintf(c.role, sizeof(c.role), "%s", db_res_str(res, 0, 2));
	c.iat = (int64_t)time(NULL);
	c.exp = c.iat + r->app->cfg.jwt_expires_in;
	if (token_sign(r->app->cfg.jwt_secret, &c, &tok, &r->err) < 0)
		goto out;
	o = json_object_new_object();
	json_object_object_add(o, "accessToken", json_object_new_string(tok));
	json_object_object_add(o, "tokenType", json_object_new_string("Bearer"));
	json_object_object_add(o, "expiresIn",
			       json_object_new_int64(r->app->cfg.jwt_expires_in));
	ret = req_json(r, 200, o);
out:
	if (res)
		db_res_free(res);
	free(tok);
	free(email);
	return ret;
}

static const struct route routes[] = {
	{ "POST", "/api/auth/signup", auth_signup, 0 },
	{ "POST", "/api/auth/login", auth_login, 0 },
	{ NULL }
};

int main(void)
{
	return app_main("auth", routes, CFG_NEED_JWT);
}
