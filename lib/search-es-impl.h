/* search-es-impl.h: what the two halves of the Elasticsearch backend share
 * (lib/search-es.c, the search; lib/search-es-index.c, the index and its
 * reindex); not for callers, who use search.h and search-es.h. */
#ifndef AGORA_SEARCH_ES_IMPL_H
#define AGORA_SEARCH_ES_IMPL_H

#include "es.h"
#include "search-impl.h"

/* Reads and writes go through this alias; the indices behind it are
 * products_v1, products_v2, ... (the reindex makes the next one). */
#define ES_ALIAS "products"

/* The backend's struct search, made by search_es_open(). */
struct es_search {
	struct search base; /* first: a struct search * is one of these */
	struct es *es;
	struct db *db;
	long timeout_ms;
};

/*
 * search_es_unavailable: log why (a warning) and set e to the client's
 * 503 "Search is unavailable"; returns -1. In search-es.c; the reindex
 * answers the same.
 */
int search_es_unavailable(struct err *e, const struct err *why);

/*
 * search_es_reindex: the ops table's reindex (search.h's search_reindex()),
 * in search-es-index.c: the next products_vN, filled with the ACTIVE
 * products, made the alias's in one swap, then the outbox since the start
 * replayed on it; the old index is dropped.
 */
int search_es_reindex(struct search *s, search_progress_fn progress, void *ctx,
		      struct json_object **out, struct err *e);

#endif
