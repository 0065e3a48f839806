/* t-outbox.c: appending and reading outbox rows on SQLite and PostgreSQL,
 * including a transaction that commits after a later one (PostgreSQL). */
#include "common.h"
#include "db.h"
#include "migrate.h"
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
static void fetch(struct db *db, const char *consumer,
		  const char *const *types, size_t ntypes, size_t limit,
		  struct outbox_batch *b, char *out, size_t outlen)
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

/*
 * settle: on PostgreSQL, wait until the rows committed so far can be read.
 * A reader holds back rows while any older transaction runs, and the
 * horizon (the snapshot's xmin) is the whole cluster's: another test's
 * transaction in another database holds our rows back too. A new
 * transaction id is newer than every row committed before it; once the
 * horizon has passed it, they are all readable. 10 s at most.
 */
static void settle(struct db *db)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	char xid[32] = "";
	int i;

	if (db_dialect(db) != DB_POSTGRES)
		return;
	if (!db_query(db, &res, "SELECT pg_current_xact_id()::text",
		      DB_NOARGS, &e) && db_res_rows(res) == 1)
		snprintf(xid, sizeof(xid), "%s", db_res_str(res, 0, 0));
	db_res_free(res);
	for (i = 0; xid[0] && i < 500; i++) {
		res = NULL;
		bool past = !db_query(db, &res,
				      "SELECT pg_snapshot_xmin("
				      "pg_current_snapshot()) > $1::xid8",
				      DB_ARGS(DB_S(xid)), &e) &&
			    db_res_rows(res) == 1 &&
			    !strcmp(db_res_str(res, 0, 0), "t");

		db_res_free(res);
		if (past)
			break;
		usleep(20000);
	}
	if (e.code)
		printf("# settle: %s\n", e.msg);
	err_release(&e);
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
	settle(db);
	fetch(db, "idx", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "p1,p2,p3", "%s: a new consumer reads its type from the "
	       "start, in order", tag);
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
	settle(db);
	fetch(db, "idx", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "p4", "%s: a new row appears", tag);
	ok(b.n == 1 && !strcmp(b.ev[0].type, "CHANGED") &&
	   !strcmp(b.ev[0].aggregatetype, "product") &&
	   strstr(b.ev[0].payload, "\"p4\"") && b.ev[0].seq > 0 &&
	   strlen(b.ev[0].id) == OUTBOX_ID_LEN - 1,
	   "%s: the row's fields come back", tag);
	outbox_batch_release(&b);
}

static void test_sqlite(void)
{
	struct db *db = NULL;
	struct err e = ERR_INIT;
	char *path = testdb_sqlite_path("outbox");
	char *url = xasprintf("file:%s", path);

	if (!db_open(&db, url, NULL, &e) && !migrate_run(db, NULL, &e))
		battery(db, "sqlite");
	else
		ok(0, "sqlite: open and migrate: %s", e.msg);
	err_release(&e);
	db_free(db);
	testdb_sqlite_unlink(path);
	free(url);
	free(path);
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
	settle(rd);
	ok(!db_begin(t1, &e) && !append(t1, "product", "t1"),
	   "pg: T1 appends and stays open");
	ok(!db_begin(t2, &e) && !append(t2, "product", "t2") &&
	   !db_commit(t2, &e), "pg: T2 appends and commits");
	fetch(rd, "late", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "before", "pg: T2's row is held back while T1 runs");
	ok(b.n == 1 && !ack(rd, "late", &b.ev[0]), "pg: ack what came");
	fetch(rd, "late", products, 1, 10, &b, got, sizeof(got));
	is_str(got, "", "pg: still nothing while T1 runs");
	ok(!db_commit(t1, &e), "pg: T1 commits");
	settle(rd);
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
	settle(rd);
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

static void test_pg(void)
{
	struct db *admin = testdb_pg_admin(), *db = NULL;
	struct err e = ERR_INIT;
	char *url;

	if (!admin)
		return;
	if ((url = testdb_pg_create(admin, "outbox"))) {
		if (!db_open(&db, url, NULL, &e) &&
		    !migrate_run(db, NULL, &e)) {
			battery(db, "pg");
			late_commit(url);
		} else {
			ok(0, "pg: open and migrate: %s", e.msg);
		}
		err_release(&e);
		db_free(db);
		free(url);
		testdb_pg_drop(admin, "outbox");
	}
	db_free(admin);
}

int main(void)
{
	test_sqlite();
	test_pg();
	return done_testing();
}
