/* fts.c: product search on the database's own full text: SQLite FTS5 or a
 * PostgreSQL weighted tsvector (db/<dialect>/0004_products.sql). */
#include "common.h"

#include <time.h>

#include "search-impl.h"
#include "sbuf.h"

struct fts {
	struct search base;	/* first: a struct search * is a struct fts * */
	struct db *db;
};

/*
 * The words of q, OR-ed (docs/api.md, Search). q is never handed to a query parser
 * as it is. On SQLite the words are the runs of ASCII letters and digits
 * and of non-ASCII characters; every other byte (quotes, operators, '*',
 * ':', '(', '-', '^') separates words, as in the tokenizers of the other
 * backends. Each word becomes one FTS5 string, which FTS5 only tokenizes
 * (unicode61 splits non-ASCII punctuation further). A q without words
 * gives an empty expression, which matches nothing. On PostgreSQL the
 * text goes through to_tsvector('simple', $1), whose lexemes are each
 * quoted into a tsquery, OR-ed, and cast without any further parsing.
 */
#define FTS_MAX_WORDS 32

static bool fts_word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

static void fts_match_expr(const char *q, struct sbuf *sb)
{
	const unsigned char *p = (const unsigned char *)q;
	size_t words = 0;

	while (*p && words < FTS_MAX_WORDS) {
		if (!fts_word_byte(*p)) {
			p++;
			continue;
		}
		sbuf_addstr(sb, words++ ? " OR \"" : "\"");
		while (*p && fts_word_byte(*p))
			sbuf_addch(sb, *p++);
		sbuf_addch(sb, '"');
	}
	/* FTS5 rejects an empty MATCH; an empty phrase matches nothing. */
	if (!words)
		sbuf_addstr(sb, "\"\"");
}

#define PG_TSQUERY \
	"(SELECT string_agg('''' || replace(replace(w, '\\', '\\\\'), " \
	"'''', '''''') || '''', ' | ') " \
	"FROM unnest(tsvector_to_array(to_tsvector('simple', $1::text))) " \
	"AS w)::tsquery"

/*
 * The FROM and WHERE shared by the page and the facet query: the matches
 * of q (when given), ACTIVE, within the price range. Parameters are
 * numbered from $1 in the order they are pushed to params.
 */
static void fts_from(struct fts *f, const struct search_query *q,
		     bool has_q, struct sbuf *sql, struct db_param *params,
		     size_t *np, struct sbuf *match)
{
	bool pg = db_dialect(f->db) == DB_POSTGRES;

	if (has_q && pg) {
		params[(*np)++] = DB_S(q->q);
		sbuf_addstr(sql, " FROM products p, (SELECT " PG_TSQUERY
			    " AS tq) AS m WHERE p.search @@ m.tq AND");
	} else if (has_q) {
		/* CROSS JOIN keeps the matches as the outer loop: left to
		 * itself the planner may scan products and probe the full-text
		 * index once per row (seconds at a million rows). */
		fts_match_expr(q->q, match);
		params[(*np)++] = DB_S(match->buf);
		sbuf_addstr(sql, " FROM (SELECT rowid AS rid, "
			    "bm25(products_fts, 2.0, 1.0) AS score "
			    "FROM products_fts WHERE products_fts MATCH $1) "
			    "AS m CROSS JOIN products p ON p.id = m.rid WHERE");
	} else {
		sbuf_addstr(sql, " FROM products p WHERE");
	}
	sbuf_addstr(sql, " p.status = 'ACTIVE'");
	if (q->min_price >= 0) {
		params[(*np)++] = DB_I(q->min_price);
		sbuf_addf(sql, " AND p.price >= $%zu", *np);
	}
	if (q->max_price >= 0) {
		params[(*np)++] = DB_I(q->max_price);
		sbuf_addf(sql, " AND p.price <= $%zu", *np);
	}
}

/* One facet value and its count; lists are short (dozens of values). */
struct fts_bucket {
	const char *value;	/* borrowed from the result set */
	int64_t count;
};

static void fts_bucket_add(struct fts_bucket *b, size_t *n, const char *v,
			   int64_t count)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (!strcmp(b[i].value, v)) {
			b[i].count += count;
			return;
		}
	b[*n].value = v;
	b[*n].count = count;
	(*n)++;
}

/* Most frequent first, then by value (Elasticsearch's terms order). */
static int fts_bucket_cmp(const void *a, const void *b)
{
	const struct fts_bucket *x = a, *y = b;

	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return strcmp(x->value, y->value);
}

static struct json_object *fts_facet(struct fts_bucket *b, size_t n)
{
	struct json_object *arr = json_object_new_array(), *o;
	size_t i;

	qsort(b, n, sizeof(*b), fts_bucket_cmp);
	for (i = 0; i < n && i < SEARCH_FACET_MAX; i++) {
		o = json_object_new_object();
		json_object_object_add(o, "value",
				       json_object_new_string(b[i].value));
		json_object_object_add(o, "count",
				       json_object_new_int64(b[i].count));
		json_object_array_add(arr, o);
	}
	return arr;
}

/*
 * Facets and total from one GROUP BY category, brand over the matches
 * before the category and brand filters: each facet sums over the other
 * column, the total sums the pairs the filters keep.
 */
static int fts_facets(struct fts *f, const struct search_query *q,
		      bool has_q, struct json_object *out, struct err *e)
{
	struct db_param params[4];
	struct sbuf sql = SBUF_INIT, match = SBUF_INIT;
	struct fts_bucket *cats = NULL, *brands = NULL;
	struct db_res *res = NULL;
	struct json_object *facets;
	size_t np = 0, ncat = 0, nbrand = 0, i, rows;
	int64_t total = 0, cnt;
	const char *c, *b;
	int ret = -1;

	sbuf_addstr(&sql, "SELECT p.category, p.brand, count(*)");
	fts_from(f, q, has_q, &sql, params, &np, &match);
	sbuf_addstr(&sql, " GROUP BY p.category, p.brand");
	if (db_query(f->db, &res, sql.buf, params, np, e) < 0)
		goto out;
	rows = db_res_rows(res);
	cats = xcalloc(rows + 1, sizeof(*cats));
	brands = xcalloc(rows + 1, sizeof(*brands));
	for (i = 0; i < rows; i++) {
		c = db_res_str(res, i, 0);
		b = db_res_str(res, i, 1);
		cnt = db_res_int(res, i, 2);
		fts_bucket_add(cats, &ncat, c, cnt);
		fts_bucket_add(brands, &nbrand, b, cnt);
		if ((!q->category || !strcmp(q->category, c)) &&
		    (!q->brand || !strcmp(q->brand, b)))
			total += cnt;
	}
	facets = json_object_new_object();
	json_object_object_add(facets, "category", fts_facet(cats, ncat));
	json_object_object_add(facets, "brand", fts_facet(brands, nbrand));
	json_object_object_add(out, "total", json_object_new_int64(total));
	json_object_object_add(out, "facets", facets);
	ret = 0;
out:
	free(cats);
	free(brands);
	if (res)
		db_res_free(res);
	sbuf_release(&sql);
	sbuf_release(&match);
	return ret;
}

/* Ties are broken by id, newest first, on every backend. */
static const char *fts_order(enum search_sort sort, bool has_q, bool pg)
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
	/* bm25() is lower for better matches; ts_rank() higher. */
	return pg ? " ORDER BY ts_rank('{0.1,0.2,0.5,1.0}', p.search, m.tq) "
		    "DESC, p.id DESC"
		  : " ORDER BY m.score, p.id DESC";
}

static int fts_products(struct search *s, const struct search_query *q,
			struct json_object **out, struct err *e)
{
	struct fts *f = (struct fts *)s;
	bool has_q = q->q && q->q[0];
	bool pg = db_dialect(f->db) == DB_POSTGRES;
	struct db_param params[8];
	struct sbuf sql = SBUF_INIT, match = SBUF_INIT;
	struct db_res *res = NULL;
	struct json_object *o = json_object_new_object(), *items;
	size_t np = 0, i;
	int ret = -1;

	if (fts_facets(f, q, has_q, o, e) < 0)
		goto out;
	sbuf_addstr(&sql, "SELECT p.id, p.name, p.description, p.category, "
		    "p.brand, p.price, p.status, p.created_at");
	fts_from(f, q, has_q, &sql, params, &np, &match);
	if (q->category) {
		params[np++] = DB_S(q->category);
		sbuf_addf(&sql, " AND p.category = $%zu", np);
	}
	if (q->brand) {
		params[np++] = DB_S(q->brand);
		sbuf_addf(&sql, " AND p.brand = $%zu", np);
	}
	sbuf_addstr(&sql, fts_order(q->sort, has_q, pg));
	params[np++] = DB_I(q->size);
	params[np++] = DB_I((q->page - 1) * q->size);
	sbuf_addf(&sql, " LIMIT $%zu OFFSET $%zu", np - 1, np);
	if (db_query(f->db, &res, sql.buf, params, np, e) < 0)
		goto out;
	items = json_object_new_array();
	for (i = 0; i < db_res_rows(res); i++)
		json_object_array_add(items, search_doc(res, i));
	json_object_object_add(o, "items", items);
	*out = o;
	o = NULL;
	ret = 0;
out:
	json_object_put(o);
	if (res)
		db_res_free(res);
	sbuf_release(&sql);
	sbuf_release(&match);
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

static double fts_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * SQLite: 'rebuild' rereads every row into products_fts in one
 * transaction; readers keep their snapshot (WAL) and keep answering.
 * PostgreSQL: the tsvector is a generated column, so only the GIN index
 * can be rebuilt; CONCURRENTLY lets reads and writes go on. A rebuild cut
 * short leaves an invalid "_ccnew" index behind, dropped first. Rebuilding
 * a large index takes longer than the request statement timeout, so the
 * rebuild gets its own (ten minutes).
 */
static int fts_reindex(struct search *s, search_progress_fn progress,
		       void *ctx, struct json_object **out, struct err *e)
{
	struct fts *f = (struct fts *)s;
	bool pg = db_dialect(f->db) == DB_POSTGRES;
	struct db_res *res = NULL;
	double t0 = fts_ms();
	int64_t n;
	int rc;

	if (pg) {
		if (db_query(f->db, NULL, "SET statement_timeout = '10min'",
			     DB_NOARGS, e) < 0)
			return -1;
		rc = db_query(f->db, NULL,
			      "DROP INDEX IF EXISTS products_search_idx_ccnew",
			      DB_NOARGS, e);
		if (rc == 0)
			rc = db_query(f->db, NULL, "REINDEX INDEX CONCURRENTLY "
				      "products_search_idx", DB_NOARGS, e);
		/* back to the connection's own timeout, whatever happened */
		db_query(f->db, NULL, "RESET statement_timeout", DB_NOARGS,
			 &(struct err)ERR_INIT);
	} else {
		rc = db_begin(f->db, e);
		if (rc == 0)
			rc = db_query(f->db, NULL, "INSERT INTO products_fts "
				      "(products_fts) VALUES ('rebuild')",
				      DB_NOARGS, e);
		if (rc == 0)
			rc = db_commit(f->db, e);
		if (rc < 0)
			db_rollback(f->db);
	}
	if (rc < 0 ||
	    db_query(f->db, &res, "SELECT count(*) FROM products "
		     "WHERE status = 'ACTIVE'", DB_NOARGS, e) < 0)
		return -1;
	n = db_res_int(res, 0, 0);
	db_res_free(res);
	if (progress)
		progress(ctx, n, n);
	*out = json_object_new_object();
	json_object_object_add(*out, "indexed", json_object_new_int64(n));
	json_object_object_add(*out, "index", json_object_new_string(
				       pg ? "products_search_idx"
					  : "products_fts"));
	json_object_object_add(*out, "tookMs",
			       json_object_new_int64((int64_t)(fts_ms() - t0)));
	return 0;
}

static void fts_free(struct search *s)
{
	free(s);
}

static const struct search_ops fts_ops = {
	"database", fts_products, fts_health, fts_reindex, fts_free,
};

int fts_search_open(struct search **out, const struct cfg *c, struct db *db,
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
