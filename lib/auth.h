/* auth.h: who is asking: the bearer token checked, the user read fresh. */
#ifndef AGORA_AUTH_H
#define AGORA_AUTH_H

#include "req.h"

/*
 * auth_require: verify "Authorization: Bearer <jwt>" and load the token's
 * user from the database, so a demoted or deleted account loses access at
 * once. Fills r->user, keeps the row (user_cols) in r->user_row and
 * sets r->authed. Errors: 401 (no, bad or expired
 * token, unknown user), 503 (database down).
 */
int auth_require(struct req *r);

#endif
