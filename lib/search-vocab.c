/* search-vocab.c: the vocabulary of indexed words (search_vocab):
 * suggestions while typing and the correction of a mistyped word. */
#include "common.h"

#include <math.h>
#include <unistr.h>

#include "col.h"
#include "hash.h"
#include "search-analyze.h"
#include "search-impl.h"

/* Above every character: a prefix's range ends at prefix + U+10FFFF. */
#define VOCAB_TOP "\xf4\x8f\xbf\xbf"

int search_vocab_suggest(struct db *db, const char *q, int64_t size,
			 struct json_object **out, struct err *e)
{
	struct search_analysis a = SEARCH_ANALYSIS_INIT;
	struct sbuf head = SBUF_INIT, hi = SBUF_INIT, text = SBUF_INIT;
	struct json_object *items = json_object_new_array(), *o;
	struct db_res *res = NULL;
	size_t i, last = 0;
	int ret = -1;

	search_analyze(&a, q, strlen(q), SEARCH_MAX_WORDS);
	for (i = 0; i < a.ntok; i++)
		if (!a.tok[i].gram)
			last = i;
	if (a.ntok) {
		/* the words before the last one stay as they are */
		for (i = 0; i < last; i++)
			if (!a.tok[i].gram) {
				sbuf_addstr(&head, search_token_text(&a, i));
				sbuf_addch(&head, ' ');
			}
		sbuf_addf(&hi, "%s" VOCAB_TOP, search_token_text(&a, last));
		/* df + 0: the prefix's range of the primary key, then a
		 * sort; walking the df index instead (what a generic plan
		 * picks) reads the whole vocabulary for a rare prefix. */
		if (db_query(db, &res,
			     "SELECT term, df FROM search_vocab "
			     "WHERE term >= $1 AND term < $2 AND df > 0 "
			     "ORDER BY df + 0 DESC, term LIMIT $3",
			     DB_ARGS(DB_S(search_token_text(&a, last)),
				     DB_S(hi.buf), DB_I(size)),
			     e) < 0)
			goto out;
		for (i = 0; i < db_res_rows(res); i++) {
			sbuf_reset(&text);
			sbuf_addf(&text, "%s%s", head.buf,
				  db_res_str(res, i, 0));
			o = json_object_new_object();
			json_object_object_add(o, "text",
					       json_object_new_string(
						       text.buf));
			json_object_object_add(o, "count",
					       json_object_new_int64(
						       db_res_int(res, i, 1)));
			json_object_array_add(items, o);
		}
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "items", items);
	items = NULL;
	ret = 0;
out:
	json_object_put(items);
	db_res_free(res);
	sbuf_release(&head);
	sbuf_release(&hi);
	sbuf_release(&text);
	search_analysis_release(&a);
	return ret;
}

/*
 * Optimal string alignment distance (Damerau-Levenshtein without
 * repeated edits of one substring, as Lucene's fuzzy queries count) of
 * code point strings, given up above max.
 */
static size_t vocab_distance(const uint32_t *a, size_t n, const uint32_t *b,
			     size_t m, size_t max)
{
	size_t *d = xcalloc((n + 1) * (m + 1), sizeof(*d));
	size_t i, j, c, best, res;

#define D(i, j) d[(i) * (m + 1) + (j)]
	for (i = 0; i <= n; i++)
		D(i, 0) = i;
	for (j = 0; j <= m; j++)
		D(0, j) = j;
	for (i = 1; i <= n; i++) {
		best = SIZE_MAX;
		for (j = 1; j <= m; j++) {
			c = a[i - 1] != b[j - 1];
			D(i, j) = D(i - 1, j - 1) + c;
			if (D(i - 1, j) + 1 < D(i, j))
				D(i, j) = D(i - 1, j) + 1;
			if (D(i, j - 1) + 1 < D(i, j))
				D(i, j) = D(i, j - 1) + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] &&
			    D(i - 2, j - 2) + 1 < D(i, j))
				D(i, j) = D(i - 2, j - 2) + 1;
			if (D(i, j) < best)
				best = D(i, j);
		}
		if (best > max) {
			free(d);
			return max + 1;
		}
	}
	res = D(n, m);
#undef D
	free(d);
	return res;
}

/* The edits a word may be away from its correction: none under three
 * characters, one, two from eight (Elasticsearch's fuzziness AUTO with
 * the longer words). */
static size_t vocab_max_edits(size_t chars)
{
	return chars < 3 ? 0 : chars < 8 ? 1 : 2;
}

/*
 * The closest vocabulary word to w within its edits: fewest edits, then
 * most products, then byte order. *best (caller frees) stays NULL when
 * there is none or w is a word of the vocabulary itself.
 */
static int vocab_closest(struct db *db, const char *w, char **best,
			 struct err *e)
{
	struct db_res *res = NULL;
	uint32_t *wu, *tu;
	size_t wn, tn, max, dist, bestd = SIZE_MAX, i;
	int64_t bestdf = -1, df;
	const char *t;

	*best = NULL;
	wu = u8_to_u32((const uint8_t *)w, strlen(w), NULL, &wn);
	if (!wu)
		return 0;
	max = vocab_max_edits(wn);
	if (!max) {
		free(wu);
		return 0;
	}
	if (db_query(db, &res,
		     "SELECT term, df FROM search_vocab WHERE "
		     "df > 0 AND length(term) BETWEEN $1 AND $2",
		     DB_ARGS(DB_I((int64_t)(wn - max)),
			     DB_I((int64_t)(wn + max))),
		     e) < 0) {
		free(wu);
		return -1;
	}
	for (i = 0; i < db_res_rows(res); i++) {
		t = db_res_str(res, i, 0);
		df = db_res_int(res, i, 1);
		if (!strcmp(t, w)) {
			free(*best);
			*best = NULL;
			break;
		}
		tu = u8_to_u32((const uint8_t *)t, strlen(t), NULL, &tn);
		if (!tu)
			continue;
		dist = vocab_distance(wu, wn, tu, tn, max);
		free(tu);
		if (dist > max || dist > bestd ||
		    (dist == bestd &&
		     (df < bestdf || (df == bestdf && strcmp(t, *best) > 0))))
			continue;
		free(*best);
		*best = xstrdup(t);
		bestd = dist;
		bestdf = df;
	}
	db_res_free(res);
	free(wu);
	return 0;
}

/* Each unknown word costs a pass over the vocabulary: a q of many made-up
 * words gets this many tries, not one per word. */
#define VOCAB_MAX_TRIES 3

int search_vocab_correct(struct db *db, const struct search_analysis *a,
			 bool found_none, char **fixed, struct err *e)
{
	struct sbuf sb = SBUF_INIT;
	struct db_res *res = NULL;
	const char *w;
	char *best;
	size_t i, g, tries = 0;
	bool changed = false, known;

	*fixed = NULL;
	for (i = 0; i < a->ntok; i += 1 + g) {
		g = search_word_grams(a, i);
		w = search_token_text(a, i);
		best = NULL;
		/* A CJK word may match by its bigrams without being a word
		 * of the vocabulary (노트북을): corrected only when the
		 * search found nothing at all. */
		if (!g || found_none) {
			if (db_query(db, &res,
				     "SELECT 1 FROM search_vocab "
				     "WHERE term = $1 AND df > 0",
				     DB_ARGS(DB_S(w)), e) < 0)
				goto fail;
			known = db_res_rows(res) > 0;
			db_res_free(res);
			if (!known && tries++ < VOCAB_MAX_TRIES &&
			    vocab_closest(db, w, &best, e) < 0)
				goto fail;
		}
		if (sb.len)
			sbuf_addch(&sb, ' ');
		sbuf_addstr(&sb, best ? best : w);
		changed |= best != NULL;
		free(best);
	}
	if (changed)
		*fixed = sbuf_detach(&sb, NULL);
	sbuf_release(&sb);
	return 0;
fail:
	sbuf_release(&sb);
	return -1;
}

/*
 * The rarer a word, the more it weighs: 1 + log2(1 + top / df), rounded
 * down, where df is how many products hold the word and top the most any
 * word is held by (about the catalogue's size); a word the vocabulary
 * does not know (a compound written without its space, a word with a
 * particle) weighs as the rarest. Integers, so that every backend adds
 * them exactly (Elasticsearch scores in single precision).
 */
int search_vocab_weights(struct db *db, const struct search_analysis *a,
			 int64_t *w, struct err *e)
{
	struct db_res *res = NULL;
	int64_t top = 1, df;
	size_t i, k = 0;

	if (db_query(db, &res, "SELECT max(df) FROM search_vocab", DB_NOARGS,
		     e) < 0)
		return -1;
	if (col_one_int(res) > 0)
		top = col_one_int(res);
	db_res_free(res);
	for (i = 0; i < a->ntok; i++) {
		if (a->tok[i].gram)
			continue;
		if (db_query(db, &res,
			     "SELECT df FROM search_vocab "
			     "WHERE term = $1",
			     DB_ARGS(DB_S(search_token_text(a, i))), e) < 0)
			return -1;
		df = col_one_int(res);
		db_res_free(res);
		if (df < 1)
			df = 1;
		if (top < df)
			top = df;
		w[k++] = 1 +
			 (int64_t)floor(log2(1.0 + (double)top / (double)df));
	}
	return 0;
}

/*
 * A bulk load's counts: an open-addressing hash table of the words, at
 * most half full. A catalogue's vocabulary is small (tens of thousands
 * of words for a million generated products), its rows many. A word
 * counts once a product: doc is the last product it was counted for.
 */
struct search_load {
	struct load_word {
		char *term;
		int64_t df;
		uint64_t doc;
		size_t hash; /* load_hash(term): most probes compare no text */
	} * slot;
	size_t nslot, n;
	uint64_t doc; /* the products given so far */
};

struct search_load *search_load_new(void)
{
	struct search_load *l = xcalloc(1, sizeof(*l));

	l->nslot = 1024;
	l->slot = xcalloc(l->nslot, sizeof(*l->slot));
	return l;
}

static size_t load_hash(const char *s)
{
	return (size_t)hash_fnv64(HASH_FNV64_INIT, s, strlen(s));
}

static struct load_word *load_find(struct load_word *slot, size_t nslot,
				   const char *term, size_t hash)
{
	size_t i = hash & (nslot - 1);

	while (slot[i].term &&
	       (slot[i].hash != hash || strcmp(slot[i].term, term)))
		i = (i + 1) & (nslot - 1);
	return &slot[i];
}

static void load_count(struct search_load *l, const char *term)
{
	struct load_word *w, *old = l->slot;
	size_t i, n = l->nslot, hash = load_hash(term);

	if (2 * (l->n + 1) > l->nslot) {
		l->nslot *= 2;
		l->slot = xcalloc(l->nslot, sizeof(*l->slot));
		for (i = 0; i < n; i++)
			if (old[i].term)
				*load_find(l->slot, l->nslot, old[i].term,
					   old[i].hash) = old[i];
		free(old);
	}
	w = load_find(l->slot, l->nslot, term, hash);
	if (!w->term) {
		w->term = xstrdup(term);
		w->hash = hash;
		l->n++;
	}
	if (w->doc != l->doc) {
		w->doc = l->doc;
		w->df++;
	}
}

static int load_strcmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Each word once per product, as search_words() and the tsvector give. */
void search_load_count(struct search_load *l,
		       const struct search_analysis *name,
		       const struct search_analysis *description)
{
	const struct search_analysis *f[2] = { name, description };
	size_t i, k;

	l->doc++;
	for (k = 0; k < 2; k++)
		for (i = 0; i < f[k]->ntok; i++)
			if (!f[k]->tok[i].gram)
				load_count(l, search_token_text(f[k], i));
}

/* Rows per INSERT: few statements for PostgreSQL's round trips; SQLite
 * binds "$N" by name, a look-up that grows with their number. */
#define LOAD_BATCH_PG	  250
#define LOAD_BATCH_SQLITE 16

int search_load_store(struct search_load *l, struct db *db, struct err *e)
{
	bool pg = db_dialect(db) == DB_POSTGRES;
	size_t batch = pg ? LOAD_BATCH_PG : LOAD_BATCH_SQLITE;
	struct load_word *w = xcalloc(l->n ? l->n : 1, sizeof(*w));
	struct db_param *p = xcalloc(2 * batch, sizeof(*p));
	struct sbuf sql = SBUF_INIT;
	size_t i, j, k, n = 0, sqln = 0;
	int ret = -1;

	for (i = 0; i < l->nslot; i++)
		if (l->slot[i].term &&
		    (!pg || strlen(l->slot[i].term) <= SEARCH_LEXEME_MAX))
			w[n++] = l->slot[i];
	/* term first in struct load_word: sorted by it */
	qsort(w, n, sizeof(*w), load_strcmp);
	for (i = 0; i < n; i += k) {
		k = n - i < batch ? n - i : batch;
		if (k != sqln) {
			sbuf_reset(&sql);
			sbuf_addstr(&sql, "INSERT INTO search_vocab (term, df) "
					  "VALUES ");
			for (j = 0; j < k; j++)
				sbuf_addf(&sql, "%s($%zu, $%zu)", j ? ", " : "",
					  2 * j + 1, 2 * j + 2);
			sbuf_addstr(&sql, " ON CONFLICT (term) DO UPDATE SET "
					  "df = search_vocab.df + excluded.df");
			sqln = k;
		}
		for (j = 0; j < k; j++) {
			p[2 * j] = DB_S(w[i + j].term);
			p[2 * j + 1] = DB_I(w[i + j].df);
		}
		if (db_query(db, NULL, sql.buf, p, 2 * k, e) < 0)
			goto out;
	}
	ret = 0;
out:
	sbuf_release(&sql);
	free(p);
	free(w);
	return ret;
}

void search_load_free(struct search_load *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->nslot; i++)
		free(l->slot[i].term);
	free(l->slot);
	free(l);
}
