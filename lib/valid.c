/* valid.c: class-validator's checks and messages for bodies and queries. */
#include "common.h"

#include <inttypes.h>

#include "jsonx.h"
#include "sbuf.h"
#include "utf8.h"
#include "valid.h"

static const struct valid_field *find_field(const struct valid_field *fields,
					    const char *name)
{
	for (; fields->name; fields++)
		if (!strcmp(fields->name, name))
			return fields;
	return NULL;
}

static bool has_bounds(const struct valid_field *f)
{
	return f->min != 0 || f->max != 0;
}

/*
 * An address in the shape of local@domain: one '@', a non-empty local
 * part, a domain of at least two non-empty dot-separated labels, no
 * whitespace or control characters anywhere, at most 254 bytes (RFC 5321's
 * limit on a path, less the angle brackets).
 */
static bool email_ok(const char *s)
{
	const char *at = strchr(s, '@'), *p;
	size_t len = strlen(s);
	bool dot = false;

	if (!at || at == s || strchr(at + 1, '@') || len > 254)
		return false;
	for (p = s; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f)
			return false;
	for (p = at + 1;; p++) {
		if (*p == '.' || !*p) {
			/* The label that ends here must not be empty. */
			if (p[-1] == '.' || p[-1] == '@')
				return false;
			if (!*p)
				break;
			dot = true;
		}
	}
	return dot;
}

static void add_enum_message(struct err *e, const struct valid_field *f)
{
	struct sbuf sb = SBUF_INIT;
	size_t i;

	for (i = 0; f->values && f->values[i]; i++)
		sbuf_addf(&sb, "%s%s", i ? ", " : "", f->values[i]);
	err_add(e, "%s must be one of the following values: %s", f->name,
		sb.buf);
	sbuf_release(&sb);
}

/* The one message for a value of the wrong type (or a repeated query
 * parameter). */
static void add_type_message(struct err *e, const struct valid_field *f)
{
	static const char *const must[] = {
		[VALID_STRING] = "a string",
		[VALID_INT] = "an integer number",
		[VALID_BOOL] = "a boolean value",
		[VALID_EMAIL] = "an email",
	};

	if (f->type == VALID_ENUM)
		add_enum_message(e, f);
	else
		err_add(e, "%s must be %s", f->name, must[f->type]);
}

static bool enum_ok(const struct valid_field *f, const char *s)
{
	size_t i;

	for (i = 0; f->values && f->values[i]; i++)
		if (!strcmp(f->values[i], s))
			return true;
	return false;
}

/*
 * Bounds of a string's length; false if a message was added. The length
 * is counted in UTF-16 units, as class-validator's "characters" are
 * JavaScript's: an emoji counts two.
 */
static bool check_length(const struct valid_field *f, const char *s,
			 struct err *e)
{
	int64_t n;

	if (!has_bounds(f))
		return true;
	n = (int64_t)utf8_utf16_len(s);
	if (n < f->min) {
		err_add(e,
			"%s must be longer than or equal to %" PRId64
			" characters",
			f->name, f->min);
		return false;
	}
	if (n > f->max) {
		err_add(e,
			"%s must be shorter than or equal to %" PRId64
			" characters",
			f->name, f->max);
		return false;
	}
	return true;
}

/* Bounds of an integer; false if a message was added. */
static bool check_range(const struct valid_field *f, int64_t v, struct err *e)
{
	if (!has_bounds(f))
		return true;
	if (v < f->min) {
		err_add(e, "%s must not be less than %" PRId64, f->name,
			f->min);
		return false;
	}
	if (v > f->max) {
		err_add(e, "%s must not be greater than %" PRId64, f->name,
			f->max);
		return false;
	}
	return true;
}

/*
 * Check a string value (a body string or a query parameter) against f:
 * the type-specific checks of STRING, EMAIL and ENUM. False if a message
 * was added.
 */
static bool check_string(const struct valid_field *f, const char *s,
			 struct err *e)
{
	switch (f->type) {
	case VALID_STRING:
		return check_length(f, s, e);
	case VALID_EMAIL:
		if (email_ok(s))
			return true;
		break;
	case VALID_ENUM:
		if (enum_ok(f, s))
			return true;
		break;
	default:
		break;
	}
	add_type_message(e, f);
	return false;
}

static bool check_body_field(const struct valid_field *f, struct json_object *v,
			     struct err *e)
{
	int64_t n;

	switch (f->type) {
	case VALID_INT:
		if (!jsonx_as_int(v, &n))
			break;
		return check_range(f, n, e);
	case VALID_BOOL:
		if (!json_object_is_type(v, json_type_boolean))
			break;
		return true;
	case VALID_STRING:
	case VALID_EMAIL:
	case VALID_ENUM:
		if (!json_object_is_type(v, json_type_string))
			break;
		return check_string(f, json_object_get_string(v), e);
	}
	add_type_message(e, f);
	return false;
}

static int body_check(struct json_object *body,
		      const struct valid_field *fields, bool partial,
		      struct err *e)
{
	const struct valid_field *f;
	struct json_object *v;
	bool ok = true;

	if (!json_object_is_type(body, json_type_object))
		return err_add(e, "body must be an object");
	for (f = fields; f->name; f++) {
		v = NULL;
		json_object_object_get_ex(body, f->name, &v);
		if (!v) {
			/* Absent and null are alike: only required matters. */
			if ((f->flags & VALID_REQUIRED) && !partial) {
				err_add(e, "%s should not be empty", f->name);
				ok = false;
			}
			continue;
		}
		if (!check_body_field(f, v, e))
			ok = false;
	}
	/* json-c keeps members in document order, so this is body order. */
	json_object_object_foreach (body, key, val) {
		(void)val;
		if (!find_field(fields, key)) {
			err_add(e, "property %s should not exist", key);
			ok = false;
		}
	}
	return ok ? 0 : -1;
}

int valid_body(struct json_object *body, const struct valid_field *fields,
	       struct err *e)
{
	return body_check(body, fields, false, e);
}

int valid_body_partial(struct json_object *body,
		       const struct valid_field *fields, struct err *e)
{
	return body_check(body, fields, true, e);
}

/*
 * A query integer, strictly: an optional '-' and decimal digits (leading
 * zeros allowed), in int64_t range. No '+', spaces, hex, exponent or
 * fraction, which strtoll would partly accept.
 */
static bool query_int(const char *s, int64_t *out)
{
	bool neg = *s == '-';
	uint64_t mag = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : INT64_MAX;
	unsigned d;

	if (neg)
		s++;
	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		d = (unsigned)(*s - '0');
		if (mag > (limit - d) / 10)
			return false;
		mag = mag * 10 + d;
	}
	/* -2^63 has no positive counterpart: negate in unsigned. */
	*out = neg ? (int64_t)(0 - mag) : (int64_t)mag;
	return true;
}

/* One query parameter; on success its typed value is added to obj. */
static bool check_query_field(const struct valid_field *f, const char *s,
			      struct json_object *obj, struct err *e)
{
	int64_t n;

	switch (f->type) {
	case VALID_INT:
		if (!query_int(s, &n)) {
			add_type_message(e, f);
			return false;
		}
		if (!check_range(f, n, e))
			return false;
		json_object_object_add(obj, f->name, json_object_new_int64(n));
		return true;
	case VALID_BOOL:
		/* A query has no booleans but the words; store the value. */
		if (strcmp(s, "true") && strcmp(s, "false")) {
			add_type_message(e, f);
			return false;
		}
		json_object_object_add(obj, f->name,
				       json_object_new_boolean(*s == 't'));
		return true;
	default:
		if (!check_string(f, s, e))
			return false;
		json_object_object_add(obj, f->name, json_object_new_string(s));
		return true;
	}
}

int valid_query(const struct http_kvs *query, const struct valid_field *fields,
		struct json_object **out, struct err *e)
{
	const struct valid_field *f;
	struct json_object *obj = json_object_new_object();
	size_t i, j, n;
	bool ok = true;

	*out = NULL;
	for (f = fields; f->name; f++) {
		n = http_kvs_count(query, f->name);
		if (n == 0) {
			if (f->flags & VALID_REQUIRED) {
				err_add(e, "%s should not be empty", f->name);
				ok = false;
			}
			continue;
		}
		if (n > 1) {
			/* ?page=1&page=2 is an array to NestJS: wrong type. */
			add_type_message(e, f);
			ok = false;
			continue;
		}
		if (!check_query_field(f, http_kvs_get(query, f->name), obj, e))
			ok = false;
	}
	for (i = 0; i < query->n; i++) {
		const char *key = query->v[i].key;

		if (find_field(fields, key))
			continue;
		/* Name a repeated unknown parameter once. */
		for (j = 0; j < i && strcmp(query->v[j].key, key); j++)
			;
		if (j < i)
			continue;
		err_add(e, "property %s should not exist", key);
		ok = false;
	}
	if (!ok) {
		json_object_put(obj);
		return -1;
	}
	*out = obj;
	return 0;
}
