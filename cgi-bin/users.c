/* users.c: the signed-in user, and the ADMIN's view of every account. */
#include "common.h"

#include "app.h"
#include "jsonx.h"
#include "page.h"
#include "user.h"

/* The dispatcher's auth check already read the row: no second query. */
static int users_me(struct req *r)
{
	return req_json(r, 200, col_json(user_cols, r->user_row, 0));
}

static int users_list(struct req *r)
{
	return page_list(r, 20, "users", NULL, user_cols);
}

static const char *const roles[] = { "USER", "ADMIN", NULL };

static const struct valid_field role_fields[] = {
	{ "role", VALID_ENUM, VALID_REQUIRED, 0, 0, roles },
	{ NULL },
};

static int users_set_role(struct req *r)
{
	struct json_object *body;
	struct db_res *res;
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_valid(r, role_fields, &body) < 0 ||
	    user_set_role(r->env->db, id, jsonx_get_str(body, "role"), &res,
			  &r->err) < 0)
		return -1;
	req_json(r, 200, col_json(user_cols, res, 0));
	db_res_free(res);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/users/me", users_me, ROUTE_AUTH },
	{ "GET", "/api/users", users_list, ROUTE_ADMIN },
	{ "PATCH", "/api/users/:id/role", users_set_role, ROUTE_ADMIN },
	{ NULL },
};

APP_MAIN("users", routes, CFG_NEED_JWT)
