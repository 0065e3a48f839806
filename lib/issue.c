/* issue.c: showing issues, the popular list, and closing stale ones. */
#include "common.h"

#include <time.h>

#include "issue.h"
#include "jsonx.h"
#include "log.h"

struct json_object *issue_json(const struct db_res *res, size_t row)
{
	struct json_object *o = json_object_new_object();
	const char *desc = db_res_str(res, row, 2);
	char t[32];

	json_object_object_add(o, "id",
			       json_object_new_int64(db_res_int(res, row, 0)));
	json_object_object_add(o, "title",
			       json_object_new_string(db_res_str(res, row, 1)));
	json_object_object_add(o, "description",
			       desc ? json_object_new_string(desc) : NULL);
	json_object_object_add(o, "status",
			       json_object_new_string(db_res_str(res, row, 3)));
	json_object_object_add(o, "priority",
			       json_object_new_string(db_res_str(res, row, 4)));
	json_object_object_add(o, "viewCount",
			       json_object_new_int64(db_res_int(res, row, 5)));
	json_object_object_add(o, "authorId",
			       json_object_new_int64(db_res_int(res, row, 6)));
	json_object_object_add(o, "createdAt", json_object_new_string(
					db_res_time(res, row, 7, t)));
	json_object_object_add(o, "updatedAt", json_object_new_string(
					db_res_time(res, row, 8, t)));
	return o;
}

int issue_popular_load(struct db *db, struct sbuf *out, size_t *count,
		       struct err *e)
{
	struct json_object *arr;
	struct db_res *res;
	const char *s;
	size_t i, len;

	if (db_query(db, &res,
		     "SELECT " ISSUE_COLUMNS " FROM issues "
		     "WHERE status <> 'CLOSED' "
		     "ORDER BY view_count DESC, id LIMIT $1",
		     DB_ARGS(DB_I(ISSUE_POPULAR_SIZE)), e) < 0)
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
