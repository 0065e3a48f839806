/* cors.c: the CORS headers of an answer, and the answer to a preflight. */
#include "common.h"

#include "cors.h"

/* What NestJS's enableCors() allows by default, and the headers an
 * agora client needs beyond the CORS-safelisted ones. */
#define CORS_METHODS "GET,HEAD,PUT,PATCH,POST,DELETE"
#define CORS_ALLOW_HEADERS                            \
	"Authorization,Content-Type,Idempotency-Key," \
	"X-Request-Id"
#define CORS_EXPOSE_HEADERS                               \
	"X-Request-Id,Server-Timing,Idempotent-Replayed," \
	"Retry-After"
/* Seconds a browser may reuse a preflight's answer (Chromium caps it at
 * two hours). */
#define CORS_MAX_AGE "3600"

/* Is origin one of the comma-separated list's entries (spaces around an
 * entry ignored)? Origins compare exactly, as the cors package does. */
static bool cors_listed(const char *list, const char *origin)
{
	size_t olen = strlen(origin);
	const char *p = list;

	while (*p) {
		const char *end = strchr(p, ','), *e;

		if (!end)
			end = p + strlen(p);
		while (p < end && *p == ' ')
			p++;
		e = end;
		while (e > p && e[-1] == ' ')
			e--;
		if ((size_t)(e - p) == olen && !memcmp(p, origin, olen))
			return true;
		p = *end ? end + 1 : end;
	}
	return false;
}

bool cors_apply(struct req *r, const char *origins)
{
	const char *origin;

	if (!origins || !*origins)
		return false;
	if (!strcmp(origins, "*")) {
		req_header(r, "Access-Control-Allow-Origin", "*");
	} else {
		origin = req_getenv(r, "HTTP_ORIGIN");
		if (origin && cors_listed(origins, origin))
			req_header(r, "Access-Control-Allow-Origin", origin);
		/* The answer depends on Origin, whatever it was: caches
		 * must not hand one origin's answer to another. */
		req_header(r, "Vary", "Origin");
	}
	req_header(r, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
	if (strcmp(r->method, "OPTIONS") != 0)
		return false;
	req_header(r, "Access-Control-Allow-Methods", CORS_METHODS);
	req_header(r, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
	req_header(r, "Access-Control-Max-Age", CORS_MAX_AGE);
	req_no_content(r);
	return true;
}
