/* req.h: one HTTP request and its response, owned for the request's life. */
#ifndef AGORA_REQ_H
#define AGORA_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <json-c/json.h>

#include "err.h"
#include "http.h"
#include "sbuf.h"
#include "valid.h"

struct cache;
struct db;
struct db_res;

/*
 * What a request may use of the process serving it. The program fills it
 * (lib/app.c, from its configuration and what it opened) and keeps it for
 * the requests' lives; the library below the programs sees only this.
 */
struct req_env {
	struct db *db; /* NULL: none (statement counts stay 0) */
	struct cache *cache;
	size_t body_limit; /* bytes a request body may have */
	const char *jwt_secret; /* what auth_require() verifies with */
};

/* Where the bytes come from and go to: FastCGI streams or stdin/stdout. */
struct req_io {
	/* read: up to n bytes into buf; returns the count, 0 at end, -1 on
	 * error */
	int (*read)(void *ctx, char *buf, int n);
	/* write: all n bytes; returns 0 or -1 */
	int (*write)(void *ctx, const char *buf, int n);
	void *ctx;
};

#define REQ_MAX_PARAMS 8

struct req_user {
	int64_t id;
	char email[256];
	char role[16];
};

/*
 * Everything made for one request lives here and is freed by
 * req_release() after the response is written. Strings taken from the
 * CGI environment (method, uri) are borrowed from envp and valid only
 * during the request.
 */
struct req {
	const struct req_env *env; /* never NULL after req_init() */
	char **envp;
	struct req_io io;
	double start_ms; /* clock_ms() at req_init() */

	const char *method; /* REQUEST_METHOD */
	const char *uri; /* REQUEST_URI, raw, with query */
	char *path; /* decoded path, without query */
	struct http_kvs query; /* decoded query parameters */
	char reqid[65];

	size_t nparams; /* path parameters from the route */
	char param_names[REQ_MAX_PARAMS][32];
	char *param_values[REQ_MAX_PARAMS];

	bool authed;
	struct req_user user;
	struct db_res *user_row; /* the user's row (user_cols), owned */

	struct err err; /* what a failing handler set */
	struct json_object *body; /* parsed body, owned */
	struct json_object *qobj; /* validated query, owned */

	int status; /* 0 until a response is made */
	struct sbuf headers; /* extra "Name: value\r\n" lines */
	struct sbuf out; /* response body */
	const char *content_type; /* static; NULL: JSON */
	const char *extra_timing; /* appended to Server-Timing, static */
};

/*
 * req_init: set up r for one request from a CGI environment. Parses the
 * method, path (strict percent-decoding) and query string, and picks the
 * request id (X-Request-Id if it is 1–64 of [A-Za-z0-9-], else a new one).
 * env (borrowed, may be NULL: no database, a 1 MiB body limit, no JWT
 * secret) must outlive the request.
 * Returns 0, or -1 with r->err set (400 for a malformed path or query);
 * r is usable for an error response either way.
 */
int req_init(struct req *r, const struct req_env *env, char **envp,
	     const struct req_io *io);
void req_release(struct req *r);

/* req_getenv: a CGI variable ("HTTP_AUTHORIZATION", "CONTENT_TYPE"), or
 * NULL. Borrowed for the request. */
const char *req_getenv(const struct req *r, const char *name);

/* req_param: a path parameter by name, or NULL. */
const char *req_param(const struct req *r, const char *name);
/* req_param_id: a path parameter that must be a positive integer; else
 * 400 "Validation failed (numeric string is expected)". */
int req_param_id(struct req *r, const char *name, int64_t *out);

/*
 * req_body: read and parse the JSON body. A request without a body gives
 * an empty object. Errors: 413 over the body limit, 415 when a body is not
 * application/json, 400 for anything jsonx_parse() rejects. The tree is
 * borrowed from r.
 */
int req_body(struct req *r, struct json_object **out);
/* req_body_valid: req_body() then valid_body() against fields;
 * req_body_partial: the same with valid_body_partial(). */
int req_body_valid(struct req *r, const struct valid_field *fields,
		   struct json_object **out);
int req_body_partial(struct req *r, const struct valid_field *fields,
		     struct json_object **out);
/* req_query_valid: valid_query() on the query string; borrowed from r. */
int req_query_valid(struct req *r, const struct valid_field *fields,
		    struct json_object **out);

/* Responses. Each sets the status and body once; the serve loop writes
 * them with the common headers. All return 0 so handlers can end with
 * `return req_json(r, 200, obj);`. */
/* req_json: body takes ownership of obj. */
int req_json(struct req *r, int status, struct json_object *obj);
int req_no_content(struct req *r);
/* req_bytes: answer len bytes of buf (copied) as Content-Type type (a
 * static string), for the few answers that are not JSON. */
int req_bytes(struct req *r, int status, const char *type, const void *buf,
	      size_t len);
/* req_header: add a response header; the value must not contain CR/LF. */
void req_header(struct req *r, const char *name, const char *value);
/*
 * req_send_error: the one error sink. Turns e into the NestJS shape:
 *   validation list  -> {"statusCode":400,"message":[...],"error":"Bad
 * Request"} code + message   -> {"statusCode":404,"message":"User 7 not
 * found","error":"Not Found"} code, no message ->
 * {"statusCode":401,"message":"Unauthorized"} 5xx never show their message (it
 * is logged with the request id), unless it was set with err_show().
 */
int req_send_error(struct req *r, const struct err *e);

/* req_write: emit status line, headers (Content-Type, X-Request-Id,
 * Server-Timing, extras) and body through r->io. */
int req_write(struct req *r);

/* req_elapsed_ms: milliseconds since the request started. */
double req_elapsed_ms(const struct req *r);

#endif
