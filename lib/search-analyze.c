/* search-analyze.c: the one analyzer of documents and queries (words,
 * NFKC, case folding, CJK bigrams) with libunistring. */
#include "common.h"

#include <unicase.h>
#include <unictype.h>
#include <uninorm.h>
#include <unistr.h>

#include "search-analyze.h"

enum analyze_class {
	AN_NONE, /* separates words */
	AN_WORD, /* a letter or digit of a non-CJK script */
	AN_CJK, /* a Hangul, Han, Hiragana or Katakana letter */
	AN_JOIN, /* a mark, or a letter of no script of its own
		  * (ー): part of the word it is in */
};

static const uc_script_t *an_cjk[4], *an_common, *an_inherited;

static void analyze_scripts(void)
{
	static const char *const cjk[] = { "Hangul", "Han", "Hiragana",
					   "Katakana" };
	size_t i;

	if (an_common)
		return;
	for (i = 0; i < ARRAY_SIZE(cjk); i++)
		an_cjk[i] = uc_script_byname(cjk[i]);
	an_inherited = uc_script_byname("Inherited");
	an_common = uc_script_byname("Common");
}

static enum analyze_class analyze_class(ucs4_t c)
{
	const uc_script_t *s;
	size_t i;

	/* Most text is ASCII: no table look-ups for it. */
	if (c < 0x80)
		return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
				       (c >= 'A' && c <= 'Z') ?
			       AN_WORD :
			       AN_NONE;
	/* nor for Hangul syllables and the common ideographs */
	if ((c >= 0xac00 && c <= 0xd7a3) || (c >= 0x4e00 && c <= 0x9fff))
		return AN_CJK;
	if (uc_is_general_category(c, UC_CATEGORY_N))
		return AN_WORD;
	if (uc_is_general_category(c, UC_CATEGORY_M))
		return AN_JOIN;
	if (!uc_is_general_category(c, UC_CATEGORY_L))
		return AN_NONE;
	s = uc_script(c);
	for (i = 0; i < ARRAY_SIZE(an_cjk); i++)
		if (s == an_cjk[i])
			return AN_CJK;
	return !s || s == an_common || s == an_inherited ? AN_JOIN : AN_WORD;
}

/* The next character of s (len > 0); a bad sequence is one U+FFFD,
 * which separates words. */
static size_t analyze_next(const uint8_t *s, size_t len, ucs4_t *c)
{
	int n = u8_mbtouc(c, s, len);

	return n > 0 ? (size_t)n : 1;
}

static void analyze_push(struct search_analysis *a, const uint8_t *t,
			 size_t len, size_t start, size_t end, bool gram)
{
	struct search_token *k;

	if (a->ntok == a->alloc) {
		a->alloc = a->alloc ? 2 * a->alloc : 32;
		a->tok = xrealloc(a->tok, a->alloc * sizeof(*a->tok));
	}
	k = &a->tok[a->ntok++];
	k->off = a->text.len;
	k->len = len;
	k->start = start;
	k->end = end;
	k->gram = gram;
	if (!gram)
		a->nwords++;
	k->word = a->nwords - 1;
	sbuf_add(&a->text, t, len);
	sbuf_addch(&a->text, '\0');
}

/*
 * One word of normalized text w (wlen bytes), from the original bytes
 * [start, end). starts, when not NULL, holds the original offset of each
 * of the word's characters and one past the end (a CJK word whose
 * normalization kept its length): a bigram's span is then its own.
 */
static void analyze_word(struct search_analysis *a, const uint8_t *w,
			 size_t wlen, bool cjk, size_t start, size_t end,
			 const size_t *starts)
{
	size_t p0 = 0, p1, p2, k = 0;
	ucs4_t c;

	analyze_push(a, w, wlen, start, end, false);
	if (!cjk)
		return;
	/* Bigrams: from each character to the end of the next one; a word
	 * of one character has none (it is its own unigram). */
	p1 = analyze_next(w, wlen, &c);
	while (p1 < wlen) {
		p2 = p1 + analyze_next(w + p1, wlen - p1, &c);
		analyze_push(a, w + p0, p2 - p0, starts ? starts[k] : start,
			     starts ? starts[k + 2] : end, true);
		p0 = p1;
		p1 = p2;
		k++;
	}
}

/*
 * Letters and digits of ASCII and Hangul syllables are their own NFKC
 * form, and case folding changes only the ASCII capitals among them: a
 * run of nothing else (most of a catalogue) is folded here, without the
 * round trip through libunistring's tables.
 */
static bool analyze_plain(const uint8_t *s, size_t len)
{
	size_t i = 0;
	ucs4_t c;

	while (i < len) {
		if (s[i] < 0x80) {
			if (analyze_class(s[i]) != AN_WORD)
				return false;
			i++;
			continue;
		}
		if (len - i < 3 || (s[i] & 0xf0) != 0xe0 ||
		    (s[i + 1] & 0xc0) != 0x80 || (s[i + 2] & 0xc0) != 0x80)
			return false;
		c = (ucs4_t)(s[i] & 0x0f) << 12 |
		    (ucs4_t)(s[i + 1] & 0x3f) << 6 | (s[i + 2] & 0x3f);
		if (c < 0xac00 || c > 0xd7a3)
			return false;
		i += 3;
	}
	return true;
}

#define AN_MAX_CHARS 256

/*
 * A run of original bytes [start, end) of one class: normalize it, then
 * split it again, since normalizing can bring separators (½ is 1⁄2).
 * Stops at limit words in a (0: no limit).
 */
static size_t analyze_run(struct search_analysis *a, const uint8_t *s,
			  size_t start, size_t end, size_t limit)
{
	uint8_t fixed[512], *norm;
	size_t nlen = sizeof(fixed), i, n, w0, words = 0, nchars = 0;
	size_t starts[AN_MAX_CHARS + 1], nstarts = 0, k;
	enum analyze_class cl, wc;
	ucs4_t c;

	for (i = start; i < end && nstarts < AN_MAX_CHARS; i += n) {
		n = analyze_next(s + i, end - i, &c);
		starts[nstarts++] = i;
	}
	starts[nstarts] = end;
	if (i < end)
		nstarts = 0; /* too long to map: spans are the run's */
	if (analyze_plain(s + start, end - start)) {
		nlen = end - start;
		norm = nlen <= sizeof(fixed) ? fixed : xmalloc(nlen);
		for (i = 0; i < nlen; i++)
			norm[i] = s[start + i] >= 'A' && s[start + i] <= 'Z' ?
					  s[start + i] + ('a' - 'A') :
					  s[start + i];
	} else {
		norm = u8_casefold(s + start, end - start, NULL, UNINORM_NFKC,
				   fixed, &nlen);
		if (!norm)
			return 0; /* out of memory in libunistring: no words */
	}
	for (i = 0; i < nlen;) {
		n = analyze_next(norm + i, nlen - i, &c);
		if (analyze_class(c) == AN_NONE) {
			i += n;
			continue;
		}
		w0 = i;
		wc = AN_NONE;
		nchars = 0;
		while (i < nlen) {
			n = analyze_next(norm + i, nlen - i, &c);
			cl = analyze_class(c);
			if (cl == AN_NONE)
				break;
			if (cl != AN_JOIN && wc != AN_NONE && cl != wc)
				break;
			if (cl != AN_JOIN)
				wc = cl;
			i += n;
			nchars++;
		}
		if (limit && a->nwords >= limit)
			break;
		/* Character offsets map one to one when the run became one
		 * word of as many characters. */
		k = w0 == 0 && i == nlen && nchars == nstarts;
		analyze_word(a, norm + w0, i - w0, wc == AN_CJK, start, end,
			     k ? starts : NULL);
		words++;
	}
	if (norm != fixed)
		free(norm);
	return words;
}

size_t search_analyze(struct search_analysis *a, const char *text, size_t len,
		      size_t max_words)
{
	const uint8_t *s = (const uint8_t *)text;
	size_t i = 0, n, start = 0, words = 0, limit;
	enum analyze_class cl, run = AN_NONE;
	ucs4_t c;

	analyze_scripts();
	limit = max_words ? a->nwords + max_words : 0;
	while (i <= len) {
		if (i < len) {
			n = analyze_next(s + i, len - i, &c);
			cl = analyze_class(c);
		} else {
			n = 1;
			cl = AN_NONE;
		}
		if (cl == AN_JOIN)
			cl = run == AN_NONE ? AN_WORD : run;
		if (run != AN_NONE && cl != run) {
			words += analyze_run(a, s, start, i, limit);
			run = AN_NONE;
			if (limit && a->nwords >= limit)
				break;
		}
		if (cl != AN_NONE && run == AN_NONE) {
			run = cl;
			start = i;
		}
		i += n;
	}
	return words;
}

void search_analysis_reset(struct search_analysis *a)
{
	a->ntok = 0;
	a->nwords = 0;
	sbuf_reset(&a->text);
}

void search_analyze_text(struct search_analysis *a, const char *s)
{
	search_analysis_reset(a);
	if (s)
		search_analyze(a, s, strlen(s), 0);
}

void search_analysis_release(struct search_analysis *a)
{
	free(a->tok);
	a->tok = NULL;
	a->ntok = a->alloc = a->nwords = 0;
	sbuf_release(&a->text);
}

size_t search_word_grams(const struct search_analysis *a, size_t i)
{
	size_t n = 0;

	while (i + 1 + n < a->ntok && a->tok[i + 1 + n].gram)
		n++;
	return n;
}

size_t search_gram_min(size_t n)
{
	if (n <= 2)
		return n;
	return n <= 4 ? 2 : n - 2;
}

void search_analysis_words(const struct search_analysis *a, struct sbuf *sb)
{
	size_t i, n = 0;

	for (i = 0; i < a->ntok; i++) {
		if (a->tok[i].gram)
			continue;
		if (n++)
			sbuf_addch(sb, ' ');
		sbuf_add(sb, search_token_text(a, i), a->tok[i].len);
	}
}

struct an_span {
	size_t start, end;
};

static int an_span_cmp(const void *a, const void *b)
{
	const struct an_span *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

static void an_escape(struct sbuf *out, const char *s, size_t n)
{
	static const char *const html[256] = {
		['&'] = "&amp;",  ['<'] = "&lt;",   ['>'] = "&gt;",
		['"'] = "&quot;", ['\''] = "&#39;",
	};

	sbuf_add_escaped(out, s, n, html);
}

/*
 * q's tokens by text and kind, so that each token of a long text finds
 * its matches in one look-up: open addressing over q's tokens, and for
 * each key a chain of every q token with it (a bigram can belong to more
 * than one word of q).
 */
struct an_qmap {
	const struct search_analysis *q;
	size_t cap;
	size_t *slot; /* first q token + 1, 0: empty */
	size_t *next; /* next q token + 1 with the same key */
};

static size_t an_hash(const char *t, size_t len, bool gram)
{
	uint64_t h = gram ? 0x9e3779b97f4a7c15ULL : 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ (unsigned char)t[i]) * 0x100000001b3ULL;
	return (size_t)h;
}

static bool an_key_eq(const struct search_analysis *a, size_t i, const char *t,
		      size_t len, bool gram)
{
	return a->tok[i].gram == gram && a->tok[i].len == len &&
	       !memcmp(search_token_text(a, i), t, len);
}

/* The first q token (+ 1) with this key, 0 if none. */
static size_t an_qmap_find(const struct an_qmap *m, const char *t, size_t len,
			   bool gram)
{
	size_t h = an_hash(t, len, gram) % m->cap;

	while (m->slot[h] && !an_key_eq(m->q, m->slot[h] - 1, t, len, gram))
		h = (h + 1) % m->cap;
	return m->slot[h];
}

static void an_qmap_init(struct an_qmap *m, const struct search_analysis *q)
{
	size_t j, h, *p;

	m->q = q;
	m->cap = 2 * q->ntok + 1;
	m->slot = xcalloc(m->cap, sizeof(*m->slot));
	m->next = xcalloc(q->ntok + 1, sizeof(*m->next));
	for (j = 0; j < q->ntok; j++) {
		h = an_hash(search_token_text(q, j), q->tok[j].len,
			    q->tok[j].gram) %
		    m->cap;
		while (m->slot[h] &&
		       !an_key_eq(q, m->slot[h] - 1, search_token_text(q, j),
				  q->tok[j].len, q->tok[j].gram))
			h = (h + 1) % m->cap;
		/* append j to the key's chain */
		for (p = &m->slot[h]; *p; p = &m->next[*p - 1])
			;
		*p = j + 1;
	}
}

static void an_qmap_release(struct an_qmap *m)
{
	free(m->slot);
	free(m->next);
}

bool search_highlight(const struct search_analysis *q, const char *text,
		      struct sbuf *out)
{
	struct search_analysis d = SEARCH_ANALYSIS_INIT;
	struct an_qmap m;
	struct an_span *sp;
	size_t nsp = 0, i, j, t, g, have, pos = 0, len = strlen(text);
	bool *mark, *present, *enough;

	search_analyze(&d, text, len, 0);
	an_qmap_init(&m, q);
	mark = xcalloc(d.ntok + 1, sizeof(*mark));
	present = xcalloc(q->ntok + 1, sizeof(*present));
	enough = xcalloc(q->nwords + 1, sizeof(*enough));
	/* whole words, and which of q's bigrams the text holds */
	for (t = 0; t < d.ntok; t++) {
		j = an_qmap_find(&m, search_token_text(&d, t), d.tok[t].len,
				 d.tok[t].gram);
		if (j && !d.tok[t].gram)
			mark[t] = true;
		for (; j && d.tok[t].gram; j = m.next[j - 1])
			present[j - 1] = true;
	}
	/* the words of q with enough of their bigrams in the text */
	for (i = 0; i < q->ntok; i += 1 + g) {
		g = search_word_grams(q, i);
		for (j = i + 1, have = 0; j <= i + g; j++)
			have += present[j];
		enough[q->tok[i].word] = g && have >= search_gram_min(g);
	}
	for (t = 0; t < d.ntok; t++) {
		if (!d.tok[t].gram)
			continue;
		for (j = an_qmap_find(&m, search_token_text(&d, t),
				      d.tok[t].len, true);
		     j; j = m.next[j - 1])
			if (enough[q->tok[j - 1].word])
				mark[t] = true;
	}
	sp = xcalloc(d.ntok + 1, sizeof(*sp));
	for (t = 0; t < d.ntok; t++)
		if (mark[t]) {
			sp[nsp].start = d.tok[t].start;
			sp[nsp++].end = d.tok[t].end;
		}
	qsort(sp, nsp, sizeof(*sp), an_span_cmp);
	for (i = 0; i < nsp; i = j) {
		size_t end = sp[i].end;

		for (j = i + 1; j < nsp && sp[j].start <= end; j++)
			if (sp[j].end > end)
				end = sp[j].end;
		an_escape(out, text + pos, sp[i].start - pos);
		sbuf_addstr(out, "<em>");
		an_escape(out, text + sp[i].start, end - sp[i].start);
		sbuf_addstr(out, "</em>");
		pos = end;
	}
	an_escape(out, text + pos, len - pos);
	free(sp);
	free(mark);
	free(present);
	free(enough);
	an_qmap_release(&m);
	search_analysis_release(&d);
	return nsp > 0;
}
