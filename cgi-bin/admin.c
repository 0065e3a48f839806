/* admin.c: ADMIN operations: rebuilding the product search index. */
#include "common.h"

#include "app.h"
#include "search.h"

/* The reindex takes no body properties: {} or an empty body. */
static const struct valid_field no_fields[] = {
	{ NULL }
};

static int admin_reindex_products(struct req *r)
{
	struct app *app = r->app;
	struct json_object *out, *body;

	/* Like every POST: 415 for a body that is not JSON, 400 for a
	 * property. Query parameters are ignored (the route takes none). */
	if (req_body_valid(r, no_fields, &body) < 0)
		return -1;
	if (!app->search) {
		if (search_open(&app->search, &app->cfg, app->db, &r->err) < 0)
			return -1;
		app->search_free = search_free;
	}
	if (search_reindex(app->search, NULL, NULL, &out, &r->err) < 0)
		return -1;
	return req_json(r, 201, out);
}

static const struct route routes[] = {
	{ "POST", "/api/admin/reindex/products", admin_reindex_products,
	  ROUTE_ADMIN },
	{ NULL }
};

int main(void)
{
	return app_main("admin", routes, CFG_NEED_JWT);
}
