/* db.h: one database interface, two backends (PostgreSQL, SQLite). */
#ifndef AGORA_DB_H
#define AGORA_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"

/*
 * SQL is written once, with $1, $2, … placeholders, and runs on both
 * backends (SQLite binds "$N" by name). Values travel only as parameters,
 * never inside the SQL text. Where the dialects differ a caller branches on
 * db_dialect(); time values are passed in from C (db_now()) rather than
 * computed with now()/strftime().
 *
 * Failures: a constraint violation is ERR_CONFLICT ("unique" violations)
 * or ERR_BAD_REQUEST (others); a lost connection, a statement timeout
 * or a busy database is ERR_UNAVAILABLE; anything else ERR_INTERNAL. The
 * message carries the driver's text for the log; the sink never shows a 5xx
 * message to the client.
 */

enum db_dialect { DB_SQLITE, DB_POSTGRES };

enum db_type { DB_NULL, DB_TEXT, DB_INT, DB_BLOB };

struct db_param {
	enum db_type type;
	const char *s;
	int64_t i;
};

#define DB_S(x) ((struct db_param){ DB_TEXT, (x), 0 })
#define DB_I(x) ((struct db_param){ DB_INT, NULL, (x) })
#define DB_NUL	((struct db_param){ DB_NULL, NULL, 0 })
/*
 * DB_B(p, n): the n bytes at p, NULs and all; a NULL p is SQL NULL, n 0 (p
 * not NULL) an empty blob. The column is a BLOB on SQLite, a bytea on
 * PostgreSQL, which gets the bytes in binary and must see the placeholder
 * as a bytea (its column, or a cast: $1::bytea).
 */
#define DB_B(p, n) \
	((struct db_param){ DB_BLOB, (const char *)(p), (int64_t)(n) })
/* DB_ARGS(DB_I(id), DB_S(name)) expands to the (params, count) pair. */
#define DB_ARGS(...)                                                \
	(const struct db_param[]){ __VA_ARGS__ },                   \
		(sizeof((const struct db_param[]){ __VA_ARGS__ }) / \
		 sizeof(struct db_param))
#define DB_NOARGS NULL, 0

struct db;
struct db_res;

struct db_opts {
	int connect_timeout; /* seconds, PostgreSQL; 0 = 3 */
	int statement_timeout; /* milliseconds, PostgreSQL; 0 = 5000 */
	int busy_timeout; /* milliseconds, SQLite; 0 = 5000 */
};

/*
 * db_open: open the database named by url: "postgresql://…" or
 * "postgres://…" (libpq), "file:…" or a plain path (SQLite: WAL journal,
 * busy timeout, foreign keys on). The connection is opened now; if it
 * fails, *out is still a usable handle that retries on the next query.
 * Returns 0, or -1 with ERR_UNAVAILABLE (and *out set) when the server
 * could not be reached, ERR_BAD_REQUEST for a URL that names no backend.
 * The caller owns *out: db_free().
 */
int db_open(struct db **out, const char *url, const struct db_opts *opts,
	    struct err *e);
/* db_free: close and free; db_free(NULL) does nothing. */
void db_free(struct db *db);
enum db_dialect db_dialect(const struct db *db);

/*
 * db_query: run one statement. When res is non-NULL the rows are returned
 * in *res (caller frees with db_res_free), otherwise they are discarded.
 * A dropped PostgreSQL connection is re-established before the statement
 * if it is known to be down; a statement that fails because the
 * connection broke answers ERR_UNAVAILABLE and is not retried (it may have
 * run), and the next call reconnects.
 */
int db_query(struct db *db, struct db_res **res, const char *sql,
	     const struct db_param *params, size_t nparams, struct err *e);
/*
 * DB_PLAN_EACH: first in a statement whose best plan depends on its
 * parameters' values (how wide a range is, which value is rare).
 * PostgreSQL then plans it with them at every run, never with the
 * generic plan a prepared statement falls back to after five runs, which
 * can be a hundred times slower; SQLite plans its statements with their
 * values already.
 */
#define DB_PLAN_EACH "/* plan each */ "
/*
 * DB_BINARY: first in a statement whose results PostgreSQL sends in its
 * binary format, for a bytea that db_res_blob() then returns as the
 * bytes that came, with no hex for the server to write and agora to
 * read. Text columns come as they are; any other must be cast to text
 * in the statement (db_res_int() reads text). SQLite reads it as the
 * comment it is.
 */
#define DB_BINARY "/* binary */ "
/* db_exec_script: run several ;-separated statements without parameters
 * (migrations). */
int db_exec_script(struct db *db, const char *sql, struct err *e);

/*
 * db_copy_begin, db_copy_put, db_copy_end: a bulk load through
 * PostgreSQL's COPY (sql is a "COPY … FROM STDIN", text format): the
 * rows travel as lines of tab-separated text, put in pieces of any
 * size, and the server loads them while the caller makes the next ones.
 * Nothing else may run on db between begin and end; end answers the
 * load's outcome. ERR_INTERNAL on SQLite, which has no COPY.
 */
int db_copy_begin(struct db *db, const char *sql, struct err *e);
int db_copy_put(struct db *db, const char *buf, size_t len, struct err *e);
int db_copy_end(struct db *db, struct err *e);
/*
 * COPY's binary format (FORMAT binary): nothing for the server to parse.
 * A load puts DB_COPY_HEAD first and DB_COPY_TAIL last; a row is its
 * number of fields (2 bytes), then each field's length (4) and bytes,
 * every integer big-endian: db_copy_be() appends one of that many bytes.
 */
#define DB_COPY_HEAD           \
	"PGCOPY\n\377\r\n\0"   \
	"\0\0\0\0" /* flags */ \
	"\0\0\0\0" /* no extension */
#define DB_COPY_HEAD_LEN 19
#define DB_COPY_TAIL	 "\377\377" /* a row of -1 fields */
struct sbuf;
void db_copy_be(struct sbuf *sb, uint64_t v, int bytes);

/* Transactions: db_begin() takes the write lock at once on SQLite
 * (BEGIN IMMEDIATE). db_rollback() is safe to call after a failure and
 * when no transaction is open. */
int db_begin(struct db *db, struct err *e);
/* db_begin_read: a read-only transaction whose statements all see one
 * snapshot (REPEATABLE READ on PostgreSQL, a deferred transaction on
 * SQLite); end it with db_commit(). Takes no write lock. */
int db_begin_read(struct db *db, struct err *e);
int db_commit(struct db *db, struct err *e);
void db_rollback(struct db *db);

/* db_ping: a trivial round trip (health); reconnects if needed. */
int db_ping(struct db *db, struct err *e);

/*
 * Notifications (PostgreSQL's LISTEN/NOTIFY), to wake a process up when
 * rows arrive rather than poll. db_listen: listen on channel (lower-case
 * letters, digits, '_') from now on, on this connection and the ones that
 * replace it after a reconnect; what is notified while it is down is
 * lost, so a listener polls as well. db_wait_notify: wait up to
 * timeout_ms for a notification, consuming every one that has arrived
 * (including during earlier queries); returns 1 after one, 0 at the
 * timeout or a signal, -1 when the connection failed (ERR_UNAVAILABLE;
 * the next call reconnects). SQLite has no notifications: both return -1
 * with ERR_INTERNAL and the caller polls.
 */
int db_listen(struct db *db, const char *channel, struct err *e);
int db_wait_notify(struct db *db, int timeout_ms, struct err *e);

/* Statement accounting for Server-Timing: statements run and time spent
 * since the last db_stats_reset(). */
void db_stats_reset(struct db *db);
unsigned db_stats_count(const struct db *db);
double db_stats_ms(const struct db *db);

/*
 * Result sets: rows and columns count from 0. Strings are borrowed from
 * res and live until db_res_free(). db_res_str() returns NULL for SQL
 * NULL, and so for a NULL res or a row or column out of range (which
 * db_res_int() reads as 0); db_res_rows(NULL) is 0 and db_res_free(NULL)
 * does nothing, so a failed query's NULL result needs no test.
 */
size_t db_res_rows(const struct db_res *res);
const char *db_res_str(const struct db_res *res, size_t row, size_t col);
bool db_res_isnull(const struct db_res *res, size_t row, size_t col);
int64_t db_res_int(const struct db_res *res, size_t row, size_t col);
/*
 * db_res_blob: a column's bytes, their length in *len; NULL and *len 0
 * where db_res_str() is NULL. The bytes live until db_res_free(). A
 * PostgreSQL bytea is decoded from its text (\x and hex digits) on the first
 * call for the cell, or comes as it is from a DB_BINARY statement; a
 * value without that prefix, and any SQLite value, is returned as it
 * is, so a text column gives its text's bytes.
 */
const unsigned char *db_res_blob(const struct db_res *res, size_t row,
				 size_t col, size_t *len);
/* db_res_time: a timestamp column as ISO 8601 UTC with milliseconds
 * ("2026-11-24T14:24:26.123Z"), whichever backend stored it; NULL for SQL
 * NULL. Written to buf, which is returned. */
const char *db_res_time(const struct db_res *res, size_t row, size_t col,
			char buf[32]);
void db_res_free(struct db_res *res);

/*
 * db_res_hand: for a function that gives its result only to callers that
 * ask for it: *out = *res when out is non-NULL, and *res = NULL, so the
 * function's own db_res_free(*res) on the way out leaves it alone.
 */
static inline void db_res_hand(struct db_res **res, struct db_res **out)
{
	if (out) {
		*out = *res;
		*res = NULL;
	}
}

/* db_now: the current UTC time as "YYYY-MM-DDTHH:MM:SS.mmmZ", which both
 * backends accept for their timestamp columns. */
void db_now(char buf[32]);

/* db_is_postgres_url: does url name a PostgreSQL server? */
bool db_is_postgres_url(const char *url);

#endif
