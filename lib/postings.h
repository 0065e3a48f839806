/* postings.h: agora's own inverted index of the products, packed.
 *
 * For each term of the analyzer (a whole word or a bigram, as
 * search-analyze.h makes them) and each run of POSTINGS_BUCKET
 * consecutive product ids, one row holds the postings of the ACTIVE
 * products of the run that hold the term, in id order. A posting
 * carries what a search needs of its product besides the term: where
 * the term is (flags), the category and brand (as ordinals) and the
 * price. A search reads the rows of its terms and nothing else until
 * its page: no lookup of each match's row, which is what a broad q
 * spends its time on with the databases' own full-text indexes
 * (docs/benchmarks.md, "Where a broad q spends its time").
 */
#ifndef AGORA_POSTINGS_H
#define AGORA_POSTINGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "db.h"
#include "sbuf.h"
#include "search-analyze.h"

/* Ids a row covers. Fewer, longer rows are cheaper to read (a row
 * costs PostgreSQL about a microsecond) and to build, dearer to rewrite
 * on a product's write (docs/benchmarks.md). */
#define POSTINGS_BUCKET 16384
/* A posting's bytes, little-endian: offset in the bucket << 4 | flags
 * (3), category (4), brand (4), price (8). */
#define POSTING_HEAD 3
#define POSTING_SIZE 19

/* Where a product holds a term: the flags of a posting. */
enum {
	POSTING_DESC_GRAM = 1, /* a bigram of a word of the description */
	POSTING_NAME_GRAM = 2, /* a bigram of a word of the name */
	POSTING_DESC_WORD = 4, /* a whole word of the description */
	POSTING_NAME_WORD = 8, /* a whole word of the name */
};

struct posting {
	int64_t id;
	unsigned flags;
	uint32_t category, brand; /* ordinals: product_values */
	int64_t price;
};

/* ---- the terms of a product -------------------------------------------- */

struct postings_term {
	const char *term; /* in the analyses of struct postings_terms */
	unsigned flags;
};

/* A product's terms, each once, sorted by their bytes (the order in
 * which a write locks their rows). */
struct postings_terms {
	struct postings_term *t;
	size_t n, alloc;
	struct search_analysis name, description;
};

#define POSTINGS_TERMS_INIT                                            \
	{                                                              \
		NULL, 0, 0, SEARCH_ANALYSIS_INIT, SEARCH_ANALYSIS_INIT \
	}

/* postings_terms: the terms of a product of that name and description
 * (NULL: none) into pt, replacing what it held. Terms longer than
 * SEARCH_LEXEME_MAX bytes are left out, as the tsvector leaves them. */
void postings_terms(struct postings_terms *pt, const char *name,
		    const char *description);
void postings_terms_release(struct postings_terms *pt);

/* ---- a row --------------------------------------------------------------- */

static inline size_t postings_count(size_t len)
{
	return len / POSTING_SIZE;
}

/* posting_get: posting i of the row of bucket. */
void posting_get(const unsigned char *row, size_t i, int64_t bucket,
		 struct posting *p);

/*
 * postings_set: the row in *row (a bucket's postings, in id order) with
 * id's posting replaced by p, or added; removed when p is NULL. p->id
 * must be id, in the row's bucket. Returns whether the row changed.
 */
bool postings_set(struct sbuf *row, int64_t id, const struct posting *p);

/* ---- the tables ---------------------------------------------------------- */

/* A product as its postings see it. */
struct postings_product {
	int64_t id, price;
	const char *name, *description, *category, *brand;
	bool active;
};

/*
 * postings_ready: 1 when product_postings holds every ACTIVE product
 * (db/<dialect>/0019_product_postings.sql), 0 until postings_build()
 * has built them, -1 on error.
 */
int postings_ready(struct db *db, struct err *e);

/*
 * postings_write: in the caller's transaction, the rows of product_postings
 * changed for a product that was old (NULL: none) and is now (NULL:
 * deleted); nothing while they are not ready. The rows are locked in
 * the order of their terms, so that two writes wait for each other
 * rather than deadlock; a category or brand seen for the first time
 * gets its number in product_values.
 */
int postings_write(struct db *db, const struct postings_product *old,
		   const struct postings_product *now, struct err *e);

/*
 * postings_build: product_postings built again from every ACTIVE
 * product, in one transaction, then ready; on PostgreSQL product writes
 * wait for it (agora migrate, agora reindex). postings_fill: the same
 * in the caller's transaction, which keeps writes out (agora seed into
 * a catalogue that had products).
 */
int postings_build(struct db *db, struct err *e);
int postings_fill(struct db *db, struct err *e);

/*
 * struct postings_load: a build in memory of every ACTIVE product's
 * postings, given to it in id order by whoever has them analysed, with
 * no database until it is stored (agora seed, on the thread that makes
 * the products).
 *
 * postings_load_add: product (ACTIVE), whose name and description
 * search_analyze() gave name and description.
 * postings_load_full: whether it holds as many bytes as a build ever
 * holds; the caller then stops adding and builds from the table instead.
 * postings_load_number: its categories and brands given the numbers of
 * product_values in db (given there the first time), in the caller's
 * transaction.
 * postings_load_store: product_postings replaced by what it holds, in
 * the caller's transaction, then ready; the products given must be
 * every ACTIVE one. Numbered first in db unless postings_load_number()
 * numbered them: then db need hold only product_postings and
 * product_postings_state (agora seed's scratch database).
 */
struct postings_load;
struct postings_load *postings_load_new(void);
void postings_load_add(struct postings_load *l,
		       const struct postings_product *product,
		       const struct search_analysis *name,
		       const struct search_analysis *description);
bool postings_load_full(const struct postings_load *l);
int postings_load_number(struct postings_load *l, struct db *db, struct err *e);
int postings_load_store(struct postings_load *l, struct db *db, struct err *e);
void postings_load_free(struct postings_load *l);

/* ---- a search ------------------------------------------------------------ */

/* The rows of one term of a query, by bucket ascending. */
struct postings_rows {
	const int64_t *bucket;
	const unsigned char *const *row;
	const size_t *len;
	size_t n;
};

/* A product a query matches. */
struct postings_hit {
	int64_t id, score, price;
	uint32_t category, brand;
};

typedef void (*postings_hit_fn)(void *ctx, const struct postings_hit *h);

/*
 * postings_match: the products that the query analysed in q matches, in
 * id order, each given to fn with its score: rows[i] are the rows of
 * q's token i, weights[w] the weight of its word w
 * (search_vocab_weights()). The rules are those of the databases' own
 * full-text search (search-fts.c): per word, the best of the whole word
 * in the name (4), in the description (2), enough of its bigrams
 * (search_gram_min()) in the name (2), in the description (1), times
 * the word's weight; summed over the words; a product scoring 0 is no
 * match.
 */
void postings_match(const struct search_analysis *q, const int64_t *weights,
		    const struct postings_rows *rows, postings_hit_fn fn,
		    void *ctx);

#endif
