/* jsonx.h: strict JSON parsing on top of json-c, and small typed getters. */
#ifndef AGORA_JSONX_H
#define AGORA_JSONX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "err.h"

/*
 * jsonx_parse: parse exactly `len` bytes of JSON into *out.
 *
 * json-c runs in strict mode with UTF-8 validation, and the whole input
 * must be consumed (trailing whitespace is allowed, anything else is not).
 * On top of json-c this rejects what it accepts silently: NaN and
 * Infinity, integers outside int64 (json-c saturates them), numbers that
 * overflow a double (1e309), duplicate keys in one object, and nesting
 * deeper than 64. It also refuses the escapes \u0000 (C strings would end
 * there) and lone surrogates (not characters).
 *
 * On success *out is a new tree the caller owns (json_object_put), and 0 is
 * returned; the document "null" gives a NULL tree, as json-c has it. On
 * failure *out is NULL, -1 is returned and `e` holds ERR_BAD_REQUEST with
 * a JSON.parse-like message, e.g. "Unexpected token } in JSON at position
 * 10", "Unexpected end of JSON input", "Invalid UTF-8 in JSON at position
 * 1", "Number out of range in JSON at position 5", "Duplicate key \"a\" in
 * JSON at position 7" (positions are byte offsets into buf).
 */
int jsonx_parse(const char *buf, size_t len, struct json_object **out,
		struct err *e);

/*
 * jsonx_str: compact serialization of obj without escaping '/'. The pointer
 * is borrowed: it lives as long as obj is not modified or freed.
 */
const char *jsonx_str(struct json_object *obj, size_t *len);

/* Typed getters that never coerce (json-c's do: "12" would become 12). */
/* jsonx_get_str: the string value of obj[key], or NULL if absent or not a
 * string. Borrowed from obj. */
const char *jsonx_get_str(struct json_object *obj, const char *key);
/* jsonx_as_int: true and *out set if v is a JSON integer; as in
 * JavaScript, a double with an integral value up to 2^53 (2.0) is one. */
bool jsonx_as_int(struct json_object *v, int64_t *out);
/* jsonx_get_int: true and *out set if obj[key] is a JSON integer
 * (jsonx_as_int). */
bool jsonx_get_int(struct json_object *obj, const char *key, int64_t *out);
/* jsonx_has: true if obj has key (even with a null value). */
bool jsonx_has(struct json_object *obj, const char *key);

#endif
