/* search.c: GET /api/search/products on the configured search backend,
 * and GET /api/search/suggest. */
#include "common.h"

#include "app.h"
#include "jsonx.h"
#include "search.h"

static const char *const sorts[] = { "relevance", "price_asc", "price_desc",
				     "newest", NULL };

static const struct valid_field search_fields[] = {
	{ "q", VALID_STRING, 0, 0, 200 },
	{ "category", VALID_STRING, 0, 1, 100 },
	{ "brand", VALID_STRING, 0, 1, 100 },
	{ "minPrice", VALID_INT, 0, 0, INT64_MAX },
	{ "maxPrice", VALID_INT, 0, 0, INT64_MAX },
	{ "page", VALID_INT, 0, 1, INT64_MAX },
	{ "size", VALID_INT, 0, 1, 100 },
	{ "sort", VALID_ENUM, 0, 0, 0, sorts },
	{ NULL },
};

/* Deep pages cost as much as Elasticsearch's max_result_window allows. */
#define SEARCH_WINDOW 10000

static int search_products_route(struct req *r)
{
	struct search_query sq = { 0 };
	struct json_object *q, *out;
	struct search *s;
	const char *sort;
	size_t i;

	if (req_query_valid(r, search_fields, &q) < 0)
		return -1;
	sq.q = jsonx_get_str(q, "q");
	sq.category = jsonx_get_str(q, "category");
	sq.brand = jsonx_get_str(q, "brand");
	sq.min_price = sq.max_price = -1;
	sq.page = 1;
	sq.size = 10;
	jsonx_get_int(q, "minPrice", &sq.min_price);
	jsonx_get_int(q, "maxPrice", &sq.max_price);
	jsonx_get_int(q, "page", &sq.page);
	jsonx_get_int(q, "size", &sq.size);
	sort = jsonx_get_str(q, "sort");
	for (i = 0; sort && sorts[i]; i++)
		if (!strcmp(sort, sorts[i]))
			sq.sort = (enum search_sort)i;
	if (sq.min_price >= 0 && sq.max_price >= 0 &&
	    sq.max_price < sq.min_price)
		err_add(&r->err, "maxPrice must not be less than minPrice");
	if (sq.page > SEARCH_WINDOW / sq.size)
		err_add(&r->err, "page * size must not be greater than %d",
			SEARCH_WINDOW);
	if (r->err.code)
		return -1;
	if (app_search(app_of(r), &s, &r->err) < 0 ||
	    search_products(s, &sq, &out, &r->err) < 0)
		return -1;
	return req_json(r, 200, out);
}

static const struct valid_field suggest_fields[] = {
	{ "q", VALID_STRING, VALID_REQUIRED, 1, 100 },
	{ "size", VALID_INT, 0, 1, 10 },
	{ NULL },
};

static int search_suggest_route(struct req *r)
{
	struct json_object *q, *out;
	struct search *s;
	int64_t size = 5;

	if (req_query_valid(r, suggest_fields, &q) < 0)
		return -1;
	jsonx_get_int(q, "size", &size);
	if (app_search(app_of(r), &s, &r->err) < 0 ||
	    search_suggest(s, jsonx_get_str(q, "q"), size, &out, &r->err) < 0)
		return -1;
	return req_json(r, 200, out);
}

static const struct route routes[] = {
	{ "GET", "/api/search/products", search_products_route, 0 },
	{ "GET", "/api/search/suggest", search_suggest_route, 0 },
	{ NULL },
};

APP_MAIN("search", routes, CFG_NEED_JWT)
