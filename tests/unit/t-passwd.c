/* t-passwd.c: bcrypt hashing, verification, and the unknown-user path. */
#include "common.h"

#include <time.h>

#include "passwd.h"
#include "tap.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void test_hash(void)
{
	char h1[PASSWD_HASH_MAX], h2[PASSWD_HASH_MAX];
	struct err e = ERR_INIT;

	is_int(passwd_hash("correct horse", 4, h1, &e), 0, "hash at cost 4");
	ok(!strncmp(h1, "$2b$04$", 7), "cost 4 prefix (%s)", h1);
	is_int((int)strlen(h1), 60, "bcrypt hash is 60 characters");
	ok(passwd_verify("correct horse", h1, 4), "right password verifies");
	ok(!passwd_verify("correct horsE", h1, 4), "wrong password fails");
	ok(!passwd_verify("", h1, 4), "empty password fails");
	ok(!passwd_verify(NULL, h1, 4), "NULL password fails");

	is_int(passwd_hash("correct horse", 4, h2, &e), 0, "hash again");
	ok(strcmp(h1, h2) != 0, "a fresh salt each time");
	ok(passwd_verify("correct horse", h2, 4), "second hash verifies too");

	is_int(passwd_hash("pw", 10, h2, &e), 0, "hash at cost 10");
	ok(!strncmp(h2, "$2b$10$", 7), "cost 10 prefix (%s)", h2);
	ok(passwd_verify("pw", h2, 4), "cost 10 verifies");
	err_release(&e);
}

static void test_limits(void)
{
	char pw[80], h[PASSWD_HASH_MAX], longer[90];
	struct err e = ERR_INIT;

	memset(pw, 'p', 73);
	pw[73] = '\0';
	is_int(passwd_hash(pw, 4, h, &e), -1, "73 bytes refused");
	is_int(e.code, ERR_BAD_REQUEST, "as a 400");
	ok(strstr(e.msg, "72") != NULL, "message names the limit: %s", e.msg);
	err_release(&e);

	pw[72] = '\0';
	is_int(passwd_hash(pw, 4, h, &e), 0, "72 bytes accepted");
	ok(passwd_verify(pw, h, 4), "72-byte password verifies");
	/* bcrypt ignores byte 73 on; such a password must still not match. */
	snprintf(longer, sizeof(longer), "%sEXTRA", pw);
	ok(!passwd_verify(longer, h, 4), "72 bytes + tail does not verify");

	is_int(passwd_hash("x", 3, h, &e), -1, "cost 3 refused");
	is_int(e.code, ERR_INTERNAL, "bad cost is internal");
	err_release(&e);
	is_int(passwd_hash("x", 32, h, &e), -1, "cost 32 refused");
	err_release(&e);
}

static void test_bad_hashes(void)
{
	char h[PASSWD_HASH_MAX], bad[PASSWD_HASH_MAX];
	struct err e = ERR_INIT;

	passwd_hash("secret", 4, h, &e);
	ok(!passwd_verify("secret", "not a hash", 4), "garbage hash fails");
	ok(!passwd_verify("secret", "", 4), "empty hash fails");
	ok(!passwd_verify("secret", "*0", 4), "failure token fails");
	ok(!passwd_verify("secret", "$2b$04$short", 4), "truncated hash fails");
	snprintf(bad, sizeof(bad), "%.*s", 59, h);
	ok(!passwd_verify("secret", bad, 4),
	   "hash missing its last char fails");
	snprintf(bad, sizeof(bad), "%s", h);
	bad[40] = bad[40] == 'a' ? 'b' : 'a';
	ok(!passwd_verify("secret", bad, 4), "hash with a changed char fails");
	/* libxcrypt would happily check a DES hash; we only take bcrypt. */
	ok(!passwd_verify("secret", "abNANd1rDfiNc", 4),
	   "DES crypt of \"secret\" is not accepted");
	ok(passwd_verify("secret", h, 4), "the intact hash still verifies");
	err_release(&e);
}

static void test_unknown_user(void)
{
	char h[PASSWD_HASH_MAX];
	struct err e = ERR_INIT;
	double t0, ms, known = 0, unknown = 0;
	int i;

	ok(!passwd_verify("anything", NULL, 4), "NULL hash is false");
	ok(!passwd_verify("agora unknown user", NULL, 4),
	   "not even the dummy's own password passes");

	/* The dummy exists now; the unknown-user path must cost about as
	 * much as a real check at the default cost, not return at once. */
	passwd_hash("pw", PASSWD_COST_DEFAULT, h, &e);
	/* The fastest of three of each: a busy machine only adds time, so
	 * the minimum is the cost of the work itself. */
	for (i = 0; i < 3; i++) {
		t0 = now_ms();
		passwd_verify("pw", h, PASSWD_COST_DEFAULT);
		ms = now_ms() - t0;
		known = i && known < ms ? known : ms;
		t0 = now_ms();
		passwd_verify("pw", NULL, PASSWD_COST_DEFAULT);
		ms = now_ms() - t0;
		unknown = i && unknown < ms ? unknown : ms;
	}
	ok(unknown > known / 4,
	   "unknown user costs a hash (%.1f ms vs %.1f ms)", unknown, known);
	err_release(&e);
}

int main(void)
{
	test_hash();
	test_limits();
	test_bad_hashes();
	test_unknown_user();
	return done_testing();
}
