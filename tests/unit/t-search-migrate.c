/* t-search-migrate.c: products written before the analyzer's migration
 * are found with it once `agora migrate` has run (the migrations, then
 * product_tsvector_fill() on PostgreSQL and postings_build()),
 * vocabulary included. */
#include "common.h"
#include "db.h"
#include "migrate.h"
#include "postings.h"
#include "product.h"
#include "search.h"
#include "tap.h"
#include "testdb.h"

#define ANALYZER_STEP "0014"

/* Apply, and record, the migrations before the analyzer's. */
static int apply_before(struct db *db, const struct migration *m)
{
	struct err e = ERR_INIT;
	int rc = db_exec_script(
		db,
		db_dialect(db) == DB_POSTGRES ?
			"CREATE TABLE schema_migrations (version text PRIMARY KEY, "
			"applied_at timestamptz NOT NULL DEFAULT now())" :
			"CREATE TABLE schema_migrations (version text PRIMARY KEY, "
			"applied_at text NOT NULL DEFAULT 'x')",
		&e);

	for (;
	     rc == 0 && m->version && strncmp(m->version, ANALYZER_STEP, 4) < 0;
	     m++)
		rc = db_exec_script(db, m->sql, &e) ||
		     db_query(db, NULL,
			      "INSERT INTO schema_migrations "
			      "(version) VALUES ($1)",
			      DB_ARGS(DB_S(m->version)), &e);
	if (rc)
		printf("# %s\n", e.msg);
	err_release(&e);
	return rc;
}

static int64_t total_of(struct search *s, const char *q, const char **corrected)
{
	struct search_query sq = { q,  NULL, NULL, -1,
				   -1, 1,    10,   SEARCH_RELEVANCE };
	struct json_object *out = NULL, *v;
	struct err e = ERR_INIT;
	int64_t n = -1;
	static char fixed[64];

	*corrected = NULL;
	if (search_products(s, &sq, &out, &e) == 0) {
		n = json_object_get_int64(json_object_object_get(out, "total"));
		if (json_object_object_get_ex(out, "correctedQuery", &v)) {
			snprintf(fixed, sizeof(fixed), "%s",
				 json_object_get_string(v));
			*corrected = fixed;
		}
	} else {
		printf("# search %s: %s\n", q, e.msg);
	}
	json_object_put(out);
	err_release(&e);
	return n;
}

static void check(struct db *db, const char *tag, const struct migration *list)
{
	struct err e = ERR_INIT;
	struct search *s = NULL;
	struct cfg c;
	struct json_object *out = NULL;
	const char *fix;
	int applied = 0;
	int64_t n = -1;

	memset(&c, 0, sizeof(c));
	c.elasticsearch_node = (char *)""; /* the database's full text */
	ok(apply_before(db, list) == 0, "%s: the migrations before %s", tag,
	   ANALYZER_STEP);
	ok(db_query(db, NULL,
		    "INSERT INTO products (name, description, "
		    "category, brand, price, status, created_at, updated_at) "
		    "VALUES ('삼성 노트북 가방', '노트북을 넣는 가방', 'Bags', "
		    "'Samsung', 1000, 'ACTIVE', $1, $1), ('Acme Laptop 15', "
		    "NULL, 'Computers', 'Acme', 2000, 'ACTIVE', $1, $1)",
		    DB_ARGS(DB_S("2026-12-01T00:00:00.000Z")), &e) == 0,
	   "%s: two products written the old way", tag);
	ok(migrate_run(db, &applied, &e) == 0 && applied >= 1,
	   "%s: the analyzer's migration applies", tag);
	ok(product_tsvector_fill(db, false, &n, &e) == 0,
	   "%s: agora migrate's search step", tag);
	is_int(n, db_dialect(db) == DB_POSTGRES ? 2 : 0,
	       "%s: it computes the missing tsvectors (PostgreSQL only)", tag);
	ok(product_tsvector_fill(db, false, &n, &e) == 0 && n == 0,
	   "%s: and none is left", tag);
	ok(postings_ready(db, &e) == 0 && postings_build(db, &e) == 0,
	   "%s: its postings step: the products had none, now built", tag);
	if (search_open(&s, &c, db, &e) < 0) {
		ok(0, "%s: search_open: %s", tag, e.msg);
		goto out;
	}
	is_int(total_of(s, "노트북을", &fix), 1,
	       "%s: 노트북을 finds the old 노트북 product", tag);
	is_int(total_of(s, "Laptpo", &fix), 1, "%s: Laptpo finds the laptop",
	       tag);
	is_str(fix, "laptop",
	       "%s: as laptop, from the vocabulary the "
	       "migration counted",
	       tag);
	if (search_suggest(s, "노", 5, &out, &e) < 0)
		printf("# suggest: %s\n", e.msg);
	is_str(out ? json_object_to_json_string_ext(
			     out, JSON_C_TO_STRING_PLAIN |
					  JSON_C_TO_STRING_NOSLASHESCAPE) :
		     "",
	       "{\"items\":[{\"text\":\"노트북\",\"count\":1},"
	       "{\"text\":\"노트북을\",\"count\":1}]}",
	       "%s: 노 suggests the words that start with it", tag);
out:
	json_object_put(out);
	search_free(s);
	err_release(&e);
}

int main(void)
{
	char *path = testdb_sqlite_path("search-migrate"), *url;
	struct db *db = NULL, *admin;
	struct err e = ERR_INIT;

	testdb_sqlite_unlink(path);
	if (db_open(&db, path, NULL, &e) == 0)
		check(db, "sqlite", migrations_sqlite);
	else
		ok(0, "sqlite: open: %s", e.msg);
	db_free(db);
	db = NULL;
	testdb_sqlite_unlink(path);
	free(path);

	admin = testdb_pg_admin();
	if (admin && (url = testdb_pg_create(admin, "search_migrate"))) {
		if (db_open(&db, url, NULL, &e) == 0)
			check(db, "pg", migrations_postgres);
		else
			ok(0, "pg: open: %s", e.msg);
		db_free(db);
		free(url);
		testdb_pg_drop(admin, "search_migrate");
	}
	db_free(admin);
	err_release(&e);
	return done_testing();
}
