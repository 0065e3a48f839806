/* utf8.c: UTF-8 well-formedness (RFC 3629), code point and UTF-16 unit
 * counting. */
#include "common.h"
#include "utf8.h"

/*
 * The length of the well-formed sequence starting at s[0], or 0 if none
 * starts there. The second-byte ranges are those of RFC 3629's table: they
 * exclude overlong forms (C0, C1, E0 80..9F, F0 80..8F), the surrogates
 * (ED A0..BF) and code points above U+10FFFF (F4 90.., F5..FF).
 */
static size_t seq_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	if (avail < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

size_t utf8_valid_prefix(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = seq_len(p + i, len - i);
		if (!n)
			break;
		i += n;
	}
	return i;
}

bool utf8_valid(const char *s, size_t len)
{
	return utf8_valid_prefix(s, len) == len;
}

size_t utf8_len(const char *s)
{
	const unsigned char *p;
	size_t n = 0;

	/* Count every byte that is not a continuation byte. */
	for (p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n++;
	return n;
}

size_t utf8_utf16_len(const char *s)
{
	const unsigned char *p;
	size_t n = 0;

	/* A lead byte of a 4-byte sequence starts a surrogate pair. */
	for (p = (const unsigned char *)s; *p; p++)
		if ((*p & 0xc0) != 0x80)
			n += *p >= 0xf0 ? 2 : 1;
	return n;
}
