/* admin.c: ADMIN operations: rebuilding the product search index. */
#include "common.h"

#include "app.h"
#include "search.h"

static int admin_reindex_products(struct req *r)
{
	struct app *app = r->app;
	struct json_object *out;

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
