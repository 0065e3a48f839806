/* search-es.h: the products index on Elasticsearch (search-es-index.c),
 * for agora-indexd, which keeps it in step with the outbox (the search
 * itself is search.h's). */
#ifndef AGORA_SEARCH_ES_H
#define AGORA_SEARCH_ES_H

#include "es.h"

/*
 * search_es_ensure_index: when the alias products does not exist, create
 * products_v1 with the mapping and the alias in one call, so that no
 * write can ever create an index with a guessed mapping. Errors: -1 with
 * ERR_UNAVAILABLE (no answer, or a 5xx) or ERR_INTERNAL.
 */
int search_es_ensure_index(struct es *es, struct err *e);

/*
 * search_es_bulk_event: append to sb the bulk action for one outbox event
 * (type PRODUCT_UPSERTED or PRODUCT_DELETED, payload its JSON text) on
 * index (NULL: the alias products), with the payload's version as the
 * external version (a delete's payload carries the product's last
 * version plus one, so it outranks every index of it). Errors:
 * ERR_BAD_REQUEST for an unknown type or a payload without an integer id
 * and a version.
 */
int search_es_bulk_event(struct sbuf *sb, const char *index, const char *type,
			 const char *payload, struct err *e);

#endif
