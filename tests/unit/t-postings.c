/* t-postings.c: the packed postings: a product's terms, a row's edits,
 * and a search's matches and scores against a direct reading of the
 * rules on random catalogues. */
#include "common.h"

#include <pthread.h>

#include "cfg.h"
#include "log.h"
#include "postings.h"
#include "product.h"
#include "search-analyze.h"
#include "search-impl.h"
#include "search.h"
#include "tap.h"
#include "testdb.h"

/* The flags of term in pt, 0 when it is not there. */
static unsigned term_flags(const struct postings_terms *pt, const char *term)
{
	size_t i;

	for (i = 0; i < pt->n; i++)
		if (!strcmp(pt->t[i].term, term))
			return pt->t[i].flags;
	return 0;
}

static void test_terms(void)
{
	struct postings_terms pt = POSTINGS_TERMS_INIT;
	bool sorted = true, once = true;
	size_t i;

	postings_terms(&pt, "삼성 노트북 Galaxy", "가벼운 노트북. 노트 포함");
	is_int(term_flags(&pt, "노트북"), POSTING_NAME_WORD | POSTING_DESC_WORD,
	       "a whole word of the name and of the description");
	is_int(term_flags(&pt, "노트"),
	       POSTING_NAME_GRAM | POSTING_DESC_GRAM | POSTING_DESC_WORD,
	       "a bigram of both, and a whole word of the description");
	is_int(term_flags(&pt, "트북"), POSTING_NAME_GRAM | POSTING_DESC_GRAM,
	       "a bigram only");
	is_int(term_flags(&pt, "galaxy"), POSTING_NAME_WORD,
	       "a word as the analyzer folds it");
	is_int(term_flags(&pt, "Galaxy"), 0, "not as it was written");
	is_int(term_flags(&pt, "포함"), POSTING_DESC_WORD | POSTING_DESC_GRAM,
	       "a two-letter word is its own bigram too");
	for (i = 1; i < pt.n; i++) {
		sorted = sorted && strcmp(pt.t[i - 1].term, pt.t[i].term) <= 0;
		once = once && strcmp(pt.t[i - 1].term, pt.t[i].term);
	}
	ok(sorted && once, "sorted by their bytes, each once (%zu terms)",
	   pt.n);

	postings_terms(&pt, NULL, NULL);
	is_int(pt.n, 0, "no name, no description: no terms");
	postings_terms(&pt, "LG", NULL);
	ok(pt.n == 1 && pt.t[0].flags == POSTING_NAME_WORD,
	   "the terms of the last product only");
	postings_terms_release(&pt);
}

static struct posting mk(int64_t id, unsigned flags, uint32_t c, uint32_t b,
			 int64_t price)
{
	return (struct posting){ id, flags, c, b, price };
}

static bool same(const struct posting *a, const struct posting *b)
{
	return a->id == b->id && a->flags == b->flags &&
	       a->category == b->category && a->brand == b->brand &&
	       a->price == b->price;
}

static void test_row(void)
{
	struct sbuf row = SBUF_INIT;
	struct posting p, q;
	int64_t bucket = 3, base = bucket * POSTINGS_BUCKET;
	int64_t ids[] = { base + 7, base, base + POSTINGS_BUCKET - 1,
			  base + 100 };
	size_t i;
	bool order = true;

	for (i = 0; i < ARRAY_SIZE(ids); i++) {
		p = mk(ids[i], (unsigned)i + 1, (uint32_t)i, (uint32_t)(10 * i),
		       (int64_t)i * 1000);
		ok(postings_set(&row, ids[i], &p), "id %" PRId64 " added",
		   ids[i]);
	}
	is_int(postings_count(row.len), 4, "four postings, %d bytes each",
	       POSTING_SIZE);
	for (i = 1; i < postings_count(row.len); i++) {
		posting_get((unsigned char *)row.buf, i - 1, bucket, &p);
		posting_get((unsigned char *)row.buf, i, bucket, &q);
		order = order && p.id < q.id;
	}
	ok(order, "kept in id order, whatever the order they came in");
	posting_get((unsigned char *)row.buf, 3, bucket, &p);
	q = mk(base + POSTINGS_BUCKET - 1, 3, 2, 20, 2000);
	ok(same(&p, &q), "the last offset of a bucket read back whole");

	p = mk(base + 7, 1, 0, 0, 0);
	ok(!postings_set(&row, base + 7, &p), "the same posting: no change");
	p = mk(base + 7, 15, UINT32_MAX, UINT32_MAX, INT64_MAX);
	ok(postings_set(&row, base + 7, &p), "a posting replaced");
	is_int(postings_count(row.len), 4, "in place");
	posting_get((unsigned char *)row.buf, 1, bucket, &q);
	ok(same(&p, &q), "every field at its largest read back");

	ok(postings_set(&row, base + 100, NULL), "a posting removed");
	ok(!postings_set(&row, base + 100, NULL), "removed once");
	ok(!postings_set(&row, base + 5, NULL), "one never there: no change");
	is_int(postings_count(row.len), 3, "three left");
	for (i = 0; i < 3; i++) {
		posting_get((unsigned char *)row.buf, i, bucket, &p);
		ok(p.id != base + 100, "posting %zu is not the one removed", i);
	}
	while (row.len) {
		posting_get((unsigned char *)row.buf, 0, bucket, &p);
		postings_set(&row, p.id, NULL);
	}
	is_int(row.len, 0, "a row emptied");
	sbuf_release(&row);
}

/* ---- searches on random catalogues ------------------------------------- */

static const char *const words[] = {
	"노트북",   "노트",	  "가방",
	"무선",	    "이어폰",	  "무선이어폰",
	"블루투스", "스피커",	  "블루투스스피커",
	"게임패드", "게임패드는", "하하하",
	"노트북을", "samsung",	  "laptop",
	"lg",	    "pro",	  "가",
	"북",	    "트북",
};

static uint64_t rnd_state = 42;

static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(rnd_state >> 33) % n;
}

static char *phrase(unsigned most)
{
	struct sbuf sb = SBUF_INIT;
	unsigned i, n = rnd(most + 1);

	for (i = 0; i < n; i++)
		sbuf_addf(&sb, "%s%s", i ? (rnd(4) ? " " : "") : "",
			  words[rnd(ARRAY_SIZE(words))]);
	sbuf_addch(&sb, 0); /* an empty phrase is "" */
	return sbuf_detach(&sb, NULL);
}

#define NPROD 600

struct product {
	int64_t id, price;
	uint32_t category, brand;
	char *name, *description;
};

/* The rows of one term, by bucket. */
struct term_rows {
	char *term;
	int64_t bucket[NPROD];
	struct sbuf row[NPROD];
	size_t n;
};

struct catalogue {
	struct product p[NPROD];
	struct term_rows *t;
	size_t nt, alloc;
};

static struct term_rows *rows_of(struct catalogue *c, const char *term,
				 bool add)
{
	size_t i;

	for (i = 0; i < c->nt; i++)
		if (!strcmp(c->t[i].term, term))
			return &c->t[i];
	if (!add)
		return NULL;
	if (c->nt == c->alloc) {
		c->alloc = c->alloc ? 2 * c->alloc : 64;
		c->t = xrealloc(c->t, c->alloc * sizeof(*c->t));
	}
	memset(&c->t[c->nt], 0, sizeof(c->t[c->nt]));
	c->t[c->nt].term = xstrdup(term);
	return &c->t[c->nt++];
}

/* id's posting in the rows of term, in its bucket's row. */
static void index_put(struct catalogue *c, const char *term,
		      const struct posting *p)
{
	struct term_rows *t = rows_of(c, term, true);
	int64_t b = p->id / POSTINGS_BUCKET;
	size_t i;

	for (i = 0; i < t->n && t->bucket[i] != b; i++)
		;
	if (i == t->n) {
		/* rows come in bucket order: ids are made ascending */
		t->bucket[t->n] = b;
		sbuf_init(&t->row[t->n], 0, 0);
		t->n++;
	}
	postings_set(&t->row[i], p->id, p);
}

static void catalogue_make(struct catalogue *c)
{
	struct postings_terms pt = POSTINGS_TERMS_INIT;
	struct posting p;
	int64_t id = 0;
	size_t i, j;

	memset(c, 0, sizeof(*c));
	for (i = 0; i < NPROD; i++) {
		/* ids spread over several buckets, some of them adjacent */
		id += 1 + (rnd(3) ? rnd(40) : rnd(3 * POSTINGS_BUCKET));
		c->p[i] = (struct product){ id,	    rnd(100000), rnd(5),
					    rnd(7), phrase(4),	 phrase(6) };
		postings_terms(&pt, c->p[i].name, c->p[i].description);
		for (j = 0; j < pt.n; j++) {
			p = (struct posting){ id, pt.t[j].flags,
					      c->p[i].category, c->p[i].brand,
					      c->p[i].price };
			index_put(c, pt.t[j].term, &p);
		}
	}
	postings_terms_release(&pt);
}

static void catalogue_free(struct catalogue *c)
{
	size_t i, j;

	for (i = 0; i < NPROD; i++) {
		free(c->p[i].name);
		free(c->p[i].description);
	}
	for (i = 0; i < c->nt; i++) {
		for (j = 0; j < c->t[i].n; j++)
			sbuf_release(&c->t[i].row[j]);
		free(c->t[i].term);
	}
	free(c->t);
}

/* Whether text's analysis holds a token of that text, whole word or
 * bigram as gram says. */
static bool holds(const struct search_analysis *a, const char *text, bool gram)
{
	size_t i;

	for (i = 0; i < a->ntok; i++)
		if (a->tok[i].gram == gram &&
		    !strcmp(search_token_text(a, i), text))
			return true;
	return false;
}

/* The rules read directly (search-fts.c): the score of a product whose
 * name and description are analysed in n and d. */
static int64_t direct_score(const struct search_analysis *q,
			    const int64_t *weights,
			    const struct search_analysis *n,
			    const struct search_analysis *d)
{
	size_t i, j, g, name, desc, w = 0;
	int64_t total = 0, s;
	const char *t;

	for (i = 0; i < q->ntok; i += 1 + g, w++) {
		g = search_word_grams(q, i);
		t = search_token_text(q, i);
		name = desc = 0;
		for (j = i + 1; j <= i + g; j++) {
			name += holds(n, search_token_text(q, j), true);
			desc += holds(d, search_token_text(q, j), true);
		}
		s = holds(n, t, false)		    ? 4 :
		    holds(d, t, false)		    ? 2 :
		    g && name >= search_gram_min(g) ? 2 :
		    g && desc >= search_gram_min(g) ? 1 :
						      0;
		total += s * weights[w];
	}
	return total;
}

struct found {
	struct postings_hit h[NPROD];
	size_t n;
	bool ordered;
};

static void collect(void *ctx, const struct postings_hit *h)
{
	struct found *f = ctx;

	if (f->n && f->h[f->n - 1].id >= h->id)
		f->ordered = false;
	if (f->n < NPROD)
		f->h[f->n++] = *h;
}

/* One query: postings_match against direct_score on every product. */
static bool check_query(struct catalogue *c, const char *qtext)
{
	struct search_analysis q = SEARCH_ANALYSIS_INIT,
			       n = SEARCH_ANALYSIS_INIT,
			       d = SEARCH_ANALYSIS_INIT;
	struct postings_rows *rows;
	struct term_rows *t;
	struct found f = { .ordered = true };
	int64_t weights[8], want;
	size_t i, k = 0, matches = 0;
	bool good;

	search_analyze(&q, qtext, strlen(qtext), ARRAY_SIZE(weights));
	for (i = 0; i < ARRAY_SIZE(weights); i++)
		weights[i] = 1 + rnd(9);
	rows = xcalloc(q.ntok + 1, sizeof(*rows));
	for (i = 0; i < q.ntok; i++) {
		t = rows_of(c, search_token_text(&q, i), false);
		if (t) {
			/* the rows' buffers as a statement would give them */
			const unsigned char **r = xcalloc(t->n, sizeof(*r));
			size_t *len = xcalloc(t->n, sizeof(*len)), j;

			for (j = 0; j < t->n; j++) {
				r[j] = (const unsigned char *)t->row[j].buf;
				len[j] = t->row[j].len;
			}
			rows[i] = (struct postings_rows){ t->bucket, r, len,
							  t->n };
		}
	}
	postings_match(&q, weights, rows, collect, &f);
	good = f.ordered;
	for (i = 0; i < NPROD && good; i++) {
		search_analyze_text(&n, c->p[i].name);
		search_analyze_text(&d, c->p[i].description);
		want = direct_score(&q, weights, &n, &d);
		if (!want)
			continue;
		matches++;
		while (k < f.n && f.h[k].id < c->p[i].id)
			k++;
		good = k < f.n && f.h[k].id == c->p[i].id &&
		       f.h[k].score == want && f.h[k].price == c->p[i].price &&
		       f.h[k].category == c->p[i].category &&
		       f.h[k].brand == c->p[i].brand;
		if (!good)
			printf("# %s: product %" PRId64
			       " (%s | %s) wants %" PRId64 ", got %" PRId64
			       "\n",
			       qtext, c->p[i].id, c->p[i].name,
			       c->p[i].description, want,
			       k < f.n && f.h[k].id == c->p[i].id ?
				       f.h[k].score :
				       -1);
	}
	good = good && matches == f.n;
	for (i = 0; i < q.ntok; i++) {
		free((void *)rows[i].row);
		free((void *)rows[i].len);
	}
	free(rows);
	search_analysis_release(&q);
	search_analysis_release(&n);
	search_analysis_release(&d);
	return good;
}

static void test_match(void)
{
	static const char *const fixed[] = {
		"노트북",     "노트북을",	"무선이어폰", "블루투스스피커",
		"게임패드는", "samsung 노트북", "하하하",     "없는말",
		"",	      "가 북",
	};
	struct catalogue c;
	size_t i, round, bad;
	char *q;

	for (round = 0; round < 3; round++) {
		catalogue_make(&c);
		bad = 0;
		for (i = 0; i < ARRAY_SIZE(fixed); i++)
			bad += !check_query(&c, fixed[i]);
		for (i = 0; i < 40; i++) {
			q = phrase(3);
			bad += !check_query(&c, q);
			free(q);
		}
		is_int(bad, 0,
		       "catalogue %zu: every match and score of %zu queries "
		       "as the rules read directly, in id order",
		       round, ARRAY_SIZE(fixed) + 40);
		catalogue_free(&c);
	}
}

/* ---- on the databases ------------------------------------------------- */

static const char *const categories[] = { "Computers", "Audio", "Home",
					  "Toys" };
static const char *const brands[] = { "Samsung", "LG", "Acme", "Crest",
				      "Fila" };

#define NDB 400

/* Products with ids spread over some twenty buckets (more than ten:
 * bucket 10 sorts before 2 as text), inserted as they are. */
static void db_fill(struct db *db, const char *dialect)
{
	struct err e = ERR_INIT;
	int64_t id = 0, n;
	char *name, *desc, created[32];
	int i, bad = 0;

	for (i = 0; i < NDB; i++) {
		id += 1 + rnd(POSTINGS_BUCKET / 8);
		name = phrase(4);
		desc = phrase(6);
		/* out of the ids' order, some alike: newest first is by
		 * created_at, then id */
		snprintf(created, sizeof(created),
			 "2026-01-%02uT%02u:00:00.000Z", 1 + rnd(28), rnd(3));
		bad += db_query(db, NULL,
				"INSERT INTO products (id, name, description, "
				"category, brand, price, status, created_at, "
				"updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
				"$7, $8, $8)",
				DB_ARGS(DB_I(id), DB_S(name), DB_S(desc),
					DB_S(categories[rnd(4)]),
					DB_S(brands[rnd(5)]),
					DB_I(100 * (1 + rnd(50))),
					DB_S(rnd(10) ? "ACTIVE" : "INACTIVE"),
					DB_S(created)),
				&e) < 0;
		free(name);
		free(desc);
	}
	/* what a write through product.c does besides the row */
	if (!strcmp(dialect, "pg"))
		bad += db_query(db, NULL,
				"SELECT setval(pg_get_serial_sequence("
				"'products', 'id'), max(id)) FROM products",
				DB_NOARGS, &e) < 0 ||
		       product_tsvector_fill(db, true, &n, &e) < 0;
	is_int(bad, 0, "%s: %d products up to id %" PRId64 " (%s)", dialect,
	       NDB, id, e.msg);
	err_release(&e);
}

static void db_ready(struct db *db, bool ready)
{
	struct err e = ERR_INIT;

	if (db_query(db, NULL,
		     ready ? "UPDATE product_postings_state SET ready = (1 = 1)" :
			     "UPDATE product_postings_state SET ready = (1 = 0)",
		     DB_NOARGS, &e) < 0)
		printf("# ready: %s\n", e.msg);
	err_release(&e);
}

/* A random search: q, filters, a sort, a page. */
static void db_query_make(struct search_query *q, char **text)
{
	static const enum search_sort sorts[] = { SEARCH_RELEVANCE,
						  SEARCH_PRICE_ASC,
						  SEARCH_PRICE_DESC,
						  SEARCH_NEWEST };

	*text = phrase(3);
	*q = (struct search_query){ *text, NULL, NULL, -1,
				    -1,	   1,	 10,   sorts[rnd(4)] };
	if (!rnd(3))
		q->category = rnd(5) ? categories[rnd(4)] : "Nowhere";
	if (!rnd(4))
		q->brand = rnd(5) ? brands[rnd(5)] : "Nobody";
	if (!rnd(3))
		q->min_price = 100 * rnd(30);
	if (!rnd(3))
		q->max_price = 100 * (20 + rnd(40));
	q->page = 1 + rnd(3);
	q->size = 1 + rnd(20);
}

/* The answer to q, as JSON text (caller frees), NULL on error. */
static char *db_search(struct search *s, const struct search_query *q)
{
	struct json_object *out = NULL;
	struct err e = ERR_INIT;
	char *text = NULL;

	if (search_products(s, q, &out, &e) == 0)
		text = xstrdup(
			json_object_to_json_string_ext(out,
						       JSON_C_TO_STRING_PLAIN));
	else
		printf("# search: %s\n", e.msg);
	json_object_put(out);
	err_release(&e);
	return text;
}

/* Whether the answer to q holds a product. */
static bool db_finds(struct search *s, const struct search_query *q)
{
	char *got = db_search(s, q);
	bool found = got && strstr(got, "\"id\"");

	free(got);
	return found;
}

/* PostgreSQL: n random searches, each answered from the tsvectors and
 * from the postings; how many answers differ. */
static int db_compare(struct db *db, struct search *s, int n)
{
	struct search_query q;
	char *text, *fts, *posted;
	int i, differ = 0;

	for (i = 0; i < n; i++) {
		db_query_make(&q, &text);
		db_ready(db, false);
		fts = db_search(s, &q);
		db_ready(db, true);
		posted = db_search(s, &q);
		if (!fts || !posted || strcmp(fts, posted)) {
			if (differ++ < 3)
				printf("# q=%s: %s\n#  postings: %s\n", text,
				       fts ? fts : "(error)",
				       posted ? posted : "(error)");
		}
		free(fts);
		free(posted);
		free(text);
	}
	return differ;
}

/* ---- the rules read directly, against the database's answers ----------- */

/* An ACTIVE product as the oracle sees it, and its score for a query. */
struct oracle_product {
	int64_t id, price, score;
	const char *category, *brand, *created;
	struct search_analysis name, desc;
};

static const struct search_query *oracle_q;

/* The query's order: its sort, then id descending. */
static int oracle_cmp(const void *a, const void *b)
{
	const struct oracle_product *x = a, *y = b;
	int c = 0;

	switch (oracle_q->sort) {
	case SEARCH_RELEVANCE:
		c = (y->score > x->score) - (y->score < x->score);
		break;
	case SEARCH_PRICE_ASC:
		c = (x->price > y->price) - (x->price < y->price);
		break;
	case SEARCH_PRICE_DESC:
		c = (y->price > x->price) - (y->price < x->price);
		break;
	case SEARCH_NEWEST:
		c = -strcmp(x->created, y->created);
		break;
	}
	return c ? c : (y->id > x->id) - (y->id < x->id);
}

/* Whether the answer's facet field holds the counts in want, and only
 * those. */
static bool oracle_facet(struct json_object *out, const char *field,
			 const char *const *values, const int64_t *want,
			 size_t n)
{
	struct json_object *facets, *list, *b, *v, *c;
	size_t i, j, nonzero = 0;

	if (!json_object_object_get_ex(out, "facets", &facets) ||
	    !json_object_object_get_ex(facets, field, &list))
		return false;
	for (i = 0; i < n; i++)
		nonzero += want[i] > 0;
	if (json_object_array_length(list) != nonzero)
		return false;
	for (j = 0; j < json_object_array_length(list); j++) {
		b = json_object_array_get_idx(list, j);
		json_object_object_get_ex(b, "value", &v);
		json_object_object_get_ex(b, "count", &c);
		for (i = 0;
		     i < n && strcmp(values[i], json_object_get_string(v)); i++)
			;
		if (i == n || json_object_get_int64(c) != want[i])
			return false;
	}
	return true;
}

/*
 * n random searches with q answered from the postings, each against the
 * rules read directly (direct_score()) on every ACTIVE product of the
 * table: the total, the page in its order, the facets (before the
 * category and brand filters). Independent of any other index. fixed:
 * that one search n times instead.
 * Answers that corrected their query are left out; returns the number
 * that differ, and the number compared in *compared.
 */
static int db_oracle(struct db *db, struct search *s, int n,
		     const struct search_query *fixed, int *compared)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	struct oracle_product *p, *hit;
	struct search_analysis qa = SEARCH_ANALYSIS_INIT;
	struct search_query q;
	struct json_object *out, *items, *it, *v;
	int64_t wt[SEARCH_MAX_WORDS], cats[4], brs[5];
	size_t np, i, k, nhit, page;
	char *text, *got;
	int differ = 0, round;
	bool good;

	*compared = 0;
	if (db_query(db, &res,
		     "SELECT id, name, description, category, brand, price, "
		     "created_at FROM products WHERE status = 'ACTIVE' "
		     "ORDER BY id",
		     DB_NOARGS, &e) < 0) {
		printf("# oracle: %s\n", e.msg);
		err_release(&e);
		return 1;
	}
	np = db_res_rows(res);
	p = xcalloc(np + 1, sizeof(*p));
	hit = xcalloc(np + 1, sizeof(*hit));
	for (i = 0; i < np; i++) {
		p[i] = (struct oracle_product){
			.id = db_res_int(res, i, 0),
			.price = db_res_int(res, i, 5),
			.category = db_res_str(res, i, 3),
			.brand = db_res_str(res, i, 4),
			.created = db_res_str(res, i, 6),
			.name = SEARCH_ANALYSIS_INIT,
			.desc = SEARCH_ANALYSIS_INIT,
		};
		search_analyze_text(&p[i].name, db_res_str(res, i, 1));
		search_analyze_text(&p[i].desc, db_res_str(res, i, 2));
	}
	db_ready(db, true);
	for (round = 0; round < n; round++) {
		if (fixed) {
			q = *fixed;
			q.q = text = xstrdup(fixed->q);
		} else {
			db_query_make(&q, &text);
		}
		search_analysis_reset(&qa);
		search_analyze(&qa, text, strlen(text), SEARCH_MAX_WORDS);
		got = qa.ntok ? db_search(s, &q) : NULL;
		out = got ? json_tokener_parse(got) : NULL;
		if (!out ||
		    json_object_object_get_ex(out, "correctedQuery", NULL) ||
		    search_vocab_weights(db, &qa, wt, &e) < 0) {
			json_object_put(out);
			free(got);
			free(text);
			continue;
		}
		memset(cats, 0, sizeof(cats));
		memset(brs, 0, sizeof(brs));
		for (i = nhit = 0; i < np; i++) {
			p[i].score =
				direct_score(&qa, wt, &p[i].name, &p[i].desc);
			if (!p[i].score ||
			    (q.min_price >= 0 && p[i].price < q.min_price) ||
			    (q.max_price >= 0 && p[i].price > q.max_price))
				continue;
			for (k = 0;
			     k < 4 && strcmp(categories[k], p[i].category); k++)
				;
			cats[k % 4] += k < 4;
			for (k = 0; k < 5 && strcmp(brands[k], p[i].brand); k++)
				;
			brs[k % 5] += k < 5;
			if ((!q.category ||
			     !strcmp(q.category, p[i].category)) &&
			    (!q.brand || !strcmp(q.brand, p[i].brand)))
				hit[nhit++] = p[i];
		}
		oracle_q = &q;
		qsort(hit, nhit, sizeof(*hit), oracle_cmp);
		json_object_object_get_ex(out, "total", &v);
		good = json_object_get_int64(v) == (int64_t)nhit &&
		       oracle_facet(out, "category", categories, cats, 4) &&
		       oracle_facet(out, "brand", brands, brs, 5) &&
		       json_object_object_get_ex(out, "items", &items);
		page = (size_t)((q.page - 1) * q.size);
		k = page < nhit ? nhit - page : 0;
		k = k < (size_t)q.size ? k : (size_t)q.size;
		good = good && json_object_array_length(items) == k;
		for (i = 0; good && i < k; i++) {
			it = json_object_array_get_idx(items, i);
			json_object_object_get_ex(it, "id", &v);
			good = json_object_get_int64(v) == hit[page + i].id;
		}
		if (!good && differ++ < 3)
			printf("# oracle: q=%s sort %d: %zu matches; got %s\n",
			       text, (int)q.sort, nhit, got);
		(*compared)++;
		json_object_put(out);
		free(got);
		free(text);
	}
	for (i = 0; i < np; i++) {
		search_analysis_release(&p[i].name);
		search_analysis_release(&p[i].desc);
	}
	free(p);
	free(hit);
	search_analysis_release(&qa);
	db_res_free(res);
	err_release(&e);
	return differ;
}

/* A word's products made the oldest: newest first, a walk from the
 * newest meets its matches last (search-fts.c, fts_newest()). */
static int db_crowded(struct db *db, struct search *s)
{
	struct search_query q = { "samsung", NULL, NULL, -1,
				  -1,	     1,	   10,	 SEARCH_NEWEST };
	struct err e = ERR_INIT;
	int differ = 0, compared;

	if (db_query(db, NULL,
		     "UPDATE products SET created_at = "
		     "'2000-01-01T00:00:00.000Z' WHERE lower(name) LIKE "
		     "'%samsung%' OR lower(description) LIKE '%samsung%'",
		     DB_NOARGS, &e) < 0)
		differ++;
	for (q.page = 1; q.page <= 3; q.page++) {
		differ += db_oracle(db, s, 1, &q, &compared);
		differ += compared != 1;
	}
	/* the last of them not past the matches */
	q.page = 3;
	differ += !db_finds(s, &q);
	err_release(&e);
	return differ;
}

/* SQLite before the postings are built: q is refused with 503, a search
 * without q answers. Returns how many of the two went otherwise. */
static int db_unready(struct db *db, struct search *s)
{
	struct search_query q = { "samsung", NULL, NULL, -1,
				  -1,	     1,	   10,	 SEARCH_RELEVANCE };
	struct json_object *out = NULL;
	struct err e = ERR_INIT;
	int differ = 0;

	db_ready(db, false);
	differ += search_products(s, &q, &out, &e) != -1 ||
		  e.code != ERR_UNAVAILABLE;
	json_object_put(out);
	q.q = NULL;
	differ += !db_finds(s, &q);
	db_ready(db, true);
	err_release(&e);
	return differ;
}

/* product_postings as text, row by row in key order (caller frees). */
static char *db_postings(struct db *db)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	struct sbuf sb = SBUF_INIT;
	const unsigned char *b;
	size_t i, j, len;

	if (db_query(db, &res,
		     "SELECT term, bucket, postings FROM product_postings "
		     "ORDER BY term, bucket",
		     DB_NOARGS, &e) < 0)
		printf("# postings: %s\n", e.msg);
	for (i = 0; i < db_res_rows(res); i++) {
		sbuf_addf(&sb, "%s %s ", db_res_str(res, i, 0),
			  db_res_str(res, i, 1));
		b = db_res_blob(res, i, 2, &len);
		for (j = 0; j < len; j++)
			sbuf_addf(&sb, "%02x", b[j]);
		sbuf_addch(&sb, '\n');
	}
	sbuf_addch(&sb, 0);
	db_res_free(res);
	err_release(&e);
	return sbuf_detach(&sb, NULL);
}

/* The postings and the numbers of the values as text, after the values
 * were forgotten and the postings made again: from the table
 * (postings_build()), or as agora seed makes them (load): a
 * postings_load given every ACTIVE product in id order, analysed, then
 * stored. */
static char *db_remade(struct db *db, bool load)
{
	struct postings_load *l = postings_load_new();
	struct search_analysis name = SEARCH_ANALYSIS_INIT,
			       desc = SEARCH_ANALYSIS_INIT;
	struct postings_product p = { .active = true };
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	struct sbuf sb = SBUF_INIT;
	char *rows;
	size_t i;
	int rc;

	rc = db_begin(db, &e) < 0 ||
	     db_query(db, NULL, "DELETE FROM product_values", DB_NOARGS, &e) <
		     0 ||
	     db_commit(db, &e) < 0;
	if (!load)
		rc = rc || postings_build(db, &e) < 0;
	else
		rc = rc || db_query(db, &res,
				    "SELECT id, name, description, category, "
				    "brand, price FROM products WHERE status = "
				    "'ACTIVE' ORDER BY id",
				    DB_NOARGS, &e) < 0;
	for (i = 0; load && !rc && i < db_res_rows(res); i++) {
		p.id = db_res_int(res, i, 0);
		p.category = db_res_str(res, i, 3);
		p.brand = db_res_str(res, i, 4);
		p.price = db_res_int(res, i, 5);
		search_analyze_text(&name, db_res_str(res, i, 1));
		search_analyze_text(&desc, db_res_str(res, i, 2));
		postings_load_add(l, &p, &name, &desc);
	}
	if (load && !rc)
		rc = db_begin(db, &e) < 0 ||
		     postings_load_store(l, db, &e) < 0 ||
		     db_commit(db, &e) < 0;
	if (rc) {
		printf("# remade: %s\n", e.msg);
		db_rollback(db);
	}
	db_res_free(res);
	res = NULL;
	if (db_query(db, &res,
		     "SELECT field, value, ord FROM product_values "
		     "ORDER BY field, ord",
		     DB_NOARGS, &e) == 0)
		for (i = 0; i < db_res_rows(res); i++)
			sbuf_addf(&sb, "%s %s %s\n", db_res_str(res, i, 0),
				  db_res_str(res, i, 1), db_res_str(res, i, 2));
	rows = db_postings(db);
	sbuf_addstr(&sb, rows);
	free(rows);
	db_res_free(res);
	postings_load_free(l);
	search_analysis_release(&name);
	search_analysis_release(&desc);
	err_release(&e);
	return sbuf_detach(&sb, NULL);
}

/* Random writes through product.c, as the API makes them. */
static int db_writes(struct db *db, int n)
{
	struct err e = ERR_INIT;
	struct product_input in;
	char *name, *desc;
	int64_t id, max = testdb_int(db, "SELECT max(id) FROM products");
	int i, bad = 0, rc;

	for (i = 0; i < n; i++) {
		name = phrase(4);
		desc = phrase(6);
		in = (struct product_input){ name[0] ? name : "x",
					     desc,
					     true,
					     categories[rnd(4)],
					     brands[rnd(5)],
					     100 * (1 + rnd(50)),
					     true,
					     rnd(4) ? "ACTIVE" : "INACTIVE" };
		id = 1 + (int64_t)rnd((unsigned)max);
		switch (rnd(6)) {
		case 0:
			rc = product_create(db, &in, NULL, &e);
			break;
		case 1:
			rc = product_delete(db, id, NULL, &e);
			break;
		case 2: /* the name only */
			in = (struct product_input){ .name = in.name };
			rc = product_update(db, id, &in, NULL, &e);
			break;
		case 3: /* the price and status only */
			in = (struct product_input){ .price = in.price,
						     .has_price = true,
						     .status = in.status };
			rc = product_update(db, id, &in, NULL, &e);
			break;
		default:
			rc = product_update(db, id, &in, NULL, &e);
			break;
		}
		/* an id with no product is 404, and fine */
		if (rc < 0 && e.code != ERR_NOT_FOUND) {
			bad++;
			printf("# write: %s\n", e.msg);
		}
		err_release(&e);
		e = (struct err)ERR_INIT;
		free(name);
		free(desc);
	}
	return bad;
}

/* ---- writers at once (PostgreSQL) ------------------------------------- */

struct writer {
	const char *url;
	uint64_t seed;
	int64_t max; /* ids to update and delete: 1 to max */
	int n, bad;
};

static unsigned wrnd(uint64_t *s, unsigned n)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return (unsigned)(*s >> 33) % n;
}

/* n writes on a connection of its own: creates, renames that change the
 * status and the price, deletes; every product holds 제품, so that the
 * writers want the same rows. */
static void *writer_main(void *arg)
{
	struct writer *w = arg;
	struct err e = ERR_INIT;
	struct product_input in;
	struct db *db = NULL;
	char name[256];
	int64_t id;
	int i, rc = 0;

	if (db_open(&db, w->url, NULL, &e) < 0) {
		printf("# writer: %s\n", e.msg);
		w->bad++;
		err_release(&e);
		return NULL;
	}
	for (i = 0; i < w->n; i++) {
		snprintf(name, sizeof(name), "%s %s",
			 words[wrnd(&w->seed, ARRAY_SIZE(words))],
			 words[wrnd(&w->seed, ARRAY_SIZE(words))]);
		id = 1 + (int64_t)wrnd(&w->seed, (unsigned)w->max);
		switch (wrnd(&w->seed, 4)) {
		case 0:
		case 1:
			in = (struct product_input){
				name,
				"좋은 제품",
				true,
				categories[wrnd(&w->seed, 4)],
				brands[wrnd(&w->seed, 5)],
				100 * (1 + wrnd(&w->seed, 50)),
				true,
				"ACTIVE"
			};
			rc = product_create(db, &in, NULL, &e);
			break;
		case 2:
			in = (struct product_input){
				.name = name,
				.price = 100 * (1 + wrnd(&w->seed, 50)),
				.has_price = true,
				.status = wrnd(&w->seed, 3) ? "ACTIVE" :
							      "INACTIVE"
			};
			rc = product_update(db, id, &in, NULL, &e);
			break;
		default:
			rc = product_delete(db, id, NULL, &e);
			break;
		}
		if (rc < 0 && e.code != ERR_NOT_FOUND) {
			printf("# writer: %s\n", e.msg);
			w->bad++;
		}
		err_release(&e);
		e = (struct err)ERR_INIT;
	}
	db_free(db);
	return NULL;
}

/* Three writers at once, then the postings against a build. Writers of
 * products that share a word also wait for each other on its row of
 * search_vocab (its trigger), so this cannot tell the postings' own row
 * locks apart; it holds the whole write path to its answers. */
static void db_writers(struct db *db, const char *url, const char *dialect)
{
	struct writer w[3];
	pthread_t t[3];
	struct err e = ERR_INIT;
	char *kept, *built;
	int64_t max = testdb_int(db, "SELECT max(id) FROM products");
	size_t i;
	int bad = 0;

	for (i = 0; i < ARRAY_SIZE(w); i++) {
		w[i] = (struct writer){ url, 7 + i, max, 80, 0 };
		if (pthread_create(&t[i], NULL, writer_main, &w[i]))
			w[i].bad = w[i].n = -1;
	}
	for (i = 0; i < ARRAY_SIZE(w); i++) {
		if (w[i].n >= 0)
			pthread_join(t[i], NULL);
		bad += w[i].bad;
	}
	is_int(bad, 0,
	       "%s: 240 writes from three connections at once, none failed",
	       dialect);
	kept = db_postings(db);
	is_int(postings_build(db, &e), 0, "%s: built again (%s)", dialect,
	       e.msg);
	built = db_postings(db);
	is_str(kept, built,
	       "%s: and the postings they kept are those a build makes",
	       dialect);
	free(kept);
	free(built);
	err_release(&e);
}

static void battery(struct db *db, const char *url, const char *dialect)
{
	struct search *s = NULL;
	struct cfg c = { 0 };
	struct err e = ERR_INIT;
	char none[] = "", *kept, *built;
	bool pg = !strcmp(dialect, "pg");
	int compared;

	c.elasticsearch_node = none;
	is_int(postings_ready(db, &e), 1, "%s: an empty catalogue's are ready",
	       dialect);
	db_fill(db, dialect);
	db_ready(db, false);
	is_int(postings_build(db, &e), 0, "%s: built (%s)", dialect, e.msg);
	is_int(postings_ready(db, &e), 1, "%s: then ready", dialect);
	ok(testdb_int(db, "SELECT count(DISTINCT bucket) FROM "
			  "product_postings") > 10,
	   "%s: over more than ten buckets", dialect);
	if (search_open(&s, &c, db, &e) < 0) {
		ok(0, "%s: search_open: %s", dialect, e.msg);
		goto out;
	}
	if (pg)
		is_int(db_compare(db, s, 150), 0,
		       "%s: 150 searches answered alike from the postings and "
		       "from the tsvectors",
		       dialect);
	else
		is_int(db_unready(db, s), 0,
		       "%s: before the postings are built, a search with q is "
		       "unavailable",
		       dialect);
	is_int(db_oracle(db, s, 150, NULL, &compared), 0,
	       "%s: searches from the postings are the rules read directly",
	       dialect);
	ok(compared >= 100, "%s: ... %d of 150 compared (no correction)",
	   dialect, compared);

	is_int(db_writes(db, 120), 0, "%s: 120 writes", dialect);
	kept = db_postings(db);
	is_int(postings_build(db, &e), 0, "%s: built again (%s)", dialect,
	       e.msg);
	built = db_postings(db);
	ok(strlen(kept) > 1000, "%s: the postings written hold %zu bytes",
	   dialect, strlen(kept));
	is_str(kept, built,
	       "%s: the postings the writes kept are the postings a build "
	       "makes",
	       dialect);
	free(kept);
	free(built);

	/* the postings agora seed makes, values numbered afresh */
	kept = db_remade(db, true);
	built = db_remade(db, false);
	ok(strstr(kept, "category Computers") && strlen(kept) > 1000,
	   "%s: a load of %zu bytes, values numbered", dialect, strlen(kept));
	is_str(kept, built,
	       "%s: the postings agora seed makes from the products it "
	       "makes are those a build makes from the table",
	       dialect);
	free(kept);
	free(built);
	if (pg)
		is_int(db_compare(db, s, 100), 0,
		       "%s: after the writes, 100 searches answered alike",
		       dialect);
	is_int(db_oracle(db, s, 100, NULL, &compared), 0,
	       "%s: after the writes, searches are the rules read directly",
	       dialect);
	is_int(db_crowded(db, s), 0,
	       "%s: newest first, the matches all older than the rest: "
	       "the rules read directly",
	       dialect);
	if (pg)
		db_writers(db, url, dialect);
out:
	search_free(s);
	err_release(&e);
}

int main(void)
{
	log_init("t-postings", "error");
	test_terms();
	test_row();
	test_match();
	testdb_run("postings", battery);
	return done_testing();
}
