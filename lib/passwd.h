/* passwd.h: bcrypt ($2b$) password hashes through libxcrypt's crypt_rn. */
#ifndef AGORA_PASSWD_H
#define AGORA_PASSWD_H

#include <stdbool.h>

#include "err.h"

#define PASSWD_HASH_MAX	    128
#define PASSWD_COST_DEFAULT 10

/* passwd_hash: a new "$2b$<cost>$…" hash of pw with a random salt.
 * Returns 0, or -1 with ERR_INTERNAL. */
int passwd_hash(const char *pw, int cost, char out[PASSWD_HASH_MAX],
		struct err *e);

/*
 * passwd_verify: does pw match hash? With hash NULL (unknown user) the
 * password is checked against a fixed dummy hash of cost dummy_cost (the
 * cost new hashes are made with), so the
 * answer takes as long as for a real account, and false is returned.
 * The comparison does not stop at the first differing byte.
 */
bool passwd_verify(const char *pw, const char *hash, int dummy_cost);

#endif
