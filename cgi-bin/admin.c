/* admin.c: ADMIN operations: rebuilding the product search index. */
#include "common.h"

#include "app.h"
#include "search.h"

/* The reindex takes no body properties: {} or an empty body. */
static const struct valid_field no_fields[] = {
	{ NULL },
};

static int admin_reindex_products(struct req *r)
{
	struct json_object *out, *body;
	struct search *s;

	/* Like every POST: 415 for a body that is not JSON, 400 for a
	 * property. Query parameters are ignored (the route takes none). */
	if (req_body_valid(r, no_fields, &body) < 0)
		return -1;
	if (app_search(app_of(r), &s, &r->err) < 0 ||
	    search_reindex(s, NULL, NULL, &out, &r->err) < 0)
		return -1;
	return req_json(r, 201, out);
}

static const struct route routes[] = {
	{ "POST", "/api/admin/reindex/products", admin_reindex_products,
	  ROUTE_ADMIN },
	{ NULL },
};

APP_MAIN("admin", routes, CFG_NEED_JWT)
