/* page.h: list routes: their page and size parameters, their answer. */
#ifndef AGORA_PAGE_H
#define AGORA_PAGE_H

#include <stdint.h>
#include <json-c/json.h>

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

/*
 * page_answer: answer 200 {"total": <count's one value>, "items":
 * [item(rows, 0), …]}. Returns 0 (as req_json).
 */
int page_answer(struct req *r, const struct db_res *count,
		const struct db_res *rows,
		struct json_object *(*item)(const struct db_res *, size_t));

/*
 * page_list: a whole list route for a query that takes only page and
 * size: validates them (def_size when absent), runs count_sql and rows_sql
 * (which must end with "LIMIT $1 OFFSET $2") in one read transaction, so
 * that total and items come from one snapshot, and answers as
 * page_answer().
 * Returns 0, or -1 with r->err set.
 */
int page_list(struct req *r, int64_t def_size, const char *count_sql,
	      const char *rows_sql,
	      struct json_object *(*item)(const struct db_res *, size_t));

#endif
