/* http.h: HTTP helpers independent of the request: query strings, headers,
 * request ids, percent-decoding. */
#ifndef AGORA_HTTP_H
#define AGORA_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct http_kv {
	char *key;
	char *val;
};

/* An ordered list of decoded key/value pairs (query strings). */
struct http_kvs {
	struct http_kv *v;
	size_t n;
	size_t alloc;
};

#define HTTP_KVS_INIT      \
	{                  \
		NULL, 0, 0 \
	}

void http_kvs_release(struct http_kvs *kvs);
void http_kvs_add(struct http_kvs *kvs, const char *key, const char *val);
/* http_kvs_get: the first value for key, or NULL. */
const char *http_kvs_get(const struct http_kvs *kvs, const char *key);
/* http_kvs_count: how many times key occurs. */
size_t http_kvs_count(const struct http_kvs *kvs, const char *key);

/*
 * http_percent_decode: decode len bytes of application/x-www-form-urlencoded
 * text ('+' is a space when plus_is_space). Strict: '%' must be followed by
 * two hex digits, and the result must be valid UTF-8 without NUL bytes.
 * Returns a new string, or NULL if the input is malformed.
 */
char *http_percent_decode(const char *s, size_t len, bool plus_is_space);

/*
 * http_parse_query: split a raw QUERY_STRING into kvs. Empty pieces
 * ("a=1&&b=2") and pieces with an empty key ("=5") are skipped, a piece
 * without '=' has an empty value. Errors: ERR_BAD_REQUEST "Malformed
 * query string" on a bad escape; kvs is then left as it was.
 */
int http_parse_query(const char *qs, struct http_kvs *kvs, struct err *e);

/* http_request_id_ok: 1–64 characters of [A-Za-z0-9-]. */
bool http_request_id_ok(const char *id);
/* http_request_id_new: write a fresh random id (32 hex digits) to buf. */
void http_request_id_new(char buf[33]);

/*
 * http_content_type_is_json: true for "application/json", optionally with
 * parameters, where a charset parameter, if any, is utf-8 (any case).
 */
bool http_content_type_is_json(const char *ct);

#endif
