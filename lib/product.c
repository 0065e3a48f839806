/* product.c: the products table: rows as the API and search show them,
 * writes that commit with their outbox event, the PostgreSQL tsvector. */
#include "common.h"

#include "outbox.h"
#include "postings.h"
#include "product.h"
#include "search-analyze.h"
#include "search-impl.h"

const struct col product_cols[] = {
	[PRODUCT_ID] = COL_ID,
	[PRODUCT_NAME] = { "name", "name", COL_TEXT },
	[PRODUCT_DESCRIPTION] = { "description", "description", COL_TEXT },
	[PRODUCT_CATEGORY] = { "category", "category", COL_TEXT },
	[PRODUCT_BRAND] = { "brand", "brand", COL_TEXT },
	[PRODUCT_PRICE] = { "price", "price", COL_INT },
	[PRODUCT_STATUS] = { "status", "status", COL_TEXT },
	[PRODUCT_VERSION] = { "version", "version", COL_INT },
	[PRODUCT_CREATED] = COL_CREATED_AT,
	[PRODUCT_UPDATED] = COL_UPDATED_AT,
	{ NULL },
};

/* The API's product less what Elasticsearch's mapping does not hold
 * (version, updatedAt), the creation time named as it names it. */
struct json_object *product_doc(const struct db_res *res, size_t row)
{
	struct json_object *o = col_json(product_cols, res, row), *t = NULL;

	/* Added last, as createdAt stands last once the others are gone. */
	json_object_object_get_ex(o, "createdAt", &t);
	json_object_object_add(o, "created_at", json_object_get(t));
	json_object_object_del(o, "version");
	json_object_object_del(o, "createdAt");
	json_object_object_del(o, "updatedAt");
	return o;
}

int product_get(struct db *db, int64_t id, struct json_object **out,
		struct err *e)
{
	int rc = col_query_one(db, out, "SELECT ", product_cols,
			       " FROM products WHERE id = $1",
			       DB_ARGS(DB_I(id)), e);

	if (rc == 0)
		return err_set(e, ERR_NOT_FOUND,
			       "Product %" PRId64 " not found", id);
	return rc < 0 ? -1 : 0;
}

const char *product_event_type(enum product_event ev)
{
	return ev == PRODUCT_DELETED ? "PRODUCT_DELETED" : "PRODUCT_UPSERTED";
}

/*
 * The event of row 0 of res: PRODUCT_UPSERTED carries the document and
 * its version, which orders the events of one product (Elasticsearch's
 * external version); a delete outranks every earlier version.
 */
static struct json_object *product_payload(enum product_event ev,
					   const struct db_res *res)
{
	struct json_object *o;
	int64_t version = db_res_int(res, 0, PRODUCT_VERSION);

	if (ev == PRODUCT_DELETED) {
		o = json_object_new_object();
		json_object_object_add(o, "id",
				       json_object_new_int64(
					       db_res_int(res, 0, PRODUCT_ID)));
		version++;
	} else {
		o = product_doc(res, 0);
	}
	json_object_object_add(o, "version", json_object_new_int64(version));
	return o;
}

/* product_index: store the tsvector of product id on PostgreSQL, in the
 * writer's transaction; nothing on SQLite, whose triggers run the
 * analyzer. */
static int product_index(struct db *db, const struct db_res *res, struct err *e)
{
	struct sbuf tsv = SBUF_INIT;
	int rc;

	if (db_dialect(db) != DB_POSTGRES)
		return 0;
	product_tsvector(&tsv, db_res_str(res, 0, PRODUCT_NAME),
			 db_res_str(res, 0, PRODUCT_DESCRIPTION));
	rc = db_query(db, NULL,
		      "UPDATE products SET search = $1::tsvector "
		      "WHERE id = $2",
		      DB_ARGS(DB_S(tsv.buf),
			      DB_I(db_res_int(res, 0, PRODUCT_ID))),
		      e);
	sbuf_release(&tsv);
	return rc;
}

static void product_posted(struct postings_product *p, const struct db_res *res)
{
	p->id = db_res_int(res, 0, PRODUCT_ID);
	p->price = db_res_int(res, 0, PRODUCT_PRICE);
	p->name = db_res_str(res, 0, PRODUCT_NAME);
	p->description = db_res_str(res, 0, PRODUCT_DESCRIPTION);
	p->category = db_res_str(res, 0, PRODUCT_CATEGORY);
	p->brand = db_res_str(res, 0, PRODUCT_BRAND);
	p->active = !strcmp(db_res_str(res, 0, PRODUCT_STATUS), "ACTIVE");
}

/* product_postings: the postings of the product written, res as the
 * statement returned it and before (NULL: a new one) as it was. */
static int product_postings(struct db *db, enum product_event ev,
			    const struct db_res *before,
			    const struct db_res *res, struct err *e)
{
	struct postings_product old, now;

	if (ev == PRODUCT_DELETED) {
		product_posted(&old, res);
		return postings_write(db, &old, NULL, e);
	}
	product_posted(&now, res);
	if (!db_res_rows(before))
		return postings_write(db, NULL, &now, e);
	product_posted(&old, before);
	return postings_write(db, &old, &now, e);
}

/*
 * Run head + the SELECT list (a statement ending in RETURNING) and
 * append the event of the row it returns, in one transaction. A
 * statement that touches no row is 404.
 */
static int product_write(struct db *db, int64_t id, enum product_event ev,
			 const char *head, const struct db_param *params,
			 size_t n, struct db_res **out, struct err *e)
{
	struct json_object *payload = NULL;
	struct db_res *res = NULL, *before = NULL;
	char aggid[24];
	int ret = -1;

	if (db_begin(db, e) < 0)
		goto out;
	/* an update's product as it was, for its postings */
	if (ev == PRODUCT_UPSERTED && id &&
	    col_query(db, &before, "SELECT ", product_cols,
		      db_dialect(db) == DB_POSTGRES ?
			      " FROM products WHERE id = $1 FOR UPDATE" :
			      " FROM products WHERE id = $1",
		      DB_ARGS(DB_I(id)), e) < 0)
		goto out;
	if (col_query(db, &res, head, product_cols, "", params, n, e) < 0)
		goto out;
	if (db_res_rows(res) != 1) {
		err_set(e, ERR_NOT_FOUND, "Product %" PRId64 " not found", id);
		goto out;
	}
	if (ev == PRODUCT_UPSERTED && product_index(db, res, e) < 0)
		goto out;
	if (product_postings(db, ev, before, res, e) < 0)
		goto out;
	payload = product_payload(ev, res);
	snprintf(aggid, sizeof(aggid), "%" PRId64,
		 db_res_int(res, 0, PRODUCT_ID));
	if (outbox_append(db, "product", aggid, product_event_type(ev), payload,
			  NULL, e) < 0 ||
	    db_commit(db, e) < 0)
		goto out;
	db_res_hand(&res, out);
	ret = 0;
out:
	db_rollback(db); /* nothing is left to undo once committed */
	json_object_put(payload);
	db_res_free(before);
	db_res_free(res);
	return ret;
}

int product_create(struct db *db, const struct product_input *in,
		   struct db_res **out, struct err *e)
{
	char now[32];

	db_now(now);
	return product_write(db, 0, PRODUCT_UPSERTED,
			     "INSERT INTO products (name, description, "
			     "category, brand, price, status, created_at, "
			     "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
			     "$7) RETURNING ",
			     DB_ARGS(DB_S(in->name), DB_S(in->description),
				     DB_S(in->category), DB_S(in->brand),
				     DB_I(in->price),
				     DB_S(in->status ? in->status : "ACTIVE"),
				     DB_S(now)),
			     out, e);
}

int product_update(struct db *db, int64_t id, const struct product_input *in,
		   struct db_res **out, struct err *e)
{
	char now[32];

	db_now(now);
	return product_write(db, id, PRODUCT_UPSERTED,
			     "UPDATE products SET name = COALESCE($1, name), "
			     "description = CASE WHEN $2 = 1 THEN $3 "
			     "ELSE description END, "
			     "category = COALESCE($4, category), "
			     "brand = COALESCE($5, brand), "
			     "price = COALESCE($6, price), "
			     "status = COALESCE($7, status), "
			     "version = version + 1, updated_at = $8 "
			     "WHERE id = $9 RETURNING ",
			     DB_ARGS(DB_S(in->name), DB_I(in->has_description),
				     DB_S(in->description), DB_S(in->category),
				     DB_S(in->brand),
				     in->has_price ? DB_I(in->price) : DB_NUL,
				     DB_S(in->status), DB_S(now), DB_I(id)),
			     out, e);
}

int product_delete(struct db *db, int64_t id, struct db_res **out,
		   struct err *e)
{
	return product_write(db, id, PRODUCT_DELETED,
			     "DELETE FROM products WHERE id = $1 RETURNING ",
			     DB_ARGS(DB_I(id)), out, e);
}

int product_price(struct db *db, int64_t id, int64_t *price, struct err *e)
{
	struct db_res *res = NULL;
	int ret;

	if (col_query(db, &res, "SELECT ", product_cols,
		      " FROM products WHERE id = $1", DB_ARGS(DB_I(id)), e) < 0)
		return -1;
	ret = db_res_rows(res) == 1 &&
	      !strcmp(db_res_str(res, 0, PRODUCT_STATUS), "ACTIVE");
	if (ret)
		*price = db_res_int(res, 0, PRODUCT_PRICE);
	db_res_free(res);
	return ret;
}

/* PostgreSQL caps positions at 16383. */
#define DOC_POS_MAX 16383

/* One position of a lexeme: PostgreSQL's weight is 3 for A down to 0.
 * key: the lexeme's first 8 bytes as a big-endian number, 0-padded, so
 * that most comparisons of two lexemes are one of two numbers. */
struct doc_pos {
	const char *lex;
	uint64_t key;
	unsigned pos, weight;
};

static uint64_t doc_key(const char *lex)
{
	uint64_t k = 0;
	int i;

	for (i = 0; i < 8 && lex[i]; i++)
		k |= (uint64_t)(unsigned char)lex[i] << (56 - 8 * i);
	return k;
}

static void doc_pos_field(struct doc_pos **v, size_t *n, size_t *alloc,
			  const struct search_analysis *a, unsigned word,
			  unsigned gram, size_t *pos)
{
	const char *lex;
	size_t i;

	for (i = 0; i < a->ntok; i++) {
		if (a->tok[i].len > SEARCH_LEXEME_MAX)
			continue;
		if (*n == *alloc) {
			*alloc = *alloc ? 2 * *alloc : 64;
			*v = xrealloc(*v, *alloc * sizeof(**v));
		}
		lex = search_token_text(a, i);
		(*v)[(*n)++] =
			(struct doc_pos){ lex, doc_key(lex), (unsigned)*pos,
					  a->tok[i].gram ? gram : word };
		if (*pos < DOC_POS_MAX)
			(*pos)++;
	}
}

/* The positions of name's and description's tokens, in token order: the
 * whole words of the name weigh A, its bigrams C, the description's B
 * and D. The caller frees *v. */
static size_t doc_positions(struct doc_pos **v,
			    const struct search_analysis *name,
			    const struct search_analysis *description)
{
	size_t n = 0, alloc = 0, pos = 1;

	*v = NULL;
	doc_pos_field(v, &n, &alloc, name, 3, 1, &pos);
	doc_pos_field(v, &n, &alloc, description, 2, 0, &pos);
	return n;
}

void product_tsv_lexeme(struct sbuf *sb, const char *lex)
{
	static const char *const quote[256] = { ['\''] = "''", ['\\'] = "\\\\" };

	sbuf_addch(sb, '\'');
	sbuf_add_escaped(sb, lex, strlen(lex), quote);
	sbuf_addch(sb, '\'');
}

void product_tsv(struct sbuf *sb, const struct search_analysis *name,
		 const struct search_analysis *description)
{
	struct doc_pos *v;
	size_t n = doc_positions(&v, name, description), i;

	for (i = 0; i < n; i++) {
		if (sb->len)
			sbuf_addch(sb, ' ');
		product_tsv_lexeme(sb, v[i].lex);
		sbuf_addf(sb, ":%u%c", v[i].pos, 'A' + 3 - (int)v[i].weight);
	}
	free(v);
}

/* By lexeme, in bytes as PostgreSQL orders them: their keys first, the
 * bytes after the 8th only when those are alike. */
static int doc_lex_cmp(const struct doc_pos *a, const struct doc_pos *b)
{
	if (a->key != b->key)
		return a->key < b->key ? -1 : 1;
	return a->key & 0xff ? strcmp(a->lex + 8, b->lex + 8) : 0;
}

/*
 * By lexeme, then position: an insertion sort, as the products of agora
 * seed (product_tsv_binary()'s caller) have a few dozen positions, and
 * qsort()'s calls through a pointer cost a million of them more than
 * the moves it saves. Quadratic: a text of thousands of words would
 * want a sort of another kind.
 */
static void doc_pos_sort(struct doc_pos *v, size_t n)
{
	struct doc_pos x;
	size_t i, j;
	int c;

	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0; j--) {
			c = doc_lex_cmp(&v[j - 1], &x);
			if (c < 0 || (c == 0 && v[j - 1].pos <= x.pos))
				break;
			v[j] = v[j - 1];
		}
		v[j] = x;
	}
}

static void doc_add16(struct sbuf *sb, unsigned v)
{
	char b[2] = { (char)(v >> 8 & 0xff), (char)(v & 0xff) };

	sbuf_add(sb, b, 2);
}

/* PostgreSQL keeps at most 256 positions of a lexeme. */
#define DOC_NPOS_MAX 256

void product_tsv_binary(struct sbuf *sb, const struct search_analysis *name,
			const struct search_analysis *description)
{
	struct doc_pos *v;
	unsigned w[DOC_NPOS_MAX];
	size_t n = doc_positions(&v, name, description), i, j, k, m, count = 0,
	       at = sb->len;

	doc_pos_sort(v, n);
	sbuf_add(sb, "\0\0\0\0", 4); /* the count, known at the end */
	for (i = 0; i < n; i = j) {
		/* What tsvector's input does with the text form: one entry
		 * a lexeme, its positions once each with the highest
		 * weight given there. */
		w[0] = v[i].weight << 14 | v[i].pos;
		for (j = i + 1, k = 1; j < n && !doc_lex_cmp(&v[j], &v[i]);
		     j++) {
			if (v[j].pos != (w[k - 1] & 0x3fff)) {
				if (k < DOC_NPOS_MAX)
					w[k++] = v[j].weight << 14 | v[j].pos;
			} else if (v[j].weight > w[k - 1] >> 14) {
				w[k - 1] = v[j].weight << 14 | v[j].pos;
			}
		}
		sbuf_add(sb, v[i].lex, strlen(v[i].lex) + 1);
		doc_add16(sb, (unsigned)k);
		for (m = 0; m < k; m++)
			doc_add16(sb, w[m]);
		count++;
	}
	free(v);
	sb->buf[at] = (char)(count >> 24 & 0xff);
	sb->buf[at + 1] = (char)(count >> 16 & 0xff);
	sb->buf[at + 2] = (char)(count >> 8 & 0xff);
	sb->buf[at + 3] = (char)(count & 0xff);
}

void product_tsvector(struct sbuf *sb, const char *name,
		      const char *description)
{
	struct search_analysis an = SEARCH_ANALYSIS_INIT;
	struct search_analysis ad = SEARCH_ANALYSIS_INIT;

	search_analyze_text(&an, name);
	search_analyze_text(&ad, description);
	product_tsv(sb, &an, &ad);
	search_analysis_release(&an);
	search_analysis_release(&ad);
}

/* Rows per transaction and UPDATE: short locks, few round trips, and
 * progress a reader can see. */
#define DOC_BATCH 500

/* UPDATE … FROM (VALUES ($1::bigint, $2), …) for n rows. */
static void doc_batch_sql(struct sbuf *sql, size_t n)
{
	size_t i;

	sbuf_addstr(sql, "UPDATE products p SET search = v.t::tsvector FROM "
			 "(VALUES ");
	for (i = 0; i < n; i++)
		sbuf_addf(sql, "%s($%zu::bigint, $%zu)", i ? ", " : "",
			  2 * i + 1, 2 * i + 2);
	sbuf_addstr(sql, ") AS v(id, t) WHERE p.id = v.id");
}

int product_tsvector_fill(struct db *db, bool all, int64_t *done, struct err *e)
{
	struct db_res *res = NULL;
	struct db_param params[2 * DOC_BATCH];
	struct sbuf tsv[DOC_BATCH], sql = SBUF_INIT;
	int64_t last = 0;
	size_t i, n;
	int ret = -1;

	*done = 0;
	if (db_dialect(db) != DB_POSTGRES)
		return 0;
	for (i = 0; i < DOC_BATCH; i++)
		sbuf_init(&tsv[i], 0, 0);
	do {
		if (db_begin(db, e) < 0)
			goto out;
		if (col_query(db, &res, "SELECT ", product_cols,
			      all ? " FROM products WHERE id > $1 ORDER BY id "
				    "LIMIT $2" :
				    " FROM products WHERE id > $1 AND search IS NULL "
				    "ORDER BY id LIMIT $2",
			      DB_ARGS(DB_I(last), DB_I(DOC_BATCH)), e) < 0)
			goto fail;
		n = db_res_rows(res);
		for (i = 0; i < n; i++) {
			last = db_res_int(res, i, PRODUCT_ID);
			sbuf_reset(&tsv[i]);
			product_tsvector(&tsv[i],
					 db_res_str(res, i, PRODUCT_NAME),
					 db_res_str(res, i,
						    PRODUCT_DESCRIPTION));
			params[2 * i] = DB_I(last);
			params[2 * i + 1] = DB_S(tsv[i].buf);
		}
		sbuf_reset(&sql);
		doc_batch_sql(&sql, n);
		if (n && db_query(db, NULL, sql.buf, params, 2 * n, e) < 0)
			goto fail;
		db_res_free(res);
		res = NULL;
		if (db_commit(db, e) < 0)
			goto fail;
		*done += (int64_t)n;
	} while (n == DOC_BATCH);
	ret = 0;
	goto out;
fail:
	db_rollback(db);
out:
	db_res_free(res);
	for (i = 0; i < DOC_BATCH; i++)
		sbuf_release(&tsv[i]);
	sbuf_release(&sql);
	return ret;
}
