/* search.h: product search behind one interface: the database's own full
 * text (SQLite FTS5, PostgreSQL tsvector) or Elasticsearch. */
#ifndef AGORA_SEARCH_H
#define AGORA_SEARCH_H

#include <stdint.h>
#include <json-c/json.h>

#include "cfg.h"
#include "db.h"
#include "err.h"
#include "sbuf.h"

enum search_sort {
	SEARCH_RELEVANCE, /* default; without q: newest first */
	SEARCH_PRICE_ASC,
	SEARCH_PRICE_DESC,
	SEARCH_NEWEST,
};

/* A validated query (cgi-bin/search.c checks the bounds docs/api.md gives). */
struct search_query {
	const char *q; /* NULL or "": every ACTIVE product */
	const char *category; /* NULL: any; else an exact match */
	const char *brand; /* NULL: any; else an exact match */
	int64_t min_price; /* -1: unbounded */
	int64_t max_price; /* -1: unbounded */
	int64_t page; /* ≥ 1 */
	int64_t size; /* 1..100 */
	enum search_sort sort;
};

struct search;

/*
 * struct search_load: the vocabulary of a bulk load of products (agora
 * seed), counted in memory as the rows are made while the triggers that
 * count row by row are off, then added to search_vocab in one pass.
 *
 * search_load_count: count the words of an ACTIVE product whose name and
 * description the caller has analysed (search_analyze(), an analysis
 * that the load shares with the product's tsvector and postings).
 * search_load_store: add the counts to search_vocab, in the caller's
 * transaction, in byte order of the words (the order the triggers take
 * their rows in).
 */
struct search_analysis;
struct search_load;
struct search_load *search_load_new(void);
void search_load_count(struct search_load *l,
		       const struct search_analysis *name,
		       const struct search_analysis *description);
int search_load_store(struct search_load *l, struct db *db, struct err *e);
void search_load_free(struct search_load *l);

/* search_price_bucket: the bucket of product_price_facets that holds a
 * price (>= 0): the price to two significant digits, 123456 -> 120000. */
int64_t search_price_bucket(int64_t price);

/*
 * search_open: the backend the configuration names: Elasticsearch when
 * ELASTICSEARCH_NODE is set, else the database's full text on db (which
 * the caller keeps owning and must outlive the search). Opening does no
 * I/O. The caller owns *out: search_free(), which does nothing with NULL.
 */
int search_open(struct search **out, const struct cfg *c, struct db *db,
		struct err *e);
void search_free(struct search *s);

/*
 * search_products: run q. *out is a new object the caller owns:
 *   {"total":n,"items":[{id,name,description,category,brand,price,status,
 *    created_at}…],"facets":{"category":[{"value","count"}…],"brand":[…]}}
 * With q, each item also carries "highlight": {"name", "description"}:
 * the field HTML-escaped with what q matched in <em>…</em>, or null when
 * nothing matched in it. When a word of q matched nothing and the closest
 * indexed word finds products, the answer is that search's, with
 * "correctedQuery": the words searched.
 * Only ACTIVE products. Facet counts describe the matches of q and the
 * price range before the category and brand filters (ES: aggregations +
 * post_filter). Errors: 503 "Search is unavailable" when the backend
 * cannot answer (ES down or slow), 500 otherwise.
 */
int search_products(struct search *s, const struct search_query *q,
		    struct json_object **out, struct err *e);

/*
 * search_suggest: completions of q's last word while it is typed: *out
 * (caller owns) is {"items":[{"text","count"}…]}, at most size, the words
 * of ACTIVE products that start with it, most frequent first, each after
 * q's earlier words; count is how many products hold the word.
 */
int search_suggest(struct search *s, const char *q, int64_t size,
		   struct json_object **out, struct err *e);

/*
 * search_health: the /api/health "search" entry: {"status":"up",
 * "backend":"database"} or the ES cluster health; returns up or down.
 */
bool search_health(struct search *s, struct json_object **entry);

/* Progress of a reindex: called after each batch (may be NULL). */
typedef void (*search_progress_fn)(void *ctx, int64_t done, int64_t total);

/*
 * search_reindex: rebuild the index from the database, which stays the
 * truth. Elasticsearch: create products_vN+1 with the mapping, stream the
 * ACTIVE products in batches (memory stays flat), bulk-load, refresh, swap
 * the alias `products` in one _aliases call, delete the old index; search
 * answers throughout. Database: rebuild the full-text index. *out (caller
 * owns): {"indexed":n,"index":"products_v7","tookMs":…}.
 */
int search_reindex(struct search *s, search_progress_fn progress, void *ctx,
		   struct json_object **out, struct err *e);

#endif
