/* products.c: the catalogue: anyone reads it, an ADMIN writes it (each
 * write commits with its outbox event: lib/product.c). */
#include "common.h"

#include "app.h"
#include "jsonx.h"
#include "page.h"
#include "product.h"

static int products_list(struct req *r)
{
	/* the count kept by triggers (db/<dialect>/0018_product_total.sql) */
	return page_list(r, 10, "products", "SELECT n FROM product_total",
			 product_cols);
}

static int products_get(struct req *r)
{
	struct json_object *o;
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    product_get(r->env->db, id, &o, &r->err) < 0)
		return -1;
	return req_json(r, 200, o);
}

/* products_input: a validated body as a write's input. */
static void products_input(struct json_object *body, struct product_input *in)
{
	memset(in, 0, sizeof(*in));
	in->name = jsonx_get_str(body, "name");
	in->description = jsonx_get_str(body, "description");
	in->has_description = jsonx_has(body, "description");
	in->category = jsonx_get_str(body, "category");
	in->brand = jsonx_get_str(body, "brand");
	in->has_price = jsonx_get_int(body, "price", &in->price);
	in->status = jsonx_get_str(body, "status");
}

static const char *const statuses[] = { "ACTIVE", "INACTIVE", NULL };

/* A product's properties; an update takes any of them, none required. */
static const struct valid_field fields[] = {
	{ "name", VALID_STRING, VALID_REQUIRED, 1, 200 },
	{ "description", VALID_STRING, 0, 0, 10000 },
	{ "category", VALID_STRING, VALID_REQUIRED, 1, 100 },
	{ "brand", VALID_STRING, VALID_REQUIRED, 1, 100 },
	{ "price", VALID_INT, VALID_REQUIRED, 0, INT64_MAX },
	{ "status", VALID_ENUM, 0, 0, 0, statuses },
	{ NULL },
};

static int products_create(struct req *r)
{
	struct product_input in;
	struct json_object *body;
	struct db_res *res;

	if (req_body_valid(r, fields, &body) < 0)
		return -1;
	products_input(body, &in);
	if (product_create(r->env->db, &in, &res, &r->err) < 0)
		return -1;
	req_json(r, 201, col_json(product_cols, res, 0));
	db_res_free(res);
	return 0;
}

/* A property that is absent or null keeps its value, except description,
 * which null clears (product_update). */
static int products_update(struct req *r)
{
	struct product_input in;
	struct json_object *body;
	struct db_res *res;
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_partial(r, fields, &body) < 0)
		return -1;
	products_input(body, &in);
	if (product_update(r->env->db, id, &in, &res, &r->err) < 0)
		return -1;
	req_json(r, 200, col_json(product_cols, res, 0));
	db_res_free(res);
	return 0;
}

static int products_delete(struct req *r)
{
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    product_delete(r->env->db, id, NULL, &r->err) < 0)
		return -1;
	return req_no_content(r);
}

static const struct route routes[] = {
	{ "GET", "/api/products", products_list, 0 },
	{ "GET", "/api/products/:id", products_get, 0 },
	{ "POST", "/api/products", products_create, ROUTE_ADMIN },
	{ "PATCH", "/api/products/:id", products_update, ROUTE_ADMIN },
	{ "DELETE", "/api/products/:id", products_delete, ROUTE_ADMIN },
	{ NULL },
};

APP_MAIN("products", routes, CFG_NEED_JWT)
