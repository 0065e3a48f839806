/* db-sqlite.c: the SQLite backend of db. */
#include "common.h"
#include "clock.h"
#include "db-impl.h"

#include <unistd.h>

#include <sqlite3.h>

#include "sbuf.h"
#include "search-sqlite.h"

struct db_sqlite {
	struct db base; /* first: a struct db * is one of these */
	sqlite3 *conn;
};

/*
 * A result is copied out (rows x cols strings) so the statement can be
 * reset at once. The strings go one after the other into blocks, not a
 * malloc each: a search's scan of ten thousand rows made forty thousand
 * of them, and as many frees. Each is NUL-terminated for db_res_str();
 * its length, kept beside it, gives db_res_blob() a blob's bytes past a
 * NUL.
 */
struct db_sqlite_res {
	struct db_res base; /* first, as above */
	char **cells; /* rows * cols, NULL for SQL NULL */
	int *lens; /* rows * cols, the cells' lengths (sqlite3_column_bytes) */
	size_t alloc; /* cells and lens allocated, in rows */
	struct db_sqlite_block *block; /* the one being filled, first */
};

struct db_sqlite_block {
	struct db_sqlite_block *next;
	size_t used, size;
	char data[];
};

#define DB_SQLITE_BLOCK 16384

/* A copy of the n bytes at s, NUL-terminated, in r's blocks. */
static char *db_sqlite_cell(struct db_sqlite_res *r, const char *s, size_t n)
{
	struct db_sqlite_block *b = r->block;
	char *c;

	if (!b || b->size - b->used < n + 1) {
		size_t size = n + 1 > DB_SQLITE_BLOCK ? n + 1 : DB_SQLITE_BLOCK;

		b = xmalloc(sizeof(*b) + size);
		b->used = 0;
		b->size = size;
		b->next = r->block;
		r->block = b;
	}
	c = b->data + b->used;
	memcpy(c, s, n);
	c[n] = '\0';
	b->used += n + 1;
	return c;
}

static int db_sqlite_code(int rc)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE ||
	    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return ERR_CONFLICT;
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT:
		return ERR_BAD_REQUEST;
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
		return ERR_UNAVAILABLE;
	default:
		return ERR_INTERNAL;
	}
}

static int db_sqlite_fail(struct db_sqlite *l, int rc, struct err *e)
{
	char full[256];

	snprintf(full, sizeof(full), "sqlite: %s",
		 l->conn ? sqlite3_errmsg(l->conn) : sqlite3_errstr(rc));
	return db_fail(e, db_sqlite_code(rc), full);
}

static void db_sqlite_close(struct db *db)
{
	struct db_sqlite *l = (struct db_sqlite *)db;

	db_stmt_clear(db);
	if (l->conn)
		sqlite3_close_v2(l->conn);
	l->conn = NULL;
}

static int db_sqlite_connect(struct db *db, struct err *e)
{
	/* mmap: pages are read from the page cache in place, not copied
	 * by a read(2) each (what a search of thousands of rows spent
	 * most of its time on); the mapping is shared by the processes. */
	static const char pragmas[] = "PRAGMA journal_mode=WAL;"
				      "PRAGMA synchronous=NORMAL;"
				      "PRAGMA foreign_keys=ON;"
				      "PRAGMA mmap_size=1073741824;";
	struct db_sqlite *l = (struct db_sqlite *)db;
	double t0;
	int rc;

	db_sqlite_close(db);
	/* One connection per process: SQLite's own mutexes buy nothing. */
	rc = sqlite3_open_v2(db->url, &l->conn,
			     SQLITE_OPEN_URI | SQLITE_OPEN_READWRITE |
				     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		/* not a lost server, but the same remedy: retry later */
		err_set(e, ERR_UNAVAILABLE, "sqlite: %s: %s", db->url,
			l->conn ? sqlite3_errmsg(l->conn) : sqlite3_errstr(rc));
		db_sqlite_close(db);
		db->down = true;
		return -1;
	}
	sqlite3_extended_result_codes(l->conn, 1);
	sqlite3_busy_timeout(l->conn, db->opts.busy_timeout);
	/*
	 * Two processes switching a new file to WAL at once can get SQLITE_BUSY
	 * without the busy handler being asked (it would deadlock): retry
	 * within the busy timeout. An existing WAL file makes this a no-op.
	 */
	t0 = clock_ms();
	while ((rc = sqlite3_exec(l->conn, pragmas, NULL, NULL, NULL)) != 0 &&
	       db_sqlite_code(rc) == ERR_UNAVAILABLE &&
	       clock_ms() - t0 < db->opts.busy_timeout)
		usleep(5000);
	/* The search analyzer: search_words() for the vocabulary's
	 * triggers, and the tokenizer migration 0014 names. */
	if (rc == SQLITE_OK)
		rc = search_sqlite_register(l->conn);
	if (rc != SQLITE_OK) {
		db_sqlite_fail(l, rc, e);
		db_sqlite_close(db);
		db->down = true;
		return -1;
	}
	db->down = false;
	return 0;
}

/* db_sqlite_prepare: the cached statement for sql, prepared if new; *out
 * is NULL on failure. */
static int db_sqlite_prepare(struct db_sqlite *l, const char *sql,
			     sqlite3_stmt **out, struct err *e)
{
	struct db_stmt *st;
	sqlite3_stmt *stmt;
	const char *tail;
	int rc;

	/* The error paths return what err_set() returns, which the compiler
	 * cannot see is -1: without this an optimized build warns that the
	 * caller's statement may be used uninitialized. */
	*out = NULL;
	st = db_stmt_find(&l->base, sql);
	if (st) {
		*out = st->impl;
		return 0;
	}
	rc = sqlite3_prepare_v3(l->conn, sql, -1, SQLITE_PREPARE_PERSISTENT,
				&stmt, &tail);
	if (rc != SQLITE_OK)
		return db_sqlite_fail(l, rc, e);
	if (!stmt)
		return err_set(e, ERR_INTERNAL, "sqlite: empty statement");
	tail += strspn(tail, " \t\r\n;");
	if (*tail) {
		sqlite3_finalize(stmt);
		return err_set(e, ERR_INTERNAL,
			       "sqlite: more than one statement");
	}
	st = db_stmt_add(&l->base, sql);
	st->impl = stmt;
	*out = stmt;
	return 0;
}

/*
 * db_sqlite_param: the index of "$n" (its name into name) in stmt. SQLite
 * numbers the parameters in the order they first appear, which in
 * nearly every statement is $1, $2...: the name at index n is checked
 * before the look-up through every name (a bulk insert binds millions).
 */
static int db_sqlite_param(sqlite3_stmt *stmt, size_t n, char name[24])
{
	const char *at;

	name[0] = '$';
	sbuf_uint(name + 1, n);
	at = sqlite3_bind_parameter_name(stmt, (int)n);
	if (at && !strcmp(at, name))
		return (int)n;
	return sqlite3_bind_parameter_index(stmt, name);
}

/*
 * db_sqlite_bind: bind params to "$1".."$n" by name, so one SQL text
 * serves both backends and a repeated $1 shares one value. Like
 * PostgreSQL, refuse a parameter the SQL does not use and a placeholder no
 * parameter fills.
 */
static int db_sqlite_bind(struct db_sqlite *l, sqlite3_stmt *stmt,
			  const struct db_param *params, size_t nparams,
			  struct err *e)
{
	char name[24];
	size_t i;
	int idx, rc = SQLITE_OK;

	if ((size_t)sqlite3_bind_parameter_count(stmt) != nparams) {
		/* count mismatch: name the culprit below, or here */
		for (i = 0; i < nparams; i++) {
			snprintf(name, sizeof(name), "$%zu", i + 1);
			if (!sqlite3_bind_parameter_index(stmt, name))
				return err_set(e, ERR_INTERNAL,
					       "sqlite: parameter %s unused",
					       name);
		}
		return err_set(e, ERR_INTERNAL,
			       "sqlite: %d placeholders for %zu parameters",
			       sqlite3_bind_parameter_count(stmt), nparams);
	}
	for (i = 0; i < nparams; i++) {
		idx = db_sqlite_param(stmt, i + 1, name);
		if (!idx)
			return err_set(e, ERR_INTERNAL,
				       "sqlite: parameter %s unused", name);
		switch (params[i].type) {
		case DB_TEXT:
			/* static: bindings are cleared before db_query
			 * returns */
			rc = params[i].s ?
				     sqlite3_bind_text(stmt, idx, params[i].s,
						       -1, SQLITE_STATIC) :
				     sqlite3_bind_null(stmt, idx);
			break;
		case DB_INT:
			rc = sqlite3_bind_int64(stmt, idx, params[i].i);
			break;
		case DB_NULL:
			rc = sqlite3_bind_null(stmt, idx);
			break;
		case DB_BLOB:
			/* a NULL pointer binds NULL, a length 0 an empty
			 * blob; a negative length is too big for SQLite */
			rc = sqlite3_bind_blob64(stmt, idx, params[i].s,
						 (sqlite3_uint64)params[i].i,
						 SQLITE_STATIC);
			break;
		}
		if (rc != SQLITE_OK)
			return db_sqlite_fail(l, rc, e);
	}
	return 0;
}

static void db_sqlite_add_row(struct db_sqlite_res *r, sqlite3_stmt *stmt)
{
	size_t c, cols = r->base.cols, n = cols ? cols : 1;
	const void *v;
	char **row;
	int *lens, type;

	if (r->base.rows == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 8;
		r->cells = xrealloc(r->cells, r->alloc * n * sizeof(*r->cells));
		r->lens = xrealloc(r->lens, r->alloc * n * sizeof(*r->lens));
	}
	row = r->cells + r->base.rows * cols;
	lens = r->lens + r->base.rows * cols;
	for (c = 0; c < cols; c++) {
		type = sqlite3_column_type(stmt, (int)c);
		if (type == SQLITE_NULL) {
			row[c] = NULL;
			lens[c] = 0;
			continue;
		}
		/* The value first, then its length: the documented safe
		 * order. A blob as it is: its text would be the same bytes,
		 * which SQLite would copy to append a NUL. */
		v = type == SQLITE_BLOB ? sqlite3_column_blob(stmt, (int)c) :
					  sqlite3_column_text(stmt, (int)c);
		lens[c] = sqlite3_column_bytes(stmt, (int)c);
		row[c] = db_sqlite_cell(r, v ? v : "", (size_t)lens[c]);
	}
	r->base.rows++;
}

static void db_sqlite_res_free(struct db_res *res)
{
	struct db_sqlite_res *r = (struct db_sqlite_res *)res;
	struct db_sqlite_block *b;

	while ((b = r->block)) {
		r->block = b->next;
		free(b);
	}
	free(r->cells);
	free(r->lens);
	free(r);
}

static int db_sqlite_query(struct db *db, struct db_res **res, const char *sql,
			   const struct db_param *params, size_t nparams,
			   struct err *e)
{
	struct db_sqlite *l = (struct db_sqlite *)db;
	struct db_sqlite_res *r = NULL;
	sqlite3_stmt *stmt;
	int rc;

	if (db->down && db_sqlite_connect(db, e))
		return -1;
	if (db_sqlite_prepare(l, sql, &stmt, e))
		return -1;
	if (db_sqlite_bind(l, stmt, params, nparams, e)) {
		sqlite3_clear_bindings(stmt);
		return -1;
	}
	if (res) {
		r = xcalloc(1, sizeof(*r));
		r->base.ops = db->ops;
		r->base.cols = sqlite3_column_count(stmt);
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (r)
			db_sqlite_add_row(r, stmt);
	/* reset returns the step's error again; keep the step's code */
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE) {
		if (r)
			db_sqlite_res_free(&r->base);
		return db_sqlite_fail(l, rc, e);
	}
	if (res)
		*res = &r->base;
	return 0;
}

static int db_sqlite_script(struct db *db, const char *sql, struct err *e)
{
	struct db_sqlite *l = (struct db_sqlite *)db;
	int rc;

	if (db->down && db_sqlite_connect(db, e))
		return -1;
	rc = sqlite3_exec(l->conn, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return db_sqlite_fail(l, sqlite3_extended_errcode(l->conn), e);
	return 0;
}

static bool db_sqlite_tx_open(struct db *db)
{
	struct db_sqlite *l = (struct db_sqlite *)db;

	return !db->down && !sqlite3_get_autocommit(l->conn);
}

static void db_sqlite_stmt_free(void *impl)
{
	sqlite3_finalize(impl);
}

static const char *db_sqlite_res_str(const struct db_res *res, size_t row,
				     size_t col)
{
	const struct db_sqlite_res *r = (const struct db_sqlite_res *)res;

	return r->cells[row * res->cols + col];
}

static const unsigned char *db_sqlite_res_blob(const struct db_res *res,
					       size_t row, size_t col,
					       size_t *len)
{
	const struct db_sqlite_res *r = (const struct db_sqlite_res *)res;
	size_t i = row * res->cols + col;

	*len = (size_t)r->lens[i]; /* 0 for SQL NULL */
	return (const unsigned char *)r->cells[i];
}

const struct db_ops db_sqlite_ops = {
	.dialect = DB_SQLITE,
	.size = sizeof(struct db_sqlite),
	/* IMMEDIATE: the write lock at once, not at the first write, which
	 * could find another writer and fail half-way. */
	.begin = "BEGIN IMMEDIATE",
	/* In WAL mode a deferred transaction reads from the snapshot its
	 * first SELECT takes until it ends. */
	.begin_read = "BEGIN DEFERRED",
	.evict = true,
	.connect = db_sqlite_connect,
	.close = db_sqlite_close,
	.query = db_sqlite_query,
	.script = db_sqlite_script,
	.tx_open = db_sqlite_tx_open,
	.stmt_free = db_sqlite_stmt_free,
	.listen = NULL,
	.wait_notify = NULL,
	.copy_begin = NULL,
	.copy_put = NULL,
	.copy_end = NULL,
	.res_str = db_sqlite_res_str,
	.res_blob = db_sqlite_res_blob,
	.res_free = db_sqlite_res_free,
};
