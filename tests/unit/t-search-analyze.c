/* t-search-analyze.c: what a word is, its normalization, CJK bigrams and
 * the original spans of tokens. */
#include "common.h"
#include "tap.h"
#include "search-analyze.h"

/* The tokens of s as "word|gram gram …" lists: "노트북[노트 트북]". */
static char *toks(const char *s, size_t max_words)
{
	struct search_analysis a = SEARCH_ANALYSIS_INIT;
	struct sbuf sb = SBUF_INIT;
	size_t i;

	search_analyze(&a, s, strlen(s), max_words);
	for (i = 0; i < a.ntok; i++) {
		if (!a.tok[i].gram && i)
			sbuf_addch(&sb, ' ');
		if (a.tok[i].gram)
			sbuf_addch(&sb, i && !a.tok[i - 1].gram ? '[' : ' ');
		sbuf_addstr(&sb, search_token_text(&a, i));
		if (a.tok[i].gram && (i + 1 == a.ntok || !a.tok[i + 1].gram))
			sbuf_addch(&sb, ']');
	}
	search_analysis_release(&a);
	return sbuf_detach(&sb, NULL);
}

#define TOKS(s, want, ...)                       \
	do {                                     \
		char *got_ = toks(s, 0);         \
		is_str(got_, want, __VA_ARGS__); \
		free(got_);                      \
	} while (0)

static void test_words(void)
{
	TOKS("", "", "no text, no words");
	TOKS(" .,;-- ", "", "punctuation only, no words");
	TOKS("Samsung LG", "samsung lg", "ASCII words, lower-cased");
	TOKS("Samsung\xe3\x80\x80LG", "samsung lg", "ideographic space");
	TOKS("Samsung\xc2\xa0LG", "samsung lg", "no-break space");
	TOKS("Samsung\xe2\x80\x94LG", "samsung lg", "em dash");
	TOKS("Samsung/LG", "samsung lg", "slash");
	TOKS("samsung.lg", "samsung lg", "full stop");
	TOKS("Samsung\xe2\x80\x99s", "samsung s", "right single quote");
	TOKS("Samsung's", "samsung s", "apostrophe");
	TOKS("\xeb\x85\xb8\xed\x8a\xb8\xeb\xb6\x81\xe3\x80\x81\xea\xb0\x80"
	     "\xeb\xb0\xa9",
	     "노트북[노트 트북] 가방[가방]", "、 separates");
	TOKS("노트북·가방", "노트북[노트 트북] 가방[가방]", "· separates");
	TOKS("a_b a+b a@b", "a b a b a b", "_ + @ separate");
	TOKS("3.5kg 100%", "3 5kg 100", "digits are word characters");
	TOKS("caf\xc3\xa9 cafe\xcc\x81", "café café",
	     "NFKC composes a combining accent");
	TOKS("\xef\xbc\xa1\xef\xbc\xa2\xef\xbc\xa3\xef\xbc\x91", "abc1",
	     "full-width letters and digits");
	TOKS("Stra\xc3\x9f"
	     "e \xce\xa3\xce\x9f\xce\xa6",
	     "strasse σοφ", "case folding beyond ASCII");
	TOKS("\xef\xac\x81le", "file", "ligature fi");
	/* ASCII and Hangul syllables skip libunistring; what follows must
	 * still reach it */
	TOKS("K512 SAMSUNG 노트북", "k512 samsung 노트북[노트 트북]",
	     "ASCII capitals folded, Hangul syllables kept");
	TOKS("\xea\xb0\x80\xe1\x86\xa8", "각",
	     "a syllable and a trailing jamo compose (NFKC)");
	TOKS("CAFE\xcc\x81", "café", "an ASCII word and a combining mark");
	TOKS("\xe2\x91\xa0 \xc2\xbd", "1 1 2", "① is 1, ½ is 1 and 2");
	TOKS("Samsung\xe2\x84\xa2", "samsung", "™ is a symbol, not letters");
	TOKS("a\xffz", "a z", "a bad byte separates words");
	TOKS("\xf0\x9f\x98\x80 ok", "ok", "an emoji is no word");
}

static void test_cjk(void)
{
	TOKS("노트북", "노트북[노트 트북]", "a Hangul word and its bigrams");
	TOKS("노트북을", "노트북을[노트 트북 북을]", "a particle attached");
	TOKS("무선이어폰", "무선이어폰[무선 선이 이어 어폰]",
	     "a compound without its space");
	TOKS("폰", "폰", "one character: the word alone");
	TOKS("가방", "가방[가방]", "two characters: word and bigram");
	TOKS("갤럭시S23", "갤럭시[갤럭 럭시] s23",
	     "Hangul and Latin next to each other are two words");
	TOKS("3인용", "3 인용[인용]", "digits and Hangul too");
	TOKS("中文字", "中文字[中文 文字]", "Han");
	TOKS("コーヒー", "コーヒー[コー ーヒ ヒー]",
	     "the prolonged sound mark belongs to its word");
	TOKS("\xef\xbe\x89\xef\xbd\xb0\xef\xbe\x84", "ノート[ノー ート]",
	     "half-width katakana become full-width");
	TOKS("\xe1\x84\x82\xe1\x85\xa9", "노", "conjoining jamo compose");
}

static void test_spans(void)
{
	struct search_analysis a = SEARCH_ANALYSIS_INIT;
	const char *s = "삼성 노트북, ＡＢ";
	size_t n;

	n = search_analyze(&a, s, strlen(s), 0);
	is_int(n, 3, "three words");
	is_int(a.nwords, 3, "nwords counts them");
	is_int(a.ntok, 6, "삼성 + 1 bigram, 노트북 + 2, ab");
	is_int(a.tok[0].start, 0, "삼성 starts at 0");
	is_int(a.tok[0].end, 6, "and ends at 6");
	is_int(a.tok[2].start, 7, "노트북 starts at 7");
	is_int(a.tok[4].start, 10, "트북 starts at the second syllable");
	is_int(a.tok[4].end, 16, "and ends with the word");
	is_int(a.tok[4].word, 1, "트북 belongs to word 1");
	is_int(search_word_grams(&a, 2), 2, "노트북 has two bigrams");
	is_int(search_word_grams(&a, 5), 0, "ab has none");
	is_int(a.tok[5].start, 18, "ＡＢ starts after ', '");
	is_int(a.tok[5].end, 24, "its span is the full-width bytes");
	is_int(a.tok[5].len, 2, "its text is 'ab'");

	search_analysis_reset(&a);
	n = search_analyze(&a, "a b c d", 7, 2);
	is_int(n, 2, "max_words stops at that many words");
	is_int(a.ntok, 2, "and their tokens");
	n = search_analyze(&a, "e f", 3, 1);
	is_int(a.nwords, 3, "a second call appends");
	search_analyze_text(&a, "g h i j k");
	ok(a.nwords == 5 && !strcmp(search_token_text(&a, 0), "g"),
	   "search_analyze_text replaces what it held, every word");
	search_analyze_text(&a, NULL);
	ok(a.ntok == 0 && a.nwords == 0, "... and NULL leaves none");
	search_analysis_release(&a);
}

static void test_gram_min(void)
{
	is_int(search_gram_min(0), 0, "0 bigrams: 0");
	is_int(search_gram_min(1), 1, "1 of 1");
	is_int(search_gram_min(2), 2, "2 of 2");
	is_int(search_gram_min(3), 2, "2 of 3 (노트북을)");
	is_int(search_gram_min(4), 2, "2 of 4 (무선이어폰, 게임패드는)");
	is_int(search_gram_min(5), 3, "3 of 5");
	is_int(search_gram_min(6), 4, "4 of 6 (블루투스스피커)");
}

/* The highlight of text for q. */
static char *hl(const char *q, const char *text)
{
	struct search_analysis a = SEARCH_ANALYSIS_INIT;
	struct sbuf sb = SBUF_INIT;

	search_analyze(&a, q, strlen(q), 0);
	if (!search_highlight(&a, text, &sb))
		sbuf_addstr(&sb, " (none)");
	search_analysis_release(&a);
	return sbuf_detach(&sb, NULL);
}

#define HL(q, text, want, ...)                   \
	do {                                     \
		char *got_ = hl(q, text);        \
		is_str(got_, want, __VA_ARGS__); \
		free(got_);                      \
	} while (0)

static void test_highlight(void)
{
	HL("laptop", "Acme Laptop 15", "Acme <em>Laptop</em> 15",
	   "a whole word, in its original case");
	HL("노트북을", "삼성 노트북 가방", "삼성 <em>노트북</em> 가방",
	   "the bigrams that matched, as one part");
	HL("노트북", "노트북가방", "<em>노트북</em>가방", "inside a compound");
	HL("노트북", "스프링 노트", "스프링 노트 (none)",
	   "one bigram of two is not enough");
	HL("tiny", "<i>Tiny</i> & \"x\" 'y'",
	   "&lt;i&gt;<em>Tiny</em>&lt;/i&gt; &amp; &quot;x&quot; &#39;y&#39;",
	   "the rest is HTML-escaped");
	HL("samsung lg", "Samsung/LG", "<em>Samsung</em>/<em>LG</em>",
	   "two words apart stay two parts");
	HL("ＳＡＭＳＵＮＧ", "samsung", "<em>samsung</em>",
	   "matched after normalization");
	HL("노트북 노트", "노트", "<em>노트</em>",
	   "a bigram shared by two words of q");
	HL("x", "", " (none)", "an empty text");
}

int main(void)
{
	test_words();
	test_cjk();
	test_spans();
	test_gram_min();
	test_highlight();
	return done_testing();
}
