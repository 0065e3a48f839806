/* req.c: one request: CGI variables in, one buffered response out. */
#include "common.h"

#include <time.h>

#include "clock.h"
#include "db.h"
#include "jsonx.h"
#include "log.h"
#include "req.h"

/*
 * A raw NUL byte in the request target ends REQUEST_URI early, silently
 * (the environment holds C strings): "/api/products/1\0abc" would read as
 * "/api/products/1". lighttpd also passes the target it normalized, with
 * every byte a URL may not carry raw percent-encoded, as REDIRECT_URI when
 * that differs: a "%00" there that REQUEST_URI lacks is such a NUL.
 * Returns the error message, or NULL when nothing was cut off.
 */
static const char *req_target_cut(const struct req *r)
{
	const char *norm = req_getenv(r, "REDIRECT_URI"), *nul, *q;

	if (!norm || strstr(r->uri, "%00") || !(nul = strstr(norm, "%00")))
		return NULL;
	q = strchr(norm, '?');
	return q && q < nul ? "Malformed query string" : "Malformed URL path";
}

/* What a request without an environment gets (a test, a fuzz harness). */
static const struct req_env req_env_none = { NULL, NULL, 1024 * 1024, NULL };

int req_init(struct req *r, const struct req_env *env, char **envp,
	     const struct req_io *io)
{
	const char *id, *qmark, *cut;
	size_t plen;

	memset(r, 0, sizeof(*r));
	r->env = env ? env : &req_env_none;
	r->envp = envp;
	r->io = *io;
	r->start_ms = clock_ms();
	err_init(&r->err);
	sbuf_init(&r->headers, 0, 0);
	sbuf_init(&r->out, 0, 0);

	id = req_getenv(r, "HTTP_X_REQUEST_ID");
	if (id && http_request_id_ok(id))
		snprintf(r->reqid, sizeof(r->reqid), "%s", id);
	else
		http_request_id_new(r->reqid);

	r->method = req_getenv(r, "REQUEST_METHOD");
	if (!r->method || !*r->method)
		r->method = "GET";
	r->uri = req_getenv(r, "REQUEST_URI");
	if (!r->uri || r->uri[0] != '/') {
		/* Plain CGI started by hand may lack REQUEST_URI. */
		r->uri = req_getenv(r, "PATH_INFO");
		if (!r->uri || !*r->uri)
			r->uri = "/";
	}
	cut = req_target_cut(r);
	qmark = strchr(r->uri, '?');
	plen = qmark ? (size_t)(qmark - r->uri) : strlen(r->uri);
	r->path = http_percent_decode(r->uri, plen, false);
	if (!r->path) {
		r->path = xstrdup("/");
		return err_set(&r->err, ERR_BAD_REQUEST, "Malformed URL path");
	}
	if (cut)
		return err_set(&r->err, ERR_BAD_REQUEST, "%s", cut);
	return http_parse_query(qmark ? qmark + 1 : "", &r->query, &r->err);
}

void req_release(struct req *r)
{
	size_t i;

	free(r->path);
	http_kvs_release(&r->query);
	for (i = 0; i < r->nparams; i++)
		free(r->param_values[i]);
	err_release(&r->err);
	if (r->user_row)
		db_res_free(r->user_row);
	if (r->body)
		json_object_put(r->body);
	if (r->qobj)
		json_object_put(r->qobj);
	sbuf_release(&r->headers);
	sbuf_release(&r->out);
}

const char *req_getenv(const struct req *r, const char *name)
{
	size_t n = strlen(name);
	char **e;

	for (e = r->envp; e && *e; e++)
		if (!strncmp(*e, name, n) && (*e)[n] == '=')
			return *e + n + 1;
	return NULL;
}

const char *req_param(const struct req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nparams; i++)
		if (!strcmp(r->param_names[i], name))
			return r->param_values[i];
	return NULL;
}

int req_param_id(struct req *r, const char *name, int64_t *out)
{
	const char *s = req_param(r, name);
	int64_t v = 0;

	/* Digits only: strtoll would take " 7", "+7" and "7abc". */
	if (!s || !*s || strlen(s) > 18)
		goto bad;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			goto bad;
		v = v * 10 + (*s - '0');
	}
	if (v <= 0)
		goto bad;
	*out = v;
	return 0;
bad:
	return err_set(&r->err, ERR_BAD_REQUEST,
		       "Validation failed (numeric string is expected)");
}

/* Read CONTENT_LENGTH bytes, refusing more than the configured limit. */
static int req_read_body(struct req *r, struct sbuf *sb)
{
	const char *cl = req_getenv(r, "CONTENT_LENGTH");
	size_t limit = r->env->body_limit;
	unsigned long long want = 0;
	char buf[8192];

	if (cl && *cl) {
		char *end;

		errno = 0;
		want = strtoull(cl, &end, 10);
		if (errno || *end || cl[0] == '-')
			return err_set(&r->err, ERR_BAD_REQUEST,
				       "Invalid Content-Length");
	}
	if (want > limit)
		return err_set(&r->err, ERR_TOO_LARGE,
			       "request entity too large");
	sbuf_init(sb, (size_t)want, limit);
	while (sb->len < want) {
		size_t room = (size_t)want - sb->len;
		int n = r->io.read(r->io.ctx, buf,
				   room < sizeof(buf) ? (int)room :
							(int)sizeof(buf));

		if (n <= 0)
			return err_set(&r->err, ERR_BAD_REQUEST,
				       "Request body ended early");
		sbuf_add(sb, buf, (size_t)n);
	}
	return 0;
}

int req_body(struct req *r, struct json_object **out)
{
	struct sbuf sb;
	const char *ct;
	int ret = -1;

	if (r->body) {
		*out = r->body;
		return 0;
	}
	*out = NULL;
	sbuf_init(&sb, 0, 0);
	if (req_read_body(r, &sb) < 0)
		goto out;
	if (sb.len == 0) {
		/* NestJS sees a missing body as {}: the validators report it.
		 */
		r->body = json_object_new_object();
	} else {
		ct = req_getenv(r, "CONTENT_TYPE");
		if (!http_content_type_is_json(ct)) {
			err_set(&r->err, ERR_UNSUPPORTED_MEDIA,
				"Content-Type must be application/json");
			goto out;
		}
		if (jsonx_parse(sb.buf, sb.len, &r->body, &r->err) < 0)
			goto out;
	}
	*out = r->body;
	ret = 0;
out:
	sbuf_release(&sb);
	return ret;
}

static int body_valid(struct req *r, const struct valid_field *fields,
		      bool partial, struct json_object **out)
{
	if (req_body(r, out) < 0)
		return -1;
	if ((partial ? valid_body_partial : valid_body)(*out, fields, &r->err) <
	    0) {
		*out = NULL;
		return -1;
	}
	return 0;
}

int req_body_valid(struct req *r, const struct valid_field *fields,
		   struct json_object **out)
{
	return body_valid(r, fields, false, out);
}

int req_body_partial(struct req *r, const struct valid_field *fields,
		     struct json_object **out)
{
	return body_valid(r, fields, true, out);
}

int req_query_valid(struct req *r, const struct valid_field *fields,
		    struct json_object **out)
{
	if (r->qobj) {
		json_object_put(r->qobj);
		r->qobj = NULL;
	}
	if (valid_query(&r->query, fields, &r->qobj, &r->err) < 0) {
		*out = NULL;
		return -1;
	}
	*out = r->qobj;
	return 0;
}

int req_json(struct req *r, int status, struct json_object *obj)
{
	size_t len;
	const char *s = jsonx_str(obj, &len);

	r->status = status;
	sbuf_reset(&r->out);
	sbuf_add(&r->out, s, len);
	json_object_put(obj);
	return 0;
}

int req_bytes(struct req *r, int status, const char *type, const void *buf,
	      size_t len)
{
	r->status = status;
	r->content_type = type;
	sbuf_reset(&r->out);
	sbuf_add(&r->out, buf, len);
	return 0;
}

int req_no_content(struct req *r)
{
	r->status = 204;
	sbuf_reset(&r->out);
	return 0;
}

void req_header(struct req *r, const char *name, const char *value)
{
	if (strpbrk(value, "\r\n"))
		return;
	sbuf_addf(&r->headers, "%s: %s\r\n", name, value);
}

int req_send_error(struct req *r, const struct err *e)
{
	int code = e->code >= 400 && e->code <= 599 ? e->code : ERR_INTERNAL;
	const char *text = err_status_text(code);
	struct sbuf *b = &r->out;
	size_t i;

	if (code >= 500)
		log_msg(LOG_ERROR, r->reqid, "%d %s", code,
			e->msg[0] ? e->msg : text);
	r->status = code;
	r->content_type = NULL;
	sbuf_reset(b);
	sbuf_addf(b, "{\"statusCode\":%d,\"message\":", code);
	if (code < 500 && e->nlist) {
		sbuf_addch(b, '[');
		for (i = 0; i < e->nlist; i++) {
			if (i)
				sbuf_addch(b, ',');
			sbuf_add_json_str(b, e->list[i]);
		}
		/* A string like the others, so the shape stays NestJS's. */
		if (e->more)
			sbuf_addf(b, ",\"and %zu more messages\"", e->more);
		sbuf_addstr(b, "],\"error\":");
		sbuf_add_json_str(b, text);
	} else if ((code < 500 || e->shown) && e->msg[0]) {
		sbuf_add_json_str(b, e->msg);
		sbuf_addstr(b, ",\"error\":");
		sbuf_add_json_str(b, text);
	} else {
		/* NestJS's bare exceptions, and every 5xx: the status text. */
		sbuf_add_json_str(b,
				  code == 500 ? "Internal server error" : text);
	}
	sbuf_addch(b, '}');
	return 0;
}

double req_elapsed_ms(const struct req *r)
{
	return clock_ms() - r->start_ms;
}

int req_write(struct req *r)
{
	struct sbuf h;
	unsigned nsql = 0;
	double sqlms = 0;
	bool head;
	int ret;

	if (r->env->db) {
		nsql = db_stats_count(r->env->db);
		sqlms = db_stats_ms(r->env->db);
	}
	/* Piece by piece: formats cost every request (sbuf_add_ms()). */
	sbuf_init(&h, 256, 0);
	sbuf_addstr(&h, "Status: ");
	sbuf_add_uint(&h, (unsigned)r->status);
	sbuf_addch(&h, ' ');
	sbuf_addstr(&h, err_status_text(r->status));
	if (r->status != 204) {
		sbuf_addstr(&h, "\r\nContent-Type: ");
		sbuf_addstr(&h, r->content_type ?
					r->content_type :
					"application/json; charset=utf-8");
	}
	sbuf_addstr(&h, "\r\nX-Request-Id: ");
	sbuf_addstr(&h, r->reqid);
	sbuf_addstr(&h, "\r\nServer-Timing: sql;desc=\"");
	sbuf_add_uint(&h, nsql);
	sbuf_addstr(&h, "\";dur=");
	sbuf_add_ms(&h, sqlms);
	if (r->extra_timing) {
		sbuf_addstr(&h, ", ");
		sbuf_addstr(&h, r->extra_timing);
	}
	sbuf_addstr(&h, ", total;dur=");
	sbuf_add_ms(&h, req_elapsed_ms(r));
	sbuf_addstr(&h, "\r\n");
	sbuf_add(&h, r->headers.buf, r->headers.len);
	/* HEAD: the headers GET would get, its length included, no body. */
	head = !strcmp(r->method, "HEAD");
	if (head && r->status != 204)
		sbuf_addf(&h, "Content-Length: %zu\r\n", r->out.len);
	sbuf_addstr(&h, "\r\n");
	if (r->status != 204 && !head)
		sbuf_add(&h, r->out.buf, r->out.len);
	ret = r->io.write(r->io.ctx, h.buf, (int)h.len);
	sbuf_release(&h);
	return ret;
}
