/* t-http.c: percent-decoding, query strings, request ids, content types. */
#include "common.h"

#include <sys/wait.h>
#include <unistd.h>

#include "http.h"
#include "tap.h"

/* Decode a literal and compare; want NULL means "malformed". */
static void dec(const char *in, bool plus, const char *want)
{
	char *got = http_percent_decode(in, strlen(in), plus);
	char shown[128];
	size_t i, n = 0;

	/* Keep the TAP line ASCII: raw bytes are shown as \xNN. */
	for (i = 0; in[i] && n < sizeof(shown) - 8; i++) {
		unsigned char c = (unsigned char)in[i];

		if (c < 0x20 || c >= 0x7f)
			n += (size_t)snprintf(shown + n, sizeof(shown) - n,
					      "\\x%02x", c);
		else
			shown[n++] = (char)c;
	}
	shown[n] = '\0';
	is_str(got, want, "decode '%s'%s", shown, plus ? " (form)" : "");
	free(got);
}

static void test_decode(void)
{
	char *s;

	dec("", true, "");
	dec("abc", true, "abc");
	dec("a%20b", false, "a b");
	dec("a+b", true, "a b");
	dec("a+b", false, "a+b");
	dec("%2B", true, "+");
	dec("%2b%2F", false, "+/");
	dec("%41%42%43", false, "ABC");
	dec("%ED%95%9C%EA%B5%AD%EC%96%B4", true,
	    "\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4");
	dec("\xed\x95\x9c", true, "\xed\x95\x9c");
	dec("100%25", true, "100%");

	dec("%", true, NULL);
	dec("a%", true, NULL);
	dec("%4", true, NULL);
	dec("a%4", true, NULL);
	dec("%zz", true, NULL);
	dec("%g0", true, NULL);
	dec("%0g", true, NULL);
	dec("%00", true, NULL);
	dec("a%00b", true, NULL);
	dec("%FF", true, NULL);
	dec("%C0%AF", true, NULL);
	dec("%ED%A0%80", true, NULL);
	dec("%C3", true, NULL);
	dec("\xff", true, NULL);

	/* Only len bytes are read. */
	s = http_percent_decode("abc%41", 3, false);
	is_str(s, "abc", "decode stops at len");
	free(s);
	s = http_percent_decode("a%4142", 3, false);
	ok(s == NULL, "an escape cut by len is malformed");
	free(s);
	s = http_percent_decode("a\0b", 3, false);
	ok(s == NULL, "a raw NUL byte is malformed");
	free(s);
}

static void test_kvs(void)
{
	struct http_kvs kvs = HTTP_KVS_INIT;
	int i;
	char key[16];

	ok(http_kvs_get(&kvs, "a") == NULL, "empty list: get is NULL");
	is_int(http_kvs_count(&kvs, "a"), 0, "empty list: count 0");
	http_kvs_add(&kvs, "a", "1");
	http_kvs_add(&kvs, "b", "2");
	http_kvs_add(&kvs, "a", "3");
	is_str(http_kvs_get(&kvs, "a"), "1", "get answers the first value");
	is_str(http_kvs_get(&kvs, "b"), "2", "get b");
	ok(http_kvs_get(&kvs, "A") == NULL, "keys are case-sensitive");
	is_int(http_kvs_count(&kvs, "a"), 2, "count of a repeated key");
	is_int(http_kvs_count(&kvs, "b"), 1, "count of a single key");
	for (i = 0; i < 40; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		http_kvs_add(&kvs, key, key);
	}
	is_int(kvs.n, 43, "the list grows");
	is_str(http_kvs_get(&kvs, "k39"), "k39", "last added is found");
	http_kvs_release(&kvs);
	is_int(kvs.n, 0, "release empties");
	ok(kvs.v == NULL, "release frees");
	http_kvs_release(&kvs);
}

static void test_query(void)
{
	struct http_kvs kvs = HTTP_KVS_INIT;
	struct err e = ERR_INIT;

	is_int(http_parse_query("", &kvs, &e), 0, "empty query");
	is_int(kvs.n, 0, "empty query: no pairs");
	is_int(http_parse_query(NULL, &kvs, &e), 0, "NULL query");

	is_int(http_parse_query("q=red+shoes&page=2&q=x%2By", &kvs, &e), 0,
	       "three pairs");
	is_int(kvs.n, 3, "three pairs parsed");
	is_str(kvs.v[0].key, "q", "first key");
	is_str(kvs.v[0].val, "red shoes", "'+' is a space in a query");
	is_str(kvs.v[1].key, "page", "second key, in order");
	is_str(kvs.v[2].val, "x+y", "an escaped plus stays a plus");
	http_kvs_release(&kvs);

	is_int(http_parse_query("a=1&&b=2&", &kvs, &e), 0, "empty pieces");
	is_int(kvs.n, 2, "empty pieces are skipped");
	is_str(kvs.v[1].key, "b", "b after the empty piece");
	http_kvs_release(&kvs);

	is_int(http_parse_query("flag&x=&=5&y=a=b", &kvs, &e), 0, "odd pieces");
	is_int(kvs.n, 3, "a piece without a key is skipped");
	is_str(kvs.v[0].key, "flag", "piece without '='");
	is_str(kvs.v[0].val, "", "has an empty value");
	is_str(kvs.v[1].val, "", "'x=' has an empty value");
	is_str(kvs.v[2].val, "a=b", "only the first '=' splits");
	http_kvs_release(&kvs);

	is_int(http_parse_query("na%C3%AFve=%ED%95%9C", &kvs, &e), 0,
	       "UTF-8 in keys and values");
	is_str(kvs.v[0].key, "na\xc3\xafve", "decoded key");
	is_str(kvs.v[0].val, "\xed\x95\x9c", "decoded value");
	http_kvs_release(&kvs);
	is_int(e.code, 0, "no error so far");

	http_kvs_add(&kvs, "keep", "me");
	is_int(http_parse_query("a=1&b=%zz", &kvs, &e), -1, "bad escape");
	is_int(e.code, 400, "bad escape is a 400");
	is_str(e.msg, "Malformed query string", "bad escape message");
	is_int(kvs.n, 1, "a failed parse adds nothing");
	is_str(kvs.v[0].key, "keep", "earlier pairs are kept");
	err_release(&e);

	is_int(http_parse_query("x%00=1", &kvs, &e), -1, "NUL in a key");
	is_int(e.code, 400, "NUL in a key is a 400");
	err_release(&e);
	is_int(http_parse_query("x=%FF", &kvs, &e), -1, "bad UTF-8 value");
	is_int(kvs.n, 1, "still only the first pair");
	err_release(&e);
	http_kvs_release(&kvs);
}

/* Ids drawn from one pool of random bytes: all differ across its
 * refills, and a child of fork() never repeats its parent's next ones. */
static void test_request_ids_fork(void)
{
	char ids[40][33], mine[33], child[33];
	int fd[2], status, same = 0, i, j;
	pid_t pid;

	for (i = 0; i < 40; i++)
		http_request_id_new(ids[i]);
	for (i = 0; i < 40; i++)
		for (j = 0; j < i; j++)
			same += !strcmp(ids[i], ids[j]);
	is_int(same, 0, "40 ids in a row all differ");
	if (pipe(fd) < 0 || (pid = fork()) < 0) {
		ok(0, "pipe and fork");
		return;
	}
	if (!pid) {
		http_request_id_new(child);
		_exit(write(fd[1], child, 33) == 33 ? 0 : 1);
	}
	close(fd[1]);
	http_request_id_new(mine);
	memset(child, 0, sizeof(child));
	ok(read(fd[0], child, 33) == 33 && waitpid(pid, &status, 0) == pid,
	   "the child's id");
	close(fd[0]);
	ok(strcmp(mine, child) != 0, "parent and child draw different ids");
}

static void test_request_id(void)
{
	char a[33], b[33];
	char long_id[66];
	size_t i;
	bool hex = true;

	ok(http_request_id_ok("abc-123-XYZ"), "letters, digits, dashes");
	ok(http_request_id_ok("a"), "one character");
	ok(!http_request_id_ok(""), "empty id");
	ok(!http_request_id_ok(NULL), "NULL id");
	ok(!http_request_id_ok("abc def"), "space");
	ok(!http_request_id_ok("abc_def"), "underscore");
	ok(!http_request_id_ok("a\nb"), "newline (header injection)");
	ok(!http_request_id_ok("\xed\x95\x9c"), "non-ASCII");
	memset(long_id, 'a', 64);
	long_id[64] = '\0';
	ok(http_request_id_ok(long_id), "64 characters");
	long_id[64] = 'a';
	long_id[65] = '\0';
	ok(!http_request_id_ok(long_id), "65 characters");

	http_request_id_new(a);
	http_request_id_new(b);
	is_int(strlen(a), 32, "a new id has 32 characters");
	for (i = 0; i < 32; i++)
		if (!((a[i] >= '0' && a[i] <= '9') ||
		      (a[i] >= 'a' && a[i] <= 'f')))
			hex = false;
	ok(hex, "a new id is lowercase hex: %s", a);
	ok(strcmp(a, b) != 0, "two ids differ");
	ok(http_request_id_ok(a), "a new id passes http_request_id_ok");
	test_request_ids_fork();
}

static void test_content_type(void)
{
	ok(http_content_type_is_json("application/json"), "plain");
	ok(http_content_type_is_json("application/json; charset=utf-8"),
	   "with charset");
	ok(http_content_type_is_json("Application/JSON;charset=UTF-8"),
	   "any case, no space");
	ok(http_content_type_is_json("application/json ; charset=\"utf-8\""),
	   "quoted charset, space before ';'");
	ok(http_content_type_is_json("application/json; foo=bar"),
	   "another parameter");
	ok(http_content_type_is_json("application/json;"), "empty parameter");
	ok(!http_content_type_is_json("text/plain"), "text/plain");
	ok(!http_content_type_is_json("application/jsonx"), "jsonx");
	ok(!http_content_type_is_json("application/json-patch+json"),
	   "a longer type");
	ok(!http_content_type_is_json("application/json; charset=latin1"),
	   "latin1");
	ok(!http_content_type_is_json("application/json; charset=utf-16"),
	   "utf-16");
	ok(!http_content_type_is_json("application/json; foo=1; charset=x"),
	   "bad charset after another parameter");
	ok(!http_content_type_is_json(NULL), "NULL");
	ok(!http_content_type_is_json(""), "empty");
	ok(!http_content_type_is_json("application/"), "truncated");
}

int main(void)
{
	test_decode();
	test_kvs();
	test_query();
	test_request_id();
	test_content_type();
	return done_testing();
}
