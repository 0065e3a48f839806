/* search.c: product search: the backend the configuration names, behind
 * one interface (backends: fts.c, es.c; search-impl.h). */
#include "common.h"

#include "search-impl.h"

int search_open(struct search **out, const struct cfg *c, struct db *db,
		struct err *e)
{
	*out = NULL;
	if (c->elasticsearch_node[0])
		return es_search_open(out, c, db, e);
	return fts_search_open(out, c, db, e);
}

void search_free(struct search *s)
{
	if (s)
		s->ops->free(s);
}

const char *search_backend(const struct search *s)
{
	return s->ops->name;
}

int search_products(struct search *s, const struct search_query *q,
		    struct json_object **out, struct err *e)
{
	*out = NULL;
	return s->ops->products(s, q, out, e);
}

bool search_health(struct search *s, struct json_object **entry)
{
	return s->ops->health(s, entry);
}

int search_reindex(struct search *s, search_progress_fn progress, void *ctx,
		   struct json_object **out, struct err *e)
{
	*out = NULL;
	return s->ops->reindex(s, progress, ctx, out, e);
}

struct json_object *search_doc(const struct db_res *res, size_t i)
{
	struct json_object *o = json_object_new_object();
	char t[32];

	json_object_object_add(o, "id",
			       json_object_new_int64(db_res_int(res, i, 0)));
	json_object_object_add(o, "name",
			       json_object_new_string(db_res_str(res, i, 1)));
	json_object_object_add(o, "description",
			       db_res_isnull(res, i, 2) ? NULL :
			       json_object_new_string(db_res_str(res, i, 2)));
	json_object_object_add(o, "category",
			       json_object_new_string(db_res_str(res, i, 3)));
	json_object_object_add(o, "brand",
			       json_object_new_string(db_res_str(res, i, 4)));
	json_object_object_add(o, "price",
			       json_object_new_int64(db_res_int(res, i, 5)));
	json_object_object_add(o, "status",
			       json_object_new_string(db_res_str(res, i, 6)));
	json_object_object_add(o, "created_at",
			       json_object_new_string(db_res_time(res, i, 7, t)));
	return o;
}
