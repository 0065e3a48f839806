/*
 * es-stub.c: a STUB of Elasticsearch 8 for the tests, not Elasticsearch.
 *
 * A single-threaded HTTP/1.1 server on loopback that implements the subset
 * of the ES 8 REST API agora calls, with ES's response shapes and
 * semantics (docs/elasticsearch-stub.md lists what is covered and what is
 * not), plus fault injection on a second, control port.
 *
 *   es-stub [--port N] [--ctl-port N]
 *
 * Prints "http://127.0.0.1:PORT http://127.0.0.1:CTLPORT" on one line and
 * serves until SIGTERM or SIGINT. Control (on CTLPORT):
 *   POST /_stub/fault {"down":true}       refuse connections (closed port)
 *                     {"slow_ms":3000}    answer every request that late
 *                     {"bulk_429_every":2}  every 2nd bulk item: 429
 *                     {"bulk_400_ids":["7"]}  those ids: 400 in bulk
 *                     {"health":"red"}    _cluster/health status
 *                     {"refresh_interval_ms":0}  only explicit _refresh
 *                     {"hold_aliases_ms":3000}  answer _aliases that late,
 *                                          serving everything else meanwhile
 *   POST /_stub/reset                    no faults
 *   GET  /_stub/state                    counters and indices
 */
#include "common.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>
#include <uniwbrk.h>

#include "jsonx.h"
#include "sbuf.h"

#define STUB_MAX_CONNS	 64
#define STUB_MAX_REQUEST (32u << 20)
#define STUB_MAX_WINDOW	 10000

/* ---- the data -------------------------------------------------------- */

struct doc {
	char *id;
	int64_t version;
	int64_t seq_no;
	struct json_object *src; /* NULL: deleted (a tombstone) */
	struct json_object *vis; /* what search sees: as of refresh */
};

struct analyzer;

struct index {
	char *name;
	struct json_object *props; /* field -> {"type": ...} */
	struct analyzer *an; /* settings.analysis.analyzer */
	size_t nan;
	bool strict;
	struct doc *docs;
	size_t ndocs, alloc;
	char **aliases;
	size_t naliases;
	int64_t seq_no;
};

static struct index **indices;
static size_t nindices;

static struct {
	bool down;
	long slow_ms;
	long bulk_429_every;
	struct json_object *bulk_400_ids; /* array of strings */
	char health[16];
	long refresh_ms;
	long hold_aliases_ms;
} fault = { false, 0, 0, NULL, "green", 1000, 0 };

static struct {
	long requests, bulk_requests, bulk_items, rejected_429, rejected_400;
	long refreshes;
	long held; /* _aliases requests being held now */
} stat;

static volatile sig_atomic_t stop;

/* ---- small helpers ---------------------------------------------------- */

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* An answer: status and a JSON body (owned by the answer). */
struct answer {
	int status;
	struct json_object *body;
};

static void answer(struct answer *a, int status, struct json_object *body)
{
	json_object_put(a->body);
	a->status = status;
	a->body = body;
}

/* ES's error shape: {"error":{"root_cause":[...],"type","reason"},
 * "status"}. */
static struct json_object *es_err(const char *type, const char *index,
				  const char *fmt, ...) ATTR_PRINTF(3, 4);
static struct json_object *es_err(const char *type, const char *index,
				  const char *fmt, ...)
{
	struct json_object *e = json_object_new_object(), *rc, *cause;
	char reason[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	cause = json_object_new_object();
	json_object_object_add(cause, "type", json_object_new_string(type));
	json_object_object_add(cause, "reason", json_object_new_string(reason));
	if (index)
		json_object_object_add(cause, "index",
				       json_object_new_string(index));
	rc = json_object_new_array();
	json_object_array_add(rc, json_object_get(cause));
	json_object_object_add(e, "root_cause", rc);
	json_object_object_add(e, "type", json_object_new_string(type));
	json_object_object_add(e, "reason", json_object_new_string(reason));
	if (index)
		json_object_object_add(e, "index",
				       json_object_new_string(index));
	json_object_put(cause);
	return e;
}

static void fail(struct answer *a, int status, struct json_object *error)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "error", error);
	json_object_object_add(o, "status", json_object_new_int(status));
	answer(a, status, o);
}

static struct json_object *shards(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "total", json_object_new_int(1));
	json_object_object_add(o, "successful", json_object_new_int(1));
	json_object_object_add(o, "failed", json_object_new_int(0));
	return o;
}

static struct json_object *acked(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "acknowledged", json_object_new_boolean(1));
	return o;
}

/* ---- analysis ---------------------------------------------------------- */

#define ES_BAD_ARG "illegal_argument_exception"

/*
 * Custom analyzers of settings.analysis, the parts agora's mapping uses:
 * char filters of type mapping ("a => b" rules, \uXXXX escapes, longest
 * match first) and pattern_replace with the one pattern below (the stub
 * has no Java regular expressions), the standard tokenizer (UAX #29 word
 * boundaries, libunistring's), and the built-in token filters lowercase,
 * cjk_width and cjk_bigram.
 */
#define STUB_SCRIPT_PATTERN                                            \
	"(?<=[\\p{IsHangul}\\p{IsHan}\\p{IsHiragana}\\p{IsKatakana}])" \
	"(?=[\\p{N}[\\p{L}&&[^\\p{IsHangul}\\p{IsHan}\\p{IsHiragana}"  \
	"\\p{IsKatakana}\\p{IsCommon}\\p{IsInherited}]]])|"            \
	"(?<=[\\p{N}[\\p{L}&&[^\\p{IsHangul}\\p{IsHan}\\p{IsHiragana}" \
	"\\p{IsKatakana}\\p{IsCommon}\\p{IsInherited}]]])"             \
	"(?=[\\p{IsHangul}\\p{IsHan}\\p{IsHiragana}\\p{IsKatakana}])"

struct char_map {
	char *from, *to;
};

struct analyzer {
	char *name;
	struct char_map *maps; /* every mapping filter's rules, in order */
	size_t nmaps;
	bool script; /* the pattern_replace above, after them */
	bool width, lower, bigram;
};

/* "\u0020" escapes of a mapping rule side, decoded; NULL if malformed. */
static char *map_unescape(const char *s, size_t n)
{
	struct sbuf sb = SBUF_INIT;
	uint8_t buf[8];
	unsigned long c;
	size_t i;
	int len;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\' && i + 6 <= n && s[i + 1] == 'u') {
			char hex[5];

			memcpy(hex, s + i + 2, 4);
			hex[4] = '\0';
			c = strtoul(hex, NULL, 16);
			len = u8_uctomb(buf, (ucs4_t)c, sizeof(buf));
			if (len > 0)
				sbuf_add(&sb, buf, (size_t)len);
			i += 5;
			continue;
		}
		sbuf_addch(&sb, s[i]);
	}
	return sbuf_detach(&sb, NULL);
}

static void analyzer_free(struct analyzer *an)
{
	size_t i;

	for (i = 0; i < an->nmaps; i++) {
		free(an->maps[i].from);
		free(an->maps[i].to);
	}
	free(an->maps);
	free(an->name);
}

/* An index's analyzers from settings.analysis; NULL or the error. */
static struct json_object *analyzers_parse(struct json_object *analysis,
					   struct analyzer **out, size_t *nout)
{
	struct json_object *ans = NULL, *cfs = NULL, *list, *cf, *rules;
	struct analyzer *an;
	const char *t, *name, *rule, *arrow;
	size_t i, j;

	*out = NULL;
	*nout = 0;
	if (!analysis)
		return NULL;
	json_object_object_get_ex(analysis, "analyzer", &ans);
	json_object_object_get_ex(analysis, "char_filter", &cfs);
	if (!ans)
		return NULL;
	json_object_object_foreach (ans, aname, spec) {
		*out = xrealloc(*out, (*nout + 1) * sizeof(**out));
		an = &(*out)[(*nout)++];
		memset(an, 0, sizeof(*an));
		an->name = xstrdup(aname);
		t = jsonx_get_str(spec, "type");
		if (!t || strcmp(t, "custom"))
			return es_err("illegal_argument_exception", NULL,
				      "analyzer [%s]: the stub implements "
				      "only custom analyzers",
				      aname);
		t = jsonx_get_str(spec, "tokenizer");
		if (!t || strcmp(t, "standard"))
			return es_err("illegal_argument_exception", NULL,
				      "analyzer [%s]: the stub implements "
				      "only the standard tokenizer",
				      aname);
		if (json_object_object_get_ex(spec, "char_filter", &list))
			for (i = 0; i < json_object_array_length(list); i++) {
				name = json_object_get_string(
					json_object_array_get_idx(list, i));
				if (!cfs ||
				    !json_object_object_get_ex(cfs, name, &cf))
					return es_err(
						"illegal_argument_exception",
						NULL,
						"Custom Analyzer [%s] "
						"failed to find char_filter "
						"under name [%s]",
						aname, name);
				t = jsonx_get_str(cf, "type");
				if (t && !strcmp(t, "pattern_replace") &&
				    jsonx_get_str(cf, "pattern") &&
				    !strcmp(jsonx_get_str(cf, "pattern"),
					    STUB_SCRIPT_PATTERN) &&
				    jsonx_get_str(cf, "replacement") &&
				    !strcmp(jsonx_get_str(cf, "replacement"),
					    " ")) {
					an->script = true;
					continue;
				}
				if (!t || strcmp(t, "mapping") ||
				    !json_object_object_get_ex(cf, "mappings",
							       &rules) ||
				    an->script)
					return es_err(
						"illegal_argument_exception",
						NULL,
						"char_filter [%s]: not "
						"implemented by the stub",
						name);
				for (j = 0; j < json_object_array_length(rules);
				     j++) {
					rule = json_object_get_string(
						json_object_array_get_idx(rules,
									  j));
					arrow = strstr(rule, " => ");
					if (!arrow || arrow == rule)
						return es_err(
							ES_BAD_ARG, NULL,
							"Invalid mapping rule "
							": [%s]",
							rule);
					an->maps = xrealloc(
						an->maps,
						(an->nmaps + 1) *
							sizeof(*an->maps));
					an->maps[an->nmaps].from =
						map_unescape(rule,
							     (size_t)(arrow -
								      rule));
					an->maps[an->nmaps++].to =
						map_unescape(arrow + 4,
							     strlen(arrow + 4));
				}
			}
		if (json_object_object_get_ex(spec, "filter", &list))
			for (i = 0; i < json_object_array_length(list); i++) {
				name = json_object_get_string(
					json_object_array_get_idx(list, i));
				if (!strcmp(name, "lowercase"))
					an->lower = true;
				else if (!strcmp(name, "cjk_width"))
					an->width = true;
				else if (!strcmp(name, "cjk_bigram") &&
					 i + 1 ==
						 json_object_array_length(list))
					an->bigram = true;
				else
					return es_err(
						"illegal_argument_exception",
						NULL,
						"Custom Analyzer [%s] "
						"failed to find filter under "
						"name [%s] (the stub knows "
						"lowercase, cjk_width and "
						"cjk_bigram, last)",
						aname, name);
			}
	}
	return NULL;
}

static bool script_is(ucs4_t c, const char *name)
{
	const uc_script_t *s = uc_script(c);

	return s && !strcmp(s->name, name);
}

static bool is_cjk(ucs4_t c)
{
	return script_is(c, "Hangul") || script_is(c, "Han") ||
	       script_is(c, "Hiragana") || script_is(c, "Katakana");
}

/* The pattern's other side: a digit, or a letter of a script that is
 * neither CJK nor Common nor Inherited. */
static bool is_other(ucs4_t c)
{
	if (uc_is_general_category(c, UC_CATEGORY_N))
		return true;
	return uc_is_general_category(c, UC_CATEGORY_L) && !is_cjk(c) &&
	       !script_is(c, "Common") && !script_is(c, "Inherited");
}

/* The char filters: mapping rules (the longest match at each position),
 * then the script boundary pattern. */
static char *char_filter(const struct analyzer *an, const char *s)
{
	struct sbuf sb = SBUF_INIT, out = SBUF_INIT;
	size_t i, k, best, blen, n = strlen(s);
	ucs4_t c, prev = 0;
	int len;

	for (i = 0; i < n;) {
		best = an->nmaps;
		blen = 0;
		for (k = 0; k < an->nmaps; k++) {
			size_t fl = strlen(an->maps[k].from);

			if (fl > blen &&
			    !strncmp(s + i, an->maps[k].from, fl)) {
				best = k;
				blen = fl;
			}
		}
		if (best < an->nmaps) {
			sbuf_addstr(&sb, an->maps[best].to);
			i += blen;
		} else {
			sbuf_addch(&sb, s[i++]);
		}
	}
	if (!an->script)
		return sbuf_detach(&sb, NULL);
	for (i = 0; i < sb.len; i += (size_t)len) {
		len = u8_mbtouc(&c, (const uint8_t *)sb.buf + i, sb.len - i);
		if (len < 1)
			len = 1;
		if (i && ((is_cjk(prev) && is_other(c)) ||
			  (is_other(prev) && is_cjk(c))))
			sbuf_addch(&out, ' ');
		sbuf_add(&out, sb.buf + i, (size_t)len);
		prev = c;
	}
	sbuf_release(&sb);
	return sbuf_detach(&out, NULL);
}

enum tok_type { T_ALNUM, T_HANGUL, T_IDEO, T_HIRA, T_KATA };

struct atok {
	char *text;
	size_t start, end; /* in the filtered text */
	enum tok_type type;
};

/* Lucene's token type, from the characters of a UAX #29 segment. */
static enum tok_type segment_type(const uint8_t *s, size_t n, bool *word)
{
	bool hangul = true, kata = true;
	size_t i, chars = 0;
	enum tok_type one = T_ALNUM;
	ucs4_t c;
	int len;

	*word = false;
	for (i = 0; i < n; i += (size_t)len, chars++) {
		len = u8_mbtouc(&c, s + i, n - i);
		if (len < 1)
			len = 1;
		if (uc_is_general_category(c, UC_CATEGORY_L) ||
		    uc_is_general_category(c, UC_CATEGORY_N))
			*word = true;
		if (!script_is(c, "Hangul") &&
		    !uc_is_general_category(c, UC_CATEGORY_M))
			hangul = false;
		/* ー and its half-width form, ﾞ and ﾟ: WB=Katakana */
		if (!script_is(c, "Katakana") && c != 0x30fc && c != 0xff70 &&
		    c != 0xff9e && c != 0xff9f)
			kata = false;
		one = script_is(c, "Han")      ? T_IDEO :
		      script_is(c, "Hiragana") ? T_HIRA :
						 T_ALNUM;
	}
	if (chars == 1 && one != T_ALNUM)
		return one;
	return hangul ? T_HANGUL : kata ? T_KATA : T_ALNUM;
}

/* cjk_width: full-width ASCII to ASCII, half-width katakana to full. */
static char *cjk_width(const char *s)
{
	struct sbuf sb = SBUF_INIT;
	uint8_t buf[8], *norm, tmp[16];
	size_t i, n = strlen(s), nlen;
	ucs4_t c;
	int len, l2;

	for (i = 0; i < n; i += (size_t)len) {
		len = u8_mbtouc(&c, (const uint8_t *)s + i, n - i);
		if (len < 1)
			len = 1;
		if (c >= 0xff01 && c <= 0xff5e) {
			sbuf_addch(&sb, (int)(c - 0xfee0));
		} else if (c >= 0xff65 && c <= 0xff9f) {
			l2 = u8_uctomb(buf, c, sizeof(buf));
			nlen = sizeof(tmp);
			norm = u8_normalize(UNINORM_NFKC, buf, (size_t)l2, tmp,
					    &nlen);
			sbuf_add(&sb, norm, nlen);
			if (norm != tmp)
				free(norm);
		} else {
			sbuf_add(&sb, s + i, (size_t)len);
		}
	}
	return sbuf_detach(&sb, NULL);
}

static void atok_push(struct atok **t, size_t *n, char *text, size_t start,
		      size_t end, enum tok_type type)
{
	*t = xrealloc(*t, (*n + 1) * sizeof(**t));
	(*t)[*n].text = text;
	(*t)[*n].start = start;
	(*t)[*n].end = end;
	(*t)[(*n)++].type = type;
}

/* cjk_bigram: runs of adjacent CJK tokens become their bigrams; a run of
 * one character stays a unigram. */
static void cjk_bigram(struct atok **t, size_t *n)
{
	struct atok *out = NULL;
	size_t nout = 0, i = 0, j, k, m, nc;
	size_t offs[1024];

	while (i < *n) {
		if ((*t)[i].type == T_ALNUM) {
			atok_push(&out, &nout, (*t)[i].text, (*t)[i].start,
				  (*t)[i].end, T_ALNUM);
			i++;
			continue;
		}
		for (j = i + 1; j < *n && (*t)[j].type != T_ALNUM &&
				(*t)[j].start == (*t)[j - 1].end;
		     j++)
			;
		/* the run's characters: byte offsets into one string */
		{
			struct sbuf run = SBUF_INIT;
			ucs4_t c;
			int len;

			for (k = i; k < j; k++) {
				sbuf_addstr(&run, (*t)[k].text);
				free((*t)[k].text);
			}
			for (m = 0, nc = 0; m < run.len && nc < 1023;
			     m += (size_t)len) {
				len = u8_mbtouc(&c,
						(const uint8_t *)run.buf + m,
						run.len - m);
				if (len < 1)
					len = 1;
				offs[nc++] = m;
			}
			offs[nc] = run.len;
			if (nc == 1)
				atok_push(&out, &nout, xstrdup(run.buf),
					  (*t)[i].start, (*t)[j - 1].end,
					  T_IDEO);
			for (m = 0; m + 1 < nc; m++)
				atok_push(&out, &nout,
					  xmemdupz(run.buf + offs[m],
						   offs[m + 2] - offs[m]),
					  (*t)[i].start, (*t)[j - 1].end,
					  T_IDEO);
			sbuf_release(&run);
		}
		i = j;
	}
	free(*t);
	*t = out;
	*n = nout;
}

/* The tokens of s through a custom analyzer. */
static size_t analyze_custom(const struct analyzer *an, const char *s,
			     char ***out)
{
	char *f = char_filter(an, s), *brk, *x, **res;
	struct atok *t = NULL;
	size_t n = strlen(f), i, start, ntok = 0;
	enum tok_type type;
	bool word;

	brk = xcalloc(n + 1, 1);
	u8_wordbreaks((const uint8_t *)f, n, brk);
	for (start = 0, i = 1; i <= n; i++) {
		if (i < n && !brk[i])
			continue;
		type = segment_type((const uint8_t *)f + start, i - start,
				    &word);
		if (word) {
			x = xmemdupz(f + start, i - start);
			if (an->width) {
				char *w = cjk_width(x);

				free(x);
				x = w;
			}
			if (an->lower) {
				size_t ln;
				uint8_t *l = u8_tolower((const uint8_t *)x,
							strlen(x), NULL, NULL,
							NULL, &ln);

				free(x);
				x = xmemdupz(l, ln);
				free(l);
			}
			atok_push(&t, &ntok, x, start, i, type);
		}
		start = i;
	}
	if (an->bigram)
		cjk_bigram(&t, &ntok);
	res = xcalloc(ntok + 1, sizeof(*res));
	for (i = 0; i < ntok; i++)
		res[i] = t[i].text;
	free(t);
	free(brk);
	free(f);
	*out = res;
	return ntok;
}

/* ---- indices and aliases ---------------------------------------------- */

static struct index *index_find(const char *name)
{
	size_t i;

	for (i = 0; i < nindices; i++)
		if (!strcmp(indices[i]->name, name))
			return indices[i];
	return NULL;
}

static bool index_has_alias(const struct index *ix, const char *alias)
{
	size_t i;

	for (i = 0; i < ix->naliases; i++)
		if (!strcmp(ix->aliases[i], alias))
			return true;
	return false;
}

static bool alias_exists(const char *alias)
{
	size_t i;

	for (i = 0; i < nindices; i++)
		if (index_has_alias(indices[i], alias))
			return true;
	return false;
}

/*
 * resolve: the one index a name means (an index, or an alias on exactly
 * one index). NULL with the ES error answered otherwise; require_alias:
 * the name must be an alias.
 */
static struct index *resolve(const char *name, bool require_alias,
			     struct answer *a)
{
	struct index *ix = require_alias ? NULL : index_find(name), *hit = NULL;
	size_t i, n = 0;

	if (ix)
		return ix;
	for (i = 0; i < nindices; i++)
		if (index_has_alias(indices[i], name)) {
			hit = indices[i];
			n++;
		}
	if (n == 1)
		return hit;
	if (n > 1) {
		fail(a, 400,
		     es_err("illegal_argument_exception", NULL,
			    "no write index is defined for alias [%s]", name));
		return NULL;
	}
	if (require_alias)
		fail(a, 404,
		     es_err("index_not_found_exception", name,
			    "no such index [%s] and [require_alias] "
			    "request flag is [true] and [%s] is not an "
			    "alias",
			    name, name));
	else
		fail(a, 404,
		     es_err("index_not_found_exception", name,
			    "no such index [%s]", name));
	return NULL;
}

static void index_free(struct index *ix)
{
	size_t i;

	for (i = 0; i < ix->ndocs; i++) {
		free(ix->docs[i].id);
		json_object_put(ix->docs[i].src);
		json_object_put(ix->docs[i].vis);
	}
	for (i = 0; i < ix->naliases; i++)
		free(ix->aliases[i]);
	free(ix->aliases);
	free(ix->docs);
	for (i = 0; i < ix->nan; i++)
		analyzer_free(&ix->an[i]);
	free(ix->an);
	json_object_put(ix->props);
	free(ix->name);
	free(ix);
}

static void index_refresh(struct index *ix)
{
	size_t i;

	for (i = 0; i < ix->ndocs; i++) {
		json_object_put(ix->docs[i].vis);
		ix->docs[i].vis = json_object_get(ix->docs[i].src);
	}
	stat.refreshes++;
}

static const char *const field_types[] = {
	"text", "keyword", "long",  "integer", "short",
	"byte", "double",  "float", "date",    "boolean",
};

/* A field's mapping: "name", or "name.word" for a multi-field. */
static struct json_object *field_spec(const struct index *ix, const char *field)
{
	struct json_object *f, *subs, *sub;
	const char *dot = strchr(field, '.');
	char base[128];

	if (!dot)
		return json_object_object_get_ex(ix->props, field, &f) ? f :
									 NULL;
	snprintf(base, sizeof(base), "%.*s", (int)(dot - field), field);
	if (!json_object_object_get_ex(ix->props, base, &f) ||
	    !json_object_object_get_ex(f, "fields", &subs) ||
	    !json_object_object_get_ex(subs, dot + 1, &sub))
		return NULL;
	return sub;
}

static const char *field_type(const struct index *ix, const char *field)
{
	struct json_object *f = field_spec(ix, field);

	return f ? jsonx_get_str(f, "type") : NULL;
}

/* A field's analyzer: NULL for the standard one. */
static const struct analyzer *field_analyzer(const struct index *ix,
					     const char *field)
{
	struct json_object *f = field_spec(ix, field);
	const char *name = f ? jsonx_get_str(f, "analyzer") : NULL;
	size_t i;

	for (i = 0; name && i < ix->nan; i++)
		if (!strcmp(ix->an[i].name, name))
			return &ix->an[i];
	return NULL;
}

/* A field's analyzer name is "standard" or one of the index's. */
static bool analyzer_known(const struct index *ix, struct json_object *spec)
{
	const char *name = jsonx_get_str(spec, "analyzer");
	size_t i;

	if (!name || !strcmp(name, "standard"))
		return true;
	for (i = 0; i < ix->nan; i++)
		if (!strcmp(ix->an[i].name, name))
			return true;
	return false;
}

static bool is_numeric_type(const char *t)
{
	return t && (!strcmp(t, "long") || !strcmp(t, "integer") ||
		     !strcmp(t, "short") || !strcmp(t, "byte") ||
		     !strcmp(t, "double") || !strcmp(t, "float"));
}

static bool valid_index_name(const char *n)
{
	const char *p;

	if (!*n || *n == '_' || *n == '-' || *n == '+' || strlen(n) > 255 ||
	    !strcmp(n, ".") || !strcmp(n, ".."))
		return false;
	for (p = n; *p; p++)
		if (isupper((unsigned char)*p) || strchr("\\/*?\"<>| ,#:", *p))
			return false;
	return true;
}

/* PUT /<index> */
static void create_index(const char *name, struct json_object *body,
			 struct answer *a)
{
	struct json_object *m = NULL, *props = NULL, *dyn, *al = NULL, *o;
	struct index *ix;
	const char *t;
	size_t i;

	if (!valid_index_name(name)) {
		fail(a, 400,
		     es_err("invalid_index_name_exception", name,
			    "Invalid index name [%s]", name));
		return;
	}
	if (index_find(name)) {
		fail(a, 400,
		     es_err("resource_already_exists_exception", name,
			    "index [%s/stub] already exists", name));
		return;
	}
	if (alias_exists(name)) {
		fail(a, 400,
		     es_err("invalid_index_name_exception", name,
			    "Invalid index name [%s], already exists "
			    "as alias",
			    name));
		return;
	}
	if (body)
		json_object_object_get_ex(body, "mappings", &m);
	if (m)
		json_object_object_get_ex(m, "properties", &props);
	if (props) {
		json_object_object_foreach (props, field, spec) {
			t = jsonx_get_str(spec, "type");
			if (!t) {
				fail(a, 400,
				     es_err("mapper_parsing_exception", NULL,
					    "No type specified "
					    "for field [%s]",
					    field));
				return;
			}
			for (i = 0; i < ARRAY_SIZE(field_types); i++)
				if (!strcmp(t, field_types[i]))
					break;
			if (i == ARRAY_SIZE(field_types)) {
				fail(a, 400,
				     es_err("mapper_parsing_exception", NULL,
					    "No handler for type "
					    "[%s] declared on field "
					    "[%s]",
					    t, field));
				return;
			}
		}
	}
	ix = xcalloc(1, sizeof(*ix));
	ix->name = xstrdup(name);
	ix->props = props ? json_object_get(props) : json_object_new_object();
	if (body && json_object_object_get_ex(body, "settings", &o) &&
	    json_object_object_get_ex(o, "analysis", &o)) {
		struct json_object *err = analyzers_parse(o, &ix->an, &ix->nan);

		if (err) {
			index_free(ix);
			fail(a, 400, err);
			return;
		}
	}
	json_object_object_foreach (ix->props, pf, pspec) {
		struct json_object *subs = NULL;

		if (!analyzer_known(ix, pspec)) {
			index_free(ix);
			fail(a, 400,
			     es_err("mapper_parsing_exception", NULL,
				    "analyzer [%s] has not been "
				    "configured in mappings",
				    jsonx_get_str(pspec, "analyzer")));
			return;
		}
		json_object_object_get_ex(pspec, "fields", &subs);
		if (!subs)
			continue;
		json_object_object_foreach (subs, sf, sspec) {
			t = jsonx_get_str(sspec, "type");
			if (!t || (strcmp(t, "text") && strcmp(t, "keyword")) ||
			    !analyzer_known(ix, sspec)) {
				index_free(ix);
				fail(a, 400,
				     es_err("mapper_parsing_exception", NULL,
					    "multi-field [%s.%s]"
					    ": the stub takes text or "
					    "keyword with a known "
					    "analyzer",
					    pf, sf));
				return;
			}
		}
	}
	if (m && json_object_object_get_ex(m, "dynamic", &dyn))
		ix->strict = !strcmp(json_object_get_string(dyn), "strict");
	if (body && json_object_object_get_ex(body, "aliases", &al) &&
	    json_object_is_type(al, json_type_object)) {
		json_object_object_foreach (al, alias, v) {
			(void)v;
			if (index_find(alias)) {
				index_free(ix);
				fail(a, 400,
				     es_err("invalid_alias_name_exception",
					    alias,
					    "Invalid alias name "
					    "[%s]: an index or data "
					    "stream exists with the "
					    "same name as the alias",
					    alias));
				return;
			}
		}
		json_object_object_foreach (al, alias2, v2) {
			(void)v2;
			ix->aliases =
				xrealloc(ix->aliases,
					 (ix->naliases + 1) * sizeof(char *));
			ix->aliases[ix->naliases++] = xstrdup(alias2);
		}
	}
	indices = xrealloc(indices, (nindices + 1) * sizeof(*indices));
	indices[nindices++] = ix;
	o = acked();
	json_object_object_add(o, "shards_acknowledged",
			       json_object_new_boolean(1));
	json_object_object_add(o, "index", json_object_new_string(name));
	answer(a, 200, o);
}

/* DELETE /<index> */
static void delete_index(const char *name, struct answer *a)
{
	size_t i;

	for (i = 0; i < nindices; i++)
		if (!strcmp(indices[i]->name, name))
			break;
	if (i == nindices) {
		if (alias_exists(name))
			fail(a, 400,
			     es_err("illegal_argument_exception", NULL,
				    "The provided expression [%s] "
				    "matches an alias, specify the "
				    "corresponding concrete indices "
				    "instead.",
				    name));
		else
			fail(a, 404,
			     es_err("index_not_found_exception", name,
				    "no such index [%s]", name));
		return;
	}
	index_free(indices[i]);
	memmove(indices + i, indices + i + 1,
		(nindices - i - 1) * sizeof(*indices));
	nindices--;
	answer(a, 200, acked());
}

/* GET /_alias[/<name>] */
static void get_alias(const char *name, struct answer *a)
{
	struct json_object *o = json_object_new_object(), *al, *x;
	size_t i, j;

	for (i = 0; i < nindices; i++) {
		al = json_object_new_object();
		for (j = 0; j < indices[i]->naliases; j++)
			if (!name || !strcmp(name, indices[i]->aliases[j]))
				json_object_object_add(al,
						       indices[i]->aliases[j],
						       json_object_new_object());
		if (name && !json_object_object_length(al)) {
			json_object_put(al);
			continue;
		}
		x = json_object_new_object();
		json_object_object_add(x, "aliases", al);
		json_object_object_add(o, indices[i]->name, x);
	}
	if (name && !json_object_object_length(o)) {
		char msg[300];

		json_object_put(o);
		o = json_object_new_object();
		snprintf(msg, sizeof(msg), "alias [%s] missing", name);
		json_object_object_add(o, "error", json_object_new_string(msg));
		json_object_object_add(o, "status", json_object_new_int(404));
		answer(a, 404, o);
		return;
	}
	answer(a, 200, o);
}

/* POST /_aliases: every action is checked before any is applied. */
static void post_aliases(struct json_object *body, struct answer *a)
{
	struct json_object *acts = NULL, *act, *spec;
	const char *kind, *iname, *alias;
	struct index *ix;
	size_t i, pass, j;

	if (!body || !json_object_object_get_ex(body, "actions", &acts) ||
	    !json_object_is_type(acts, json_type_array) ||
	    !json_object_array_length(acts)) {
		fail(a, 400,
		     es_err("action_request_validation_exception", NULL,
			    "Validation Failed: 1: no "
			    "actions specified;"));
		return;
	}
	for (pass = 0; pass < 2; pass++) {
		for (i = 0; i < json_object_array_length(acts); i++) {
			act = json_object_array_get_idx(acts, i);
			kind = NULL;
			spec = NULL;
			json_object_object_foreach (act, k, v) {
				kind = k;
				spec = v;
				break;
			}
			iname = spec ? jsonx_get_str(spec, "index") : NULL;
			alias = spec ? jsonx_get_str(spec, "alias") : NULL;
			if (!kind || !iname ||
			    (strcmp(kind, "remove_index") && !alias)) {
				fail(a, 400,
				     es_err("illegal_argument_exception", NULL,
					    "[index] and [alias] "
					    "are required"));
				return;
			}
			ix = index_find(iname);
			if (!ix) {
				fail(a, 404,
				     es_err("index_not_found_exception", iname,
					    "no such index [%s]", iname));
				return;
			}
			if (!strcmp(kind, "add")) {
				if (index_find(alias)) {
					fail(a, 400,
					     es_err("invalid_alias_name_exception",
						    alias,
						    "Invalid alias name [%s]"
						    ": an index or data stream "
						    "exists with the same name as "
						    "the alias",
						    alias));
					return;
				}
				if (pass && !index_has_alias(ix, alias)) {
					ix->aliases =
						xrealloc(ix->aliases,
							 (ix->naliases +
							  1) * sizeof(char *));
					ix->aliases[ix->naliases++] =
						xstrdup(alias);
				}
			} else if (!strcmp(kind, "remove")) {
				if (!pass && !index_has_alias(ix, alias)) {
					fail(a, 404,
					     es_err("aliases_not_found_exception",
						    alias,
						    "aliases [%s] missing",
						    alias));
					return;
				}
				for (j = 0; pass && j < ix->naliases; j++)
					if (!strcmp(ix->aliases[j], alias)) {
						free(ix->aliases[j]);
						ix->aliases[j] =
							ix->aliases
								[--ix->naliases];
						break;
					}
			} else if (!strcmp(kind, "remove_index")) {
				if (pass) {
					struct answer tmp = { 0, NULL };

					delete_index(iname, &tmp);
					json_object_put(tmp.body);
				}
			} else {
				fail(a, 400,
				     es_err("parsing_exception", NULL,
					    "Unknown action [%s]", kind));
				return;
			}
		}
	}
	json_object_put(a->body);
	a->body = acked();
	json_object_object_add(a->body, "errors", json_object_new_boolean(0));
	a->status = 200;
}

/* ---- documents ----------------------------------------------------------- */

static struct doc *doc_find(struct index *ix, const char *id)
{
	size_t i;

	for (i = 0; i < ix->ndocs; i++)
		if (!strcmp(ix->docs[i].id, id))
			return &ix->docs[i];
	return NULL;
}

static struct doc *doc_add(struct index *ix, const char *id)
{
	struct doc *d;

	if (ix->ndocs == ix->alloc) {
		ix->alloc = ix->alloc ? ix->alloc * 2 : 16;
		ix->docs = xrealloc(ix->docs, ix->alloc * sizeof(*ix->docs));
	}
	d = &ix->docs[ix->ndocs++];
	memset(d, 0, sizeof(*d));
	d->id = xstrdup(id);
	return d;
}

static bool is_date(const char *s)
{
	return strlen(s) >= 10 && isdigit((unsigned char)s[0]) &&
	       isdigit((unsigned char)s[3]) && s[4] == '-' &&
	       isdigit((unsigned char)s[5]) && s[7] == '-' &&
	       isdigit((unsigned char)s[8]);
}

/* check_source: the document against the mapping; NULL or the error. */
static struct json_object *check_source(const struct index *ix,
					struct json_object *src, const char *id,
					int *status)
{
	const char *t;
	int64_t n;
	bool okv;

	*status = 400;
	if (!json_object_is_type(src, json_type_object))
		return es_err("document_parsing_exception", ix->name,
			      "[1:1] failed to parse: the document is not an "
			      "object");
	json_object_object_foreach (src, field, v) {
		t = field_type(ix, field);
		if (!t) {
			if (ix->strict)
				return es_err("strict_dynamic_mapping_exception",
					      ix->name,
					      "[1:2] mapping set to "
					      "strict, dynamic introduction of "
					      "[%s] within [_doc] is not "
					      "allowed",
					      field);
			continue;
		}
		if (!v)
			continue;
		okv = true;
		if (is_numeric_type(t)) {
			okv = jsonx_as_int(v, &n) ||
			      json_object_is_type(v, json_type_double);
			if (okv && !strcmp(t, "integer") && jsonx_as_int(v, &n))
				okv = n >= INT32_MIN && n <= INT32_MAX;
		} else if (!strcmp(t, "date")) {
			okv = (json_object_is_type(v, json_type_string) &&
			       is_date(json_object_get_string(v))) ||
			      jsonx_as_int(v, &n);
		} else if (!strcmp(t, "boolean")) {
			okv = json_object_is_type(v, json_type_boolean);
		} else {
			okv = !json_object_is_type(v, json_type_object) &&
			      !json_object_is_type(v, json_type_array);
		}
		if (!okv)
			return es_err("document_parsing_exception", ix->name,
				      "[1:2] failed to parse field [%s] of "
				      "type [%s] in document with id '%s'",
				      field, t, id);
	}
	return NULL;
}

/* The item body of a write: _index, _id, _version, result, ... */
static struct json_object *write_result(const struct index *ix,
					const struct doc *d, const char *result)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "_index", json_object_new_string(ix->name));
	json_object_object_add(o, "_id", json_object_new_string(d->id));
	json_object_object_add(o, "_version",
			       json_object_new_int64(d->version));
	json_object_object_add(o, "result", json_object_new_string(result));
	json_object_object_add(o, "_shards", shards());
	json_object_object_add(o, "_seq_no", json_object_new_int64(d->seq_no));
	json_object_object_add(o, "_primary_term", json_object_new_int(1));
	return o;
}

/* The conflict of an external version that is not higher. */
static struct json_object *conflict(const struct index *ix, const struct doc *d,
				    int64_t version)
{
	return es_err("version_conflict_engine_exception", ix->name,
		      "[%s]: version conflict, current version [%" PRId64
		      "] is higher or equal to the one provided [%" PRId64 "]",
		      d->id, d->version, version);
}

/*
 * op_index / op_delete: one write. version < 0: internal versioning.
 * Returns the status; *body the _doc answer or the error object (in
 * bulk items: "error"); *is_err which of the two.
 */
static int op_index(struct index *ix, const char *id, int64_t version,
		    bool create, struct json_object *src,
		    struct json_object **body, bool *is_err)
{
	struct doc *d = doc_find(ix, id);
	bool existed = d && d->src;
	int st;

	*is_err = true;
	if ((*body = check_source(ix, src, id, &st)))
		return st;
	if (create && existed) {
		*body = es_err("version_conflict_engine_exception", ix->name,
			       "[%s]: version conflict, document already "
			       "exists (current version [%" PRId64 "])",
			       id, d->version);
		return 409;
	}
	if (version >= 0 && d && d->version >= version) {
		*body = conflict(ix, d, version);
		return 409;
	}
	if (!d)
		d = doc_add(ix, id);
	d->version = version >= 0 ? version : d->version + 1;
	d->seq_no = ix->seq_no++;
	json_object_put(d->src);
	d->src = json_object_get(src);
	*is_err = false;
	*body = write_result(ix, d, existed ? "updated" : "created");
	return existed ? 200 : 201;
}

static int op_delete(struct index *ix, const char *id, int64_t version,
		     struct json_object **body, bool *is_err)
{
	struct doc *d = doc_find(ix, id);
	bool existed = d && d->src;

	*is_err = false;
	if (version >= 0 && d && d->version >= version) {
		*is_err = true;
		*body = conflict(ix, d, version);
		return 409;
	}
	/* Like ES, a delete leaves a tombstone that keeps its version. */
	if (!d)
		d = doc_add(ix, id);
	d->version = version >= 0 ? version : d->version + 1;
	d->seq_no = ix->seq_no++;
	json_object_put(d->src);
	d->src = NULL;
	*body = write_result(ix, d, existed ? "deleted" : "not_found");
	return existed ? 200 : 404;
}

/* version and version_type from a query string or bulk metadata:
 * -1 for internal versioning; -2 for a bad combination. */
static int64_t external_version(const char *version, const char *type)
{
	char *end;
	long long v;

	if (!type && !version)
		return -1;
	if (!type || strcmp(type, "external") || !version)
		return -2;
	errno = 0;
	v = strtoll(version, &end, 10);
	if (errno || *end || end == version || v < 0)
		return -2;
	return v;
}

/* ---- _bulk --------------------------------------------------------------- */

static bool id_rejected(const char *id)
{
	size_t i;

	for (i = 0; fault.bulk_400_ids &&
		    i < json_object_array_length(fault.bulk_400_ids);
	     i++)
		if (!strcmp(json_object_get_string(
				    json_object_array_get_idx(fault.bulk_400_ids,
							      i)),
			    id))
			return true;
	return false;
}

static const char *meta_str(struct json_object *meta, const char *key,
			    char buf[32])
{
	struct json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(meta, key, &v) || !v)
		return NULL;
	if (jsonx_as_int(v, &n)) {
		snprintf(buf, 32, "%" PRId64, n);
		return buf;
	}
	return json_object_get_string(v);
}

static void bulk(const char *path_index, bool require_alias, const char *b,
		 size_t len, struct answer *a)
{
	struct json_object *items = json_object_new_array(), *action = NULL,
			   *src = NULL, *meta, *item, *res, *o;
	struct err pe = ERR_INIT;
	const char *p = b, *end = b + len, *nl, *kind, *iname, *id;
	char vbuf[32], ibuf[32], auto_id[32];
	struct index *ix;
	struct answer ra = { 0, NULL };
	bool errors = false, is_err;
	double t0 = now_ms();
	int64_t version;
	int st;

	stat.bulk_requests++;
	if (!len || b[len - 1] != '\n') {
		json_object_put(items);
		fail(a, 400,
		     es_err("illegal_argument_exception", NULL,
			    "The bulk request must be terminated by a "
			    "newline [\\n]"));
		return;
	}
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == p) {
			p++;
			continue;
		}
		if (jsonx_parse(p, (size_t)(nl - p), &action, &pe) < 0 ||
		    !json_object_is_type(action, json_type_object) ||
		    json_object_object_length(action) != 1) {
			fail(a, 400,
			     es_err("x_content_parse_exception", NULL,
				    "Malformed action/metadata line: "
				    "%s",
				    pe.msg[0] ? pe.msg :
						"expected one action"));
			goto out;
		}
		p = nl + 1;
		kind = NULL;
		meta = NULL;
		json_object_object_foreach (action, k, v) {
			kind = k;
			meta = v;
		}
		if (strcmp(kind, "index") && strcmp(kind, "create") &&
		    strcmp(kind, "delete")) {
			fail(a, 400,
			     es_err("illegal_argument_exception", NULL,
				    "Malformed action/metadata line, "
				    "expected one of [create, delete, "
				    "index, update] but found [%s]",
				    kind));
			goto out;
		}
		if (strcmp(kind, "delete")) {
			nl = p < end ? memchr(p, '\n', (size_t)(end - p)) :
				       NULL;
			if (!nl ||
			    jsonx_parse(p, (size_t)(nl - p), &src, &pe) < 0) {
				fail(a, 400,
				     es_err("x_content_parse_exception", NULL,
					    "the source of a "
					    "[%s] action is missing or "
					    "malformed",
					    kind));
				goto out;
			}
			p = nl + 1;
		}
		iname = jsonx_get_str(meta, "_index");
		if (!iname)
			iname = path_index;
		id = meta_str(meta, "_id", ibuf);
		version = external_version(meta_str(meta, "version", vbuf),
					   jsonx_get_str(meta, "version_type"));
		if (!iname || (!id && !strcmp(kind, "delete")) ||
		    version == -2) {
			fail(a, 400,
			     es_err("action_request_validation_exception", NULL,
				    "Validation Failed: 1: index "
				    "is missing, id is missing or the "
				    "version is illegal;"));
			goto out;
		}
		if (!id) {
			snprintf(auto_id, sizeof(auto_id), "auto%ld",
				 stat.bulk_items);
			id = auto_id;
		}
		stat.bulk_items++;
		res = NULL;
		is_err = true;
		if (fault.bulk_429_every > 0 &&
		    stat.bulk_items % fault.bulk_429_every == 0) {
			stat.rejected_429++;
			st = 429;
			res = es_err("es_rejected_execution_exception", iname,
				     "rejected execution of coordinating "
				     "operation [stub]");
		} else if (id_rejected(id)) {
			stat.rejected_400++;
			st = 400;
			res = es_err("document_parsing_exception", iname,
				     "[1:1] failed to parse (injected by the "
				     "stub) in document with id '%s'",
				     id);
		} else if (!(ix = resolve(iname, require_alias, &ra))) {
			st = ra.status;
			json_object_object_get_ex(ra.body, "error", &o);
			res = json_object_get(o);
		} else if (!strcmp(kind, "delete")) {
			st = op_delete(ix, id, version, &res, &is_err);
		} else {
			st = op_index(ix, id, version, !strcmp(kind, "create"),
				      src, &res, &is_err);
		}
		json_object_put(ra.body);
		ra.body = NULL;
		item = json_object_new_object();
		if (is_err) {
			o = json_object_new_object();
			json_object_object_add(o, "_index",
					       json_object_new_string(iname));
			json_object_object_add(o, "_id",
					       json_object_new_string(id));
			json_object_object_add(o, "status",
					       json_object_new_int(st));
			json_object_object_add(o, "error", res);
			errors = true;
		} else {
			o = res;
			json_object_object_add(o, "status",
					       json_object_new_int(st));
		}
		json_object_object_add(item, kind, o);
		json_object_array_add(items, item);
		json_object_put(action);
		json_object_put(src);
		action = src = NULL;
	}
	o = json_object_new_object();
	json_object_object_add(o, "took",
			       json_object_new_int((int)(now_ms() - t0)));
	json_object_object_add(o, "errors", json_object_new_boolean(errors));
	json_object_object_add(o, "items", json_object_get(items));
	answer(a, 200, o);
out:
	err_release(&pe);
	json_object_put(action);
	json_object_put(src);
	json_object_put(items);
}

/* ---- _search ------------------------------------------------------------- */

/* Tokens of the standard analyzer, roughly: runs of ASCII letters and
 * digits and of any non-ASCII bytes (Hangul, accented letters), lower-
 * cased. The caller frees the array and each token. */
static size_t tokenize(const char *s, char ***out)
{
	char **t = NULL;
	size_t n = 0, len;
	const unsigned char *p = (const unsigned char *)s;

	while (s && *p) {
		while (*p && !isalnum(*p) && *p < 0x80)
			p++;
		if (!*p)
			break;
		for (len = 0; p[len] && (isalnum(p[len]) || p[len] >= 0x80);
		     len++)
			;
		t = xrealloc(t, (n + 1) * sizeof(*t));
		t[n] = xmemdupz(p, len);
		for (size_t i = 0; i < len; i++)
			t[n][i] = (char)tolower((unsigned char)t[n][i]);
		n++;
		p += len;
	}
	*out = t;
	return n;
}

static void tokens_free(char **t, size_t n)
{
	while (n)
		free(t[--n]);
	free(t);
}

/* The tokens of a field's text: its analyzer's, or the standard one's. */
static size_t tokenize_field(const struct index *ix, const char *field,
			     const char *s, char ***out)
{
	const struct analyzer *an = field_analyzer(ix, field);

	if (an && s)
		return analyze_custom(an, s, out);
	return tokenize(s, out);
}

/* One search's memo of a document field's tokens, and of a field's
 * statistics for a query: a search evaluates every document, and every
 * evaluation would otherwise analyse every document again. */
struct memo {
	const void *src; /* the document (NULL: the statistics) */
	char *key; /* field, or field and query */
	char **t;
	size_t n;
	double docs, avgdl, *df;
};

/* A search: the index, its visible documents and the field statistics
 * BM25 needs. */
struct ctx {
	struct index *ix;
	struct answer *a;
	bool failed;
	struct memo *memo;
	size_t nmemo, memocap;
};

static size_t memo_slot(const struct ctx *c, const void *src, const char *key)
{
	uint64_t h = (uint64_t)(uintptr_t)src * 0x9e3779b97f4a7c15ULL;
	const unsigned char *p;

	for (p = (const unsigned char *)key; *p; p++)
		h = (h ^ *p) * 0x100000001b3ULL;
	return (size_t)(h % c->memocap);
}

/* The memo entry of (src, key): found, or empty for the caller to fill
 * (NULL when the memo is full: the caller does without). */
static struct memo *memo_get(struct ctx *c, const void *src, const char *key,
			     bool *found)
{
	size_t i;

	*found = false;
	if (!c->memo) {
		c->memocap = 8 * c->ix->ndocs + 256;
		c->memo = xcalloc(c->memocap, sizeof(*c->memo));
	}
	for (i = memo_slot(c, src, key); c->memo[i].key;
	     i = (i + 1) % c->memocap)
		if (c->memo[i].src == src && !strcmp(c->memo[i].key, key)) {
			*found = true;
			return &c->memo[i];
		}
	if (4 * (c->nmemo + 1) > 3 * c->memocap)
		return NULL;
	c->nmemo++;
	c->memo[i].src = src;
	c->memo[i].key = xstrdup(key);
	return &c->memo[i];
}

static void memo_free(struct ctx *c)
{
	size_t i;

	for (i = 0; i < c->memocap; i++)
		if (c->memo[i].key) {
			free(c->memo[i].key);
			tokens_free(c->memo[i].t, c->memo[i].n);
			free(c->memo[i].df);
		}
	free(c->memo);
}

/* A document field's tokens (src a document, or a query string, which
 * key then tells apart), memoized: *owned says whether the caller must
 * free them. */
static size_t doc_tokens(struct ctx *c, const void *src, const char *key,
			 const char *field, const char *text, char ***out,
			 bool *owned)
{
	bool found;
	struct memo *m = memo_get(c, src, key, &found);

	*owned = !m;
	if (found) {
		*out = m->t;
		return m->n;
	}
	if (!m)
		return tokenize_field(c->ix, field, text, out);
	m->n = tokenize_field(c->ix, field, text, &m->t);
	*out = m->t;
	return m->n;
}

/* A field's text in a document; "name.word" reads "name". */
static const char *doc_text(struct json_object *src, const char *field)
{
	struct json_object *v;
	const char *dot = strchr(field, '.');
	char base[128];

	if (dot) {
		snprintf(base, sizeof(base), "%.*s", (int)(dot - field), field);
		field = base;
	}
	if (!json_object_object_get_ex(src, field, &v) || !v)
		return NULL;
	return json_object_get_string(v);
}

static void ctx_fail(struct ctx *c, int status, struct json_object *err)
{
	if (!c->failed)
		fail(c->a, status, err);
	else
		json_object_put(err);
	c->failed = true;
}

static bool eval(struct ctx *c, struct json_object *q, struct json_object *src,
		 double *score);

/* minimum_should_match as a count: an integer, or a string of one
 * (percentages are not implemented: 0, no minimum). */
static long msm_value(struct json_object *spec)
{
	struct json_object *v;
	const char *s;
	char *end;
	long n;

	if (!json_object_object_get_ex(spec, "minimum_should_match", &v))
		return 0;
	if (json_object_is_type(v, json_type_int))
		return (long)json_object_get_int64(v);
	s = json_object_get_string(v);
	n = strtol(s, &end, 10);
	return *end ? 0 : n;
}

/* bool: must (scored), filter (not scored), should, must_not. */
static bool eval_bool(struct ctx *c, struct json_object *spec,
		      struct json_object *src, double *score)
{
	static const char *const keys[] = { "must", "filter", "should",
					    "must_not" };
	struct json_object *v, *cl;
	size_t k, i, n, nshould = 0, should_hit = 0;
	bool required = false, m;
	double s;

	*score = 0;
	json_object_object_foreach (spec, key, val) {
		(void)val;
		for (k = 0; k < ARRAY_SIZE(keys); k++)
			if (!strcmp(key, keys[k]))
				break;
		if (k == ARRAY_SIZE(keys) && strcmp(key, "boost") &&
		    strcmp(key, "minimum_should_match")) {
			ctx_fail(c, 400,
				 es_err("x_content_parse_exception", NULL,
					"[bool] query does not "
					"support [%s]",
					key));
			return false;
		}
	}
	for (k = 0; k < ARRAY_SIZE(keys); k++) {
		if (!json_object_object_get_ex(spec, keys[k], &v))
			continue;
		n = json_object_is_type(v, json_type_array) ?
			    json_object_array_length(v) :
			    1;
		for (i = 0; i < n; i++) {
			cl = json_object_is_type(v, json_type_array) ?
				     json_object_array_get_idx(v, i) :
				     v;
			s = 0;
			m = eval(c, cl, src, &s);
			if (c->failed)
				return false;
			switch (k) {
			case 0: /* must */
				required = true;
				if (!m)
					return false;
				*score += s;
				break;
			case 1: /* filter */
				required = true;
				if (!m)
					return false;
				break;
			case 2: /* should */
				nshould++;
				if (m) {
					should_hit++;
					*score += s;
				}
				break;
			default: /* must_not */
				if (m)
					return false;
			}
		}
	}
	/* With must or filter the should clauses are optional, unless
	 * minimum_should_match says how many must match. */
	if (msm_value(spec) > 0)
		return should_hit >= (size_t)msm_value(spec);
	return required ? true : (nshould ? should_hit > 0 : true);
}

/* "name^2" -> field name, boost 2. */
static void field_boost(const char *spec, char *field, size_t size,
			double *boost)
{
	const char *hat = strchr(spec, '^');

	*boost = 1;
	if (!hat) {
		snprintf(field, size, "%s", spec);
		return;
	}
	snprintf(field, size, "%.*s", (int)(hat - spec), spec);
	*boost = strtod(hat + 1, NULL);
}

/* Statistics of one text field over the visible documents: how many
 * have it, their mean length, and how many contain each query word. */
struct fstats {
	double docs, avgdl;
	double *df; /* per query word */
};

static void field_stats(struct ctx *c, const char *field, char **q, size_t nq,
			struct fstats *fs)
{
	char **t;
	size_t i, j, k, n, total = 0;
	bool has, owned, found;
	struct sbuf key = SBUF_INIT;
	struct memo *m;

	sbuf_addstr(&key, field);
	for (j = 0; j < nq; j++)
		sbuf_addf(&key, "\x01%s", q[j]);
	m = memo_get(c, NULL, key.buf, &found);
	sbuf_release(&key);
	fs->df = xcalloc(nq + 1, sizeof(double));
	if (found) {
		fs->docs = m->docs;
		fs->avgdl = m->avgdl;
		memcpy(fs->df, m->df, nq * sizeof(double));
		return;
	}
	fs->docs = 0;
	for (i = 0; i < c->ix->ndocs; i++) {
		struct json_object *s = c->ix->docs[i].vis;

		if (!s || !doc_text(s, field))
			continue;
		fs->docs++;
		n = doc_tokens(c, s, field, field, doc_text(s, field), &t,
			       &owned);
		total += n;
		for (j = 0; j < nq; j++) {
			for (k = 0, has = false; k < n && !has; k++)
				has = !strcmp(t[k], q[j]);
			fs->df[j] += has;
		}
		if (owned)
			tokens_free(t, n);
	}
	fs->avgdl = fs->docs ? (double)total / fs->docs : 1;
	if (m) {
		m->docs = fs->docs;
		m->avgdl = fs->avgdl;
		m->df = xcalloc(nq + 1, sizeof(double));
		memcpy(m->df, fs->df, nq * sizeof(double));
	}
}

static double idf(double docs, double df)
{
	return log(1 + (docs - df + 0.5) / (df + 0.5));
}

/*
 * Full-text matching of query on fields (with ^boosts), BM25 (k1 1.2,
 * b 0.75) as Lucene scores it. best_fields: the best field's score;
 * most_fields: their sum; cross_fields: the fields read as one, each word
 * with one blended document frequency (the highest of the fields), scored
 * in the field where it weighs most. op "and": every word must match (in
 * one field for best/most_fields, anywhere for cross_fields).
 */
static bool eval_text(struct ctx *c, const char *query, const char *op,
		      long msm, const char *type, struct json_object *fields,
		      struct json_object *src, double *score)
{
	const double k1 = 1.2, b = 0.75;
	size_t nq, nf = json_object_array_length(fields), i, j, f, ndt;
	char **q, **dt, field[128];
	bool all = op && !strcasecmp(op, "and"), any = false, m;
	bool cross = type && !strcmp(type, "cross_fields");
	bool most = type && !strcmp(type, "most_fields");
	double *boost = xcalloc(nf + 1, sizeof(double));
	double *tfn = NULL, blend_docs = 0, blend_df, best = 0, sum = 0, s;
	struct fstats *fs = xcalloc(nf + 1, sizeof(*fs));
	const char **names = xcalloc(nf + 1, sizeof(char *));
	char(*fname)[128] = xcalloc(nf + 1, sizeof(*fname));
	const struct analyzer *an = NULL;
	const char *t;
	size_t hits, uniq = 0, *mult, hits_m;
	bool dt_owned;

	/* The query is analysed as its fields are: one analyzer for all. */
	for (f = 0; f < nf; f++) {
		field_boost(json_object_get_string(
				    json_object_array_get_idx(fields, f)),
			    field, sizeof(field), &boost[f]);
		if (f && field_analyzer(c->ix, field) != an) {
			ctx_fail(c, 400,
				 es_err("parsing_exception", NULL,
					"the stub needs one analyzer "
					"for the fields of a query"));
			free(boost);
			free(fs);
			free(names);
			free(fname);
			return false;
		}
		an = field_analyzer(c->ix, field);
	}
	{
		/* the query's tokens, memoized like a document's, copied
		 * since the loop below reorders them */
		char **mq, key[160];
		bool owned;

		snprintf(key, sizeof(key), "\x02%s", field);
		nq = doc_tokens(c, query, key, field, query, &mq, &owned);
		q = xcalloc(nq + 1, sizeof(*q));
		for (i = 0; i < nq; i++)
			q[i] = owned ? mq[i] : xstrdup(mq[i]);
		if (owned)
			free(mq);
	}
	mult = xcalloc(nq + 1, sizeof(*mult));
	/* A repeated word is scored once; minimum_should_match counts it
	 * as often as it is there (one clause each, as in Lucene). */
	for (i = 0; i < nq; i++) {
		for (j = 0; j < uniq; j++)
			if (!strcmp(q[i], q[j]))
				break;
		if (j == uniq) {
			char *x = q[uniq];

			q[uniq++] = q[i];
			q[i] = x;
		}
		mult[j]++;
	}
	tfn = xcalloc(nf * (uniq + 1) + 1, sizeof(double));
	for (f = 0; f < nf; f++) {
		field_boost(json_object_get_string(
				    json_object_array_get_idx(fields, f)),
			    field, sizeof(field), &boost[f]);
		t = field_type(c->ix, field);
		names[f] = NULL;
		if (!t)
			continue;
		snprintf(fname[f], sizeof(fname[f]), "%s", field);
		names[f] = fname[f];
		if (!strcmp(t, "keyword")) {
			/* A keyword field matches the whole value only. */
			m = doc_text(src, names[f]) &&
			    !strcmp(doc_text(src, names[f]), query);
			if (m) {
				any = true;
				sum += boost[f];
				best = boost[f] > best ? boost[f] : best;
			}
			names[f] = NULL;
			continue;
		}
		if (strcmp(t, "text")) {
			names[f] = NULL;
			continue;
		}
		field_stats(c, names[f], q, uniq, &fs[f]);
		if (fs[f].docs > blend_docs)
			blend_docs = fs[f].docs;
		ndt = doc_tokens(c, src, names[f], names[f],
				 doc_text(src, names[f]), &dt, &dt_owned);
		for (j = 0; j < uniq; j++) {
			double tf = 0;

			for (i = 0; i < ndt; i++)
				tf += !strcmp(dt[i], q[j]);
			if (tf > 0)
				tfn[f * uniq + j] =
					tf * (k1 + 1) /
					(tf +
					 k1 * (1 - b +
					       b * (double)ndt / fs[f].avgdl));
		}
		if (dt_owned)
			tokens_free(dt, ndt);
	}
	if (cross) {
		hits = 0;
		for (j = 0; j < uniq; j++) {
			double top = 0;

			blend_df = 0;
			for (f = 0; f < nf; f++)
				if (names[f] && fs[f].df[j] > blend_df)
					blend_df = fs[f].df[j];
			for (f = 0; f < nf; f++) {
				if (!names[f] || tfn[f * uniq + j] == 0)
					continue;
				s = boost[f] * idf(blend_docs, blend_df) *
				    tfn[f * uniq + j];
				top = s > top ? s : top;
			}
			if (top > 0) {
				hits++;
				sum += top;
			}
		}
		if (hits && (!all || hits == uniq)) {
			any = true;
			best = sum;
		}
	} else {
		for (f = 0; f < nf; f++) {
			if (!names[f])
				continue;
			s = 0;
			hits = hits_m = 0;
			for (j = 0; j < uniq; j++) {
				if (tfn[f * uniq + j] == 0)
					continue;
				hits++;
				hits_m += mult[j];
				s += boost[f] * idf(fs[f].docs, fs[f].df[j]) *
				     tfn[f * uniq + j];
			}
			if (!hits || (all && hits != uniq) ||
			    (msm > 0 && hits_m < (size_t)msm))
				continue;
			any = true;
			sum += s;
			best = s > best ? s : best;
		}
	}
	*score = most ? sum : best;
	for (f = 0; f < nf; f++)
		free(fs[f].df);
	free(fs);
	free(names);
	free(fname);
	free(mult);
	free(tfn);
	free(boost);
	tokens_free(q, nq);
	return any;
}

static bool eval_multi_match(struct ctx *c, struct json_object *spec,
			     struct json_object *src, double *score)
{
	struct json_object *fields, *qv;

	if (!json_object_object_get_ex(spec, "query", &qv) ||
	    !json_object_is_type(qv, json_type_string) ||
	    !json_object_object_get_ex(spec, "fields", &fields) ||
	    !json_object_is_type(fields, json_type_array)) {
		ctx_fail(c, 400,
			 es_err("parsing_exception", NULL,
				"[multi_match] requires a string query "
				"and an array of fields"));
		return false;
	}
	{
		const char *type = jsonx_get_str(spec, "type");

		if (type && strcmp(type, "best_fields") &&
		    strcmp(type, "most_fields") &&
		    strcmp(type, "cross_fields")) {
			ctx_fail(c, 400,
				 es_err("parsing_exception", NULL,
					"[multi_match] type [%s] is "
					"not supported by the stub",
					type));
			return false;
		}
		return eval_text(c, json_object_get_string(qv),
				 jsonx_get_str(spec, "operator"),
				 msm_value(spec), type, fields, src, score);
	}
}

/* {"field": value} or {"field": {"value"|"query": value, ...}}. */
static bool one_field(struct ctx *c, const char *qname,
		      struct json_object *spec, const char **field,
		      struct json_object **value, struct json_object **opts)
{
	*field = NULL;
	*opts = NULL;
	if (json_object_object_length(spec) != 1) {
		ctx_fail(c, 400,
			 es_err("parsing_exception", NULL,
				"[%s] query doesn't support multiple "
				"fields",
				qname));
		return false;
	}
	json_object_object_foreach (spec, k, v) {
		*field = k;
		*value = v;
	}
	if (json_object_is_type(*value, json_type_object)) {
		*opts = *value;
		if (!json_object_object_get_ex(*opts, "value", value) &&
		    !json_object_object_get_ex(*opts, "query", value))
			*value = NULL;
	}
	return true;
}

/* term: exact on keyword and numbers; on a text field the value must
 * equal one analysed token (so "Electronics" never matches, as in ES). */
static bool term_match(struct ctx *c, const char *field,
		       struct json_object *value, struct json_object *src)
{
	const char *t = field_type(c->ix, field), *d = doc_text(src, field);
	char **tok;
	size_t n, i;
	bool m = false;

	if (!t || !d || !value)
		return false;
	if (is_numeric_type(t))
		return strtod(d, NULL) == json_object_get_double(value);
	if (!strcmp(t, "text")) {
		n = tokenize_field(c->ix, field, d, &tok);
		for (i = 0; i < n && !m; i++)
			m = !strcmp(tok[i], json_object_get_string(value));
		tokens_free(tok, n);
		return m;
	}
	return !strcmp(d, json_object_get_string(value));
}

static int cmp_values(const char *t, struct json_object *doc_v,
		      struct json_object *q_v)
{
	double x, y;

	if (is_numeric_type(t)) {
		x = json_object_get_double(doc_v);
		y = json_object_get_double(q_v);
		return x < y ? -1 : x > y;
	}
	return strcmp(json_object_get_string(doc_v),
		      json_object_get_string(q_v));
}

static bool eval_range(struct ctx *c, struct json_object *spec,
		       struct json_object *src)
{
	struct json_object *v, *dv, *bound;
	const char *field, *t;
	static const char *const ops[] = { "gte", "gt", "lte", "lt" };
	size_t i;
	int r;

	if (!one_field(c, "range", spec, &field, &v, &bound) || !bound) {
		ctx_fail(c, 400,
			 es_err("parsing_exception", NULL,
				"[range] query malformed"));
		return false;
	}
	t = field_type(c->ix, field);
	if (!t || !json_object_object_get_ex(src, field, &dv) || !dv)
		return false;
	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		if (!json_object_object_get_ex(bound, ops[i], &v) || !v)
			continue;
		r = cmp_values(t, dv, v);
		if ((i == 0 && r < 0) || (i == 1 && r <= 0) ||
		    (i == 2 && r > 0) || (i == 3 && r >= 0))
			return false;
	}
	return true;
}

static bool eval(struct ctx *c, struct json_object *q, struct json_object *src,
		 double *score)
{
	struct json_object *spec = NULL, *value, *opts;
	const char *kind = NULL, *field, *qs;
	bool m;

	*score = 0;
	if (!json_object_is_type(q, json_type_object) ||
	    json_object_object_length(q) != 1) {
		ctx_fail(c, 400,
			 es_err("parsing_exception", NULL,
				"[_na] query malformed, must start "
				"with start_object"));
		return false;
	}
	json_object_object_foreach (q, k, v) {
		kind = k;
		spec = v;
	}
	if (!strcmp(kind, "match_all")) {
		*score = 1;
		return true;
	}
	if (!strcmp(kind, "bool"))
		return eval_bool(c, spec, src, score);
	if (!strcmp(kind, "constant_score")) {
		struct json_object *fq, *bv;

		if (!json_object_object_get_ex(spec, "filter", &fq)) {
			ctx_fail(c, 400,
				 es_err("parsing_exception", NULL,
					"[constant_score] requires a "
					"'filter' element"));
			return false;
		}
		m = eval(c, fq, src, score);
		*score = json_object_object_get_ex(spec, "boost", &bv) ?
				 json_object_get_double(bv) :
				 1;
		return m;
	}
	if (!strcmp(kind, "dis_max")) {
		struct json_object *dq, *tb;
		double best = 0, sum = 0, s1;
		size_t i;

		if (!json_object_object_get_ex(spec, "queries", &dq) ||
		    !json_object_is_type(dq, json_type_array)) {
			ctx_fail(c, 400,
				 es_err("parsing_exception", NULL,
					"[dis_max] requires 'queries' "
					"field with at least one "
					"clause"));
			return false;
		}
		m = false;
		for (i = 0; i < json_object_array_length(dq); i++) {
			if (!eval(c, json_object_array_get_idx(dq, i), src,
				  &s1)) {
				if (c->failed)
					return false;
				continue;
			}
			m = true;
			sum += s1;
			best = s1 > best ? s1 : best;
		}
		/* the best clause, plus tie_breaker times the others */
		*score = best +
			 (json_object_object_get_ex(spec, "tie_breaker", &tb) ?
				  json_object_get_double(tb) * (sum - best) :
				  0);
		return m;
	}
	if (!strcmp(kind, "multi_match"))
		return eval_multi_match(c, spec, src, score);
	if (!strcmp(kind, "match")) {
		struct json_object *fields;

		if (!one_field(c, kind, spec, &field, &value, &opts))
			return false;
		qs = value ? json_object_get_string(value) : "";
		fields = json_object_new_array();
		json_object_array_add(fields, json_object_new_string(field));
		m = eval_text(c, qs,
			      opts ? jsonx_get_str(opts, "operator") : NULL,
			      opts ? msm_value(opts) : 0, NULL, fields, src,
			      score);
		json_object_put(fields);
		return m;
	}
	if (!strcmp(kind, "term")) {
		if (!one_field(c, kind, spec, &field, &value, &opts))
			return false;
		*score = 1;
		return term_match(c, field, value, src);
	}
	if (!strcmp(kind, "terms")) {
		size_t i;

		if (!one_field(c, kind, spec, &field, &value, &opts) ||
		    !json_object_is_type(value, json_type_array)) {
			ctx_fail(c, 400,
				 es_err("parsing_exception", NULL,
					"[terms] query malformed"));
			return false;
		}
		*score = 1;
		for (i = 0; i < json_object_array_length(value); i++)
			if (term_match(c, field,
				       json_object_array_get_idx(value, i),
				       src))
				return true;
		return false;
	}
	if (!strcmp(kind, "range")) {
		*score = 1;
		return eval_range(c, spec, src);
	}
	ctx_fail(c, 400,
		 es_err("parsing_exception", NULL, "unknown query [%s]", kind));
	return false;
}

struct hit {
	struct doc *d;
	double score;
	size_t order;
};

static struct json_object *sort_spec;
static struct index *sort_ix;

/* One sort key: field and direction (desc true). */
static void sort_key(struct json_object *el, const char **field, bool *desc)
{
	struct json_object *v;
	const char *o = NULL;

	if (json_object_is_type(el, json_type_string)) {
		*field = json_object_get_string(el);
	} else {
		json_object_object_foreach (el, k, val) {
			*field = k;
			v = val;
			if (json_object_is_type(v, json_type_string))
				o = json_object_get_string(v);
			else
				o = jsonx_get_str(v, "order");
		}
	}
	*desc = o ? !strcmp(o, "desc") : !strcmp(*field, "_score");
}

static int hit_cmp(const void *pa, const void *pb)
{
	const struct hit *a = pa, *b = pb;
	struct json_object *va, *vb;
	const char *field;
	size_t i;
	bool desc;
	int r;

	for (i = 0; i < json_object_array_length(sort_spec); i++) {
		sort_key(json_object_array_get_idx(sort_spec, i), &field,
			 &desc);
		if (!strcmp(field, "_score")) {
			r = a->score < b->score ? -1 : a->score > b->score;
		} else {
			bool ha = json_object_object_get_ex(a->d->vis, field,
							    &va) &&
				  va;
			bool hb = json_object_object_get_ex(b->d->vis, field,
							    &vb) &&
				  vb;

			/* missing values sort last either way */
			if (ha != hb)
				return ha ? -1 : 1;
			if (!ha)
				continue;
			r = cmp_values(field_type(sort_ix, field), va, vb);
		}
		if (r)
			return desc ? -r : r;
	}
	return a->order < b->order ? -1 : a->order > b->order;
}

struct bucket {
	const char *key;
	struct json_object *keyv;
	long count;
};

static int bucket_cmp(const void *pa, const void *pb)
{
	const struct bucket *a = pa, *b = pb;

	if (a->count != b->count)
		return a->count > b->count ? -1 : 1;
	return strcmp(a->key, b->key);
}

static struct json_object *terms_agg(struct ctx *c, const char *name,
				     struct json_object *spec, struct hit *hits,
				     size_t n)
{
	struct json_object *terms, *o, *arr, *b, *v;
	struct bucket *bk = xcalloc(n + 1, sizeof(*bk));
	const char *field, *t;
	int64_t size = 10;
	size_t nb = 0, i, j;
	long other = 0;

	if (!json_object_object_get_ex(spec, "terms", &terms) ||
	    !(field = jsonx_get_str(terms, "field"))) {
		ctx_fail(c, 400,
			 es_err("parsing_exception", NULL,
				"aggregation [%s]: only [terms] with "
				"a [field] is supported",
				name));
		free(bk);
		return NULL;
	}
	jsonx_get_int(terms, "size", &size);
	t = field_type(c->ix, field);
	if (t && !strcmp(t, "text")) {
		ctx_fail(c, 400,
			 es_err("illegal_argument_exception", c->ix->name,
				"Fielddata is disabled "
				"on [%s] in [%s]. Text fields are not "
				"optimised for operations that require "
				"per-document field data like "
				"aggregations and sorting, so these "
				"operations are disabled by default.",
				field, c->ix->name));
		free(bk);
		return NULL;
	}
	for (i = 0; t && i < n; i++) {
		if (!json_object_object_get_ex(hits[i].d->vis, field, &v) || !v)
			continue;
		for (j = 0; j < nb; j++)
			if (!strcmp(bk[j].key, json_object_get_string(v)))
				break;
		if (j == nb) {
			bk[nb].key = json_object_get_string(v);
			bk[nb].keyv = v;
			nb++;
		}
		bk[j].count++;
	}
	qsort(bk, nb, sizeof(*bk), bucket_cmp);
	arr = json_object_new_array();
	for (i = 0; i < nb; i++) {
		if ((int64_t)i >= size) {
			other += bk[i].count;
			continue;
		}
		b = json_object_new_object();
		json_object_object_add(b, "key", json_object_get(bk[i].keyv));
		json_object_object_add(b, "doc_count",
				       json_object_new_int64(bk[i].count));
		json_object_array_add(arr, b);
	}
	free(bk);
	o = json_object_new_object();
	json_object_object_add(o, "doc_count_error_upper_bound",
			       json_object_new_int(0));
	json_object_object_add(o, "sum_other_doc_count",
			       json_object_new_int64(other));
	json_object_object_add(o, "buckets", arr);
	return o;
}

static void search(const char *name, struct json_object *body, struct answer *a)
{
	static const char *const known[] = {
		"query",   "post_filter", "aggs", "aggregations",
		"sort",	   "from",	  "size", "track_total_hits",
		"_source",
	};
	struct json_object *query = NULL, *post = NULL, *aggs = NULL, *v, *o,
			   *hits_o, *arr, *h, *tot, *aggs_out = NULL,
			   *sort = NULL, *sv;
	struct index *ix = resolve(name, false, a);
	struct ctx c = { ix, a, false, NULL, 0, 0 };
	struct hit *hits = NULL, *kept = NULL;
	int64_t from = 0, size = 10, track = 10000;
	size_t n = 0, nk = 0, i, j;
	double s, max_score = 0, t0 = now_ms();
	bool by_score = true, m;

	if (!ix)
		return;
	if (body) {
		json_object_object_foreach (body, key, val) {
			(void)val;
			for (i = 0; i < ARRAY_SIZE(known); i++)
				if (!strcmp(key, known[i]))
					break;
			if (i == ARRAY_SIZE(known)) {
				fail(a, 400,
				     es_err("parsing_exception", NULL,
					    "Unknown key for a "
					    "START_OBJECT in [%s].",
					    key));
				return;
			}
		}
		json_object_object_get_ex(body, "query", &query);
		json_object_object_get_ex(body, "post_filter", &post);
		if (!json_object_object_get_ex(body, "aggs", &aggs))
			json_object_object_get_ex(body, "aggregations", &aggs);
		jsonx_get_int(body, "from", &from);
		jsonx_get_int(body, "size", &size);
		if (json_object_object_get_ex(body, "track_total_hits", &v)) {
			if (json_object_is_type(v, json_type_boolean))
				track = json_object_get_boolean(v) ? INT64_MAX :
								     -1;
			else
				jsonx_as_int(v, &track);
		}
		if (json_object_object_get_ex(body, "sort", &v))
			sort = json_object_is_type(v, json_type_array) ?
				       json_object_get(v) :
				       NULL;
		if (v && !sort) {
			sort = json_object_new_array();
			json_object_array_add(sort, json_object_get(v));
		}
	}
	if (from < 0 || size < 0 || from + size > STUB_MAX_WINDOW) {
		fail(a, 400,
		     es_err("illegal_argument_exception", ix->name,
			    "Result window is too large, from + size "
			    "must be less than or equal to: [%d] but "
			    "was [%" PRId64 "].",
			    STUB_MAX_WINDOW, from + size));
		goto out;
	}
	if (!sort) {
		sort = json_object_new_array();
		json_object_array_add(sort, json_object_new_string("_score"));
	}
	for (i = 0; i < json_object_array_length(sort); i++) {
		const char *f, *t;
		bool desc;

		sort_key(json_object_array_get_idx(sort, i), &f, &desc);
		if (strcmp(f, "_score") && (t = field_type(ix, f)) &&
		    !strcmp(t, "text")) {
			fail(a, 400,
			     es_err("illegal_argument_exception", ix->name,
				    "Fielddata is disabled "
				    "on [%s] in [%s].",
				    f, ix->name));
			goto out;
		}
		if (!f || (strcmp(f, "_score") && !field_type(ix, f))) {
			fail(a, 400,
			     es_err("query_shard_exception", ix->name,
				    "No mapping found for [%s] in "
				    "order to sort on",
				    f ? f : ""));
			goto out;
		}
	}
	by_score = !strcmp(json_object_get_string(
				   json_object_array_get_idx(sort, 0)),
			   "_score");
	hits = xcalloc(ix->ndocs + 1, sizeof(*hits));
	for (i = 0; i < ix->ndocs; i++) {
		if (!ix->docs[i].vis)
			continue;
		s = 1;
		m = !query || eval(&c, query, ix->docs[i].vis, &s);
		if (c.failed)
			goto out;
		if (!m)
			continue;
		hits[n].d = &ix->docs[i];
		hits[n].score = s;
		hits[n].order = i;
		n++;
	}
	if (c.failed)
		goto out;
	/* Aggregations count the query's hits; post_filter comes after. */
	if (aggs) {
		aggs_out = json_object_new_object();
		json_object_object_foreach (aggs, an, aspec) {
			o = terms_agg(&c, an, aspec, hits, n);
			if (!o)
				goto out;
			json_object_object_add(aggs_out, an, o);
		}
	}
	kept = xcalloc(n + 1, sizeof(*kept));
	for (i = 0; i < n; i++) {
		m = !post || eval(&c, post, hits[i].d->vis, &s);
		if (c.failed)
			goto out;
		if (!m)
			continue;
		kept[nk++] = hits[i];
		if (hits[i].score > max_score)
			max_score = hits[i].score;
	}
	sort_spec = sort;
	sort_ix = ix;
	qsort(kept, nk, sizeof(*kept), hit_cmp);

	arr = json_object_new_array();
	for (i = (size_t)from; i < nk && i < (size_t)(from + size); i++) {
		h = json_object_new_object();
		json_object_object_add(h, "_index",
				       json_object_new_string(ix->name));
		json_object_object_add(h, "_id",
				       json_object_new_string(kept[i].d->id));
		json_object_object_add(h, "_score",
				       by_score ? json_object_new_double(
							  kept[i].score) :
						  NULL);
		json_object_object_add(h, "_source",
				       json_object_get(kept[i].d->vis));
		sv = json_object_new_array();
		for (j = 0; j < json_object_array_length(sort); j++) {
			const char *f;
			bool desc;

			sort_key(json_object_array_get_idx(sort, j), &f, &desc);
			if (!strcmp(f, "_score"))
				json_object_array_add(sv,
						      json_object_new_double(
							      kept[i].score));
			else
				json_object_array_add(
					sv,
					json_object_get(json_object_object_get(
						kept[i].d->vis, f)));
		}
		json_object_object_add(h, "sort", sv);
		json_object_array_add(arr, h);
	}
	hits_o = json_object_new_object();
	if (track >= 0) {
		tot = json_object_new_object();
		json_object_object_add(tot, "value",
				       json_object_new_int64(
					       (int64_t)nk > track ?
						       track :
						       (int64_t)nk));
		json_object_object_add(tot, "relation",
				       json_object_new_string(
					       (int64_t)nk > track ? "gte" :
								     "eq"));
		json_object_object_add(hits_o, "total", tot);
	}
	json_object_object_add(hits_o, "max_score",
			       by_score && nk ?
				       json_object_new_double(max_score) :
				       NULL);
	json_object_object_add(hits_o, "hits", arr);
	o = json_object_new_object();
	json_object_object_add(o, "took",
			       json_object_new_int((int)(now_ms() - t0)));
	json_object_object_add(o, "timed_out", json_object_new_boolean(0));
	v = shards();
	json_object_object_add(v, "skipped", json_object_new_int(0));
	json_object_object_add(o, "_shards", v);
	json_object_object_add(o, "hits", hits_o);
	if (aggs_out) {
		json_object_object_add(o, "aggregations", aggs_out);
		aggs_out = NULL;
	}
	answer(a, 200, o);
out:
	if (c.memo)
		memo_free(&c);
	json_object_put(aggs_out);
	json_object_put(sort);
	free(hits);
	free(kept);
}

/* ---- routing ------------------------------------------------------- */

/* query_param: the value of name in the query string q ("" for a bare
 * flag), or NULL. Copied into buf. */
static const char *query_param(const char *q, const char *name, char *buf,
			       size_t size)
{
	size_t nl = strlen(name), vl;

	while (q && *q) {
		vl = strcspn(q, "&");
		if (!strncmp(q, name, nl) &&
		    (q[nl] == '=' || q[nl] == '&' || !q[nl] || nl == vl)) {
			if (q[nl] != '=') {
				buf[0] = '\0';
			} else {
				size_t n = vl - nl - 1;

				snprintf(buf, size, "%.*s",
					 (int)(n < size ? n : size - 1),
					 q + nl + 1);
			}
			return buf;
		}
		q += vl;
		if (*q == '&')
			q++;
	}
	return NULL;
}

static bool flag_true(const char *v)
{
	return v && (!*v || !strcmp(v, "true"));
}

static void info(struct answer *a)
{
	struct json_object *o = json_object_new_object(), *v;

	json_object_object_add(o, "name", json_object_new_string("es-stub"));
	json_object_object_add(o, "cluster_name",
			       json_object_new_string("agora-stub"));
	v = json_object_new_object();
	json_object_object_add(v, "number", json_object_new_string("8.13.0"));
	json_object_object_add(o, "version", v);
	json_object_object_add(o, "tagline",
			       json_object_new_string("You Know, for Search"));
	answer(a, 200, o);
}

static void health(struct answer *a)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "cluster_name",
			       json_object_new_string("agora-stub"));
	json_object_object_add(o, "status",
			       json_object_new_string(fault.health));
	json_object_object_add(o, "timed_out", json_object_new_boolean(0));
	json_object_object_add(o, "number_of_nodes", json_object_new_int(1));
	json_object_object_add(o, "number_of_data_nodes",
			       json_object_new_int(1));
	json_object_object_add(o, "active_shards",
			       json_object_new_int((int)nindices));
	answer(a, 200, o);
}

static void refresh(const char *name, struct answer *a)
{
	struct json_object *o = json_object_new_object();
	struct index *ix;
	size_t i;

	if (name) {
		/* An alias refreshes every index behind it. */
		if (!(ix = index_find(name)) && !alias_exists(name)) {
			fail(a, 404,
			     es_err("index_not_found_exception", name,
				    "no such index [%s]", name));
			json_object_put(o);
			return;
		}
		for (i = 0; i < nindices; i++)
			if (indices[i] == ix ||
			    index_has_alias(indices[i], name))
				index_refresh(indices[i]);
	} else {
		for (i = 0; i < nindices; i++)
			index_refresh(indices[i]);
	}
	json_object_object_add(o, "_shards", shards());
	answer(a, 200, o);
}

static void doc_get(struct index *ix, const char *id, struct answer *a)
{
	struct doc *d = doc_find(ix, id);
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "_index", json_object_new_string(ix->name));
	json_object_object_add(o, "_id", json_object_new_string(id));
	if (!d || !d->src) {
		json_object_object_add(o, "found", json_object_new_boolean(0));
		answer(a, 404, o);
		return;
	}
	json_object_object_add(o, "_version",
			       json_object_new_int64(d->version));
	json_object_object_add(o, "_seq_no", json_object_new_int64(d->seq_no));
	json_object_object_add(o, "_primary_term", json_object_new_int(1));
	json_object_object_add(o, "found", json_object_new_boolean(1));
	json_object_object_add(o, "_source", json_object_get(d->src));
	answer(a, 200, o);
}

/* route: one request on the ES port. */
static void route(const char *method, const char *target, const char *body,
		  size_t len, struct answer *a)
{
	char path[1024], seg[4][256], buf[64];
	const char *q = strchr(target, '?'), *p;
	struct json_object *json = NULL;
	struct err pe = ERR_INIT;
	struct index *ix;
	size_t nseg = 0, n;
	bool is_bulk;

	snprintf(path, sizeof(path), "%.*s",
		 (int)(q ? (size_t)(q - target) : strlen(target)), target);
	if (q)
		q++;
	for (p = path; *p && nseg < 4;) {
		while (*p == '/')
			p++;
		if (!*p)
			break;
		n = strcspn(p, "/");
		snprintf(seg[nseg++], sizeof(seg[0]), "%.*s", (int)n, p);
		p += n;
	}
	is_bulk = (nseg == 1 && !strcmp(seg[0], "_bulk")) ||
		  (nseg == 2 && !strcmp(seg[1], "_bulk"));
	if (is_bulk) {
		if (strcmp(method, "POST") && strcmp(method, "PUT"))
			goto unknown;
		bulk(nseg == 2 ? seg[0] : NULL,
		     flag_true(
			     query_param(q, "require_alias", buf, sizeof(buf))),
		     body, len, a);
		if (flag_true(query_param(q, "refresh", buf, sizeof(buf)))) {
			struct answer ra = { 0, NULL };

			refresh(NULL, &ra);
			json_object_put(ra.body);
		}
		return;
	}
	if (len && jsonx_parse(body, len, &json, &pe) < 0) {
		fail(a, 400,
		     es_err("x_content_parse_exception", NULL, "%s", pe.msg));
		goto out;
	}
	if (nseg == 0 && !strcmp(method, "GET")) {
		info(a);
	} else if (nseg == 2 && !strcmp(seg[0], "_cluster") &&
		   !strcmp(seg[1], "health")) {
		health(a);
	} else if (nseg == 1 && !strcmp(seg[0], "_aliases") &&
		   !strcmp(method, "POST")) {
		post_aliases(json, a);
	} else if (nseg >= 1 && !strcmp(seg[0], "_alias") &&
		   !strcmp(method, "GET")) {
		get_alias(nseg == 2 ? seg[1] : NULL, a);
	} else if (nseg == 1 && !strcmp(seg[0], "_refresh")) {
		refresh(NULL, a);
	} else if (nseg == 2 && !strcmp(seg[1], "_refresh")) {
		refresh(seg[0], a);
	} else if (nseg == 2 && !strcmp(seg[1], "_search") &&
		   (!strcmp(method, "GET") || !strcmp(method, "POST"))) {
		search(seg[0], json, a);
	} else if (nseg == 1 && seg[0][0] != '_' && !strcmp(method, "PUT")) {
		create_index(seg[0], json, a);
	} else if (nseg == 1 && seg[0][0] != '_' && !strcmp(method, "DELETE")) {
		delete_index(seg[0], a);
	} else if (nseg == 3 && !strcmp(seg[1], "_doc")) {
		int64_t v = external_version(query_param(q, "version", buf,
							 sizeof(buf)),
					     query_param(q, "version_type",
							 buf + 32, 32));
		struct json_object *res;
		bool is_err;
		int st;

		if (!(ix = resolve(seg[0],
				   flag_true(query_param(q, "require_alias",
							 buf, sizeof(buf))),
				   a)))
			goto out;
		if (v == -2) {
			fail(a, 400,
			     es_err("action_request_validation_exception", NULL,
				    "Validation Failed: 1: "
				    "illegal version value;"));
		} else if (!strcmp(method, "GET")) {
			doc_get(ix, seg[2], a);
		} else if (!strcmp(method, "DELETE")) {
			st = op_delete(ix, seg[2], v, &res, &is_err);
			if (is_err)
				fail(a, st, res);
			else
				answer(a, st, res);
		} else if (!strcmp(method, "PUT") || !strcmp(method, "POST")) {
			st = op_index(ix, seg[2], v, false, json, &res,
				      &is_err);
			if (is_err)
				fail(a, st, res);
			else
				answer(a, st, res);
		} else {
			goto unknown;
		}
	} else {
		goto unknown;
	}
	goto out;
unknown:
	fail(a, 400,
	     es_err("illegal_argument_exception", NULL,
		    "no handler found for uri [%s] and method [%s]", target,
		    method));
out:
	err_release(&pe);
	json_object_put(json);
}

/* ctl_route: one request on the control port. */
static void ctl_route(const char *method, const char *target, const char *body,
		      size_t len, struct answer *a)
{
	struct json_object *json = NULL, *v, *o, *ix;
	struct err pe = ERR_INIT;
	int64_t n;
	size_t i, j;

	if (!strcmp(target, "/_stub/reset") && !strcmp(method, "POST")) {
		fault.down = false;
		fault.slow_ms = 0;
		fault.bulk_429_every = 0;
		json_object_put(fault.bulk_400_ids);
		fault.bulk_400_ids = NULL;
		snprintf(fault.health, sizeof(fault.health), "green");
		fault.refresh_ms = 1000;
		fault.hold_aliases_ms = 0;
		answer(a, 200, acked());
	} else if (!strcmp(target, "/_stub/fault") && !strcmp(method, "POST")) {
		if (jsonx_parse(body, len, &json, &pe) < 0 ||
		    !json_object_is_type(json, json_type_object)) {
			fail(a, 400,
			     es_err("stub", NULL,
				    "a JSON object, "
				    "please: %s",
				    pe.msg));
			goto out;
		}
		if (json_object_object_get_ex(json, "down", &v))
			fault.down = json_object_get_boolean(v);
		if (jsonx_get_int(json, "slow_ms", &n))
			fault.slow_ms = (long)n;
		if (jsonx_get_int(json, "bulk_429_every", &n))
			fault.bulk_429_every = (long)n;
		if (jsonx_get_int(json, "refresh_interval_ms", &n))
			fault.refresh_ms = (long)n;
		if (jsonx_get_int(json, "hold_aliases_ms", &n))
			fault.hold_aliases_ms = (long)n;
		if (jsonx_get_str(json, "health"))
			snprintf(fault.health, sizeof(fault.health), "%s",
				 jsonx_get_str(json, "health"));
		if (json_object_object_get_ex(json, "bulk_400_ids", &v)) {
			json_object_put(fault.bulk_400_ids);
			fault.bulk_400_ids = json_object_new_array();
			for (i = 0; json_object_is_type(v, json_type_array) &&
				    i < json_object_array_length(v);
			     i++) {
				const char *id = json_object_get_string(
					json_object_array_get_idx(v, i));
				json_object_array_add(fault.bulk_400_ids,
						      json_object_new_string(
							      id));
			}
		}
		answer(a, 200, acked());
	} else if (!strcmp(target, "/_stub/state")) {
		o = json_object_new_object();
		json_object_object_add(o, "down",
				       json_object_new_boolean(fault.down));
		json_object_object_add(o, "requests",
				       json_object_new_int64(stat.requests));
		json_object_object_add(o, "bulk_requests",
				       json_object_new_int64(
					       stat.bulk_requests));
		json_object_object_add(o, "bulk_items",
				       json_object_new_int64(stat.bulk_items));
		json_object_object_add(o, "rejected_429",
				       json_object_new_int64(
					       stat.rejected_429));
		json_object_object_add(o, "rejected_400",
				       json_object_new_int64(
					       stat.rejected_400));
		json_object_object_add(o, "refreshes",
				       json_object_new_int64(stat.refreshes));
		json_object_object_add(o, "held",
				       json_object_new_int64(stat.held));
		v = json_object_new_object();
		for (i = 0; i < nindices; i++) {
			struct json_object *al = json_object_new_array();
			long live = 0;

			for (j = 0; j < indices[i]->ndocs; j++)
				live += indices[i]->docs[j].src != NULL;
			for (j = 0; j < indices[i]->naliases; j++)
				json_object_array_add(
					al, json_object_new_string(
						    indices[i]->aliases[j]));
			ix = json_object_new_object();
			json_object_object_add(ix, "docs",
					       json_object_new_int64(live));
			json_object_object_add(ix, "aliases", al);
			json_object_object_add(v, indices[i]->name, ix);
		}
		json_object_object_add(o, "indices", v);
		answer(a, 200, o);
	} else {
		fail(a, 404, es_err("stub", NULL, "unknown control request"));
	}
out:
	err_release(&pe);
	json_object_put(json);
}

/* ---- the server ---------------------------------------------------- */

struct conn {
	int fd;
	bool ctl;
	struct sbuf in;
	double hold_until; /* a held _aliases request: when to answer */
	bool released; /* its hold is over: answer it now */
};

static struct conn conns[STUB_MAX_CONNS];
static size_t nconns;

static int listen_on(int port)
{
	struct sockaddr_in sa;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		die("socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, 64) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int port_of(int fd)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);

	getsockname(fd, (struct sockaddr *)&sa, &len);
	return ntohs(sa.sin_port);
}

/* The ES port (the control port stays open). */
static int es_lfd = -1, es_port;

/* Open the ES port again once it is not down. Also run before a control
 * request is answered: a client told "reset" finds the port open, even
 * when the stub is not scheduled again before its next connect. */
static void es_port_up(void)
{
	if (!fault.down && es_lfd < 0)
		es_lfd = listen_on(es_port);
}

static void conn_close(size_t i)
{
	if (conns[i].hold_until)
		stat.held--;
	close(conns[i].fd);
	sbuf_release(&conns[i].in);
	conns[i] = conns[--nconns];
}

static void write_all(int fd, const char *p, size_t n)
{
	ssize_t w;

	while (n) {
		w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return;
		p += w;
		n -= (size_t)w;
	}
}

static const char *status_text(int st)
{
	switch (st) {
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 400:
		return "Bad Request";
	case 404:
		return "Not Found";
	case 409:
		return "Conflict";
	case 429:
		return "Too Many Requests";
	default:
		return "Error";
	}
}

/* handle: serve every complete request in conn i's buffer. Returns false
 * when the connection must close. */
static bool handle(size_t i)
{
	struct conn *c = &conns[i];
	char method[16], target[2048], *hend, *line, *cl;
	struct answer a = { 500, NULL };
	struct sbuf out = SBUF_INIT;
	size_t hlen, blen = 0, total;
	const char *body;
	bool keep = true;

	for (;;) {
		hend = strstr(c->in.buf, "\r\n\r\n");
		if (!hend)
			return c->in.len < 65536;
		hlen = (size_t)(hend - c->in.buf) + 4;
		*hend = '\0';
		if (sscanf(c->in.buf, "%15s %2047s", method, target) != 2)
			return false;
		blen = 0;
		for (line = strstr(c->in.buf, "\r\n"); line;
		     line = strstr(line + 2, "\r\n")) {
			if (!strncasecmp(line + 2, "content-length:", 15)) {
				cl = line + 17;
				blen = strtoul(cl, NULL, 10);
			} else if (!strncasecmp(line + 2, "connection: close",
						17)) {
				keep = false;
			} else if (!strncasecmp(line + 2,
						"transfer-encoding:", 18)) {
				return false; /* agora never chunks */
			}
		}
		*hend = '\r';
		if (blen > STUB_MAX_REQUEST)
			return false;
		total = hlen + blen;
		if (c->in.len < total)
			return true;
		body = c->in.buf + hlen;
		a.body = NULL;
		/* hold_aliases_ms: keep the request, answer it later. */
		if (!c->ctl && !c->released && fault.hold_aliases_ms > 0 &&
		    !strcmp(method, "POST") &&
		    !strncmp(target, "/_aliases", 9)) {
			if (!c->hold_until) {
				c->hold_until = now_ms() +
						(double)fault.hold_aliases_ms;
				stat.held++;
			}
			return true;
		}
		c->released = false;
		if (c->ctl) {
			ctl_route(method, target, body, blen, &a);
			es_port_up();
		} else {
			stat.requests++;
			if (fault.slow_ms > 0) {
				struct timespec ts = { fault.slow_ms / 1000,
						       (fault.slow_ms % 1000) *
							       1000000L };

				nanosleep(&ts, NULL);
			}
			route(method, target, body, blen, &a);
		}
		{
			const char *js = a.body ? jsonx_str(a.body, NULL) : "";

			sbuf_reset(&out);
			sbuf_addf(&out,
				  "HTTP/1.1 %d %s\r\nContent-Type: "
				  "application/json\r\nX-elastic-product: "
				  "Elasticsearch\r\nContent-Length: %zu\r\n"
				  "%s\r\n%s",
				  a.status, status_text(a.status), strlen(js),
				  keep ? "" : "Connection: close\r\n", js);
		}
		write_all(c->fd, out.buf, out.len);
		sbuf_release(&out);
		json_object_put(a.body);
		a.body = NULL;
		memmove(c->in.buf, c->in.buf + total, c->in.len - total);
		c->in.len -= total;
		c->in.buf[c->in.len] = '\0';
		if (!keep)
			return false;
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[STUB_MAX_CONNS + 2];
	int ctl_port = 0, cfd, fd, i;
	double last_refresh = now_ms();
	size_t k, np;
	char buf[65536];
	ssize_t r;
	struct sigaction sa;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--port") && i + 1 < argc)
			es_port = (int)strtol(argv[++i], NULL, 10);
		else if (!strcmp(argv[i], "--ctl-port") && i + 1 < argc)
			ctl_port = (int)strtol(argv[++i], NULL, 10);
		else
			die("usage: es-stub [--port N] [--ctl-port N]");
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	es_lfd = listen_on(es_port);
	cfd = listen_on(ctl_port);
	if (es_lfd < 0 || cfd < 0)
		die("es-stub: cannot listen: %s", strerror(errno));
	es_port = port_of(es_lfd);
	printf("http://127.0.0.1:%d http://127.0.0.1:%d\n", es_port,
	       port_of(cfd));
	fflush(stdout);

	while (!stop) {
		/* down: the port is closed, as a stopped node's would be. */
		if (fault.down && es_lfd >= 0) {
			close(es_lfd);
			es_lfd = -1;
			for (k = nconns; k-- > 0;)
				if (!conns[k].ctl)
					conn_close(k);
		} else {
			es_port_up();
		}
		np = 0;
		pfd[np++] = (struct pollfd){ cfd, POLLIN, 0 };
		pfd[np++] = (struct pollfd){ es_lfd, POLLIN, 0 };
		for (k = 0; k < nconns; k++)
			pfd[np++] = (struct pollfd){ conns[k].fd, POLLIN, 0 };
		if (poll(pfd, np, 100) < 0 && errno != EINTR)
			die("poll: %s", strerror(errno));
		if (fault.refresh_ms > 0 &&
		    now_ms() - last_refresh >= (double)fault.refresh_ms) {
			for (k = 0; k < nindices; k++)
				index_refresh(indices[k]);
			last_refresh = now_ms();
		}
		/* Connections first: accepting may reorder conns[]. */
		for (k = nconns; k-- > 0;) {
			if (!(pfd[2 + k].revents &
			      (POLLIN | POLLHUP | POLLERR)))
				continue;
			r = read(conns[k].fd, buf, sizeof(buf));
			if (r <= 0) {
				if (r < 0 && errno == EINTR)
					continue;
				conn_close(k);
				continue;
			}
			sbuf_add(&conns[k].in, buf, (size_t)r);
			if (!handle(k))
				conn_close(k);
		}
		for (k = nconns; k-- > 0;) {
			if (!conns[k].hold_until ||
			    now_ms() < conns[k].hold_until)
				continue;
			conns[k].hold_until = 0;
			conns[k].released = true;
			stat.held--;
			if (!handle(k))
				conn_close(k);
		}
		for (k = 0; k < 2; k++) {
			if (pfd[k].fd < 0 || !(pfd[k].revents & POLLIN))
				continue;
			fd = accept(pfd[k].fd, NULL, NULL);
			if (fd < 0)
				continue;
			if (nconns == STUB_MAX_CONNS) {
				close(fd);
				continue;
			}
			conns[nconns].fd = fd;
			conns[nconns].ctl = k == 0;
			conns[nconns].hold_until = 0;
			conns[nconns].released = false;
			sbuf_init(&conns[nconns].in, 0,
				  STUB_MAX_REQUEST + 65536);
			nconns++;
		}
	}
	while (nconns)
		conn_close(0);
	if (es_lfd >= 0)
		close(es_lfd);
	close(cfd);
	for (k = 0; k < nindices; k++)
		index_free(indices[k]);
	free(indices);
	json_object_put(fault.bulk_400_ids);
	return 0;
}
