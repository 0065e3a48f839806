/* search-sqlite.h: the analyzer inside SQLite: the vocabulary's word
 * list, and the FTS5 tokenizer the migrations name. */
#ifndef AGORA_SEARCH_SQLITE_H
#define AGORA_SEARCH_SQLITE_H

#include <sqlite3.h>

/*
 * search_sqlite_register: on connection lite, register
 *   - the FTS5 tokenizer "agora" (db/sqlite/0014_search_analyzer.sql):
 *     a document's whole words as they are, its bigrams marked with
 *     SEARCH_SQLITE_GRAM in front; query text is taken as one token.
 *     Only migrations use it: 0021 drops the table 0014 made with it,
 *     and a new database runs both;
 *   - the SQL function search_words(text, …): the distinct whole words of
 *     its arguments as a JSON array (the vocabulary's triggers).
 * Returns SQLITE_OK or an SQLite error code.
 */
int search_sqlite_register(sqlite3 *lite);

/* What a bigram token starts with in the tokenizer's output: no word
 * holds it. */
#define SEARCH_SQLITE_GRAM "~"

#endif
