/* jsonx.c: strict JSON parsing (json-c plus the checks it lacks). */
#include "common.h"

#include <math.h>

#include "jsonx.h"
#include "sbuf.h"
#include "utf8.h"

/* Arrays and objects may nest this deep; one more level is an error. */
#define JSONX_MAX_DEPTH 64
/* Longest key quoted in a "Duplicate key" message, in bytes. */
#define JSONX_KEY_SHOWN 64
/* Node 20's wording for "{}x"; older ones say "Unexpected token x". */
#define MSG_TRAILING \
	"Unexpected non-whitespace character after JSON at position %zu"

/*
 * json-c alone is not strict enough, even with JSON_TOKENER_STRICT: it
 * accepts NaN, Infinity, 'single quotes', "1.", "-01", raw control
 * characters in strings, overlong and surrogate UTF-8, lone surrogate
 * escapes (silently turned into U+FFFD), saturates big integers, keeps the
 * last of duplicate keys, and reports "01" as a truncated document. So a
 * scanner of RFC 8259's grammar runs first over the text and gives every
 * error its exact position and a JSON.parse-like message; json-c then only
 * builds the tree from text known to be good.
 */
struct scan {
	const char *s;
	size_t len;
	size_t pos;
	int depth;
	struct sbuf key; /* the decoded key being checked */
	struct err *e;
};

static int scan_value(struct scan *sc);

static bool is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static void skip_ws(struct scan *sc)
{
	while (sc->pos < sc->len && is_ws(sc->s[sc->pos]))
		sc->pos++;
}

/* Record a 400 with a formatted message; returns -1. */
ATTR_PRINTF(2, 3)
static int fail(struct scan *sc, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(sc->e, ERR_BAD_REQUEST, "%s", msg);
}

/*
 * The error for an unexpected character at `pos`, worded as V8's
 * JSON.parse words it: a quote or a digit out of place is an unexpected
 * string or number, except inside a string or number (`bare`). The input
 * is valid UTF-8 by now, so a multi-byte character is quoted whole;
 * control characters are shown escaped.
 */
static int unexpected_at(struct scan *sc, size_t pos, bool bare)
{
	unsigned char c;
	size_t n = 1;

	if (pos >= sc->len)
		return fail(sc, "Unexpected end of JSON input");
	c = (unsigned char)sc->s[pos];
	if (!bare && c == '"')
		return fail(sc, "Unexpected string in JSON at position %zu",
			    pos);
	if (!bare && (c == '-' || is_digit((char)c)))
		return fail(sc, "Unexpected number in JSON at position %zu",
			    pos);
	if (c < 0x20 || c == 0x7f)
		return fail(sc,
			    "Unexpected token \\u%04x in JSON at position %zu",
			    c, pos);
	while (pos + n < sc->len &&
	       ((unsigned char)sc->s[pos + n] & 0xc0) == 0x80)
		n++;
	return fail(sc, "Unexpected token %.*s in JSON at position %zu", (int)n,
		    sc->s + pos, pos);
}

static int unexpected(struct scan *sc)
{
	return unexpected_at(sc, sc->pos, false);
}

/* A bad character inside a string or number token. */
static int bad_token(struct scan *sc)
{
	return unexpected_at(sc, sc->pos, true);
}

static int scan_literal(struct scan *sc, const char *word)
{
	for (; *word; word++, sc->pos++)
		if (sc->pos >= sc->len || sc->s[sc->pos] != *word)
			return unexpected(sc);
	return 0;
}

/*
 * A number. Integers must fit int64_t (json-c would saturate them), others
 * must be finite doubles (json-c would make 1e309 an infinity). Underflow
 * to zero is accepted, as JSON.parse does.
 */
static int scan_number(struct scan *sc)
{
	size_t start = sc->pos;
	bool neg = false, integer = true, range = true;
	uint64_t mag = 0, limit;
	unsigned d;
	char *tok;
	double x;

	if (sc->s[sc->pos] == '-') {
		neg = true;
		sc->pos++;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	if (sc->pos >= sc->len || !is_digit(sc->s[sc->pos]))
		return bad_token(sc);
	if (sc->s[sc->pos] == '0') {
		sc->pos++;
		if (sc->pos < sc->len && is_digit(sc->s[sc->pos]))
			return unexpected(sc);
	} else {
		while (sc->pos < sc->len && is_digit(sc->s[sc->pos])) {
			d = (unsigned)(sc->s[sc->pos++] - '0');
			if (mag > (limit - d) / 10)
				range = false;
			else
				mag = mag * 10 + d;
		}
	}
	if (sc->pos < sc->len && sc->s[sc->pos] == '.') {
		integer = false;
		sc->pos++;
		if (sc->pos >= sc->len || !is_digit(sc->s[sc->pos]))
			return bad_token(sc);
		while (sc->pos < sc->len && is_digit(sc->s[sc->pos]))
			sc->pos++;
	}
	if (sc->pos < sc->len &&
	    (sc->s[sc->pos] == 'e' || sc->s[sc->pos] == 'E')) {
		integer = false;
		sc->pos++;
		if (sc->pos < sc->len &&
		    (sc->s[sc->pos] == '+' || sc->s[sc->pos] == '-'))
			sc->pos++;
		if (sc->pos >= sc->len || !is_digit(sc->s[sc->pos]))
			return bad_token(sc);
		while (sc->pos < sc->len && is_digit(sc->s[sc->pos]))
			sc->pos++;
	}
	if (!integer) {
		/* strtod needs a terminated copy: buf may not end in NUL. */
		tok = xmemdupz(sc->s + start, sc->pos - start);
		x = strtod(tok, NULL);
		free(tok);
		range = isfinite(x);
	}
	if (!range)
		return fail(sc, "Number out of range in JSON at position %zu",
			    start);
	return 0;
}

static int hex4(struct scan *sc, unsigned *out)
{
	unsigned v = 0;
	int i;
	char c;

	for (i = 0; i < 4; i++, sc->pos++) {
		if (sc->pos >= sc->len)
			return unexpected(sc);
		c = sc->s[sc->pos];
		if (is_digit(c))
			v = v * 16 + (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v * 16 + (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v = v * 16 + (unsigned)(c - 'A' + 10);
		else
			return bad_token(sc);
	}
	*out = v;
	return 0;
}

static void put_utf8(struct sbuf *sb, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	sbuf_add(sb, b, n);
}

/*
 * A \u escape, sc->pos on the backslash. Two escapes we refuse although
 * JSON.parse takes them: \u0000, because every C string API downstream
 * would cut the value there, and a lone surrogate, because it is not a
 * character at all (json-c would store U+FFFD in its place).
 */
static int scan_uescape(struct scan *sc, struct sbuf *out)
{
	size_t start = sc->pos;
	unsigned cp, lo;

	sc->pos += 2;
	if (hex4(sc, &cp) < 0)
		return -1;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (sc->len - sc->pos < 6 || sc->s[sc->pos] != '\\' ||
		    sc->s[sc->pos + 1] != 'u')
			goto bad;
		sc->pos += 2;
		if (hex4(sc, &lo) < 0)
			return -1;
		if (lo < 0xdc00 || lo > 0xdfff)
			goto bad;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
	} else if (cp == 0 || (cp >= 0xdc00 && cp <= 0xdfff)) {
		goto bad;
	}
	if (out)
		put_utf8(out, cp);
	return 0;
bad:
	return fail(sc, "Invalid Unicode escape %.6s in JSON at position %zu",
		    sc->s + start, start);
}

/* A string, sc->pos on the opening quote; decoded into out if not NULL. */
static int scan_string(struct scan *sc, struct sbuf *out)
{
	unsigned char c;

	for (sc->pos++; sc->pos < sc->len; sc->pos++) {
		c = (unsigned char)sc->s[sc->pos];
		if (c == '"') {
			sc->pos++;
			return 0;
		}
		if (c < 0x20)
			return fail(sc,
				    "Bad control character in string "
				    "literal in JSON at position %zu",
				    sc->pos);
		if (c != '\\') {
			if (out)
				sbuf_addch(out, c);
			continue;
		}
		if (sc->pos + 1 >= sc->len) {
			sc->pos++;
			return unexpected(sc);
		}
		c = (unsigned char)sc->s[sc->pos + 1];
		if (c == 'u') {
			if (scan_uescape(sc, out) < 0)
				return -1;
			/* Back on the last digit: the loop steps over it. */
			sc->pos--;
			continue;
		}
		sc->pos++;
		switch (c) {
		case '"':
		case '\\':
		case '/':
			break;
		case 'b':
			c = '\b';
			break;
		case 'f':
			c = '\f';
			break;
		case 'n':
			c = '\n';
			break;
		case 'r':
			c = '\r';
			break;
		case 't':
			c = '\t';
			break;
		default:
			return bad_token(sc);
		}
		if (out)
			sbuf_addch(out, c);
	}
	return unexpected(sc);
}

static int nested(struct scan *sc)
{
	if (++sc->depth > JSONX_MAX_DEPTH)
		return fail(sc, "Nesting too deep in JSON at position %zu",
			    sc->pos);
	return 0;
}

static int scan_array(struct scan *sc)
{
	if (nested(sc) < 0)
		return -1;
	sc->pos++;
	skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == ']')
		goto done;
	for (;;) {
		if (scan_value(sc) < 0)
			return -1;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == ']')
			break;
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',')
			return unexpected(sc);
		sc->pos++;
		skip_ws(sc);
	}
done:
	sc->pos++;
	sc->depth--;
	return 0;
}

/* Shorten a key for a message without cutting a character in two. */
static int shown_len(const char *s, size_t len)
{
	if (len <= JSONX_KEY_SHOWN)
		return (int)len;
	len = JSONX_KEY_SHOWN;
	while (len && ((unsigned char)s[len] & 0xc0) == 0x80)
		len--;
	return (int)len;
}

/* The keys seen so far live in a json-c object used as a hash set. */
static int scan_object(struct scan *sc)
{
	struct json_object *seen;
	size_t kpos;
	int ret = -1;

	if (nested(sc) < 0)
		return -1;
	seen = json_object_new_object();
	sc->pos++;
	skip_ws(sc);
	if (sc->pos < sc->len && sc->s[sc->pos] == '}')
		goto done;
	for (;;) {
		if (sc->pos >= sc->len || sc->s[sc->pos] != '"') {
			unexpected(sc);
			goto out;
		}
		kpos = sc->pos;
		sbuf_reset(&sc->key);
		if (scan_string(sc, &sc->key) < 0)
			goto out;
		if (json_object_object_get_ex(seen, sc->key.buf, NULL)) {
			fail(sc,
			     "Duplicate key \"%.*s\" in JSON at "
			     "position %zu",
			     shown_len(sc->key.buf, sc->key.len), sc->key.buf,
			     kpos);
			goto out;
		}
		json_object_object_add(seen, sc->key.buf, NULL);
		skip_ws(sc);
		if (sc->pos >= sc->len || sc->s[sc->pos] != ':') {
			unexpected(sc);
			goto out;
		}
		sc->pos++;
		skip_ws(sc);
		if (scan_value(sc) < 0)
			goto out;
		skip_ws(sc);
		if (sc->pos < sc->len && sc->s[sc->pos] == '}')
			break;
		if (sc->pos >= sc->len || sc->s[sc->pos] != ',') {
			unexpected(sc);
			goto out;
		}
		sc->pos++;
		skip_ws(sc);
	}
done:
	sc->pos++;
	sc->depth--;
	ret = 0;
out:
	json_object_put(seen);
	return ret;
}

static int scan_value(struct scan *sc)
{
	if (sc->pos >= sc->len)
		return unexpected(sc);
	switch (sc->s[sc->pos]) {
	case '{':
		return scan_object(sc);
	case '[':
		return scan_array(sc);
	case '"':
		return scan_string(sc, NULL);
	case 't':
		return scan_literal(sc, "true");
	case 'f':
		return scan_literal(sc, "false");
	case 'n':
		return scan_literal(sc, "null");
	default:
		if (sc->s[sc->pos] == '-' || is_digit(sc->s[sc->pos]))
			return scan_number(sc);
		return unexpected(sc);
	}
}

/* scan: the whole document: one value between optional whitespace. */
static int scan(const char *buf, size_t len, struct err *e)
{
	struct scan sc = { buf, len, 0, 0, SBUF_INIT, e };
	int ret;

	skip_ws(&sc);
	ret = scan_value(&sc);
	if (!ret) {
		skip_ws(&sc);
		if (sc.pos < len)
			ret = err_set(e, ERR_BAD_REQUEST, MSG_TRAILING, sc.pos);
	}
	sbuf_release(&sc.key);
	return ret;
}

/*
 * Build the tree with json-c. Only text the scanner accepted gets here, so
 * a failure means json-c and the scanner disagree; it is still reported as
 * a client error with json-c's position rather than trusted.
 */
static int build(const char *buf, size_t len, struct json_object **out,
		 struct err *e)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	size_t end, base = 0;

	/* json-c counts a scalar as a level of its own: give it one more. */
	tok = json_tokener_new_ex(JSONX_MAX_DEPTH + 1);
	if (!tok)
		die("out of memory creating a JSON tokener");
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT |
					    JSON_TOKENER_VALIDATE_UTF8);
	obj = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (!obj && jerr == json_tokener_continue) {
		/* A top-level number ends only at a delimiter: give it one. */
		base = len;
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	end = base + json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	/* A document that is just "null" is a success with a NULL tree. */
	if (jerr == json_tokener_success) {
		while (end < len && is_ws(buf[end]))
			end++;
		if (end >= len) {
			*out = obj;
			return 0;
		}
		json_object_put(obj);
		return err_set(e, ERR_BAD_REQUEST, MSG_TRAILING, end);
	}
	switch (jerr) {
	case json_tokener_continue:
	case json_tokener_error_parse_eof:
		return err_set(e, ERR_BAD_REQUEST,
			       "Unexpected end of JSON input");
	case json_tokener_error_depth:
		return err_set(e, ERR_BAD_REQUEST,
			       "Nesting too deep in JSON at position %zu", end);
	case json_tokener_error_parse_utf8_string:
		return err_set(e, ERR_BAD_REQUEST,
			       "Invalid UTF-8 in JSON at position %zu", end);
	default:
		return err_set(e, ERR_BAD_REQUEST,
			       "Unexpected token in JSON at position %zu", end);
	}
}

int jsonx_parse(const char *buf, size_t len, struct json_object **out,
		struct err *e)
{
	size_t bad;

	*out = NULL;
	if (len > INT_MAX)
		return err_set(e, ERR_TOO_LARGE, "JSON body too large");
	/*
	 * UTF-8 first, over the whole text: the scanner may then quote any
	 * character in a message, and json-c's own check lets overlong
	 * forms and encoded surrogates through.
	 */
	bad = utf8_valid_prefix(buf, len);
	if (bad < len)
		return err_set(e, ERR_BAD_REQUEST,
			       "Invalid UTF-8 in JSON at position %zu", bad);
	if (scan(buf, len, e) < 0)
		return -1;
	return build(buf, len, out, e);
}

const char *jsonx_str(struct json_object *obj, size_t *len)
{
	const char *s;
	size_t n;

	s = json_object_to_json_string_length(
		obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE,
		&n);
	if (len)
		*len = n;
	return s;
}

bool jsonx_as_int(struct json_object *v, int64_t *out)
{
	double x;

	switch (json_object_get_type(v)) {
	case json_type_int:
		*out = json_object_get_int64(v);
		return true;
	case json_type_double:
		/*
		 * JavaScript has one number type: 2.0 is the integer 2 to a
		 * NestJS client. Beyond 2^53 a double no longer tells
		 * neighbouring integers apart, so it is not one.
		 */
		x = json_object_get_double(v);
		if (!(x >= -9007199254740992.0 && x <= 9007199254740992.0) ||
		    x != (double)(int64_t)x)
			return false;
		*out = (int64_t)x;
		return true;
	default:
		return false;
	}
}

static struct json_object *member(struct json_object *obj, const char *key)
{
	struct json_object *v = NULL;

	if (!json_object_is_type(obj, json_type_object))
		return NULL;
	json_object_object_get_ex(obj, key, &v);
	return v;
}

const char *jsonx_get_str(struct json_object *obj, const char *key)
{
	struct json_object *v = member(obj, key);

	return json_object_is_type(v, json_type_string) ?
		       json_object_get_string(v) :
		       NULL;
}

bool jsonx_get_int(struct json_object *obj, const char *key, int64_t *out)
{
	struct json_object *v = member(obj, key);
	int64_t x;

	if (!v || !jsonx_as_int(v, &x))
		return false;
	*out = x;
	return true;
}

bool jsonx_has(struct json_object *obj, const char *key)
{
	return json_object_is_type(obj, json_type_object) &&
	       json_object_object_get_ex(obj, key, NULL);
}
