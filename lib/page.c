/* page.c: paging of list routes, and the {total, items} they answer. */
#include "common.h"

#include "col.h"
#include "jsonx.h"
#include "page.h"

int page_get(struct req *r, struct json_object *q, int64_t def_size,
	     struct page *p)
{
	p->page = 1;
	p->size = def_size;
	jsonx_get_int(q, "page", &p->page);
	jsonx_get_int(q, "size", &p->size);
	if (p->page > INT64_MAX / p->size)
		return err_add(&r->err,
			       "page must not be greater than %" PRId64,
			       INT64_MAX / p->size);
	p->offset = (p->page - 1) * p->size;
	return 0;
}

int page_answer(struct req *r, const struct db_res *count,
		const struct db_res *rows,
		struct json_object *(*item)(const struct db_res *, size_t))
{
	struct json_object *o = json_object_new_object();
	struct json_object *items = json_object_new_array();
	size_t i;

	for (i = 0; i < db_res_rows(rows); i++)
		json_object_array_add(items, item(rows, i));
	json_object_object_add(o, "total",
			       json_object_new_int64(col_one_int(count)));
	json_object_object_add(o, "items", items);
	return req_json(r, 200, o);
}

int page_list(struct req *r, int64_t def_size, const char *count_sql,
	      const char *rows_sql,
	      struct json_object *(*item)(const struct db_res *, size_t))
{
	static const struct valid_field fields[] = { PAGE_FIELDS, { NULL } };
	struct json_object *q;
	struct db_res *res = NULL, *cnt = NULL;
	struct page p;
	int ret = -1;

	if (req_query_valid(r, fields, &q) < 0 ||
	    page_get(r, q, def_size, &p) < 0)
		return -1;
	/* total and items from one snapshot: a row added between the two
	 * statements would make them disagree. */
	if (db_begin_read(r->env->db, &r->err) < 0)
		return -1;
	if (db_query(r->env->db, &cnt, count_sql, DB_NOARGS, &r->err) < 0 ||
	    db_query(r->env->db, &res, rows_sql,
		     DB_ARGS(DB_I(p.size), DB_I(p.offset)), &r->err) < 0 ||
	    db_commit(r->env->db, &r->err) < 0)
		goto out;
	ret = page_answer(r, cnt, res, item);
out:
	db_rollback(r->env->db);
	db_res_free(res);
	db_res_free(cnt);
	return ret;
}
