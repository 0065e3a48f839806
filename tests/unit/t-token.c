/* t-token.c: token_sign/token_verify, and the tokens an attacker would send. */
#include "common.h"

#include <jwt.h>

#include "sbuf.h"
#include "tap.h"
#include "token.h"

#define SECRET "0123456789abcdef0123456789abcdef-agora-test"
#define NOW    1800000000LL

static char *b64url(const char *s, size_t len)
{
	static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "abcdefghijklmnopqrstuvwxyz0123456789-_";
	struct sbuf sb = SBUF_INIT;
	unsigned long acc = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | (unsigned char)s[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			sbuf_addch(&sb, tab[(acc >> bits) & 63]);
		}
	}
	if (bits)
		sbuf_addch(&sb, tab[(acc << (6 - bits)) & 63]);
	return sbuf_detach(&sb, NULL);
}

/* A token for any claims JSON, signed by libjwt with alg and key. */
static char *forge(jwt_alg_t alg, const char *key, const char *claims)
{
	jwt_t *jwt;
	char *enc, *tok;

	if (jwt_new(&jwt) || jwt_add_grants_json(jwt, claims) ||
	    jwt_set_alg(jwt, alg, (const unsigned char *)key,
			key ? (int)strlen(key) : 0))
		die("forge: libjwt refused %s", claims);
	enc = jwt_encode_str(jwt);
	if (!enc)
		die("forge: encode failed");
	tok = xstrdup(enc);
	free(enc);
	jwt_free(jwt);
	return tok;
}

static char *forge_hs256(const char *claims)
{
	return forge(JWT_ALG_HS256, SECRET, claims);
}

/* header.payload.sig from raw JSON parts and a literal signature. */
static char *assemble(const char *hdr, const char *payload, const char *sig)
{
	char *h = b64url(hdr, strlen(hdr));
	char *p = b64url(payload, strlen(payload));
	char *tok = sig ? xasprintf("%s.%s.%s", h, p, sig) :
			  xasprintf("%s.%s", h, p);

	free(h);
	free(p);
	return tok;
}

static const char *part(const char *tok, int n)
{
	while (n-- > 0)
		tok = strchr(tok, '.') + 1;
	return tok;
}

static void rejects(const char *tok, const char *what)
{
	struct err e = ERR_INIT;
	struct token_claims c;
	int ret;

	memset(&c, 0x55, sizeof(c));
	ret = token_verify(SECRET, tok, NOW, &c, &e);
	ok(ret == -1 && e.code == ERR_UNAUTHORIZED && c.sub == 0,
	   "rejected: %s (%s)", what, e.msg);
	err_release(&e);
}

static void rejects_owned(char *tok, const char *what)
{
	rejects(tok, what);
	free(tok);
}

static bool accepts(const char *tok, struct token_claims *c)
{
	struct err e = ERR_INIT;
	int ret = token_verify(SECRET, tok, NOW, c, &e);

	if (ret)
		printf("# refused: %s\n", e.msg);
	err_release(&e);
	return ret == 0;
}

static void test_round_trip(void)
{
	struct token_claims in = { 42, "ann@example.com", "ADMIN", NOW - 10,
				   NOW + 3600 };
	struct token_claims out;
	struct err e = ERR_INIT;
	char *tok = NULL;

	is_int(token_sign(SECRET, &in, &tok, &e), 0, "sign");
	ok(tok && !strncmp(tok, "eyJ", 3), "a JWT came out");
	ok(accepts(tok, &out), "own token verifies");
	is_int(out.sub, 42, "sub");
	is_str(out.email, "ann@example.com", "email");
	is_str(out.role, "ADMIN", "role");
	is_int(out.iat, NOW - 10, "iat");
	is_int(out.exp, NOW + 3600, "exp");

	/* Other secrets and a later clock must not accept it. */
	is_int(token_verify("another secret, also 32 bytes long!!", tok, NOW,
			    &out, &e),
	       -1, "wrong secret");
	is_int(e.code, ERR_UNAUTHORIZED, "wrong secret is 401");
	err_release(&e);
	is_int(token_verify(SECRET, tok, NOW + 3600, &out, &e), -1,
	       "exp == now is expired");
	err_release(&e);
	free(tok);

	is_int(token_sign("", &in, &tok, &e), -1, "no secret, no token");
	is_int(e.code, ERR_INTERNAL, "empty secret is an internal error");
	ok(tok == NULL, "*out stays NULL");
	err_release(&e);
}

static void test_tampering(void)
{
	struct token_claims in = { 7, "bob@example.com", "USER", NOW,
				   NOW + 60 };
	struct err e = ERR_INIT;
	char *tok, *bad, *payload, *copy;
	size_t i;

	token_sign(SECRET, &in, &tok, &e);

	/* Payload swapped for one naming another user, signature kept. */
	payload = b64url("{\"sub\":1,\"email\":\"root@example.com\","
			 "\"role\":\"ADMIN\",\"iat\":1800000000,"
			 "\"exp\":1800000060}",
			 strlen("{\"sub\":1,\"email\":\"root@example.com\","
				"\"role\":\"ADMIN\",\"iat\":1800000000,"
				"\"exp\":1800000060}"));
	bad = xasprintf("%.*s.%s.%s", (int)(part(tok, 1) - tok - 1), tok,
			payload, part(tok, 2));
	rejects_owned(bad, "tampered payload");
	free(payload);

	/* One flipped character in the middle of the signature. */
	copy = xstrdup(tok);
	i = (size_t)(part(copy, 2) - copy) + 10;
	copy[i] = copy[i] == 'A' ? 'B' : 'A';
	rejects_owned(copy, "tampered signature");

	/* The last character's spare bits changed: libjwt would decode the
	 * same signature, we refuse the second spelling. */
	copy = xstrdup(tok);
	i = strlen(copy) - 1;
	copy[i] = copy[i] == 'A' ? 'B' : (char)(copy[i] + 1);
	rejects_owned(copy, "non-canonical signature encoding");

	copy = xasprintf("%.*s", (int)(part(tok, 2) - tok), tok);
	rejects_owned(copy, "signature removed, trailing dot kept");
	copy = xasprintf("%.*s", (int)(part(tok, 2) - tok - 1), tok);
	rejects_owned(copy, "signature removed");
	copy = xasprintf("%s.", tok);
	rejects_owned(copy, "four parts");
	copy = xasprintf(" %s", tok);
	rejects_owned(copy, "leading blank");
	free(tok);
}

static void test_alg(void)
{
	const char *claims =
		"{\"sub\":1,\"email\":\"a@b.c\",\"role\":\"ADMIN\","
		"\"exp\":1900000000}";
	struct token_claims c;
	char *valid, *bad;

	rejects_owned(assemble("{\"alg\":\"none\"}", claims, ""),
		      "alg none, empty signature");
	rejects_owned(assemble("{\"alg\":\"none\",\"typ\":\"JWT\"}", claims,
			       NULL),
		      "alg none, no signature part");
	valid = forge_hs256(claims);
	bad = assemble("{\"alg\":\"none\"}", claims, part(valid, 2));
	rejects_owned(bad, "alg none with a real HS256 signature");
	rejects_owned(forge(JWT_ALG_NONE, NULL, claims),
		      "alg none as libjwt writes it");
	rejects_owned(forge(JWT_ALG_HS512, SECRET, claims),
		      "HS512 signed with the same secret");
	rejects_owned(forge(JWT_ALG_HS384, SECRET, claims),
		      "HS384 signed with the same secret");
	rejects_owned(assemble("{\"alg\":\"hs256\"}", claims, part(valid, 2)),
		      "alg spelt in lower case");
	rejects_owned(assemble("[\"HS256\"]", claims, part(valid, 2)),
		      "header not an object");
	rejects_owned(forge(JWT_ALG_HS256, "wrong secret, long enough to pass",
			    claims),
		      "wrong secret");

	/* The same claims correctly signed do pass: the checks above failed
	 * for the reason named, not because the claims were bad. */
	ok(accepts(valid, &c) && c.sub == 1, "control token accepted");
	free(valid);
}

static void test_claims(void)
{
	struct token_claims c;
	char *tok;

	rejects_owned(forge_hs256("{\"sub\":1,\"exp\":1799999999}"), "expired");
	rejects_owned(forge_hs256("{\"sub\":1}"), "missing exp");
	rejects_owned(forge_hs256("{\"sub\":1,\"exp\":\"1900000000\"}"),
		      "exp as a string");
	rejects_owned(forge_hs256("{\"sub\":1,\"exp\":1900000000.5}"),
		      "exp as a fraction");
	rejects_owned(forge_hs256("{\"sub\":1,\"exp\":null}"), "exp null");
	rejects_owned(forge_hs256("{\"sub\":1,\"exp\":0}"), "exp zero");
	rejects_owned(forge_hs256("{\"sub\":1,\"exp\":1900000000,"
				  "\"nbf\":1800000001}"),
		      "nbf in the future");
	rejects_owned(forge_hs256("{\"sub\":1,\"exp\":1900000000,"
				  "\"nbf\":\"0\"}"),
		      "nbf as a string");
	rejects_owned(forge_hs256("{\"exp\":1900000000}"), "sub missing");
	rejects_owned(forge_hs256("{\"sub\":0,\"exp\":1900000000}"),
		      "sub zero");
	rejects_owned(forge_hs256("{\"sub\":-3,\"exp\":1900000000}"),
		      "sub negative");
	rejects_owned(forge_hs256("{\"sub\":\"1\",\"exp\":1900000000}"),
		      "sub a string");
	rejects_owned(forge_hs256("{\"sub\":true,\"exp\":1900000000}"),
		      "sub a boolean");
	rejects_owned(forge_hs256("{\"sub\":1,\"role\":7,\"exp\":1900000000}"),
		      "role not a string");
	rejects_owned(forge_hs256("{\"sub\":1,\"exp\":1900000000,"
				  "\"role\":\"ADMINISTRATOR-OF-ALL\"}"),
		      "role too long");

	tok = forge_hs256("{\"sub\":5,\"exp\":1800000001,\"nbf\":1800000000}");
	ok(accepts(tok, &c), "nbf == now and exp == now + 1 accepted");
	is_int(c.sub, 5, "sub read");
	is_str(c.role, "", "absent role reads as empty");
	free(tok);
}

static void test_garbage(void)
{
	struct sbuf big = SBUF_INIT;
	struct token_claims c;
	char *tok;
	size_t i;

	rejects(NULL, "NULL");
	rejects("", "empty string");
	rejects("a.b", "a.b");
	rejects("a.b.c", "a.b.c");
	rejects("..", "two dots");
	rejects("Bearer x.y.z", "scheme left in");
	rejects("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjEsImV4cCI6MTkwMDAwMDAwMH0."
		"c2lnbmF0dXJlIG5vdCB2YWxpZCBhdCBhbGwgYWJjZA",
		"HS256 header, random signature");
	rejects("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOjEsImV4cCI6MTkwMDAwMDAwMH0="
		".c2ln",
		"padded base64");
	rejects("Zm9vYmFy.YmFyYmF6.cXV4cXV4", "base64 of non-JSON");
	rejects("////.++++.====", "standard base64 alphabet");

	/* A genuine token just past the cap is refused unread; one well
	 * under it is fine (unknown claims are ignored). */
	sbuf_addstr(&big, "{\"sub\":1,\"exp\":1900000000,\"pad\":\"");
	for (i = 0; i < 6200; i++)
		sbuf_addch(&big, 'x');
	sbuf_addstr(&big, "\"}");
	tok = forge_hs256(big.buf);
	ok(strlen(tok) > 8192, "padded token is over 8 KiB (%zu)", strlen(tok));
	rejects_owned(tok, "token over 8 KiB");
	sbuf_reset(&big);
	sbuf_addstr(&big, "{\"sub\":1,\"exp\":1900000000,\"pad\":\"");
	for (i = 0; i < 5000; i++)
		sbuf_addch(&big, 'x');
	sbuf_addstr(&big, "\"}");
	tok = forge_hs256(big.buf);
	ok(strlen(tok) < 8192 && accepts(tok, &c), "a 7 KiB token is accepted");
	free(tok);
	sbuf_release(&big);
}

/* A token accepted once is found again, and only as it was accepted. */
static void test_seen(void)
{
	static const char other[] = "another secret, also 32 bytes long!!";
	struct token_claims in = { 9, "cy@example.com", "USER", NOW, NOW + 60 };
	struct token_claims out;
	struct err e = ERR_INIT;
	char *tok = NULL, *other_tok = NULL, *bent;
	unsigned long hits;

	if (token_sign(SECRET, &in, &tok, &e) < 0 ||
	    token_sign(other, &in, &other_tok, &e) < 0) {
		ok(0, "sign: %s", e.msg);
		goto out;
	}
	ok(accepts(tok, &out), "a fresh token is accepted");
	hits = token_seen_hits();
	memset(&out, 0, sizeof(out));
	ok(accepts(tok, &out) && token_seen_hits() == hits + 1,
	   "the second time from the tokens seen");
	ok(out.sub == 9 && !strcmp(out.email, "cy@example.com") &&
		   !strcmp(out.role, "USER") && out.iat == NOW &&
		   out.exp == NOW + 60,
	   "... with its claims");

	ok(token_verify(SECRET, tok, NOW + 60, &out, &e) == -1 &&
		   !strcmp(e.msg, "token: expired") &&
		   token_seen_hits() == hits + 1,
	   "seen, but expired since: refused (%s)", e.msg);
	err_release(&e);
	ok(token_verify(other, tok, NOW, &out, &e) == -1 &&
		   token_seen_hits() == hits + 1,
	   "seen under another secret: refused (%s)", e.msg);
	err_release(&e);
	/* its signature's last character, another of the same bits */
	bent = xstrdup(tok);
	bent[strlen(bent) - 1] = bent[strlen(bent) - 1] == 'A' ? 'Q' : 'A';
	rejects_owned(bent, "a seen token with another signature");
	ok(token_seen_hits() == hits + 1, "... not found among them");

	/* Accepted under another secret: the first one's are forgotten. */
	ok(token_verify(other, other_tok, NOW, &out, &e) == 0,
	   "a token of another secret is accepted");
	err_release(&e);
	ok(accepts(tok, &out) && token_seen_hits() == hits + 1,
	   "the first secret's token is verified again");
out:
	err_release(&e);
	free(tok);
	free(other_tok);
}

int main(void)
{
	test_round_trip();
	test_seen();
	test_tampering();
	test_alg();
	test_claims();
	test_garbage();
	return done_testing();
}
