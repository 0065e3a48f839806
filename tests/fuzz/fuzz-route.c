/* fuzz-route.c: one request through req_init, the router and the error
 * sink, from any method, URL and body. */
#include "common.h"

#include "fuzz.h"
#include "jsonx.h"
#include "log.h"
#include "route.h"
#include "utf8.h"

/*
 * The input is METHOD '\n' URL '\n' BODY. The routes below stand for the
 * shapes of the real tables (path parameters, a body, a query, more
 * parameters than a request holds); their handlers need no database, so
 * every answer comes from lib/ alone. What must hold for every request:
 * a status from 200 to 599 and a body that is strict JSON (or none for
 * 204), as a client of the NestJS API expects.
 */

static const char *const roles[] = { "USER", "ADMIN", NULL };
static const char *const sorts[] = { "relevance", "price_asc", "newest", NULL };

static const struct valid_field role_fields[] = {
	{ "role", VALID_ENUM, VALID_REQUIRED, 0, 0, roles },
	{ NULL },
};

static const struct valid_field order_fields[] = {
	{ "productId", VALID_INT, VALID_REQUIRED, 1, INT64_MAX },
	{ "quantity", VALID_INT, VALID_REQUIRED, 1, 100 },
	{ "note", VALID_STRING, 0, 0, 200 },
	{ "email", VALID_EMAIL, 0 },
	{ "gift", VALID_BOOL, 0 },
	{ NULL },
};

static const struct valid_field search_fields[] = {
	{ "q", VALID_STRING, 0, 0, 200 },
	{ "category", VALID_STRING, 0, 1, 100 },
	{ "page", VALID_INT, 0, 1, 10000 },
	{ "size", VALID_INT, 0, 1, 100 },
	{ "sort", VALID_ENUM, 0, 0, 0, sorts },
	{ "inStock", VALID_BOOL, 0 },
	{ NULL },
};

/* {"params":{name:value...}}: what the router took from the path. */
static int echo_params(struct req *r, int status)
{
	struct json_object *o = json_object_new_object();
	struct json_object *p = json_object_new_object();
	size_t i;

	for (i = 0; i < r->nparams; i++)
		json_object_object_add(p, r->param_names[i],
				       json_object_new_string(
					       r->param_values[i]));
	json_object_object_add(o, "params", p);
	return req_json(r, status, o);
}

static int users_get(struct req *r)
{
	int64_t id;

	if (req_param_id(r, "id", &id) < 0)
		return -1;
	return echo_params(r, 200);
}

static int users_role(struct req *r)
{
	struct json_object *body;
	int64_t id;

	if (req_param_id(r, "id", &id) < 0 ||
	    req_body_valid(r, role_fields, &body) < 0)
		return -1;
	return req_json(r, 200, json_object_get(body));
}

static int orders_create(struct req *r)
{
	struct json_object *body;

	if (req_body_valid(r, order_fields, &body) < 0)
		return -1;
	return req_json(r, 201, json_object_get(body));
}

static int search_products(struct req *r)
{
	struct json_object *q;

	if (req_query_valid(r, search_fields, &q) < 0)
		return -1;
	return req_json(r, 200, json_object_get(q));
}

static int issues_delete(struct req *r)
{
	int64_t id;

	if (req_param_id(r, "id", &id) < 0)
		return -1;
	return req_no_content(r);
}

static int deep(struct req *r)
{
	return echo_params(r, 200);
}

/* A handler that forgets to answer: the dispatcher must. */
static int silent(struct req *r)
{
	(void)r;
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/users/:id", users_get, 0 },
	{ "PATCH", "/api/users/:id/role", users_role, 0 },
	{ "POST", "/api/orders", orders_create, 0 },
	{ "GET", "/api/search/products", search_products, 0 },
	{ "DELETE", "/api/issues/:id", issues_delete, 0 },
	{ "GET", "/api/:a/:b/:c/:d/:e/:f/:g/:h/:i", deep, 0 },
	{ "GET", "/api/:a/:b/:c/:d/:e/:f/:g/:h", deep, 0 },
	{ "GET", "/api/silent", silent, 0 },
	{ NULL },
};

struct input {
	const char *buf;
	size_t len, off;
};

static int input_read(void *ctx, char *buf, int n)
{
	struct input *in = ctx;
	size_t k = in->len - in->off;

	if ((size_t)n < k)
		k = (size_t)n;
	memcpy(buf, in->buf + in->off, k);
	in->off += k;
	return (int)k;
}

static struct sbuf sink_buf = SBUF_INIT;

static int sink_write(void *ctx, const char *buf, int n)
{
	(void)ctx;
	return sbuf_add(&sink_buf, buf, (size_t)n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl1, *nl2;
	char *method, *uri, *cl, *envp[6];
	struct input in = { NULL, 0, 0 };
	struct req_io io = { input_read, sink_write, &in };
	struct json_object *o = NULL;
	struct err e = ERR_INIT;
	struct req r;
	static bool quiet;

	if (!quiet) {
		/* A 500 is logged; the property below is what matters. */
		log_init("fuzz-route", "error");
		quiet = true;
	}
	nl1 = memchr(p, '\n', size);
	if (!nl1)
		return 0;
	nl2 = memchr(nl1 + 1, '\n', (size_t)(end - nl1 - 1));
	if (!nl2)
		nl2 = end;
	/* CGI variables are C strings: a NUL ends them, as in lighttpd. */
	method = xasprintf("REQUEST_METHOD=%.*s", (int)(nl1 - p), p);
	uri = xasprintf("REQUEST_URI=%.*s", (int)(nl2 - nl1 - 1), nl1 + 1);
	in.buf = nl2 < end ? nl2 + 1 : end;
	in.len = (size_t)(end - in.buf);
	cl = xasprintf("CONTENT_LENGTH=%zu", in.len);
	envp[0] = method;
	envp[1] = uri;
	envp[2] = cl;
	envp[3] = (char *)"CONTENT_TYPE=application/json";
	envp[4] = (char *)"HTTP_X_REQUEST_ID=fuzz";
	envp[5] = NULL;

	sbuf_reset(&sink_buf);
	if (req_init(&r, NULL, envp, &io) < 0)
		req_send_error(&r, &r.err);
	else
		route_dispatch(routes, &r);
	FUZZ_CHECK(r.status >= 200 && r.status <= 599, "an HTTP status");
	if (r.status == 204) {
		FUZZ_CHECK(r.out.len == 0, "204 has no body");
	} else {
		FUZZ_CHECK(jsonx_parse(r.out.buf, r.out.len, &o, &e) == 0 &&
				   json_object_is_type(o, json_type_object),
			   "the body is a strict JSON object");
		if (r.status >= 400)
			FUZZ_CHECK(json_object_object_get_ex(o, "statusCode",
							     NULL) &&
					   json_object_object_get_ex(o,
								     "message",
								     NULL),
				   "an error in the NestJS shape");
	}
	FUZZ_CHECK(req_write(&r) == 0, "the response is written");
	FUZZ_CHECK(!memcmp(sink_buf.buf, "Status: ", 8) &&
			   strstr(sink_buf.buf, "\r\n\r\n"),
		   "a CGI header block");
	req_release(&r);
	json_object_put(o);
	err_release(&e);
	free(method);
	free(uri);
	free(cl);
	return 0;
}
