/* route.c: match a request to its row and enforce the row's flags. */
#include "common.h"

#include "auth.h"
#include "route.h"
#include "utf8.h"

static void route_clear_params(struct req *r)
{
	size_t i;

	for (i = 0; i < r->nparams; i++)
		free(r->param_values[i]);
	r->nparams = 0;
}

bool route_match(const char *pattern, const char *path, struct req *r)
{
	const char *p = pattern, *s = path;

	route_clear_params(r);
	while (*p && *s) {
		if (*p == ':') {
			const char *pe = strchr(p, '/'), *se = strchr(s, '/');
			size_t plen = pe ? (size_t)(pe - p) : strlen(p);
			size_t slen = se ? (size_t)(se - s) : strlen(s);

			if (slen == 0 ||
			    plen - 1 >= sizeof(r->param_names[0]) ||
			    r->nparams == REQ_MAX_PARAMS)
				goto fail;
			memcpy(r->param_names[r->nparams], p + 1, plen - 1);
			r->param_names[r->nparams][plen - 1] = '\0';
			r->param_values[r->nparams++] = xmemdupz(s, slen);
			p += plen;
			s += slen;
			continue;
		}
		if (*p != *s)
			goto fail;
		p++;
		s++;
	}
	/* NestJS ignores one trailing slash: /api/users/me/ is /api/users/me.
	 */
	if (!*p && (!*s || (s[0] == '/' && !s[1])))
		return true;
fail:
	route_clear_params(r);
	return false;
}

void route_dispatch(const struct route *routes, struct req *r)
{
	const struct route *rt;
	const char *method;

	if (r->err.code)
		goto out;
	/* HEAD runs the GET route, as Express does; req_write drops the body.
	 */
	method = strcmp(r->method, "HEAD") ? r->method : "GET";
	for (rt = routes; rt->method; rt++)
		if (!strcmp(rt->method, method) &&
		    route_match(rt->pattern, r->path, r))
			break;
	if (!rt->method) {
		/* NestJS names the URL as sent, query included. */
		err_set(&r->err, ERR_NOT_FOUND, "Cannot %s %s", r->method,
			utf8_valid(r->uri, strlen(r->uri)) ? r->uri : r->path);
		goto out;
	}
	if ((rt->flags & ROUTE_AUTH) && auth_require(r) < 0)
		goto out;
	if ((rt->flags & ROUTE_ADMIN) == ROUTE_ADMIN &&
	    strcmp(r->user.role, "ADMIN") != 0) {
		err_set(&r->err, ERR_FORBIDDEN, "Forbidden resource");
		goto out;
	}
	if (rt->handler(r) == 0 && r->status)
		return;
	if (!r->err.code)
		err_set(&r->err, ERR_INTERNAL, "handler %s %s gave no response",
			rt->method, rt->pattern);
out:
	req_send_error(r, &r->err);
}
