/* db-impl.h: what a database backend implements (lib/db-pg.c,
 * lib/db-sqlite.c) and what db.c shares with them; not for callers, who
 * use db.h. */
#ifndef AGORA_DB_IMPL_H
#define AGORA_DB_IMPL_H

#include "db.h"

/*
 * Both backends cache prepared statements keyed by SQL text (a hash and a
 * strcmp, so SQL built at run time is safe too). Handlers use a small, fixed
 * set of statements, so the cache rarely fills. SQLite evicts round robin;
 * PostgreSQL never evicts (freeing a server-side statement costs a round
 * trip and fails inside an aborted transaction) and runs anything past the
 * cache as an unnamed statement. Behind a pooler in transaction mode,
 * pgbouncer needs max_prepared_statements (1.21 and later) for this.
 */
#define DB_CACHE_MAX 128

struct db_stmt {
	char *sql;
	uint32_t hash;
	void *impl; /* the backend's: a sqlite3_stmt, a statement name */
	bool unnamed; /* PostgreSQL: run it as an unnamed statement */
};

/*
 * One table of operations per backend. Each backend's own structs embed
 * struct db and struct db_res as their first member, so a pointer to one
 * can be cast back to the backend's. Before each query or script the
 * backend reconnects when the connection is down (db->down).
 */
struct db_ops {
	enum db_dialect dialect;
	size_t size; /* of the backend's struct, embedding db */
	const char *begin; /* the SQL of db_begin(), db_begin_read() */
	const char *begin_read;
	bool evict; /* a full cache reuses slots round robin */

	/* connect: (re)open the connection, clearing the cache; sets or
	 * clears db->down. */
	int (*connect)(struct db *db, struct err *e);
	/* close: the connection and whatever the backend holds. */
	void (*close)(struct db *db);
	int (*query)(struct db *db, struct db_res **res, const char *sql,
		     const struct db_param *params, size_t nparams,
		     struct err *e);
	int (*script)(struct db *db, const char *sql, struct err *e);
	/* tx_open: does the server hold an open transaction for us? */
	bool (*tx_open)(struct db *db);
	/* stmt_free: a cache entry's impl. */
	void (*stmt_free)(void *impl);
	/* listen, wait_notify: NULL where the backend has no notifications */
	int (*listen)(struct db *db, const char *channel, struct err *e);
	int (*wait_notify)(struct db *db, int timeout_ms, struct err *e);

	/* copy_begin, copy_put, copy_end: db_copy_*(); NULL where the
	 * backend has no COPY */
	int (*copy_begin)(struct db *db, const char *sql, struct err *e);
	int (*copy_put)(struct db *db, const char *buf, size_t len,
			struct err *e);
	int (*copy_end)(struct db *db, struct err *e);

	const char *(*res_str)(const struct db_res *res, size_t row,
			       size_t col);
	/* res_blob: row and col in range; *len is 0 on entry */
	const unsigned char *(*res_blob)(const struct db_res *res, size_t row,
					 size_t col, size_t *len);
	void (*res_free)(struct db_res *res);
};

struct db {
	const struct db_ops *ops;
	char *url;
	struct db_opts opts;
	bool down; /* not connected: reconnect before the next query */
	bool in_tx; /* db_begin() succeeded, no commit/rollback yet */
	bool tx_failed; /* a statement failed inside that transaction */

	struct db_stmt cache[DB_CACHE_MAX];
	size_t ncache;
	size_t evict; /* the next slot to reuse when full (ops->evict) */

	unsigned stats_count;
	double stats_ms;
};

struct db_res {
	const struct db_ops *ops;
	size_t rows, cols;
};

extern const struct db_ops db_pg_ops, db_sqlite_ops;

/*
 * db_fail: record a driver failure with err code `code` and the driver's
 * text. A 5xx keeps the text (the sink only logs it); a 4xx gets a neutral
 * message, the text going to the debug log. Returns -1.
 */
int db_fail(struct err *e, int code, const char *driver);

/* db_stmt_find: the cached statement for sql, or NULL. */
struct db_stmt *db_stmt_find(struct db *db, const char *sql);
/*
 * db_stmt_add: a slot for sql (not yet in the cache): a new one, or with
 * ops->evict the oldest one reused (its impl freed); NULL when the cache
 * is full and does not evict. The caller sets impl.
 */
struct db_stmt *db_stmt_add(struct db *db, const char *sql);
/* db_stmt_clear: empty the cache (a new connection). */
void db_stmt_clear(struct db *db);

#endif
