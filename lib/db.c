/* db.c: one database interface over PostgreSQL and SQLite (db-pg.c,
 * db-sqlite.c, behind db-impl.h's ops): opening by URL, the statement
 * cache, statement accounting, transactions' bookkeeping, results. */
#include "common.h"
#include "clock.h"
#include "db-impl.h"
#include "hash.h"
#include "log.h"
#include "sbuf.h"

#include <time.h>

/*
 * A 5xx keeps the driver's text (the sink only logs it). A constraint
 * violation becomes a 4xx a handler may pass on, so its text must not
 * show table or index names to the client: the driver's words go to the
 * log, the error gets a neutral message. Handlers that know better (409
 * "Email already exists") set their own. The line is at debug level: a
 * conflict is a routine answer (a sign-up with a taken email, `agora
 * migrate` finding its ADMIN), not news for an operator.
 */
int db_fail(struct err *e, int code, const char *driver)
{
	if (code >= 500)
		return err_set(e, code, "%s", driver);
	log_msg(LOG_DEBUG, NULL, "constraint: %s", driver);
	return err_set(e, code,
		       code == ERR_CONFLICT ?
			       "Conflict with an existing record" :
			       "The data violates a constraint");
}

/* ---- the statement cache ------------------------------------------------ */

struct db_stmt *db_stmt_find(struct db *db, const char *sql)
{
	uint32_t hash = hash_fnv32(sql, strlen(sql));
	size_t i;

	for (i = 0; i < db->ncache; i++)
		if (db->cache[i].hash == hash && !strcmp(db->cache[i].sql, sql))
			return &db->cache[i];
	return NULL;
}

struct db_stmt *db_stmt_add(struct db *db, const char *sql)
{
	struct db_stmt *st;

	if (db->ncache < DB_CACHE_MAX) {
		st = &db->cache[db->ncache++];
	} else if (db->ops->evict) {
		st = &db->cache[db->evict];
		db->evict = (db->evict + 1) % DB_CACHE_MAX;
		db->ops->stmt_free(st->impl);
		free(st->sql);
	} else {
		return NULL;
	}
	st->sql = xstrdup(sql);
	st->hash = hash_fnv32(sql, strlen(sql));
	st->impl = NULL;
	st->unnamed = false;
	return st;
}

void db_stmt_clear(struct db *db)
{
	size_t i;

	for (i = 0; i < db->ncache; i++) {
		if (db->cache[i].impl)
			db->ops->stmt_free(db->cache[i].impl);
		free(db->cache[i].sql);
	}
	db->ncache = 0;
	db->evict = 0;
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
	const struct db_ops *ops;
	struct db *db;

	*out = NULL;
	if (!url || !*url)
		return err_set(e, ERR_BAD_REQUEST, "no database URL");
	/* a scheme other than postgres names no backend; "file:" has no
	 * "//" requirement and a plain path has no scheme */
	if (!db_is_postgres_url(url) && strstr(url, "://") &&
	    strncmp(url, "file:", 5))
		return err_set(e, ERR_BAD_REQUEST,
			       "unsupported database URL scheme");

	ops = db_is_postgres_url(url) ? &db_pg_ops : &db_sqlite_ops;
	db = xcalloc(1, ops->size);
	db->ops = ops;
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
	return ops->connect(db, e);
}

void db_free(struct db *db)
{
	if (!db)
		return;
	db_stmt_clear(db);
	db->ops->close(db);
	free(db->url);
	free(db);
}

enum db_dialect db_dialect(const struct db *db)
{
	return db->ops->dialect;
}

/* db_account: count a statement and its time; a failure inside a
 * transaction dooms it. */
static int db_account(struct db *db, double t0, int rc)
{
	db->stats_count++;
	db->stats_ms += clock_ms() - t0;
	if (rc && db->in_tx)
		db->tx_failed = true;
	return rc;
}

int db_query(struct db *db, struct db_res **res, const char *sql,
	     const struct db_param *params, size_t nparams, struct err *e)
{
	double t0 = clock_ms();

	if (res)
		*res = NULL;
	return db_account(db, t0,
			  db->ops->query(db, res, sql, params, nparams, e));
}

int db_exec_script(struct db *db, const char *sql, struct err *e)
{
	double t0 = clock_ms();

	return db_account(db, t0, db->ops->script(db, sql, e));
}

/* A COPY counts as one statement. */
int db_copy_begin(struct db *db, const char *sql, struct err *e)
{
	double t0 = clock_ms();

	if (!db->ops->copy_begin)
		return err_set(e, ERR_INTERNAL, "COPY needs PostgreSQL");
	return db_account(db, t0, db->ops->copy_begin(db, sql, e));
}

int db_copy_put(struct db *db, const char *buf, size_t len, struct err *e)
{
	int rc = db->ops->copy_put(db, buf, len, e);

	if (rc && db->in_tx)
		db->tx_failed = true;
	return rc;
}

int db_copy_end(struct db *db, struct err *e)
{
	int rc = db->ops->copy_end(db, e);

	if (rc && db->in_tx)
		db->tx_failed = true;
	return rc;
}

void db_copy_be(struct sbuf *sb, uint64_t v, int bytes)
{
	char b[8];
	int i;

	for (i = bytes - 1; i >= 0; i--, v >>= 8)
		b[i] = (char)(v & 0xff);
	sbuf_add(sb, b, (size_t)bytes);
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
	return db_begin_sql(db, db->ops->begin, e);
}

int db_begin_read(struct db *db, struct err *e)
{
	return db_begin_sql(db, db->ops->begin_read, e);
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
	if (!db->ops->tx_open(db))
		return;
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

int db_listen(struct db *db, const char *channel, struct err *e)
{
	if (!db->ops->listen)
		return err_set(e, ERR_INTERNAL,
			       "no notifications on this database");
	return db->ops->listen(db, channel, e);
}

int db_wait_notify(struct db *db, int timeout_ms, struct err *e)
{
	if (!db->ops->wait_notify)
		return err_set(e, ERR_INTERNAL,
			       "no notifications on this database");
	return db->ops->wait_notify(db, timeout_ms, e);
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

const char *db_res_str(const struct db_res *res, size_t row, size_t col)
{
	if (!res || row >= res->rows || col >= res->cols)
		return NULL;
	return res->ops->res_str(res, row, col);
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

const unsigned char *db_res_blob(const struct db_res *res, size_t row,
				 size_t col, size_t *len)
{
	*len = 0;
	if (!res || row >= res->rows || col >= res->cols)
		return NULL;
	return res->ops->res_blob(res, row, col, len);
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
	if (res)
		res->ops->res_free(res);
}

void db_now(char buf[32])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	format_time(buf, &tm, (int)(ts.tv_nsec / 1000000));
}
