/* issues.c: the issue tracker, and its popular list served from the cache. */
#include "common.h"

#include "app.h"
#include "issue.h"
#include "jsonx.h"
#include "page.h"

static const char *const statuses[] = { "OPEN", "IN_PROGRESS", "CLOSED", NULL };
static const char *const priorities[] = { "LOW", "MEDIUM", "HIGH", NULL };

static int issue_not_found(struct req *r, int64_t id)
{
	return err_set(&r->err, ERR_NOT_FOUND, "Issue %" PRId64 " not found",
		       id);
}

/* ---- reads --------------------------------------------------------------- */

static const struct valid_field list_fields[] = {
	{ "status", VALID_ENUM, 0, 0, 0, statuses },
	{ "authorId", VALID_INT, 0, 1, INT64_MAX },
	PAGE_FIELDS,
	{ NULL }
};

static int issues_list(struct req *r)
{
	struct json_object *q;
	struct db_res *res = NULL, *cnt = NULL;
	struct db_param params[4];
	struct sbuf where, sql;
	struct page p;
	int64_t author;
	const char *status;
	size_t n = 0;
	int ret = -1;

	if (req_query_valid(r, list_fields, &q) < 0 ||
	    page_get(r, q, 20, &p) < 0)
		return -1;
	sbuf_init(&where, 0, 0);
	sbuf_init(&sql, 0, 0);
	/* One SQL text per filter combination: four at most, each prepared
	 * once per connection. */
	sbuf_addstr(&where, " WHERE 1 = 1");
	if ((status = jsonx_get_str(q, "status"))) {
		params[n++] = DB_S(status);
		sbuf_addf(&where, " AND status = $%zu", n);
	}
	if (jsonx_get_int(q, "authorId", &author)) {
		params[n++] = DB_I(author);
		sbuf_addf(&where, " AND author_id = $%zu", n);
	}
	sbuf_addf(&sql, "SELECT count(*) FROM issues%s", where.buf);
	/* total and items from one snapshot. */
	if (db_begin_read(r->env->db, &r->err) < 0 ||
	    db_query(r->env->db, &cnt, sql.buf, params, n, &r->err) < 0)
		goto out;
	sbuf_reset(&sql);
	sbuf_addstr(&sql, "SELECT ");
	col_list(&sql, issue_cols, NULL);
	sbuf_addf(&sql, " FROM issues%s "
		  "ORDER BY created_at DESC, id DESC LIMIT $%zu OFFSET $%zu",
		  where.buf, n + 1, n + 2);
	params[n] = DB_I(p.size);
	params[n + 1] = DB_I(p.offset);
	if (db_query(r->env->db, &res, sql.buf, params, n + 2, &r->err) < 0 ||
	    db_commit(r->env->db, &r->err) < 0)
		goto out;
	ret = page_answer(r, cnt, res, issue_json);
out:
	db_rollback(r->env->db);
	if (res)
		db_res_free(res);
	if (cnt)
		db_res_free(cnt);
	sbuf_release(&where);
	sbuf_release(&sql);
	return ret;
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
	struct sbuf sql = SBUF_INIT;
	struct db_res *res = NULL;
	int64_t id;
	int ret = -1;

	if (req_param_id(r, "id", &id) < 0)
		return -1;
	if (db_query(r->env->db, &res,
		     col_sql(&sql, "UPDATE issues SET view_count = view_count "
			     "+ 1 WHERE id = $1 RETURNING ", issue_cols, ""),
		     DB_ARGS(DB_I(id)), &r->err) < 0)
		goto out;
	if (db_res_rows(res) != 1)
		ret = issue_not_found(r, id);
	else
		ret = req_json(r, 200, issue_json(res, 0));
out:
	if (res)
		db_res_free(res);
	sbuf_release(&sql);
	return ret;
}

/* ---- writes: each forgets the popular list once committed ---------------- */

static const struct valid_field create_fields[] = {
	{ "title", VALID_STRING, VALID_REQUIRED, 1, 200 },
	{ "description", VALID_STRING, 0, 0, 10000 },
	{ "priority", VALID_ENUM, 0, 0, 0, priorities },
	{ NULL }
};

static int issues_create(struct req *r)
{
	struct json_object *body;
	struct sbuf sql = SBUF_INIT;
	struct db_res *res;
	const char *desc, *prio;
	char now[32];
	int rc;

	if (req_body_valid(r, create_fields, &body) < 0)
		return -1;
	desc = jsonx_get_str(body, "description");
	prio = jsonx_get_str(body, "priority");
	db_now(now);
	rc = db_query(r->env->db, &res,
		      col_sql(&sql, "INSERT INTO issues (title, description, "
			      "priority, author_id, created_at, updated_at) "
			      "VALUES ($1, $2, $3, $4, $5, $5) RETURNING ",
			      issue_cols, ""),
		      DB_ARGS(DB_S(jsonx_get_str(body, "title")),
			      desc ? DB_S(desc) : DB_NUL,
			      DB_S(prio ? prio : "MEDIUM"), DB_I(r->user.id),
			      DB_S(now)), &r->err);
	sbuf_release(&sql);
	if (rc < 0)
		return -1;
	issue_popular_forget(r->env->cache, r->reqid);
	req_json(r, 201, issue_json(res, 0));
	db_res_free(res);
	return 0;
}

static const struct valid_field update_fields[] = {
	{ "title", VALID_STRING, 0, 1, 200 },
	{ "description", VALID_STRING, 0, 0, 10000 },
	{ "status", VALID_ENUM, 0, 0, 0, statuses },
	{ "priority", VALID_ENUM, 0, 0, 0, priorities },
	{ NULL }
};

/* The author or an ADMIN may edit; status moves freely between values. */
static int issues_update(struct req *r)
{
	static const char *const cols[] = { "title", "status", "priority" };
	struct json_object *body;
	struct db_res *res = NULL;
	struct db_param params[6];
	struct sbuf sql;
	const char *v;
	char now[32];
	int64_t id;
	size_t i, n;
	int ret = -1;

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_valid(r, update_fields, &body) < 0)
		return -1;
	if (db_query(r->env->db, &res,
		     "SELECT author_id FROM issues WHERE id = $1",
		     DB_ARGS(DB_I(id)), &r->err) < 0)
		return -1;
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return issue_not_found(r, id);
	}
	if (col_one_int(res) != r->user.id &&
	    strcmp(r->user.role, "ADMIN") != 0) {
		db_res_free(res);
		return err_set(&r->err, ERR_FORBIDDEN, "Forbidden resource");
	}
	db_res_free(res);
	res = NULL;

	db_now(now);
	sbuf_init(&sql, 0, 0);
	params[0] = DB_I(id);
	params[1] = DB_S(now);
	n = 2;
	sbuf_addstr(&sql, "UPDATE issues SET updated_at = $2");
	for (i = 0; i < ARRAY_SIZE(cols); i++) {
		if (!(v = jsonx_get_str(body, cols[i])))
			continue;
		params[n++] = DB_S(v);
		sbuf_addf(&sql, ", %s = $%zu", cols[i], n);
	}
	/* description alone may be cleared with null */
	if ((v = jsonx_get_str(body, "description"))) {
		params[n++] = DB_S(v);
		sbuf_addf(&sql, ", description = $%zu", n);
	} else if (jsonx_has(body, "description")) {
		sbuf_addstr(&sql, ", description = NULL");
	}
	sbuf_addstr(&sql, " WHERE id = $1 RETURNING ");
	col_list(&sql, issue_cols, NULL);
	if (db_query(r->env->db, &res, sql.buf, params, n, &r->err) < 0)
		goto out;
	if (db_res_rows(res) != 1) {
		ret = issue_not_found(r, id);	/* deleted meanwhile */
		goto out;
	}
	issue_popular_forget(r->env->cache, r->reqid);
	ret = req_json(r, 200, issue_json(res, 0));
out:
	if (res)
		db_res_free(res);
	sbuf_release(&sql);
	return ret;
}

static int issues_delete(struct req *r)
{
	struct db_res *res;
	int64_t id;
	size_t rows;

	if (req_param_id(r, "id", &id) < 0)
		return -1;
	if (db_query(r->env->db, &res,
		     "DELETE FROM issues WHERE id = $1 RETURNING id",
		     DB_ARGS(DB_I(id)), &r->err) < 0)
		return -1;
	rows = db_res_rows(res);
	db_res_free(res);
	if (rows != 1)
		return issue_not_found(r, id);
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
	{ NULL }
};

int main(void)
{
	return app_main("issues", routes, CFG_NEED_JWT);
}
