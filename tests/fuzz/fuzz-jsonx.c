/* fuzz-jsonx.c: the strict JSON parser (jsonx_parse) on any bytes. */
#include "common.h"

#include "fuzz.h"
#include "jsonx.h"
#include "utf8.h"

/*
 * What the parser promises for every input: an error is a 400 whose
 * message is valid UTF-8 (it reaches the client inside JSON) and names a
 * position inside the input; a tree it accepts serializes to valid UTF-8
 * that it accepts again and that serializes to the same bytes.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *a = NULL, *b = NULL;
	struct err e = ERR_INIT;
	const char *s1, *s2, *pos;
	size_t n1, n2;

	if (jsonx_parse((const char *)data, size, &a, &e) < 0) {
		FUZZ_CHECK(a == NULL, "no tree on failure");
		FUZZ_CHECK(e.code == ERR_BAD_REQUEST, "a parse error is a 400");
		FUZZ_CHECK(e.msg[0], "a parse error says what");
		FUZZ_CHECK(utf8_valid(e.msg, strlen(e.msg)),
			   "the message is UTF-8");
		pos = strstr(e.msg, "at position ");
		if (pos)
			FUZZ_CHECK(strtoull(pos + 12, NULL, 10) <= size,
				   "the position is inside the input");
		goto out;
	}
	if (!a)
		goto out; /* the document null */
	s1 = jsonx_str(a, &n1);
	FUZZ_CHECK(utf8_valid(s1, n1), "the output is UTF-8");
	FUZZ_CHECK(jsonx_parse(s1, n1, &b, &e) == 0, "the output parses");
	FUZZ_CHECK(b != NULL, "and is not null");
	s2 = jsonx_str(b, &n2);
	FUZZ_CHECK(n1 == n2 && !memcmp(s1, s2, n1),
		   "a second round gives the same bytes");
out:
	json_object_put(a);
	json_object_put(b);
	err_release(&e);
	return 0;
}
