/* issue.c: showing issues, the popular list, and closing stale ones. */
#include "common.h"

#include "clock.h"
#include "issue.h"
#include "jsonx.h"
#include "log.h"
#include "page.h"

const struct col issue_cols[] = {
	[ISSUE_ID] = COL_ID,
	[ISSUE_TITLE] = { "title", "title", COL_TEXT },
	[ISSUE_DESCRIPTION] = { "description", "description", COL_TEXT },
	[ISSUE_STATUS] = { "status", "status", COL_TEXT },
	[ISSUE_PRIORITY] = { "priority", "priority", COL_TEXT },
	[ISSUE_VIEWS] = { "view_count", "viewCount", COL_INT },
	[ISSUE_AUTHOR] = { "author_id", "authorId", COL_INT },
	[ISSUE_CREATED] = COL_CREATED_AT,
	[ISSUE_UPDATED] = COL_UPDATED_AT,
	{ NULL },
};

static int issue_not_found(struct err *e, int64_t id)
{
	return err_set(e, ERR_NOT_FOUND, "Issue %" PRId64 " not found", id);
}

int issue_list(struct db *db, const char *status, int64_t author, int64_t limit,
	       int64_t offset, struct json_object **out, struct err *e)
{
	struct db_res *res = NULL, *cnt = NULL;
	struct sbuf where = SBUF_INIT, sql = SBUF_INIT;
	struct db_param params[4];
	size_t n = 0;
	int ret = -1;

	/* One SQL text per filter combination: four at most, each prepared
	 * once per connection. */
	sbuf_addstr(&where, " WHERE 1 = 1");
	if (status) {
		params[n++] = DB_S(status);
		sbuf_addf(&where, " AND status = $%zu", n);
	}
	if (author) {
		params[n++] = DB_I(author);
		sbuf_addf(&where, " AND author_id = $%zu", n);
	}
	sbuf_addf(&sql, "SELECT count(*) FROM issues%s", where.buf);
	/* total and items from one snapshot. */
	if (db_begin_read(db, e) < 0 ||
	    db_query(db, &cnt, sql.buf, params, n, e) < 0)
		goto out;
	sbuf_reset(&sql);
	sbuf_addstr(&sql, "SELECT ");
	col_list(&sql, issue_cols, NULL);
	sbuf_addf(&sql,
		  " FROM issues%s "
		  "ORDER BY created_at DESC, id DESC LIMIT $%zu OFFSET $%zu",
		  where.buf, n + 1, n + 2);
	params[n] = DB_I(limit);
	params[n + 1] = DB_I(offset);
	if (db_query(db, &res, sql.buf, params, n + 2, e) < 0 ||
	    db_commit(db, e) < 0)
		goto out;
	*out = page_json(cnt, col_json_rows(issue_cols, res));
	ret = 0;
out:
	db_rollback(db);
	db_res_free(res);
	db_res_free(cnt);
	sbuf_release(&where);
	sbuf_release(&sql);
	return ret;
}

/* issue_found: col_query_one()'s answer rc for issue id: 0 when it gave
 * the issue, -1 with e set when not (none is 404). */
static int issue_found(int rc, int64_t id, struct err *e)
{
	if (rc < 0)
		return -1;
	return rc ? 0 : issue_not_found(e, id);
}

int issue_view(struct db *db, int64_t id, struct json_object **out,
	       struct err *e)
{
	return issue_found(col_query_one(db, out,
					 "UPDATE issues SET "
					 "view_count = view_count + 1 WHERE "
					 "id = $1 RETURNING ",
					 issue_cols, "", DB_ARGS(DB_I(id)), e),
			   id, e);
}

int issue_create(struct db *db, int64_t author, const struct issue_input *in,
		 struct json_object **out, struct err *e)
{
	char now[32];

	db_now(now);
	return issue_found(col_query_one(db, out,
					 "INSERT INTO issues (title, "
					 "description, priority, author_id, "
					 "created_at, updated_at) VALUES ($1, "
					 "$2, $3, $4, $5, $5) RETURNING ",
					 issue_cols, "",
					 DB_ARGS(DB_S(in->title),
						 DB_S(in->description),
						 DB_S(in->priority ?
							      in->priority :
							      "MEDIUM"),
						 DB_I(author), DB_S(now)),
					 e),
			   0, e);
}

int issue_update(struct db *db, int64_t id, int64_t by, bool admin,
		 const struct issue_input *in, struct json_object **out,
		 struct err *e)
{
	const char *const cols[] = { "title", "status", "priority" };
	const char *const vals[] = { in->title, in->status, in->priority };
	struct sbuf sql = SBUF_INIT;
	struct db_res *res = NULL;
	struct db_param params[6];
	char now[32];
	size_t i, n, rows;
	bool allowed;
	int ret;

	if (db_query(db, &res, "SELECT author_id FROM issues WHERE id = $1",
		     DB_ARGS(DB_I(id)), e) < 0)
		return -1;
	rows = db_res_rows(res);
	allowed = admin || col_one_int(res) == by;
	db_res_free(res);
	if (rows != 1)
		return issue_not_found(e, id);
	if (!allowed)
		return err_set(e, ERR_FORBIDDEN, "Forbidden resource");

	db_now(now);
	params[0] = DB_I(id);
	params[1] = DB_S(now);
	n = 2;
	sbuf_addstr(&sql, "UPDATE issues SET updated_at = $2");
	for (i = 0; i < ARRAY_SIZE(cols); i++) {
		if (!vals[i])
			continue;
		params[n++] = DB_S(vals[i]);
		sbuf_addf(&sql, ", %s = $%zu", cols[i], n);
	}
	/* description alone may be cleared with null */
	if (in->description) {
		params[n++] = DB_S(in->description);
		sbuf_addf(&sql, ", description = $%zu", n);
	} else if (in->has_description) {
		sbuf_addstr(&sql, ", description = NULL");
	}
	sbuf_addstr(&sql, " WHERE id = $1 RETURNING ");
	/* No row: deleted meanwhile, 404. */
	ret = issue_found(col_query_one(db, out, sql.buf, issue_cols, "",
					params, n, e),
			  id, e);
	sbuf_release(&sql);
	return ret;
}

int issue_delete(struct db *db, int64_t id, struct err *e)
{
	struct db_res *res;
	size_t rows;

	if (db_query(db, &res, "DELETE FROM issues WHERE id = $1 RETURNING id",
		     DB_ARGS(DB_I(id)), e) < 0)
		return -1;
	rows = db_res_rows(res);
	db_res_free(res);
	return rows == 1 ? 0 : issue_not_found(e, id);
}

int issue_popular_load(struct db *db, struct sbuf *out, size_t *count,
		       struct err *e)
{
	struct json_object *arr;
	struct db_res *res;
	const char *s;
	size_t len;

	if (col_query(db, &res, "SELECT ", issue_cols,
		      " FROM issues WHERE "
		      "status <> 'CLOSED' ORDER BY view_count DESC, id "
		      "LIMIT $1",
		      DB_ARGS(DB_I(ISSUE_POPULAR_SIZE)), e) < 0)
		return -1;
	arr = col_json_rows(issue_cols, res);
	s = jsonx_str(arr, &len);
	sbuf_add(out, s, len);
	json_object_put(arr);
	if (count)
		*count = db_res_rows(res);
	db_res_free(res);
	return 0;
}

void issue_popular_forget(struct cache *cache, const char *reqid)
{
	struct err e = ERR_INIT;

	if (cache && cache_del(cache, ISSUE_POPULAR_KEY, &e) < 0)
		log_msg(LOG_WARN, reqid, "cache: cannot delete %s: %s",
			ISSUE_POPULAR_KEY, e.msg);
	err_release(&e);
}

int issue_close_stale(struct db *db, int days, long *closed, struct err *e)
{
	struct db_res *res;
	char cutoff[32], now[32];

	clock_ago(cutoff, (long)days * 86400);
	db_now(now);
	if (db_query(db, &res,
		     "UPDATE issues SET status = 'CLOSED', updated_at = $2 "
		     "WHERE status IN ('OPEN', 'IN_PROGRESS') "
		     "AND updated_at < $1 RETURNING id",
		     DB_ARGS(DB_S(cutoff), DB_S(now)), e) < 0)
		return -1;
	*closed = (long)db_res_rows(res);
	db_res_free(res);
	return 0;
}
