/* product.h: the products table: its columns, the API's product and the
 * search document, the writes with their events, the PostgreSQL tsvector. */
#ifndef AGORA_PRODUCT_H
#define AGORA_PRODUCT_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "col.h"
#include "db.h"
#include "err.h"
#include "sbuf.h"

/* The columns of a product, and their positions in a row selected with
 * them; col_json(product_cols, …) is the API's product {id, name,
 * description, category, brand, price, status, version, createdAt,
 * updatedAt}. */
enum product_col {
	PRODUCT_ID,
	PRODUCT_NAME,
	PRODUCT_DESCRIPTION,
	PRODUCT_CATEGORY,
	PRODUCT_BRAND,
	PRODUCT_PRICE,
	PRODUCT_STATUS,
	PRODUCT_VERSION,
	PRODUCT_CREATED,
	PRODUCT_UPDATED
};
extern const struct col product_cols[];

/*
 * product_doc: the search document of the same row: {id, name,
 * description, category, brand, price, status, created_at}, the shape
 * search answers and Elasticsearch stores. The caller owns it.
 */
struct json_object *product_doc(const struct db_res *res, size_t row);

/*
 * product_get: product id as the API shows it, in *out (caller owns).
 * Errors: 404 "Product 5 not found", those of db_query().
 */
int product_get(struct db *db, int64_t id, struct json_object **out,
		struct err *e);

/* The events a product write appends to the outbox (aggregatetype
 * "product", aggregateid the id). */
enum product_event {
	PRODUCT_UPSERTED, /* the document with its version */
	PRODUCT_DELETED, /* {id, version}: outranks every earlier one */
};

/* product_event_type: "PRODUCT_UPSERTED" or "PRODUCT_DELETED". */
const char *product_event_type(enum product_event ev);

/*
 * What a write sets. For product_create: name, category, brand and price
 * are required (validated by the caller), status NULL is ACTIVE. For
 * product_update a NULL string or !has_price keeps the value, except
 * description, which has_description with NULL clears.
 */
struct product_input {
	const char *name;
	const char *description;
	bool has_description;
	const char *category;
	const char *brand;
	int64_t price;
	bool has_price;
	const char *status; /* "ACTIVE" or "INACTIVE" */
};

/*
 * product_create, product_update, product_delete: the write, its
 * tsvector (PostgreSQL) and its event in one transaction. An update is
 * always a change: version + 1 and an event. *out (caller frees; may be
 * NULL) receives the row, selected with product_cols (for a delete: as it
 * was). Errors: 404 "Product 5 not found", those of db_query().
 */
int product_create(struct db *db, const struct product_input *in,
		   struct db_res **out, struct err *e);
int product_update(struct db *db, int64_t id, const struct product_input *in,
		   struct db_res **out, struct err *e);
int product_delete(struct db *db, int64_t id, struct db_res **out,
		   struct err *e);

/*
 * product_price: the price of product id when it can be ordered (it is
 * ACTIVE). Returns 1 with *price set, 0 when it cannot be ordered or does
 * not exist, -1 with e set.
 */
int product_price(struct db *db, int64_t id, int64_t *price, struct err *e);

/*
 * product_tsvector: append to sb the PostgreSQL tsvector text of a
 * product: the analyzer's whole words of the name with weight A, of the
 * description B, their bigrams C and D (description may be NULL).
 */
void product_tsvector(struct sbuf *sb, const char *name,
		      const char *description);

struct search_analysis;

/*
 * product_tsv: product_tsvector() of a name and description (empty when
 * NULL) already analyzed, for one analysis shared with other work (agora
 * seed's vocabulary).
 */
void product_tsv(struct sbuf *sb, const struct search_analysis *name,
		 const struct search_analysis *description);

/* product_tsv_lexeme: lex quoted as tsvector's and tsquery's text forms
 * read it ('it''s'), appended to sb. */
void product_tsv_lexeme(struct sbuf *sb, const char *lex);

/*
 * product_tsv_binary: the same tsvector in PostgreSQL's binary form (what
 * COPY … (FORMAT binary) and tsvector's receive function take: the count
 * of lexemes, then each lexeme NUL-terminated with its positions), the
 * lexemes in order and merged as the text form's input merges them, so
 * that the server has nothing to parse or sort.
 */
void product_tsv_binary(struct sbuf *sb, const struct search_analysis *name,
			const struct search_analysis *description);

/*
 * product_tsvector_fill: on PostgreSQL, compute the tsvector of every
 * product (all) or of those without one (after a migration), 500 rows
 * per transaction and statement; *done is how many. Nothing on SQLite,
 * whose triggers run the analyzer.
 */
int product_tsvector_fill(struct db *db, bool all, int64_t *done,
			  struct err *e);

#endif
