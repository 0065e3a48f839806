/* fuzz-http.c: percent-decoding, query strings and the Content-Type check
 * on any bytes. */
#include "common.h"

#include <strings.h>

#include "fuzz.h"
#include "http.h"
#include "utf8.h"

/*
 * What decoding promises: its result is valid UTF-8 without NUL bytes and
 * never longer than its input; a query string either parses into such
 * keys and values, non-empty keys, no more pairs than pieces, or is a 400
 * that leaves the list as it was.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmemdupz(data, size), *d;
	struct http_kvs kvs = HTTP_KVS_INIT;
	struct err e = ERR_INIT;
	size_t i, pieces = 1;
	bool plus;

	for (i = 0; i < 2; i++) {
		plus = i;
		d = http_percent_decode((const char *)data, size, plus);
		if (d) {
			FUZZ_CHECK(strlen(d) <= size, "never longer");
			FUZZ_CHECK(utf8_valid(d, strlen(d)), "UTF-8 out");
			if (!memchr(data, '%', size) &&
			    !(plus && memchr(data, '+', size)))
				FUZZ_CHECK(strlen(d) == size &&
						   !memcmp(d, data, size),
					   "nothing to decode: the input");
		}
		free(d);
	}

	/* QUERY_STRING is a C string: what a NUL hides never arrives. */
	for (i = 0; s[i]; i++)
		pieces += s[i] == '&';
	if (http_parse_query(s, &kvs, &e) == 0) {
		FUZZ_CHECK(kvs.n <= pieces, "at most one pair per piece");
		for (i = 0; i < kvs.n; i++) {
			FUZZ_CHECK(kvs.v[i].key[0], "keys are not empty");
			FUZZ_CHECK(utf8_valid(kvs.v[i].key,
					      strlen(kvs.v[i].key)) &&
					   utf8_valid(kvs.v[i].val,
						      strlen(kvs.v[i].val)),
				   "keys and values are UTF-8");
			FUZZ_CHECK(http_kvs_get(&kvs, kvs.v[i].key) != NULL &&
					   http_kvs_count(&kvs, kvs.v[i].key) >=
						   1,
				   "every key is found again");
		}
	} else {
		FUZZ_CHECK(e.code == ERR_BAD_REQUEST, "a bad query is a 400");
		FUZZ_CHECK(kvs.n == 0, "and adds nothing");
	}

	if (http_request_id_ok(s)) {
		FUZZ_CHECK(strlen(s) >= 1 && strlen(s) <= 64, "1-64 long");
		FUZZ_CHECK(strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
				     "abcdefghijklmnopqrstuvwxyz0123456789-") ==
				   strlen(s),
			   "of [A-Za-z0-9-] only");
	}
	if (http_content_type_is_json(s)) {
		const char *t = s + strspn(s, " \t");

		FUZZ_CHECK(!strncasecmp(t, "application/json", 16) &&
				   strchr(" \t;", t[16]),
			   "a JSON type is application/json");
	}

	http_kvs_release(&kvs);
	err_release(&e);
	free(s);
	return 0;
}
