/* t-route.c: pattern matching and what the dispatcher enforces. */
#include "common.h"

#include "route.h"
#include "tap.h"
#include "utf8.h"

static int calls;

static int h_ok(struct req *r)
{
	struct json_object *o = json_object_new_object();

	calls++;
	json_object_object_add(o, "id",
			       json_object_new_string(req_param(r, "id")));
	return req_json(r, 200, o);
}

static int h_silent(struct req *r)
{
	calls++;
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/api/things/:id", h_ok, 0 },
	{ "GET", "/api/mine", h_ok, ROUTE_AUTH },
	{ "GET", "/api/admin", h_ok, ROUTE_ADMIN },
	{ "GET", "/api/silent", h_silent, 0 },
	{ NULL },
};

static int w(void *ctx, const char *buf, int n)
{
	return 0;
}
static int rd(void *ctx, char *buf, int n)
{
	return 0;
}

static struct req_env renv;

static void run(struct req *r, const char *method, const char *uri,
		const char *auth)
{
	static char m[64], u[1024], a[512];
	static char *env[4];
	struct req_io io = { rd, w, NULL };

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	snprintf(a, sizeof(a), "HTTP_AUTHORIZATION=%s", auth ? auth : "");
	env[0] = m;
	env[1] = u;
	env[2] = auth ? a : NULL;
	env[3] = NULL;
	req_init(r, &renv, env, &io);
	route_dispatch(routes, r);
}

/* "Cannot GET " and a URL of 100 three-byte characters do not fit a
 * message: it must end at a whole character. */
static void test_long_url(void)
{
	struct sbuf uri = SBUF_INIT, want = SBUF_INIT;
	struct req r;
	int i;

	sbuf_addstr(&uri, "/api/");
	for (i = 0; i < 100; i++)
		sbuf_addstr(&uri, "\xeb\x85\xb8");
	sbuf_addstr(&want, "\"Cannot GET /api/");
	for (i = 0; i < 79; i++)
		sbuf_addstr(&want, "\xeb\x85\xb8");
	sbuf_addstr(&want, "\",");
	run(&r, "GET", uri.buf, NULL);
	is_int(r.status, 404, "a long unknown URL is a 404");
	ok(utf8_valid(r.out.buf, r.out.len) &&
		   strstr(r.out.buf, want.buf) != NULL,
	   "whose message is cut at a character, not inside one");
	req_release(&r);
	sbuf_release(&uri);
	sbuf_release(&want);
}

int main(void)
{
	struct req r;
	static char secret[] = "0123456789abcdef0123456789abcdef";

	renv.jwt_secret = secret;
	renv.body_limit = 1024;
	memset(&r, 0, sizeof(r));
	ok(route_match("/api/users/:id/role", "/api/users/7/role", &r),
	   "pattern with a parameter matches");
	is_str(req_param(&r, "id"), "7", "... and captures it");
	ok(!route_match("/api/users/:id/role", "/api/users//role", &r),
	   "an empty segment does not match a parameter");
	ok(!route_match("/api/users/:id", "/api/users/7/role", &r),
	   "extra segments do not match");
	ok(!route_match("/api/users/me", "/api/users/mex", &r),
	   "a longer literal does not match");
	ok(route_match("/api/users/me", "/api/users/me/", &r),
	   "one trailing slash is ignored");
	ok(route_match("/api/users", "/api/users/", &r),
	   "... also on a bare collection");
	ok(req_param(&r, "id") == NULL, "failed matches leave no parameters");

	run(&r, "GET", "/api/things/abc", NULL);
	is_int(r.status, 200, "matching route runs");
	is_str(r.out.buf, "{\"id\":\"abc\"}", "... with its parameter");
	req_release(&r);

	run(&r, "GET", "/api/nope?x=1", NULL);
	is_int(r.status, 404, "unknown route is a 404");
	is_str(r.out.buf,
	       "{\"statusCode\":404,\"message\":\"Cannot GET /api/nope?x=1\","
	       "\"error\":\"Not Found\"}",
	       "... in the NestJS shape");
	req_release(&r);

	test_long_url();

	run(&r, "DELETE", "/api/things/1", NULL);
	is_int(r.status, 404, "known path, unknown method is a 404 too");
	ok(strstr(r.out.buf, "Cannot DELETE /api/things/1") != NULL,
	   "... naming the method");
	req_release(&r);

	calls = 0;
	run(&r, "GET", "/api/mine", NULL);
	is_int(r.status, 401, "auth route without a token is a 401");
	is_str(r.out.buf, "{\"statusCode\":401,\"message\":\"Unauthorized\"}",
	       "... bare");
	req_release(&r);

	run(&r, "GET", "/api/admin", "Bearer not.a.token");
	is_int(r.status, 401, "admin route with a garbage token is a 401");
	req_release(&r);
	is_int(calls, 0, "handlers behind a failed check never run");

	run(&r, "GET", "/api/silent", NULL);
	is_int(r.status, 500, "a handler that answers nothing is a 500");
	req_release(&r);
	return done_testing();
}
