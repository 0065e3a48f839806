/* route.h: static route tables and the one place their flags are enforced. */
#ifndef AGORA_ROUTE_H
#define AGORA_ROUTE_H

#include "req.h"

#define ROUTE_AUTH  0x1 /* a valid bearer token is required */
#define ROUTE_ADMIN (0x2 | ROUTE_AUTH) /* ... of a user whose role is ADMIN */

/*
 * One row: method, pattern ("/api/users/:id/role"; ":name" matches one
 * non-empty segment), handler, flags. A table ends with a { NULL } row.
 * A handler answers with req_json()/req_no_content() and returns 0, or
 * sets r->err and returns -1; the dispatcher sends the error.
 */
struct route {
	const char *method;
	const char *pattern;
	int (*handler)(struct req *r);
	unsigned flags;
};

/* route_match: does path match pattern? Fills r's path parameters. */
bool route_match(const char *pattern, const char *path, struct req *r);

/*
 * route_dispatch: find the row for r's method and path, check its flags
 * (401 without a valid token, 403 "Forbidden resource" for a USER on an
 * ADMIN route), run the handler, and make sure r carries a response:
 * unknown routes answer 404 "Cannot GET /api/nope".
 */
void route_dispatch(const struct route *routes, struct req *r);

#endif
