/* sbuf.c: growable byte buffer. */
#include "common.h"

#include <math.h>
#include "sbuf.h"
#include "utf8.h"

char sbuf_empty[1];

void sbuf_init(struct sbuf *sb, size_t hint, size_t cap)
{
	sb->buf = sbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
	sb->cap = cap;
	if (hint)
		sbuf_grow(sb, hint);
}

void sbuf_release(struct sbuf *sb)
{
	if (sb->alloc)
		free(sb->buf);
	sb->buf = sbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
}

char *sbuf_detach(struct sbuf *sb, size_t *len)
{
	char *s;

	if (len)
		*len = sb->len;
	s = sb->alloc ? sb->buf : xstrdup("");
	sb->buf = sbuf_empty;
	sb->len = 0;
	sb->alloc = 0;
	return s;
}

void sbuf_reset(struct sbuf *sb)
{
	sb->len = 0;
	if (sb->alloc)
		sb->buf[0] = '\0';
}

int sbuf_grow(struct sbuf *sb, size_t extra)
{
	size_t want;

	if (extra > SIZE_MAX - sb->len - 1)
		abort();
	want = sb->len + extra;
	if (sb->cap && want > sb->cap)
		return -1;
	if (want + 1 <= sb->alloc)
		return 0;
	if (sb->alloc == 0 && sb->len == 0)
		sb->buf = NULL;
	sb->alloc = sb->alloc ? sb->alloc : 64;
	while (sb->alloc < want + 1)
		sb->alloc = sb->alloc < SIZE_MAX / 2 ? sb->alloc * 2 : want + 1;
	sb->buf = xrealloc(sb->buf, sb->alloc);
	sb->buf[sb->len] = '\0';
	return 0;
}

int sbuf_add(struct sbuf *sb, const void *data, size_t len)
{
	if (sbuf_grow(sb, len) < 0)
		return -1;
	if (len)
		memcpy(sb->buf + sb->len, data, len);
	sb->len += len;
	if (sb->alloc)
		sb->buf[sb->len] = '\0';
	return 0;
}

int sbuf_addstr(struct sbuf *sb, const char *s)
{
	return sbuf_add(sb, s, strlen(s));
}

int sbuf_addch(struct sbuf *sb, int c)
{
	char ch = (char)c;

	return sbuf_add(sb, &ch, 1);
}

int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		abort();
	if (sbuf_grow(sb, (size_t)n) < 0)
		return -1;
	vsnprintf(sb->buf + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
	return 0;
}

int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int ret;

	va_start(ap, fmt);
	ret = sbuf_vaddf(sb, fmt, ap);
	va_end(ap);
	return ret;
}

size_t sbuf_uint(char out[21], unsigned long long v)
{
	char digits[20], *p = digits + sizeof(digits);
	size_t n;

	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	n = (size_t)(digits + sizeof(digits) - p);
	memcpy(out, p, n);
	out[n] = '\0';
	return n;
}

int sbuf_add_uint(struct sbuf *sb, unsigned long long v)
{
	char digits[21];

	return sbuf_add(sb, digits, sbuf_uint(digits, v));
}

int sbuf_add_ms(struct sbuf *sb, double ms)
{
	/* thousandths, rounded as printf rounds all but exact halves */
	unsigned long long us = ms >= 0 && ms < 1e15 ? llround(ms * 1e3) : 0;
	char frac[4];

	frac[0] = (char)('0' + us / 100 % 10);
	frac[1] = (char)('0' + us / 10 % 10);
	frac[2] = (char)('0' + us % 10);
	frac[3] = '\0';
	if (sbuf_add_uint(sb, us / 1000) < 0 || sbuf_addch(sb, '.') < 0)
		return -1;
	return sbuf_add(sb, frac, 3);
}

/* The length of the well-formed UTF-8 character at p (NUL-terminated), or
 * 0 when p does not start one. */
static size_t char_len(const unsigned char *p)
{
	size_t n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : *p >= 0xc0 ? 2 : 1;

	/* A NUL stops strnlen before utf8_valid reads past the string. */
	if (strnlen((const char *)p, n) < n || !utf8_valid((const char *)p, n))
		return 0;
	return n;
}

int sbuf_add_escaped(struct sbuf *sb, const char *s, size_t n,
		     const char *const esc[256])
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, start = sb->len;
	int ret = 0;

	for (i = 0; i < n && !ret; i++)
		ret = esc[p[i]] ? sbuf_addstr(sb, esc[p[i]]) :
				  sbuf_addch(sb, p[i]);
	if (ret && sb->alloc) {
		sb->len = start;
		sb->buf[start] = '\0';
	}
	return ret;
}

int sbuf_add_json_str(struct sbuf *sb, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	static const char *const esc[256] = {
		['"'] = "\\\"", ['\\'] = "\\\\", ['\n'] = "\\n",
		['\r'] = "\\r", ['\t'] = "\\t",
	};
	const unsigned char *p;
	size_t start = sb->len;
	int ret = sbuf_addch(sb, '"');

	for (p = (const unsigned char *)s; *p && !ret; p++) {
		if (*p >= 0x80) {
			size_t n = char_len(p);

			/* Bytes that are not UTF-8 (a method or URL as sent,
			 * a message cut short) would make the whole answer
			 * unparsable: U+FFFD stands for each, as a decoder
			 * does. */
			if (n) {
				ret = sbuf_add(sb, p, n);
				p += n - 1;
			} else {
				ret = sbuf_add(sb, "\\ufffd", 6);
			}
			continue;
		}
		if (esc[*p]) {
			ret = sbuf_addstr(sb, esc[*p]);
		} else if (*p < 0x20) {
			char u[6] = { '\\', 'u',	  '0',
				      '0',  hex[*p >> 4], hex[*p & 15] };

			ret = sbuf_add(sb, u, sizeof(u));
		} else {
			ret = sbuf_addch(sb, *p);
		}
	}
	if (!ret)
		ret = sbuf_addch(sb, '"');
	if (ret && sb->alloc) {
		/* Like every add: past the cap, nothing of it stays. */
		sb->len = start;
		sb->buf[start] = '\0';
	}
	return ret;
}
