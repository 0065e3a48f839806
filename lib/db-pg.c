/* db-pg.c: the PostgreSQL backend of db (libpq). */
#include "common.h"
#include "db-impl.h"
#include "log.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>

#include <libpq-fe.h>

struct db_pg {
	struct db base; /* first: a struct db * is a struct db_pg * */
	PGconn *conn;
	unsigned stmt_seq; /* statement names */
	char *listen; /* "LISTEN x;" per channel, or NULL */
};

struct db_pg_res {
	struct db_res base; /* first, as above */
	PGresult *r;
	/* rows * cols, the bytea cells db_res_blob() decoded, or NULL:
	 * allocated at its first decoding */
	unsigned char **blobs;
};

/*
 * db_pg_code: the err code for a failed PostgreSQL call. A broken
 * connection wins over whatever SQLSTATE came with it.
 */
static int db_pg_code(PGconn *conn, const PGresult *r)
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

/* db_pg_fail: record a failed call; a broken connection is marked down.
 * libpq's text spans lines; the log wants one. */
static int db_pg_fail(struct db_pg *p, const PGresult *r, struct err *e)
{
	const char *msg = r ? PQresultErrorMessage(r) : "";
	char line[sizeof(e->msg)];
	size_t i, n;

	memcpy(line, "postgresql: ", 12);
	n = 12;
	if (!*msg)
		msg = PQerrorMessage(p->conn);
	for (i = 0; msg[i] && n < sizeof(line) - 1; i++) {
		bool space = msg[i] == '\n' || msg[i] == '\t' || msg[i] == ' ';

		if (space && line[n - 1] == ' ')
			continue;
		line[n++] = space ? ' ' : msg[i];
	}
	while (n && line[n - 1] == ' ')
		n--;
	line[n] = '\0';
	if (PQstatus(p->conn) == CONNECTION_BAD)
		p->base.down = true;
	return db_fail(e, db_pg_code(p->conn, r), line);
}

/*
 * Notices ("relation already exists, skipping") would go to stderr
 * unformatted, in the middle of the JSON log lines: drop them. One kind
 * matters: a FATAL error the server sends to an idle connection (it is
 * being terminated) arrives here, and means the connection is gone even
 * before the socket reports EOF.
 */
static void db_pg_notice(void *arg, const PGresult *r)
{
	struct db *db = arg;
	const char *sev = PQresultErrorField(r, PG_DIAG_SEVERITY_NONLOCALIZED);

	if (sev && (!strcmp(sev, "FATAL") || !strcmp(sev, "PANIC")))
		db->down = true;
}

static int db_pg_connect(struct db *db, struct err *e)
{
	struct db_pg *p = (struct db_pg *)db;
	char timeout[16], options[128];
	const char *keys[] = { "dbname",	   "connect_timeout",
			       "options",	   "application_name",
			       "client_encoding",  "keepalives",
			       "keepalives_idle",  "keepalives_interval",
			       "keepalives_count", NULL };
	const char *vals[ARRAY_SIZE(keys)];
	PGresult *r;

	snprintf(timeout, sizeof(timeout), "%d", db->opts.connect_timeout);
	/* TimeZone and DateStyle fix the text form of timestamps that
	 * db_res_time() parses, bytea_output that of the blobs
	 * db_res_blob() decodes; they ride in the startup packet, no extra
	 * round trip, and survive PQreset(). */
	snprintf(options, sizeof(options),
		 "-c statement_timeout=%d -c TimeZone=UTC -c DateStyle=ISO"
		 " -c bytea_output=hex",
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

	if (p->conn)
		PQfinish(p->conn);
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (!p->conn)
		die("out of memory");
	PQsetNoticeReceiver(p->conn, db_pg_notice, db);
	/* named statements died with the old session */
	db_stmt_clear(db);
	if (PQstatus(p->conn) != CONNECTION_OK) {
		db->down = true;
		return db_pg_fail(p, NULL, e);
	}
	/* A session's LISTENs end with it: the new one listens again. What
	 * was notified in between is lost; listeners poll as well. */
	if (p->listen) {
		r = PQexec(p->conn, p->listen);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			db->down = true;
			db_pg_fail(p, r, e);
			PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	db->down = false;
	return 0;
}

/*
 * db_pg_stale: has the server closed this idle connection (a restart, an
 * administrator's pg_terminate_backend, an idle timeout)? Between queries
 * the server sends nothing but notifications, so a readable socket means
 * those, a FATAL message (db_pg_notice marks the connection down) or EOF
 * is waiting: reading it makes libpq notice. One poll(2) per query spares
 * the first request after a restart its 503.
 */
static bool db_pg_stale(struct db_pg *p)
{
	struct pollfd pfd = { PQsocket(p->conn), POLLIN, 0 };
	int i;

	if (pfd.fd < 0 || p->base.in_tx)
		return false;
	/* The FATAL message comes first, the EOF after it: libpq marks the
	 * connection bad only once a read returns the EOF. */
	for (i = 0; i < 4 && poll(&pfd, 1, 0) == 1; i++) {
		if (!PQconsumeInput(p->conn))
			break;
		/* PQisBusy parses what was read: the FATAL reaches
		 * db_pg_notice, a notification PQnotifies(). */
		PQisBusy(p->conn);
	}
	return p->base.down || PQstatus(p->conn) != CONNECTION_OK;
}

static int db_pg_ensure(struct db_pg *p, struct err *e)
{
	if (!p->base.down && PQstatus(p->conn) == CONNECTION_OK &&
	    !db_pg_stale(p))
		return 0;
	/* Reconnecting inside a transaction would run the rest of it in
	 * autocommit mode: the caller must roll back first. */
	if (p->base.in_tx)
		return err_set(e, ERR_UNAVAILABLE,
			       "postgresql: connection lost in a transaction");
	return db_pg_connect(&p->base, e);
}

/*
 * db_pg_run: execute sql with parameters vals, through a named prepared
 * statement when the cache allows. lens and fmts are NULL when every
 * parameter is text, as libpq reads them. The results come in text but
 * for a DB_BINARY statement.
 */
static PGresult *db_pg_run(struct db_pg *p, const char *sql,
			   const char *const *vals, const int *lens,
			   const int *fmts, int n)
{
	struct db_stmt *st = db_stmt_find(&p->base, sql);
	int binary = !strncmp(sql, DB_BINARY, strlen(DB_BINARY));
	char name[24];
	PGresult *r;
	bool idle;

	if (!st && p->base.ncache < DB_CACHE_MAX &&
	    strncmp(sql, DB_PLAN_EACH, strlen(DB_PLAN_EACH))) {
		snprintf(name, sizeof(name), "agora_%u", p->stmt_seq++);
		r = PQprepare(p->conn, name, sql, n, NULL);
		if (!r || PQresultStatus(r) != PGRES_COMMAND_OK)
			return r;
		PQclear(r);
		st = db_stmt_add(&p->base, sql);
		st->impl = xstrdup(name);
	}
	if (!st || st->unnamed)
		return PQexecParams(p->conn, sql, n, NULL, vals, lens, fmts,
				    binary);

	idle = PQtransactionStatus(p->conn) == PQTRANS_IDLE;
	r = PQexecPrepared(p->conn, st->impl, n, vals, lens, fmts, binary);
	/*
	 * "cached plan must not change result type": a migration changed a
	 * table under a SELECT * since we prepared. The statement did not
	 * run, so outside a transaction it is safe to run it again unnamed;
	 * from now on this text always runs unnamed.
	 */
	if (r && PQresultStatus(r) == PGRES_FATAL_ERROR) {
		const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);

		if (state && !strcmp(state, "0A000") &&
		    PQstatus(p->conn) == CONNECTION_OK) {
			st->unnamed = true;
			if (idle) {
				PQclear(r);
				r = PQexecParams(p->conn, sql, n, NULL, vals,
						 lens, fmts, binary);
			}
		}
	}
	return r;
}

static bool db_pg_ok(const PGresult *r)
{
	return r && (PQresultStatus(r) == PGRES_TUPLES_OK ||
		     PQresultStatus(r) == PGRES_COMMAND_OK ||
		     PQresultStatus(r) == PGRES_EMPTY_QUERY);
}

static int db_pg_query(struct db *db, struct db_res **res, const char *sql,
		       const struct db_param *params, size_t nparams,
		       struct err *e)
{
	struct db_pg *p = (struct db_pg *)db;
	struct db_pg_res *pr;
	const char **vals = NULL;
	char(*ints)[24] = NULL;
	int *lens = NULL, *fmts = NULL;
	PGresult *r;
	size_t i;
	int rc = 0;

	if (db_pg_ensure(p, e))
		return -1;
	if (nparams > 65535)
		return err_set(e, ERR_INTERNAL, "too many parameters");
	if (nparams) {
		vals = xcalloc(nparams, sizeof(*vals));
		ints = xcalloc(nparams, sizeof(*ints));
	}
	/* Everything travels as text, PostgreSQL casting to the column, but
	 * a blob, which goes in binary: its bytes as they are, no hex to
	 * write and parse. */
	for (i = 0; i < nparams; i++) {
		switch (params[i].type) {
		case DB_TEXT:
			vals[i] = params[i].s;
			break;
		case DB_INT:
			snprintf(ints[i], sizeof(ints[i]), "%" PRId64,
				 params[i].i);
			vals[i] = ints[i];
			break;
		case DB_NULL:
			vals[i] = NULL;
			break;
		case DB_BLOB:
			if (params[i].i < 0 || params[i].i > INT_MAX) {
				rc = err_set(e, ERR_INTERNAL,
					     "postgresql: blob of %" PRId64
					     " bytes",
					     params[i].i);
				goto out;
			}
			if (!fmts) {
				lens = xcalloc(nparams, sizeof(*lens));
				fmts = xcalloc(nparams, sizeof(*fmts));
			}
			vals[i] = params[i].s;
			lens[i] = (int)params[i].i;
			fmts[i] = 1;
			break;
		}
	}
	r = db_pg_run(p, sql, vals, lens, fmts, (int)nparams);
	if (!db_pg_ok(r)) {
		rc = db_pg_fail(p, r, e);
		PQclear(r);
	} else if (res) {
		pr = xcalloc(1, sizeof(*pr));
		pr->base.ops = db->ops;
		pr->base.rows = PQntuples(r);
		pr->base.cols = PQnfields(r);
		pr->r = r;
		*res = &pr->base;
	} else {
		PQclear(r);
	}
out:
	free(vals);
	free(ints);
	free(lens);
	free(fmts);
	return rc;
}

/* One statement without parameters, PQexec's way: ok when its result
 * has status want (a COPY), or any success when want is
 * PGRES_COMMAND_OK. */
static int db_pg_exec(struct db *db, const char *sql, ExecStatusType want,
		      struct err *e)
{
	struct db_pg *p = (struct db_pg *)db;
	PGresult *r;
	int rc = 0;

	if (db_pg_ensure(p, e))
		return -1;
	r = PQexec(p->conn, sql);
	if (want == PGRES_COMMAND_OK ? !db_pg_ok(r) :
				       !r || PQresultStatus(r) != want)
		rc = db_pg_fail(p, r, e);
	PQclear(r);
	return rc;
}

static int db_pg_script(struct db *db, const char *sql, struct err *e)
{
	return db_pg_exec(db, sql, PGRES_COMMAND_OK, e);
}

static int db_pg_copy_begin(struct db *db, const char *sql, struct err *e)
{
	return db_pg_exec(db, sql, PGRES_COPY_IN, e);
}

static int db_pg_copy_put(struct db *db, const char *buf, size_t len,
			  struct err *e)
{
	struct db_pg *p = (struct db_pg *)db;

	/* blocking connection: 1 once queued, -1 on failure, never 0 */
	if (len > INT_MAX || PQputCopyData(p->conn, buf, (int)len) != 1)
		return db_pg_fail(p, NULL, e);
	return 0;
}

static int db_pg_copy_end(struct db *db, struct err *e)
{
	struct db_pg *p = (struct db_pg *)db;
	PGresult *r;
	int rc = 0;

	if (PQputCopyEnd(p->conn, NULL) != 1)
		rc = db_pg_fail(p, NULL, e);
	/* the load's outcome, then the end of the command's results */
	while ((r = PQgetResult(p->conn))) {
		if (!rc && PQresultStatus(r) != PGRES_COMMAND_OK)
			rc = db_pg_fail(p, r, e);
		PQclear(r);
	}
	return rc;
}

static bool db_pg_tx_open(struct db *db)
{
	struct db_pg *p = (struct db_pg *)db;

	return !db->down && PQstatus(p->conn) == CONNECTION_OK &&
	       PQtransactionStatus(p->conn) != PQTRANS_IDLE;
}

static void db_pg_close(struct db *db)
{
	struct db_pg *p = (struct db_pg *)db;

	if (p->conn)
		PQfinish(p->conn);
	p->conn = NULL;
	free(p->listen);
	p->listen = NULL;
}

/* ---- notifications ----------------------------------------------------- */

static int db_pg_listen(struct db *db, const char *channel, struct err *e)
{
	struct db_pg *p = (struct db_pg *)db;
	char *sql, *all;
	const char *c;

	/* An identifier as it is: no quoting, no case folding to explain. */
	for (c = channel; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || *c == '_' ||
		      (c > channel && *c >= '0' && *c <= '9')))
			break;
	if (*c || c == channel)
		return err_set(e, ERR_INTERNAL,
			       "postgresql: bad channel name \"%s\"", channel);
	sql = xasprintf("LISTEN %s;", channel);
	if (db_exec_script(db, sql, e) < 0) {
		free(sql);
		return -1;
	}
	all = xasprintf("%s%s", p->listen ? p->listen : "", sql);
	free(p->listen);
	free(sql);
	p->listen = all;
	return 0;
}

/* db_pg_drain: consume the notifications libpq has read; were there any? */
static bool db_pg_drain(struct db_pg *p)
{
	PGnotify *n;
	bool any = false;

	while ((n = PQnotifies(p->conn))) {
		PQfreemem(n);
		any = true;
	}
	return any;
}

/*
 * A notification that arrived during a query waits in libpq's queue and
 * ends the wait at once; otherwise poll(2) on the socket. A signal ends
 * the wait too (the daemons check their stop flag).
 */
static int db_pg_wait_notify(struct db *db, int timeout_ms, struct err *e)
{
	struct db_pg *p = (struct db_pg *)db;
	struct pollfd pfd;
	int n;

	if (db_pg_ensure(p, e))
		return -1;
	if (db_pg_drain(p))
		return 1;
	pfd.fd = PQsocket(p->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	n = poll(&pfd, 1, timeout_ms);
	if (n < 0 && errno != EINTR)
		return err_set(e, ERR_INTERNAL, "poll: %s", strerror(errno));
	if (n <= 0)
		return 0;
	if (!PQconsumeInput(p->conn)) {
		db->down = true;
		return db_pg_fail(p, NULL, e);
	}
	return db_pg_drain(p);
}

/* ---- results ----------------------------------------------------------- */

static const char *db_pg_res_str(const struct db_res *res, size_t row,
				 size_t col)
{
	const PGresult *r = ((const struct db_pg_res *)res)->r;

	return PQgetisnull(r, (int)row, (int)col) ?
		       NULL :
		       PQgetvalue(r, (int)row, (int)col);
}

/* db_pg_hex: the value of hex digit c, or -1. */
static int db_pg_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Results come as text, a bytea as \x and two hex digits a byte, decoded
 * here on the first call for the cell. The decoded cells are a cache the
 * result owns, not part of its value: they are filled in through the
 * const pointer (the result itself was malloc'd, not const). A value that
 * is not such hex (a text column) is its own bytes.
 */
static const unsigned char *db_pg_res_blob(const struct db_res *res, size_t row,
					   size_t col, size_t *len)
{
	struct db_pg_res *pr = (struct db_pg_res *)res;
	const char *v;
	unsigned char *b;
	size_t i, n, cell = row * res->cols + col;
	int hi, lo;

	if (PQgetisnull(pr->r, (int)row, (int)col))
		return NULL;
	v = PQgetvalue(pr->r, (int)row, (int)col);
	n = (size_t)PQgetlength(pr->r, (int)row, (int)col);
	if (pr->blobs && pr->blobs[cell]) {
		*len = n / 2 - 1;
		return pr->blobs[cell];
	}
	*len = n;
	/* a DB_BINARY statement's: the bytes as they came */
	if (PQfformat(pr->r, (int)col) == 1)
		return (const unsigned char *)v;
	if (n < 2 || n % 2 || v[0] != '\\' || v[1] != 'x')
		return (const unsigned char *)v;
	/* an empty one needs no copy: any pointer but NULL */
	if (n == 2) {
		*len = 0;
		return (const unsigned char *)v + n;
	}
	b = xmalloc(n / 2 - 1);
	for (i = 0; i < n / 2 - 1; i++) {
		hi = db_pg_hex(v[2 + 2 * i]);
		lo = db_pg_hex(v[3 + 2 * i]);
		if (hi < 0 || lo < 0) {
			free(b);
			return (const unsigned char *)v;
		}
		b[i] = (unsigned char)(hi << 4 | lo);
	}
	if (!pr->blobs)
		pr->blobs = xcalloc(res->rows * res->cols, sizeof(*pr->blobs));
	pr->blobs[cell] = b;
	*len = i;
	return b;
}

static void db_pg_res_free(struct db_res *res)
{
	struct db_pg_res *pr = (struct db_pg_res *)res;
	size_t i;

	if (pr->blobs) {
		for (i = 0; i < res->rows * res->cols; i++)
			free(pr->blobs[i]);
		free(pr->blobs);
	}
	PQclear(pr->r);
	free(pr);
}

const struct db_ops db_pg_ops = {
	.dialect = DB_POSTGRES,
	.size = sizeof(struct db_pg),
	.begin = "BEGIN",
	/* REPEATABLE READ: one snapshot for every statement; READ ONLY
	 * says what it is for. */
	.begin_read = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
	.evict = false,
	.connect = db_pg_connect,
	.close = db_pg_close,
	.query = db_pg_query,
	.script = db_pg_script,
	.tx_open = db_pg_tx_open,
	.stmt_free = free,
	.listen = db_pg_listen,
	.wait_notify = db_pg_wait_notify,
	.copy_begin = db_pg_copy_begin,
	.copy_put = db_pg_copy_put,
	.copy_end = db_pg_copy_end,
	.res_str = db_pg_res_str,
	.res_blob = db_pg_res_blob,
	.res_free = db_pg_res_free,
};
