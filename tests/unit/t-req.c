/* t-req.c: request parsing, body rules, the error sink and the writer. */
#include "common.h"

#include "req.h"
#include "tap.h"

/* An in-memory request: body to read, response captured. */
struct mem {
	const char *in;
	size_t inlen, pos;
	struct sbuf out;
};

static int mem_read(void *ctx, char *buf, int n)
{
	struct mem *m = ctx;
	size_t left = m->inlen - m->pos;
	size_t k = left < (size_t)n ? left : (size_t)n;

	memcpy(buf, m->in + m->pos, k);
	m->pos += k;
	return (int)k;
}

static int mem_write(void *ctx, const char *buf, int n)
{
	return sbuf_add(&((struct mem *)ctx)->out, buf, (size_t)n);
}

static struct req_env renv;
static struct mem mem;

static int start(struct req *r, const char **env, const char *body)
{
	struct req_io io = { mem_read, mem_write, &mem };

	sbuf_release(&mem.out);
	mem.in = body ? body : "";
	mem.inlen = strlen(mem.in);
	mem.pos = 0;
	return req_init(r, &renv, (char **)env, &io);
}

static void test_init(void)
{
	const char *env1[] = {
		"REQUEST_METHOD=GET",
		"REQUEST_URI=/api/users/caf%C3%A9?page=2&q=a+b%21",
		"HTTP_X_REQUEST_ID=abc-123", NULL
	};
	const char *env2[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/api/x%zz",
			       NULL };
	const char *env3[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/api/x?a=%4",
			       "HTTP_X_REQUEST_ID=bad id!", NULL };
	char long_id[100];
	const char *env4[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", long_id,
			       NULL };
	struct req r;

	ok(start(&r, env1, NULL) == 0, "well-formed request parses");
	is_str(r.method, "GET", "method");
	is_str(r.path, "/api/users/café", "path is percent-decoded");
	is_str(http_kvs_get(&r.query, "page"), "2", "query page");
	is_str(http_kvs_get(&r.query, "q"), "a b!", "query + and %%21 decoded");
	is_str(r.reqid, "abc-123", "a valid client request id is honoured");
	req_release(&r);

	ok(start(&r, env2, NULL) < 0, "malformed path escape fails");
	is_int(r.err.code, 400, "... with 400");
	req_release(&r);

	ok(start(&r, env3, NULL) < 0, "malformed query escape fails");
	is_int(r.err.code, 400, "... with 400");
	is_int(strlen(r.reqid), 32, "an invalid request id is replaced");
	ok(strcmp(r.reqid, "bad id!") != 0, "... not echoed");
	req_release(&r);

	snprintf(long_id, sizeof(long_id), "HTTP_X_REQUEST_ID=%065d", 7);
	start(&r, env4, NULL);
	ok(strlen(r.reqid) == 32, "a 65-character request id is replaced");
	req_release(&r);
}

static void test_body(void)
{
	const char *json[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/a",
			       "CONTENT_TYPE=application/json",
			       "CONTENT_LENGTH=9", NULL };
	const char *text[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/a",
			       "CONTENT_TYPE=text/plain", "CONTENT_LENGTH=2",
			       NULL };
	const char *big[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/a",
			      "CONTENT_TYPE=application/json",
			      "CONTENT_LENGTH=2000", NULL };
	const char *none[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/a", NULL };
	const char *bad[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/a",
			      "CONTENT_TYPE=application/json",
			      "CONTENT_LENGTH=3", NULL };
	struct json_object *o;
	struct req r;

	start(&r, json, "{\"a\": 1}\n");
	ok(req_body(&r, &o) == 0, "JSON body parses");
	ok(o && json_object_is_type(o, json_type_object), "... to an object");
	req_release(&r);

	start(&r, text, "{}");
	ok(req_body(&r, &o) < 0, "text/plain body refused");
	is_int(r.err.code, 415, "... with 415");
	req_release(&r);

	start(&r, big, "{}");
	ok(req_body(&r, &o) < 0, "body over the limit refused");
	is_int(r.err.code, 413, "... with 413 before reading it");
	req_release(&r);

	start(&r, none, NULL);
	ok(req_body(&r, &o) == 0, "no body is fine");
	is_int(json_object_object_length(o), 0, "... and reads as {}");
	req_release(&r);

	start(&r, bad, "{x}");
	ok(req_body(&r, &o) < 0, "invalid JSON refused");
	is_int(r.err.code, 400, "... with 400");
	req_release(&r);
}

static void test_errors(void)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/a", NULL };
	struct err e = ERR_INIT;
	struct req r;

	start(&r, env, NULL);
	err_add(&e, "price must be an integer number");
	err_add(&e, "property role should not exist");
	req_send_error(&r, &e);
	is_int(r.status, 400, "validation list is a 400");
	is_str(r.out.buf,
	       "{\"statusCode\":400,\"message\":[\"price must be an integer number\","
	       "\"property role should not exist\"],\"error\":\"Bad Request\"}",
	       "... with the message array");
	err_release(&e);

	err_set(&e, ERR_NOT_FOUND, "User 7 not found");
	req_send_error(&r, &e);
	is_str(r.out.buf,
	       "{\"statusCode\":404,\"message\":\"User 7 not found\",\"error\":\"Not Found\"}",
	       "message + error");
	err_release(&e);

	err_set(&e, ERR_UNAUTHORIZED, NULL);
	req_send_error(&r, &e);
	is_str(r.out.buf, "{\"statusCode\":401,\"message\":\"Unauthorized\"}",
	       "bare 401");
	err_release(&e);

	err_set(&e, ERR_INTERNAL, "relation \"users\" does not exist");
	req_send_error(&r, &e);
	is_str(r.out.buf,
	       "{\"statusCode\":500,\"message\":\"Internal server error\"}",
	       "a 500 does not leak its message");
	err_release(&e);

	err_set(&e, ERR_UNAVAILABLE, "connection refused on 10.0.0.1");
	req_send_error(&r, &e);
	is_str(r.out.buf,
	       "{\"statusCode\":503,\"message\":\"Service Unavailable\"}",
	       "a 503 does not leak its message");
	err_release(&e);

	err_show(&e, ERR_UNAVAILABLE, "Search is unavailable");
	req_send_error(&r, &e);
	is_str(r.out.buf,
	       "{\"statusCode\":503,\"message\":\"Search is unavailable\","
	       "\"error\":\"Service Unavailable\"}",
	       "a 503 set with err_show says its message");
	err_release(&e);

	req_write(&r);
	ok(!strncmp(mem.out.buf, "Status: 503 Service Unavailable\r\n", 33),
	   "status line first");
	ok(strstr(mem.out.buf, "\r\nX-Request-Id: ") != NULL,
	   "X-Request-Id header");
	ok(strstr(mem.out.buf, "\r\nServer-Timing: sql;desc=\"0\";dur=") !=
		   NULL,
	   "Server-Timing carries the SQL count");
	ok(strstr(mem.out.buf, "\r\n\r\n{\"statusCode\":503") != NULL,
	   "body after the blank line");
	req_release(&r);
}

static void test_params(void)
{
	const char *env[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/a", NULL };
	static const char *const bad[] = {
		"0", "-1", "+1", " 1", "1a", "", "99999999999999999999"
	};
	struct req r;
	int64_t id;
	size_t i;

	start(&r, env, NULL);
	r.nparams = 1;
	memcpy(r.param_names[0], "id", 3);
	r.param_values[0] = xstrdup("42");
	ok(req_param_id(&r, "id", &id) == 0 && id == 42, "id 42 parses");
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		free(r.param_values[0]);
		r.param_values[0] = xstrdup(bad[i]);
		err_release(&r.err);
		ok(req_param_id(&r, "id", &id) < 0 && r.err.code == 400,
		   "id '%s' is a 400", bad[i]);
	}
	is_str(r.err.msg, "Validation failed (numeric string is expected)",
	       "ParseIntPipe's message");
	req_release(&r);
}

int main(void)
{
	renv.body_limit = 1024;
	sbuf_init(&mem.out, 0, 0);
	test_init();
	test_body();
	test_errors();
	test_params();
	sbuf_release(&mem.out);
	return done_testing();
}
