/* t-db.c: one battery on SQLite always, on PostgreSQL when configured. */
#include "common.h"
#include "db.h"
#include "tap.h"
#include "testdb.h"

#include <inttypes.h>
#include <time.h>
#include <unistd.h>

static const char weird[] = "O'Brien \"quoted\" \\ back 한국어";

/* q: run sql, expecting success; the rows go to *res if res. */
static int q(struct db *db, struct db_res **res, const char *sql,
	     const struct db_param *p, size_t n)
{
	struct err e = ERR_INIT;
	int rc = db_query(db, res, sql, p, n, &e);

	if (rc)
		printf("# %s: %d %s\n", sql, e.code, e.msg);
	err_release(&e);
	return rc;
}

/* qcode: run sql, answer the err code (0 on success). */
static int qcode(struct db *db, const char *sql, const struct db_param *p,
		 size_t n)
{
	struct err e = ERR_INIT;
	int code;

	if (!db_query(db, NULL, sql, p, n, &e))
		return 0;
	code = e.code;
	printf("# %s -> %d %s\n", sql, e.code, e.msg);
	if (!e.msg[0])
		code = -1; /* every failure must explain itself */
	err_release(&e);
	return code;
}

/* one_int: the first column of the first row as an integer, or -999. */
static int64_t one_int(struct db *db, const char *sql, const struct db_param *p,
		       size_t n)
{
	struct db_res *res = NULL;
	int64_t v = -999;

	if (!q(db, &res, sql, p, n) && db_res_rows(res) == 1)
		v = db_res_int(res, 0, 0);
	db_res_free(res);
	return v;
}

static int64_t count_name(struct db *db, const char *name)
{
	return one_int(db, "SELECT count(*) FROM t WHERE name = $1",
		       DB_ARGS(DB_S(name)));
}

static int64_t insert(struct db *db, const char *name, struct db_param n,
		      struct db_param note, int64_t qty)
{
	return one_int(db,
		       "INSERT INTO t (name, n, note, qty)"
		       " VALUES ($1, $2, $3, $4) RETURNING id",
		       DB_ARGS(DB_S(name), n, note, DB_I(qty)));
}

/* time_of: db_res_time of a text value round-tripped through the db. */
static void time_of(struct db *db, const char *tag, const char *in,
		    const char *want)
{
	struct db_res *res = NULL;
	char buf[32];

	if (q(db, &res, "SELECT CAST($1 AS text)", DB_ARGS(DB_S(in)))) {
		ok(0, "%s: time %s", tag, in);
		return;
	}
	is_str(db_res_time(res, 0, 0, buf), want, "%s: time %s", tag, in);
	db_res_free(res);
	ok(db_res_str(NULL, 0, 0) == NULL && db_res_rows(NULL) == 0 &&
		   db_res_int(NULL, 0, 0) == 0,
	   "%s: a NULL result reads as empty", tag);
	db_res_free(NULL);
}

static void battery_rows(struct db *db, const char *tag)
{
	struct db_res *res = NULL;
	int64_t id1, id2, id3;

	id1 = insert(db, weird, DB_I(INT64_MAX), DB_NUL, 1);
	id2 = insert(db, "min", DB_I(INT64_MIN), DB_S(NULL), 0);
	ok(id1 > 0, "%s: RETURNING gives an id", tag);
	ok(id2 > id1, "%s: ids grow", tag);

	if (!q(db, &res, "SELECT name, n, note, qty FROM t WHERE id = $1",
	       DB_ARGS(DB_I(id1)))) {
		is_int(db_res_rows(res), 1, "%s: one row", tag);
		ok(db_res_str(res, 0, 3) && !db_res_str(res, 0, 4),
		   "%s: four columns, past the last one NULL", tag);
		is_str(db_res_str(res, 0, 0), weird,
		       "%s: quotes, backslash and Korean survive", tag);
		is_int(db_res_int(res, 0, 1), INT64_MAX, "%s: INT64_MAX", tag);
		ok(db_res_isnull(res, 0, 2), "%s: NULL param is NULL", tag);
		ok(db_res_str(res, 0, 2) == NULL, "%s: NULL reads NULL", tag);
		is_int(db_res_int(res, 0, 3), 1, "%s: int column", tag);
	} else {
		ok(0, "%s: select back", tag);
	}
	db_res_free(res);
	res = NULL;
	if (!q(db, &res, "SELECT n, note FROM t WHERE id = $1",
	       DB_ARGS(DB_I(id2)))) {
		is_str(db_res_str(res, 0, 0), "-9223372036854775808",
		       "%s: INT64_MIN as text", tag);
		is_int(db_res_int(res, 0, 0), INT64_MIN, "%s: INT64_MIN", tag);
		ok(db_res_isnull(res, 0, 1), "%s: DB_S(NULL) is NULL", tag);
	} else {
		ok(0, "%s: select min", tag);
	}
	db_res_free(res);
	res = NULL;

	/* one parameter, two places */
	id3 = one_int(db,
		      "INSERT INTO t (name, note) VALUES ($1, $1)"
		      " RETURNING id",
		      DB_ARGS(DB_S("dup")));
	ok(id3 > id2, "%s: insert with $1 twice", tag);
	is_int(one_int(db,
		       "SELECT count(*) FROM t"
		       " WHERE name = $1 AND note = $1",
		       DB_ARGS(DB_S("dup"))),
	       1, "%s: $1 twice in WHERE", tag);
	is_int(one_int(db,
		       "SELECT count(*) FROM t WHERE name = $2 OR"
		       " (n = $1 AND qty = $3) OR note = $2",
		       DB_ARGS(DB_I(INT64_MAX), DB_S("min"), DB_I(1))),
	       2, "%s: $2 before $1, $2 twice", tag);

	if (!q(db, &res, "SELECT id FROM t WHERE id < 0", DB_NOARGS)) {
		is_int(db_res_rows(res), 0, "%s: empty result", tag);
		ok(db_res_str(res, 0, 0) == NULL, "%s: past the end is NULL",
		   tag);
	} else {
		ok(0, "%s: empty select", tag);
	}
	db_res_free(res);
}

static void battery_errors(struct db *db, const char *tag)
{
	is_int(qcode(db, "INSERT INTO t (name) VALUES ($1)",
		     DB_ARGS(DB_S(weird))),
	       ERR_CONFLICT, "%s: unique violation is a conflict", tag);
	is_int(qcode(db, "INSERT INTO t (name, qty) VALUES ($1, $2)",
		     DB_ARGS(DB_S("neg"), DB_I(-1))),
	       ERR_BAD_REQUEST, "%s: check violation is a bad request", tag);
	is_int(qcode(db, "INSERT INTO t (name) VALUES ($1)", DB_ARGS(DB_NUL)),
	       ERR_BAD_REQUEST, "%s: NOT NULL violation is a bad request", tag);
	is_int(qcode(db, "SELEC 1", DB_NOARGS), ERR_INTERNAL,
	       "%s: syntax error is internal", tag);
	is_int(qcode(db, "SELECT * FROM no_such_table", DB_NOARGS),
	       ERR_INTERNAL, "%s: unknown table is internal", tag);
	is_int(qcode(db, "SELECT count(*) FROM t WHERE name = $1",
		     DB_ARGS(DB_S("a"), DB_S("b"))),
	       ERR_INTERNAL, "%s: unused parameter is refused", tag);
	is_int(qcode(db, "SELECT count(*) FROM t WHERE name = $1 OR note = $2",
		     DB_ARGS(DB_S("a"))),
	       ERR_INTERNAL, "%s: missing parameter is refused", tag);
	is_int(count_name(db, "neg"), 0, "%s: failed insert left nothing", tag);
}

static void battery_tx(struct db *db, struct db *db2, const char *tag)
{
	struct err e = ERR_INIT;

	ok(!db_begin(db, &e), "%s: begin", tag);
	insert(db, "tx1", DB_NUL, DB_NUL, 0);
	is_int(count_name(db, "tx1"), 1, "%s: own write visible", tag);
	is_int(count_name(db2, "tx1"), 0,
	       "%s: uncommitted write invisible to others", tag);
	db_rollback(db);
	is_int(count_name(db, "tx1"), 0, "%s: rolled back", tag);

	ok(!db_begin(db, &e), "%s: begin again", tag);
	insert(db, "tx2", DB_NUL, DB_NUL, 0);
	ok(!db_commit(db, &e), "%s: commit", tag);
	is_int(count_name(db2, "tx2"), 1, "%s: committed write visible", tag);

	/* a transaction in which a statement failed does not commit */
	ok(!db_begin(db, &e), "%s: begin a doomed one", tag);
	insert(db, "tx3", DB_NUL, DB_NUL, 0);
	is_int(qcode(db, "INSERT INTO t (name) VALUES ($1)",
		     DB_ARGS(DB_S("tx2"))),
	       ERR_CONFLICT, "%s: conflict inside a transaction", tag);
	ok(db_commit(db, &e) == -1 && e.code == ERR_INTERNAL,
	   "%s: commit after a failure refuses", tag);
	err_release(&e);
	is_int(count_name(db2, "tx3"), 0, "%s: and rolled back", tag);
	is_int(count_name(db, "tx3"), 0, "%s: on its own connection", tag);

	db_rollback(db); /* nothing open: harmless */
	ok(!db_ping(db, &e), "%s: usable after all that", tag);
	ok(db_commit(db, &e) == -1, "%s: commit without begin fails", tag);
	err_release(&e);
	ok(!db_begin(db, &e) && db_begin(db, &e) == -1, "%s: no nested begin",
	   tag);
	err_release(&e);
	db_rollback(db);
}

static void battery_time(struct db *db, const char *tag)
{
	struct db_res *res = NULL;
	char now[32], buf[32];
	int64_t id;

	db_now(now);
	ok(strlen(now) == 24 && now[10] == 'T' && now[19] == '.' &&
		   now[23] == 'Z',
	   "%s: db_now shape %s", tag, now);
	id = insert(db, "when", DB_NUL, DB_NUL, 0);
	q(db, NULL, "UPDATE t SET ts = $1 WHERE id = $2",
	  DB_ARGS(DB_S(now), DB_I(id)));
	if (!q(db, &res, "SELECT ts, note FROM t WHERE id = $1",
	       DB_ARGS(DB_I(id)))) {
		is_str(db_res_time(res, 0, 0, buf), now,
		       "%s: db_now round-trips through a timestamp", tag);
		ok(db_res_time(res, 0, 1, buf) == NULL, "%s: NULL time is NULL",
		   tag);
	} else {
		ok(0, "%s: select ts", tag);
	}
	db_res_free(res);
	res = NULL;
	/* the zone is honoured whichever backend stored it */
	q(db, NULL, "UPDATE t SET ts = $1 WHERE id = $2",
	  DB_ARGS(DB_S("2026-11-24 16:24:26.123456+02"), DB_I(id)));
	if (!q(db, &res, "SELECT ts FROM t WHERE id = $1", DB_ARGS(DB_I(id))))
		is_str(db_res_time(res, 0, 0, buf), "2026-11-24T14:24:26.123Z",
		       "%s: stored with an offset, read as UTC", tag);
	db_res_free(res);

	time_of(db, tag, "2026-11-24 14:24:26.123456+00",
		"2026-11-24T14:24:26.123Z");
	time_of(db, tag, "2026-11-24T14:24:26.123Z",
		"2026-11-24T14:24:26.123Z");
	time_of(db, tag, "2026-11-24 14:24:26+00", "2026-11-24T14:24:26.000Z");
	time_of(db, tag, "2026-11-24 14:24:26.9", "2026-11-24T14:24:26.900Z");
	time_of(db, tag, "2026-11-24 00:10:00-05:30",
		"2026-11-24T05:40:00.000Z");
	time_of(db, tag, "2026-12-31 23:30:00.5-01",
		"2027-01-01T00:30:00.500Z");
	time_of(db, tag, "infinity", "infinity");
}

static void battery_stats(struct db *db, const char *tag)
{
	db_stats_reset(db);
	is_int(db_stats_count(db), 0, "%s: stats reset", tag);
	ok(db_stats_ms(db) == 0, "%s: stats time reset", tag);
	count_name(db, "a");
	count_name(db, "b");
	qcode(db, "SELEC 1", DB_NOARGS);
	is_int(db_stats_count(db), 3, "%s: three statements counted", tag);
	ok(db_stats_ms(db) > 0, "%s: time accumulated (%.3f ms)", tag,
	   db_stats_ms(db));
}

/* battery_cache: more distinct statements than the statement cache holds,
 * then the first ones again (evicted or run unnamed). */
static void battery_cache(struct db *db, const char *tag)
{
	int i, round, bad = 0;
	char *sql;

	for (round = 0; round < 2; round++) {
		for (i = 0; i < 300; i++) {
			sql = xasprintf("SELECT %d + $1", i);
			if (one_int(db, sql, DB_ARGS(DB_I(1))) != i + 1)
				bad++;
			free(sql);
		}
	}
	is_int(bad, 0, "%s: 600 statements past the cache", tag);
}

/* blob_is: is cell (row, col) of res the n bytes at want? */
static void blob_is(const struct db_res *res, size_t row, size_t col,
		    const void *want, size_t n, const char *tag,
		    const char *what)
{
	size_t len = 99;
	const unsigned char *got = db_res_blob(res, row, col, &len);

	if (!ok(got && len == n && !memcmp(got, want, n), "%s: %s, %zu bytes",
		tag, what, n))
		printf("#   got %s, %zu bytes\n", got ? "bytes" : "NULL", len);
}

/* blob_null: does db_res_blob() answer NULL and a length of 0? */
static void blob_null(const struct db_res *res, size_t row, size_t col,
		      const char *tag, const char *what)
{
	size_t len = 99;

	ok(db_res_blob(res, row, col, &len) == NULL && len == 0, "%s: %s", tag,
	   what);
}

#define BIG 100000

/* battery_blob: blobs in and out: NULs, 0xff, empty, NULL, large, and
 * as a WHERE parameter. */
static void battery_blob(struct db *db, const char *tag)
{
	static const unsigned char bytes[] = { 'a', 0, 0xff, 'b', 0 };
	static const unsigned char other[] = { 'a', 0, 0xfe, 'b', 0 };
	static const char ins[] = "INSERT INTO b (id, data, name)"
				  " VALUES ($1, $2, $3)";
	bool pg = db_dialect(db) == DB_POSTGRES;
	struct db_res *res = NULL;
	const unsigned char *p1, *p2;
	unsigned char *big = xmalloc(BIG);
	uint32_t x = 2463534242u;
	size_t i, len;

	/* xorshift: pseudo-random bytes, no pattern to hide a slip */
	for (i = 0; i < BIG; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		big[i] = (unsigned char)(x >> 24);
	}
	ok(!q(db, NULL,
	      pg ? "CREATE TABLE b (id integer PRIMARY KEY, data bytea,"
		   " name text)" :
		   "CREATE TABLE b (id integer PRIMARY KEY, data BLOB,"
		   " name text)",
	      DB_NOARGS),
	   "%s: create a table with a blob column", tag);
	ok(!q(db, NULL, ins,
	      DB_ARGS(DB_I(1), DB_B(bytes, sizeof(bytes)), DB_S("nul"))) &&
		   !q(db, NULL, ins,
		      DB_ARGS(DB_I(2), DB_B("", 0), DB_S("empty"))) &&
		   !q(db, NULL, ins,
		      DB_ARGS(DB_I(3), DB_B(NULL, 0), DB_S("null"))) &&
		   !q(db, NULL, ins, DB_ARGS(DB_I(4), DB_B(big, BIG), DB_NUL)),
	   "%s: insert four blobs", tag);

	if (!q(db, &res, "SELECT data, length(data), name FROM b ORDER BY id",
	       DB_NOARGS)) {
		is_int(db_res_rows(res), 4, "%s: four blob rows", tag);
		blob_is(res, 0, 0, bytes, sizeof(bytes), tag,
			"NUL and 0xff read back");
		is_int(db_res_int(res, 0, 1), sizeof(bytes),
		       "%s: the database holds the bytes, not text", tag);
		p1 = db_res_blob(res, 0, 0, &len);
		p2 = db_res_blob(res, 0, 0, &len);
		ok(p1 == p2 && len == sizeof(bytes) &&
			   !memcmp(p2, bytes, sizeof(bytes)),
		   "%s: the same cell twice, the same bytes", tag);
		blob_is(res, 1, 0, "", 0, tag, "an empty blob");
		ok(!db_res_isnull(res, 1, 0), "%s: an empty blob is not NULL",
		   tag);
		is_int(db_res_int(res, 1, 1), 0, "%s: of length 0", tag);
		blob_null(res, 2, 0, tag, "NULL reads as NULL, length 0");
		ok(db_res_isnull(res, 2, 0), "%s: a NULL blob is NULL", tag);
		blob_is(res, 3, 0, big, BIG, tag, "a large blob read back");
		is_int(db_res_int(res, 3, 1), BIG, "%s: stored whole", tag);
		blob_is(res, 0, 2, "nul", 3, tag, "a text column's bytes");
		blob_null(res, 4, 0, tag, "past the last row: NULL");
		blob_null(res, 0, 3, tag, "past the last column: NULL");
	} else {
		ok(0, "%s: select blobs", tag);
	}
	db_res_free(res);
	res = NULL;
	blob_null(NULL, 0, 0, tag, "a NULL result: NULL");

	is_int(one_int(db, "SELECT id FROM b WHERE data = $1",
		       DB_ARGS(DB_B(bytes, sizeof(bytes)))),
	       1, "%s: a blob as a WHERE parameter", tag);
	is_int(one_int(db, "SELECT count(*) FROM b WHERE data = $1",
		       DB_ARGS(DB_B(other, sizeof(other)))),
	       0, "%s: a byte past the NUL counts", tag);
	is_int(one_int(db, "SELECT count(*) FROM b WHERE data = $1",
		       DB_ARGS(DB_B(bytes, 1))),
	       0, "%s: and so does the length", tag);
	is_int(one_int(db, "SELECT id FROM b WHERE data = $1",
		       DB_ARGS(DB_B("", 0))),
	       2, "%s: an empty blob parameter is not NULL", tag);
	is_int(one_int(db, DB_PLAN_EACH "SELECT id FROM b WHERE data = $1",
		       DB_ARGS(DB_B(big, BIG))),
	       4, "%s: a large blob parameter, unprepared", tag);
	is_int(one_int(db,
		       "SELECT count(*) FROM b"
		       " WHERE data = $1 OR (data IS NULL AND $1 IS NULL)",
		       DB_ARGS(DB_B(NULL, 0))),
	       1, "%s: a NULL pointer is NULL", tag);

	if (!q(db, &res, pg ? "SELECT $1::bytea" : "SELECT $1",
	       DB_ARGS(DB_B(bytes, sizeof(bytes)))))
		blob_is(res, 0, 0, bytes, sizeof(bytes), tag,
			"a parameter cast and back");
	else
		ok(0, "%s: select a blob parameter", tag);
	db_res_free(res);
	free(big);
}

/* battery: the same checks on either backend; db2 is a second connection
 * to the same database. */
static void battery(struct db *db, struct db *db2, const char *tag)
{
	const char *ddl =
		db_dialect(db) == DB_POSTGRES ?
			"CREATE TABLE t (id bigint GENERATED ALWAYS AS "
			"IDENTITY"
			" PRIMARY KEY, name text NOT NULL UNIQUE, n bigint,"
			" note text, qty integer CHECK (qty >= 0), ts "
			"timestamptz)" :
			"CREATE TABLE t (id INTEGER PRIMARY KEY,"
			" name text NOT NULL UNIQUE, n bigint,"
			" note text, qty integer CHECK (qty >= 0), ts text)";
	struct err e = ERR_INIT;

	ok(!q(db, NULL, ddl, DB_NOARGS), "%s: create table", tag);
	ok(!db_ping(db, &e), "%s: ping", tag);
	battery_rows(db, tag);
	battery_errors(db, tag);
	battery_tx(db, db2, tag);
	battery_time(db, tag);
	battery_stats(db, tag);
	battery_cache(db, tag);
	battery_blob(db, tag);
	err_release(&e);
}

static void test_urls(void)
{
	struct db *db = NULL;
	struct err e = ERR_INIT;
	struct db_opts o = { .connect_timeout = 1 };

	ok(db_is_postgres_url("postgresql://u@h/d"), "postgresql:// is pg");
	ok(db_is_postgres_url("postgres://h"), "postgres:// is pg");
	ok(!db_is_postgres_url("file:./var/dev.db"), "file: is not pg");
	ok(!db_is_postgres_url(NULL), "NULL is not pg");

	ok(db_open(&db, "mysql://h/d", NULL, &e) == -1 &&
		   e.code == ERR_BAD_REQUEST && db == NULL,
	   "unknown scheme refused");
	err_release(&e);
	ok(db_open(&db, "", NULL, &e) == -1 && e.code == ERR_BAD_REQUEST,
	   "empty URL refused");
	err_release(&e);

	/* nothing listens on port 1: down, but a usable handle */
	ok(db_open(&db, "postgresql://postgres@127.0.0.1:1/x", &o, &e) == -1 &&
		   e.code == ERR_UNAVAILABLE && db != NULL,
	   "unreachable server: unavailable, handle kept");
	err_release(&e);
	if (db) {
		is_int(db_dialect(db), DB_POSTGRES, "dialect of a pg URL");
		is_int(qcode(db, "SELECT 1", DB_NOARGS), ERR_UNAVAILABLE,
		       "query on a down server: unavailable");
		ok(db_ping(db, &e) == -1 && e.code == ERR_UNAVAILABLE,
		   "ping on a down server: unavailable");
		err_release(&e);
		db_rollback(db);
	}
	db_free(db);
	db = NULL;

	ok(db_open(&db, "file:/nonexistent-agora-dir/x.db", NULL, &e) == -1 &&
		   e.code == ERR_UNAVAILABLE && db != NULL,
	   "SQLite in a missing directory: unavailable");
	err_release(&e);
	ok(access("/nonexistent-agora-dir", F_OK) == -1,
	   "the parent directory is not created");
	if (db)
		is_int(qcode(db, "SELECT 1", DB_NOARGS), ERR_UNAVAILABLE,
		       "and stays so");
	db_free(db);
}

static void test_sqlite(void)
{
	char *path = testdb_sqlite_path("db");
	char *url = xasprintf("file:%s", path);
	struct db *db = NULL, *db2 = NULL;
	struct db_res *res = NULL;
	struct err e = ERR_INIT;

	ok(!db_open(&db, url, NULL, &e), "sqlite: open %s", url);
	ok(!db_open(&db2, path, NULL, &e), "sqlite: open plain path");
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
	if (!db || !db2)
		goto out;
	is_int(db_dialect(db), DB_SQLITE, "sqlite: dialect");
	if (!q(db, &res, "PRAGMA journal_mode", DB_NOARGS))
		is_str(db_res_str(res, 0, 0), "wal", "sqlite: WAL journal");
	db_res_free(res);
	is_int(one_int(db, "PRAGMA foreign_keys", DB_NOARGS), 1,
	       "sqlite: foreign keys on");
	is_int(qcode(db, "SELECT 1; SELECT 2", DB_NOARGS), ERR_INTERNAL,
	       "sqlite: one statement per query");
	ok(db_listen(db, "t_chan", &e) == -1 && e.code == ERR_INTERNAL,
	   "sqlite: no notifications to listen to");
	err_release(&e);
	ok(db_wait_notify(db, 0, &e) == -1 && e.code == ERR_INTERNAL,
	   "sqlite: nor to wait for");
	err_release(&e);

	battery(db, db2, "sqlite");

	/* the write lock is held: a second writer gives up after the busy
	 * timeout with "unavailable" */
	{
		struct db *db3 = NULL;
		struct db_opts o = { .busy_timeout = 50 };

		if (!db_open(&db3, url, &o, &e) && !db_begin(db, &e)) {
			is_int(qcode(db3, "INSERT INTO t (name) VALUES ($1)",
				     DB_ARGS(DB_S("busy"))),
			       ERR_UNAVAILABLE,
			       "sqlite: busy database is unavailable");
			db_rollback(db);
		} else {
			ok(0, "sqlite: busy setup: %s", e.msg);
		}
		err_release(&e);
		db_free(db3);
	}
out:
	db_free(db);
	db_free(db2);
	testdb_sqlite_unlink(path);
	free(url);
	free(path);
}

/* test_pg_replan: a table changed under a cached SELECT * still answers. */
static void test_pg_replan(struct db *db)
{
	struct db_res *res = NULL;
	int i;

	q(db, NULL, "CREATE TABLE r (a integer)", DB_NOARGS);
	q(db, NULL, "INSERT INTO r VALUES (1)", DB_NOARGS);
	for (i = 0; i < 2; i++) {
		if (!q(db, &res, "SELECT * FROM r", DB_NOARGS))
			ok(db_res_str(res, 0, i) && !db_res_str(res, 0, i + 1),
			   "pg: SELECT * sees %d column(s)", i + 1);
		else
			ok(0, "pg: SELECT * after ALTER TABLE");
		db_res_free(res);
		res = NULL;
		q(db, NULL, "ALTER TABLE r ADD COLUMN b text DEFAULT 'b'",
		  DB_NOARGS);
	}
}

/* test_pg_plan_each: a DB_PLAN_EACH statement is never prepared, so it
 * never runs the generic plan that the same text unmarked comes to (on a
 * connection of its own, its statement cache empty). */
static void test_pg_plan_each(const char *url)
{
	struct db *db = NULL;
	struct err e = ERR_INIT;
	int i, bad = 0;

	if (db_open(&db, url, NULL, &e)) {
		ok(0, "pg: connect to %s: %s", url, e.msg);
		err_release(&e);
		return;
	}
	for (i = 0; i < 7; i++) {
		bad += one_int(db, DB_PLAN_EACH "SELECT $1::int + 1",
			       DB_ARGS(DB_I(i))) != i + 1;
		bad += one_int(db, "SELECT $1::int + 1", DB_ARGS(DB_I(i))) !=
		       i + 1;
	}
	is_int(bad, 0, "pg: both statements answer seven times");
	is_int(one_int(db,
		       "SELECT count(*) FROM pg_prepared_statements"
		       " WHERE left(statement, 2) = '/*'",
		       DB_NOARGS),
	       0, "pg: the DB_PLAN_EACH one is not prepared");
	is_int(one_int(db,
		       "SELECT count(*) FROM pg_prepared_statements"
		       " WHERE statement = 'SELECT $1::int + 1'"
		       " AND generic_plans > 0",
		       DB_NOARGS),
	       1, "pg: the unmarked one is, and runs its generic plan");
	db_free(db);
}

/* wait_gone: until backend pid has exited (at most 2 s). */
static void wait_gone(struct db *db, int64_t pid)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (one_int(db,
			    "SELECT count(*) FROM pg_stat_activity"
			    " WHERE pid = $1",
			    DB_ARGS(DB_I(pid))) == 0)
			return;
		usleep(20000);
	}
}

/* kill_backend: terminate backend pid from db and wait until it is gone. */
static void kill_backend(struct db *db, int64_t pid)
{
	is_int(one_int(db,
		       "SELECT count(*) FROM pg_stat_activity"
		       " WHERE pid = $1 AND pg_terminate_backend($1)",
		       DB_ARGS(DB_I(pid))),
	       1, "pg: backend %" PRId64 " terminated", pid);
	wait_gone(db, pid);
}

/*
 * test_pg_notify: db_listen/db_wait_notify, woken by another connection's
 * NOTIFY, one wake-up per batch of notifications, still listening on the
 * connection that replaces a killed one.
 */
static void test_pg_notify(struct db *db, struct db *db2)
{
	struct err e = ERR_INIT;
	int i, rc;

	ok(db_listen(db, "Bad-Name", &e) == -1 && e.code == ERR_INTERNAL,
	   "pg: a channel that is not a plain name is refused");
	err_release(&e);
	ok(!db_listen(db, "t_chan", &e), "pg: LISTEN t_chan");
	err_release(&e);
	is_int(db_wait_notify(db, 50, &e), 0,
	       "pg: nothing notified: the wait times out");
	q(db2, NULL, "SELECT pg_notify('t_chan', '1')", DB_NOARGS);
	q(db2, NULL, "SELECT pg_notify('t_chan', '2')", DB_NOARGS);
	/* the bound tells a hang from a slow machine */
	is_int(db_wait_notify(db, 5000, &e), 1, "pg: woken by a NOTIFY");
	/* the second one may follow the first in a separate read */
	rc = db_wait_notify(db, 200, &e);
	if (rc == 1)
		rc = db_wait_notify(db, 50, &e);
	is_int(rc, 0, "pg: what was notified is consumed");

	/* a notification that comes while db runs a query waits in libpq */
	q(db2, NULL, "SELECT pg_notify('t_chan', '3')", DB_NOARGS);
	for (i = 0; i < 5; i++)
		q(db, NULL, "SELECT pg_sleep(0.01)", DB_NOARGS);
	is_int(db_wait_notify(db, 5000, &e), 1,
	       "pg: a NOTIFY that came during queries wakes the wait");

	kill_backend(db2, one_int(db, "SELECT pg_backend_pid()", DB_NOARGS));
	rc = db_wait_notify(db, 50, &e);
	ok(rc == 0, "pg: the wait reconnects a killed connection (%d %s)", rc,
	   e.msg);
	err_release(&e);
	q(db2, NULL, "SELECT pg_notify('t_chan', '4')", DB_NOARGS);
	is_int(db_wait_notify(db, 5000, &e), 1,
	       "pg: still listening after the reconnect");
	err_release(&e);
}

/* test_pg_breaks: statement timeout, killed backends, an outage. */
static void test_pg_breaks(struct db *db, struct db *admin, const char *url)
{
	struct db *a = NULL, *slow = NULL;
	struct db_opts o = { .statement_timeout = 100 };
	struct err e = ERR_INIT;
	struct timespec t0, t1;
	int64_t pid, pid2;
	char *dbname, *alter;

	if (!db_open(&slow, url, &o, &e)) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		/* A sleep far longer than the 100 ms timeout, so that a
		 * bound of seconds tells the two apart on a busy machine. */
		is_int(qcode(slow, "SELECT pg_sleep(10)", DB_NOARGS),
		       ERR_UNAVAILABLE, "pg: statement timeout is unavailable");
		clock_gettime(CLOCK_MONOTONIC, &t1);
		ok(t1.tv_sec - t0.tv_sec < 5,
		   "pg: and it did not wait for the sleep");
		is_int(one_int(slow, "SELECT 2", DB_NOARGS), 2,
		       "pg: connection fine after a timeout");
	} else {
		ok(0, "pg: open with a short timeout: %s", e.msg);
	}
	err_release(&e);
	db_free(slow);

	if (db_open(&a, url, NULL, &e)) {
		ok(0, "pg: second connection: %s", e.msg);
		err_release(&e);
		db_free(a);
		return;
	}
	/* An idle connection the server closed is noticed before the next
	 * query (pg_stale), which then runs on a new one. */
	pid = one_int(a, "SELECT pg_backend_pid()", DB_NOARGS);
	kill_backend(db, pid);
	is_int(qcode(a, "SELECT 1", DB_NOARGS), 0,
	       "pg: a connection closed while idle is replaced at once");
	pid2 = one_int(a, "SELECT pg_backend_pid()", DB_NOARGS);
	ok(pid2 > 0 && pid2 != pid, "pg: ... by a new backend");

	/* Lost inside a transaction: never a silent reconnect. */
	pid = one_int(a, "SELECT pg_backend_pid()", DB_NOARGS);
	db_begin(a, &e);
	kill_backend(db, pid);
	is_int(qcode(a, "SELECT 1", DB_NOARGS), ERR_UNAVAILABLE,
	       "pg: lost connection is unavailable (in a transaction)");
	is_int(qcode(a, "SELECT 1", DB_NOARGS), ERR_UNAVAILABLE,
	       "pg: no silent reconnect inside a transaction");
	db_rollback(a);
	pid2 = one_int(a, "SELECT pg_backend_pid()", DB_NOARGS);
	ok(pid2 > 0 && pid2 != pid,
	   "pg: the next query reconnects after rollback");

	/* An outage: the server refuses connections to this database (set
	 * from another database: PostgreSQL refuses it for the current one). */
	dbname = xstrdup(strrchr(url, '/') + 1);
	dbname[strcspn(dbname, "?")] = '\0';
	alter = xasprintf("ALTER DATABASE \"%s\" ALLOW_CONNECTIONS false",
			  dbname);
	is_int(qcode(admin, alter, DB_NOARGS), 0, "pg: connections refused");
	free(alter);
	kill_backend(db, one_int(a, "SELECT pg_backend_pid()", DB_NOARGS));
	is_int(qcode(a, "SELECT 1", DB_NOARGS), ERR_UNAVAILABLE,
	       "pg: during the outage a query is unavailable");
	alter = xasprintf("ALTER DATABASE \"%s\" ALLOW_CONNECTIONS true",
			  dbname);
	is_int(qcode(admin, alter, DB_NOARGS), 0,
	       "pg: connections allowed again");
	free(alter);
	is_int(qcode(a, "SELECT 1", DB_NOARGS), 0,
	       "pg: the first query after the outage succeeds");
	free(dbname);

	/* ping notices the loss and reconnects in one call */
	kill_backend(db, one_int(a, "SELECT pg_backend_pid()", DB_NOARGS));
	ok(!db_ping(a, &e), "pg: ping recovers a lost connection");
	err_release(&e);
	db_free(a);
}

static void test_pg(void)
{
	struct db *admin = testdb_pg_admin(), *db = NULL, *db2 = NULL;
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	char *url;

	if (!admin || !(url = testdb_pg_create(admin, "db")))
		goto out;
	if (db_open(&db, url, NULL, &e) || db_open(&db2, url, NULL, &e)) {
		ok(0, "pg: connect to %s: %s", url, e.msg);
		goto drop;
	}
	is_int(db_dialect(db), DB_POSTGRES, "pg: dialect");
	if (!q(db, &res,
	       "SELECT current_setting('TimeZone'),"
	       " current_setting('application_name'),"
	       " current_setting('statement_timeout')",
	       DB_NOARGS)) {
		is_str(db_res_str(res, 0, 0), "UTC", "pg: session in UTC");
		is_str(db_res_str(res, 0, 1), "agora", "pg: application_name");
		is_str(db_res_str(res, 0, 2), "5s", "pg: default timeout");
	}
	db_res_free(res);

	battery(db, db2, "pg");
	test_pg_replan(db);
	test_pg_plan_each(url);
	test_pg_notify(db, db2);
	test_pg_breaks(db, admin, url);
drop:
	db_free(db);
	db_free(db2);
	free(url);
	testdb_pg_drop(admin, "db");
out:
	err_release(&e);
	db_free(admin);
}

int main(void)
{
	test_urls();
	test_sqlite();
	test_pg();
	return done_testing();
}
