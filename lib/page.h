/* page.h: list routes: their page and size parameters, their answer. */
#ifndef AGORA_PAGE_H
#define AGORA_PAGE_H

#include <stdint.h>
#include <json-c/json.h>

#include "col.h"
#include "db.h"
#include "req.h"

/* The two rows a list route's query table starts with. */
#define PAGE_FIELDS                             \
	{ "page", VALID_INT, 0, 1, INT64_MAX }, \
	{                                       \
		"size", VALID_INT, 0, 1, 100    \
	}

struct page {
	int64_t page; /* ≥ 1 */
	int64_t size; /* 1..100 */
	int64_t offset; /* (page - 1) * size, for OFFSET */
};

/*
 * page_get: page and size from q (a query checked against PAGE_FIELDS),
 * 1 and def_size when absent. A page whose offset would not fit an
 * int64 is a 400 "page must not be greater than N". Returns 0 or -1.
 */
int page_get(struct req *r, struct json_object *q, int64_t def_size,
	     struct page *p);

/* page_json: a list's answer {"total": <count's one value>, "items":
 * items}, which it takes. The caller owns the new object. */
struct json_object *page_json(const struct db_res *count,
			      struct json_object *items);

/*
 * page_list: a whole list route over table, by id, for a query that takes
 * only page and size: validates them (def_size when absent), counts the
 * rows (the statement total, or count(*) when NULL) and reads the page's,
 * as cols shows them, in one read transaction, so that total and items
 * come from one snapshot, and answers 200 with page_json(). Returns 0, or
 * -1 with r->err set.
 */
int page_list(struct req *r, int64_t def_size, const char *table,
	      const char *total, const struct col *cols);

#endif
