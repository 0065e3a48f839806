/* products.c: the catalogue: anyone reads it, an ADMIN writes it. Every
 * write appends its event to the outbox in the same transaction. */
#include "common.h"

#include "app.h"
#include "jsonx.h"
#include "outbox.h"
#include "page.h"
#include "search.h"

/* The columns products_json() and products_event() expect, in order:
 * the search document's first (search_doc), then the rest. */
#define PRODUCT_COLUMNS SEARCH_DOC_COLUMNS ", version, updated_at"
#define COL_VERSION 8
#define COL_UPDATED 9

/*
 * The PRODUCT_UPSERTED payload: the search document {id, name,
 * description, category, brand, price, status, created_at} plus the
 * version, which orders the events of one product (Elasticsearch's
 * external version).
 */
static struct json_object *products_event(const struct db_res *res,
					  size_t i)
{
	struct json_object *o = search_doc(res, i);

	json_object_object_add(o, "version", json_object_new_int64(
				       db_res_int(res, i, COL_VERSION)));
	return o;
}

/* The API's product object: the document with its version and camelCase
 * times. The caller owns the new object. */
static struct json_object *products_json(const struct db_res *res, size_t i)
{
	struct json_object *o = search_doc(res, i);
	char t[32];

	json_object_object_del(o, "created_at");
	json_object_object_add(o, "version", json_object_new_int64(
				       db_res_int(res, i, COL_VERSION)));
	json_object_object_add(o, "createdAt",
			       json_object_new_string(db_res_time(res, i, 7, t)));
	json_object_object_add(o, "updatedAt", json_object_new_string(
				       db_res_time(res, i, COL_UPDATED, t)));
	return o;
}

/*
 * Run sql (… RETURNING PRODUCT_COLUMNS) and append the event of the row it
 * returns in one transaction. A statement that touches no row is 404.
 * *out (caller frees) is the returned row.
 */
static int products_write(struct req *r, int64_t id, const char *type,
			  const char *sql, const struct db_param *params,
			  size_t n, struct db_res **out)
{
	struct db *db = r->env->db;
	struct json_object *payload = NULL;
	struct db_res *res = NULL;
	char aggid[24];

	if (db_begin(db, &r->err) < 0)
		return -1;
	if (db_query(db, &res, sql, params, n, &r->err) < 0)
		goto fail;
	if (db_res_rows(res) != 1) {
		err_set(&r->err, ERR_NOT_FOUND, "Product %" PRId64 " not found",
			id);
		goto fail;
	}
	if (!strcmp(type, "PRODUCT_DELETED")) {
		/* A delete outranks every earlier version of the document. */
		payload = json_object_new_object();
		json_object_object_add(payload, "id", json_object_new_int64(
					       db_res_int(res, 0, 0)));
		json_object_object_add(payload, "version", json_object_new_int64(
					       db_res_int(res, 0, COL_VERSION) + 1));
	} else {
		if (search_doc_index(db, db_res_int(res, 0, 0),
				     db_res_str(res, 0, 1),
				     db_res_isnull(res, 0, 2) ? NULL :
				     db_res_str(res, 0, 2), &r->err) < 0)
			goto fail;
		payload = products_event(res, 0);
	}
	snprintf(aggid, sizeof(aggid), "%" PRId64, db_res_int(res, 0, 0));
	if (outbox_append(db, "product", aggid, type, payload, NULL,
			  &r->err) < 0 ||
	    db_commit(db, &r->err) < 0)
		goto fail;
	json_object_put(payload);
	*out = res;
	return 0;
fail:
	db_rollback(db);
	json_object_put(payload);
	if (res)
		db_res_free(res);
	return -1;
}

static int products_list(struct req *r)
{
	return page_list(r, 10, "SELECT count(*) FROM products",
			 "SELECT " PRODUCT_COLUMNS " FROM products ORDER BY id "
			 "LIMIT $1 OFFSET $2", products_json);
}

static int products_get(struct req *r)
{
	struct db_res *res = NULL;
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    db_query(r->env->db, &res,
		     "SELECT " PRODUCT_COLUMNS " FROM products WHERE id = $1",
		     DB_ARGS(DB_I(id)), &r->err) < 0)
		return -1;
	if (db_res_rows(res) != 1) {
		db_res_free(res);
		return err_set(&r->err, ERR_NOT_FOUND,
			       "Product %" PRId64 " not found", id);
	}
	req_json(r, 200, products_json(res, 0));
	db_res_free(res);
	return 0;
}

static const char *const statuses[] = { "ACTIVE", "INACTIVE", NULL };

static const struct valid_field create_fields[] = {
	{ "name", VALID_STRING, VALID_REQUIRED, 1, 200 },
	{ "description", VALID_STRING, 0, 0, 10000 },
	{ "category", VALID_STRING, VALID_REQUIRED, 1, 100 },
	{ "brand", VALID_STRING, VALID_REQUIRED, 1, 100 },
	{ "price", VALID_INT, VALID_REQUIRED, 0, INT64_MAX },
	{ "status", VALID_ENUM, 0, 0, 0, statuses },
	{ NULL }
};

static int products_create(struct req *r)
{
	struct json_object *body;
	struct db_res *res;
	const char *status;
	int64_t price = 0;
	char now[32];

	if (req_body_valid(r, create_fields, &body) < 0)
		return -1;
	jsonx_get_int(body, "price", &price);
	status = jsonx_get_str(body, "status");
	db_now(now);
	if (products_write(r, 0, "PRODUCT_UPSERTED",
			   "INSERT INTO products (name, description, category, "
			   "brand, price, status, created_at, updated_at) "
			   "VALUES ($1, $2, $3, $4, $5, $6, $7, $7) "
			   "RETURNING " PRODUCT_COLUMNS,
			   DB_ARGS(DB_S(jsonx_get_str(body, "name")),
				   DB_S(jsonx_get_str(body, "description")),
				   DB_S(jsonx_get_str(body, "category")),
				   DB_S(jsonx_get_str(body, "brand")),
				   DB_I(price),
				   DB_S(status ? status : "ACTIVE"),
				   DB_S(now)), &res) < 0)
		return -1;
	req_json(r, 201, products_json(res, 0));
	db_res_free(res);
	return 0;
}

static const struct valid_field update_fields[] = {
	{ "name", VALID_STRING, 0, 1, 200 },
	{ "description", VALID_STRING, 0, 0, 10000 },
	{ "category", VALID_STRING, 0, 1, 100 },
	{ "brand", VALID_STRING, 0, 1, 100 },
	{ "price", VALID_INT, 0, 0, INT64_MAX },
	{ "status", VALID_ENUM, 0, 0, 0, statuses },
	{ NULL }
};

/*
 * A property that is absent or null keeps its value, except description,
 * which null clears. Every PATCH is a change: version + 1 and an event.
 */
static int products_update(struct req *r)
{
	struct json_object *body;
	struct db_res *res;
	int64_t id, price;
	bool has_price;
	char now[32];

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_valid(r, update_fields, &body) < 0)
		return -1;
	has_price = jsonx_get_int(body, "price", &price);
	db_now(now);
	if (products_write(r, id, "PRODUCT_UPSERTED",
			   "UPDATE products SET name = COALESCE($1, name), "
			   "description = CASE WHEN $2 = 1 THEN $3 "
			   "ELSE description END, "
			   "category = COALESCE($4, category), "
			   "brand = COALESCE($5, brand), "
			   "price = COALESCE($6, price), "
			   "status = COALESCE($7, status), "
			   "version = version + 1, updated_at = $8 "
			   "WHERE id = $9 RETURNING " PRODUCT_COLUMNS,
			   DB_ARGS(DB_S(jsonx_get_str(body, "name")),
				   DB_I(jsonx_has(body, "description")),
				   DB_S(jsonx_get_str(body, "description")),
				   DB_S(jsonx_get_str(body, "category")),
				   DB_S(jsonx_get_str(body, "brand")),
				   has_price ? DB_I(price) : DB_NUL,
				   DB_S(jsonx_get_str(body, "status")),
				   DB_S(now), DB_I(id)), &res) < 0)
		return -1;
	req_json(r, 200, products_json(res, 0));
	db_res_free(res);
	return 0;
}

static int products_delete(struct req *r)
{
	struct db_res *res;
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    products_write(r, id, "PRODUCT_DELETED",
			   "DELETE FROM products WHERE id = $1 "
			   "RETURNING " PRODUCT_COLUMNS,
			   DB_ARGS(DB_I(id)), &res) < 0)
		return -1;
	db_res_free(res);
	return req_no_content(r);
}

static const struct route routes[] = {
	{ "GET", "/api/products", products_list, 0 },
	{ "GET", "/api/products/:id", products_get, 0 },
	{ "POST", "/api/products", products_create, ROUTE_ADMIN },
	{ "PATCH", "/api/products/:id", products_update, ROUTE_ADMIN },
	{ "DELETE", "/api/products/:id", products_delete, ROUTE_ADMIN },
	{ NULL }
};

int main(void)
{
	return app_main("products", routes, CFG_NEED_JWT);
}
