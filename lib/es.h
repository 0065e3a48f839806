/* es.h: a small Elasticsearch 8 REST client over libcurl: requests with
 * timeouts, errors, _bulk bodies and their answers. */
#ifndef AGORA_ES_H
#define AGORA_ES_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "err.h"
#include "sbuf.h"

struct es;

/*
 * es_open: a client for node ("http://host:9200", no trailing path). One
 * curl handle, kept for the life of the client so that its connection is
 * reused; every call is bounded by a connect timeout (at most 1 s) and a
 * total timeout of timeout_ms. No I/O happens here. The caller owns *out:
 * es_free(), which does nothing with NULL.
 */
int es_open(struct es **out, const char *node, long timeout_ms, struct err *e);
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

/* es_fail: set e for an unexpected HTTP answer (status, body) to what:
 * ERR_UNAVAILABLE for 429 and 5xx, else ERR_INTERNAL. Returns -1. */
int es_fail(struct err *e, const char *what, long status,
	    struct json_object *body);

/*
 * Bulk bodies: es_bulk_index / es_bulk_delete append one action (and its
 * document, which stays the caller's) to sb, with version_type=external,
 * for index (an index or an alias).
 */
void es_bulk_index(struct sbuf *sb, const char *index, int64_t id,
		   int64_t version, struct json_object *doc);
void es_bulk_delete(struct sbuf *sb, const char *index, int64_t id,
		    int64_t version);

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
