/* outbox.c: every statement on the outbox and outbox_offsets tables. */
#include "common.h"

#include <fcntl.h>
#include <sys/random.h>
#include <time.h>

#include "jsonx.h"
#include "sbuf.h"
#include "outbox.h"

void outbox_new_id(char buf[OUTBOX_ID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, j = 0;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* getrandom only fails before the kernel has entropy, or
		 * without the syscall; an id must still be unique. */
		struct timespec ts;
		static unsigned counter;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(b, &ts, sizeof(ts) < 12 ? sizeof(ts) : 12);
		counter++;
		memcpy(b + 12, &counter, 4);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40); /* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[j++] = '-';
		buf[j++] = hex[b[i] >> 4];
		buf[j++] = hex[b[i] & 15];
	}
	buf[j] = '\0';
}

int outbox_append_id(struct db *db, const char *id, const char *aggregatetype,
		     const char *aggregateid, const char *type,
		     struct json_object *payload, struct err *e)
{
	char now[32];
	size_t len;
	const char *json = jsonx_str(payload, &len);

	db_now(now);
	return db_query(db, NULL,
			"INSERT INTO outbox (id, aggregatetype, aggregateid, "
			"type, payload, created_at) "
			"VALUES ($1, $2, $3, $4, $5, $6)",
			DB_ARGS(DB_S(id), DB_S(aggregatetype),
				DB_S(aggregateid), DB_S(type), DB_S(json),
				DB_S(now)),
			e) < 0 ?
		       -1 :
		       0;
}

int outbox_append(struct db *db, const char *aggregatetype,
		  const char *aggregateid, const char *type,
		  struct json_object *payload, char id[OUTBOX_ID_LEN],
		  struct err *e)
{
	char buf[OUTBOX_ID_LEN];

	outbox_new_id(buf);
	if (outbox_append_id(db, buf, aggregatetype, aggregateid, type, payload,
			     e) < 0)
		return -1;
	if (id)
		memcpy(id, buf, OUTBOX_ID_LEN);
	return 0;
}

/*
 * On PostgreSQL a seq is taken at insert, not at commit: a row may become
 * visible after rows with a higher seq. Its transaction id (txid) orders
 * rows by when they can become visible: every transaction older than the
 * oldest one still running has ended, so a reader that stays below this
 * horizon never goes past a row that may still commit.
 */
#define OUTBOX_PG_HORIZON "pg_snapshot_xmin(pg_current_snapshot())"

/* The columns of an event, in the order of enum outbox_col; txid is an
 * expression: the dialect's text of it, or a constant. */
#define OUTBOX_COLS(txid) \
	"seq, " txid ", id, aggregatetype, aggregateid, type, payload"
enum outbox_col {
	OUTBOX_SEQ,
	OUTBOX_TXID,
	OUTBOX_EVID,
	OUTBOX_AGGTYPE,
	OUTBOX_AGGID,
	OUTBOX_TYPE,
	OUTBOX_PAYLOAD
};

/* The age in whole seconds of the oldest of the rows counted, 0 for
 * none, as a select-list expression of each dialect. */
#define OUTBOX_AGE_PG \
	"coalesce(extract(epoch FROM now() - min(created_at))::bigint, 0)"
#define OUTBOX_AGE_SQLITE                                                \
	"coalesce(CAST((julianday('now') - julianday(min(created_at))) " \
	"* 86400 AS integer), 0)"

/* outbox_read: res's rows (OUTBOX_COLS) into *b. */
static void outbox_read(const struct db_res *res, struct outbox_batch *b)
{
	size_t i, n = db_res_rows(res);

	b->ev = n ? xcalloc(n, sizeof(*b->ev)) : NULL;
	for (i = 0; i < n; i++) {
		struct outbox_event *ev = &b->ev[i];

		ev->seq = db_res_int(res, i, OUTBOX_SEQ);
		ev->txid = xstrdup(db_res_str(res, i, OUTBOX_TXID));
		ev->id = xstrdup(db_res_str(res, i, OUTBOX_EVID));
		ev->aggregatetype = xstrdup(db_res_str(res, i, OUTBOX_AGGTYPE));
		ev->aggregateid = xstrdup(db_res_str(res, i, OUTBOX_AGGID));
		ev->type = xstrdup(db_res_str(res, i, OUTBOX_TYPE));
		ev->payload = xstrdup(db_res_str(res, i, OUTBOX_PAYLOAD));
		b->n++;
	}
}

/* outbox_select: run sql (its select list OUTBOX_COLS) into *b. */
static int outbox_select(struct db *db, const char *sql,
			 const struct db_param *p, size_t np,
			 struct outbox_batch *b, struct err *e)
{
	struct db_res *res = NULL;

	if (db_query(db, &res, sql, p, np, e) < 0)
		return -1;
	outbox_read(res, b);
	db_res_free(res);
	return 0;
}

/* outbox_ints: the first row's first n columns as integers into v[] (0s
 * when there is no row). */
static int outbox_ints(struct db *db, const char *sql, const struct db_param *p,
		       size_t np, int64_t *v, size_t n, struct err *e)
{
	struct db_res *res = NULL;
	size_t i;

	if (db_query(db, &res, sql, p, np, e) < 0)
		return -1;
	for (i = 0; i < n; i++)
		v[i] = db_res_rows(res) ? db_res_int(res, 0, i) : 0;
	db_res_free(res);
	return 0;
}

/* outbox_types: "$first, $first+1, …" for n values, into sql, and the
 * values into p[first - 1 …]. */
static void outbox_types(struct sbuf *sql, struct db_param *p, size_t first,
			 const char *const *types, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		p[first - 1 + i] = DB_S(types[i]);
		sbuf_addf(sql, "%s$%zu", i ? ", " : "", first + i);
	}
}

void outbox_batch_release(struct outbox_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++) {
		free(b->ev[i].txid);
		free(b->ev[i].id);
		free(b->ev[i].aggregatetype);
		free(b->ev[i].aggregateid);
		free(b->ev[i].type);
		free(b->ev[i].payload);
	}
	free(b->ev);
	b->ev = NULL;
	b->n = 0;
}

/* outbox_cursor: consumer's (txid, seq), or ("0", 0) when it has none. */
static int outbox_cursor(struct db *db, const char *consumer, char **txid,
			 int64_t *seq, struct err *e)
{
	enum { CUR_TXID, CUR_SEQ };
	struct db_res *res = NULL;
	const char *sql =
		db_dialect(db) == DB_POSTGRES ?
			"SELECT txid::text, seq FROM outbox_offsets WHERE consumer = $1" :
			"SELECT txid, seq FROM outbox_offsets WHERE consumer = $1";
	bool found;

	if (db_query(db, &res, sql, DB_ARGS(DB_S(consumer)), e) < 0)
		return -1;
	found = db_res_rows(res) == 1;
	*txid = xstrdup(found ? db_res_str(res, 0, CUR_TXID) : "0");
	*seq = found ? db_res_int(res, 0, CUR_SEQ) : 0;
	db_res_free(res);
	return 0;
}

int outbox_fetch(struct db *db, const char *consumer, const char *const *types,
		 size_t ntypes, size_t limit, struct outbox_batch *b,
		 struct err *e)
{
	struct sbuf sql = SBUF_INIT;
	struct db_param *p;
	char *txid = NULL;
	int64_t seq;
	int rc;

	b->ev = NULL;
	b->n = 0;
	if (!ntypes || !limit)
		return 0;
	if (outbox_cursor(db, consumer, &txid, &seq, e) < 0)
		return -1;
	p = xcalloc(3 + ntypes, sizeof(*p));
	p[0] = DB_S(txid);
	p[1] = DB_I(seq);
	p[2] = DB_I((int64_t)limit);
	if (db_dialect(db) == DB_POSTGRES)
		/* Rows of a transaction still running may sort before rows
		 * already visible: stop below the oldest running one. */
		sbuf_addstr(
			&sql,
			"SELECT " OUTBOX_COLS(
				"txid::text") " FROM outbox "
					      "WHERE (txid, seq) > ($1::xid8, $2::bigint) "
					      "AND txid < " OUTBOX_PG_HORIZON
					      " "
					      "AND aggregatetype IN (");
	else
		sbuf_addstr(
			&sql,
			"SELECT " OUTBOX_COLS(
				"txid") " FROM outbox "
					"WHERE $1 = $1 AND seq > $2 AND aggregatetype IN (");
	outbox_types(&sql, p, 4, types, ntypes);
	sbuf_addstr(&sql, db_dialect(db) == DB_POSTGRES ?
				  ") ORDER BY txid, seq LIMIT $3" :
				  ") ORDER BY seq LIMIT $3");
	rc = outbox_select(db, sql.buf, p, 3 + ntypes, b, e);
	free(p);
	free(txid);
	sbuf_release(&sql);
	return rc;
}

int outbox_ack(struct db *db, const char *consumer,
	       const struct outbox_event *ev, struct err *e)
{
	char now[32];

	db_now(now);
	return db_query(
		       db, NULL,
		       db_dialect(db) == DB_POSTGRES ?
			       "INSERT INTO outbox_offsets (consumer, txid, seq, updated_at) "
			       "VALUES ($1, $2::xid8, $3, $4) ON CONFLICT (consumer) DO UPDATE "
			       "SET txid = excluded.txid, seq = excluded.seq, "
			       "updated_at = excluded.updated_at" :
			       "INSERT INTO outbox_offsets (consumer, txid, seq, updated_at) "
			       "VALUES ($1, $2, $3, $4) ON CONFLICT (consumer) DO UPDATE "
			       "SET txid = excluded.txid, seq = excluded.seq, "
			       "updated_at = excluded.updated_at",
		       DB_ARGS(DB_S(consumer), DB_S(ev->txid), DB_I(ev->seq),
			       DB_S(now)),
		       e) < 0 ?
		       -1 :
		       0;
}

int outbox_unpublished_fetch(struct db *db, const char *const *types,
			     size_t ntypes, size_t limit,
			     struct outbox_batch *b, struct err *e)
{
	struct sbuf sql = SBUF_INIT;
	struct db_param *p;
	int rc;

	b->ev = NULL;
	b->n = 0;
	if (!ntypes || !limit)
		return 0;
	p = xcalloc(1 + ntypes, sizeof(*p));
	p[0] = DB_I((int64_t)limit);
	sbuf_addstr(
		&sql,
		"SELECT " OUTBOX_COLS(
			"'0'") " FROM outbox "
			       "WHERE published_at IS NULL AND aggregatetype IN (");
	outbox_types(&sql, p, 2, types, ntypes);
	sbuf_addstr(&sql, ") ORDER BY seq LIMIT $1");
	rc = outbox_select(db, sql.buf, p, 1 + ntypes, b, e);
	free(p);
	sbuf_release(&sql);
	return rc;
}

int outbox_mark_published(struct db *db, const struct outbox_batch *b,
			  const bool *done, struct err *e)
{
	struct sbuf sql = SBUF_INIT;
	struct db_param *p = xcalloc(b->n + 1, sizeof(*p));
	char now[32];
	size_t i, n = 1;
	int rc = 0;

	db_now(now);
	p[0] = DB_S(now);
	sbuf_addstr(&sql, "UPDATE outbox SET published_at = $1 WHERE seq IN (");
	for (i = 0; i < b->n; i++) {
		if (!done[i])
			continue;
		p[n] = DB_I(b->ev[i].seq);
		sbuf_addf(&sql, "%s$%zu", n > 1 ? ", " : "", n + 1);
		n++;
	}
	sbuf_addstr(&sql, ")");
	if (n > 1)
		rc = db_query(db, NULL, sql.buf, p, n, e) < 0 ? -1 : 0;
	sbuf_release(&sql);
	free(p);
	return rc;
}

/* outbox_backlog: count(*) and the oldest age of the rows matching
 * where (an SQL condition on outbox, parameters p). */
static int outbox_backlog(struct db *db, const char *where,
			  const struct db_param *p, size_t np,
			  struct outbox_backlog *out, struct err *e)
{
	int64_t v[2];
	char *sql = xasprintf("SELECT count(*), %s FROM outbox WHERE %s",
			      db_dialect(db) == DB_POSTGRES ? OUTBOX_AGE_PG :
							      OUTBOX_AGE_SQLITE,
			      where);
	int rc = outbox_ints(db, sql, p, np, v, 2, e);

	free(sql);
	out->events = rc < 0 ? 0 : v[0];
	out->oldest_s = rc < 0 ? 0 : v[1];
	return rc;
}

int outbox_unpublished(struct db *db, struct outbox_backlog *out, struct err *e)
{
	return outbox_backlog(db, "published_at IS NULL", DB_NOARGS, out, e);
}

int outbox_lag(struct db *db, const char *consumer, const char *type,
	       struct outbox_backlog *out, struct err *e)
{
	return outbox_backlog(
		db,
		db_dialect(db) == DB_POSTGRES ?
			"aggregatetype = $1 AND (txid, seq) > coalesce((SELECT "
			"(f.txid, f.seq) FROM outbox_offsets f WHERE consumer = $2), "
			"('0'::xid8, 0::bigint))" :
			"aggregatetype = $1 AND seq > coalesce((SELECT seq FROM "
			"outbox_offsets WHERE consumer = $2), 0)",
		DB_ARGS(DB_S(type), DB_S(consumer)), out, e);
}

/* How many rows one DELETE of outbox_prune removes: short transactions. */
#define OUTBOX_PRUNE_BATCH 5000

int outbox_prune(struct db *db, const char *before, bool published,
		 long *deleted, struct err *e)
{
	struct db_res *res;
	int64_t consumers;
	char *sql;
	long n = 0;
	int rc = 0;

	*deleted = 0;
	if (!published) {
		if (outbox_ints(db, "SELECT count(*) FROM outbox_offsets",
				DB_NOARGS, &consumers, 1, e) < 0)
			return -1;
		if (!consumers)
			return 1;
	}
	/* A cursor past a row means its consumer has read it; on
	 * PostgreSQL cursors never pass a row that could still commit. */
	sql = xasprintf("DELETE FROM outbox WHERE seq IN (SELECT o.seq "
			"FROM outbox o WHERE o.created_at < $1%s "
			"AND NOT EXISTS (SELECT 1 FROM outbox_offsets f "
			"WHERE %s) LIMIT $2) RETURNING seq",
			published ? " AND o.published_at IS NOT NULL" : "",
			db_dialect(db) == DB_POSTGRES ?
				"(o.txid, o.seq) > (f.txid, f.seq)" :
				"o.seq > f.seq");
	do {
		if (db_query(db, &res, sql,
			     DB_ARGS(DB_S(before), DB_I(OUTBOX_PRUNE_BATCH)),
			     e) < 0) {
			rc = -1;
			break;
		}
		n = (long)db_res_rows(res);
		*deleted += n;
		db_res_free(res);
	} while (n == OUTBOX_PRUNE_BATCH);
	free(sql);
	return rc;
}

int outbox_mark(struct db *db, char **mark, struct err *e)
{
	int64_t v;

	if (outbox_ints(db,
			db_dialect(db) == DB_POSTGRES ?
				"SELECT " OUTBOX_PG_HORIZON "::text::bigint" :
				"SELECT coalesce(max(seq), 0) FROM outbox",
			DB_NOARGS, &v, 1, e) < 0)
		return -1;
	*mark = xasprintf("%" PRId64, v);
	return 0;
}

int outbox_since(struct db *db, const char *mark, const char *type,
		 int64_t after, size_t limit, struct outbox_batch *b,
		 struct err *e)
{
	b->ev = NULL;
	b->n = 0;
	return outbox_select(
		db,
		db_dialect(db) == DB_POSTGRES ?
			"SELECT " OUTBOX_COLS(
				"txid::text") " FROM outbox "
					      "WHERE txid >= $1::xid8 AND seq > $2 AND aggregatetype = $3 "
					      "ORDER BY seq LIMIT $4" :
			"SELECT " OUTBOX_COLS(
				"txid") " FROM outbox "
					"WHERE seq > $1 AND seq > $2 AND aggregatetype = $3 "
					"ORDER BY seq LIMIT $4",
		DB_ARGS(DB_S(mark), DB_I(after), DB_S(type),
			DB_I((int64_t)limit)),
		b, e);
}
