/* postings.c: agora's own inverted index of the products, packed
 * (postings.h). */
#include "common.h"

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

	search_analysis_reset(&pt->name);
	search_analysis_reset(&pt->description);
	pt->n = 0;
	if (name)
		search_analyze(&pt->name, name, strlen(name), 0);
	if (description)
		search_analyze(&pt->description, description,
			       strlen(description), 0);
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

/* ---- a row -----------------------------------------------------------------
 */

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
	return (unsigned)get_le(row + i * POSTING_SIZE, 2) >> 4;
}

void posting_get(const unsigned char *row, size_t i, int64_t bucket,
		 struct posting *p)
{
	const unsigned char *s = row + i * POSTING_SIZE;
	unsigned head = (unsigned)get_le(s, 2);

	p->id = bucket * POSTINGS_BUCKET + (head >> 4);
	p->flags = head & 15;
	p->category = (uint32_t)get_le(s + 2, 4);
	p->brand = (uint32_t)get_le(s + 6, 4);
	p->price = (int64_t)get_le(s + 10, 8);
}

static void posting_put(unsigned char *d, const struct posting *p)
{
	put_le(d, (uint64_t)(p->id % POSTINGS_BUCKET) << 4 | (p->flags & 15),
	       2);
	put_le(d + 2, p->category, 4);
	put_le(d + 6, p->brand, 4);
	put_le(d + 10, (uint64_t)p->price, 8);
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

/* ---- a search
 * ---------------------------------------------------------------- */

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
