/* t-search-sqlite.c: the analyzer inside SQLite: the FTS5 tokenizer
 * "agora", the ranking function search_score() and search_words(). */
#include "common.h"

#include "migrate.h"
#include "sbuf.h"
#include "search-sqlite.h"
#include "tap.h"
#include "testdb.h"

static struct db *db;

static char *one(const char *sql, const char *a, const char *b)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	struct sbuf sb = SBUF_INIT;
	size_t i;

	if (db_query(db, &res, sql, DB_ARGS(DB_S(a), DB_S(b)), &e) < 0) {
		sbuf_addf(&sb, "(error: %s)", e.msg);
	} else {
		for (i = 0; i < db_res_rows(res); i++)
			sbuf_addf(&sb, "%s%s", i ? " " : "",
				  db_res_str(res, i, 0));
	}
	db_res_free(res);
	err_release(&e);
	return sbuf_detach(&sb, NULL);
}

#define CHECK(sql, a, b, want, ...)              \
	do {                                     \
		char *got_ = one(sql, a, b);     \
		is_str(got_, want, __VA_ARGS__); \
		free(got_);                      \
	} while (0)

/* Scores as "id:score" of the products matching m, best first. */
#define SCORES                                                        \
	"SELECT rowid || ':' || search_score(products_fts, $2) FROM " \
	"products_fts WHERE products_fts MATCH $1 ORDER BY "          \
	"search_score(products_fts, $2) DESC, rowid"

static void test_sqlite(void)
{
	struct err e = ERR_INIT;

	CHECK("SELECT search_words($1, $2)", "Samsung 노트북 samsung",
	      "Ｇift, 노트북", "[\"gift\",\"samsung\",\"노트북\"]",
	      "search_words: distinct whole words of every argument, "
	      "NFKC and folded, sorted, no bigrams");
	CHECK("SELECT search_words($1, $2)", "", "!!", "[]",
	      "search_words: none");

	if (db_query(db, NULL,
		     "INSERT INTO products (id, name, description, "
		     "category, brand, price) VALUES "
		     "(1, 'Samsung 노트북', 'a gift', 'C', 'S', 1), "
		     "(2, 'Bag', 'for a samsung 노트북', 'C', 'S', 1), "
		     "(3, '노트 트북', NULL, 'C', 'S', 1), "
		     "(4, 'Kettle', 'kitchen', 'C', 'S', 1)",
		     DB_NOARGS, &e) < 0)
		ok(0, "insert: %s", e.msg);
	err_release(&e);

	CHECK(SCORES, "\"samsung\"", "0:0:1,", "1:4 2:2",
	      "search_score: a word in the name 4, in the description 2");
	CHECK(SCORES, "\"samsung\"", "0:0:3,", "1:12 2:6",
	      "search_score: times the word's weight");
	CHECK(SCORES,
	      "\"노트북\" OR \"" SEARCH_SQLITE_GRAM
	      "노트\" OR \"" SEARCH_SQLITE_GRAM "트북\"",
	      "2:2:1,", "1:4 2:2 3:2",
	      "search_score: the bigrams in the name count 2, as the whole "
	      "word in the description");
	CHECK(SCORES,
	      "\"노트북\" OR \"" SEARCH_SQLITE_GRAM
	      "노트\" OR \"" SEARCH_SQLITE_GRAM "트북\"",
	      "2:3:1,", "1:4 2:2 3:0",
	      "search_score: fewer bigrams than the minimum score 0");
	CHECK(SCORES, "\"samsung\" OR \"kettle\"", "0:0:1,0:0:5,",
	      "4:20 1:4 2:2", "search_score: the words add up");
	CHECK("SELECT rowid FROM products_fts WHERE products_fts MATCH $1 "
	      "AND $2 = $2",
	      "\"SAMSUNG\"", "", "",
	      "tokenizer: a query token is taken as it is (the caller "
	      "analysed it)");
	CHECK("SELECT rowid FROM products_fts WHERE products_fts MATCH $1 "
	      "AND $2 = $2 ORDER BY rowid",
	      "\"gift\"", "", "1",
	      "tokenizer: the description's words are indexed");
}

int main(void)
{
	char *path = testdb_sqlite_path("search-sqlite");
	char *url = xasprintf("file:%s", path);
	struct err e = ERR_INIT;

	if (db_open(&db, url, NULL, &e) || migrate_run(db, NULL, &e))
		ok(0, "sqlite: open and migrate: %s", e.msg);
	else
		test_sqlite();
	db_free(db);
	err_release(&e);
	testdb_sqlite_unlink(path);
	free(url);
	free(path);
	return done_testing();
}
