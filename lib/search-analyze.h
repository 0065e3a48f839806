/* search-analyze.h: what a word is, for documents and queries on every
 * search backend alike. */
#ifndef AGORA_SEARCH_ANALYZE_H
#define AGORA_SEARCH_ANALYZE_H

#include <stdbool.h>
#include <stddef.h>

#include "sbuf.h"

/*
 * A word is a run of Unicode letters, digits and combining marks
 * (libunistring decides), normalized with NFKC and case folding. Every
 * other character separates words: spaces of any kind, punctuation of any
 * script ('.', '/', '·', '、', '’', em dash), symbols. A run of Hangul,
 * Han, Hiragana or Katakana is a word apart from letters of other scripts
 * next to it ("갤럭시S23" is 갤럭시 and s23), and besides the whole word
 * gives its overlapping bigrams (노트북: 노트, 트북), as Elasticsearch's
 * cjk_bigram does: compounds, words written without their space and
 * words with a particle attached share bigrams with what they contain.
 *
 * Each token is a whole word or a bigram of one, with the bytes of the
 * original text it came from (for highlights).
 */
struct search_token {
	size_t off; /* its text: search_token_text() */
	size_t len;
	size_t start, end; /* the original bytes [start, end) */
	size_t word; /* the index of its whole-word token */
	bool gram; /* a bigram, not a whole word */
};

struct search_analysis {
	struct search_token *tok;
	size_t ntok, alloc;
	size_t nwords;
	struct sbuf text; /* the tokens' texts, NUL-separated */
};

#define SEARCH_ANALYSIS_INIT             \
	{                                \
		NULL, 0, 0, 0, SBUF_INIT \
	}

/*
 * search_analyze: append the tokens of len bytes of s (UTF-8; a bad
 * sequence separates words) to a, at most max_words more words (0: no
 * limit). For each word its whole-word token comes first, then its
 * bigrams. Returns the number of words added.
 */
size_t search_analyze(struct search_analysis *a, const char *s, size_t len,
		      size_t max_words);
/*
 * search_analyze_text: a's tokens those of the NUL-terminated s, every
 * word of it (NULL: none), in place of what it held: a product's name or
 * description.
 */
void search_analyze_text(struct search_analysis *a, const char *s);
/* search_analysis_reset: no tokens, allocations kept. */
void search_analysis_reset(struct search_analysis *a);
void search_analysis_release(struct search_analysis *a);

static inline const char *search_token_text(const struct search_analysis *a,
					    size_t i)
{
	return a->text.buf + a->tok[i].off;
}

/* search_word_grams: how many bigrams follow whole-word token i. */
size_t search_word_grams(const struct search_analysis *a, size_t i);

/*
 * search_gram_min: how many of a query word's n bigrams a text must hold
 * for the word to match it when the whole word is not there: all but two
 * (a missing space and a particle each add one that the text lacks), and
 * at least two, or all when there are fewer (노트북을: 2 of 3,
 * 무선이어폰: 2 of 4, 게임패드는: 2 of 4, 블루투스스피커: 4 of 6).
 */
size_t search_gram_min(size_t n);

/* search_analysis_words: the whole words, space-separated, into sb. */
void search_analysis_words(const struct search_analysis *a, struct sbuf *sb);

/*
 * search_highlight: append text to out, HTML-escaped, with what query q
 * matches in it wrapped in <em>…</em>: its whole words, and the bigrams
 * of a query word of which text holds enough (search_gram_min()), as the
 * search itself matches. Overlapping and touching parts make one <em>.
 * Returns whether anything was marked.
 */
bool search_highlight(const struct search_analysis *q, const char *text,
		      struct sbuf *out);

#endif
