/* sbuf.h: growable byte buffer (git strbuf's promises, curl dynbuf's cap). */
#ifndef AGORA_SBUF_H
#define AGORA_SBUF_H

#include <stdarg.h>
#include <stddef.h>

/*
 * An sbuf is never NULL-buffered: after sbuf_init() `buf` points at a
 * NUL-terminated string (possibly a shared empty one), so it can always be
 * printed. `len` excludes the terminating NUL. When `cap` is non-zero the
 * content may never grow past `cap` bytes: an add that would do so changes
 * nothing and returns -1. Otherwise adds return 0 (allocation failure aborts).
 */
struct sbuf {
	char *buf;
	size_t len;
	size_t alloc;
	size_t cap;
};

#define SBUF_INIT                   \
	{                           \
		sbuf_empty, 0, 0, 0 \
	}
extern char sbuf_empty[];

/* sbuf_init: an empty buffer with room for `hint` bytes and the given cap
 * (0 = unlimited). */
void sbuf_init(struct sbuf *sb, size_t hint, size_t cap);
/* sbuf_release: free the contents; the buffer is empty and reusable. */
void sbuf_release(struct sbuf *sb);
/* sbuf_detach: hand the bytes to the caller (free() them); sb is reset. */
char *sbuf_detach(struct sbuf *sb, size_t *len);
/* sbuf_reset: empty the buffer, keeping its allocation. */
void sbuf_reset(struct sbuf *sb);
/* sbuf_grow: make room for `extra` more bytes; -1 if that passes the cap. */
int sbuf_grow(struct sbuf *sb, size_t extra);

int sbuf_add(struct sbuf *sb, const void *data, size_t len);
int sbuf_addstr(struct sbuf *sb, const char *s);
int sbuf_addch(struct sbuf *sb, int c);
int sbuf_addf(struct sbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int sbuf_vaddf(struct sbuf *sb, const char *fmt, va_list ap);
/* sbuf_add_escaped: append s[0..n), each byte that has a replacement in
 * esc (indexed by the byte; NULL: kept as it is) replaced by it. */
int sbuf_add_escaped(struct sbuf *sb, const char *s, size_t n,
		     const char *const esc[256]);
/*
 * sbuf_add_uint: v in decimal. sbuf_add_ms: ms as "%.3f" writes it, for
 * a duration (NaN, negative or huge: "0.000"). Both are what sbuf_addf()
 * would add, without printf's parsing and floating-point paths, which
 * cost every request a few microseconds.
 */
int sbuf_add_uint(struct sbuf *sb, unsigned long long v);
/* sbuf_uint: v in decimal into out, NUL-terminated; returns its length. */
size_t sbuf_uint(char out[21], unsigned long long v);
int sbuf_add_ms(struct sbuf *sb, double ms);
/* sbuf_add_json_str: append s as a quoted, escaped JSON string; a byte
 * that is not part of well-formed UTF-8 becomes \ufffd, so the result is
 * always valid JSON. */
int sbuf_add_json_str(struct sbuf *sb, const char *s);

#endif
