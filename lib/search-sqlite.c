/* search-sqlite.c: the search analyzer registered in SQLite (FTS5
 * tokenizer, ranking function, word list for the vocabulary). */
#include "common.h"

#include "search-analyze.h"
#include "search-sqlite.h"

/* ---- the tokenizer ---------------------------------------------------- */

/* One object serves every table: the tokenizer has no options. */
static int sqlite_tok_create(void *ctx, const char **argv, int argc,
			     Fts5Tokenizer **out)
{
	(void)ctx;
	(void)argv;
	if (argc)
		return SQLITE_ERROR;
	*out = (Fts5Tokenizer *)xcalloc(1, sizeof(struct search_analysis));
	return SQLITE_OK;
}

static void sqlite_tok_delete(Fts5Tokenizer *t)
{
	struct search_analysis *a = (struct search_analysis *)t;

	search_analysis_release(a);
	free(a);
}

/*
 * A document: every token of the analyzer, bigrams marked. A query:
 * search-fts.c builds the MATCH expression from the analyzer's tokens (marks
 * included) as quoted strings, so each string is one token as it is.
 */
static int sqlite_tok_tokenize(Fts5Tokenizer *t, void *ctx, int flags,
			       const char *text, int len,
			       int (*emit)(void *, int, const char *, int, int,
					   int))
{
	struct search_analysis *a = (struct search_analysis *)t;
	char buf[256];
	const char *s;
	size_t i, n;
	int rc = SQLITE_OK;

	if (flags & FTS5_TOKENIZE_QUERY)
		return len ? emit(ctx, 0, text, len, 0, len) : SQLITE_OK;
	search_analysis_reset(a);
	search_analyze(a, text, (size_t)len, 0);
	for (i = 0; i < a->ntok && rc == SQLITE_OK; i++) {
		s = search_token_text(a, i);
		n = a->tok[i].len;
		if (a->tok[i].gram) {
			/* bigrams are two characters: at most 8 bytes */
			n = (size_t)snprintf(buf, sizeof(buf), "%s%s",
					     SEARCH_SQLITE_GRAM, s);
			s = buf;
		}
		rc = emit(ctx, 0, s, (int)n, (int)a->tok[i].start,
			  (int)a->tok[i].end);
	}
	return rc;
}

/* ---- the ranking function --------------------------------------------- */

/* One query word of a spec: its bigrams, how many of them are needed,
 * its weight. */
struct sqlite_word {
	unsigned long g, k;
	long long w;
};

/*
 * A spec read once per query (FTS5 keeps it as the function's auxiliary
 * data until the query ends), with room for the phrases' marks: the
 * scan of a broad word calls search_score() for thousands of rows.
 */
struct sqlite_spec {
	char *text; /* the spec it was read from */
	struct sqlite_word *word;
	size_t nword;
	unsigned char *hit; /* 2 per phrase: in the name, in the description */
	int nphrase;
};

static void sqlite_spec_free(void *p)
{
	struct sqlite_spec *sp = p;

	free(sp->text);
	free(sp->word);
	free(sp->hit);
	free(sp);
}

static struct sqlite_spec *sqlite_spec_new(const char *text, int nphrase)
{
	struct sqlite_spec *sp = xcalloc(1, sizeof(*sp));
	const char *c = text;
	char *end;

	sp->text = xstrdup(text);
	/* at most one word per phrase */
	sp->word = xcalloc((size_t)nphrase + 1, sizeof(*sp->word));
	sp->hit = xcalloc((size_t)nphrase + 1, 2);
	sp->nphrase = nphrase;
	while (*c && sp->nword < (size_t)nphrase) {
		struct sqlite_word *w = &sp->word[sp->nword++];

		w->g = strtoul(c, &end, 10);
		w->k = *end == ':' ? strtoul(end + 1, &end, 10) : 0;
		w->w = *end == ':' ? strtoll(end + 1, &end, 10) : 1;
		c = *end == ',' ? end + 1 : end;
	}
	return sp;
}

/*
 * search_score(products_fts, spec): the score of the current row for a
 * MATCH expression that search-fts.c built as, for each query word in
 * order, the whole word then its bigrams, one phrase each. spec lists per word
 * "<bigrams>:<bigrams needed>:<weight>," so the phrases can be told
 * apart. The score sums over the words the weight times the best of:
 * whole word in the name 4, in the description 2, enough bigrams in the
 * name 2, in the description 1 (search-fts.c says why).
 */
static void sqlite_score(const Fts5ExtensionApi *api, Fts5Context *fts,
			 sqlite3_context *ctx, int nval, sqlite3_value **val)
{
	const char *text;
	struct sqlite_spec *sp;
	const struct sqlite_word *w;
	int nphrase, p = 0, col, j;
	long long total = 0, s, name, desc;
	Fts5PhraseIter it;
	size_t i;

	if (nval != 1 || !(text = (const char *)sqlite3_value_text(val[0]))) {
		sqlite3_result_error(ctx, "search_score: one spec argument",
				     -1);
		return;
	}
	nphrase = api->xPhraseCount(fts);
	sp = api->xGetAuxdata(fts, 0);
	if (!sp || sp->nphrase != nphrase || strcmp(sp->text, text)) {
		sp = sqlite_spec_new(text, nphrase);
		if (api->xSetAuxdata(fts, sp, sqlite_spec_free) != SQLITE_OK) {
			sqlite3_result_error_nomem(ctx);
			return;
		}
	}
	memset(sp->hit, 0, 2 * ((size_t)nphrase + 1));
	for (j = 0; j < nphrase; j++)
		for (api->xPhraseFirstColumn(fts, j, &it, &col); col >= 0;
		     api->xPhraseNextColumn(fts, &it, &col))
			if (col < 2)
				sp->hit[2 * j + col] = 1;
	for (i = 0; i < sp->nword && p < nphrase; i++) {
		w = &sp->word[i];
		s = sp->hit[2 * p] ? 4 : sp->hit[2 * p + 1] ? 2 : 0;
		name = desc = 0;
		for (j = 1; j <= (int)w->g && p + j < nphrase; j++) {
			name += sp->hit[2 * (p + j)];
			desc += sp->hit[2 * (p + j) + 1];
		}
		if (w->g && s < 2 && (unsigned long)name >= w->k)
			s = 2;
		if (w->g && s < 1 && (unsigned long)desc >= w->k)
			s = 1;
		total += s * w->w;
		p += 1 + (int)w->g;
	}
	sqlite3_result_int64(ctx, total);
}

/* ---- the word list ---------------------------------------------------- */

static int sqlite_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* search_words(text, …): distinct whole words, sorted, as a JSON array. */
static void sqlite_words(sqlite3_context *ctx, int nval, sqlite3_value **val)
{
	struct search_analysis a = SEARCH_ANALYSIS_INIT;
	struct sbuf sb = SBUF_INIT;
	const char **w;
	size_t i, n = 0;
	int v;

	for (v = 0; v < nval; v++)
		if (sqlite3_value_type(val[v]) != SQLITE_NULL)
			search_analyze(&a,
				       (const char *)sqlite3_value_text(val[v]),
				       (size_t)sqlite3_value_bytes(val[v]), 0);
	w = xcalloc(a.nwords + 1, sizeof(*w));
	for (i = 0; i < a.ntok; i++)
		if (!a.tok[i].gram)
			w[n++] = search_token_text(&a, i);
	qsort(w, n, sizeof(*w), sqlite_strcmp);
	sbuf_addch(&sb, '[');
	for (i = 0; i < n; i++) {
		if (i && !strcmp(w[i], w[i - 1]))
			continue;
		if (sb.len > 1)
			sbuf_addch(&sb, ',');
		sbuf_add_json_str(&sb, w[i]);
	}
	sbuf_addch(&sb, ']');
	sqlite3_result_text(ctx, sb.buf, (int)sb.len, SQLITE_TRANSIENT);
	sbuf_release(&sb);
	free(w);
	search_analysis_release(&a);
}

/* ---- registration ----------------------------------------------------- */

static fts5_api *sqlite_fts5(sqlite3 *lite)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v2(lite, "SELECT fts5(?1)", -1, &st, NULL) !=
	    SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

int search_sqlite_register(sqlite3 *lite)
{
	static fts5_tokenizer tok = {
		sqlite_tok_create,
		sqlite_tok_delete,
		sqlite_tok_tokenize,
	};
	fts5_api *api = sqlite_fts5(lite);
	int rc;

	if (!api)
		return SQLITE_ERROR;
	rc = api->xCreateTokenizer(api, "agora", NULL, &tok, NULL);
	if (rc == SQLITE_OK)
		rc = api->xCreateFunction(api, "search_score", NULL,
					  sqlite_score, NULL);
	if (rc == SQLITE_OK)
		rc = sqlite3_create_function(lite, "search_words", -1,
					     SQLITE_UTF8 | SQLITE_DETERMINISTIC,
					     NULL, sqlite_words, NULL, NULL);
	return rc;
}
