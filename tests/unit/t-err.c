/* t-err.c: the first error wins, validation lists and their bound, cut
 * messages stay UTF-8; and the allocation helpers of xalloc.c. */
#include "common.h"

#include "err.h"
#include "tap.h"
#include "utf8.h"

static void test_first_wins(void)
{
	struct err e = ERR_INIT;

	ok(err_set(&e, ERR_NOT_FOUND, "User %d not found", 7) == -1,
	   "err_set returns -1");
	is_int(e.code, 404, "the code is kept");
	is_str(e.msg, "User 7 not found", "the message is formatted");
	err_set(&e, ERR_CONFLICT, "later");
	is_int(e.code, 404, "a second err_set is ignored");
	is_str(e.msg, "User 7 not found", "... and keeps the first message");
	ok(!e.shown, "err_set does not mark a message as the client's");
	err_add(&e, "name must be a string");
	is_int(e.nlist, 0, "err_add after another code adds nothing");
	err_release(&e);
	is_int(e.code, ERR_NONE, "err_release resets the code");

	err_set(&e, ERR_INTERNAL, NULL);
	is_str(e.msg, "", "a NULL format leaves the message empty");
	err_release(&e);

	err_show(&e, ERR_UNAVAILABLE, "Search is unavailable");
	ok(e.shown, "err_show marks the message as the client's");
	is_int(e.code, 503, "... with its code");
	err_release(&e);
	ok(!e.shown, "err_release clears the mark");

	ok(err_set(NULL, 400, "x") == -1 && err_add(NULL, "x") == -1,
	   "a NULL err is accepted and ignored");
}

static void test_list(void)
{
	struct err e = ERR_INIT;
	int i;

	err_add(&e, "email must be an email");
	err_add(&e, "name should not be empty");
	is_int(e.code, 400, "err_add makes the code 400");
	is_int(e.nlist, 2, "two messages");
	is_str(e.list[1], "name should not be empty", "in order");
	for (i = 0; i < 200; i++)
		err_add(&e, "property p%d should not exist", i);
	is_int(e.nlist, ERR_LIST_MAX, "the list stops at ERR_LIST_MAX");
	is_int(e.more, 202 - ERR_LIST_MAX, "the rest are counted");
	is_str(e.list[ERR_LIST_MAX - 1], "property p97 should not exist",
	       "the first messages are the ones kept");
	err_release(&e);
	is_int(e.nlist + e.more, 0, "err_release empties the list");
}

/* A message cut by the buffer keeps no half of a character. */
static void test_cut(void)
{
	struct err e = ERR_INIT;
	char big[600];
	size_t i;

	/* "é" is two bytes: after the 12 of "Cannot GET /", the 255 bytes
	 * that fit end in the middle of one. */
	for (i = 0; i < 299; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	big[2 * 299] = '\0';
	err_set(&e, 404, "Cannot GET /%s", big);
	ok(strlen(e.msg) < sizeof(e.msg), "the message is cut to its buffer");
	is_int(utf8_valid_prefix(e.msg, strlen(e.msg)), strlen(e.msg),
	       "... and stays valid UTF-8");
	ok(strlen(e.msg) >= sizeof(e.msg) - 2,
	   "... losing at most the cut character");
	err_release(&e);
}

static void test_status_text(void)
{
	is_str(err_status_text(400), "Bad Request", "400");
	is_str(err_status_text(429), "Too Many Requests", "429");
	is_str(err_status_text(503), "Service Unavailable", "503");
	is_str(err_status_text(418), "Error", "an unknown status");
}

static void test_xalloc(void)
{
	char *s = xasprintf("%s-%d", "agora", 42);
	int *z = xcalloc(4, sizeof(*z));
	char *d = xstrdup("copy");

	is_str(s, "agora-42", "xasprintf formats into a new string");
	ok(z[0] == 0 && z[3] == 0, "xcalloc zeroes");
	z = xrealloc(z, 1000 * sizeof(*z));
	z[999] = 1;
	ok(z[0] == 0 && z[999] == 1, "xrealloc keeps the contents");
	is_str(d, "copy", "xstrdup copies");
	free(s);
	free(z);
	free(d);
}

int main(void)
{
	test_first_wins();
	test_list();
	test_cut();
	test_status_text();
	test_xalloc();
	return done_testing();
}
