/* t-outbox.c: every use of the outbox on SQLite and PostgreSQL: appending,
 * consumers (a transaction that commits after a later one included), the
 * relay, backlogs, pruning and the reindex's replay. */
#include "common.h"
#include "db.h"
#include "clock.h"
#include "outbox.h"
#include "tap.h"
#include "testdb.h"

#include <unistd.h>

static const char *const products[] = { "product" };
static const char *const both[] = { "product", "order" };

/* append: one event in its own transaction; 0 or -1. */
static int append(struct db *db, const char *type, const char *aggid)
{
	struct json_object *p = json_object_new_object();
	struct err e = ERR_INIT;
	int rc;

	json_object_object_add(p, "id", json_object_new_string(aggid));
	rc = outbox_append(db, type, aggid, "CHANGED", p, NULL, &e);
	if (rc)
		printf("# append: %s\n", e.msg);
	json_object_put(p);
	err_release(&e);
	return rc;
}

/* fetch: the aggregateids fetched, comma-separated ("" for none, "ERR"
 * on failure), into out; the batch stays in *b for acks. */
static void fetch(struct db *db, const char *consumer, const char *const *types,
		  size_t ntypes, size_t limit, struct outbox_batch *b,
		  char *out, size_t outlen)
{
	struct err e = ERR_INIT;
	size_t i, used = 0;

	outbox_batch_release(b);
	out[0] = '\0';
	if (outbox_fetch(db, consumer, types, ntypes, limit, b, &e)) {
		printf("# fetch: %s\n", e.msg);
		snprintf(out, outlen, "ERR");
		err_release(&e);
		return;
	}
	for (i = 0; i < b->n && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s",
					 i ? "," : "", b->ev[i].aggregateid);
}

static int ack(struct db *db, const char *consumer,
	       const struct outbox_event *ev)
{
	struct err e = ERR_INIT;
	int rc = outbox_ack(db, consumer, ev, &e);

	if (rc)
		printf("# ack: %s\n", e.msg);
	err_release(&e);
	return rc;
}

/* The battery both dialects share; db is migrated and empty. */
static void battery(struct db *db, const char *tag)
{
	struct outbox_batch b = { NULL, 0 };
	char got[256];

	ok(!append(db, "product", "p1") && !append(db, "order", "o1") &&
		   !append(db, "product", "p2") && !append(db, "product", "p3"),
	   "%s: append four events", tag);
	testdb_settle(db);
	fetch(db, "idx", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "p1,p2,p3",
	       "%s: a new consumer reads its type from the "
	       "start, in order",
	       tag);
	fetch(db, "idx", both, 2, 10, &b, got, sizeof(got));
	is_str(got, "p1,o1,p2,p3", "%s: several types", tag);
	fetch(db, "idx", products, 1, 2, &b, got, sizeof(got));
	is_str(got, "p1,p2", "%s: the limit holds", tag);
	fetch(db, "idx", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "p1,p2,p3", "%s: without an ack nothing moves", tag);
	ok(b.n == 3 && !ack(db, "idx", &b.ev[1]), "%s: ack p2", tag);
	fetch(db, "idx", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "p3", "%s: the next fetch starts after the ack", tag);
	fetch(db, "other", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "p1,p2,p3", "%s: cursors are per consumer", tag);
	fetch(db, "idx", products, 1, 10, &b, got, sizeof(got));
	ok(b.n == 1 && !ack(db, "idx", &b.ev[0]), "%s: ack p3", tag);
	fetch(db, "idx", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "", "%s: nothing after the last row", tag);
	ok(!append(db, "product", "p4"), "%s: append p4", tag);
	testdb_settle(db);
	fetch(db, "idx", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "p4", "%s: a new row appears", tag);
	ok(b.n == 1 && !strcmp(b.ev[0].type, "CHANGED") &&
		   !strcmp(b.ev[0].aggregatetype, "product") &&
		   strstr(b.ev[0].payload, "\"p4\"") && b.ev[0].seq > 0 &&
		   strlen(b.ev[0].id) == OUTBOX_ID_LEN - 1,
	   "%s: the row's fields come back", tag);
	outbox_batch_release(&b);
}

/* ids: the aggregateids of b, comma-separated, into out. */
static void ids(const struct outbox_batch *b, char *out, size_t outlen)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < b->n && used < outlen; i++)
		used += (size_t)snprintf(out + used, outlen - used, "%s%s",
					 i ? "," : "", b->ev[i].aggregateid);
}

/* The relay's side: unpublished rows, then marked published. */
static void relay(struct db *db, const char *tag)
{
	static const char *const orders[] = { "order" };
	struct outbox_batch b = { NULL, 0 };
	struct outbox_backlog bl = { -1, -1 };
	struct err e = ERR_INIT;
	bool done[8] = { false };
	char got[256];
	int rc;

	ok(!outbox_unpublished_fetch(db, both, 2, 10, &b, &e),
	   "%s: fetch unpublished", tag);
	ids(&b, got, sizeof(got));
	is_str(got, "p1,o1,p2,p3,p4",
	       "%s: every row is unpublished, in "
	       "seq order",
	       tag);
	ok(b.n == 5 && !strcmp(b.ev[0].txid, "0") &&
		   !strcmp(b.ev[1].type, "CHANGED") &&
		   strstr(b.ev[1].payload, "\"o1\""),
	   "%s: with its fields, txid \"0\"", tag);
	rc = outbox_unpublished(db, &bl, &e);
	ok(!rc && bl.events == 5, "%s: five wait for the relay (%lld)", tag,
	   (long long)bl.events);
	done[0] = done[1] = done[3] = true;
	ok(!outbox_mark_published(db, &b, done, &e), "%s: mark p1, o1, p3",
	   tag);
	outbox_batch_release(&b);
	ok(!outbox_unpublished_fetch(db, both, 2, 10, &b, &e),
	   "%s: fetch again", tag);
	ids(&b, got, sizeof(got));
	is_str(got, "p2,p4", "%s: only the rows not marked come back", tag);
	outbox_batch_release(&b);
	ok(!outbox_unpublished_fetch(db, orders, 1, 10, &b, &e) && !b.n,
	   "%s: by type", tag);
	outbox_batch_release(&b);
	ok(!outbox_unpublished_fetch(db, both, 2, 1, &b, &e) && b.n == 1,
	   "%s: the limit holds", tag);
	memset(done, 0, sizeof(done));
	ok(!outbox_mark_published(db, &b, done, &e),
	   "%s: marking none runs nothing", tag);
	outbox_batch_release(&b);
	rc = outbox_unpublished(db, &bl, &e);
	ok(!rc && bl.events == 2, "%s: two wait now (%lld)", tag,
	   (long long)bl.events);
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
}

/* Backlogs: what waits, and for how long. */
static void backlog(struct db *db, const char *tag)
{
	struct outbox_backlog bl = { -1, -1 };
	struct err e = ERR_INIT;
	char old[32];
	int rc;

	ok(!outbox_lag(db, "idx", "product", &bl, &e), "%s: lag of a consumer",
	   tag);
	is_int(bl.events, 1, "%s: idx has not acked p4", tag);
	ok(bl.oldest_s >= 0 && bl.oldest_s < 60, "%s: p4 is new (%lld s)", tag,
	   (long long)bl.oldest_s);
	rc = outbox_lag(db, "nobody", "product", &bl, &e);
	ok(!rc && bl.events == 4,
	   "%s: a consumer never seen lags by every row of its type (%lld)",
	   tag, (long long)bl.events);
	rc = outbox_lag(db, "nobody", "order", &bl, &e);
	ok(!rc && bl.events == 1, "%s: only rows of its type count (%lld)", tag,
	   (long long)bl.events);
	clock_ago(old, 120);
	ok(!db_query(db, NULL,
		     "UPDATE outbox SET created_at = $1 WHERE "
		     "aggregateid = 'p2'",
		     DB_ARGS(DB_S(old)), &e),
	   "%s: p2 two minutes old", tag);
	rc = outbox_lag(db, "nobody", "product", &bl, &e);
	ok(!rc && bl.oldest_s >= 119 && bl.oldest_s < 600,
	   "%s: the oldest waiting row's age in seconds (%lld)", tag,
	   (long long)bl.oldest_s);
	rc = outbox_unpublished(db, &bl, &e);
	ok(!rc && bl.events == 2 && bl.oldest_s >= 119 && bl.oldest_s < 600,
	   "%s: unpublished, p2 the oldest (%lld s)", tag,
	   (long long)bl.oldest_s);
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
}

static int64_t count(struct db *db)
{
	struct outbox_backlog bl = { -1, -1 };
	struct err e = ERR_INIT;

	/* The product rows, whatever their state: the lag of a consumer
	 * who has read nothing. */
	if (outbox_lag(db, "nobody", "product", &bl, &e) < 0) {
		printf("# %s\n", e.msg);
		err_release(&e);
		return -1;
	}
	return bl.events;
}

/* Pruning: old rows that every consumer has read (and published). */
static void prune(struct db *db, const char *tag)
{
	struct outbox_batch b = { NULL, 0 };
	struct err e = ERR_INIT;
	char old[32], cutoff[32], got[256];
	long n = -1;

	clock_ago(old, 10 * 86400);
	clock_ago(cutoff, 7 * 86400);
	ok(!db_query(db, NULL,
		     "UPDATE outbox SET created_at = $1 WHERE "
		     "aggregateid IN ('p1', 'p2', 'p3')",
		     DB_ARGS(DB_S(old)), &e),
	   "%s: p1, p2, p3 ten days old", tag);
	ok(!db_query(db, NULL,
		     "DELETE FROM outbox_offsets WHERE consumer "
		     "<> 'idx'",
		     DB_NOARGS, &e),
	   "%s: idx the one consumer", tag);
	is_int(outbox_prune(db, cutoff, true, &n, &e), 0,
	       "%s: prune published rows", tag);
	is_int(n, 2, "%s: the old published rows idx has read go: p1, p3", tag);
	is_int(count(db), 2, "%s: p2 (unpublished) and p4 (new) stay", tag);
	ok(!db_query(db, NULL,
		     "UPDATE outbox_offsets SET seq = 0, txid = "
		     "'0'",
		     DB_NOARGS, &e),
	   "%s: rewind idx", tag);
	is_int(outbox_prune(db, cutoff, false, &n, &e), 0,
	       "%s: prune without Kafka", tag);
	is_int(n, 0, "%s: a row a consumer has not read stays", tag);
	fetch(db, "idx", products, 1, 10, &b, got, sizeof(got));
	ok(b.n == 2 && !ack(db, "idx", &b.ev[b.n - 1]),
	   "%s: idx reads again (%s)", tag, got);
	is_int(outbox_prune(db, cutoff, false, &n, &e), 0, "%s: prune again",
	       tag);
	is_int(n, 1, "%s: now the old row goes, published or not", tag);
	is_int(count(db), 1, "%s: p4 stays, too new", tag);
	ok(!db_query(db, NULL, "DELETE FROM outbox_offsets", DB_NOARGS, &e),
	   "%s: forget every consumer", tag);
	is_int(outbox_prune(db, old, false, &n, &e), 1,
	       "%s: no consumer: nothing to prune, said so", tag);
	is_int(n, 0, "%s: ... and nothing deleted", tag);
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
	outbox_batch_release(&b);
}

/* The reindex: a mark, then the rows of a type from it on. */
static void replay(struct db *db, const char *tag)
{
	struct outbox_batch b = { NULL, 0 };
	struct err e = ERR_INIT;
	char *mark = NULL, got[256];
	int64_t last;

	/* Rows from before the mark may come back; once the horizon has
	 * passed them (PostgreSQL) they do not. */
	testdb_settle(db);
	ok(!outbox_mark(db, &mark, &e) && mark && *mark, "%s: a mark (%s)", tag,
	   mark ? mark : "none");
	ok(!append(db, "product", "r1") && !append(db, "order", "r2") &&
		   !append(db, "product", "r3") && !append(db, "product", "r4"),
	   "%s: three product rows after it", tag);
	ok(!outbox_since(db, mark, "product", 0, 2, &b, &e),
	   "%s: since the mark", tag);
	ids(&b, got, sizeof(got));
	is_str(got, "r1,r3", "%s: its type, in seq order, up to the limit",
	       tag);
	last = b.n ? b.ev[b.n - 1].seq : 0;
	outbox_batch_release(&b);
	ok(!outbox_since(db, mark, "product", last, 2, &b, &e),
	   "%s: after the last seq read", tag);
	ids(&b, got, sizeof(got));
	is_str(got, "r4", "%s: the rest", tag);
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
	free(mark);
	outbox_batch_release(&b);
}

/*
 * T1 appends and stays open; T2 appends after it and commits. A reader
 * that went past T2's row now would never see T1's (a lower seq) once T1
 * commits: it must wait for T1, then get both, T1's first.
 */
static void late_commit(const char *url)
{
	struct db *t1 = NULL, *t2 = NULL, *rd = NULL;
	struct outbox_batch b = { NULL, 0 };
	struct err e = ERR_INIT;
	char got[256];

	if (db_open(&t1, url, NULL, &e) || db_open(&t2, url, NULL, &e) ||
	    db_open(&rd, url, NULL, &e)) {
		ok(0, "pg: three connections: %s", e.msg);
		goto out;
	}
	/* Start this consumer after the rows the battery left. */
	fetch(rd, "late", products, 1, 100, &b, got, sizeof(got));
	ok(b.n > 0 && !ack(rd, "late", &b.ev[b.n - 1]),
	   "pg: a consumer at the end of the outbox");
	ok(!append(rd, "product", "before"), "pg: a committed row");
	testdb_settle(rd);
	ok(!db_begin(t1, &e) && !append(t1, "product", "t1"),
	   "pg: T1 appends and stays open");
	ok(!db_begin(t2, &e) && !append(t2, "product", "t2") &&
		   !db_commit(t2, &e),
	   "pg: T2 appends and commits");
	fetch(rd, "late", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "before", "pg: T2's row is held back while T1 runs");
	ok(b.n == 1 && !ack(rd, "late", &b.ev[0]), "pg: ack what came");
	fetch(rd, "late", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "", "pg: still nothing while T1 runs");
	ok(!db_commit(t1, &e), "pg: T1 commits");
	testdb_settle(rd);
	fetch(rd, "late", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "t1,t2", "pg: then both, none skipped, T1's first");
	ok(b.n == 2 && !ack(rd, "late", &b.ev[1]), "pg: ack both");
	fetch(rd, "late", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "", "pg: nothing is read twice");
	/* A rolled-back transaction leaves no row and holds nothing up. */
	ok(!db_begin(t1, &e) && !append(t1, "product", "gone"),
	   "pg: T3 appends");
	db_rollback(t1);
	ok(!append(rd, "product", "after"), "pg: another committed row");
	testdb_settle(rd);
	fetch(rd, "late", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "after", "pg: a rollback neither appears nor blocks");
out:
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
	outbox_batch_release(&b);
	db_free(t1);
	db_free(t2);
	db_free(rd);
}

/* The one battery testdb_run runs on each database. */
static void all(struct db *db, const char *url, const char *tag)
{
	battery(db, tag);
	relay(db, tag);
	backlog(db, tag);
	prune(db, tag);
	replay(db, tag);
	if (!strcmp(tag, "pg"))
		late_commit(url);
}

int main(void)
{
	testdb_run("outbox", all);
	return done_testing();
}
