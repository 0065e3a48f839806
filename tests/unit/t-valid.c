/* t-valid.c: body and query validation, message by message. */
#include "common.h"
#include "http.h"
#include "jsonx.h"
#include "tap.h"
#include "valid.h"

static const char *const roles[] = { "USER", "ADMIN", NULL };

static const struct valid_field product_fields[] = {
	{ "name", VALID_STRING, VALID_REQUIRED, 1, 100 },
	{ "price", VALID_INT, VALID_REQUIRED, 0, INT64_MAX },
	{ "active", VALID_BOOL, 0 },
	{ "email", VALID_EMAIL, 0 },
	{ "role", VALID_ENUM, 0, 0, 0, roles },
	{ "note", VALID_STRING, 0 },
	{ NULL },
};

static const struct valid_field signup_fields[] = {
	{ "email", VALID_EMAIL, VALID_REQUIRED },
	{ "password", VALID_STRING, VALID_REQUIRED, 8, 72 },
	{ "name", VALID_STRING, VALID_REQUIRED, 1, 100 },
	{ NULL },
};

static const struct valid_field page_fields[] = {
	{ "page", VALID_INT, 0, 1, INT64_MAX },
	{ "size", VALID_INT, 0, 1, 100 },
	{ "q", VALID_STRING, 0, 0, 50 },
	{ "status", VALID_ENUM, 0, 0, 0, roles },
	{ "minPrice", VALID_INT, 0, 0, INT64_MAX },
	{ "offset", VALID_INT, 0 },
	{ "mine", VALID_BOOL, 0 },
	{ "contact", VALID_EMAIL, 0 },
	{ NULL },
};

static const struct valid_field need_fields[] = {
	{ "id", VALID_INT, VALID_REQUIRED },
	{ NULL },
};

/* Compare the collected messages with a NULL-terminated list. */
static void same_messages(const struct err *e, const char *const *want,
			  const char *what)
{
	size_t n = 0;

	while (want[n])
		n++;
	is_int(e->nlist, n, "%s: %zu message(s)", what, n);
	for (n = 0; want[n] && n < e->nlist; n++)
		is_str(e->list[n], want[n], "%s: message %zu", what, n + 1);
}

/* Validate a JSON text; want is the message list, { NULL } for none. */
static void body(const char *text, const struct valid_field *fields,
		 const char *const *want)
{
	struct json_object *o = NULL;
	struct err e = ERR_INIT;
	int ret;

	if (jsonx_parse(text, strlen(text), &o, &e) < 0) {
		ok(0, "test document does not parse: %s (%s)", text, e.msg);
		err_release(&e);
		return;
	}
	ret = valid_body(o, fields, &e);
	is_int(ret, want[0] ? -1 : 0, "valid_body %s", text);
	if (want[0])
		is_int(e.code, 400, "a failure is a 400");
	same_messages(&e, want, text);
	json_object_put(o);
	err_release(&e);
}

#define MSGS(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE	  ((const char *const[]){ NULL })

static void test_body_ok(void)
{
	body("{\"name\":\"Lamp\",\"price\":1200}", product_fields, NONE);
	body("{\"name\":\"Lamp\",\"price\":0,\"active\":false,"
	     "\"email\":\"a@b.co\",\"role\":\"ADMIN\",\"note\":\"\"}",
	     product_fields, NONE);
	body("{\"name\":\"Lamp\",\"price\":5,\"active\":null,\"email\":null,"
	     "\"role\":null,\"note\":null}",
	     product_fields, NONE);
	body("{\"name\":\"Lamp\",\"price\":2.0}", product_fields, NONE);
	body("{\"name\":\"Lamp\",\"price\":1e3}", product_fields, NONE);
	body("{\"email\":\"kim@example.kr\",\"password\":\"12345678\","
	     "\"name\":\"\xea\xb9\x80\"}",
	     signup_fields, NONE);
	body("{\"id\":-5}", need_fields, NONE);
	body("{\"id\":9007199254740992.0}", need_fields, NONE);
}

static void test_body_required(void)
{
	body("{}", signup_fields,
	     MSGS("email should not be empty", "password should not be empty",
		  "name should not be empty"));
	body("{\"email\":null,\"password\":null,\"name\":\"x\"}", signup_fields,
	     MSGS("email should not be empty", "password should not be empty"));
	body("{\"price\":3}", product_fields, MSGS("name should not be empty"));
}

/* The update of the same resource: nothing required, every other rule
 * kept. */
static void test_body_partial(void)
{
	struct json_object *o = json_object_new_object();
	struct err e = ERR_INIT;

	is_int(valid_body_partial(o, signup_fields, &e), 0,
	       "partial: {} is a valid update");
	json_object_object_add(o, "name", json_object_new_string(""));
	json_object_object_add(o, "role", json_object_new_string("x"));
	is_int(valid_body_partial(o, signup_fields, &e), -1,
	       "partial: the bounds and unknown properties still count");
	same_messages(&e,
		      MSGS("name must be longer than or equal to 1 characters",
			   "property role should not exist"),
		      "partial");
	json_object_put(o);
	err_release(&e);
}

static void test_body_types(void)
{
	body("{\"name\":5,\"price\":\"12\"}", product_fields,
	     MSGS("name must be a string", "price must be an integer number"));
	body("{\"name\":\"x\",\"price\":1.5}", product_fields,
	     MSGS("price must be an integer number"));
	body("{\"name\":\"x\",\"price\":true}", product_fields,
	     MSGS("price must be an integer number"));
	body("{\"name\":\"x\",\"price\":[1]}", product_fields,
	     MSGS("price must be an integer number"));
	body("{\"name\":\"x\",\"price\":9007199254740994.0}", product_fields,
	     MSGS("price must be an integer number"));
	body("{\"name\":\"x\",\"price\":-1.0}", product_fields,
	     MSGS("price must not be less than 0"));
	body("{\"name\":\"x\",\"price\":1,\"active\":\"true\"}", product_fields,
	     MSGS("active must be a boolean value"));
	body("{\"name\":\"x\",\"price\":1,\"active\":1}", product_fields,
	     MSGS("active must be a boolean value"));
	body("{\"name\":\"x\",\"price\":1,\"role\":\"user\"}", product_fields,
	     MSGS("role must be one of the following values: USER, ADMIN"));
	body("{\"name\":\"x\",\"price\":1,\"role\":7}", product_fields,
	     MSGS("role must be one of the following values: USER, ADMIN"));
	body("{\"name\":\"x\",\"price\":1,\"note\":{}}", product_fields,
	     MSGS("note must be a string"));
	/* The wrong type gives the type message only, no bound message. */
	body("{\"name\":[],\"price\":-1.5}", product_fields,
	     MSGS("name must be a string", "price must be an integer number"));
	body("{\"email\":42,\"password\":1,\"name\":\"x\"}", signup_fields,
	     MSGS("email must be an email", "password must be a string"));
}

#define EMOJI4                             \
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80" \
	"\xf0\x9f\x98\x80\xf0\x9f\x98\x80"
#define EMOJI37                                                        \
	EMOJI4 EMOJI4 EMOJI4 EMOJI4 EMOJI4 EMOJI4 EMOJI4 EMOJI4 EMOJI4 \
		"\xf0\x9f\x98\x80"

static void test_body_bounds(void)
{
	body("{\"email\":\"a@b.co\",\"password\":\"1234567\",\"name\":\"\"}",
	     signup_fields,
	     MSGS("password must be longer than or equal to 8 characters",
		  "name must be longer than or equal to 1 characters"));
	/* Length counts characters: 8 Korean characters are 24 bytes. */
	body("{\"email\":\"a@b.co\",\"password\":\"\xed\x95\x9c\xed\x95\x9c"
	     "\xed\x95\x9c\xed\x95\x9c\xed\x95\x9c\xed\x95\x9c\xed\x95\x9c"
	     "\xed\x95\x9c\",\"name\":\"n\"}",
	     signup_fields, NONE);
	body("{\"email\":\"a@b.co\",\"password\":\"\xed\x95\x9c\xed\x95\x9c"
	     "\xed\x95\x9c\",\"name\":\"n\"}",
	     signup_fields,
	     MSGS("password must be longer than or equal to 8 characters"));
	/* Exactly 72 and 73 characters. */
	body("{\"email\":\"a@b.co\",\"password\":\"xxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "\",\"name\":\"n\"}",
	     signup_fields, NONE);
	body("{\"email\":\"a@b.co\",\"password\":\"xxxxxxxxxxxxxxxxxxxxxxxxx"
	     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	     "\",\"name\":\"n\"}",
	     signup_fields,
	     MSGS("password must be shorter than or equal to 72 characters"));
	/* class-validator counts UTF-16 units: 4 emoji are 8 of them,
	 * one short of 8 characters of password only when counted as 4. */
	body("{\"email\":\"a@b.co\",\"password\":\"\xf0\x9f\x98\x80"
	     "\xf0\x9f\x98\x80\xf0\x9f\x98\x80\xf0\x9f\x98\x80\","
	     "\"name\":\"n\"}",
	     signup_fields, NONE);
	/* 37 emoji: 74 units, over 72 though 37 code points. */
	body("{\"email\":\"a@b.co\",\"password\":\"" EMOJI37 "\","
	     "\"name\":\"n\"}",
	     signup_fields,
	     MSGS("password must be shorter than or equal to 72 characters"));
	body("{\"name\":\"x\",\"price\":-1}", product_fields,
	     MSGS("price must not be less than 0"));
	body("{\"name\":\"x\",\"price\":9223372036854775807}", product_fields,
	     NONE);
}

static const struct valid_field size_fields[] = {
	{ "size", VALID_INT, VALID_REQUIRED, 1, 100 },
	{ NULL },
};

static void test_body_int_bounds(void)
{
	body("{\"size\":0}", size_fields, MSGS("size must not be less than 1"));
	body("{\"size\":1}", size_fields, NONE);
	body("{\"size\":100}", size_fields, NONE);
	body("{\"size\":101}", size_fields,
	     MSGS("size must not be greater than 100"));
	body("{\"size\":-9223372036854775808}", size_fields,
	     MSGS("size must not be less than 1"));
	body("{\"size\":1e2}", size_fields, NONE);
	body("{\"size\":1.01e2}", size_fields,
	     MSGS("size must not be greater than 100"));
}

static void test_body_unknown(void)
{
	body("{\"name\":\"x\",\"price\":1,\"id\":3}", product_fields,
	     MSGS("property id should not exist"));
	/* Field messages first (table order), then unknowns in body order. */
	body("{\"zeta\":1,\"price\":\"1\",\"alpha\":2,\"role\":\"ROOT\"}",
	     product_fields,
	     MSGS("name should not be empty", "price must be an integer number",
		  "role must be one of the following values: USER, ADMIN",
		  "property zeta should not exist",
		  "property alpha should not exist"));
	body("{\"email\":\"a@b.co\",\"password\":\"12345678\",\"name\":\"n\","
	     "\"role\":\"ADMIN\"}",
	     signup_fields, MSGS("property role should not exist"));
	body("{\"email\":\"a@b.co\",\"password\":\"12345678\",\"name\":\"n\","
	     "\"role\":null}",
	     signup_fields, MSGS("property role should not exist"));
}

/* Many unknown keys: the first ERR_LIST_MAX messages, the rest counted. */
static void test_body_many_unknown(void)
{
	struct json_object *o = json_object_new_object();
	struct err e = ERR_INIT;
	char key[32];
	int i, n = ERR_LIST_MAX + 250;

	for (i = 0; i < n; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		json_object_object_add(o, key, json_object_new_int(i));
	}
	ok(valid_body(o, product_fields, &e) < 0, "%d unknown keys: refused",
	   n);
	is_int(e.nlist, ERR_LIST_MAX, "the first %d messages are kept",
	       ERR_LIST_MAX);
	is_int(e.more, n + 2 - ERR_LIST_MAX, "the others are counted");
	is_str(e.list[0], "name should not be empty", "field messages first");
	is_str(e.list[2], "property k0 should not exist",
	       "then unknown keys in body order");
	err_release(&e);
	is_int(e.more, 0, "err_release resets the count");
	json_object_put(o);
}

static void test_body_not_object(void)
{
	body("[]", product_fields, MSGS("body must be an object"));
	body("\"x\"", product_fields, MSGS("body must be an object"));
	body("12", product_fields, MSGS("body must be an object"));
	body("null", product_fields, MSGS("body must be an object"));
}

static void test_body_email(void)
{
	static const char *const good[] = {
		"a@b.co", "first.last+tag@mail.example.com",
		"x@y.z",  "\xea\xb9\x80@example.kr",
		NULL,
	};
	static const char *const bad[] = {
		"",	   "plain",    "@b.co",	   "a@",       "a@b",
		"a@@b.co", "a@b@c.co", "a b@c.co", "a@b .co",  "a@.b.co",
		"a@b..co", "a@b.co.",  "a@b.",	   "a\t@b.co", NULL,
	};
	char doc[400], local[300];
	size_t i;

	for (i = 0; good[i]; i++) {
		snprintf(doc, sizeof(doc),
			 "{\"email\":\"%s\",\"password\":"
			 "\"12345678\",\"name\":\"n\"}",
			 good[i]);
		body(doc, signup_fields, NONE);
	}
	for (i = 0; bad[i]; i++) {
		snprintf(doc, sizeof(doc),
			 "{\"email\":\"%s\",\"password\":"
			 "\"12345678\",\"name\":\"n\"}",
			 strcmp(bad[i], "a\t@b.co") ? bad[i] : "a\\t@b.co");
		body(doc, signup_fields, MSGS("email must be an email"));
	}
	/* 254 bytes is the limit: 248 + "@b.com". */
	memset(local, 'a', 248);
	local[248] = '\0';
	snprintf(doc, sizeof(doc),
		 "{\"email\":\"%s@b.com\",\"password\":"
		 "\"12345678\",\"name\":\"n\"}",
		 local);
	body(doc, signup_fields, NONE);
	local[248] = 'a';
	local[249] = '\0';
	snprintf(doc, sizeof(doc),
		 "{\"email\":\"%s@b.com\",\"password\":"
		 "\"12345678\",\"name\":\"n\"}",
		 local);
	body(doc, signup_fields, MSGS("email must be an email"));
}

/* Validate a query string; on success compare *out with want_json. */
static void query(const char *qs, const struct valid_field *fields,
		  const char *const *want, const char *want_json)
{
	struct http_kvs kvs = HTTP_KVS_INIT;
	struct json_object *out = (struct json_object *)&out;
	struct err e = ERR_INIT;
	int ret;

	if (http_parse_query(qs, &kvs, &e) < 0) {
		ok(0, "test query does not parse: %s", qs);
		err_release(&e);
		return;
	}
	ret = valid_query(&kvs, fields, &out, &e);
	is_int(ret, want[0] ? -1 : 0, "valid_query ?%s", qs);
	same_messages(&e, want, qs);
	if (want[0])
		ok(out == NULL, "?%s: no object on failure", qs);
	else
		is_str(out ? jsonx_str(out, NULL) : NULL, want_json,
		       "?%s: typed values", qs);
	if (!want[0])
		json_object_put(out);
	err_release(&e);
	http_kvs_release(&kvs);
}

static void test_query_ok(void)
{
	query("", page_fields, NONE, "{}");
	query("page=2&size=50", page_fields, NONE, "{\"page\":2,\"size\":50}");
	query("size=50&page=2", page_fields, NONE, "{\"page\":2,\"size\":50}");
	query("page=007", page_fields, NONE, "{\"page\":7}");
	query("offset=-0", page_fields, NONE, "{\"offset\":0}");
	query("offset=-9223372036854775808", page_fields, NONE,
	      "{\"offset\":-9223372036854775808}");
	query("page=9223372036854775807", page_fields, NONE,
	      "{\"page\":9223372036854775807}");
	query("q=red+shoes&status=ADMIN", page_fields, NONE,
	      "{\"q\":\"red shoes\",\"status\":\"ADMIN\"}");
	query("q=", page_fields, NONE, "{\"q\":\"\"}");
	query("q=%ED%95%9C%EA%B5%AD%EC%96%B4", page_fields, NONE,
	      "{\"q\":\"\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4\"}");
	query("mine=true", page_fields, NONE, "{\"mine\":true}");
	query("mine=false", page_fields, NONE, "{\"mine\":false}");
	query("contact=a%40b.co", page_fields, NONE,
	      "{\"contact\":\"a@b.co\"}");
	query("minPrice=0", page_fields, NONE, "{\"minPrice\":0}");
}

static void test_query_ints(void)
{
	static const char *const bad[] = {
		"",
		"+1",
		"%201",
		"1%20",
		"1.0",
		"0x10",
		"1e3",
		"12abc",
		"-",
		"--1",
		"1-",
		"9223372036854775808",
		"99999999999999999999",
		"-9223372036854775809",
		"%EF%BC%91",
		"abc",
		NULL,
	};
	char qs[64];
	size_t i;

	for (i = 0; bad[i]; i++) {
		snprintf(qs, sizeof(qs), "page=%s", bad[i]);
		query(qs, page_fields, MSGS("page must be an integer number"),
		      NULL);
	}
	query("page", page_fields, MSGS("page must be an integer number"),
	      NULL);
	query("page=0", page_fields, MSGS("page must not be less than 1"),
	      NULL);
	query("size=101", page_fields,
	      MSGS("size must not be greater than 100"), NULL);
	query("size=0&page=-3", page_fields,
	      MSGS("page must not be less than 1",
		   "size must not be less than 1"),
	      NULL);
	query("minPrice=-1", page_fields,
	      MSGS("minPrice must not be less than 0"), NULL);
}

static void test_query_other(void)
{
	query("page=1&page=2", page_fields,
	      MSGS("page must be an integer number"), NULL);
	query("q=a&q=b", page_fields, MSGS("q must be a string"), NULL);
	query("status=USER&status=USER", page_fields,
	      MSGS("status must be one of the following values: USER, ADMIN"),
	      NULL);
	query("status=user", page_fields,
	      MSGS("status must be one of the following values: USER, ADMIN"),
	      NULL);
	query("mine=1", page_fields, MSGS("mine must be a boolean value"),
	      NULL);
	query("contact=nobody", page_fields, MSGS("contact must be an email"),
	      NULL);
	query("q=xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	      page_fields,
	      MSGS("q must be shorter than or equal to 50 characters"), NULL);
	query("sort=asc&page=1&x=1&sort=desc", page_fields,
	      MSGS("property sort should not exist",
		   "property x should not exist"),
	      NULL);
	query("x=1&page=abc", page_fields,
	      MSGS("page must be an integer number",
		   "property x should not exist"),
	      NULL);
	query("", need_fields, MSGS("id should not be empty"), NULL);
	query("id=", need_fields, MSGS("id must be an integer number"), NULL);
	query("id=4", need_fields, NONE, "{\"id\":4}");
}

int main(void)
{
	test_body_ok();
	test_body_required();
	test_body_partial();
	test_body_types();
	test_body_bounds();
	test_body_int_bounds();
	test_body_unknown();
	test_body_many_unknown();
	test_body_not_object();
	test_body_email();
	test_query_ok();
	test_query_ints();
	test_query_other();
	return done_testing();
}
