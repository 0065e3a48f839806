/* passwd.c: bcrypt hashing and constant-time verification via libxcrypt. */
#include "common.h"

#include <crypt.h>

#include "passwd.h"

/* bcrypt reads at most 72 bytes of a password and ignores the rest. */
#define PASSWD_LEN_MAX 72

/*
 * crypt_rn() into a fresh struct crypt_data. The struct is about 32 KiB:
 * too big for a responder's stack to take lightly, and a static one would
 * leave password-derived state lying around between calls. A bcrypt round
 * costs milliseconds, so a calloc per call is noise. Returns a new string,
 * or NULL when libxcrypt fails (its failure tokens start with '*').
 */
static char *passwd_crypt(const char *pw, const char *setting)
{
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	const char *res = crypt_rn(pw, setting, data, (int)sizeof(*data));
	char *out = NULL;

	if (res && res[0] != '*')
		out = xstrdup(res);
	explicit_bzero(data, sizeof(*data));
	free(data);
	return out;
}

int passwd_hash(const char *pw, int cost, char out[PASSWD_HASH_MAX],
		struct err *e)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	char *hash;

	out[0] = '\0';
	if (!pw || strlen(pw) > PASSWD_LEN_MAX)
		return err_set(e, ERR_BAD_REQUEST,
			       "password must be at most %d bytes",
			       PASSWD_LEN_MAX);
	if (cost < 4 || cost > 31)
		return err_set(e, ERR_INTERNAL, "passwd: bad bcrypt cost %d",
			       cost);
	/* NULL random bytes: libxcrypt draws the salt from the kernel. */
	if (!crypt_gensalt_rn("$2b$", (unsigned long)cost, NULL, 0, salt,
			      (int)sizeof(salt)))
		return err_set(e, ERR_INTERNAL, "passwd: crypt_gensalt_rn: %s",
			       strerror(errno));
	hash = passwd_crypt(pw, salt);
	if (!hash || strlen(hash) >= PASSWD_HASH_MAX) {
		free(hash);
		return err_set(e, ERR_INTERNAL, "passwd: crypt_rn failed");
	}
	memcpy(out, hash, strlen(hash) + 1);
	free(hash);
	return 0;
}

/*
 * The hash an unknown user's login is checked against, made on first use.
 * Not thread-safe; responders are single-threaded. If it cannot be made
 * it stays empty and such logins fail fast, which only leaks timing on a
 * system whose libxcrypt is already broken.
 */
static const char *passwd_dummy(int cost)
{
	static char dummy[PASSWD_HASH_MAX];
	static int made_cost;
	struct err e = ERR_INIT;

	if (made_cost != cost) {
		made_cost = cost;
		passwd_hash("agora unknown user", cost, dummy, &e);
		err_release(&e);
	}
	return dummy;
}

/*
 * Only bcrypt: libxcrypt would also run DES or MD5 on whatever a row
 * holds. "$2a$" and "$2y$" come from other bcrypt implementations.
 */
static bool passwd_is_bcrypt(const char *hash)
{
	return !strncmp(hash, "$2b$", 4) || !strncmp(hash, "$2a$", 4) ||
	       !strncmp(hash, "$2y$", 4);
}

/* Compare two strings without stopping at the first difference. */
static bool passwd_equal(const char *a, const char *b)
{
	size_t n = strlen(a), i;
	unsigned char diff = 0;

	if (strlen(b) != n)
		return false;
	for (i = 0; i < n; i++)
		diff |= (unsigned char)(a[i] ^ b[i]);
	return diff == 0;
}

bool passwd_verify(const char *pw, const char *hash, int dummy_cost)
{
	bool known = hash != NULL;
	bool ok;
	char *res;

	if (!hash)
		hash = passwd_dummy(dummy_cost);
	if (!passwd_is_bcrypt(hash))
		return false;
	if (!pw)
		pw = "";
	res = passwd_crypt(pw, hash);
	ok = res && passwd_equal(res, hash);
	free(res);
	/*
	 * passwd_hash never hashes more than 72 bytes, so a longer password
	 * only "matches" because bcrypt dropped its tail. It still paid for
	 * the hash above, so the answer takes the usual time.
	 */
	return ok && known && strlen(pw) <= PASSWD_LEN_MAX;
}
