/* issue.c: showing issues, the popular list, and closing stale ones. */
#include "common.h"

#include <time.h>

#include "issue.h"
#include "jsonx.h"
#include "log.h"

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
	{ NULL }
};

struct json_object *issue_json(const struct db_res *res, size_t row)
{
	return col_json(issue_cols, res, row);
}

int issue_popular_load(struct db *db, struct sbuf *out, size_t *count,
		       struct err *e)
{
	struct json_object *arr;
	struct sbuf sql = SBUF_INIT;
	struct db_res *res;
	const char *s;
	size_t i, len;
	int rc;

	rc = db_query(db, &res,
		      col_sql(&sql, "SELECT ", issue_cols, " FROM issues "
			      "WHERE status <> 'CLOSED' "
			      "ORDER BY view_count DESC, id LIMIT $1"),
		      DB_ARGS(DB_I(ISSUE_POPULAR_SIZE)), e);
	sbuf_release(&sql);
	if (rc < 0)
		return -1;
	arr = json_object_new_array();
	for (i = 0; i < db_res_rows(res); i++)
		json_object_array_add(arr, issue_json(res, i));
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
	time_t t = time(NULL) - (time_t)days * 86400;
	struct tm tm;

	/* The same text form as db_now(), which both backends compare as
	 * time (SQLite: as text of one fixed width). */
	gmtime_r(&t, &tm);
	strftime(cutoff, sizeof(cutoff), "%Y-%m-%dT%H:%M:%S.000Z", &tm);
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
