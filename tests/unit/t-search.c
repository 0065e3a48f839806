/* t-search.c: search_open picks the backend the configuration names. */
#include "common.h"

#include "jsonx.h"
#include "log.h"
#include "search.h"
#include "tap.h"
#include "testdb.h"

/* backend: the "backend" and "status" of s's health entry. */
static void backend(struct search *s, const char *want, bool up,
		    const char *tag)
{
	struct json_object *entry = NULL;

	is_int(search_health(s, &entry), up, "%s: %s", tag, up ? "up" : "down");
	is_str(jsonx_get_str(entry, "backend"), want, "%s: backend %s", tag,
	       want);
	is_str(jsonx_get_str(entry, "status"), up ? "up" : "down",
	       "%s: the entry says so", tag);
	json_object_put(entry);
}

int main(void)
{
	static char none[] = "", down[] = "http://127.0.0.1:1";
	char *path = testdb_sqlite_path("search");
	struct cfg c = { 0 };
	struct search *s = NULL;
	struct err e = ERR_INIT;
	struct db *db = NULL;

	log_init("t-search", "error");
	if (db_open(&db, path, NULL, &e) < 0) {
		ok(0, "open %s: %s", path, e.msg);
		goto out;
	}
	c.elasticsearch_node = none;
	c.es_timeout_ms = 500;
	ok(!search_open(&s, &c, db, &e) && s, "no ELASTICSEARCH_NODE: open");
	backend(s, "database", true, "no ELASTICSEARCH_NODE");
	search_free(s);
	s = NULL;

	/* Nothing listens on port 1: refused at once. */
	c.elasticsearch_node = down;
	ok(!search_open(&s, &c, db, &e) && s,
	   "ELASTICSEARCH_NODE: open, without I/O");
	backend(s, "elasticsearch", false, "ELASTICSEARCH_NODE unreachable");
	search_free(s);
	search_free(NULL);
out:
	err_release(&e);
	db_free(db);
	testdb_sqlite_unlink(path);
	free(path);
	return done_testing();
}
