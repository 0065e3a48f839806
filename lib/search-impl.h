/* search-impl.h: what a search backend implements (lib/search-fts.c,
 * lib/search-es.c with lib/search-es-index.c); not for callers, who use
 * search.h. */
#ifndef AGORA_SEARCH_IMPL_H
#define AGORA_SEARCH_IMPL_H

#include <stdbool.h>

#include "search.h"

/*
 * One table of operations per backend. Each backend's own struct embeds
 * struct search as its first member, so a struct search * can be cast
 * back to it. The contracts are those of the matching search.h calls.
 */
struct search_ops {
	int (*products)(struct search *s, const struct search_query *q,
			struct json_object **out, struct err *e);
	bool (*health)(struct search *s, struct json_object **entry);
	int (*reindex)(struct search *s, search_progress_fn progress, void *ctx,
		       struct json_object **out, struct err *e);
	void (*free)(struct search *s);
};

struct search {
	const struct search_ops *ops;
	struct db *db; /* the vocabulary's, for every backend */
};

/*
 * What every backend answers alike, so that the API scenarios see the same
 * results on each: a facet lists at most SEARCH_FACET_MAX values, most
 * frequent first, ties by value (Elasticsearch's terms order); items that
 * sort equal are ordered by id, highest first.
 */
#define SEARCH_FACET_MAX 20

/*
 * total counts the matches exactly up to this many, then says "at
 * least" (totalRelation "gte"), as Elasticsearch's default
 * track_total_hits does; page * size is capped at it too.
 */
#define SEARCH_TOTAL_MAX 10000
/* The words of q a search uses; the rest is ignored (q is at most 200
 * characters). */
#define SEARCH_MAX_WORDS 32

struct search_analysis;

/*
 * search_vocab_suggest: search_suggest() on the vocabulary table, for
 * every backend: the last word of q completed by the most frequent words
 * that start with it, after the words before it.
 */
int search_vocab_suggest(struct db *db, const char *q, int64_t size,
			 struct json_object **out, struct err *e);

/*
 * search_vocab_correct: the words of a (a query) with each one that
 * matches no product replaced by the closest word of the vocabulary, as
 * a new string in *fixed (caller frees); NULL when nothing changed.
 * found_none: the search found nothing, so CJK words are corrected too.
 */
int search_vocab_correct(struct db *db, const struct search_analysis *a,
			 bool found_none, char **fixed, struct err *e);

/*
 * search_vocab_weights: w[i] (room for a's words) is how much the i-th
 * word of a weighs in the score: the rarer, the more (search-vocab.c).
 */
int search_vocab_weights(struct db *db, const struct search_analysis *a,
			 int64_t *w, struct err *e);

/* PostgreSQL caps a lexeme at 2 KiB: longer words are left out. */
#define SEARCH_LEXEME_MAX 2046

/* The constructors search_open() chooses between. */
int search_fts_open(struct search **out, const struct cfg *c, struct db *db,
		    struct err *e);
int search_es_open(struct search **out, const struct cfg *c, struct db *db,
		   struct err *e);

#endif
