/* search-sqlite.c: the search analyzer registered in SQLite (the word
 * list of the vocabulary, and the FTS5 tokenizer of migration 0014). */
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
 * A document: every token of the analyzer, bigrams marked. A query
 * string is one token as it is. Only migrations 0014 to 0021 index with
 * it: 0021 drops products_fts.
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
		rc = sqlite3_create_function(lite, "search_words", -1,
					     SQLITE_UTF8 | SQLITE_DETERMINISTIC,
					     NULL, sqlite_words, NULL, NULL);
	return rc;
}
