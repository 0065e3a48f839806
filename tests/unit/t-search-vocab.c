/* t-search-vocab.c: the vocabulary of indexed words: suggestions, the
 * correction of a mistyped word, the words' weights (both databases);
 * the triggers that keep it and a bulk load's pause (SQLite, whose
 * search_words() search-sqlite.c registers). */
#include "common.h"

#include "migrate.h"
#include "product.h"
#include "search-analyze.h"
#include "search-impl.h"
#include "search.h"
#include "tap.h"
#include "testdb.h"

static void put(struct db *db, const char *term, int64_t df)
{
	struct err e = ERR_INIT;

	if (db_query(db, NULL,
		     "INSERT INTO search_vocab (term, df) "
		     "VALUES ($1, $2)",
		     DB_ARGS(DB_S(term), DB_I(df)), &e))
		ok(0, "insert %s: %s", term, e.msg);
	err_release(&e);
}

static char *suggest(struct db *db, const char *q, int64_t size)
{
	struct json_object *out = NULL;
	struct err e = ERR_INIT;
	char *s;

	if (search_vocab_suggest(db, q, size, &out, &e) < 0) {
		err_release(&e);
		return xstrdup("(error)");
	}
	s = xstrdup(
		json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	json_object_put(out);
	return s;
}

static char *correct(struct db *db, const char *q, bool found_none)
{
	struct search_analysis a = SEARCH_ANALYSIS_INIT;
	struct err e = ERR_INIT;
	char *fixed = NULL;

	search_analyze(&a, q, strlen(q), SEARCH_MAX_WORDS);
	if (search_vocab_correct(db, &a, found_none, &fixed, &e) < 0)
		fixed = xstrdup("(error)");
	search_analysis_release(&a);
	err_release(&e);
	return fixed;
}

static void test_reads(struct db *db, const char *dialect)
{
	struct search_analysis a = SEARCH_ANALYSIS_INIT;
	struct err e = ERR_INIT;
	int64_t w[4] = { 0 };
	char *s;

	put(db, "laptop", 100);
	put(db, "lapel", 5);
	put(db, "lap", 0);
	put(db, "samsung", 40);
	put(db, "headphones", 12);
	put(db, "노트북", 30);
	put(db, "노트", 2);

	s = suggest(db, "Lap", 10);
	is_str(s,
	       "{\"items\":[{\"text\":\"laptop\",\"count\":100},"
	       "{\"text\":\"lapel\",\"count\":5}]}",
	       "%s: suggest: folded prefix, most products first, df 0 left "
	       "out",
	       dialect);
	free(s);
	s = suggest(db, "samsung la", 1);
	is_str(s, "{\"items\":[{\"text\":\"samsung laptop\",\"count\":100}]}",
	       "%s: suggest: the words before stay, size bounds", dialect);
	free(s);
	s = suggest(db, "노", 10);
	is_str(s,
	       "{\"items\":[{\"text\":\"노트북\",\"count\":30},"
	       "{\"text\":\"노트\",\"count\":2}]}",
	       "%s: suggest: Hangul completes whole words", dialect);
	free(s);
	s = suggest(db, "  ", 10);
	is_str(s, "{\"items\":[]}", "%s: suggest: no word, no items", dialect);
	free(s);

	s = correct(db, "Laptpo", false);
	is_str(s, "laptop", "%s: correct: two neighbours swapped", dialect);
	free(s);
	s = correct(db, "samsung lapqqp", false);
	is_str(s, NULL, "%s: correct: two edits of a short word: none",
	       dialect);
	free(s);
	s = correct(db, "haedphonse", false);
	is_str(s, "headphones",
	       "%s: correct: two edits from eight "
	       "characters",
	       dialect);
	free(s);
	s = correct(db, "samsung laptop", false);
	is_str(s, NULL, "%s: correct: known words: nothing", dialect);
	free(s);
	s = correct(db, "lapt", false);
	is_str(s, NULL, "%s: correct: a prefix of no word within one edit",
	       dialect);
	free(s);

	search_analyze(&a, "laptop samsung zzzz", 19, SEARCH_MAX_WORDS);
	ok(search_vocab_weights(db, &a, w, &e) == 0, "%s: weights", dialect);
	/* 1 + floor(log2(1 + 100 / df)) */
	is_int(w[0], 2, "%s: the most held word weighs 2", dialect);
	is_int(w[1], 2, "%s: df 40 of 100 weighs 2", dialect);
	is_int(w[2], 7, "%s: an unknown word weighs as the rarest", dialect);
	search_analysis_release(&a);
	err_release(&e);
}

static int64_t df_of(struct db *db, const char *term)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	int64_t df = -1;

	if (db_query(db, &res, "SELECT df FROM search_vocab WHERE term = $1",
		     DB_ARGS(DB_S(term)), &e) == 0)
		df = db_res_rows(res) ? db_res_int(res, 0, 0) : 0;
	db_res_free(res);
	err_release(&e);
	return df;
}

static int sql(struct db *db, const char *q)
{
	struct err e = ERR_INIT;
	int rc = db_query(db, NULL, q, DB_NOARGS, &e);

	if (rc)
		printf("# %s: %s\n", q, e.msg);
	err_release(&e);
	return rc;
}

/* What agora seed does with a product it makes: its name and
 * description analysed once, their words counted when it is ACTIVE,
 * its tsvector (tsv not NULL) from the same analyses. */
static void load_doc(struct search_load *l, const char *name,
		     const char *description, bool active, struct sbuf *tsv)
{
	struct search_analysis a = SEARCH_ANALYSIS_INIT,
			       d = SEARCH_ANALYSIS_INIT;

	search_analyze_text(&a, name);
	search_analyze_text(&d, description);
	if (active)
		search_load_count(l, &a, &d);
	if (tsv) {
		sbuf_reset(tsv);
		product_tsv(tsv, &a, &d);
	}
	search_analysis_release(&a);
	search_analysis_release(&d);
}

/* The binary tsvector of a product named name, into tsv. */
static void load_tsv_binary(struct sbuf *tsv, const char *name)
{
	struct search_analysis a = SEARCH_ANALYSIS_INIT,
			       d = SEARCH_ANALYSIS_INIT;

	search_analyze_text(&a, name);
	sbuf_reset(tsv);
	product_tsv_binary(tsv, &a, &d);
	search_analysis_release(&a);
	search_analysis_release(&d);
}

/* The triggers count each ACTIVE product's distinct whole words once. */
static void test_triggers(struct db *db)
{
	struct sbuf tsv = SBUF_INIT;
	struct search_load *l;
	struct err e = ERR_INIT;

	sql(db, "INSERT INTO products (name, description, category, brand, "
		"price) VALUES ('Samsung 노트북 Pro', 'A samsung notebook', "
		"'Computers', 'Samsung', 1000)");
	is_int(df_of(db, "samsung"), 41,
	       "sqlite: an ACTIVE product adds 1 to each of its words, once");
	is_int(df_of(db, "pro"), 1, "... a new word enters with 1");
	is_int(df_of(db, "~노트"), 0, "... and no bigram is a word");
	sql(db, "UPDATE products SET status = 'INACTIVE' WHERE name LIKE "
		"'Samsung%'");
	is_int(df_of(db, "samsung"), 40, "sqlite: INACTIVE takes it back");
	sql(db, "UPDATE products SET status = 'ACTIVE' WHERE name LIKE "
		"'Samsung%'");
	sql(db, "UPDATE products SET name = 'Galaxy Pro' WHERE name LIKE "
		"'Samsung%'");
	is_int(df_of(db, "samsung"), 41,
	       "sqlite: a renamed product keeps the words of its description");
	is_int(df_of(db, "galaxy"), 1, "... and counts its new name's");
	sql(db, "DELETE FROM products WHERE name = 'Galaxy Pro'");
	is_int(df_of(db, "galaxy"), 0, "sqlite: a delete takes them back");

	/* A bulk load (agora seed) counts in memory, then adds. */
	l = search_load_new();
	load_doc(l, "Bulk kettle KETTLE", "a Samsung kettle", true, NULL);
	load_doc(l, "Bulk kettle two", NULL, true, &tsv);
	load_doc(l, "Kettle three", NULL, false, NULL);
	is_str(tsv.buf, "'bulk':1A 'kettle':2A 'two':3A",
	       "sqlite: a bulk load gives the tsvector of its analysis");
	/* The binary form: the count of lexemes, each NUL-terminated with
	 * its positions, the weight (A = 3) in their top two bits; a word
	 * twice is one lexeme at two positions. */
	load_tsv_binary(&tsv, "kettle KETTLE");
	ok(tsv.len == 17 &&
		   !memcmp(tsv.buf, "\0\0\0\1kettle\0\0\2\xc0\1\xc0\2", 17),
	   "sqlite: ... and its binary form, a word's positions together");
	/* Lexemes in byte order, those alike in their first 8 bytes too. */
	load_tsv_binary(&tsv, "abcdefghz abcdefgha abcdefgh abcdefgha");
	ok(tsv.len == 47 && !memcmp(tsv.buf,
				    "\0\0\0\3abcdefgh\0\0\1\xc0\3"
				    "abcdefgha\0\0\2\xc0\2\xc0\4"
				    "abcdefghz\0\0\1\xc0\1",
				    47),
	   "sqlite: ... its lexemes in byte order past their 8th byte");
	ok(search_load_store(l, db, &e) == 0, "... and stores its counts");
	is_int(df_of(db, "kettle"), 2, "... each ACTIVE product's words once");
	is_int(df_of(db, "samsung"), 41, "... added to the counts there");
	is_int(df_of(db, "three"), 0, "... and none of an INACTIVE one");
	search_load_free(l);
	sbuf_release(&tsv);
	err_release(&e);
}

/* The triggers need search_words(), which only SQLite connections have
 * (PostgreSQL's run on the tsvector agora writes). */
static void battery(struct db *db, const char *url, const char *dialect)
{
	(void)url;
	test_reads(db, dialect);
	if (db_dialect(db) == DB_SQLITE)
		test_triggers(db);
}

int main(void)
{
	testdb_run("vocab", battery);
	return done_testing();
}
