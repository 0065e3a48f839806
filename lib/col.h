/* col.h: column tables: a table's columns listed once, for its SELECT list
 * and for the JSON of its rows. */
#ifndef AGORA_COL_H
#define AGORA_COL_H

#include <stddef.h>
#include <json-c/json.h>

#include "db.h"
#include "sbuf.h"

enum col_type {
	COL_INT, /* a JSON integer */
	COL_TEXT, /* a JSON string */
	COL_TIME, /* a string, ISO 8601 UTC with milliseconds
		   * (db_res_time()), whichever backend stored it */
};

/*
 * One column of a table, in the spirit of struct valid_field: a table is
 * an array ending with { NULL }. Its order is the SELECT list's, and so
 * the order of the keys in the JSON. A module names the positions with
 * an enum and the table with designated initializers ([USER_ID] = {…}),
 * so that reading one value is db_res_int(res, row, USER_ID), never a
 * bare number that a changed list would silently shift.
 *
 * SQL NULL is JSON null in every column: the schema says which may be.
 */
struct col {
	const char *sql; /* the column's name in SQL */
	const char *key; /* its JSON key; NULL: selected, not shown */
	enum col_type type;
};

/* The columns most tables share, as the API names them. */
#define COL_ID                      \
	{                           \
		"id", "id", COL_INT \
	}
#define COL_CREATED_AT                              \
	{                                           \
		"created_at", "createdAt", COL_TIME \
	}
#define COL_UPDATED_AT                              \
	{                                           \
		"updated_at", "updatedAt", COL_TIME \
	}

/* col_list: append "id, email, …" to sb, each name prefixed by "alias."
 * when alias is non-NULL. */
void col_list(struct sbuf *sb, const struct col *cols, const char *alias);

/*
 * col_sql: reset sb to head, the SELECT list of cols and tail, e.g.
 * col_sql(&sql, "SELECT ", user_cols, " FROM users WHERE id = $1").
 * Returns sb->buf, which sb keeps owning.
 */
const char *col_sql(struct sbuf *sb, const char *head, const struct col *cols,
		    const char *tail);

/*
 * col_query: db_query() of the statement head + the SELECT list of cols +
 * tail: col_query(db, &res, "SELECT ", user_cols, " FROM users WHERE id
 * = $1", DB_ARGS(DB_I(id)), e). res as db_query()'s.
 */
int col_query(struct db *db, struct db_res **res, const char *head,
	      const struct col *cols, const char *tail,
	      const struct db_param *params, size_t n, struct err *e);

/*
 * col_query_one: col_query() of a statement that gives one row or none:
 * 1 and the row's col_json() in *out (caller owns), or 0 when there is
 * no row. Errors (-1): those of db_query().
 */
int col_query_one(struct db *db, struct json_object **out, const char *head,
		  const struct col *cols, const char *tail,
		  const struct db_param *params, size_t n, struct err *e);

/* col_json: row `row` of a result selected with col_list(cols) as an
 * object whose keys are the columns' keys in table order. The caller owns
 * the new object. */
struct json_object *col_json(const struct col *cols, const struct db_res *res,
			     size_t row);

/* col_json_rows: every row of res as col_json(), in an array the caller
 * owns. */
struct json_object *col_json_rows(const struct col *cols,
				  const struct db_res *res);

/* col_one_int, col_one_str: the value in the first row of a result with
 * one column (count(*), a lookup of one column): 0 or NULL when there is
 * no row or the value is NULL. The string is borrowed from res. */
int64_t col_one_int(const struct db_res *res);
const char *col_one_str(const struct db_res *res);

#endif
