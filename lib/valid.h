/* valid.h: declarative validation of JSON bodies and query strings with
 * class-validator's messages. */
#ifndef AGORA_VALID_H
#define AGORA_VALID_H

#include <stdint.h>
#include <json-c/json.h>

#include "err.h"
#include "http.h"

enum valid_type {
	VALID_STRING, /* min/max bound the length in UTF-16 units */
	VALID_INT, /* min/max bound the value */
	VALID_BOOL,
	VALID_EMAIL, /* a string that looks like an address, ≤ 254 bytes */
	VALID_ENUM, /* a string among `values` */
};

#define VALID_REQUIRED 0x1

/*
 * One accepted property. Bounds apply when min or max is non-zero; use
 * INT64_MAX as max for "at least min". Tables end with a { NULL } row.
 */
struct valid_field {
	const char *name;
	enum valid_type type;
	unsigned flags;
	int64_t min;
	int64_t max;
	const char *const *values; /* VALID_ENUM, NULL-terminated */
};

/*
 * valid_body: check a parsed JSON body against fields. Every failure is
 * collected with err_add() so the client gets them all at once, in the
 * order of the table, then unknown properties in body order:
 *   "body must be an object"              (the body is not a JSON object)
 *   "email should not be empty"           (required, absent or null)
 *   "name must be a string"
 *   "price must be an integer number"
 *   "active must be a boolean value"
 *   "email must be an email"
 *   "role must be one of the following values: USER, ADMIN"
 *   "password must be longer than or equal to 8 characters"
 *   "password must be shorter than or equal to 72 characters"
 *   "size must not be less than 1"
 *   "size must not be greater than 100"
 *   "property role should not exist"
 * Optional properties may be absent or null. A VALID_INT property may be
 * a JSON integer or, as in JavaScript, a double with an integral value up
 * to 2^53 (2.0); read it with jsonx_get_int(). Returns 0 or -1.
 */
int valid_body(struct json_object *body, const struct valid_field *fields,
	       struct err *e);
/* valid_body_partial: valid_body() with no property required: the update
 * of a resource whose creation fields describes (NestJS's PartialType of
 * the create DTO). */
int valid_body_partial(struct json_object *body,
		       const struct valid_field *fields, struct err *e);

/*
 * valid_query: check decoded query parameters against fields and build
 * *out, a new JSON object (caller owns) with typed values: VALID_INT
 * parameters become JSON integers (strict: optional '-', digits only, in
 * range), VALID_BOOL ones ("true" or "false") JSON booleans, the others
 * strings. Absent parameters are absent from *out. A repeated parameter
 * is a type error ("page must be an integer number", "q must be a
 * string"). Messages are those of valid_body. Returns 0, or -1 with *out
 * NULL.
 */
int valid_query(const struct http_kvs *query, const struct valid_field *fields,
		struct json_object **out, struct err *e);

#endif
