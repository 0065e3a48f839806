/* t-jsonx.c: strict parsing, its messages, serialization and getters. */
#include "common.h"
#include "jsonx.h"
#include "tap.h"

/* The input as a one-line ASCII test description: other bytes escaped. */
static const char *show(const char *in, size_t len)
{
	static char buf[256];
	size_t i, n = 0;

	for (i = 0; i < len && n < sizeof(buf) - 8; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n,
					      "\\x%02x", c);
		else
			buf[n++] = (char)c;
	}
	buf[n] = '\0';
	return buf;
}

/* Parse len bytes that must be rejected with exactly msg. */
static void bad_n(const char *in, size_t len, const char *msg)
{
	struct json_object *o = (struct json_object *)&o;
	struct err e = ERR_INIT;
	int ret = jsonx_parse(in, len, &o, &e);

	ok(ret == -1 && o == NULL && e.code == 400, "rejected: %s",
	   show(in, len));
	is_str(e.msg, msg, "message for: %s", show(in, len));
	json_object_put(ret == 0 ? o : NULL);
	err_release(&e);
}

#define bad(lit, msg) bad_n(lit, sizeof(lit) - 1, msg)

/* Parse len bytes that must be accepted and serialize as want. */
static void good_n(const char *in, size_t len, const char *want)
{
	struct json_object *o = NULL;
	struct err e = ERR_INIT;
	int ret = jsonx_parse(in, len, &o, &e);

	ok(ret == 0 && e.code == 0, "accepted: %s", show(in, len));
	if (e.code)
		printf("# unexpected error: %s\n", e.msg);
	is_str(ret == 0 ? jsonx_str(o, NULL) : NULL, want, "round trip of: %s",
	       show(in, len));
	json_object_put(o);
	err_release(&e);
}

#define good(lit, want) good_n(lit, sizeof(lit) - 1, want)

static void test_valid_documents(void)
{
	good("{}", "{}");
	good("[]", "[]");
	good("{\"a\":1}", "{\"a\":1}");
	good(" \t\r\n{ \"a\" : [ 1 , 2.5 , true , false , null , \"x\" ] }"
	     " \n",
	     "{\"a\":[1,2.5,true,false,null,\"x\"]}");
	good("12", "12");
	good("12 ", "12");
	good("-7", "-7");
	good("0", "0");
	good("-0", "0");
	good("2.0", "2.0");
	good("1.5e2", "1.5e2");
	good("1E-2", "1E-2");
	good("1e-400", "1e-400");
	good("true", "true");
	good("null", "null");
	good(" [null] ", "[null]");
	good("\"\"", "\"\"");
	good("9223372036854775807", "9223372036854775807");
	good("-9223372036854775808", "-9223372036854775808");
	good("{\"url\":\"http://x/y\"}", "{\"url\":\"http://x/y\"}");
	good("\"a\\/b\"", "\"a/b\"");
	good("{\"name\":\"\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4\"}",
	     "{\"name\":\"\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4\"}");
	good("\"\\ud55c\\uad6d\\uc5b4\"",
	     "\"\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4\"");
	good("\"\\ud83d\\ude00\"", "\"\xf0\x9f\x98\x80\"");
	good("\"\\u00e9\\n\\t\\\"\\\\\"", "\"\xc3\xa9\\n\\t\\\"\\\\\"");
	good("\"\\u001f\"", "\"\\u001f\"");
	good("[{\"a\":1},{\"a\":2}]", "[{\"a\":1},{\"a\":2}]");
	good("{\"a\":{\"a\":{\"a\":1}}}", "{\"a\":{\"a\":{\"a\":1}}}");
	good("{\"a\":1,\"A\":2}", "{\"a\":1,\"A\":2}");
	good("{\"b\":1,\"a\":2,\"c\":3}", "{\"b\":1,\"a\":2,\"c\":3}");
	/* Only len bytes count: what follows is not read. */
	good_n("[1]]", 3, "[1]");
	good_n("123", 2, "12");
}

static void test_syntax_errors(void)
{
	bad("", "Unexpected end of JSON input");
	bad("   \n", "Unexpected end of JSON input");
	bad("{", "Unexpected end of JSON input");
	bad("[1,2", "Unexpected end of JSON input");
	bad("{\"a\":", "Unexpected end of JSON input");
	bad("{\"a\"", "Unexpected end of JSON input");
	bad("\"abc", "Unexpected end of JSON input");
	bad("\"abc\\", "Unexpected end of JSON input");
	bad("tru", "Unexpected end of JSON input");
	bad("1.", "Unexpected end of JSON input");
	bad("-", "Unexpected end of JSON input");
	bad("1e", "Unexpected end of JSON input");
	bad("1e+", "Unexpected end of JSON input");
	bad("\"\\u12", "Unexpected end of JSON input");

	bad("{\"a\":1, }", "Unexpected token } in JSON at position 8");
	bad("{\"a\":1,}", "Unexpected token } in JSON at position 7");
	bad("[1,]", "Unexpected token ] in JSON at position 3");
	bad("[1,,2]", "Unexpected token , in JSON at position 3");
	bad("]", "Unexpected token ] in JSON at position 0");
	bad("{\"a\"}", "Unexpected token } in JSON at position 4");
	bad("{\"a\" 1}", "Unexpected number in JSON at position 5");
	bad("{1:2}", "Unexpected number in JSON at position 1");
	bad("[1 2]", "Unexpected number in JSON at position 3");
	bad("{\"a\":1 \"b\":2}", "Unexpected string in JSON at position 7");
	bad("{'a':1}", "Unexpected token ' in JSON at position 1");
	bad("tRue", "Unexpected token R in JSON at position 1");
	bad("nul1", "Unexpected number in JSON at position 3");
	bad("01", "Unexpected number in JSON at position 1");
	bad("-01", "Unexpected number in JSON at position 2");
	bad("[.5]", "Unexpected token . in JSON at position 1");
	bad("+1", "Unexpected token + in JSON at position 0");
	bad("-a", "Unexpected token a in JSON at position 1");
	bad("1.x", "Unexpected token x in JSON at position 2");
	bad("1.e5", "Unexpected token e in JSON at position 2");
	bad("0x10",
	    "Unexpected non-whitespace character after JSON at position 1");
	bad("\"\\x\"", "Unexpected token x in JSON at position 2");
	bad("\"\\u12\"", "Unexpected token \" in JSON at position 5");
	bad("\"\\U0041\"", "Unexpected token U in JSON at position 2");
	bad("\"a\nb\"",
	    "Bad control character in string literal in JSON at position 2");
	bad("\"a\tb\"",
	    "Bad control character in string literal in JSON at position 2");
	bad("\f1", "Unexpected token \\u000c in JSON at position 0");
	bad("/* c */ 1", "Unexpected token / in JSON at position 0");
	bad("[1 \xed\x95\x9c]",
	    "Unexpected token \xed\x95\x9c in JSON at position 3");
	bad("\xef\xbb\xbf{}",
	    "Unexpected token \xef\xbb\xbf in JSON at position 0");
}

static void test_trailing(void)
{
	bad("{}x",
	    "Unexpected non-whitespace character after JSON at position 2");
	bad("{} {}",
	    "Unexpected non-whitespace character after JSON at position 3");
	bad("{\"a\":1}}",
	    "Unexpected non-whitespace character after JSON at position 7");
	bad("1 2",
	    "Unexpected non-whitespace character after JSON at position 2");
	bad("truex",
	    "Unexpected non-whitespace character after JSON at position 4");
	bad("nullnull",
	    "Unexpected non-whitespace character after JSON at position 4");
}

static void test_nul_bytes(void)
{
	bad_n("{\"a\":1}\0", 8,
	      "Unexpected non-whitespace character after JSON at position 7");
	bad_n("\"a\0b\"", 5,
	      "Bad control character in string literal in JSON at position 2");
	bad_n("\0", 1, "Unexpected token \\u0000 in JSON at position 0");
	bad_n("[1,\0]", 5, "Unexpected token \\u0000 in JSON at position 3");
	bad("\"a\\u0000b\"",
	    "Invalid Unicode escape \\u0000 in JSON at position 2");
	bad("{\"\\u0000\":1}",
	    "Invalid Unicode escape \\u0000 in JSON at position 2");
}

static void test_utf8(void)
{
	bad("\"\xff\"", "Invalid UTF-8 in JSON at position 1");
	bad("\"\xc0\xaf\"", "Invalid UTF-8 in JSON at position 1");
	bad("{\"a\":\"\xed\xa0\x80\"}", "Invalid UTF-8 in JSON at position 6");
	bad("[\"\xf4\x90\x80\x80\"]", "Invalid UTF-8 in JSON at position 2");
	bad("[\"\xc3\"]", "Invalid UTF-8 in JSON at position 2");
	bad("{}\xff", "Invalid UTF-8 in JSON at position 2");
	/* Lone surrogate escapes: not characters; json-c would store
	 * U+FFFD in their place. */
	bad("\"\\ud800\"",
	    "Invalid Unicode escape \\ud800 in JSON at position 1");
	bad("\"\\uDBFF\"",
	    "Invalid Unicode escape \\uDBFF in JSON at position 1");
	bad("\"\\udc00\"",
	    "Invalid Unicode escape \\udc00 in JSON at position 1");
	bad("\"ab\\ud800x\"",
	    "Invalid Unicode escape \\ud800 in JSON at position 3");
	bad("\"\\ud800\\u0041\"",
	    "Invalid Unicode escape \\ud800 in JSON at position 1");
	bad("\"\\ud800\\ud800\"",
	    "Invalid Unicode escape \\ud800 in JSON at position 1");
	bad("\"\\ude00\\ud83d\"",
	    "Invalid Unicode escape \\ude00 in JSON at position 1");
	bad("{\"k\\ud800\":1}",
	    "Invalid Unicode escape \\ud800 in JSON at position 3");
}

static void test_numbers(void)
{
	bad("NaN", "Unexpected token N in JSON at position 0");
	bad("[NaN]", "Unexpected token N in JSON at position 1");
	bad("Infinity", "Unexpected token I in JSON at position 0");
	bad("-Infinity", "Unexpected token I in JSON at position 1");
	bad("{\"x\":-Infinity}", "Unexpected token I in JSON at position 6");
	bad("1e309", "Number out of range in JSON at position 0");
	bad("-1e309", "Number out of range in JSON at position 0");
	bad("{\"x\":1e309}", "Number out of range in JSON at position 5");
	bad("[1, 1.8e308]", "Number out of range in JSON at position 4");
	bad("99999999999999999999",
	    "Number out of range in JSON at position 0");
	bad("-99999999999999999999",
	    "Number out of range in JSON at position 0");
	bad("[9223372036854775808]",
	    "Number out of range in JSON at position 1");
	bad("-9223372036854775809",
	    "Number out of range in JSON at position 0");
	bad("{\"price\":18446744073709551616}",
	    "Number out of range in JSON at position 9");
}

static void test_duplicates(void)
{
	bad("{\"a\":1,\"a\":2}", "Duplicate key \"a\" in JSON at position 7");
	bad("{\"a\":1,\"b\":2,\"a\":3}",
	    "Duplicate key \"a\" in JSON at position 13");
	bad("{\"x\":{\"b\":1,\"c\":2,\"b\":3}}",
	    "Duplicate key \"b\" in JSON at position 18");
	bad("[{\"a\":1},{\"b\":1,\"b\":1}]",
	    "Duplicate key \"b\" in JSON at position 16");
	bad("{\"a\":1,\"\\u0061\":2}",
	    "Duplicate key \"a\" in JSON at position 7");
	bad("{\"\xed\x95\x9c\":1,\"\xed\x95\x9c\":2}",
	    "Duplicate key \"\xed\x95\x9c\" in JSON at position 9");
	bad("{\"\":1,\"\":2}", "Duplicate key \"\" in JSON at position 6");
}

static void test_long_duplicate(void)
{
	char doc[400], want[200];
	size_t n = 0, i;

	/* {"kkk...(100)":1,"kkk...(100)":1}: the message shows 64 bytes. */
	for (i = 0; i < 2; i++) {
		doc[n++] = i ? ',' : '{';
		doc[n++] = '"';
		memset(doc + n, 'k', 100);
		n += 100;
		memcpy(doc + n, "\":1", 3);
		n += 3;
	}
	doc[n++] = '}';
	snprintf(want, sizeof(want),
		 "Duplicate key \"%.64s\" in JSON at position 106", doc + 2);
	bad_n(doc, n, want);
}

/* n levels of arrays or objects around an empty one. */
static void nest(char *buf, size_t *len, int n, bool objects)
{
	size_t k = 0;
	int i;

	for (i = 0; i < n - 1; i++) {
		if (objects) {
			memcpy(buf + k, "{\"a\":", 5);
			k += 5;
		} else {
			buf[k++] = '[';
		}
	}
	buf[k++] = objects ? '{' : '[';
	buf[k++] = objects ? '}' : ']';
	for (i = 0; i < n - 1; i++)
		buf[k++] = objects ? '}' : ']';
	*len = k;
}

static void test_depth(void)
{
	static char buf[1024];
	struct json_object *o = NULL;
	struct err e = ERR_INIT;
	size_t len;

	nest(buf, &len, 64, false);
	is_int(jsonx_parse(buf, len, &o, &e), 0, "64 nested arrays");
	json_object_put(o);
	nest(buf, &len, 64, true);
	is_int(jsonx_parse(buf, len, &o, &e), 0, "64 nested objects");
	json_object_put(o);
	memset(buf, '[', 64);
	buf[64] = '1';
	memset(buf + 65, ']', 64);
	is_int(jsonx_parse(buf, 129, &o, &e), 0, "a number inside 64 arrays");
	json_object_put(o);
	is_int(e.code, 0, "no error for 64 levels");

	nest(buf, &len, 65, false);
	bad_n(buf, len, "Nesting too deep in JSON at position 64");
	nest(buf, &len, 100, false);
	bad_n(buf, len, "Nesting too deep in JSON at position 64");
	nest(buf, &len, 100, true);
	bad_n(buf, len, "Nesting too deep in JSON at position 320");
	/* 100 levels, unterminated: depth is found before the end. */
	bad_n(buf, 330, "Nesting too deep in JSON at position 320");
}

static void test_str(void)
{
	struct json_object *o = json_object_new_object();
	size_t len = 0;
	const char *s;

	json_object_object_add(o, "path", json_object_new_string("/api/x"));
	json_object_object_add(o, "name",
			       json_object_new_string(
				       "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"));
	json_object_object_add(o, "n", json_object_new_int64(-3));
	s = jsonx_str(o, &len);
	is_str(s,
	       "{\"path\":\"/api/x\",\"name\":\"\xed\x95\x9c\xea\xb5\xad"
	       "\xec\x96\xb4\",\"n\":-3}",
	       "compact, '/' not escaped, UTF-8 raw");
	is_int(len, strlen(s), "length is reported");
	is_str(jsonx_str(o, NULL), s, "len may be NULL");
	json_object_put(o);
	is_str(jsonx_str(NULL, NULL), "null", "NULL is null");
}

static void test_getters(void)
{
	static const char doc[] =
		"{\"s\":\"12\",\"i\":12,\"d\":2.0,\"f\":1.5,"
		"\"big\":1e300,\"edge\":9007199254740992.0,"
		"\"over\":9007199254740994.0,\"neg\":-4e0,\"n\":null,"
		"\"t\":true,\"min\":-9223372036854775808}";
	struct json_object *o = NULL, *arr;
	struct err e = ERR_INIT;
	int64_t v = 99;

	ok(jsonx_parse(doc, sizeof(doc) - 1, &o, &e) == 0, "getter document");
	is_str(jsonx_get_str(o, "s"), "12", "string getter");
	ok(jsonx_get_str(o, "i") == NULL, "an integer is not a string");
	ok(jsonx_get_str(o, "n") == NULL, "null is not a string");
	ok(jsonx_get_str(o, "absent") == NULL, "absent key");
	ok(!jsonx_get_int(o, "s", &v), "\"12\" is not an integer");
	is_int(v, 99, "a failed get leaves *out alone");
	ok(jsonx_get_int(o, "i", &v), "12 is an integer");
	is_int(v, 12, "its value");
	ok(jsonx_get_int(o, "d", &v), "2.0 is an integer (as in JavaScript)");
	is_int(v, 2, "its value");
	ok(jsonx_get_int(o, "neg", &v), "-4e0 is an integer");
	is_int(v, -4, "its value");
	ok(jsonx_get_int(o, "edge", &v), "2^53 as a double");
	is_int(v, 9007199254740992LL, "its value");
	ok(jsonx_get_int(o, "min", &v), "INT64_MIN");
	ok(v == INT64_MIN, "its value");
	ok(!jsonx_get_int(o, "f", &v), "1.5 is not an integer");
	ok(!jsonx_get_int(o, "big", &v), "1e300 is not an int64");
	ok(!jsonx_get_int(o, "over", &v), "a double past 2^53 is not exact");
	ok(!jsonx_get_int(o, "t", &v), "true is not an integer");
	ok(!jsonx_get_int(o, "n", &v), "null is not an integer");
	ok(!jsonx_get_int(o, "absent", &v), "absent is not an integer");
	ok(jsonx_has(o, "n"), "has: a null member is present");
	ok(jsonx_has(o, "s"), "has: a string member");
	ok(!jsonx_has(o, "absent"), "has: absent");
	ok(!jsonx_as_int(NULL, &v), "as_int(NULL)");

	arr = json_object_new_array();
	ok(!jsonx_has(arr, "0"), "has on an array");
	ok(jsonx_get_str(arr, "0") == NULL, "get_str on an array");
	ok(!jsonx_get_int(NULL, "i", &v), "get_int on NULL");
	json_object_put(arr);
	json_object_put(o);
	err_release(&e);
}

static void test_null_document(void)
{
	struct json_object *o = (struct json_object *)&o;
	struct err e = ERR_INIT;

	is_int(jsonx_parse("null", 4, &o, &e), 0, "null is a document");
	ok(o == NULL, "json-c's tree for null is NULL");
}

static void test_first_error_kept(void)
{
	struct json_object *o = NULL;
	struct err e = ERR_INIT;

	err_set(&e, ERR_NOT_FOUND, "earlier");
	is_int(jsonx_parse("{", 1, &o, &e), -1, "still fails");
	ok(o == NULL, "no tree");
	is_str(e.msg, "earlier", "the first error is kept");
	err_release(&e);
}

int main(void)
{
	test_valid_documents();
	test_syntax_errors();
	test_trailing();
	test_nul_bytes();
	test_utf8();
	test_numbers();
	test_duplicates();
	test_long_duplicate();
	test_depth();
	test_str();
	test_getters();
	test_null_document();
	test_first_error_kept();
	return done_testing();
}
