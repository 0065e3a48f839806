/* t-cors.c: the CORS headers of an answer and the preflight's answer, as
 * NestJS's enableCors() gives them, for each CORS_ORIGINS form. */
#include "common.h"

#include "cors.h"
#include "req.h"
#include "tap.h"
#include "testreq.h"

static struct sbuf out;

/*
 * One request through cors_apply and, unless it was a preflight, a 200
 * answer; the response's head (status line and headers) into out.
 * Returns what cors_apply said.
 */
static bool run(const char *origins, const char *method, const char *origin)
{
	static const struct req_env renv = { NULL, NULL, 1024, "" };
	struct req_io io = { testreq_no_body, testreq_capture, &out };
	char m[64], o[128];
	const char *env[] = { m, "REQUEST_URI=/api/health", o, NULL };
	struct req r;
	bool pre;

	snprintf(m, sizeof(m), "REQUEST_METHOD=%s", method);
	snprintf(o, sizeof(o), "%s%s",
		 origin ? "HTTP_ORIGIN=" : "X=", origin ? origin : "");
	sbuf_reset(&out);
	if (req_init(&r, &renv, (char **)env, &io) < 0) {
		ok(0, "req_init");
		return false;
	}
	pre = cors_apply(&r, origins);
	if (!pre)
		req_json(&r, 200, json_object_new_object());
	req_write(&r);
	req_release(&r);
	sbuf_addch(&out, '\0');
	return pre;
}

static bool has(const char *header)
{
	return strstr(out.buf, header) != NULL;
}

int main(void)
{
	sbuf_init(&out, 0, 0);

	ok(!run("", "GET", "https://shop.example"), "off: not a preflight");
	ok(!has("Access-Control-"), "off: no CORS header at all");
	ok(!run("", "OPTIONS", "https://shop.example"),
	   "off: OPTIONS is routed like any method");

	ok(!run("*", "GET", "https://any.example"), "*: a GET");
	ok(has("\r\nAccess-Control-Allow-Origin: *\r\n"), "*: any origin");
	ok(has("\r\nAccess-Control-Expose-Headers: X-Request-Id,"
	       "Server-Timing,Idempotent-Replayed,Retry-After\r\n"),
	   "*: the headers a client may read");
	ok(!has("Vary: Origin"), "*: the answer does not vary by origin");

	ok(!run("https://shop.example, http://localhost:5173", "GET",
		"http://localhost:5173"),
	   "list: a GET from a listed origin");
	ok(has("\r\nAccess-Control-Allow-Origin: http://localhost:5173\r\n"),
	   "list: the origin comes back (spaces around entries ignored)");
	ok(has("\r\nVary: Origin\r\n"), "list: Vary: Origin");
	run("https://shop.example,http://localhost:5173", "GET",
	    "https://shop.example.evil");
	ok(!has("Access-Control-Allow-Origin"),
	   "list: an origin that only starts like a listed one gets none");
	ok(has("\r\nVary: Origin\r\n"), "list: ... and still Vary: Origin");
	run("https://shop.example", "GET", NULL);
	ok(!has("Access-Control-Allow-Origin") && has("Vary: Origin"),
	   "list: no Origin, no Allow-Origin, Vary all the same");

	ok(run("https://shop.example", "OPTIONS", "https://shop.example"),
	   "preflight: answered by cors_apply");
	ok(!strncmp(out.buf, "Status: 204", 11), "preflight: 204");
	ok(has("\r\nAccess-Control-Allow-Methods: GET,HEAD,PUT,PATCH,POST,"
	       "DELETE\r\n"),
	   "preflight: NestJS's methods");
	ok(has("\r\nAccess-Control-Allow-Headers: Authorization,"
	       "Content-Type,Idempotency-Key,X-Request-Id\r\n"),
	   "preflight: the request headers agora reads");
	ok(has("\r\nAccess-Control-Max-Age: 3600\r\n"),
	   "preflight: cached for an hour");

	sbuf_release(&out);
	return done_testing();
}
