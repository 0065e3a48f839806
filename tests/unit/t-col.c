/* t-col.c: a column table's SELECT list and the JSON of a row, on both
 * databases (their timestamps differ until db_res_time() reads them). */
#include "common.h"

#include "col.h"
#include "jsonx.h"
#include "tap.h"
#include "testdb.h"

enum { T_ID, T_NAME, T_NOTE, T_SECRET, T_AT };

static const struct col cols[] = {
	[T_ID] = { "id", "id", COL_INT },
	[T_NAME] = { "name", "name", COL_TEXT },
	[T_NOTE] = { "note", "theNote", COL_TEXT },
	[T_SECRET] = { "secret", NULL, COL_TEXT },
	[T_AT] = { "at", "at", COL_TIME },
	{ NULL },
};

static void test_list(void)
{
	struct sbuf sb = SBUF_INIT;

	col_list(&sb, cols, NULL);
	is_str(sb.buf, "id, name, note, secret, at", "the SELECT list");
	sbuf_reset(&sb);
	col_list(&sb, cols, "t");
	is_str(sb.buf, "t.id, t.name, t.note, t.secret, t.at", "with an alias");
	sbuf_addstr(&sb, "stale");
	is_str(col_sql(&sb, "SELECT ", cols, " FROM t WHERE id = $1"),
	       "SELECT id, name, note, secret, at FROM t WHERE id = $1",
	       "col_sql starts afresh: head, list, tail");
	sbuf_release(&sb);
}

static void battery(struct db *db, const char *url, const char *tag)
{
	struct sbuf sql = SBUF_INIT;
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	struct json_object *o;
	const char *ts = db_dialect(db) == DB_POSTGRES ? "timestamptz" : "text";
	char *create;

	(void)url;
	create = xasprintf("CREATE TABLE t (id bigint, name text, note text, "
			   "secret text, at %s)",
			   ts);
	ok(!db_query(db, NULL, create, DB_NOARGS, &e) &&
		   !db_query(db, NULL,
			     "INSERT INTO t VALUES (7, 'Kim \"K\"', NULL, "
			     "'x', '2026-11-24T14:24:26.120Z'), (9223372036854775807, "
			     "'한', 'n', 'y', '2026-01-02T03:04:05.000Z')",
			     DB_NOARGS, &e) &&
		   !db_query(db, &res,
			     col_sql(&sql, "SELECT ", cols,
				     " FROM t ORDER BY id"),
			     DB_NOARGS, &e),
	   "%s: a table and its rows %s", tag, e.msg);
	free(create);
	if (!res)
		goto out;
	o = col_json(cols, res, 0);
	is_str(jsonx_str(o, NULL),
	       "{\"id\":7,\"name\":\"Kim \\\"K\\\"\","
	       "\"theNote\":null,\"at\":\"2026-11-24T14:24:26.120Z\"}",
	       "%s: keys in table order, NULL as null, the hidden column "
	       "left out, the time in the API's form",
	       tag);
	json_object_put(o);
	o = col_json(cols, res, 1);
	is_str(jsonx_str(o, NULL),
	       "{\"id\":9223372036854775807,\"name\":"
	       "\"한\",\"theNote\":\"n\",\"at\":\"2026-01-02T03:04:05.000Z\"}",
	       "%s: a second row, the widest integer", tag);
	json_object_put(o);
	o = col_json_rows(cols, res);
	is_str(jsonx_str(o, NULL),
	       "[{\"id\":7,\"name\":\"Kim \\\"K\\\"\","
	       "\"theNote\":null,\"at\":\"2026-11-24T14:24:26.120Z\"},"
	       "{\"id\":9223372036854775807,\"name\":"
	       "\"한\",\"theNote\":\"n\",\"at\":\"2026-01-02T03:04:05.000Z\"}]",
	       "%s: col_json_rows: every row, in order", tag);
	json_object_put(o);
	o = col_json_rows(cols, NULL);
	is_str(jsonx_str(o, NULL), "[]", "%s: col_json_rows of no result: []",
	       tag);
	json_object_put(o);
	is_str(db_res_str(res, 1, T_SECRET), "y",
	       "%s: a position named by the table's enum", tag);
	db_res_free(res);
	res = NULL;
	ok(!db_query(db, &res, "SELECT count(*) FROM t", DB_NOARGS, &e) &&
		   col_one_int(res) == 2,
	   "%s: col_one_int", tag);
	db_res_free(res);
	res = NULL;
	ok(!db_query(db, &res, "SELECT name FROM t WHERE id = 0", DB_NOARGS,
		     &e) &&
		   !col_one_str(res) && !col_one_int(res),
	   "%s: col_one_* of no row: NULL and 0", tag);
	db_res_free(res);
	res = NULL;
	ok(!col_query(db, &res, "SELECT ", cols, " FROM t WHERE id = $1",
		      DB_ARGS(DB_I(7)), &e) &&
		   db_res_rows(res) == 1 &&
		   !strcmp(db_res_str(res, 0, T_SECRET), "x"),
	   "%s: col_query: head, list, tail, parameters", tag);
	o = NULL;
	ok(col_query_one(db, &o, "SELECT ", cols, " FROM t WHERE id = $1",
			 DB_ARGS(DB_I(7)), &e) == 1 &&
		   o && !strcmp(jsonx_get_str(o, "name"), "Kim \"K\""),
	   "%s: col_query_one: 1 and the row's JSON", tag);
	json_object_put(o);
	o = NULL;
	ok(col_query_one(db, &o, "SELECT ", cols, " FROM t WHERE id = $1",
			 DB_ARGS(DB_I(8)), &e) == 0 &&
		   !o,
	   "%s: col_query_one: 0 and nothing for no row", tag);
	ok(col_query_one(db, &o, "SELECT ", cols, " FROM nowhere", DB_NOARGS,
			 &e) < 0 &&
		   e.code,
	   "%s: col_query_one: -1 and the error", tag);
out:
	if (res)
		db_res_free(res);
	err_release(&e);
	sbuf_release(&sql);
}

int main(void)
{
	test_list();
	testdb_run("col", battery);
	return done_testing();
}
