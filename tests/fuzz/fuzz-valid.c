/* fuzz-valid.c: the body and query validators on any JSON and any query
 * string. */
#include "common.h"

#include "fuzz.h"
#include "jsonx.h"
#include "utf8.h"
#include "valid.h"

static const char *const colours[] = { "RED", "GREEN", "BLUE", NULL };

/* One field of every type, required and optional, bounded and not. */
static const struct valid_field fields[] = {
	{ "name", VALID_STRING, VALID_REQUIRED, 1, 10 },
	{ "note", VALID_STRING, 0 },
	{ "qty", VALID_INT, VALID_REQUIRED, -5, 100 },
	{ "big", VALID_INT, 0, INT64_MIN, INT64_MAX },
	{ "ok", VALID_BOOL, 0 },
	{ "email", VALID_EMAIL, 0 },
	{ "colour", VALID_ENUM, 0, 0, 0, colours },
	{ NULL },
};

static const struct valid_field *field(const char *name)
{
	const struct valid_field *f;

	for (f = fields; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

static bool in_enum(const char *s)
{
	size_t i;

	for (i = 0; colours[i]; i++)
		if (!strcmp(colours[i], s))
			return true;
	return false;
}

/*
 * Does value v (a body member, or a typed query value) satisfy f? Written
 * apart from valid.c, so that the two can disagree.
 */
static bool value_ok(const struct valid_field *f, struct json_object *v)
{
	const char *s = json_object_get_string(v);
	int64_t n;

	switch (f->type) {
	case VALID_INT:
		if (!jsonx_as_int(v, &n))
			return false;
		return (!f->min && !f->max) || (n >= f->min && n <= f->max);
	case VALID_BOOL:
		return json_object_is_type(v, json_type_boolean);
	case VALID_STRING:
		if (!json_object_is_type(v, json_type_string))
			return false;
		n = (int64_t)utf8_len(s);
		return (!f->min && !f->max) || (n >= f->min && n <= f->max);
	case VALID_EMAIL:
		return json_object_is_type(v, json_type_string) &&
		       strchr(s, '@') && strlen(s) <= 254;
	case VALID_ENUM:
		return json_object_is_type(v, json_type_string) && in_enum(s);
	}
	return false;
}

/* A failure is a 400 with messages fit for the client. */
static void check_failure(const struct err *e)
{
	size_t i;

	FUZZ_CHECK(e->code == ERR_BAD_REQUEST, "a validation error is a 400");
	FUZZ_CHECK(e->nlist >= 1, "with at least one message");
	for (i = 0; i < e->nlist; i++)
		FUZZ_CHECK(e->list[i][0] &&
				   utf8_valid(e->list[i], strlen(e->list[i])),
			   "messages are UTF-8 text");
}

static void fuzz_body(const uint8_t *data, size_t size)
{
	struct json_object *body = NULL, *v;
	const struct valid_field *f;
	struct err e = ERR_INIT, pe = ERR_INIT;

	if (jsonx_parse((const char *)data, size, &body, &pe) < 0 || !body)
		goto out;
	if (valid_body(body, fields, &e) < 0) {
		check_failure(&e);
		goto out;
	}
	FUZZ_CHECK(e.code == 0 && e.nlist == 0, "success leaves no error");
	FUZZ_CHECK(json_object_is_type(body, json_type_object),
		   "only an object passes");
	json_object_object_foreach (body, key, val) {
		f = field(key);
		FUZZ_CHECK(f, "no unknown property passes");
		FUZZ_CHECK(!val || value_ok(f, val), "each value is valid");
	}
	for (f = fields; f->name; f++)
		if (f->flags & VALID_REQUIRED)
			FUZZ_CHECK(json_object_object_get_ex(body, f->name,
							     &v) &&
					   v,
				   "required properties are there");
out:
	json_object_put(body);
	err_release(&e);
	err_release(&pe);
}

static void fuzz_query(const uint8_t *data, size_t size)
{
	char *s = xmemdupz(data, size);
	struct http_kvs kvs = HTTP_KVS_INIT;
	struct json_object *out = NULL;
	const struct valid_field *f;
	struct err e = ERR_INIT;

	if (http_parse_query(s, &kvs, &e) < 0)
		goto out;
	if (valid_query(&kvs, fields, &out, &e) < 0) {
		FUZZ_CHECK(out == NULL, "no object on failure");
		check_failure(&e);
		goto out;
	}
	FUZZ_CHECK(out && json_object_is_type(out, json_type_object),
		   "success gives an object");
	json_object_object_foreach (out, key, val) {
		f = field(key);
		FUZZ_CHECK(f, "no unknown parameter passes");
		FUZZ_CHECK(http_kvs_count(&kvs, key) == 1,
			   "a parameter given once");
		FUZZ_CHECK(value_ok(f, val), "each typed value is valid");
	}
	for (f = fields; f->name; f++)
		if (f->flags & VALID_REQUIRED)
			FUZZ_CHECK(json_object_object_get_ex(out, f->name,
							     NULL),
				   "required parameters are there");
out:
	json_object_put(out);
	http_kvs_release(&kvs);
	err_release(&e);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_body(data, size);
	fuzz_query(data, size);
	return 0;
}
