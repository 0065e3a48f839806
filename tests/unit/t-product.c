/* t-product.c: product writes with their outbox events, the API's and the
 * search's JSON of a row, and the indexes the search walks, on SQLite and
 * PostgreSQL. */
#include "common.h"

#include <pthread.h>
#include <unistd.h>

#include "col.h"
#include "jsonx.h"
#include "migrate.h"
#include "product.h"
#include "sbuf.h"
#include "tap.h"
#include "testdb.h"

/* last_event: "TYPE aggregateid payload" of the newest outbox row, with
 * the payload's created_at blanked (a clock), into out. */
static void last_event(struct db *db, char *out, size_t len)
{
	struct db_res *res = NULL;
	struct json_object *p = NULL;
	struct err e = ERR_INIT;

	snprintf(out, len, "none");
	if (db_query(db, &res,
		     "SELECT type, aggregateid, payload "
		     "FROM outbox ORDER BY seq DESC LIMIT 1",
		     DB_NOARGS, &e) == 0 &&
	    db_res_rows(res) == 1 &&
	    jsonx_parse(db_res_str(res, 0, 2), strlen(db_res_str(res, 0, 2)),
			&p, &e) == 0) {
		if (json_object_object_get_ex(p, "created_at", NULL))
			json_object_object_add(p, "created_at",
					       json_object_new_string("T"));
		snprintf(out, len, "%s %s %s", db_res_str(res, 0, 0),
			 db_res_str(res, 0, 1), jsonx_str(p, NULL));
	}
	json_object_put(p);
	if (res)
		db_res_free(res);
	err_release(&e);
}

/* The API's product. */
static struct json_object *api_product(const struct db_res *res, size_t row)
{
	return col_json(product_cols, res, row);
}

/* json_of: row 0 of res through fn, with its times blanked, into out. */
static void json_of(struct json_object *(*fn)(const struct db_res *, size_t),
		    const struct db_res *res, char *out, size_t len)
{
	struct json_object *o = fn(res, 0);
	static const char *const times[] = { "createdAt", "updatedAt",
					     "created_at" };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(times); i++)
		if (json_object_object_get_ex(o, times[i], NULL))
			json_object_object_add(o, times[i],
					       json_object_new_string("T"));
	snprintf(out, len, "%s", jsonx_str(o, NULL));
	json_object_put(o);
}

static int64_t count_events(struct db *db)
{
	return testdb_int(db, "SELECT count(*) FROM outbox");
}

static void battery(struct db *db, const char *url, const char *tag)
{
	struct product_input in = { "Laptop", NULL, false, "Computers",
				    "Acme",   1500, true,  NULL };
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	char got[1024];
	int64_t id, price = -1, n;

	(void)url;
	ok(!product_create(db, &in, &res, &e), "%s: create %s", tag, e.msg);
	if (!res)
		goto out;
	id = db_res_int(res, 0, PRODUCT_ID);
	json_of(api_product, res, got, sizeof(got));
	is_str(got,
	       "{\"id\":1,\"name\":\"Laptop\",\"description\":null,"
	       "\"category\":\"Computers\",\"brand\":\"Acme\",\"price\":1500,"
	       "\"status\":\"ACTIVE\",\"version\":1,\"createdAt\":\"T\","
	       "\"updatedAt\":\"T\"}",
	       "%s: the API's product", tag);
	json_of(product_doc, res, got, sizeof(got));
	is_str(got,
	       "{\"id\":1,\"name\":\"Laptop\",\"description\":null,"
	       "\"category\":\"Computers\",\"brand\":\"Acme\",\"price\":1500,"
	       "\"status\":\"ACTIVE\",\"created_at\":\"T\"}",
	       "%s: the search document", tag);
	last_event(db, got, sizeof(got));
	is_str(got,
	       "PRODUCT_UPSERTED 1 {\"id\":1,\"name\":\"Laptop\","
	       "\"description\":null,\"category\":\"Computers\",\"brand\":"
	       "\"Acme\",\"price\":1500,\"status\":\"ACTIVE\",\"created_at\":"
	       "\"T\",\"version\":1}",
	       "%s: its event, in the same commit", tag);
	db_res_free(res);
	res = NULL;

	ok(product_price(db, id, &price, &e) == 1 && price == 1500,
	   "%s: an ACTIVE product has a price", tag);

	/* Only what is given changes; null description clears. */
	memset(&in, 0, sizeof(in));
	in.description = "Light";
	in.has_description = true;
	in.status = "INACTIVE";
	ok(!product_update(db, id, &in, &res, &e), "%s: update %s", tag, e.msg);
	if (!res)
		goto out;
	json_of(api_product, res, got, sizeof(got));
	is_str(got,
	       "{\"id\":1,\"name\":\"Laptop\",\"description\":\"Light\","
	       "\"category\":\"Computers\",\"brand\":\"Acme\",\"price\":1500,"
	       "\"status\":\"INACTIVE\",\"version\":2,\"createdAt\":\"T\","
	       "\"updatedAt\":\"T\"}",
	       "%s: an update keeps what it is not "
	       "given, version + 1",
	       tag);
	db_res_free(res);
	res = NULL;
	last_event(db, got, sizeof(got));
	ok(strstr(got, "PRODUCT_UPSERTED 1 ") == got &&
		   strstr(got, "\"version\":2}"),
	   "%s: the update's event: %s", tag, got);
	ok(product_price(db, id, &price, &e) == 0,
	   "%s: an INACTIVE product cannot be ordered", tag);

	n = count_events(db);
	ok(product_update(db, 99, &in, NULL, &e) < 0 &&
		   e.code == ERR_NOT_FOUND &&
		   !strcmp(e.msg, "Product 99 not found"),
	   "%s: an update of no product is 404", tag);
	err_release(&e);
	is_int(count_events(db), n, "%s: ... and appends no event", tag);

	ok(!product_delete(db, id, NULL, &e), "%s: delete %s", tag, e.msg);
	last_event(db, got, sizeof(got));
	is_str(got, "PRODUCT_DELETED 1 {\"id\":1,\"version\":3}",
	       "%s: a delete's event outranks the last version", tag);
	ok(product_delete(db, id, NULL, &e) < 0 && e.code == ERR_NOT_FOUND,
	   "%s: deleting it again is 404", tag);
	err_release(&e);
	ok(product_price(db, id, &price, &e) == 0,
	   "%s: a deleted product cannot be ordered", tag);

	/* A write that fails commits nothing: no row, no event. */
	memset(&in, 0, sizeof(in));
	in.name = "Broken";
	in.category = "C";
	in.brand = "B";
	in.price = -1;
	n = count_events(db);
	ok(product_create(db, &in, NULL, &e) < 0,
	   "%s: a negative price is "
	   "refused by the schema",
	   tag);
	err_release(&e);
	is_int(count_events(db), n, "%s: ... and leaves no event", tag);
out:
	if (res)
		db_res_free(res);
	err_release(&e);
}

/* The tsvector of a product, the same on every machine. */
static void test_tsvector(void)
{
	struct sbuf sb = SBUF_INIT;

	product_tsvector(&sb, "Wireless 이어폰", NULL);
	is_str(sb.buf, "'wireless':1A '이어폰':2A '이어':3C '어폰':4C",
	       "tsvector: the name's words A, their bigrams C");
	sbuf_reset(&sb);
	product_tsvector(&sb, "it's", "a\\b 이어폰");
	is_str(sb.buf,
	       "'it':1A 's':2A 'a':3B 'b':4B '이어폰':5B '이어':6D "
	       "'어폰':7D",
	       "tsvector: the description's words B, bigrams D, "
	       "positions running on");
	sbuf_release(&sb);
}

/*
 * The index walks of a search (search-fts.c), each read from an index
 * alone: on SQLite a covering index that begins with status, on
 * PostgreSQL an index-only scan of a partial index of the ACTIVE
 * products (db/postgres/0017), which holds no status column yet serves
 * status = 'ACTIVE'. Sequential and bitmap scans are turned off so that
 * an empty table still shows which index the planner can use.
 */
static void walks(struct db *db, const char *url, const char *tag)
{
	static const char *const sql[] = {
		/* a price range's edges, with their facets */
		"SELECT category, brand FROM products WHERE status = 'ACTIVE' "
		"AND price >= 1 AND price <= 2",
		/* a page newest first */
		"SELECT id FROM products p WHERE p.status = 'ACTIVE' "
		"ORDER BY p.created_at DESC, p.id DESC LIMIT 20",
		/* a category's page newest first */
		"SELECT id FROM products p WHERE p.status = 'ACTIVE' AND "
		"p.category = 'C' ORDER BY p.created_at DESC, p.id DESC "
		"LIMIT 20",
		/* a category and brand counted in a price range */
		"SELECT count(*) FROM products p WHERE p.status = 'ACTIVE' "
		"AND p.category = 'C' AND p.brand = 'B' AND p.price >= 1",
	};
	bool pg = db_dialect(db) == DB_POSTGRES;
	struct sbuf plan = SBUF_INIT, q = SBUF_INIT;
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	size_t i, r;

	(void)url;
	if (pg && db_exec_script(db,
				 "SET enable_seqscan = off; "
				 "SET enable_bitmapscan = off",
				 &e) < 0) {
		ok(0, "%s: planner settings: %s", tag, e.msg);
		err_release(&e);
	}
	for (i = 0; i < ARRAY_SIZE(sql); i++) {
		sbuf_reset(&plan);
		sbuf_reset(&q);
		sbuf_addf(&q, "%s%s",
			  pg ? "EXPLAIN (COSTS OFF) " : "EXPLAIN QUERY PLAN ",
			  sql[i]);
		if (db_query(db, &res, q.buf, DB_NOARGS, &e) == 0)
			for (r = 0; r < db_res_rows(res); r++)
				sbuf_addf(&plan, "%s%s", r ? "; " : "",
					  db_res_str(res, r, pg ? 0 : 3));
		ok(plan.len &&
			   strstr(plan.buf,
				  pg ? "Index Only Scan" : "COVERING INDEX") &&
			   strstr(plan.buf, pg ? "using products_active_" :
						 "INDEX products_status_"),
		   "%s: walk %zu from an index alone: %s", tag, i + 1,
		   plan.len ? plan.buf : e.msg);
		db_res_free(res);
		res = NULL;
		err_release(&e);
	}
	sbuf_release(&plan);
	sbuf_release(&q);
}

/* is_total: the catalogue's size as product_total keeps it is want, and
 * what count(*) says. */
static void is_total(struct db *db, int64_t want, const char *tag,
		     const char *what)
{
	int64_t kept = testdb_int(db, "SELECT n FROM product_total");

	ok(kept == want &&
		   kept == testdb_int(db, "SELECT count(*) FROM products"),
	   "%s: %s: %" PRId64 " products kept, %" PRId64 " wanted", tag, what,
	   kept, want);
}

/* The total of GET /api/products, kept by triggers
 * (db/<dialect>/0018_product_total.sql), through every way of writing. */
static void total(struct db *db, const char *url, const char *tag)
{
	struct product_input in = { "Lamp", NULL, false, "Home",
				    "Acme", 900,  true,	 NULL };
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	int64_t id = 0;

	(void)url;
	is_total(db, 0, tag, "an empty catalogue");
	ok(!product_create(db, &in, &res, &e), "%s: create %s", tag, e.msg);
	if (res)
		id = db_res_int(res, 0, PRODUCT_ID);
	db_res_free(res);
	res = NULL;
	in.status = "INACTIVE";
	ok(!product_create(db, &in, NULL, &e), "%s: create %s", tag, e.msg);
	is_total(db, 2, tag, "two created, one of them INACTIVE");

	memset(&in, 0, sizeof(in));
	in.status = "INACTIVE";
	ok(!product_update(db, id, &in, NULL, &e), "%s: update %s", tag, e.msg);
	is_total(db, 2, tag, "an update counts no product");

	in.name = "Broken";
	in.category = "C";
	in.brand = "B";
	in.price = -1;
	ok(product_create(db, &in, NULL, &e) < 0, "%s: a refused create", tag);
	err_release(&e);
	is_total(db, 2, tag, "... counts none either");

	/* several rows in one statement, in and out */
	ok(!db_exec_script(db,
			   "INSERT INTO products (name, category, brand, "
			   "price) SELECT name, category, brand, price + 1 "
			   "FROM products",
			   &e),
	   "%s: two more in one statement %s", tag, e.msg);
	is_total(db, 4, tag, "an INSERT ... SELECT counts its rows");
	ok(!db_exec_script(db, "DELETE FROM products WHERE price > 900", &e),
	   "%s: two deleted in one statement %s", tag, e.msg);
	is_total(db, 2, tag, "a DELETE counts its rows");
	ok(!product_delete(db, id, NULL, &e), "%s: delete %s", tag, e.msg);
	is_total(db, 1, tag, "one deleted");
	if (db_dialect(db) == DB_POSTGRES) {
		ok(!db_exec_script(db, "TRUNCATE products CASCADE", &e),
		   "%s: truncate %s", tag, e.msg);
		is_total(db, 0, tag, "TRUNCATE empties it");
	}
	err_release(&e);
}

/* A migration run by a thread of its own, on a connection of its own. */
struct migration_run {
	const char *url, *sql;
	int rc;
	struct err e;
};

static void *migration_thread(void *arg)
{
	struct migration_run *m = arg;
	struct db *db = NULL;

	m->rc = db_open(&db, m->url, NULL, &m->e);
	if (!m->rc)
		m->rc = db_begin(db, &m->e) ||
			db_exec_script(db, m->sql, &m->e) ||
			db_commit(db, &m->e);
	db_free(db);
	return NULL;
}

/*
 * PostgreSQL: migration 0018 on a catalogue being written. A product
 * inserted in a transaction still open when the migration starts, and
 * committed while it runs, must be in the count: migration 0018 takes
 * the table's lock before counting. Counting first, it would miss the
 * row, whose insert fired no trigger yet. The commit waits until the
 * migration is seen waiting for a lock.
 */
static void total_migrated(struct db *db, const char *url, const char *tag)
{
	struct migration_run m = { url, NULL, -1, ERR_INIT };
	struct db *writer = NULL;
	struct err e = ERR_INIT;
	pthread_t t;
	size_t i;
	int64_t waiting = 0;

	if (db_dialect(db) != DB_POSTGRES)
		return;
	for (i = 0; migrations_postgres[i].version; i++)
		if (!strcmp(migrations_postgres[i].version,
			    "0018_product_total"))
			m.sql = migrations_postgres[i].sql;
	ok(m.sql != NULL, "%s: migration 0018 is embedded", tag);
	if (!m.sql ||
	    db_exec_script(db,
			   "DROP TABLE product_total; "
			   "DROP FUNCTION product_total_sync() CASCADE; "
			   "INSERT INTO products (name, category, brand, price) "
			   "VALUES ('Old', 'C', 'B', 1)",
			   &e) ||
	    db_open(&writer, url, NULL, &e) || db_begin(writer, &e) ||
	    db_exec_script(writer,
			   "INSERT INTO products (name, category, brand, "
			   "price) VALUES ('New', 'C', 'B', 2)",
			   &e)) {
		ok(0, "%s: a catalogue before 0018, a write open: %s", tag,
		   e.msg);
		goto out;
	}
	if (pthread_create(&t, NULL, migration_thread, &m)) {
		ok(0, "%s: cannot start a thread", tag);
		goto out;
	}
	/* ten seconds at most: a hang, not a slow machine, takes longer */
	for (i = 0; i < 1000 && waiting < 1; i++) {
		waiting =
			testdb_int(db, "SELECT count(*) FROM pg_stat_activity "
				       "WHERE datname = current_database() "
				       "AND wait_event_type = 'Lock'");
		if (waiting < 1)
			usleep(10000);
	}
	ok(waiting >= 1, "%s: the migration waits for the open write", tag);
	ok(!db_commit(writer, &e), "%s: the write commits %s", tag, e.msg);
	pthread_join(t, NULL);
	ok(!m.rc, "%s: migration 0018 runs %s", tag, m.e.msg);
	is_total(db, 2, tag, "a product committed during the migration");
out:
	err_release(&m.e);
	err_release(&e);
	db_free(writer);
}

int main(void)
{
	test_tsvector();
	testdb_run("product", battery);
	testdb_run("product_walks", walks);
	testdb_run("product_total", total);
	testdb_run("product_total_migrated", total_migrated);
	return done_testing();
}
