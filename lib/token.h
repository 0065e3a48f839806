/* token.h: HS256 JSON Web Tokens (libjwt) with the checks libjwt skips. */
#ifndef AGORA_TOKEN_H
#define AGORA_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#include "err.h"

struct token_claims {
	int64_t sub; /* user id */
	char email[256];
	char role[16]; /* "USER" or "ADMIN" at signing time */
	int64_t iat;
	int64_t exp;
};

/*
 * token_sign: sign claims with HS256. *out is a new string (free()).
 * Returns 0, or -1 with ERR_INTERNAL.
 */
int token_sign(const char *secret, const struct token_claims *c, char **out,
	       struct err *e);

/*
 * token_verify: accept tok only if its header says alg HS256 (libjwt 1.10
 * would also accept HS512 or none signed with the same secret), the
 * signature is valid, `exp` is present, an integer, and later than now,
 * `nbf`, if present, is not after now, and `sub` is a positive integer.
 * Fills *c. Any failure is ERR_UNAUTHORIZED with a log-only reason.
 * A token this process accepted lately under the same secret is found
 * again, its exp checked against now, without libjwt (thread-safe).
 */
int token_verify(const char *secret, const char *tok, int64_t now,
		 struct token_claims *c, struct err *e);

/* token_seen_hits: how many token_verify calls of this process were
 * answered from the tokens it accepted before. */
unsigned long token_seen_hits(void);

#endif
