/* issues.c: the issue tracker, and its popular list served from the cache. */
#include "common.h"

#include "app.h"
#include "issue.h"
#include "jsonx.h"
#include "page.h"

static const char *const statuses[] = { "OPEN", "IN_PROGRESS", "CLOSED", NULL };
static const char *const priorities[] = { "LOW", "MEDIUM", "HIGH", NULL };

/* ---- reads --------------------------------------------------------------- */

static const struct valid_field list_fields[] = {
	{ "status", VALID_ENUM, 0, 0, 0, statuses },
	{ "authorId", VALID_INT, 0, 1, INT64_MAX },
	PAGE_FIELDS,
	{ NULL },
};

static int issues_list(struct req *r)
{
	struct json_object *q, *o;
	struct page p;
	int64_t author = 0;

	if (req_query_valid(r, list_fields, &q) < 0 ||
	    page_get(r, q, 20, &p) < 0)
		return -1;
	jsonx_get_int(q, "authorId", &author);
	if (issue_list(r->env->db, jsonx_get_str(q, "status"), author, p.size,
		       p.offset, &o, &r->err) < 0)
		return -1;
	return req_json(r, 200, o);
}

/*
 * Cache-aside: a hit answers the cached bytes as they are, with no SQL
 * and no JSON parsing. A cache that fails counts as a miss (the cache
 * module logs it and stops asking Redis for a while); the database
 * answers either way.
 */
static int issues_popular(struct req *r)
{
	struct app *app = app_of(r);
	struct err e = ERR_INIT;
	int hit;

	/* No query parameters: any the client adds (a cache buster) are
	 * ignored, as NestJS does for a handler without a query DTO. */
	sbuf_reset(&r->out);
	hit = cache_get(app->cache, ISSUE_POPULAR_KEY, &r->out, &e);
	err_release(&e);
	if (hit == 1) {
		r->extra_timing = "cache;desc=hit";
	} else {
		r->extra_timing = "cache;desc=miss";
		sbuf_reset(&r->out);
		if (issue_popular_load(app->db, &r->out, NULL, &r->err) < 0)
			return -1;
		cache_set(app->cache, ISSUE_POPULAR_KEY, r->out.buf, r->out.len,
			  app->cfg.cache_ttl, &e);
		err_release(&e);
	}
	r->status = 200;
	return 0;
}

/* Reading an issue counts a view. Views do not invalidate the popular
 * list: its TTL bounds how stale the counts in it are. */
static int issues_get(struct req *r)
{
	struct json_object *o;
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    issue_view(r->env->db, id, &o, &r->err) < 0)
		return -1;
	return req_json(r, 200, o);
}

/* ---- writes: each forgets the popular list once committed ---------------- */

static const struct valid_field create_fields[] = {
	{ "title", VALID_STRING, VALID_REQUIRED, 1, 200 },
	{ "description", VALID_STRING, 0, 0, 10000 },
	{ "priority", VALID_ENUM, 0, 0, 0, priorities },
	{ NULL },
};

/* issues_input: a validated body as a write's input. */
static void issues_input(struct json_object *body, struct issue_input *in)
{
	in->title = jsonx_get_str(body, "title");
	in->description = jsonx_get_str(body, "description");
	in->has_description = jsonx_has(body, "description");
	in->status = jsonx_get_str(body, "status");
	in->priority = jsonx_get_str(body, "priority");
}

static int issues_create(struct req *r)
{
	struct issue_input in;
	struct json_object *body, *o;

	if (req_body_valid(r, create_fields, &body) < 0)
		return -1;
	issues_input(body, &in);
	if (issue_create(r->env->db, r->user.id, &in, &o, &r->err) < 0)
		return -1;
	issue_popular_forget(r->env->cache, r->reqid);
	return req_json(r, 201, o);
}

static const struct valid_field update_fields[] = {
	{ "title", VALID_STRING, 0, 1, 200 },
	{ "description", VALID_STRING, 0, 0, 10000 },
	{ "status", VALID_ENUM, 0, 0, 0, statuses },
	{ "priority", VALID_ENUM, 0, 0, 0, priorities },
	{ NULL },
};

/* The author or an ADMIN may edit (issue_update). */
static int issues_update(struct req *r)
{
	struct issue_input in;
	struct json_object *body, *o;
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_valid(r, update_fields, &body) < 0)
		return -1;
	issues_input(body, &in);
	if (issue_update(r->env->db, id, r->user.id,
			 !strcmp(r->user.role, "ADMIN"), &in, &o, &r->err) < 0)
		return -1;
	issue_popular_forget(r->env->cache, r->reqid);
	return req_json(r, 200, o);
}

static int issues_delete(struct req *r)
{
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    issue_delete(r->env->db, id, &r->err) < 0)
		return -1;
	issue_popular_forget(r->env->cache, r->reqid);
	return req_no_content(r);
}

/* /popular before /:id, which would take it as an id. */
static const struct route routes[] = {
	{ "GET", "/api/issues", issues_list, 0 },
	{ "GET", "/api/issues/popular", issues_popular, 0 },
	{ "GET", "/api/issues/:id", issues_get, 0 },
	{ "POST", "/api/issues", issues_create, ROUTE_AUTH },
	{ "PATCH", "/api/issues/:id", issues_update, ROUTE_AUTH },
	{ "DELETE", "/api/issues/:id", issues_delete, ROUTE_ADMIN },
	{ NULL },
};

APP_MAIN("issues", routes, CFG_NEED_JWT)
