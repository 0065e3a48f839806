/* db.c: one database interface over PostgreSQL (libpq) and SQLite. */
#include "common.h"
#include "db.h"
#include "log.h"

#include <inttypes.h>
#include <time.h>
#include <poll.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sqlite3.h>

#include "search-sqlite.h"

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
	sqlite3_stmt *lite; /* SQLite: the prepared statement */
	char name[24];	    /* PostgreSQL: the server-side name */
	bool unnamed;	    /* PostgreSQL: run it as an unnamed statement */
};

struct db {
	enum db_dialect dialect;
	char *url;
	struct db_opts opts;
	bool down;	/* not connected: reconnect before the next query */
	bool in_tx;	/* db_begin() succeeded, no commit/rollback yet */
	bool tx_failed; /* a statement failed inside that transaction */

	PGconn *pg;
	sqlite3 *lite;

	struct db_stmt cache[DB_CACHE_MAX];
	size_t ncache;
	size_t evict;	   /* SQLite: next slot to reuse when full */
	unsigned stmt_seq; /* PostgreSQL: statement names */

	unsigned stats_count;
	double stats_ms;
};

/*
 * A SQLite result is copied out (rows x cols strings) so the statement can
 * be reset at once; a PostgreSQL result wraps the PGresult.
 */
struct db_res {
	PGresult *pg;
	size_t rows, cols;
	char **names;
	char **cells; /* rows * cols, NULL for SQL NULL */
	size_t alloc; /* cells allocated, in rows */
};

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint32_t sql_hash(const char *s)
{
	uint32_t h = 2166136261u; /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

static struct db_stmt *cache_find(struct db *db, const char *sql, uint32_t hash)
{
	size_t i;

	for (i = 0; i < db->ncache; i++)
		if (db->cache[i].hash == hash && !strcmp(db->cache[i].sql, sql))
			return &db->cache[i];
	return NULL;
}

static void cache_clear(struct db *db)
{
	size_t i;

	for (i = 0; i < db->ncache; i++) {
		if (db->cache[i].lite)
			sqlite3_finalize(db->cache[i].lite);
		free(db->cache[i].sql);
	}
	db->ncache = 0;
	db->evict = 0;
}

/*
 * db_fail: record a driver failure. A 5xx keeps the driver's text (the sink
 * only logs it). A constraint violation becomes a 4xx a handler may pass
 * on, so its text must not show table or index names to the client: the
 * driver's words go to the log, the error gets a neutral message. Handlers
 * that know better (409 "Email already exists") set their own. The line is
 * at debug level: a conflict is a routine answer (a sign-up with a taken
 * email, `agora migrate` finding its ADMIN), not news for an operator.
 */
static int db_fail(struct err *e, int code, const char *driver)
{
	if (code >= 500)
		return err_set(e, code, "%s", driver);
	log_msg(LOG_DEBUG, NULL, "constraint: %s", driver);
	return err_set(e, code, code == ERR_CONFLICT ?
		       "Conflict with an existing record" :
		       "The data violates a constraint");
}

/* ---- PostgreSQL ---------------------------------------------------------- */

/*
 * pg_code: the err code for a failed PostgreSQL call. A broken connection
 * wins over whatever SQLSTATE came with it.
 */
static int pg_code(PGconn *conn, const PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;

	if (PQstatus(conn) == CONNECTION_BAD)
		return ERR_UNAVAILABLE;
	if (!st)
		return ERR_INTERNAL;
	if (!strcmp(st, "23505"))
		return ERR_CONFLICT;
	if (!strncmp(st, "23", 2))
		return ERR_BAD_REQUEST;
	/* 08P01 (protocol violation) is a parameter count mistake, a bug */
	if (!strcmp(st, "08P01"))
		return ERR_INTERNAL;
	/* statement timeout, connection exceptions, server shutting down */
	if (!strcmp(st, "57014") || !strncmp(st, "08", 2) ||
	    !strncmp(st, "57P0", 4))
		return ERR_UNAVAILABLE;
	return ERR_INTERNAL;
}

/* pg_fail: record a failed call; a broken connection is marked down.
 * libpq's text spans lines; the log wants one. */
static int pg_fail(struct db *db, const PGresult *r, struct err *e)
{
	const char *msg = r ? PQresultErrorMessage(r) : "";
	char line[sizeof(e->msg)];
	size_t i, n;

	memcpy(line, "postgresql: ", 12);
	n = 12;
	if (!*msg)
		msg = PQerrorMessage(db->pg);
	for (i = 0; msg[i] && n < sizeof(line) - 1; i++) {
		bool space = msg[i] == '\n' || msg[i] == '\t' || msg[i] == ' ';

		if (space && line[n - 1] == ' ')
			continue;
		line[n++] = space ? ' ' : msg[i];
	}
	while (n && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	if (PQstatus(db->pg) == CONNECTION_BAD)
		db->down = true;
	return db_fail(e, pg_code(db->pg, r), line);
}

/*
 * Notices ("relation already exists, skipping") would go to stderr
 * unformatted, in the middle of the JSON log lines: drop them. One kind
 * matters: a FATAL error the server sends to an idle connection (it is
 * being terminated) arrives here, and means the connection is gone even
 * before the socket reports EOF.
 */
static void pg_notice(void *arg, const PGresult *r)
{
	struct db *db = arg;
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);

	if (sev && (!strcmp(sev, "FATAL") || !strcmp(sev, "PANIC")))
		db->down = true;
}

static int pg_connect(struct db *db, struct err *e)
{
	char timeout[16], options[96];
	const char *keys[] = {"dbname",		  "connect_timeout",
			      "options",	  "application_name",
			      "client_encoding",  "keepalives",
			      "keepalives_idle",  "keepalives_interval",
			      "keepalives_count", NULL};
	const char *vals[ARRAY_SIZE(keys)];

	snprintf(timeout, sizeof(timeout), "%d", db->opts.connect_timeout);
	/* TimeZone and DateStyle fix the text form of timestamps that
	 * db_res_time() parses; they ride in the startup packet, no extra
	 * round trip, and survive PQreset(). */
	snprintf(options, sizeof(options),
		 "-c statement_timeout=%d -c TimeZone=UTC -c DateStyle=ISO",
		 db->opts.statement_timeout);
	vals[0] = db->url;
	vals[1] = timeout;
	vals[2] = options;
	vals[3] = "agora";
	vals[4] = "UTF8";
	vals[5] = "1";
	vals[6] = "30";
	vals[7] = "10";
	vals[8] = "3";
	vals[9] = NULL;

	if (db->pg)
		PQfinish(db->pg);
	db->pg = PQconnectdbParams(keys, vals, 1);
	if (!db->pg)
		die("out of memory");
	PQsetNoticeReceiver(db->pg, pg_notice, db);
	/* named statements died with the old session */
	cache_clear(db);
	if (PQstatus(db->pg) != CONNECTION_OK) {
		db->down = true;
		return pg_fail(db, NULL, e);
	}
	db->down = false;
	return 0;
}

/*
 * pg_stale: has the server closed this idle connection (a restart, an
 * administrator's pg_terminate_backend, an idle timeout)? Between queries
 * the server sends nothing, so a readable socket means a FATAL message
 * (pg_notice marks the connection down) or EOF is waiting: reading it
 * makes libpq notice. One poll(2) per query spares the first request
 * after a restart its 503.
 */
static bool pg_stale(struct db *db)
{
	struct pollfd pfd = { PQsocket(db->pg), POLLIN, 0 };
	int i;

	if (pfd.fd < 0 || db->in_tx)
		return false;
	/* The FATAL message comes first, the EOF after it: libpq marks the
	 * connection bad only once a read returns the EOF. */
	for (i = 0; i < 4 && poll(&pfd, 1, 0) == 1; i++) {
		if (!PQconsumeInput(db->pg))
			break;
		/* PQisBusy parses what was read: the FATAL reaches pg_notice. */
		PQisBusy(db->pg);
	}
	return db->down || PQstatus(db->pg) != CONNECTION_OK;
}

static int pg_ensure(struct db *db, struct err *e)
{
	if (!db->down && PQstatus(db->pg) == CONNECTION_OK && !pg_stale(db))
		return 0;
	/* Reconnecting inside a transaction would run the rest of it in
	 * autocommit mode: the caller must roll back first. */
	if (db->in_tx)
		return err_set(e, ERR_UNAVAILABLE,
			       "postgresql: connection lost in a transaction");
	return pg_connect(db, e);
}

/*
 * pg_run: execute sql with text parameters, through a named prepared
 * statement when the cache allows.
 */
static PGresult *pg_run(struct db *db, const char *sql, const char *const *vals,
			int n)
{
	struct db_stmt *st = NULL;
	uint32_t hash;
	PGresult *r;
	bool idle;

	hash = sql_hash(sql);
	st = cache_find(db, sql, hash);
	if (!st && db->ncache < DB_CACHE_MAX) {
		st = &db->cache[db->ncache];
		snprintf(st->name, sizeof(st->name), "agora_%u",
			 db->stmt_seq++);
		r = PQprepare(db->pg, st->name, sql, n, NULL);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
			return r;
		PQclear(r);
		st->sql = xstrdup(sql);
		st->hash = hash;
		st->lite = NULL;
		st->unnamed = false;
		db->ncache++;
	}
	if (!st || st->unnamed)
		return PQexecParams(db->pg, sql, n, NULL, vals, NULL, NULL, 0);

	idle = PQtransactionStatus(db->pg) == PQTRANS_IDLE;
	r = PQexecPrepared(db->pg, st->name, n, vals, NULL, NULL, 0);
	/*
	 * "cached plan must not change result type": a migration changed a
	 * table under a SELECT * since we prepared. The statement did not
	 * run, so outside a transaction it is safe to run it again unnamed;
	 * from now on this text always runs unnamed.
	 */
	if (r && PQresultStatus(r) == PGRES_FATAL_ERROR) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		if (state && !strcmp(state, "0A000") &&
		    PQstatus(db->pg) == CONNECTION_OK) {
			st->unnamed = true;
			if (idle) {
				PQclear(r);
				r = PQexecParams(db->pg, sql, n, NULL, vals,
						 NULL, NULL, 0);
			}
		}
	}
	return r;
}

static int pg_query(struct db *db, struct db_res **res, const char *sql,
		    const struct db_param *params, size_t nparams,
		    struct err *e)
{
	const char **vals = NULL;
	char(*ints)[24] = NULL;
	PGresult *r;
	size_t i;
	int rc = 0;

	if (pg_ensure(db, e))
		return -1;
	if (nparams > 65535)
		return err_set(e, ERR_INTERNAL, "too many parameters");
	if (nparams) {
		vals = xcalloc(nparams, sizeof(*vals));
		ints = xcalloc(nparams, sizeof(*ints));
	}
	for (i = 0; i < nparams; i++) {
		switch (params[i].type) {
		case DB_TEXT: vals[i] = params[i].s; break;
		case DB_INT:
			snprintf(ints[i], sizeof(ints[i]), "%" PRId64,
				 params[i].i);
			vals[i] = ints[i];
			break;
		case DB_NULL: vals[i] = NULL; break;
		}
	}
	r = pg_run(db, sql, vals, (int)nparams);
	if (!r || (PQresultStatus(r) != PGRES_TUPLES_OK &&
		   PQresultStatus(r) != PGRES_COMMAND_OK &&
		   PQresultStatus(r) != PGRES_EMPTY_QUERY)) {
		rc = pg_fail(db, r, e);
		PQclear(r);
	} else if (res) {
		*res = xcalloc(1, sizeof(**res));
		(*res)->pg = r;
		(*res)->rows = PQntuples(r);
		(*res)->cols = PQnfields(r);
	} else {
		PQclear(r);
	}
	free(vals);
	free(ints);
	return rc;
}

static int pg_script(struct db *db, const char *sql, struct err *e)
{
	PGresult *r;
	int rc = 0;

	if (pg_ensure(db, e))
		return -1;
	r = PQexec(db->pg, sql);
	if (!r || (PQresultStatus(r) != PGRES_COMMAND_OK &&
		   PQresultStatus(r) != PGRES_TUPLES_OK &&
		   PQresultStatus(r) != PGRES_EMPTY_QUERY))
		rc = pg_fail(db, r, e);
	PQclear(r);
	return rc;
}

/* ---- SQLite -------------------------------------------------------------- */

static int lite_code(int rc)
{
	if (rc == SQLITE_CONSTRAINT_UNIQUE ||
	    rc == SQLITE_CONSTRAINT_PRIMARYKEY)
		return ERR_CONFLICT;
	switch (rc & 0xff) {
	case SQLITE_CONSTRAINT: return ERR_BAD_REQUEST;
	case SQLITE_BUSY:
	case SQLITE_LOCKED: return ERR_UNAVAILABLE;
	default: return ERR_INTERNAL;
	}
}

static int lite_fail(struct db *db, int rc, struct err *e)
{
	char full[256];

	snprintf(full, sizeof(full), "sqlite: %s",
		 db->lite ? sqlite3_errmsg(db->lite) : sqlite3_errstr(rc));
	return db_fail(e, lite_code(rc), full);
}

static int lite_connect(struct db *db, struct err *e)
{
	static const char pragmas[] = "PRAGMA journal_mode=WAL;"
				      "PRAGMA synchronous=NORMAL;"
				      "PRAGMA foreign_keys=ON;";
	double t0;
	int rc;

	if (db->lite) {
		cache_clear(db);
		sqlite3_close_v2(db->lite);
		db->lite = NULL;
	}
	/* One connection per process: SQLite's own mutexes buy nothing. */
	rc = sqlite3_open_v2(db->url, &db->lite,
			     SQLITE_OPEN_URI | SQLITE_OPEN_READWRITE |
				     SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			     NULL);
	if (rc != SQLITE_OK) {
		/* not a lost server, but the same remedy: retry later */
		err_set(e, ERR_UNAVAILABLE, "sqlite: %s: %s", db->url,
			db->lite ? sqlite3_errmsg(db->lite)
				 : sqlite3_errstr(rc));
		sqlite3_close_v2(db->lite);
		db->lite = NULL;
		db->down = true;
		return -1;
	}
	sqlite3_extended_result_codes(db->lite, 1);
	sqlite3_busy_timeout(db->lite, db->opts.busy_timeout);
	/*
	 * Two processes switching a new file to WAL at once can get SQLITE_BUSY
	 * without the busy handler being asked (it would deadlock): retry
	 * within the busy timeout. An existing WAL file makes this a no-op.
	 */
	t0 = mono_ms();
	while ((rc = sqlite3_exec(db->lite, pragmas, NULL, NULL, NULL)) != 0 &&
	       lite_code(rc) == ERR_UNAVAILABLE &&
	       mono_ms() - t0 < db->opts.busy_timeout)
		usleep(5000);
	/* The search analyzer: products_fts's tokenizer and what the
	 * search queries call. */
	if (rc == SQLITE_OK)
		rc = search_sqlite_register(db->lite);
	if (rc != SQLITE_OK) {
		lite_fail(db, rc, e);
		sqlite3_close_v2(db->lite);
		db->lite = NULL;
		db->down = true;
		return -1;
	}
	db->down = false;
	return 0;
}

static int lite_ensure(struct db *db, struct err *e)
{
	if (!db->down)
		return 0;
	return lite_connect(db, e);
}

/* lite_prepare: the cached statement for sql, prepared if new; *out is
 * NULL on failure. */
static int lite_prepare(struct db *db, const char *sql, sqlite3_stmt **out,
			struct err *e)
{
	struct db_stmt *st;
	sqlite3_stmt *stmt;
	const char *tail;
	uint32_t hash = sql_hash(sql);
	int rc;

	/* The error paths return what err_set() returns, which the compiler
	 * cannot see is -1: without this an optimized build warns that the
	 * caller's statement may be used uninitialized. */
	*out = NULL;
	st = cache_find(db, sql, hash);
	if (st) {
		*out = st->lite;
		return 0;
	}
	rc = sqlite3_prepare_v3(db->lite, sql, -1, SQLITE_PREPARE_PERSISTENT,
				&stmt, &tail);
	if (rc != SQLITE_OK)
		return lite_fail(db, rc, e);
	if (!stmt)
		return err_set(e, ERR_INTERNAL, "sqlite: empty statement");
	tail += strspn(tail, " \t\r\n;");
	if (*tail) {
		sqlite3_finalize(stmt);
		return err_set(e, ERR_INTERNAL,
			       "sqlite: more than one statement");
	}
	if (db->ncache < DB_CACHE_MAX) {
		st = &db->cache[db->ncache++];
	} else {
		st = &db->cache[db->evict];
		db->evict = (db->evict + 1) % DB_CACHE_MAX;
		sqlite3_finalize(st->lite);
		free(st->sql);
	}
	st->sql = xstrdup(sql);
	st->hash = hash;
	st->lite = stmt;
	st->unnamed = false;
	*out = stmt;
	return 0;
}

/*
 * lite_bind: bind params to "$1".."$n" by name, so one SQL text serves both
 * backends and a repeated $1 shares one value. Like PostgreSQL, refuse a
 * parameter the SQL does not use and a placeholder no parameter fills.
 */
static int lite_bind(struct db *db, sqlite3_stmt *stmt,
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
		snprintf(name, sizeof(name), "$%zu", i + 1);
		idx = sqlite3_bind_parameter_index(stmt, name);
		if (!idx)
			return err_set(e, ERR_INTERNAL,
				       "sqlite: parameter %s unused", name);
		switch (params[i].type) {
		case DB_TEXT:
			/* static: bindings are cleared before db_query
			 * returns */
			rc = params[i].s
				     ? sqlite3_bind_text(stmt, idx, params[i].s,
							 -1, SQLITE_STATIC)
				     : sqlite3_bind_null(stmt, idx);
			break;
		case DB_INT:
			rc = sqlite3_bind_int64(stmt, idx, params[i].i);
			break;
		case DB_NULL: rc = sqlite3_bind_null(stmt, idx); break;
		}
		if (rc != SQLITE_OK)
			return lite_fail(db, rc, e);
	}
	return 0;
}

static void res_add_row(struct db_res *r, sqlite3_stmt *stmt)
{
	char **row;
	size_t c;

	if (r->rows == r->alloc) {
		r->alloc = r->alloc ? 2 * r->alloc : 8;
		r->cells =
			xrealloc(r->cells, r->alloc * (r->cols ? r->cols : 1) *
						   sizeof(*r->cells));
	}
	row = r->cells + r->rows * r->cols;
	for (c = 0; c < r->cols; c++) {
		if (sqlite3_column_type(stmt, (int)c) == SQLITE_NULL) {
			row[c] = NULL;
			continue;
		}
		/* text first, then its length: the documented safe order */
		row[c] = (char *)sqlite3_column_text(stmt, (int)c);
		row[c] = xmemdupz(row[c] ? row[c] : "",
				  sqlite3_column_bytes(stmt, (int)c));
	}
	r->rows++;
}

static int lite_query(struct db *db, struct db_res **res, const char *sql,
		      const struct db_param *params, size_t nparams,
		      struct err *e)
{
	sqlite3_stmt *stmt;
	struct db_res *r = NULL;
	size_t c;
	int rc;

	if (lite_ensure(db, e) || lite_prepare(db, sql, &stmt, e))
		return -1;
	if (lite_bind(db, stmt, params, nparams, e)) {
		sqlite3_clear_bindings(stmt);
		return -1;
	}
	if (res) {
		r = xcalloc(1, sizeof(*r));
		r->cols = sqlite3_column_count(stmt);
		r->names = xcalloc(r->cols ? r->cols : 1, sizeof(*r->names));
		for (c = 0; c < r->cols; c++)
			r->names[c] =
				xstrdup(sqlite3_column_name(stmt, (int)c));
	}
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
		if (r)
			res_add_row(r, stmt);
	/* reset returns the step's error again; keep the step's code */
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	if (rc != SQLITE_DONE) {
		db_res_free(r);
		return lite_fail(db, rc, e);
	}
	if (res)
		*res = r;
	return 0;
}

static int lite_script(struct db *db, const char *sql, struct err *e)
{
	int rc;

	if (lite_ensure(db, e))
		return -1;
	rc = sqlite3_exec(db->lite, sql, NULL, NULL, NULL);
	if (rc != SQLITE_OK)
		return lite_fail(db, sqlite3_extended_errcode(db->lite), e);
	return 0;
}

/* ---- the interface ------------------------------------------------------- */

bool db_is_postgres_url(const char *url)
{
	return url && (!strncmp(url, "postgresql://", 13) ||
		       !strncmp(url, "postgres://", 11));
}

int db_open(struct db **out, const char *url, const struct db_opts *opts,
	    struct err *e)
{
	struct db *db;
	int rc;

	*out = NULL;
	if (!url || !*url)
		return err_set(e, ERR_BAD_REQUEST, "no database URL");
	/* a scheme other than postgres names no backend; "file:" has no
	 * "//" requirement and a plain path has no scheme */
	if (!db_is_postgres_url(url) && strstr(url, "://") &&
	    strncmp(url, "file:", 5))
		return err_set(e, ERR_BAD_REQUEST,
			       "unsupported database URL scheme");

	db = xcalloc(1, sizeof(*db));
	db->dialect = db_is_postgres_url(url) ? DB_POSTGRES : DB_SQLITE;
	db->url = xstrdup(url);
	if (opts)
		db->opts = *opts;
	if (db->opts.connect_timeout <= 0)
		db->opts.connect_timeout = 3;
	if (db->opts.statement_timeout <= 0)
		db->opts.statement_timeout = 5000;
	if (db->opts.busy_timeout <= 0)
		db->opts.busy_timeout = 5000;
	db->down = true;

	*out = db;
	if (db->dialect == DB_POSTGRES)
		rc = pg_connect(db, e);
	else
		rc = lite_connect(db, e);
	return rc;
}

void db_free(struct db *db)
{
	if (!db)
		return;
	cache_clear(db);
	if (db->pg)
		PQfinish(db->pg);
	if (db->lite)
		sqlite3_close_v2(db->lite);
	free(db->url);
	free(db);
}

enum db_dialect db_dialect(const struct db *db)
{
	return db->dialect;
}

int db_query(struct db *db, struct db_res **res, const char *sql,
	     const struct db_param *params, size_t nparams, struct err *e)
{
	double t0 = mono_ms();
	int rc;

	if (res)
		*res = NULL;
	if (db->dialect == DB_POSTGRES)
		rc = pg_query(db, res, sql, params, nparams, e);
	else
		rc = lite_query(db, res, sql, params, nparams, e);
	db->stats_count++;
	db->stats_ms += mono_ms() - t0;
	if (rc && db->in_tx)
		db->tx_failed = true;
	return rc;
}

int db_exec_script(struct db *db, const char *sql, struct err *e)
{
	double t0 = mono_ms();
	int rc;

	if (db->dialect == DB_POSTGRES)
		rc = pg_script(db, sql, e);
	else
		rc = lite_script(db, sql, e);
	db->stats_count++;
	db->stats_ms += mono_ms() - t0;
	if (rc && db->in_tx)
		db->tx_failed = true;
	return rc;
}

static int db_begin_sql(struct db *db, const char *sql, struct err *e)
{
	if (db->in_tx)
		return err_set(e, ERR_INTERNAL, "transaction already open");
	if (db_exec_script(db, sql, e))
		return -1;
	db->in_tx = true;
	db->tx_failed = false;
	return 0;
}

int db_begin(struct db *db, struct err *e)
{
	return db_begin_sql(db, db->dialect == DB_POSTGRES ?
			    "BEGIN" : "BEGIN IMMEDIATE", e);
}

/*
 * One snapshot for several reads. A deferred SQLite transaction in WAL
 * mode reads from the snapshot its first SELECT takes until it ends; on
 * PostgreSQL REPEATABLE READ gives the same, and READ ONLY says so.
 */
int db_begin_read(struct db *db, struct err *e)
{
	return db_begin_sql(db, db->dialect == DB_POSTGRES ?
			    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" :
			    "BEGIN DEFERRED", e);
}

/*
 * A transaction in which a statement failed never commits, on either
 * backend: PostgreSQL would answer COMMIT with a silent ROLLBACK, and
 * SQLite would commit the statements that did succeed.
 */
int db_commit(struct db *db, struct err *e)
{
	if (!db->in_tx)
		return err_set(e, ERR_INTERNAL, "no transaction to commit");
	if (db->tx_failed) {
		db_rollback(db);
		return err_set(e, ERR_INTERNAL,
			       "transaction rolled back after a failure");
	}
	if (db_exec_script(db, "COMMIT", e)) {
		db_rollback(db);
		return -1;
	}
	db->in_tx = false;
	return 0;
}

void db_rollback(struct db *db)
{
	struct err ignored = ERR_INIT;

	db->in_tx = false;
	db->tx_failed = false;
	if (db->dialect == DB_POSTGRES) {
		if (db->down || PQstatus(db->pg) != CONNECTION_OK ||
		    PQtransactionStatus(db->pg) == PQTRANS_IDLE)
			return;
	} else if (db->down || sqlite3_get_autocommit(db->lite)) {
		return;
	}
	db_exec_script(db, "ROLLBACK", &ignored);
	err_release(&ignored);
}

int db_ping(struct db *db, struct err *e)
{
	struct err first = ERR_INIT;
	int rc;

	rc = db_query(db, NULL, "SELECT 1", DB_NOARGS, &first);
	/* A connection found broken by this very ping may just be stale
	 * (server restarted): one fresh attempt tells the truth. */
	if (rc && db->down && !db->in_tx) {
		err_release(&first);
		rc = db_query(db, NULL, "SELECT 1", DB_NOARGS, &first);
	}
	if (rc)
		err_set(e, first.code, "%s", first.msg);
	err_release(&first);
	return rc;
}

void db_stats_reset(struct db *db)
{
	db->stats_count = 0;
	db->stats_ms = 0;
}

unsigned db_stats_count(const struct db *db)
{
	return db->stats_count;
}

double db_stats_ms(const struct db *db)
{
	return db->stats_ms;
}

/* ---- results ------------------------------------------------------------- */

size_t db_res_rows(const struct db_res *res)
{
	return res ? res->rows : 0;
}

size_t db_res_cols(const struct db_res *res)
{
	return res ? res->cols : 0;
}

const char *db_res_name(const struct db_res *res, size_t col)
{
	if (!res || col >= res->cols)
		return NULL;
	if (res->pg)
		return PQfname(res->pg, (int)col);
	return res->names[col];
}

const char *db_res_str(const struct db_res *res, size_t row, size_t col)
{
	if (!res || row >= res->rows || col >= res->cols)
		return NULL;
	if (res->pg)
		return PQgetisnull(res->pg, (int)row, (int)col)
			       ? NULL
			       : PQgetvalue(res->pg, (int)row, (int)col);
	return res->cells[row * res->cols + col];
}

bool db_res_isnull(const struct db_res *res, size_t row, size_t col)
{
	return db_res_str(res, row, col) == NULL;
}

int64_t db_res_int(const struct db_res *res, size_t row, size_t col)
{
	const char *s = db_res_str(res, row, col);

	return s ? strtoll(s, NULL, 10) : 0;
}

/* digits: n decimal digits at *p, advancing it; -1 if not there. */
static int digits(const char **p, int n)
{
	int v = 0;

	while (n--) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (*(*p)++ - '0');
	}
	return v;
}

/*
 * parse_time: "YYYY-MM-DD[T ]HH:MM:SS[.frac][Z|±HH[:MM[:SS]]]", the text
 * of a PostgreSQL timestamptz (DateStyle ISO) or a SQLite ISO string, as a
 * UTC time. No zone means UTC.
 */
static int parse_time(const char *s, struct tm *tm, int *ms)
{
	int off = 0, sign, h, m = 0, sec = 0, scale;

	memset(tm, 0, sizeof(*tm));
	if ((tm->tm_year = digits(&s, 4)) < 0 || *s++ != '-' ||
	    (tm->tm_mon = digits(&s, 2)) < 0 || *s++ != '-' ||
	    (tm->tm_mday = digits(&s, 2)) < 0 || (*s != 'T' && *s != ' '))
		return -1;
	s++;
	if ((tm->tm_hour = digits(&s, 2)) < 0 || *s++ != ':' ||
	    (tm->tm_min = digits(&s, 2)) < 0 || *s++ != ':' ||
	    (tm->tm_sec = digits(&s, 2)) < 0)
		return -1;
	*ms = 0;
	if (*s == '.') {
		/* truncate to milliseconds, as PostgreSQL's own to_char */
		s++;
		for (scale = 100; *s >= '0' && *s <= '9'; s++, scale /= 10)
			*ms += (*s - '0') * scale;
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		sign = *s++ == '-' ? -1 : 1;
		if ((h = digits(&s, 2)) < 0)
			return -1;
		if (*s == ':')
			s++;
		if (*s >= '0' && *s <= '9' && (m = digits(&s, 2)) < 0)
			return -1;
		if (*s == ':')
			s++;
		if (*s >= '0' && *s <= '9' && (sec = digits(&s, 2)) < 0)
			return -1;
		off = sign * (h * 3600 + m * 60 + sec);
	}
	if (*s)
		return -1;
	tm->tm_year -= 1900;
	tm->tm_mon -= 1;
	if (off) {
		time_t t = timegm(tm) - off;

		if (!gmtime_r(&t, tm))
			return -1;
	}
	return 0;
}

static void format_time(char buf[32], const struct tm *tm, int ms)
{
	snprintf(buf, 32, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		 (tm->tm_year + 1900) % 10000, (tm->tm_mon + 1) % 100,
		 tm->tm_mday % 100, tm->tm_hour % 100, tm->tm_min % 100,
		 tm->tm_sec % 100, ms % 1000);
}

const char *db_res_time(const struct db_res *res, size_t row, size_t col,
			char buf[32])
{
	const char *s = db_res_str(res, row, col);
	struct tm tm;
	int ms;

	if (!s)
		return NULL;
	/* "infinity" and other oddities pass through unchanged */
	if (parse_time(s, &tm, &ms)) {
		snprintf(buf, 32, "%s", s);
		return buf;
	}
	format_time(buf, &tm, ms);
	return buf;
}

void db_res_free(struct db_res *res)
{
	size_t i;

	if (!res)
		return;
	if (res->pg)
		PQclear(res->pg);
	for (i = 0; res->cells && i < res->rows * res->cols; i++)
		free(res->cells[i]);
	for (i = 0; res->names && i < res->cols; i++)
		free(res->names[i]);
	free(res->cells);
	free(res->names);
	free(res);
}

void db_now(char buf[32])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	format_time(buf, &tm, (int)(ts.tv_nsec / 1000000));
}
