/* t-sbuf.c: the growable buffer's promises, its cap and JSON strings. */
#include "common.h"

#include <math.h>
#include "sbuf.h"
#include "tap.h"

static void test_init(void)
{
	struct sbuf sb = SBUF_INIT;
	struct sbuf h;

	ok(sb.buf != NULL, "SBUF_INIT: buf is never NULL");
	is_str(sb.buf, "", "SBUF_INIT: empty string");
	is_int(sb.len, 0, "SBUF_INIT: len 0");
	sbuf_reset(&sb);
	is_str(sb.buf, "", "reset of an unallocated buffer");
	sbuf_release(&sb);
	is_str(sb.buf, "", "release of an unallocated buffer");

	sbuf_init(&h, 100, 0);
	ok(h.alloc >= 101, "init with a hint allocates room and a NUL");
	is_str(h.buf, "", "still empty");
	sbuf_release(&h);
	ok(h.buf == sbuf_empty && h.alloc == 0, "release: back to empty");

	sbuf_init(&h, 100, 10);
	is_int(h.alloc, 0, "a hint past the cap allocates nothing");
	sbuf_release(&h);
}

static void test_add(void)
{
	struct sbuf sb;
	char big[1000];
	size_t i;

	sbuf_init(&sb, 0, 0);
	is_int(sbuf_addstr(&sb, "hello"), 0, "addstr");
	is_int(sbuf_addch(&sb, ' '), 0, "addch");
	is_int(sbuf_add(&sb, "world!!", 5), 0, "add with a length");
	is_str(sb.buf, "hello world", "content");
	is_int(sb.len, 11, "length");
	is_int(sbuf_add(&sb, "", 0), 0, "adding nothing");
	is_int(sb.len, 11, "adding nothing keeps the length");
	is_int(sbuf_addf(&sb, " %d-%s", 42, "x"), 0, "addf");
	is_str(sb.buf, "hello world 42-x", "addf appends");
	is_int(sbuf_add(&sb, "a\0b", 3), 0, "binary data");
	is_int(sb.len, 19, "NUL bytes count in len");
	ok(sb.buf[19] == '\0' && sb.buf[17] == '\0', "still terminated");

	sbuf_reset(&sb);
	is_int(sb.len, 0, "reset: len 0");
	is_str(sb.buf, "", "reset: empty string");
	ok(sb.alloc > 0, "reset keeps the allocation");

	memset(big, 'x', sizeof(big));
	for (i = 0; i < 100; i++)
		sbuf_add(&sb, big, sizeof(big));
	is_int(sb.len, 100000, "grows past many doublings");
	ok(sb.buf[99999] == 'x' && sb.buf[100000] == '\0',
	   "last byte and terminator");
	sbuf_release(&sb);

	sbuf_init(&sb, 0, 0);
	is_int(sbuf_addf(&sb, "%s", ""), 0, "addf of nothing");
	is_str(sb.buf, "", "addf of nothing: empty");
	is_int(sbuf_addf(&sb, "%0300d", 7), 0, "a long addf");
	is_int(sb.len, 300, "its length");
	ok(sb.buf[299] == '7' && sb.buf[0] == '0', "its content");
	sbuf_release(&sb);
}

static void test_detach(void)
{
	struct sbuf sb = SBUF_INIT;
	size_t len = 99;
	char *s;

	s = sbuf_detach(&sb, &len);
	is_str(s, "", "detach of an empty buffer: a new empty string");
	is_int(len, 0, "its length");
	free(s);

	sbuf_addstr(&sb, "taken");
	s = sbuf_detach(&sb, &len);
	is_str(s, "taken", "detach hands over the bytes");
	is_int(len, 5, "and their length");
	is_str(sb.buf, "", "the buffer is empty afterwards");
	is_int(sb.alloc, 0, "and owns nothing");
	sbuf_addstr(&sb, "again");
	is_str(sb.buf, "again", "and is reusable");
	ok(sb.buf != s, "with new memory");
	free(s);
	s = sbuf_detach(&sb, NULL);
	is_str(s, "again", "detach with a NULL length");
	free(s);
}

static void test_cap(void)
{
	struct sbuf sb;

	sbuf_init(&sb, 0, 8);
	is_int(sbuf_addstr(&sb, "12345"), 0, "under the cap");
	is_int(sbuf_addstr(&sb, "6789"), -1, "past the cap fails");
	is_str(sb.buf, "12345", "a failed add changes nothing");
	is_int(sb.len, 5, "length unchanged");
	is_int(sbuf_addstr(&sb, "678"), 0, "up to the cap exactly");
	is_str(sb.buf, "12345678", "full");
	is_int(sbuf_addch(&sb, '9'), -1, "one byte more fails");
	is_int(sbuf_addf(&sb, "%d", 9), -1, "addf past the cap fails");
	is_int(sbuf_add(&sb, "", 0), 0, "adding nothing when full");
	is_int(sbuf_grow(&sb, 1), -1, "grow past the cap");
	is_str(sb.buf, "12345678", "still the same content");
	sbuf_reset(&sb);
	is_int(sbuf_addf(&sb, "%s", "abcdefgh"), 0, "the cap is on content");
	sbuf_release(&sb);

	sbuf_init(&sb, 0, 10);
	sbuf_addstr(&sb, "ab");
	is_int(sbuf_add_json_str(&sb, "\"quoted\""), -1,
	       "a JSON string past the cap fails");
	is_str(sb.buf, "ab", "and leaves nothing of itself behind");
	is_int(sb.len, 2, "length unchanged");
	is_int(sbuf_add_json_str(&sb, "xyz"), 0, "a short one fits");
	is_str(sb.buf, "ab\"xyz\"", "its content");
	sbuf_release(&sb);

	sbuf_init(&sb, 0, 1);
	is_int(sbuf_add_json_str(&sb, ""), -1, "even \"\" needs two bytes");
	is_str(sb.buf, "", "nothing added");
	sbuf_release(&sb);
}

static void test_json_str(void)
{
	struct sbuf sb = SBUF_INIT;

	sbuf_add_json_str(&sb, "plain");
	is_str(sb.buf, "\"plain\"", "plain string");
	sbuf_reset(&sb);
	sbuf_add_json_str(&sb, "");
	is_str(sb.buf, "\"\"", "empty string");
	sbuf_reset(&sb);
	sbuf_add_json_str(&sb, "say \"hi\"\\");
	is_str(sb.buf, "\"say \\\"hi\\\"\\\\\"", "quote and backslash");
	sbuf_reset(&sb);
	sbuf_add_json_str(&sb, "a\nb\rc\td");
	is_str(sb.buf, "\"a\\nb\\rc\\td\"", "newline, return, tab");
	sbuf_reset(&sb);
	sbuf_add_json_str(&sb, "\x01\x1f\b");
	is_str(sb.buf, "\"\\u0001\\u001f\\u0008\"", "other control bytes");
	sbuf_reset(&sb);
	sbuf_add_json_str(&sb, "/api/\xed\x95\x9c");
	is_str(sb.buf, "\"/api/\xed\x95\x9c\"", "slash and UTF-8 as they are");
	sbuf_reset(&sb);
	/* A cut character, a lone continuation byte, a surrogate, an
	 * overlong '/', a character cut by the end of the string. */
	sbuf_add_json_str(&sb, "a\xed\x95 \x80 \xed\xa0\x80 \xc0\xaf \xed\x95");
	is_str(sb.buf,
	       "\"a\\ufffd\\ufffd \\ufffd \\ufffd\\ufffd\\ufffd "
	       "\\ufffd\\ufffd \\ufffd\\ufffd\"",
	       "bytes that are not UTF-8 become U+FFFD, one each");
	sbuf_release(&sb);
}

static void test_escaped(void)
{
	static const char *const esc[256] = {
		['<'] = "&lt;", ['\0'] = "\\0", [0xff] = "#"
	};
	struct sbuf sb = SBUF_INIT;

	is_int(sbuf_add_escaped(&sb, "a<b\0c\xff", 6, esc), 0, "escaped");
	is_int(sb.len, 10, "... to its length");
	is_str(sb.buf, "a&lt;b\\0c#", "... each byte by its table entry");
	sbuf_release(&sb);
	sbuf_init(&sb, 0, 4);
	sbuf_addstr(&sb, "x");
	is_int(sbuf_add_escaped(&sb, "<", 1, esc), -1, "past the cap fails");
	is_str(sb.buf, "x", "... and leaves nothing of it");
	sbuf_release(&sb);
}

/* What sbuf_addf() with "%llu" and "%.3f" gives, the same bytes. */
static void test_numbers(void)
{
	static const double ms[] = { 0,	       0.0004,	   0.0006, 0.017,
				     0.999,    0.9996,	   1,	   12.3456,
				     999.9999, 1234567.891 };
	struct sbuf sb = SBUF_INIT;
	char want[64];
	size_t i;

	sbuf_add_uint(&sb, 0);
	sbuf_addch(&sb, ' ');
	sbuf_add_uint(&sb, 18446744073709551615ULL);
	is_str(sb.buf, "0 18446744073709551615",
	       "integers, smallest and largest");
	{
		char out[21];

		is_int((long long)sbuf_uint(out, 18446744073709551615ULL), 20,
		       "sbuf_uint: the length of the largest");
		is_str(out, "18446744073709551615", "and its digits");
		is_int((long long)sbuf_uint(out, 7), 1, "one digit");
		is_str(out, "7", "terminated");
	}
	for (i = 0; i < ARRAY_SIZE(ms); i++) {
		sbuf_reset(&sb);
		sbuf_add_ms(&sb, ms[i]);
		snprintf(want, sizeof(want), "%.3f", ms[i]);
		is_str(sb.buf, want, "%g ms as %%.3f writes it", ms[i]);
	}
	sbuf_reset(&sb);
	sbuf_add_ms(&sb, -1);
	sbuf_add_ms(&sb, NAN);
	is_str(sb.buf, "0.0000.000", "negative and NaN as 0.000");
	sbuf_release(&sb);
}

int main(void)
{
	test_init();
	test_add();
	test_detach();
	test_cap();
	test_json_str();
	test_escaped();
	test_numbers();
	return done_testing();
}
