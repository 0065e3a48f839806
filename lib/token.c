/* token.c: HS256 JSON Web Tokens; libjwt checks the signature, we the rest. */
#include "common.h"

#include <json-c/json.h>
#include <jwt.h>
#include <pthread.h>

#include "hash.h"
#include "token.h"

/* Longer tokens are refused before any decoding work is done. */
#define TOKEN_MAX 8192

/*
 * The tokens this process accepted lately, so that a client's every
 * request does not pay libjwt again: base64, two JSON parsers and an
 * OpenSSL HMAC set up from scratch, 10-15 us, the largest part of what
 * an authenticated request costs the responder itself (a lookup here
 * takes under 1 us). A token is found only byte for byte as it was
 * accepted, under the same secret; exp is checked again at each use (nbf
 * was not after the first check's time, and stays so). One slot per hash
 * of the token: a token pushed out is verified again. Longer tokens than
 * a slot holds (a login's are under 600 bytes) are verified every time.
 */
#define SEEN_SLOTS 64
#define SEEN_TOK   640
#define SEEN_KEY   512

struct token_seen {
	char tok[SEEN_TOK]; /* zero-padded */
	size_t len; /* 0: empty */
	struct token_claims c;
};

static struct {
	pthread_mutex_t mu;
	char secret[SEEN_KEY]; /* the slots' secret */
	struct token_seen slot[SEEN_SLOTS];
	unsigned long hits;
} seen = { PTHREAD_MUTEX_INITIALIZER, "", { { "", 0, { 0 } } }, 0 };

static struct token_seen *seen_slot(const char *tok, size_t len)
{
	return &seen.slot[hash_fnv32(tok, len) % SEEN_SLOTS];
}

/*
 * Whether the slot holds tok, compared in constant time over the whole
 * slot: how soon a guess differs from another client's token must not
 * show in how long the answer takes.
 */
static bool seen_same(const struct token_seen *s, const char *tok, size_t len)
{
	unsigned diff = s->len != len;
	size_t i;

	for (i = 0; i < SEEN_TOK; i++)
		diff |= (unsigned char)s->tok[i] ^
			(i < len ? (unsigned char)tok[i] : 0u);
	return diff == 0;
}

/* 1 and *c when tok was accepted under secret and is not expired. */
static int seen_get(const char *secret, const char *tok, size_t len,
		    int64_t now, struct token_claims *c)
{
	struct token_seen *s;
	int found = 0;

	if (len >= SEEN_TOK)
		return 0;
	pthread_mutex_lock(&seen.mu);
	s = seen_slot(tok, len);
	if (s->len && !strcmp(seen.secret, secret) && seen_same(s, tok, len) &&
	    s->c.exp > now) {
		*c = s->c;
		seen.hits++;
		found = 1;
	}
	pthread_mutex_unlock(&seen.mu);
	return found;
}

static void seen_put(const char *secret, const char *tok, size_t len,
		     const struct token_claims *c)
{
	struct token_seen *s;

	if (len >= SEEN_TOK || strlen(secret) >= SEEN_KEY)
		return;
	pthread_mutex_lock(&seen.mu);
	/* another secret: what was accepted under the old one goes */
	if (strcmp(seen.secret, secret)) {
		memset(seen.slot, 0, sizeof(seen.slot));
		memcpy(seen.secret, secret, strlen(secret) + 1);
	}
	s = seen_slot(tok, len);
	memset(s->tok, 0, sizeof(s->tok));
	memcpy(s->tok, tok, len);
	s->len = len;
	s->c = *c;
	pthread_mutex_unlock(&seen.mu);
}

unsigned long token_seen_hits(void)
{
	unsigned long n;

	pthread_mutex_lock(&seen.mu);
	n = seen.hits;
	pthread_mutex_unlock(&seen.mu);
	return n;
}

int token_sign(const char *secret, const struct token_claims *c, char **out,
	       struct err *e)
{
	jwt_t *jwt = NULL;
	char *enc = NULL;
	int ret = -1;

	*out = NULL;
	if (!secret || !*secret)
		return err_set(e, ERR_INTERNAL, "token: no secret");
	if (jwt_new(&jwt)) {
		err_set(e, ERR_INTERNAL, "token: jwt_new failed");
		goto out;
	}
	if (jwt_add_grant_int(jwt, "sub", (long)c->sub) ||
	    jwt_add_grant(jwt, "email", c->email) ||
	    jwt_add_grant(jwt, "role", c->role) ||
	    jwt_add_grant_int(jwt, "iat", (long)c->iat) ||
	    jwt_add_grant_int(jwt, "exp", (long)c->exp)) {
		err_set(e, ERR_INTERNAL, "token: cannot add claims");
		goto out;
	}
	if (jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)secret,
			(int)strlen(secret))) {
		err_set(e, ERR_INTERNAL, "token: cannot set HS256 key");
		goto out;
	}
	enc = jwt_encode_str(jwt);
	if (!enc) {
		err_set(e, ERR_INTERNAL, "token: encoding failed");
		goto out;
	}
	*out = xstrdup(enc);
	ret = 0;
out:
	free(enc);
	jwt_free(jwt);
	return ret;
}

/* A base64url character's value (its place in the alphabet), or -1. */
static int b64url_val(int ch)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				       "abcdefghijklmnopqrstuvwxyz0123456789-_";
	const char *p = ch ? strchr(alphabet, ch) : NULL;

	return p ? (int)(p - alphabet) : -1;
}

/*
 * A non-empty run of unpadded base64url characters in canonical form: the
 * bits of the last character that encode nothing must be zero, so no two
 * strings stand for the same token.
 */
static bool b64url_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len % 4 == 1)
		return false;
	for (i = 0; i < len; i++)
		if (b64url_val((unsigned char)s[i]) < 0)
			return false;
	if (len % 4 == 2)
		return (b64url_val((unsigned char)s[len - 1]) & 0xf) == 0;
	if (len % 4 == 3)
		return (b64url_val((unsigned char)s[len - 1]) & 0x3) == 0;
	return true;
}

/* Decode len checked base64url characters into a new NUL-terminated string. */
static char *b64url_decode(const char *s, size_t len)
{
	char *out = xmalloc(len * 3 / 4 + 1);
	unsigned long acc = 0;
	size_t i, n = 0;
	int bits = 0;

	for (i = 0; i < len; i++) {
		acc = (acc << 6) |
		      (unsigned long)b64url_val((unsigned char)s[i]);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (char)((acc >> bits) & 0xff);
		}
	}
	out[n] = '\0';
	return out;
}

/*
 * The header as we read it must say HS256 before libjwt sees the token:
 * libjwt 1.10 honours whatever alg the token names, "none" included.
 */
static int token_check_header(const char *hdr, size_t len, struct err *e)
{
	char *json = b64url_decode(hdr, len);
	struct json_object *obj, *alg;
	int ret = -1;

	/* A NUL inside the header would hide the rest from json-c. */
	obj = strlen(json) == len * 3 / 4 ? json_tokener_parse(json) : NULL;
	if (!obj || !json_object_is_type(obj, json_type_object))
		err_set(e, ERR_UNAUTHORIZED, "token: header is not an object");
	else if (!json_object_object_get_ex(obj, "alg", &alg) ||
		 !json_object_is_type(alg, json_type_string) ||
		 strcmp(json_object_get_string(alg), "HS256"))
		err_set(e, ERR_UNAUTHORIZED, "token: alg is not HS256");
	else
		ret = 0;
	json_object_put(obj);
	free(json);
	return ret;
}

/*
 * An integer claim. Returns 1 and sets *v when present as a JSON integer
 * that fits int64_t, 0 when absent, -1 when present as anything else.
 */
static int claim_int(struct json_object *claims, const char *name, int64_t *v)
{
	struct json_object *o;

	if (!json_object_object_get_ex(claims, name, &o))
		return 0;
	if (!json_object_is_type(o, json_type_int))
		return -1;
	*v = json_object_get_int64(o);
	/* json-c clamps integers above INT64_MAX instead of failing. */
	if (*v > 0 && (uint64_t)*v != json_object_get_uint64(o))
		return -1;
	return 1;
}

/* A string claim copied into buf; absent is "", too long or not a string
 * is -1. */
static int claim_str(struct json_object *claims, const char *name, char *buf,
		     size_t size)
{
	struct json_object *o;
	const char *s;

	buf[0] = '\0';
	if (!json_object_object_get_ex(claims, name, &o))
		return 0;
	if (!json_object_is_type(o, json_type_string))
		return -1;
	s = json_object_get_string(o);
	if (strlen(s) >= size)
		return -1;
	memcpy(buf, s, strlen(s) + 1);
	return 0;
}

static int token_check_claims(jwt_t *jwt, int64_t now, struct token_claims *c,
			      struct err *e)
{
	char *json = jwt_get_grants_json(jwt, NULL);
	struct json_object *claims = json ? json_tokener_parse(json) : NULL;
	int64_t nbf;
	int ret = -1;

	free(json);
	if (!claims || !json_object_is_type(claims, json_type_object)) {
		err_set(e, ERR_UNAUTHORIZED, "token: claims are not an object");
		goto out;
	}
	if (claim_int(claims, "exp", &c->exp) != 1) {
		err_set(e, ERR_UNAUTHORIZED,
			"token: exp missing or not an integer");
		goto out;
	}
	if (c->exp <= now) {
		err_set(e, ERR_UNAUTHORIZED, "token: expired");
		goto out;
	}
	switch (claim_int(claims, "nbf", &nbf)) {
	case -1:
		err_set(e, ERR_UNAUTHORIZED, "token: nbf is not an integer");
		goto out;
	case 1:
		if (nbf > now) {
			err_set(e, ERR_UNAUTHORIZED, "token: not valid yet");
			goto out;
		}
		break;
	}
	if (claim_int(claims, "iat", &c->iat) < 0) {
		err_set(e, ERR_UNAUTHORIZED, "token: iat is not an integer");
		goto out;
	}
	if (claim_int(claims, "sub", &c->sub) != 1 || c->sub <= 0) {
		err_set(e, ERR_UNAUTHORIZED,
			"token: sub is not a positive integer");
		goto out;
	}
	if (claim_str(claims, "email", c->email, sizeof(c->email)) < 0 ||
	    claim_str(claims, "role", c->role, sizeof(c->role)) < 0) {
		err_set(e, ERR_UNAUTHORIZED, "token: bad email or role claim");
		goto out;
	}
	ret = 0;
out:
	json_object_put(claims);
	return ret;
}

int token_verify(const char *secret, const char *tok, int64_t now,
		 struct token_claims *c, struct err *e)
{
	const char *dot1, *dot2;
	size_t len;
	jwt_t *jwt = NULL;
	int ret = -1;

	memset(c, 0, sizeof(*c));
	if (!secret || !*secret)
		return err_set(e, ERR_UNAUTHORIZED, "token: no secret");
	if (!tok)
		return err_set(e, ERR_UNAUTHORIZED, "token: missing");
	len = strnlen(tok, TOKEN_MAX + 1);
	if (len > TOKEN_MAX)
		return err_set(e, ERR_UNAUTHORIZED, "token: too long");
	if (seen_get(secret, tok, len, now, c))
		return 0;

	/* Exactly three non-empty base64url parts: a signature is required. */
	dot1 = memchr(tok, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - tok)) :
		      NULL;
	if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - tok)) ||
	    !b64url_ok(tok, (size_t)(dot1 - tok)) ||
	    !b64url_ok(dot1 + 1, (size_t)(dot2 - dot1 - 1)) ||
	    !b64url_ok(dot2 + 1, len - (size_t)(dot2 + 1 - tok)))
		return err_set(e, ERR_UNAUTHORIZED, "token: malformed");
	if (token_check_header(tok, (size_t)(dot1 - tok), e) < 0)
		return -1;

	if (jwt_decode(&jwt, tok, (const unsigned char *)secret,
		       (int)strlen(secret)) ||
	    !jwt) {
		err_set(e, ERR_UNAUTHORIZED, "token: bad signature");
		goto out;
	}
	/* libjwt's own reading of the header must agree with ours. */
	if (jwt_get_alg(jwt) != JWT_ALG_HS256) {
		err_set(e, ERR_UNAUTHORIZED, "token: alg is not HS256");
		goto out;
	}
	ret = token_check_claims(jwt, now, c, e);
	if (ret == 0)
		seen_put(secret, tok, len, c);
out:
	jwt_free(jwt);
	if (ret < 0)
		memset(c, 0, sizeof(*c));
	return ret;
}
