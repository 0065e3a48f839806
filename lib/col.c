/* col.c: column tables: SELECT lists and row → JSON. */
#include "common.h"

#include "col.h"

void col_list(struct sbuf *sb, const struct col *cols, const char *alias)
{
	size_t i;

	for (i = 0; cols[i].sql; i++)
		sbuf_addf(sb, "%s%s%s%s", i ? ", " : "", alias ? alias : "",
			  alias ? "." : "", cols[i].sql);
}

const char *col_sql(struct sbuf *sb, const char *head, const struct col *cols,
		    const char *tail)
{
	sbuf_reset(sb);
	sbuf_addstr(sb, head);
	col_list(sb, cols, NULL);
	sbuf_addstr(sb, tail);
	return sb->buf;
}

int col_query(struct db *db, struct db_res **res, const char *head,
	      const struct col *cols, const char *tail,
	      const struct db_param *params, size_t n, struct err *e)
{
	struct sbuf sql = SBUF_INIT;
	int rc;

	rc = db_query(db, res, col_sql(&sql, head, cols, tail), params, n, e);
	sbuf_release(&sql);
	return rc;
}

int col_query_one(struct db *db, struct json_object **out, const char *head,
		  const struct col *cols, const char *tail,
		  const struct db_param *params, size_t n, struct err *e)
{
	struct db_res *res = NULL;
	int rc;

	if (col_query(db, &res, head, cols, tail, params, n, e) < 0)
		return -1;
	rc = db_res_rows(res) == 1;
	if (rc)
		*out = col_json(cols, res, 0);
	db_res_free(res);
	return rc;
}

struct json_object *col_json(const struct col *cols, const struct db_res *res,
			     size_t row)
{
	struct json_object *o = json_object_new_object();
	struct json_object *v;
	char t[32];
	size_t i;

	for (i = 0; cols[i].sql; i++) {
		if (!cols[i].key)
			continue;
		if (db_res_isnull(res, row, i))
			v = NULL;
		else if (cols[i].type == COL_INT)
			v = json_object_new_int64(db_res_int(res, row, i));
		else if (cols[i].type == COL_TIME)
			v = json_object_new_string(db_res_time(res, row, i, t));
		else
			v = json_object_new_string(db_res_str(res, row, i));
		json_object_object_add(o, cols[i].key, v);
	}
	return o;
}

struct json_object *col_json_rows(const struct col *cols,
				  const struct db_res *res)
{
	struct json_object *arr = json_object_new_array();
	size_t i;

	for (i = 0; i < db_res_rows(res); i++)
		json_object_array_add(arr, col_json(cols, res, i));
	return arr;
}

int64_t col_one_int(const struct db_res *res)
{
	return db_res_rows(res) ? db_res_int(res, 0, 0) : 0;
}

const char *col_one_str(const struct db_res *res)
{
	return db_res_rows(res) ? db_res_str(res, 0, 0) : NULL;
}
