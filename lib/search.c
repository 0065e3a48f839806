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
