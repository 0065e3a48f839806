/* page.c: paging of list routes, and the {total, items} they answer. */
#include "common.h"

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
		return err_add(&r->err, "page must not be greater than %" PRId64,
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
			       json_object_new_int64(db_res_int(count, 0, 0)));
	json_object_object_add(o, "items", items);
	return req_json(r, 200, o);
}
