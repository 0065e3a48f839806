/* auth.c: bearer token to user, with the role read from the database. */
#include "common.h"

#include <strings.h>
#include <time.h>

#include "auth.h"
#include "db.h"
#include "log.h"
#include "token.h"
#include "user.h"

int auth_require(struct req *r)
{
	const char *h = req_getenv(r, "HTTP_AUTHORIZATION");
	struct token_claims c;
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	int ret = -1;

	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return err_set(&r->err, ERR_UNAUTHORIZED, NULL);
	h += 7;
	while (*h == ' ')
		h++;
	if (token_verify(r->env->jwt_secret, h, (int64_t)time(NULL), &c, &e) <
	    0) {
		log_msg(LOG_INFO, r->reqid, "token rejected: %s", e.msg);
		err_set(&r->err, ERR_UNAUTHORIZED, NULL);
		goto out;
	}
	if (user_find(r->env->db, c.sub, &res, &r->err) < 0)
		goto out;
	if (db_res_rows(res) != 1) {
		/* A valid token for a deleted account. */
		err_set(&r->err, ERR_UNAUTHORIZED, NULL);
		goto out;
	}
	r->user.id = db_res_int(res, 0, USER_ID);
	snprintf(r->user.email, sizeof(r->user.email), "%s",
		 db_res_str(res, 0, USER_EMAIL));
	snprintf(r->user.role, sizeof(r->user.role), "%s",
		 db_res_str(res, 0, USER_ROLE));
	r->authed = true;
	r->user_row = res;
	res = NULL;
	ret = 0;
out:
	db_res_free(res);
	err_release(&e);
	return ret;
}
