/* outbox.c: writing outbox rows, and reading them as a consumer. */
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
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[j++] = '-';
		buf[j++] = hex[b[i] >> 4];
		buf[j++] = hex[b[i] & 15];
	}
	buf[j] = '\0';
}

int outbox_append_id(struct db *db, const char *id,
		     const char *aggregatetype, const char *aggregateid,
		     const char *type, struct json_object *payload,
		     struct err *e)
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
				DB_S(now)), e) < 0 ? -1 : 0;
}

int outbox_append(struct db *db, const char *aggregatetype,
		  const char *aggregateid, const char *type,
		  struct json_object *payload, char id[OUTBOX_ID_LEN],
		  struct err *e)
{
	char buf[OUTBOX_ID_LEN];

	outbox_new_id(buf);
	if (outbox_append_id(db, buf, aggregatetype, aggregateid, type,
			     payload, e) < 0)
		return -1;
	if (id)
		memcpy(id, buf, OUTBOX_ID_LEN);
	return 0;
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
	struct db_res *res = NULL;
	const char *sql = db_dialect(db) == DB_POSTGRES ?
		"SELECT txid::text, seq FROM outbox_offsets WHERE consumer = $1" :
		"SELECT txid, seq FROM outbox_offsets WHERE consumer = $1";

	if (db_query(db, &res, sql, DB_ARGS(DB_S(consumer)), e) < 0)
		return -1;
	if (db_res_rows(res) == 1) {
		*txid = xstrdup(db_res_str(res, 0, 0));
		*seq = db_res_int(res, 0, 1);
	} else {
		*txid = xstrdup("0");
		*seq = 0;
	}
	db_res_free(res);
	return 0;
}

int outbox_fetch(struct db *db, const char *consumer,
		 const char *const *types, size_t ntypes, size_t limit,
		 struct outbox_batch *b, struct err *e)
{
	struct sbuf sql = SBUF_INIT;
	struct db_param *p = NULL;
	struct db_res *res = NULL;
	char *txid = NULL;
	int64_t seq;
	size_t i, n;
	int rc = -1;

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
		sbuf_addstr(&sql,
			    "SELECT seq, txid::text, id, aggregatetype, "
			    "aggregateid, type, payload FROM outbox "
			    "WHERE (txid, seq) > ($1::xid8, $2::bigint) "
			    "AND txid < pg_snapshot_xmin(pg_current_snapshot()) "
			    "AND aggregatetype IN (");
	else
		sbuf_addstr(&sql,
			    "SELECT seq, txid, id, aggregatetype, "
			    "aggregateid, type, payload FROM outbox "
			    "WHERE $1 = $1 AND seq > $2 AND aggregatetype IN (");
	for (i = 0; i < ntypes; i++) {
		p[3 + i] = DB_S(types[i]);
		sbuf_addf(&sql, "%s$%zu", i ? ", " : "", i + 4);
	}
	sbuf_addstr(&sql, db_dialect(db) == DB_POSTGRES ?
			  ") ORDER BY txid, seq LIMIT $3" :
			  ") ORDER BY seq LIMIT $3");
	if (db_query(db, &res, sql.buf, p, 3 + ntypes, e) < 0)
		goto out;
	n = db_res_rows(res);
	b->ev = n ? xcalloc(n, sizeof(*b->ev)) : NULL;
	for (i = 0; i < n; i++) {
		struct outbox_event *ev = &b->ev[i];

		ev->seq = db_res_int(res, i, 0);
		ev->txid = xstrdup(db_res_str(res, i, 1));
		ev->id = xstrdup(db_res_str(res, i, 2));
		ev->aggregatetype = xstrdup(db_res_str(res, i, 3));
		ev->aggregateid = xstrdup(db_res_str(res, i, 4));
		ev->type = xstrdup(db_res_str(res, i, 5));
		ev->payload = xstrdup(db_res_str(res, i, 6));
		b->n++;
	}
	rc = 0;
out:
	db_res_free(res);
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
	return db_query(db, NULL, db_dialect(db) == DB_POSTGRES ?
		"INSERT INTO outbox_offsets (consumer, txid, seq, updated_at) "
		"VALUES ($1, $2::xid8, $3, $4) ON CONFLICT (consumer) DO UPDATE "
		"SET txid = excluded.txid, seq = excluded.seq, "
		"updated_at = excluded.updated_at" :
		"INSERT INTO outbox_offsets (consumer, txid, seq, updated_at) "
		"VALUES ($1, $2, $3, $4) ON CONFLICT (consumer) DO UPDATE "
		"SET txid = excluded.txid, seq = excluded.seq, "
		"updated_at = excluded.updated_at",
		DB_ARGS(DB_S(consumer), DB_S(ev->txid), DB_I(ev->seq),
			DB_S(now)), e) < 0 ? -1 : 0;
}
