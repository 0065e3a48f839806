/* t-notify.c: order events to notification rows, duplicates, poison events,
 * a database that fails, dead letters; on SQLite and PostgreSQL. */
#include "common.h"
#include "db.h"
#include "jsonx.h"
#include "migrate.h"
#include "notify.h"
#include "outbox.h"
#include "source.h"
#include "tap.h"
#include "testdb.h"

static char *event(const char *id, const char *type, int64_t order,
		   int64_t user, int64_t amount)
{
	return xasprintf("{\"eventId\":\"%s\",\"eventType\":\"%s\","
			 "\"timestamp\":\"2026-01-01T00:00:00.000Z\","
			 "\"orderId\":%" PRId64 ",\"userId\":%" PRId64 ","
			 "\"totalAmount\":%" PRId64 "}",
			 id, type, order, user, amount);
}

/* handle: notify_handle on payload; the result, the row id in *id. */
static enum notify_result handle(struct db *db, const char *payload,
				 int64_t *id, char *why, size_t whylen)
{
	struct notify_note n;
	struct err e = ERR_INIT;
	enum notify_result r = notify_handle(db, payload, &n, &e);

	if (id)
		*id = n.id;
	if (why)
		snprintf(why, whylen, "%s", e.msg);
	notify_note_release(&n);
	err_release(&e);
	return r;
}

static char *message_of(struct db *db, const char *event_id)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	char *s = NULL;

	if (!db_query(db, &res,
		      "SELECT message, type, user_id FROM "
		      "notifications WHERE event_id = $1",
		      DB_ARGS(DB_S(event_id)), &e) &&
	    db_res_rows(res) == 1)
		s = xasprintf("%s|%s|%s", db_res_str(res, 0, 0),
			      db_res_str(res, 0, 1), db_res_str(res, 0, 2));
	db_res_free(res);
	err_release(&e);
	return s ? s : xstrdup("(none)");
}

static void texts(struct db *db, const char *tag)
{
	static const struct {
		const char *id, *type;
		const char *want;
	} cases[] = {
		{ "ev-c", "ORDER_CREATED",
		  "주문이 생성되었습니다. 주문 번호: 7, 금액: 25000원"
		  "|ORDER_CREATED|1" },
		{ "ev-p", "ORDER_PAID",
		  "주문이 결제되었습니다. 주문 번호: 7|ORDER_PAID|1" },
		{ "ev-x", "ORDER_CANCELLED",
		  "주문이 취소되었습니다. 주문 번호: 7|ORDER_CANCELLED|1" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *p = event(cases[i].id, cases[i].type, 7, 1, 25000);
		char *got;
		int64_t id = 0;

		ok(handle(db, p, &id, NULL, 0) == NOTIFY_NEW && id > 0,
		   "%s: %s makes a new row", tag, cases[i].type);
		got = message_of(db, cases[i].id);
		is_str(got, cases[i].want, "%s: %s: the seed's text", tag,
		       cases[i].type);
		free(got);
		free(p);
	}
}

static void duplicates(struct db *db, const char *tag)
{
	char *p = event("ev-dup", "ORDER_CREATED", 8, 1, 100);
	int64_t id = 1;

	ok(handle(db, p, NULL, NULL, 0) == NOTIFY_NEW, "%s: first delivery",
	   tag);
	ok(handle(db, p, &id, NULL, 0) == NOTIFY_DUPLICATE && id == 0,
	   "%s: a redelivery is a duplicate", tag);
	is_int(testdb_int(db, "SELECT count(*) FROM notifications WHERE "
			      "event_id = 'ev-dup'"),
	       1, "%s: one row for the event", tag);
	free(p);
}

static void poison(struct db *db, const char *tag)
{
	static const struct {
		const char *payload, *why;
	} cases[] = {
		{ "not json", "Unexpected token" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"eventId\":\"p1\",\"eventType\":\"ORDER_SHIPPED\","
		  "\"timestamp\":\"t\",\"orderId\":1,\"userId\":1,"
		  "\"totalAmount\":1}",
		  "unknown eventType ORDER_SHIPPED" },
		{ "{\"eventId\":\"p2\",\"eventType\":\"ORDER_PAID\","
		  "\"timestamp\":\"t\",\"userId\":1,\"totalAmount\":1}",
		  "orderId is missing" },
		{ "{\"eventId\":\"p3\",\"eventType\":\"ORDER_PAID\","
		  "\"timestamp\":\"t\",\"orderId\":\"1\",\"userId\":1,"
		  "\"totalAmount\":1}",
		  "orderId must be an integer" },
		{ "{\"eventType\":\"ORDER_PAID\",\"timestamp\":\"t\","
		  "\"orderId\":1,\"userId\":1,\"totalAmount\":1}",
		  "eventId must be a string" },
		{ "{\"eventId\":\"p4\",\"eventType\":\"ORDER_PAID\","
		  "\"timestamp\":\"t\",\"orderId\":1,\"userId\":1,"
		  "\"totalAmount\":1} x",
		  "Unexpected non-whitespace" },
		/* A user who does not exist: the row can never be stored. */
		{ "{\"eventId\":\"p5\",\"eventType\":\"ORDER_PAID\","
		  "\"timestamp\":\"t\",\"orderId\":1,\"userId\":999,"
		  "\"totalAmount\":1}",
		  "" },
		{ NULL, "NUL byte" },
	};
	int64_t before = testdb_int(db, "SELECT count(*) FROM notifications");
	char why[256];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		enum notify_result r =
			handle(db, cases[i].payload, NULL, why, sizeof(why));

		ok(r == NOTIFY_POISON && strstr(why, cases[i].why),
		   "%s: poison %zu: %s (got %d: %s)", tag, i, cases[i].why,
		   (int)r, why);
	}
	is_int(testdb_int(db, "SELECT count(*) FROM notifications"), before,
	       "%s: no row from poison", tag);
}

/* A database that cannot take the row now (locked by another writer):
 * RETRY, and the same event passes once the lock is gone. */
static void retry(struct db *db, struct db *other, const char *tag)
{
	char *p = event("ev-retry", "ORDER_PAID", 9, 1, 1);
	struct err e = ERR_INIT;
	char why[256] = "";
	int locked;

	locked = !db_begin(other, &e);
	if (locked && db_dialect(other) == DB_POSTGRES)
		locked = !db_query(other, NULL,
				   "LOCK TABLE notifications IN "
				   "EXCLUSIVE MODE",
				   DB_NOARGS, &e);
	ok(locked, "%s: another connection locks the table", tag);
	ok(handle(db, p, NULL, why, sizeof(why)) == NOTIFY_RETRY,
	   "%s: a locked database is RETRY (%s)", tag, why);
	db_rollback(other);
	ok(handle(db, p, NULL, NULL, 0) == NOTIFY_NEW,
	   "%s: the same event passes once the lock is gone", tag);
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
	free(p);
}

/* The outbox source: order rows only, dead letters kept once, the cursor
 * moved by ack. */
static void outbox_source(struct db *db, const char *tag)
{
	struct source *src = source_outbox_new(db, "t-notify", "order");
	struct json_object *p = json_object_new_object();
	struct outbox_batch b = { NULL, 0 };
	struct err e = ERR_INIT;

	json_object_object_add(p, "eventType",
			       json_object_new_string("ORDER_SHIPPED"));
	ok(!outbox_append(db, "product", "1", "PRODUCT_CREATED", p, NULL, &e) &&
		   !outbox_append(db, "order", "1", "ORDER_SHIPPED", p, NULL,
				  &e),
	   "%s: two outbox rows", tag);
	testdb_settle(db);
	ok(!src->fetch(src, 10, &b, &e) && b.n == 1 &&
		   !strcmp(b.ev[0].aggregatetype, "order"),
	   "%s: the source reads the order row only", tag);
	ok(b.n == 1 && !src->dead(src, &b, 0, "unknown eventType", &e) &&
		   !src->dead(src, &b, 0, "unknown eventType", &e),
	   "%s: dead-letter it twice", tag);
	is_int(testdb_int(db,
			  "SELECT count(*) FROM dead_letters WHERE consumer = "
			  "'t-notify'"),
	       1, "%s: one dead letter", tag);
	ok(!src->ack(src, &b, &e), "%s: ack", tag);
	outbox_batch_release(&b);
	ok(!src->fetch(src, 10, &b, &e) && b.n == 0,
	   "%s: nothing after the ack", tag);
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
	outbox_batch_release(&b);
	json_object_put(p);
	source_free(src);
}

/* What GET /api/notifications and PATCH …/read answer. */
static void reads(struct db *db, const char *tag)
{
	struct json_object *o = NULL, *first;
	struct err e = ERR_INIT;
	char at[64] = "";
	int64_t id;

	ok(!notify_list(db, 1, 2, &o, &e) && json_object_array_length(o) == 2,
	   "%s: the newest two", tag);
	first = json_object_array_get_idx(o, 0);
	id = json_object_get_int64(json_object_object_get(first, "id"));
	ok(id > json_object_get_int64(
			json_object_object_get(json_object_array_get_idx(o, 1),
					       "id")) &&
		   json_object_object_get_ex(first, "readAt", NULL) &&
		   !json_object_object_get(first, "readAt"),
	   "%s: newest first, unread: readAt null", tag);
	json_object_put(o);
	o = NULL;
	ok(!notify_read(db, id, 1, &o, &e) && jsonx_get_str(o, "readAt"),
	   "%s: read: readAt set", tag);
	if (o)
		snprintf(at, sizeof(at), "%s", jsonx_get_str(o, "readAt"));
	json_object_put(o);
	o = NULL;
	ok(!notify_read(db, id, 1, &o, &e) && o &&
		   !strcmp(jsonx_get_str(o, "readAt"), at),
	   "%s: read again: the first time kept", tag);
	json_object_put(o);
	o = NULL;
	ok(notify_read(db, id, 2, &o, &e) < 0 && e.code == ERR_NOT_FOUND,
	   "%s: another user's: 404", tag);
	err_release(&e);
	ok(notify_read(db, 99999, 1, &o, &e) < 0 && e.code == ERR_NOT_FOUND &&
		   !strcmp(e.msg, "Notification 99999 not found"),
	   "%s: no such notification: 404", tag);
	err_release(&e);
}

static void battery(struct db *db, struct db *other, const char *tag)
{
	struct err e = ERR_INIT;

	ok(!db_query(db, NULL,
		     "INSERT INTO users (email, password_hash, name) "
		     "VALUES ('n@agora.test', 'x', 'N')",
		     DB_NOARGS, &e),
	   "%s: a user (id 1)", tag);
	err_release(&e);
	texts(db, tag);
	duplicates(db, tag);
	reads(db, tag);
	poison(db, tag);
	retry(db, other, tag);
	outbox_source(db, tag);
}

static const struct db_opts quick = { 0, 300, 200 };

static void test_sqlite(void)
{
	struct db *db = NULL, *other = NULL;
	struct err e = ERR_INIT;
	char *path = testdb_sqlite_path("notify");
	char *url = xasprintf("file:%s", path);

	if (!db_open(&db, url, &quick, &e) && !migrate_run(db, NULL, &e) &&
	    !db_open(&other, url, NULL, &e))
		battery(db, other, "sqlite");
	else
		ok(0, "sqlite: open and migrate: %s", e.msg);
	err_release(&e);
	db_free(db);
	db_free(other);
	testdb_sqlite_unlink(path);
	free(url);
	free(path);
}

static void test_pg(void)
{
	struct db *admin = testdb_pg_admin(), *db = NULL, *other = NULL;
	struct err e = ERR_INIT;
	char *url;

	if (!admin)
		return;
	if ((url = testdb_pg_create(admin, "notify"))) {
		if (!db_open(&db, url, &quick, &e) &&
		    !migrate_run(db, NULL, &e) &&
		    !db_open(&other, url, NULL, &e))
			battery(db, other, "pg");
		else
			ok(0, "pg: open and migrate: %s", e.msg);
		err_release(&e);
		db_free(db);
		db_free(other);
		free(url);
		testdb_pg_drop(admin, "notify");
	}
	db_free(admin);
}

int main(void)
{
	test_sqlite();
	test_pg();
	return done_testing();
}
