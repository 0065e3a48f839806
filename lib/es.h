/* es.h: a small Elasticsearch 8 REST client over libcurl, the products
 * index (mapping, alias, bulk lines), and the search backend on it. */
#ifndef AGORA_ES_H
#define AGORA_ES_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "err.h"
#include "sbuf.h"

/* Reads and writes go through this alias; the indices behind it are
 * products_v1, products_v2, ... (the reindex makes the next one). */
#define ES_ALIAS "products"

struct es;

/*
 * es_open: a client for node ("http://host:9200", no trailing path). One
 * curl handle, kept for the life of the client so that its connection is
 * reused; every call is bounded by a connect timeout (at most 1 s) and a
 * total timeout of timeout_ms. No I/O happens here. The caller owns *out:
 * es_free().
 */
int es_open(struct es **out, const char *node, long timeout_ms,
	    struct err *e);
void es_free(struct es *es);
/* es_set_timeout: the total timeout of the following calls. */
void es_set_timeout(struct es *es, long timeout_ms);

/*
 * es_call: one request. path starts with '/' and may carry a query
 * string; body (may be NULL) is JSON, or NDJSON when ndjson is true.
 * On an HTTP answer of any status: 0, *status set and *out the parsed
 * JSON body (NULL when empty; the caller owns it). When no answer came
 * (refused, reset, timed out, unparsable): -1 with ERR_UNAVAILABLE and
 * the reason in e->msg.
 */
int es_call(struct es *es, const char *method, const char *path,
	    const char *body, size_t len, bool ndjson, long *status,
	    struct json_object **out, struct err *e);

/* es_error_type: error.type of an ES error body ("" when there is none);
 * borrowed from body. */
const char *es_error_type(struct json_object *body);

/* es_mapping: the products index body (settings and explicit mapping),
 * a constant string. */
const char *es_mapping(void);

/*
 * es_alias_index: the index the alias products points at, in *index
 * (caller frees), or NULL when there is no such alias. Errors: -1 with
 * ERR_UNAVAILABLE (no answer, or a 5xx) or ERR_INTERNAL.
 */
int es_alias_index(struct es *es, char **index, struct err *e);

/*
 * es_ensure_index: when the alias products does not exist, create
 * products_v1 with the mapping and the alias in one call, so that no
 * write can ever create an index with a guessed mapping. Errors: as
 * es_alias_index.
 */
int es_ensure_index(struct es *es, struct err *e);

/*
 * es_doc: the indexed document of a product event payload or row
 * {id,name,description,category,brand,price,status,created_at[,version]}:
 * a new object without the version (the mapping is strict), or NULL when
 * payload lacks an id. *version gets payload's version (0 if absent).
 */
struct json_object *es_doc(struct json_object *payload, int64_t *version);

/*
 * Bulk bodies: es_bulk_index / es_bulk_delete append one action (and its
 * document) to sb, with version_type=external. The target is the index
 * given (NULL: the alias).
 */
void es_bulk_index(struct sbuf *sb, const char *index, int64_t id,
		   int64_t version, struct json_object *doc);
void es_bulk_delete(struct sbuf *sb, const char *index, int64_t id,
		    int64_t version);

/*
 * es_bulk_event: append the action for one outbox event (type
 * PRODUCT_UPSERTED or PRODUCT_DELETED, payload its JSON text), with
 * the payload's version as the external version (a delete's payload
 * carries the product's last version plus one, so it outranks every
 * index of it). Errors: ERR_BAD_REQUEST
 * for an unknown type or a payload without an integer id.
 */
int es_bulk_event(struct sbuf *sb, const char *index, const char *type,
		  const char *payload, struct err *e);

/*
 * es_item_settled: is a bulk item's status final? 2xx; 409 (a newer
 * version is already there); 404 on a delete (already gone).
 */
bool es_item_settled(int status, bool is_delete);

/*
 * es_bulk: POST the NDJSON body (which ends with a newline) to _bulk
 * (path: "/_bulk?require_alias=true" or "/<index>/_bulk"). *items gets the
 * response's items array (a reference the caller puts), one per action in
 * order. Errors: -1 with ERR_UNAVAILABLE when no answer came, the request
 * was rejected as a whole with 429 or 5xx; ERR_INTERNAL for another
 * whole-request error (the message says which).
 */
int es_bulk(struct es *es, const char *path, const struct sbuf *body,
	    struct json_object **items, struct err *e);

/*
 * es_item_status: the status of one bulk item ({"index":{...}} or
 * {"delete":{...}}), its error type ("" when none) and its result in
 * *result ("created", "not_found", ...; "" when none). Borrowed.
 */
int es_item_status(struct json_object *item, const char **type,
		   const char **result);

#endif
