/* fuzz-token.c: the bearer token check (token_verify) on any token, and on
 * any header and claims signed with the right key. */
#include "common.h"

#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "fuzz.h"
#include "jsonx.h"
#include "sbuf.h"
#include "token.h"

#define SECRET "0123456789abcdef0123456789abcdef-agora-fuzz"
#define NOW    1800000000LL

static void b64url(struct sbuf *sb, const unsigned char *s, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_";
	unsigned long acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | s[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			sbuf_addch(sb, tab[(acc >> bits) & 63]);
		}
	}
	if (bits)
		sbuf_addch(sb, tab[(acc << (6 - bits)) & 63]);
}

/* header.claims.HMAC-SHA256: what a holder of the key could sign. */
static char *sign(const unsigned char *hdr, size_t hlen,
		  const unsigned char *claims, size_t clen)
{
	struct sbuf sb = SBUF_INIT;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned maclen = 0;

	b64url(&sb, hdr, hlen);
	sbuf_addch(&sb, '.');
	b64url(&sb, claims, clen);
	if (!HMAC(EVP_sha256(), SECRET, (int)strlen(SECRET),
		  (const unsigned char *)sb.buf, sb.len, mac, &maclen))
		abort();
	sbuf_addch(&sb, '.');
	b64url(&sb, mac, maclen);
	return sbuf_detach(&sb, NULL);
}

/*
 * A token accepted must be one libjwt reads the same way: HS256 and the
 * same sub and exp; its claims are in range; and a header that is strict
 * JSON names alg HS256 (no second reading of a header with two algs).
 */
static void check_accepted(const char *tok, const struct token_claims *c,
			   const unsigned char *hdr, size_t hlen)
{
	struct json_object *h = NULL;
	struct err e = ERR_INIT;
	jwt_t *jwt = NULL;

	FUZZ_CHECK(c->sub > 0 && c->exp > NOW, "sub and exp in range");
	FUZZ_CHECK(memchr(c->email, '\0', sizeof(c->email)) &&
			   memchr(c->role, '\0', sizeof(c->role)),
		   "strings are terminated");
	FUZZ_CHECK(jwt_decode(&jwt, tok, (const unsigned char *)SECRET,
			      (int)strlen(SECRET)) == 0 &&
			   jwt,
		   "libjwt accepts it too");
	FUZZ_CHECK(jwt_get_alg(jwt) == JWT_ALG_HS256, "HS256");
	FUZZ_CHECK(jwt_get_grant_int(jwt, "sub") == c->sub &&
			   jwt_get_grant_int(jwt, "exp") == c->exp,
		   "libjwt reads the same sub and exp");
	if (hdr && jsonx_parse((const char *)hdr, hlen, &h, &e) == 0 && h)
		FUZZ_CHECK(!strcmp(jsonx_get_str(h, "alg") ?
					   jsonx_get_str(h, "alg") :
					   "",
				   "HS256"),
			   "the header says HS256");
	json_object_put(h);
	err_release(&e);
	jwt_free(jwt);
}

/*
 * The first byte chooses: even, the rest is a token as a client sends
 * it; odd, the rest is HEADER '\n' CLAIMS, signed here with the key.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct token_claims c;
	struct err e = ERR_INIT;
	const uint8_t *nl = NULL;
	char *tok;
	int rc;

	if (size < 1)
		return 0;
	if (data[0] % 2 == 0) {
		tok = xmemdupz(data + 1, size - 1);
	} else {
		nl = memchr(data + 1, '\n', size - 1);
		if (!nl)
			return 0;
		tok = sign(data + 1, (size_t)(nl - data - 1), nl + 1,
			   (size_t)(data + size - nl - 1));
	}
	rc = token_verify(SECRET, tok, NOW, &c, &e);
	if (rc == 0)
		check_accepted(tok, &c, nl ? data + 1 : NULL,
			       nl ? (size_t)(nl - data - 1) : 0);
	else
		FUZZ_CHECK(e.code == ERR_UNAUTHORIZED && c.sub == 0,
			   "a refusal is a 401 with no claims");
	err_release(&e);
	free(tok);
	return 0;
}
