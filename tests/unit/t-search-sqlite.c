/* t-search-sqlite.c: the analyzer inside SQLite: search_words() and the
 * FTS5 tokenizer "agora" the migrations name. */
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

static void test_sqlite(void)
{
	struct err e = ERR_INIT;

	CHECK("SELECT search_words($1, $2)", "Samsung 노트북 samsung",
	      "Ｇift, 노트북", "[\"gift\",\"samsung\",\"노트북\"]",
	      "search_words: distinct whole words of every argument, "
	      "NFKC and folded, sorted, no bigrams");
	CHECK("SELECT search_words($1, $2)", "", "!!", "[]",
	      "search_words: none");

	/* the tokenizer, as migration 0014 made products_fts with it */
	if (db_exec_script(db,
			   "CREATE VIRTUAL TABLE t USING fts5(name, "
			   "description, tokenize = 'agora'); "
			   "CREATE VIRTUAL TABLE t_terms USING "
			   "fts5vocab(t, row); "
			   "INSERT INTO t (rowid, name, description) VALUES "
			   "(1, 'Samsung 노트북', 'a Gift')",
			   &e) < 0)
		ok(0, "fts5: %s", e.msg);
	err_release(&e);
	CHECK("SELECT group_concat(term, ' ') FROM (SELECT term FROM t_terms "
	      "WHERE $1 = $2 ORDER BY term)",
	      "", "",
	      "a gift samsung " SEARCH_SQLITE_GRAM "노트 " SEARCH_SQLITE_GRAM
	      "트북 노트북",
	      "tokenizer: a document's whole words folded, its bigrams "
	      "marked");
	CHECK("SELECT rowid FROM t WHERE t MATCH $1 AND $2 = $2", "\"SAMSUNG\"",
	      "", "",
	      "tokenizer: a query token is taken as it is (the caller "
	      "analysed it)");
	CHECK("SELECT rowid FROM t WHERE t MATCH $1 AND $2 = $2", "\"gift\"",
	      "", "1", "tokenizer: the description's words are indexed");
	CHECK("SELECT count(*) FROM sqlite_master WHERE name LIKE $1 || '%' "
	      "AND $2 = $2",
	      "products_fts", "", "0",
	      "migration 0021 dropped products_fts and its triggers");
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
