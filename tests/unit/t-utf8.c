/* t-utf8.c: well-formedness and code point counts. */
#include "common.h"
#include "tap.h"
#include "utf8.h"

#define VALID(lit)  utf8_valid(lit, sizeof(lit) - 1)
#define PREFIX(lit) utf8_valid_prefix(lit, sizeof(lit) - 1)

static void test_valid(void)
{
	ok(VALID(""), "empty string is valid");
	ok(VALID("plain ascii"), "ASCII is valid");
	ok(VALID("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"), "Korean is valid");
	ok(VALID("caf\xc3\xa9"), "two-byte sequence");
	ok(VALID("\xf0\x9f\x98\x80"), "four-byte emoji");
	ok(VALID("\xc2\x80"), "U+0080, smallest two-byte");
	ok(VALID("\xe0\xa0\x80"), "U+0800, smallest three-byte");
	ok(VALID("\xf0\x90\x80\x80"), "U+10000, smallest four-byte");
	ok(VALID("\xf4\x8f\xbf\xbf"), "U+10FFFF, the last code point");
	ok(VALID("\xed\x9f\xbf"), "U+D7FF, just below the surrogates");
	ok(VALID("\xee\x80\x80"), "U+E000, just above the surrogates");
	ok(VALID("\xef\xbf\xbf"), "U+FFFF");
	ok(utf8_valid("a\0b", 3), "NUL is a character like any other");

	ok(!VALID("\xff"), "0xff never appears");
	ok(!VALID("\xfe"), "0xfe never appears");
	ok(!VALID("\x80"), "lone continuation byte");
	ok(!VALID("\xc0\xaf"), "overlong '/' (C0 AF)");
	ok(!VALID("\xc1\xbf"), "overlong two-byte (C1)");
	ok(!VALID("\xe0\x80\xaf"), "overlong three-byte");
	ok(!VALID("\xe0\x9f\xbf"), "overlong three-byte at the edge");
	ok(!VALID("\xf0\x80\x80\xaf"), "overlong four-byte");
	ok(!VALID("\xf0\x8f\xbf\xbf"), "overlong four-byte at the edge");
	ok(!VALID("\xed\xa0\x80"), "encoded high surrogate U+D800");
	ok(!VALID("\xed\xbf\xbf"), "encoded low surrogate U+DFFF");
	ok(!VALID("\xed\xa0\xbd\xed\xb8\x80"), "CESU-8 surrogate pair");
	ok(!VALID("\xf4\x90\x80\x80"), "U+110000, above the last code point");
	ok(!VALID("\xf5\x80\x80\x80"), "F5 lead byte");
	ok(!VALID("\xc3"), "truncated two-byte");
	ok(!VALID("\xe2\x82"), "truncated three-byte");
	ok(!VALID("\xf0\x9f\x98"), "truncated four-byte");
	ok(!VALID("\xc3\x28"), "two-byte with bad continuation");
	ok(!VALID("\xe2\x28\xa1"), "three-byte with bad second byte");
	ok(!VALID("\xe2\x82\x28"), "three-byte with bad third byte");
	ok(!VALID("\xf0\x9f\x98\x28"), "four-byte with bad last byte");
	ok(!utf8_valid("\xc3\xa9", 1), "length cuts a character in two");
}

static void test_prefix(void)
{
	is_int(PREFIX("abc"), 3, "valid: whole length");
	is_int(PREFIX(""), 0, "empty: zero");
	is_int(PREFIX("ab\xff"), 2, "bad byte at 2");
	is_int(PREFIX("\xff"
		      "abc"),
	       0, "bad byte at 0");
	is_int(PREFIX("caf\xc3\xa9\xc0\xaf"), 5, "overlong after a good é");
	is_int(PREFIX("x\xe2\x82"), 1, "truncated sequence: its start");
	is_int(PREFIX("\xed\x95\x9c\xed\xa0\x80"), 3,
	       "surrogate after a Korean character");
}

static void test_len(void)
{
	is_int(utf8_len(""), 0, "empty: 0 characters");
	is_int(utf8_len("password"), 8, "ASCII: one per byte");
	is_int(utf8_len("\xed\x95\x9c\xea\xb5\xad\xec\x96\xb4"), 3,
	       "Korean: 9 bytes, 3 characters");
	is_int(utf8_len("caf\xc3\xa9"), 4, "café: 4 characters");
	is_int(utf8_len("\xf0\x9f\x98\x80!"), 2, "emoji counts once");
}

static void test_utf16_len(void)
{
	is_int(utf8_utf16_len(""), 0, "UTF-16: empty is 0 units");
	is_int(utf8_utf16_len("caf\xc3\xa9"), 4, "UTF-16: café is 4 units");
	is_int(utf8_utf16_len("\xed\x95\x9c\xea\xb5\xad"), 2,
	       "UTF-16: Korean is one unit per character");
	is_int(utf8_utf16_len("\xef\xbf\xbf"), 1, "UTF-16: U+FFFF is 1 unit");
	is_int(utf8_utf16_len("\xf0\x9f\x98\x80!"), 3,
	       "UTF-16: an emoji is a surrogate pair, 2 units");
	is_int(utf8_utf16_len("\xf4\x8f\xbf\xbf"), 2,
	       "UTF-16: U+10FFFF is 2 units");
}

int main(void)
{
	test_valid();
	test_prefix();
	test_len();
	test_utf16_len();
	return done_testing();
}
