/* postings.c: agora's own inverted index of the products, packed
 * (postings.h). */
#include "common.h"

#include "hash.h"
#include "postings.h"
#include "search-impl.h"

/* ---- the terms of a product -------------------------------------------- */

static void terms_add(struct postings_terms *pt,
		      const struct search_analysis *a, unsigned word,
		      unsigned gram)
{
	size_t i;

	for (i = 0; i < a->ntok; i++) {
		if (a->tok[i].len > SEARCH_LEXEME_MAX)
			continue;
		if (pt->n == pt->alloc) {
			pt->alloc = pt->alloc ? 2 * pt->alloc : 64;
			pt->t = xrealloc(pt->t, pt->alloc * sizeof(*pt->t));
		}
		pt->t[pt->n].term = search_token_text(a, i);
		pt->t[pt->n].flags = a->tok[i].gram ? gram : word;
		pt->n++;
	}
}

static int term_cmp(const void *a, const void *b)
{
	const struct postings_term *x = a, *y = b;

	return strcmp(x->term, y->term);
}

void postings_terms(struct postings_terms *pt, const char *name,
		    const char *description)
{
	size_t i, n = 0;

	pt->n = 0;
	search_analyze_text(&pt->name, name);
	search_analyze_text(&pt->description, description);
	terms_add(pt, &pt->name, POSTING_NAME_WORD, POSTING_NAME_GRAM);
	terms_add(pt, &pt->description, POSTING_DESC_WORD, POSTING_DESC_GRAM);
	if (!pt->n)
		return;
	/* each term once, its flags together */
	qsort(pt->t, pt->n, sizeof(*pt->t), term_cmp);
	for (i = 1; i < pt->n; i++) {
		if (!strcmp(pt->t[i].term, pt->t[n].term))
			pt->t[n].flags |= pt->t[i].flags;
		else
			pt->t[++n] = pt->t[i];
	}
	pt->n = n + 1;
}

void postings_terms_release(struct postings_terms *pt)
{
	free(pt->t);
	search_analysis_release(&pt->name);
	search_analysis_release(&pt->description);
	pt->t = NULL;
	pt->n = pt->alloc = 0;
}

/* ---- a row --------------------------------------------------------------- */

static uint64_t get_le(const unsigned char *s, size_t n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | s[n];
	return v;
}

static void put_le(unsigned char *d, uint64_t v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++, v >>= 8)
		d[i] = (unsigned char)v;
}

/* The offset in its bucket of posting i of a row. */
static unsigned row_off(const unsigned char *row, size_t i)
{
	return (unsigned)get_le(row + i * POSTING_SIZE, POSTING_HEAD) >> 4;
}

void posting_get(const unsigned char *row, size_t i, int64_t bucket,
		 struct posting *p)
{
	const unsigned char *s = row + i * POSTING_SIZE;
	unsigned head = (unsigned)get_le(s, POSTING_HEAD);

	p->id = bucket * POSTINGS_BUCKET + (head >> 4);
	p->flags = head & 15;
	p->category = (uint32_t)get_le(s + POSTING_HEAD, 4);
	p->brand = (uint32_t)get_le(s + POSTING_HEAD + 4, 4);
	p->price = (int64_t)get_le(s + POSTING_HEAD + 8, 8);
}

static void posting_put(unsigned char *d, const struct posting *p)
{
	put_le(d, (uint64_t)(p->id % POSTINGS_BUCKET) << 4 | (p->flags & 15),
	       POSTING_HEAD);
	put_le(d + POSTING_HEAD, p->category, 4);
	put_le(d + POSTING_HEAD + 4, p->brand, 4);
	put_le(d + POSTING_HEAD + 8, (uint64_t)p->price, 8);
}

bool postings_set(struct sbuf *row, int64_t id, const struct posting *p)
{
	unsigned char *s = (unsigned char *)row->buf, put[POSTING_SIZE];
	size_t lo = 0, hi = postings_count(row->len), mid, at;
	unsigned off = (unsigned)(id % POSTINGS_BUCKET);
	bool found = false;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (row_off(s, mid) < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	found = lo < postings_count(row->len) && row_off(s, lo) == off;
	at = lo * POSTING_SIZE;
	if (!p) {
		if (!found)
			return false;
		memmove(s + at, s + at + POSTING_SIZE,
			row->len - at - POSTING_SIZE);
		row->len -= POSTING_SIZE;
		return true;
	}
	posting_put(put, p);
	if (found) {
		if (!memcmp(s + at, put, POSTING_SIZE))
			return false;
		memcpy(s + at, put, POSTING_SIZE);
		return true;
	}
	sbuf_grow(row, POSTING_SIZE);
	s = (unsigned char *)row->buf;
	memmove(s + at + POSTING_SIZE, s + at, row->len - at);
	memcpy(s + at, put, POSTING_SIZE);
	row->len += POSTING_SIZE;
	return true;
}

/* ---- the tables ---------------------------------------------------------- */

int postings_ready(struct db *db, struct err *e)
{
	struct db_res *res = NULL;
	const char *v;
	int ret = -1;

	if (db_query(db, &res, "SELECT ready FROM product_postings_state",
		     DB_NOARGS, e) == 0) {
		/* PostgreSQL's boolean reads "t", SQLite's integer "1" */
		v = db_res_str(res, 0, 0);
		ret = v && (*v == 't' || *v == '1');
	}
	db_res_free(res);
	return ret;
}

/* The number of a category or brand, given it the first time. */
static int postings_ord(struct db *db, const char *field, const char *value,
			uint32_t *ord, struct err *e)
{
	struct db_res *res = NULL;
	int ret = -1, round;

	for (round = 0; round < 2; round++) {
		if (db_query(db, &res,
			     "SELECT ord FROM product_values "
			     "WHERE field = $1 AND value = $2",
			     DB_ARGS(DB_S(field), DB_S(value)), e) < 0)
			goto out;
		if (db_res_rows(res) == 1) {
			*ord = (uint32_t)db_res_int(res, 0, 0);
			ret = 0;
			goto out;
		}
		db_res_free(res);
		res = NULL;
		/* One new value at a time on PostgreSQL: two writers would
		 * give theirs the same next number. Rare: a value is new
		 * once. */
		if (round ||
		    (db_dialect(db) == DB_POSTGRES &&
		     db_query(db, NULL,
			      "LOCK TABLE product_values IN SHARE ROW "
			      "EXCLUSIVE MODE",
			      DB_NOARGS, e) < 0) ||
		    db_query(db, NULL,
			     "INSERT INTO product_values (field, value, ord) "
			     "SELECT $1, $2, coalesce(max(ord), 0) + 1 "
			     "FROM product_values WHERE field = $1 "
			     "ON CONFLICT (field, value) DO NOTHING",
			     DB_ARGS(DB_S(field), DB_S(value)), e) < 0)
			goto out;
	}
	err_set(e, ERR_INTERNAL, "postings: no number for %s %s", field, value);
out:
	db_res_free(res);
	return ret;
}

/* The row of term and id's bucket with id's posting p, or without it when
 * p is NULL; row is scratch. */
static int postings_term(struct db *db, const char *term, int64_t id,
			 const struct posting *p, struct sbuf *row,
			 struct err *e)
{
	bool pg = db_dialect(db) == DB_POSTGRES, had;
	int64_t bucket = id / POSTINGS_BUCKET;
	struct db_res *res = NULL;
	const unsigned char *b;
	size_t len;
	int rc = -1;

	/* On PostgreSQL the row to lock must be there: two writers adding
	 * the first postings of a row would otherwise both insert it. */
	if (pg && p &&
	    db_query(db, NULL,
		     "INSERT INTO product_postings (term, bucket, postings) "
		     "VALUES ($1, $2, ''::bytea) ON CONFLICT DO NOTHING",
		     DB_ARGS(DB_S(term), DB_I(bucket)), e) < 0)
		return -1;
	if (db_query(db, &res,
		     pg ? "SELECT postings FROM product_postings "
			  "WHERE term = $1 AND bucket = $2 FOR UPDATE" :
			  "SELECT postings FROM product_postings "
			  "WHERE term = $1 AND bucket = $2",
		     DB_ARGS(DB_S(term), DB_I(bucket)), e) < 0)
		return -1;
	had = db_res_rows(res) == 1;
	sbuf_reset(row);
	b = db_res_blob(res, 0, 0, &len);
	if (b && len)
		sbuf_add(row, b, len);
	if (!postings_set(row, id, p) && !(had && !row->len)) {
		rc = 0;
		goto out;
	}
	if (!row->len)
		rc = db_query(db, NULL,
			      "DELETE FROM product_postings "
			      "WHERE term = $1 AND bucket = $2",
			      DB_ARGS(DB_S(term), DB_I(bucket)), e);
	else
		rc = db_query(db, NULL,
			      "INSERT INTO product_postings "
			      "(term, bucket, postings) VALUES ($1, $2, $3) "
			      "ON CONFLICT (term, bucket) "
			      "DO UPDATE SET postings = excluded.postings",
			      DB_ARGS(DB_S(term), DB_I(bucket),
				      DB_B(row->buf, row->len)),
			      e);
out:
	db_res_free(res);
	return rc;
}

int postings_write(struct db *db, const struct postings_product *old,
		   const struct postings_product *now, struct err *e)
{
	struct postings_terms to = POSTINGS_TERMS_INIT,
			      tn = POSTINGS_TERMS_INIT;
	struct sbuf row = SBUF_INIT;
	struct posting p = { 0 };
	size_t i = 0, j = 0;
	int c, ret;

	if ((ret = postings_ready(db, e)) <= 0)
		return ret;
	ret = -1;
	if (old && old->active)
		postings_terms(&to, old->name, old->description);
	if (now && now->active) {
		postings_terms(&tn, now->name, now->description);
		p.id = now->id;
		p.price = now->price;
		if (postings_ord(db, "category", now->category, &p.category,
				 e) < 0 ||
		    postings_ord(db, "brand", now->brand, &p.brand, e) < 0)
			goto out;
	}
	/* the union of both products' terms, in order */
	while (i < to.n || j < tn.n) {
		c = i == to.n ? 1 :
		    j == tn.n ? -1 :
				strcmp(to.t[i].term, tn.t[j].term);
		if (c < 0) {
			if (postings_term(db, to.t[i].term, old->id, NULL, &row,
					  e) < 0)
				goto out;
			i++;
			continue;
		}
		p.flags = tn.t[j].flags;
		if (postings_term(db, tn.t[j].term, now->id, &p, &row, e) < 0)
			goto out;
		i += c == 0;
		j++;
	}
	ret = 0;
out:
	sbuf_release(&row);
	postings_terms_release(&to);
	postings_terms_release(&tn);
	return ret;
}

/* ---- a build of them all ------------------------------------------------- */

/*
 * A build takes the products in id order and appends each one's
 * postings to those of its terms, in memory, then writes the rows in
 * the order of their key (term, bucket): each one at the end of the
 * table's B-tree (SQLite's, PostgreSQL's primary key) where the last
 * one went, not all over it. Categories and brands get numbers of the
 * build's own while it adds, turned into product_values' when it
 * writes: adding touches no database, so agora seed adds on the thread
 * that makes its products. Past BUILD_MAX bytes of postings
 * postings_fill() writes what it holds, at the end of a bucket, and
 * goes on: a catalogue of any size costs that much memory at most.
 */
#define BUILD_MAX ((size_t)512 << 20)

/* A term's postings so far, and where each bucket's begin in them. */
struct build_term {
	char *term;
	size_t len;
	uint32_t hash;
	int64_t last; /* the id of the last posting */
	struct sbuf data;
	struct build_run {
		int64_t bucket;
		size_t at;
	} * run;
	size_t nrun, arun;
};

/* A category or brand: the build's number is its index + 1. */
struct build_value {
	char field; /* 'c'ategory or 'b'rand */
	char *value;
	uint32_t hash; /* hash_fnv32() of value: a look-up compares no text
			* but the one it finds */
	uint32_t ord; /* product_values' number; 0 until written */
};

/* A slot of the build's hash table of terms: its hash beside the
 * index, so that a probe reads no term but the one it finds. */
struct build_slot {
	uint32_t hash;
	uint32_t k; /* 1 + index in t; 0: free */
};

struct postings_load {
	struct build_term *t;
	struct build_slot *slot;
	size_t n, mask;
	size_t bytes;
	struct build_value *v;
	size_t nv;
	bool numbered; /* the terms held carry product_values' numbers */
};

struct postings_load *postings_load_new(void)
{
	return xcalloc(1, sizeof(struct postings_load));
}

static void build_slot(struct postings_load *b, size_t k)
{
	size_t i;

	for (i = b->t[k].hash & b->mask; b->slot[i].k; i = (i + 1) & b->mask)
		;
	b->slot[i] = (struct build_slot){ b->t[k].hash, (uint32_t)k + 1 };
}

/* The entry of the term of len bytes, made the first time. A build looks
 * up each term of each product: its length known, no strlen() or
 * strcmp(). */
static struct build_term *build_term(struct postings_load *b, const char *term,
				     size_t len)
{
	uint32_t hash = hash_fnv32(term, len);
	struct build_term *t;
	size_t i, k;

	if (2 * (b->n + 1) > b->mask + 1) {
		b->mask = b->mask ? 2 * b->mask + 1 : 1023;
		free(b->slot);
		b->slot = xcalloc(b->mask + 1, sizeof(*b->slot));
		b->t = xrealloc(b->t, (b->mask + 1) / 2 * sizeof(*b->t));
		for (k = 0; k < b->n; k++)
			build_slot(b, k);
	}
	for (i = hash & b->mask; b->slot[i].k; i = (i + 1) & b->mask) {
		if (b->slot[i].hash != hash)
			continue;
		t = &b->t[b->slot[i].k - 1];
		if (t->len == len && !memcmp(t->term, term, len))
			return t;
	}
	t = &b->t[b->n];
	*t = (struct build_term){ .term = xstrndup(term, len),
				  .len = len,
				  .hash = hash };
	sbuf_init(&t->data, 0, 0);
	b->slot[i] = (struct build_slot){ hash, (uint32_t)++b->n };
	return &b->t[b->n - 1];
}

/* p at the end of term's postings: ids come in ascending order, and a
 * product holding the term again (a word of its name and of its
 * description) adds its flags to its posting. */
static void build_add(struct postings_load *b, const char *term, size_t len,
		      const struct posting *p)
{
	struct build_term *t = build_term(b, term, len);
	int64_t bucket = p->id / POSTINGS_BUCKET;

	if (t->data.len && t->last == p->id) {
		/* the head's first byte holds the flags */
		t->data.buf[t->data.len - POSTING_SIZE] |=
			(char)(p->flags & 15);
		return;
	}
	t->last = p->id;
	if (!t->nrun || t->run[t->nrun - 1].bucket != bucket) {
		if (t->nrun == t->arun) {
			t->arun = t->arun ? 2 * t->arun : 4;
			t->run = xrealloc(t->run, t->arun * sizeof(*t->run));
		}
		t->run[t->nrun++] = (struct build_run){ bucket, t->data.len };
	}
	sbuf_grow(&t->data, POSTING_SIZE);
	posting_put((unsigned char *)t->data.buf + t->data.len, p);
	t->data.len += POSTING_SIZE;
	b->bytes += POSTING_SIZE;
}

/* The build's number of a category or brand. */
static uint32_t build_value(struct postings_load *b, const char *field,
			    const char *value)
{
	uint32_t hash = hash_fnv32(value, strlen(value));
	size_t i;

	for (i = 0; i < b->nv; i++)
		if (b->v[i].hash == hash && b->v[i].field == field[0] &&
		    !strcmp(b->v[i].value, value))
			return (uint32_t)i + 1;
	b->v = xrealloc(b->v, (b->nv + 1) * sizeof(*b->v));
	b->v[b->nv++] =
		(struct build_value){ field[0], xstrdup(value), hash, 0 };
	return (uint32_t)b->nv;
}

static void build_tokens(struct postings_load *b, const struct posting *p,
			 const struct search_analysis *a, unsigned word,
			 unsigned gram)
{
	struct posting q = *p;
	size_t i;

	for (i = 0; i < a->ntok; i++) {
		/* as postings_terms() leaves them out */
		if (a->tok[i].len > SEARCH_LEXEME_MAX)
			continue;
		q.flags = a->tok[i].gram ? gram : word;
		build_add(b, search_token_text(a, i), a->tok[i].len, &q);
	}
}

void postings_load_add(struct postings_load *b,
		       const struct postings_product *product,
		       const struct search_analysis *name,
		       const struct search_analysis *description)
{
	struct posting p = { .id = product->id, .price = product->price };

	p.category = build_value(b, "category", product->category);
	p.brand = build_value(b, "brand", product->brand);
	build_tokens(b, &p, name, POSTING_NAME_WORD, POSTING_NAME_GRAM);
	build_tokens(b, &p, description, POSTING_DESC_WORD, POSTING_DESC_GRAM);
}

bool postings_load_full(const struct postings_load *b)
{
	return b->bytes >= BUILD_MAX;
}

static int build_term_cmp(const void *a, const void *b)
{
	const struct build_term *x = a, *y = b;

	return strcmp(x->term, y->term);
}

/* Run r of term t: its bucket's row. */
static void build_row(const struct build_term *t, size_t r,
		      const unsigned char **row, size_t *len)
{
	size_t end = r + 1 < t->nrun ? t->run[r + 1].at : t->data.len;

	*row = (const unsigned char *)t->data.buf + t->run[r].at;
	*len = end - t->run[r].at;
}

/* The postings held with product_values' numbers in place of the
 * build's, each value numbered there the first time. */
static int build_number(struct db *db, struct postings_load *b, struct err *e)
{
	unsigned char *s, *end;
	size_t i;

	for (i = 0; i < b->nv; i++)
		if (!b->v[i].ord &&
		    postings_ord(db,
				 b->v[i].field == 'c' ? "category" : "brand",
				 b->v[i].value, &b->v[i].ord, e) < 0)
			return -1;
	for (i = 0; i < b->n; i++) {
		s = (unsigned char *)b->t[i].data.buf;
		for (end = s + b->t[i].data.len; s < end; s += POSTING_SIZE) {
			put_le(s + POSTING_HEAD,
			       b->v[get_le(s + POSTING_HEAD, 4) - 1].ord, 4);
			put_le(s + POSTING_HEAD + 4,
			       b->v[get_le(s + POSTING_HEAD + 4, 4) - 1].ord,
			       4);
		}
	}
	return 0;
}

int postings_load_number(struct postings_load *b, struct db *db, struct err *e)
{
	if (!b->numbered && build_number(db, b, e) < 0)
		return -1;
	b->numbered = true;
	return 0;
}

/*
 * PostgreSQL: the rows in one COPY, in its binary format (db.h): no hex
 * to make or parse. Sent a megabyte at a time.
 */
static int build_copy(struct db *db, const struct postings_load *b,
		      struct err *e)
{
	struct sbuf sb = SBUF_INIT;
	struct err ignored = ERR_INIT;
	const unsigned char *row;
	size_t i, r, len;
	int rc;

	if (db_copy_begin(db,
			  "COPY product_postings (term, bucket, postings) "
			  "FROM STDIN (FORMAT binary)",
			  e) < 0)
		return -1;
	rc = 0;
	sbuf_add(&sb, DB_COPY_HEAD, DB_COPY_HEAD_LEN);
	for (i = 0; rc == 0 && i < b->n; i++)
		for (r = 0; rc == 0 && r < b->t[i].nrun; r++) {
			build_row(&b->t[i], r, &row, &len);
			db_copy_be(&sb, 3, 2);
			db_copy_be(&sb, b->t[i].len, 4);
			sbuf_add(&sb, b->t[i].term, b->t[i].len);
			db_copy_be(&sb, 8, 4);
			db_copy_be(&sb, (uint64_t)b->t[i].run[r].bucket, 8);
			db_copy_be(&sb, len, 4);
			sbuf_add(&sb, row, len);
			if (sb.len >= (1 << 20)) {
				rc = db_copy_put(db, sb.buf, sb.len, e);
				sbuf_reset(&sb);
			}
		}
	sbuf_add(&sb, DB_COPY_TAIL, 2);
	if (rc == 0)
		rc = db_copy_put(db, sb.buf, sb.len, e);
	/* the COPY ended whatever happened; the first error is the one */
	if (db_copy_end(db, rc ? &ignored : e) < 0)
		rc = -1;
	err_release(&ignored);
	sbuf_release(&sb);
	return rc;
}

/* Write the rows held, in key order (db NULL: none), and forget them. */
static int build_flush(struct db *db, struct postings_load *b, struct err *e)
{
	const unsigned char *row;
	size_t i, r, len;
	int rc = 0;

	if (db && b->n) {
		rc = postings_load_number(b, db, e);
		qsort(b->t, b->n, sizeof(*b->t), build_term_cmp);
		if (rc == 0 && db_dialect(db) == DB_POSTGRES)
			rc = build_copy(db, b, e);
		for (i = 0; db_dialect(db) == DB_SQLITE && i < b->n; i++)
			for (r = 0; rc == 0 && r < b->t[i].nrun; r++) {
				build_row(&b->t[i], r, &row, &len);
				rc = db_query(db, NULL,
					      "INSERT INTO product_postings "
					      "(term, bucket, postings) "
					      "VALUES ($1, $2, $3)",
					      DB_ARGS(DB_S(b->t[i].term),
						      DB_I(b->t[i].run[r]
								   .bucket),
						      DB_B(row, len)),
					      e);
			}
	}
	for (i = 0; i < b->n; i++) {
		free(b->t[i].term);
		free(b->t[i].run);
		sbuf_release(&b->t[i].data);
	}
	b->n = b->bytes = 0;
	b->numbered = false;
	if (b->slot)
		memset(b->slot, 0, (b->mask + 1) * sizeof(*b->slot));
	return rc;
}

void postings_load_free(struct postings_load *b)
{
	size_t i;

	if (!b)
		return;
	build_flush(NULL, b, NULL);
	for (i = 0; i < b->nv; i++)
		free(b->v[i].value);
	free(b->v);
	free(b->t);
	free(b->slot);
	free(b);
}

/* The rest of a build written: the postings are ready. */
static int build_end(struct db *db, struct postings_load *b, struct err *e)
{
	if (build_flush(db, b, e) < 0)
		return -1;
	return db_query(db, NULL,
			"UPDATE product_postings_state SET ready = (1 = 1)",
			DB_NOARGS, e);
}

int postings_load_store(struct postings_load *b, struct db *db, struct err *e)
{
	if (db_query(db, NULL, "DELETE FROM product_postings", DB_NOARGS, e) <
	    0)
		return -1;
	return build_end(db, b, e);
}

int postings_fill(struct db *db, struct err *e)
{
	struct postings_load *b = postings_load_new();
	struct search_analysis name = SEARCH_ANALYSIS_INIT,
			       desc = SEARCH_ANALYSIS_INIT;
	struct postings_product p = { .active = true };
	struct db_res *res = NULL;
	int64_t from = -1, bucket = -1;
	size_t r;
	int ret = -1;

	if (db_query(db, NULL, "DELETE FROM product_postings", DB_NOARGS, e) <
	    0)
		goto out;
	for (;;) {
		db_res_free(res);
		res = NULL;
		/* By the primary key alone: SQLite would rather walk an
		 * index on status and sort each chunk. */
		if (db_query(db, &res,
			     "SELECT id, name, description, category, brand, "
			     "price, status FROM products WHERE id > $1 "
			     "ORDER BY id LIMIT $2",
			     DB_ARGS(DB_I(from), DB_I(POSTINGS_BUCKET)), e) < 0)
			goto out;
		for (r = 0; r < db_res_rows(res); r++) {
			from = db_res_int(res, r, 0);
			if (strcmp(db_res_str(res, r, 6), "ACTIVE"))
				continue;
			/* a bucket's rows are written whole */
			if (from / POSTINGS_BUCKET != bucket &&
			    postings_load_full(b) && build_flush(db, b, e) < 0)
				goto out;
			bucket = from / POSTINGS_BUCKET;
			p.id = from;
			p.price = db_res_int(res, r, 5);
			p.category = db_res_str(res, r, 3);
			p.brand = db_res_str(res, r, 4);
			search_analyze_text(&name, db_res_str(res, r, 1));
			search_analyze_text(&desc, db_res_str(res, r, 2));
			postings_load_add(b, &p, &name, &desc);
		}
		if (db_res_rows(res) < POSTINGS_BUCKET)
			break;
	}
	if (build_end(db, b, e) < 0)
		goto out;
	ret = 0;
out:
	db_res_free(res);
	postings_load_free(b);
	search_analysis_release(&name);
	search_analysis_release(&desc);
	return ret;
}

int postings_build(struct db *db, struct err *e)
{
	bool pg = db_dialect(db) == DB_POSTGRES;

	if (db_begin(db, e) < 0)
		return -1;
	/* A bulk load, as agora seed's is, and no request: its COPY of a
	 * million products' rows takes longer than a statement's timeout.
	 * Writes wait; the build reads the products as they are. */
	if ((pg && (db_query(db, NULL, "SET LOCAL statement_timeout = 0",
			     DB_NOARGS, e) < 0 ||
		    db_query(db, NULL, "LOCK TABLE products IN SHARE MODE",
			     DB_NOARGS, e) < 0)) ||
	    postings_fill(db, e) < 0 || db_commit(db, e) < 0) {
		db_rollback(db);
		return -1;
	}
	return 0;
}

/* ---- a search ------------------------------------------------------------ */

/* Where one token of the query stands in its rows. */
struct cursor {
	size_t tok;
	size_t row, i; /* row index, posting index in it */
	int64_t id;
};

/* The cursors with a posting left, a min-heap by id. */
struct heap {
	struct cursor *c;
	size_t n;
};

static void heap_down(struct heap *h, size_t i)
{
	struct cursor t;
	size_t l, m;

	for (;;) {
		l = 2 * i + 1;
		m = i;
		if (l < h->n && h->c[l].id < h->c[m].id)
			m = l;
		if (l + 1 < h->n && h->c[l + 1].id < h->c[m].id)
			m = l + 1;
		if (m == i)
			return;
		t = h->c[i];
		h->c[i] = h->c[m];
		h->c[m] = t;
		i = m;
	}
}

/* Move c to its next posting; false when its rows are done. */
static bool cursor_next(struct cursor *c, const struct postings_rows *r)
{
	while (c->row < r->n && c->i >= postings_count(r->len[c->row])) {
		c->row++;
		c->i = 0;
	}
	if (c->row == r->n)
		return false;
	c->id = r->bucket[c->row] * POSTINGS_BUCKET +
		row_off(r->row[c->row], c->i);
	return true;
}

/* The score of a product from the flags it has for each token of q. */
static int64_t match_score(const struct search_analysis *q,
			   const int64_t *weights, const unsigned *flags)
{
	size_t i, j, g, k, name, desc, w = 0;
	int64_t total = 0, s;

	for (i = 0; i < q->ntok; i += 1 + g, w++) {
		g = search_word_grams(q, i);
		s = flags[i] & POSTING_NAME_WORD ? 4 :
		    flags[i] & POSTING_DESC_WORD ? 2 :
						   0;
		if (g && s < 2) {
			k = search_gram_min(g);
			name = desc = 0;
			for (j = i + 1; j <= i + g; j++) {
				name += !!(flags[j] & POSTING_NAME_GRAM);
				desc += !!(flags[j] & POSTING_DESC_GRAM);
			}
			if (name >= k)
				s = 2;
			else if (!s && desc >= k)
				s = 1;
		}
		total += s * weights[w];
	}
	return total;
}

void postings_match(const struct search_analysis *q, const int64_t *weights,
		    const struct postings_rows *rows, postings_hit_fn fn,
		    void *ctx)
{
	struct heap h = { xcalloc(q->ntok + 1, sizeof(*h.c)), 0 };
	unsigned *flags = xcalloc(q->ntok + 1, sizeof(*flags));
	size_t *seen = xcalloc(q->ntok + 1, sizeof(*seen)), nseen, i;
	struct postings_hit hit;
	struct posting p;
	struct cursor *c;

	for (i = 0; i < q->ntok; i++) {
		h.c[h.n] = (struct cursor){ i, 0, 0, 0 };
		if (cursor_next(&h.c[h.n], &rows[i]))
			h.n++;
	}
	for (i = h.n / 2; i-- > 0;)
		heap_down(&h, i);
	while (h.n) {
		hit.id = h.c[0].id;
		nseen = 0;
		/* every token's posting of this product */
		while (h.n && h.c[0].id == hit.id) {
			c = &h.c[0];
			posting_get(rows[c->tok].row[c->row], c->i,
				    rows[c->tok].bucket[c->row], &p);
			flags[c->tok] |= p.flags;
			seen[nseen++] = c->tok;
			c->i++;
			if (!cursor_next(c, &rows[c->tok]))
				h.c[0] = h.c[--h.n];
			heap_down(&h, 0);
		}
		/* the product's own fields, in each of its postings alike */
		hit.score = match_score(q, weights, flags);
		hit.price = p.price;
		hit.category = p.category;
		hit.brand = p.brand;
		if (hit.score > 0)
			fn(ctx, &hit);
		while (nseen)
			flags[seen[--nseen]] = 0;
	}
	free(seen);
	free(flags);
	free(h.c);
}
