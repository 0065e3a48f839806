/* search-fts.c: product search in the database: agora's own postings
 * (postings.h) answer a search with q once they are built; before that,
 * PostgreSQL scans its weighted tsvectors of the same analyzer
 * (db/postgres/0014_search_analyzer.sql) and SQLite answers 503. */
#include "common.h"

#include <time.h>

#include "clock.h"
#include "col.h"
#include "hash.h"
#include "log.h"
#include "postings.h"
#include "product.h"
#include "sbuf.h"
#include "search-analyze.h"
#include "search-impl.h"

struct fts {
	struct search base; /* first: a struct search * is a struct fts * */
	struct db *db;
};

/*
 * q is never handed to a query parser as it is: the analyzer
 * (search-analyze.c) turns it into words and their bigrams, and each
 * becomes one term of the postings or one quoted tsquery lexeme. Words are
 * OR-ed (docs/api.md, Search). A word matches a product when the product
 * holds the whole word, or enough of its bigrams (search_gram_min()) in
 * one field:
 * 노트북을 finds 노트북, 무선이어폰 finds 무선 이어폰. A q without words
 * matches nothing.
 *
 * The score is the same on every backend (the Elasticsearch query in
 * es.c computes it with constant scores): the sum over the query's words
 * of the word's weight (search_vocab_weights(): the rarer, the more)
 * times the best of
 *   4  the whole word in the name        2  enough bigrams in the name
 *   2  the whole word in the description 1  enough bigrams in the
 *                                           description
 * so the name weighs twice the description and a whole word twice its
 * bigrams; products with more of the words, or rarer ones, rank higher
 * (Samsung 노트북: a laptop of another brand above a Samsung fridge),
 * equal scores newest (highest id) first.
 */
/* The matching part of a search, shared by the facet and page queries:
 * " FROM … WHERE" and its parameters $1…$np. */
struct fts_where {
	struct sbuf sql;
	struct db_param *params;
	size_t np;
	char **owned; /* the parameter strings made here */
	size_t nowned;
};

static void fts_where_release(struct fts_where *w)
{
	while (w->nowned)
		free(w->owned[--w->nowned]);
	free(w->owned);
	free(w->params);
	sbuf_release(&w->sql);
}

/* Add a parameter that w owns; returns its number. */
static size_t fts_param(struct fts_where *w, char *s)
{
	w->owned[w->nowned++] = s;
	w->params[w->np++] = DB_S(s);
	return w->np;
}

/* A lexeme as a tsquery operand restricted to weights: 'x':AB. */
static char *fts_pg_lexeme(const char *t, const char *weights)
{
	struct sbuf sb = SBUF_INIT;

	product_tsv_lexeme(&sb, t);
	sbuf_addf(&sb, ":%s", weights);
	return sbuf_detach(&sb, NULL);
}

static void fts_pg_any(struct sbuf *any, const char *t, const char *weights)
{
	char *x = fts_pg_lexeme(t, weights);

	sbuf_addf(any, "%s%s", any->len ? " | " : "", x);
	free(x);
}

/*
 * The g bigrams after word i as a tsquery that a product matches when
 * it holds search_gram_min(g) of them with one of weights: each
 * combination of that many AND-ed, the combinations OR-ed, appended to
 * sb. False, and nothing appended, past six combinations (words of six
 * characters and more).
 */
static bool fts_pg_combos(struct sbuf *sb, const struct search_analysis *a,
			  size_t i, size_t g, const char *weights)
{
	size_t k = search_gram_min(g), idx[8], n = 1, j, l;
	char *x;

	for (j = 1; j <= k && n <= 6; j++)
		n = n * (g - k + j) / j;
	if (k < 1 || k > ARRAY_SIZE(idx) || n > 6)
		return false;
	for (j = 0; j < k; j++)
		idx[j] = j;
	sbuf_addch(sb, '(');
	for (;;) {
		sbuf_addch(sb, '(');
		for (j = 0; j < k; j++) {
			x = fts_pg_lexeme(search_token_text(a, i + 1 + idx[j]),
					  weights);
			sbuf_addf(sb, "%s%s", j ? " & " : "", x);
			free(x);
		}
		sbuf_addch(sb, ')');
		/* the next combination, in lexicographic order */
		for (j = k; j-- > 0 && idx[j] == g - k + j;)
			;
		if (j == (size_t)-1)
			break;
		idx[j]++;
		for (l = j + 1; l < k; l++)
			idx[l] = idx[l - 1] + 1;
		sbuf_addstr(sb, " | ");
	}
	sbuf_addch(sb, ')');
	return true;
}

/*
 * The candidates' test for the g bigrams of word i: a product scores
 * through them only with search_gram_min(g) of them in one field, so the
 * tsquery asks for those combinations (k of g AND-ed), not for any one
 * bigram, which matches thousands more products than score for a broad
 * word (노트북: half). Past six combinations (words of six characters and
 * more), any one bigram: every combination tested on every product that
 * holds one of the bigrams cost more than it saved (블루투스스피커's
 * fifteen: 6.7 ms at 1M products against 1.3, with the GIN index that
 * migration 0021 dropped). Only a search before the postings are built
 * takes this path.
 */
static void fts_pg_grams(struct sbuf *any, const struct search_analysis *a,
			 size_t i, size_t g)
{
	struct sbuf c = SBUF_INIT;
	size_t j;

	if (search_gram_min(g) < 2 || !fts_pg_combos(&c, a, i, g, "CD")) {
		for (j = i + 1; j <= i + g; j++)
			fts_pg_any(any, search_token_text(a, j), "CD");
	} else {
		sbuf_addf(any, "%s%s", any->len ? " | " : "", c.buf);
	}
	sbuf_release(&c);
}

/* PostgreSQL: the tsvector holds whole words of the name with weight A,
 * of the description B, bigrams C and D (search-doc.c). */
/* The test that the product holds enough of the g bigrams after word i
 * with weight (C: in the name, D: in the description), as SQL into sql:
 * one tsquery of their combinations, or past six of them a sum. */
static void fts_pg_gram_test(struct fts_where *w,
			     const struct search_analysis *a, size_t i,
			     size_t g, const char *weight, struct sbuf *sql)
{
	struct sbuf c = SBUF_INIT;
	size_t j, pn;

	if (fts_pg_combos(&c, a, i, g, weight)) {
		pn = fts_param(w, sbuf_detach(&c, NULL));
		sbuf_addf(sql, "p.search @@ $%zu::tsquery", pn);
		return;
	}
	sbuf_release(&c);
	sbuf_addch(sql, '(');
	for (j = i + 1; j <= i + g; j++) {
		pn = fts_param(w,
			       fts_pg_lexeme(search_token_text(a, j), weight));
		sbuf_addf(sql, "%s(p.search @@ $%zu::tsquery)::int",
			  j > i + 1 ? " + " : "", pn);
	}
	sbuf_addf(sql, ") >= %zu", search_gram_min(g));
}

/*
 * A word's score as one CASE, its cases from the highest: the whole word
 * in the name (4), in the description (2), enough bigrams in the name
 * (2), in the description (1). The first that holds ends it: most
 * matches of a broad word hold it whole in the name and cost one test,
 * not the six of every case (a third of what PostgreSQL spent on the
 * matches of 노트북).
 */
static void fts_where_pg(struct fts_where *w, const struct search_analysis *a,
			 const int64_t *wt)
{
	struct sbuf any = SBUF_INIT, score = SBUF_INIT;
	size_t i, g, pa, pb, k = 0;
	int64_t x;

	w->params[w->np++] = DB_NUL; /* $1: every token, OR-ed */
	for (i = 0; i < a->ntok; i += 1 + g, k++) {
		g = search_word_grams(a, i);
		x = wt[k];
		pa = fts_param(w, fts_pg_lexeme(search_token_text(a, i), "A"));
		pb = fts_param(w, fts_pg_lexeme(search_token_text(a, i), "B"));
		sbuf_addf(&score,
			  "%sCASE WHEN p.search @@ $%zu::tsquery THEN "
			  "%" PRId64 " WHEN p.search @@ $%zu::tsquery THEN "
			  "%" PRId64,
			  i ? " + " : "", pa, 4 * x, pb, 2 * x);
		fts_pg_any(&any, search_token_text(a, i), "AB");
		if (g) {
			sbuf_addstr(&score, " WHEN ");
			fts_pg_gram_test(w, a, i, g, "C", &score);
			sbuf_addf(&score, " THEN %" PRId64 " WHEN ", 2 * x);
			fts_pg_gram_test(w, a, i, g, "D", &score);
			sbuf_addf(&score, " THEN %" PRId64, x);
			fts_pg_grams(&any, a, i, g);
		}
		sbuf_addstr(&score, " ELSE 0 END");
	}
	w->owned[w->nowned++] = sbuf_detach(&any, NULL);
	w->params[0] = DB_S(w->owned[w->nowned - 1]);
	/* OFFSET 0 keeps the matches as the outer loop: the filters pushed
	 * into the scan would have the planner AND the category index's
	 * thirty thousand entries to the few matches. */
	sbuf_addf(&w->sql,
		  " FROM (SELECT p.*, %s AS score FROM products p "
		  "WHERE p.search @@ $1::tsquery OFFSET 0) AS p "
		  "WHERE p.score > 0 AND",
		  score.buf);
	sbuf_release(&score);
}

/*
 * The FROM and WHERE shared by the page and the facet query: the matches
 * of a (when has_q), ACTIVE, within the price range. Room is left for
 * four more parameters. walk: the price range must not choose the index.
 */
static void fts_where(struct fts_where *w, const struct search_query *q,
		      bool has_q, const struct search_analysis *a,
		      const int64_t *wt, bool walk)
{
	/* SQLite plans without statistics: "+" keeps it off the price
	 * index when the caller knows another one is the better walk. */
	const char *price = walk ? "+p.price" : "p.price";

	size_t room = 2 * a->ntok + 8;

	w->params = xcalloc(room, sizeof(*w->params));
	w->owned = xcalloc(room, sizeof(*w->owned));
	if (has_q && !a->ntok)
		sbuf_addstr(&w->sql, " FROM products p WHERE 1 = 0 AND");
	else if (has_q) /* PostgreSQL: SQLite's q reads the postings alone */
		fts_where_pg(w, a, wt);
	else
		sbuf_addstr(&w->sql, " FROM products p WHERE");
	sbuf_addstr(&w->sql, " p.status = 'ACTIVE'");
	if (q->min_price >= 0) {
		w->params[w->np++] = DB_I(q->min_price);
		sbuf_addf(&w->sql, " AND %s >= $%zu", price, w->np);
	}
	if (q->max_price >= 0) {
		w->params[w->np++] = DB_I(q->max_price);
		sbuf_addf(&w->sql, " AND %s <= $%zu", price, w->np);
	}
}

/* One facet value and its count. */
struct fts_bucket {
	const char *value; /* borrowed from the result set */
	int64_t count;
};

/*
 * A facet's values and their counts, found by hash: a search with q
 * tallies up to SEARCH_TOTAL_MAX rows one by one (fts_one_pass()), each
 * against some thirty values.
 */
struct fts_tally {
	struct fts_bucket *b;
	size_t n;
	size_t *slot; /* 1 + the value's index in b; 0: free */
	size_t mask;
};

/* For at most max distinct values. */
static void fts_tally_init(struct fts_tally *t, size_t max)
{
	size_t size = 16;

	while (size < 2 * max)
		size *= 2;
	t->b = xcalloc(max + 1, sizeof(*t->b));
	t->n = 0;
	t->slot = xcalloc(size, sizeof(*t->slot));
	t->mask = size - 1;
}

static void fts_tally_release(struct fts_tally *t)
{
	free(t->b);
	free(t->slot);
}

static void fts_tally_add(struct fts_tally *t, const char *v, int64_t count)
{
	size_t i;

	for (i = hash_fnv32(v, strlen(v)) & t->mask; t->slot[i];
	     i = (i + 1) & t->mask)
		if (!strcmp(t->b[t->slot[i] - 1].value, v)) {
			t->b[t->slot[i] - 1].count += count;
			return;
		}
	t->b[t->n].value = v;
	t->b[t->n].count = count;
	t->slot[i] = ++t->n;
}

/* Most frequent first, then by value (Elasticsearch's terms order). */
static int fts_bucket_cmp(const void *a, const void *b)
{
	const struct fts_bucket *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->value, y->value);
}

static struct json_object *fts_facet(struct fts_tally *t)
{
	struct json_object *arr = json_object_new_array(), *o;
	size_t i;

	qsort(t->b, t->n, sizeof(*t->b), fts_bucket_cmp);
	for (i = 0; i < t->n && i < SEARCH_FACET_MAX; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "value",
				       json_object_new_string(t->b[i].value));
		json_object_object_add(o, "count",
				       json_object_new_int64(t->b[i].count));
		json_object_array_add(arr, o);
	}
	return arr;
}

/* out's "facets" from the tallies, which are released. */
static void fts_facets_add(struct json_object *out, struct fts_tally *cats,
			   struct fts_tally *brands)
{
	struct json_object *facets = json_object_new_object();

	json_object_object_add(facets, "category", fts_facet(cats));
	json_object_object_add(facets, "brand", fts_facet(brands));
	json_object_object_add(out, "facets", facets);
	fts_tally_release(cats);
	fts_tally_release(brands);
}

/* total and totalRelation: exact below SEARCH_TOTAL_MAX, else "gte". */
static void fts_total(struct json_object *out, int64_t total)
{
	bool capped = total >= SEARCH_TOTAL_MAX;

	json_object_object_add(out, "total",
			       json_object_new_int64(capped ? SEARCH_TOTAL_MAX :
							      total));
	json_object_object_add(out, "totalRelation",
			       json_object_new_string(capped ? "gte" : "eq"));
}

/*
 * The matches that pass the category and brand filters, counted up to
 * SEARCH_TOTAL_MAX: when the facets' scan stopped there, those it saw
 * tell nothing of them.
 */
static int fts_count(struct fts *f, const struct search_query *q,
		     const struct fts_where *w, int64_t *n, struct err *e)
{
	struct db_param *p = xcalloc(w->np + 3, sizeof(*p));
	struct sbuf sql = SBUF_INIT;
	struct db_res *res = NULL;
	size_t np = w->np;
	int ret = -1;

	memcpy(p, w->params, w->np * sizeof(*p));
	sbuf_addf(&sql, DB_PLAN_EACH "SELECT count(*) FROM (SELECT 1%s",
		  w->sql.buf);
	if (q->category) {
		p[np++] = DB_S(q->category);
		sbuf_addf(&sql, " AND p.category = $%zu", np);
	}
	if (q->brand) {
		p[np++] = DB_S(q->brand);
		sbuf_addf(&sql, " AND p.brand = $%zu", np);
	}
	p[np++] = DB_I(SEARCH_TOTAL_MAX);
	sbuf_addf(&sql, " LIMIT $%zu) AS c", np);
	if (db_query(f->db, &res, sql.buf, p, np, e) == 0) {
		*n = col_one_int(res);
		ret = 0;
	}
	db_res_free(res);
	sbuf_release(&sql);
	free(p);
	return ret;
}

/*
 * Facets and total from (category, brand, count) rows of the matches
 * before the category and brand filters: each facet sums over the other
 * column, *total sums the pairs the filters keep, *seen all of them.
 *
 * Without q or a price range, the matches are every ACTIVE product, and
 * product_facets holds their counts (kept by triggers): exact, and read
 * at once (with a price range: fts_facets_range()). Otherwise (a q
 * sorted newest first, or one without words) the matches are counted as
 * a scan meets them, and the scan stops after SEARCH_TOTAL_MAX of them:
 * a broad search pays for ten thousand rows, not a million, and its
 * facets count the ones it saw (docs/api.md, Search); *total then needs
 * fts_count().
 */
static int fts_facets(struct fts *f, const struct search_query *q,
		      const struct fts_where *w, bool every,
		      struct json_object *out, int64_t *seen, int64_t *total,
		      struct err *e)
{
	struct sbuf sql = SBUF_INIT;
	struct fts_tally cats, brands;
	struct db_res *res = NULL;
	size_t i, rows;
	int64_t cnt;
	const char *c, *b;
	int ret = -1;

	if (every)
		sbuf_addstr(&sql, "SELECT category, brand, n FROM "
				  "product_facets WHERE n > 0");
	else if (db_dialect(f->db) == DB_POSTGRES)
		/* one plan for any range: the price index, read in order */
		sbuf_addf(&sql,
			  "SELECT category, brand, count(*) FROM "
			  "(SELECT p.category, p.brand%s LIMIT %d) AS p "
			  "GROUP BY category, brand",
			  w->sql.buf, SEARCH_TOTAL_MAX);
	else
		/* SQLite groups through a sorter: tallied here, the
		 * ten thousand rows cost a third less */
		sbuf_addf(&sql, "SELECT p.category, p.brand, 1%s LIMIT %d",
			  w->sql.buf, SEARCH_TOTAL_MAX);
	if (db_query(f->db, &res, sql.buf, every ? NULL : w->params,
		     every ? 0 : w->np, e) < 0)
		goto out;
	rows = db_res_rows(res);
	fts_tally_init(&cats, rows);
	fts_tally_init(&brands, rows);
	for (i = 0; i < rows; i++) {
		c = db_res_str(res, i, 0);
		b = db_res_str(res, i, 1);
		cnt = db_res_int(res, i, 2);
		fts_tally_add(&cats, c, cnt);
		fts_tally_add(&brands, b, cnt);
		*seen += cnt;
		if ((!q->category || !strcmp(q->category, c)) &&
		    (!q->brand || !strcmp(q->brand, b)))
			*total += cnt;
	}
	fts_facets_add(out, &cats, &brands);
	ret = 0;
out:
	db_res_free(res);
	sbuf_release(&sql);
	return ret;
}

/*
 * A price's bucket in product_price_facets is the price to two
 * significant digits (db/<dialect>/0016_product_price_facets.sql):
 * fts_bucket_step() is the width of the bucket holding p, which starts
 * at p - p % step.
 */
static int64_t fts_bucket_step(int64_t p)
{
	int64_t step = 1;

	while (p / step >= 100)
		step *= 10;
	return step;
}

int64_t search_price_bucket(int64_t price)
{
	return price - price % fts_bucket_step(price);
}

/* Add (field or category, value or brand, count) rows to the tallies. */
static void fts_tally_rows(struct db_res *res, bool fields,
			   struct fts_tally *cats, struct fts_tally *brands)
{
	size_t i;
	const char *a, *b;
	int64_t n;

	for (i = 0; i < db_res_rows(res); i++) {
		a = db_res_str(res, i, 0);
		b = db_res_str(res, i, 1);
		n = db_res_int(res, i, 2);
		if (!fields) {
			fts_tally_add(cats, a, n);
			fts_tally_add(brands, b, n);
		} else if (!strcmp(a, "category")) {
			fts_tally_add(cats, b, n);
		} else {
			fts_tally_add(brands, b, n);
		}
	}
}

/* The count value holds in t, 0 when none. */
static int64_t fts_tally_get(const struct fts_tally *t, const char *value)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->b[i].value, value))
			return t->b[i].count;
	return 0;
}

/*
 * Facets and total of a search without q within a price range, exact:
 * the buckets of product_price_facets wholly inside the range are summed,
 * and only the products of its edges, the parts of the two buckets it
 * cuts, are read (from the price index: price, category and brand). At a
 * million products `minPrice=100000&maxPrice=500000` sums 40 buckets of
 * some 60 values each instead of reading 10 000 index entries, and its
 * edges are empty. *seen is every match; *total the matches the category
 * or brand filter keeps, or -1 when both are given (the buckets hold no
 * pairs: fts_count() counts them). Returns 1, having answered nothing,
 * when the edges hold SEARCH_TOTAL_MAX matches or more.
 */
static int fts_facets_range(struct fts *f, const struct search_query *q,
			    struct json_object *out, int64_t *seen,
			    int64_t *total, struct err *e)
{
	int64_t lo = q->min_price < 0 ? 0 : q->min_price;
	int64_t hi = q->max_price < 0 ? INT64_MAX : q->max_price;
	int64_t step = fts_bucket_step(lo), from = lo - lo % step;
	int64_t to = INT64_MAX, edge[4];
	struct db_res *inner = NULL, *edges = NULL;
	struct fts_tally cats, brands;
	size_t i;
	int ret = -1;

	/* The buckets inside: from the first that starts at lo or after it
	 * to the one that holds hi + 1, excluded (every bucket below
	 * INT64_MAX when hi is). Saturated, not overflowed. */
	if (from < lo)
		from = from > INT64_MAX - step ? INT64_MAX : from + step;
	if (hi < INT64_MAX)
		to = hi + 1 - (hi + 1) % fts_bucket_step(hi + 1);
	/* the edges, inclusive: lo to the first bucket, the last to hi */
	edge[0] = lo;
	edge[1] = from - 1;
	edge[2] = hi < INT64_MAX ? to : 1;
	edge[3] = hi < INT64_MAX ? hi : 0;
	if (from >= to) {
		/* no whole bucket: one edge, lo to hi */
		edge[1] = hi;
		edge[2] = 1;
		edge[3] = 0;
		from = to = 0;
	}
	/* An edge is read whole, but no more than SEARCH_TOTAL_MAX rows of
	 * it: a range that ends among more products than that at one price
	 * (every product at 9 900 and maxPrice=9900) is left to the capped
	 * scan of fts_facets(). */
	if (db_query(f->db, &edges,
		     "SELECT * FROM (SELECT category, brand, 1 FROM products "
		     "WHERE status = 'ACTIVE' AND price >= $1 AND price <= $2 "
		     "LIMIT $5) AS lo UNION ALL SELECT * FROM (SELECT "
		     "category, brand, 1 FROM products WHERE status = "
		     "'ACTIVE' AND price >= $3 AND price <= $4 LIMIT $5) AS hi",
		     DB_ARGS(DB_I(edge[0]), DB_I(edge[1]), DB_I(edge[2]),
			     DB_I(edge[3]), DB_I(SEARCH_TOTAL_MAX)),
		     e) < 0)
		goto out;
	if (db_res_rows(edges) >= SEARCH_TOTAL_MAX) {
		ret = 1;
		goto out;
	}
	if (db_query(f->db, &inner,
		     "SELECT field, value, n FROM product_price_facets "
		     "WHERE bucket >= $1 AND bucket < $2 AND n > 0",
		     DB_ARGS(DB_I(from), DB_I(to)), e) < 0)
		goto out;
	i = db_res_rows(inner) + db_res_rows(edges);
	fts_tally_init(&cats, i);
	fts_tally_init(&brands, i);
	fts_tally_rows(inner, true, &cats, &brands);
	fts_tally_rows(edges, false, &cats, &brands);
	*seen = 0;
	for (i = 0; i < cats.n; i++)
		*seen += cats.b[i].count;
	*total = q->category && q->brand ? -1 :
		 q->category		 ? fts_tally_get(&cats, q->category) :
		 q->brand		 ? fts_tally_get(&brands, q->brand) :
					   *seen;
	fts_facets_add(out, &cats, &brands);
	ret = 0;
out:
	db_res_free(inner);
	db_res_free(edges);
	return ret;
}

/* Ties are broken by id, newest first, on every backend. */
static const char *fts_order(enum search_sort sort, bool has_q)
{
	switch (sort) {
	case SEARCH_PRICE_ASC:
		return " ORDER BY p.price, p.id DESC";
	case SEARCH_PRICE_DESC:
		return " ORDER BY p.price DESC, p.id DESC";
	case SEARCH_NEWEST:
		return " ORDER BY p.created_at DESC, p.id DESC";
	case SEARCH_RELEVANCE:
		break;
	}
	if (!has_q)
		return " ORDER BY p.created_at DESC, p.id DESC";
	return " ORDER BY p.score DESC, p.id DESC";
}

/* A match of a one-pass search, in the order of its page. */
struct fts_hit {
	int64_t id;
	int64_t key; /* the score, or the price */
};

/* key descending, then id descending: relevance, price_desc */
static int fts_hit_down(const void *a, const void *b)
{
	const struct fts_hit *x = a, *y = b;

	if (x->key != y->key)
		return x->key > y->key ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

/* key ascending, then id descending: price_asc */
static int fts_hit_up(const void *a, const void *b)
{
	const struct fts_hit *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->id > y->id ? -1 : x->id < y->id;
}

/* items: the products of hits, in their order, read by id. */
static int fts_page(struct fts *f, const struct fts_hit *hits, size_t n,
		    struct json_object *items, struct err *e)
{
	struct db_param *p;
	struct sbuf sql = SBUF_INIT;
	struct db_res *res = NULL;
	size_t i, j, rows;
	int ret = -1;

	if (!n)
		return 0;
	p = xcalloc(n, sizeof(*p));
	sbuf_addstr(&sql, "SELECT ");
	col_list(&sql, product_cols, "p");
	sbuf_addstr(&sql, " FROM products p WHERE p.id IN (");
	for (i = 0; i < n; i++) {
		p[i] = DB_I(hits[i].id);
		sbuf_addf(&sql, "%s$%zu", i ? ", " : "", i + 1);
	}
	sbuf_addch(&sql, ')');
	if (db_query(f->db, &res, sql.buf, p, n, e) < 0)
		goto out;
	/* a product gone since the scan is left out */
	rows = db_res_rows(res);
	for (i = 0; i < n; i++)
		for (j = 0; j < rows; j++)
			if (db_res_int(res, j, PRODUCT_ID) == hits[i].id)
				json_object_array_add(items,
						      product_doc(res, j));
	ret = 0;
out:
	db_res_free(res);
	sbuf_release(&sql);
	free(p);
	return ret;
}

/*
 * A search with q in one scan of its matches: the scan reads, for up to
 * SEARCH_TOTAL_MAX + 1 matches before the category and brand filters,
 * (id, category, brand, score or price); the facets, the total and the
 * page come from those rows, then the page's products are read by id.
 * Scoring every match twice, for the facets and for the page, was most
 * of what a broad q cost.
 *
 * Returns 1 when out has its facets, total and items; 0 when there are
 * more matches than SEARCH_TOTAL_MAX: out has the facets of the first
 * ones, *seen and *total are counted as fts_facets() counts them, and
 * the page needs a query that sorts every match; -1 on error.
 */
static int fts_one_pass(struct fts *f, const struct search_query *q,
			const struct fts_where *w, struct json_object *out,
			int64_t *seen, int64_t *total, struct err *e)
{
	const char *key = q->sort == SEARCH_RELEVANCE ? "p.score" : "p.price";
	size_t size = (size_t)q->size, from = (size_t)(q->page - 1) * size;
	struct sbuf sql = SBUF_INIT;
	struct db_res *res = NULL;
	struct fts_tally cats, brands;
	struct fts_hit *hits = NULL;
	struct json_object *items;
	size_t rows, i, n = 0;
	const char *c, *b;
	int ret = -1;

	sbuf_addf(&sql, "SELECT p.id, p.category, p.brand, %s%s LIMIT %d", key,
		  w->sql.buf, SEARCH_TOTAL_MAX + 1);
	if (db_query(f->db, &res, sql.buf, w->params, w->np, e) < 0)
		goto out;
	rows = db_res_rows(res);
	*seen = rows > SEARCH_TOTAL_MAX ? SEARCH_TOTAL_MAX : (int64_t)rows;
	fts_tally_init(&cats, (size_t)*seen);
	fts_tally_init(&brands, (size_t)*seen);
	hits = xcalloc((size_t)*seen + 1, sizeof(*hits));
	for (i = 0; i < (size_t)*seen; i++) {
		c = db_res_str(res, i, 1);
		b = db_res_str(res, i, 2);
		fts_tally_add(&cats, c, 1);
		fts_tally_add(&brands, b, 1);
		if ((!q->category || !strcmp(q->category, c)) &&
		    (!q->brand || !strcmp(q->brand, b))) {
			hits[n].id = db_res_int(res, i, 0);
			hits[n].key = db_res_int(res, i, 3);
			n++;
		}
	}
	fts_facets_add(out, &cats, &brands);
	*total = (int64_t)n;
	ret = 0;
	if (rows > SEARCH_TOTAL_MAX)
		goto out;
	qsort(hits, n, sizeof(*hits),
	      q->sort == SEARCH_PRICE_ASC ? fts_hit_up : fts_hit_down);
	items = json_object_new_array();
	json_object_object_add(out, "items", items);
	if (from < n &&
	    fts_page(f, hits + from, n - from < size ? n - from : size, items,
		     e) < 0) {
		ret = -1;
		goto out;
	}
	ret = 1;
out:
	free(hits);
	db_res_free(res);
	sbuf_release(&sql);
	return ret;
}

/*
 * A search with q from agora's own postings (postings.h), once they are
 * ready: one statement reads the rows of q's terms, postings_match()
 * gives every match with its score, price, category and brand, and the
 * facets, the total and the page come from those, as fts_one_pass()
 * gets them from PostgreSQL's tsvectors, then the page's products are
 * read by id (newest first: fts_newest()). The facets count the first
 * SEARCH_TOTAL_MAX matches in id order (the order of those scans); the
 * total counts every match the filters keep, capped as fts_total() caps it.
 */
struct fts_posted {
	const struct search_query *q;
	int64_t category, brand; /* the filters' numbers; -1: any; 0: none */
	struct fts_hit *hits;
	size_t n, alloc, seen;
	int64_t *cats, *brands; /* per number, the first matches' counts */
	size_t nvalues;
};

static void fts_posted_hit(void *ctx, const struct postings_hit *h)
{
	struct fts_posted *p = ctx;
	const struct search_query *q = p->q;

	if ((q->min_price >= 0 && h->price < q->min_price) ||
	    (q->max_price >= 0 && h->price > q->max_price))
		return;
	if (p->seen < SEARCH_TOTAL_MAX) {
		p->seen++;
		if (h->category < p->nvalues)
			p->cats[h->category]++;
		if (h->brand < p->nvalues)
			p->brands[h->brand]++;
	}
	if ((p->category >= 0 && h->category != p->category) ||
	    (p->brand >= 0 && h->brand != p->brand))
		return;
	if (p->n == p->alloc) {
		p->alloc = p->alloc ? 2 * p->alloc : 1024;
		p->hits = xrealloc(p->hits, p->alloc * sizeof(*p->hits));
	}
	p->hits[p->n].id = h->id;
	p->hits[p->n].key = q->sort == SEARCH_RELEVANCE ? h->score : h->price;
	p->n++;
}

/* The number of value in field among product_values' rows; 0: none. */
static int64_t fts_value_ord(const struct db_res *values, const char *field,
			     const char *value)
{
	size_t i;

	if (!value)
		return -1;
	for (i = 0; i < db_res_rows(values); i++)
		if (!strcmp(db_res_str(values, i, 0), field) &&
		    !strcmp(db_res_str(values, i, 2), value))
			return db_res_int(values, i, 1);
	return 0;
}

/* A facet's tally from the counts per number, n of them. */
static void fts_tally_ords(struct fts_tally *t, const struct db_res *values,
			   const char *field, const int64_t *count, size_t n)
{
	size_t i;
	int64_t ord;

	for (i = 0; i < db_res_rows(values); i++) {
		ord = db_res_int(values, i, 1);
		if (!strcmp(db_res_str(values, i, 0), field) && ord > 0 &&
		    (uint64_t)ord < n && count[ord])
			fts_tally_add(t, db_res_str(values, i, 2), count[ord]);
	}
}

/* The ACTIVE products (of category, when not NULL), from the counts
 * product_facets keeps. */
static int fts_active(struct fts *f, const char *category, int64_t *n,
		      struct err *e)
{
	struct db_res *res = NULL;
	int rc;

	rc = db_query(f->db, &res,
		      "SELECT coalesce(sum(n), 0) FROM product_facets "
		      "WHERE n > 0 AND (CAST($1 AS text) IS NULL OR "
		      "category = $1)",
		      DB_ARGS(category ? DB_S(category) : DB_NUL), e);
	if (rc == 0)
		*n = col_one_int(res);
	db_res_free(res);
	return rc;
}

/*
 * Newest first, which no posting can sort (created_at is in none), the
 * page of the n matches (hits, in id order) is found whichever of two
 * ways reads fewer rows:
 * - fts_newest_walk(): the ACTIVE products newest first in the index of
 *   created_at, the matches among them kept: about (from + size) *
 *   active / n rows when the matches spread over time (a word in half
 *   the products: twice the page);
 * - fts_newest_sort(): the matches' rows sorted by created_at in one
 *   statement, given their ids as a JSON array: n rows (a rare word, or
 *   a deep page).
 * A walk that has read 2n rows (matches crowded among the old products)
 * gives up and sorts: at worst about three times the cheaper way.
 */
#define FTS_NEWEST_FIRST 32 /* rows of the walk's first statement */
#define FTS_NEWEST_BATCH 1024 /* ... doubled up to this */

/* Whether id is among the n hits, in id order. */
static bool fts_hit_has(const struct fts_hit *hits, size_t n, int64_t id)
{
	size_t lo = 0, hi = n, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (hits[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && hits[lo].id == id;
}

/* The walk: 1 and the page in *page (*got of them), 0 when it gave up,
 * -1 on error. */
static int fts_newest_walk(struct fts *f, const struct fts_hit *hits, size_t n,
			   size_t from, size_t size, struct fts_hit *page,
			   size_t *got, struct err *e)
{
	bool pg = db_dialect(f->db) == DB_POSTGRES;
	struct db_res *res = NULL;
	char *at = NULL; /* where the last statement stopped */
	int64_t id = 0;
	size_t read = 0, seen = 0, i, rows, batch = FTS_NEWEST_FIRST;
	int ret = -1;

	*got = 0;
	for (;;) {
		db_res_free(res);
		res = NULL;
		/* after the first, from where the last one stopped: a
		 * range of the index, which an OR with "$1 IS NULL" would
		 * keep SQLite from using */
		if ((at ? db_query(f->db, &res,
				   pg ? "SELECT id, created_at FROM products "
					"WHERE status = 'ACTIVE' AND "
					"(created_at, id) < "
					"($1::timestamptz, $2) ORDER BY "
					"created_at DESC, id DESC LIMIT $3" :
					"SELECT id, created_at FROM products "
					"WHERE status = 'ACTIVE' AND "
					"(created_at, id) < ($1, $2) ORDER BY "
					"created_at DESC, id DESC LIMIT $3",
				   DB_ARGS(DB_S(at), DB_I(id),
					   DB_I((int64_t)batch)),
				   e) :
			  db_query(f->db, &res,
				   "SELECT id, created_at FROM products "
				   "WHERE status = 'ACTIVE' ORDER BY "
				   "created_at DESC, id DESC LIMIT $1",
				   DB_ARGS(DB_I((int64_t)batch)), e)) < 0)
			goto out;
		rows = db_res_rows(res);
		for (i = 0; i < rows && *got < size; i++) {
			id = db_res_int(res, i, 0);
			if (fts_hit_has(hits, n, id) && seen++ >= from)
				page[(*got)++] = (struct fts_hit){ id, 0 };
		}
		if (*got == size || rows < batch)
			break;
		read += rows;
		if (read >= 2 * n) {
			ret = 0; /* crowded among the old: sort instead */
			goto out;
		}
		free(at);
		at = xstrdup(db_res_str(res, rows - 1, 1));
		if (batch < FTS_NEWEST_BATCH)
			batch *= 2;
	}
	ret = 1;
out:
	free(at);
	db_res_free(res);
	return ret;
}

/* The sort. A product gone since the postings were read is left out. */
static int fts_newest_sort(struct fts *f, const struct fts_hit *hits, size_t n,
			   size_t from, size_t size, struct json_object *items,
			   struct err *e)
{
	bool pg = db_dialect(f->db) == DB_POSTGRES;
	struct sbuf ids = SBUF_INIT, sql = SBUF_INIT;
	struct db_res *res = NULL;
	size_t i;
	int ret = -1;

	sbuf_addch(&ids, '[');
	for (i = 0; i < n; i++)
		sbuf_addf(&ids, "%s%" PRId64, i ? "," : "", hits[i].id);
	sbuf_addch(&ids, ']');
	sbuf_addstr(&sql, "SELECT ");
	col_list(&sql, product_cols, "p");
	sbuf_addstr(&sql, pg ? " FROM products p WHERE p.id IN (SELECT "
			       "value::bigint FROM "
			       "json_array_elements_text($1::json))" :
			       " FROM products p WHERE p.id IN (SELECT value "
			       "FROM json_each($1))");
	sbuf_addstr(&sql, fts_order(SEARCH_NEWEST, true));
	sbuf_addstr(&sql, " LIMIT $2 OFFSET $3");
	if (db_query(f->db, &res, sql.buf,
		     DB_ARGS(DB_S(ids.buf), DB_I((int64_t)size),
			     DB_I((int64_t)from)),
		     e) < 0)
		goto out;
	for (i = 0; i < db_res_rows(res); i++)
		json_object_array_add(items, product_doc(res, i));
	ret = 0;
out:
	db_res_free(res);
	sbuf_release(&sql);
	sbuf_release(&ids);
	return ret;
}

static int fts_newest(struct fts *f, const struct fts_hit *hits, size_t n,
		      size_t from, size_t size, struct json_object *items,
		      struct err *e)
{
	struct fts_hit *page;
	int64_t active;
	size_t got;
	int rc;

	if (from >= n)
		return 0;
	if (fts_active(f, NULL, &active, e) < 0)
		return -1;
	/* the walk's rows against the sort's, in floating point: no
	 * overflow */
	if ((double)(from + size) * (double)active >= (double)n * (double)n)
		return fts_newest_sort(f, hits, n, from, size, items, e);
	page = xcalloc(size, sizeof(*page));
	rc = fts_newest_walk(f, hits, n, from, size, page, &got, e);
	if (rc == 1)
		rc = fts_page(f, page, got, items, e);
	else if (rc == 0)
		rc = fts_newest_sort(f, hits, n, from, size, items, e);
	free(page);
	return rc < 0 ? -1 : 0;
}

static int fts_posted_pass(struct fts *f, const struct search_query *q,
			   const struct search_analysis *a, const int64_t *wt,
			   struct json_object *out, struct err *e)
{
	size_t size = (size_t)q->size, from = (size_t)(q->page - 1) * size;
	struct fts_posted p = { .q = q };
	struct db_res *values = NULL, *res = NULL;
	struct db_param *params = xcalloc(a->ntok + 1, sizeof(*params));
	struct postings_rows *rows = xcalloc(a->ntok + 1, sizeof(*rows));
	int64_t *bucket = NULL;
	const unsigned char **blob = NULL;
	size_t *len = NULL, i, j, r, nrows, np = 0;
	struct sbuf sql = SBUF_INIT;
	struct fts_tally cats, brands;
	struct json_object *items;
	int ret = -1;

	if (db_query(f->db, &values,
		     "SELECT field, ord, value FROM product_values", DB_NOARGS,
		     e) < 0)
		goto out;
	p.nvalues = db_res_rows(values) + 1;
	p.cats = xcalloc(p.nvalues, sizeof(*p.cats));
	p.brands = xcalloc(p.nvalues, sizeof(*p.brands));
	p.category = fts_value_ord(values, "category", q->category);
	p.brand = fts_value_ord(values, "brand", q->brand);

	/* The rows of every distinct term, the bucket as text for the
	 * binary results and named apart from the column it orders by. */
	sbuf_addstr(&sql, DB_BINARY "SELECT term, CAST(bucket AS text) AS b, "
				    "postings FROM product_postings "
				    "WHERE term IN (");
	for (i = 0; i < a->ntok; i++) {
		for (j = 0; j < i; j++)
			if (!strcmp(search_token_text(a, i),
				    search_token_text(a, j)))
				break;
		if (j < i)
			continue;
		params[np++] = DB_S(search_token_text(a, i));
		sbuf_addf(&sql, "%s$%zu", np > 1 ? ", " : "", np);
	}
	sbuf_addstr(&sql, ") ORDER BY term, bucket");
	if (db_query(f->db, &res, sql.buf, params, np, e) < 0)
		goto out;
	nrows = db_res_rows(res);
	bucket = xcalloc(nrows + 1, sizeof(*bucket));
	blob = xcalloc(nrows + 1, sizeof(*blob));
	len = xcalloc(nrows + 1, sizeof(*len));
	for (r = 0; r < nrows; r++) {
		bucket[r] = db_res_int(res, r, 1);
		blob[r] = db_res_blob(res, r, 2, &len[r]);
	}
	/* each token's rows: a run of the result, its term's */
	for (i = 0; i < a->ntok; i++) {
		for (r = 0; r < nrows && strcmp(db_res_str(res, r, 0),
						search_token_text(a, i));
		     r++)
			;
		for (j = r; j < nrows && !strcmp(db_res_str(res, j, 0),
						 search_token_text(a, i));
		     j++)
			;
		rows[i] = (struct postings_rows){ bucket + r, blob + r, len + r,
						  j - r };
	}
	postings_match(a, wt, rows, fts_posted_hit, &p);

	fts_tally_init(&cats, p.nvalues);
	fts_tally_init(&brands, p.nvalues);
	fts_tally_ords(&cats, values, "category", p.cats, p.nvalues);
	fts_tally_ords(&brands, values, "brand", p.brands, p.nvalues);
	fts_facets_add(out, &cats, &brands);
	fts_total(out, (int64_t)p.n);
	items = json_object_new_array();
	json_object_object_add(out, "items", items);
	if (q->sort == SEARCH_NEWEST) {
		if (fts_newest(f, p.hits, p.n, from, size, items, e) < 0)
			goto out;
	} else {
		if (p.n)
			qsort(p.hits, p.n, sizeof(*p.hits),
			      q->sort == SEARCH_PRICE_ASC ? fts_hit_up :
							    fts_hit_down);
		if (from < p.n &&
		    fts_page(f, p.hits + from,
			     p.n - from < size ? p.n - from : size, items,
			     e) < 0)
			goto out;
	}
	ret = 0;
out:
	free(p.hits);
	free(p.cats);
	free(p.brands);
	free(bucket);
	free(blob);
	free(len);
	free(rows);
	free(params);
	sbuf_release(&sql);
	db_res_free(res);
	db_res_free(values);
	return ret;
}

/* The most rows fts_walk_pays() lets a walk read at worst (about 20 ms
 * at half a microsecond a row), as the sort's worst is SEARCH_TOTAL_MAX
 * matches. */
#define FTS_WALK_MAX (4 * SEARCH_TOTAL_MAX)

/*
 * Whether the page of a price range without q is found sooner walking
 * the products newest first, their price tested one by one, than by
 * sorting the range's matches newest first, which is what SQLite, which
 * plans without statistics, does: it reads every match from the table
 * for its created_at. The walk reads about (offset + size) * scope /
 * matches rows, scope being the ACTIVE products of the index it walks
 * (the category's, or all): fewer than the matches when they are a
 * large share of them. At 10,000 products
 * minPrice=100000&maxPrice=500000 matches about 3,000, and the walk
 * reads some sixty rows. That assumes the matches spread over time; a
 * range of old products only is walked to its end, so the walk is
 * taken only where scope is at most FTS_WALK_MAX. Returns 1 or 0, or
 * -1 on error.
 */
static int fts_walk_pays(struct fts *f, const struct search_query *q,
			 int64_t matches, struct err *e)
{
	int64_t want = q->page * q->size, scope;

	if (matches <= 0 || want >= matches)
		return 0;
	if (fts_active(f, q->category, &scope, e) < 0)
		return -1;
	return scope <= FTS_WALK_MAX && want * scope < matches * matches;
}

static int fts_products(struct search *s, const struct search_query *q,
			struct json_object **out, struct err *e)
{
	struct fts *f = (struct fts *)s;
	bool has_q = q->q && q->q[0];
	bool pg = db_dialect(f->db) == DB_POSTGRES;
	struct search_analysis a = SEARCH_ANALYSIS_INIT;
	struct fts_where w = { SBUF_INIT, NULL, 0, NULL, 0 };
	struct sbuf sql = SBUF_INIT;
	struct db_res *res = NULL;
	struct json_object *o = json_object_new_object(), *items;
	int64_t wt[SEARCH_MAX_WORDS], seen = 0, total = 0;
	size_t i;
	bool every, ranged, ids, walk;
	int rc, ret = -1;

	if (has_q) {
		search_analyze(&a, q->q, strlen(q->q), SEARCH_MAX_WORDS);
		if (search_vocab_weights(f->db, &a, wt, e) < 0)
			goto out;
	}
	json_object_object_add(o, "total", NULL);
	json_object_object_add(o, "totalRelation", NULL);
	/* from agora's own postings when they are ready */
	if (has_q && a.ntok && (rc = postings_ready(f->db, e)) != 0) {
		if (rc < 0 || fts_posted_pass(f, q, &a, wt, o, e) < 0)
			goto out;
		goto done;
	}
	/* SQLite holds no other index of the words (0021) */
	if (has_q && a.ntok && !pg) {
		log_msg(LOG_WARN, NULL,
			"search: the postings are not built yet (agora "
			"migrate builds them)");
		err_show(e, ERR_UNAVAILABLE, "Search is unavailable");
		goto out;
	}
	fts_where(&w, q, has_q, &a, wt, false);
	every = !has_q && q->min_price < 0 && q->max_price < 0;
	ranged = !has_q && !every;
	if (ranged && (rc = fts_facets_range(f, q, o, &seen, &total, e)) == 1)
		ranged = false; /* its edges too full: the capped scan */
	/* PostgreSQL before the postings are built: newest first with q
	 * sorts in the database */
	if (!ranged)
		rc = has_q && a.ntok && q->sort != SEARCH_NEWEST ?
			     fts_one_pass(f, q, &w, o, &seen, &total, e) :
			     fts_facets(f, q, &w, every, o, &seen, &total, e);
	if (rc < 0)
		goto out;
	if (rc == 1) {
		fts_total(o, total);
		goto done;
	}
	/* A broad price range without q: its page is found walking the
	 * newest first, not sorting the whole range. With fewer matches
	 * than SEARCH_TOTAL_MAX, counted exactly, when they are many of
	 * the products walked. */
	walk = !pg && !has_q &&
	       (q->sort == SEARCH_RELEVANCE || q->sort == SEARCH_NEWEST);
	if (walk && seen < SEARCH_TOTAL_MAX)
		walk = ranged && (rc = fts_walk_pays(f, q, total, e)) == 1;
	if (rc < 0)
		goto out;
	if (walk) {
		fts_where_release(&w);
		w = (struct fts_where){ SBUF_INIT, NULL, 0, NULL, 0 };
		fts_where(&w, q, has_q, &a, wt, true);
	}
	if ((ranged ? total < 0 :
		      !every && seen >= SEARCH_TOTAL_MAX &&
			      (q->category || q->brand)) &&
	    fts_count(f, q, &w, &total, e) < 0)
		goto out;
	fts_total(o, total);
	/* Without a score to sort by, the page is found by id alone, which
	 * the indexes hold: a deep page skips its ten thousand rows in an
	 * index, not reading each of them from the table. */
	ids = !has_q || !a.ntok;
	sbuf_addstr(&sql, DB_PLAN_EACH "SELECT ");
	col_list(&sql, product_cols, "p");
	if (ids)
		sbuf_addstr(&sql, " FROM products p WHERE p.id IN "
				  "(SELECT p.id");
	sbuf_addstr(&sql, w.sql.buf);
	if (q->category) {
		w.params[w.np++] = DB_S(q->category);
		sbuf_addf(&sql, " AND p.category = $%zu", w.np);
	}
	if (q->brand) {
		w.params[w.np++] = DB_S(q->brand);
		sbuf_addf(&sql, " AND p.brand = $%zu", w.np);
	}
	sbuf_addstr(&sql, fts_order(q->sort, has_q && a.ntok));
	w.params[w.np++] = DB_I(q->size);
	w.params[w.np++] = DB_I((q->page - 1) * q->size);
	sbuf_addf(&sql, " LIMIT $%zu OFFSET $%zu", w.np - 1, w.np);
	if (ids) {
		sbuf_addch(&sql, ')');
		sbuf_addstr(&sql, fts_order(q->sort, false));
	}
	if (db_query(f->db, &res, sql.buf, w.params, w.np, e) < 0)
		goto out;
	items = json_object_new_array();
	for (i = 0; i < db_res_rows(res); i++)
		json_object_array_add(items, product_doc(res, i));
	json_object_object_add(o, "items", items);
done:
	*out = o;
	o = NULL;
	ret = 0;
out:
	json_object_put(o);
	db_res_free(res);
	sbuf_release(&sql);
	fts_where_release(&w);
	search_analysis_release(&a);
	return ret;
}

static bool fts_health(struct search *s, struct json_object **entry)
{
	struct fts *f = (struct fts *)s;
	struct err e = ERR_INIT;
	struct json_object *o = json_object_new_object();
	bool up = db_ping(f->db, &e) == 0;

	json_object_object_add(o, "status",
			       json_object_new_string(up ? "up" : "down"));
	json_object_object_add(o, "backend",
			       json_object_new_string("database"));
	if (!up)
		json_object_object_add(o, "message",
				       json_object_new_string(
					       "database unreachable"));
	err_release(&e);
	*entry = o;
	return up;
}

/* The vocabulary counted again from the products (search-vocab.c): it
 * forgets the words no product holds any more. */
#define FTS_VOCAB_PG                                                     \
	"INSERT INTO search_vocab (term, df) SELECT u.lexeme, count(*) " \
	"FROM products p, unnest(p.search) u WHERE p.status = 'ACTIVE' " \
	"AND u.weights && '{A,B}'::text[] GROUP BY u.lexeme"
#define FTS_VOCAB_SQLITE                                                     \
	"INSERT INTO search_vocab (term, df) SELECT w.value, count(*) "      \
	"FROM products p, json_each(search_words(p.name, p.description)) w " \
	"WHERE p.status = 'ACTIVE' GROUP BY w.value"

/* and the facet counts (db/<dialect>/0015_product_facets.sql,
 * 0016_product_price_facets.sql) */
#define FTS_FACETS                                                          \
	"INSERT INTO product_facets (category, brand, n) SELECT category, " \
	"brand, count(*) FROM products WHERE status = 'ACTIVE' "            \
	"GROUP BY category, brand"

/* A price's bucket in SQL, as fts_bucket_step() computes it. */
#define FTS_BUCKET_SQLITE                                         \
	"price - price % CAST(substr('10000000000000000000', 1, " \
	"max(length(price) - 1, 1)) AS INTEGER)"

/* The counts per price bucket again, from every ACTIVE product (a
 * reindex, after the table was emptied). */
static int fts_price_counts(struct db *db, struct err *e)
{
	struct sbuf sql = SBUF_INIT;
	int rc;

	/* the pairs first: one scan of the products, two small sums */
	sbuf_addf(&sql,
		  "WITH p AS MATERIALIZED (SELECT %s AS b, category, brand, "
		  "count(*) AS n FROM products WHERE status = 'ACTIVE' "
		  "GROUP BY 1, 2, 3) "
		  "INSERT INTO product_price_facets AS f "
		  "(bucket, field, value, n) "
		  "SELECT b, 'category', category, sum(n) FROM p "
		  "GROUP BY b, category UNION ALL "
		  "SELECT b, 'brand', brand, sum(n) FROM p GROUP BY b, brand "
		  "ON CONFLICT (bucket, field, value) "
		  "DO UPDATE SET n = f.n + excluded.n",
		  db_dialect(db) == DB_POSTGRES ?
			  "product_price_bucket(price)" :
			  FTS_BUCKET_SQLITE);
	rc = db_query(db, NULL, sql.buf, DB_NOARGS, e);
	sbuf_release(&sql);
	return rc;
}

static int fts_vocab(struct db *db, bool pg, struct err *e)
{
	if (db_begin(db, e) < 0)
		return -1;
	if (db_query(db, NULL, "DELETE FROM search_vocab", DB_NOARGS, e) < 0 ||
	    db_query(db, NULL, pg ? FTS_VOCAB_PG : FTS_VOCAB_SQLITE, DB_NOARGS,
		     e) < 0 ||
	    db_query(db, NULL, "DELETE FROM product_facets", DB_NOARGS, e) <
		    0 ||
	    db_query(db, NULL, FTS_FACETS, DB_NOARGS, e) < 0 ||
	    db_query(db, NULL, "DELETE FROM product_price_facets", DB_NOARGS,
		     e) < 0 ||
	    fts_price_counts(db, e) < 0 || db_commit(db, e) < 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/*
 * Everything analysed again, so that a new analyzer applies to the
 * products already there. PostgreSQL: every tsvector is computed again,
 * a thousand rows per transaction (product_tsvector_fill()). Then, on
 * both, the vocabulary, the facet counts and agora's postings, in
 * transactions of their own (readers keep their snapshot and keep
 * answering): counting a large catalogue takes longer than the request
 * statement timeout, so the reindex gets its own (ten minutes).
 */
static int fts_reindex(struct search *s, search_progress_fn progress, void *ctx,
		       struct json_object **out, struct err *e)
{
	struct fts *f = (struct fts *)s;
	bool pg = db_dialect(f->db) == DB_POSTGRES;
	struct db_res *res = NULL;
	double t0 = clock_ms();
	int64_t n;
	int rc;

	if (pg && (product_tsvector_fill(f->db, true, &n, e) < 0 ||
		   db_query(f->db, NULL, "SET statement_timeout = '10min'",
			    DB_NOARGS, e) < 0))
		return -1;
	rc = fts_vocab(f->db, pg, e);
	if (rc == 0)
		rc = postings_build(f->db, e);
	/* back to the connection's own timeout, whatever happened */
	if (pg)
		db_query(f->db, NULL, "RESET statement_timeout", DB_NOARGS,
			 &(struct err)ERR_INIT);
	if (rc < 0 || db_query(f->db, &res,
			       "SELECT count(*) FROM products "
			       "WHERE status = 'ACTIVE'",
			       DB_NOARGS, e) < 0)
		return -1;
	n = col_one_int(res);
	db_res_free(res);
	if (progress)
		progress(ctx, n, n);
	*out = json_object_new_object();
	json_object_object_add(*out, "indexed", json_object_new_int64(n));
	json_object_object_add(*out, "index",
			       json_object_new_string("product_postings"));
	json_object_object_add(*out, "tookMs",
			       json_object_new_int64(
				       (int64_t)(clock_ms() - t0)));
	return 0;
}

static void fts_free(struct search *s)
{
	free(s);
}

static const struct search_ops fts_ops = {
	fts_products,
	fts_health,
	fts_reindex,
	fts_free,
};

int search_fts_open(struct search **out, const struct cfg *c, struct db *db,
		    struct err *e)
{
	struct fts *f = xcalloc(1, sizeof(*f));

	(void)c;
	(void)e;
	f->base.ops = &fts_ops;
	f->db = db;
	*out = &f->base;
	return 0;
}
