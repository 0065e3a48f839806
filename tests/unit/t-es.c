/* t-es.c: the Elasticsearch client, the products index and the search
 * backend, against the stub the API passes use (tests/helpers/es-stub). */
#include "common.h"

#include <signal.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "es.h"
#include "jsonx.h"
#include "product.h"
#include "search-es.h"
#include "search.h"
#include "tap.h"
#include "testdb.h"

static pid_t stub_pid;

/* stub_start: run the stub; its node and control URLs in node and ctl. */
static int stub_start(char node[128], char ctl[128])
{
	const char *dir = getenv("AGORA_BUILDDIR");
	char *path = xasprintf("%s/tests/helpers/es-stub", dir ? dir : ".");
	int fds[2];
	FILE *f;
	int n;

	if (pipe(fds) < 0)
		die("pipe");
	stub_pid = fork();
	if (stub_pid < 0)
		die("fork");
	if (!stub_pid) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(path, path, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	free(path);
	f = fdopen(fds[0], "r");
	/* The stub prints its line once it listens, or exits. */
	n = fscanf(f, "%127s %127s", node, ctl);
	fclose(f);
	return n == 2 ? 0 : -1;
}

static void stub_stop(void)
{
	if (stub_pid > 0) {
		kill(stub_pid, SIGTERM);
		waitpid(stub_pid, NULL, 0);
	}
}

/* fault: POST body to the stub's control port. */
static void fault(struct es *ctl, const char *path, const char *body)
{
	struct json_object *out = NULL;
	struct err e = ERR_INIT;
	long status = 0;

	if (es_call(ctl, "POST", path, body, body ? strlen(body) : 0, false,
		    &status, &out, &e) < 0 ||
	    status != 200)
		printf("# stub control %s: %ld %s\n", path, status, e.msg);
	json_object_put(out);
	err_release(&e);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void test_errors(void)
{
	static const char err_body[] = "{\"error\":{\"type\":\"x_exception\"}}";
	struct json_object *body = NULL;
	struct err e = ERR_INIT;

	jsonx_parse(err_body, strlen(err_body), &body, &e);
	is_str(es_error_type(body), "x_exception", "error.type read");
	is_str(es_error_type(NULL), "", "no body: no type");
	ok(es_fail(&e, "GET x", 404, body) == -1 && e.code == ERR_INTERNAL &&
		   strstr(e.msg, "GET x: 404 x_exception"),
	   "a 404 is an internal error naming the call (%s)", e.msg);
	err_release(&e);
	ok(es_fail(&e, "x", 429, NULL) == -1 && e.code == ERR_UNAVAILABLE,
	   "429: unavailable");
	err_release(&e);
	ok(es_fail(&e, "x", 503, NULL) == -1 && e.code == ERR_UNAVAILABLE,
	   "503: unavailable");
	err_release(&e);
	json_object_put(body);

	ok(es_item_settled(201, false) && es_item_settled(409, false) &&
		   es_item_settled(404, true),
	   "settled: 2xx, 409 (newer there), 404 on a delete");
	ok(!es_item_settled(404, false) && !es_item_settled(429, false) &&
		   !es_item_settled(500, true),
	   "not settled: 404 on an index, 429, 5xx");
}

static void test_bulk_event(void)
{
	struct sbuf sb = SBUF_INIT;
	struct err e = ERR_INIT;

	ok(!search_es_bulk_event(&sb, NULL, "PRODUCT_UPSERTED",
				 "{\"id\":7,\"version\":3,\"name\":\"n\"}", &e),
	   "an upsert event");
	is_str(sb.buf,
	       "{\"index\":{\"_index\":\"products\",\"_id\":\"7\","
	       "\"version\":3,\"version_type\":\"external\"}}\n"
	       "{\"id\":7,\"name\":\"n\"}\n",
	       "... an index action on the alias, the version left out of the "
	       "document");
	sbuf_reset(&sb);
	ok(!search_es_bulk_event(&sb, "products_v9", "PRODUCT_DELETED",
				 "{\"id\":7,\"version\":4}", &e),
	   "a delete event");
	is_str(sb.buf,
	       "{\"delete\":{\"_index\":\"products_v9\",\"_id\":\"7\","
	       "\"version\":4,\"version_type\":\"external\"}}\n",
	       "... a delete action on the index given");
	sbuf_reset(&sb);
	ok(search_es_bulk_event(&sb, NULL, "ORDER_CREATED",
				"{\"id\":7,\"version\":1}", &e) == -1 &&
		   e.code == ERR_BAD_REQUEST,
	   "another type is refused (%s)", e.msg);
	err_release(&e);
	ok(search_es_bulk_event(&sb, NULL, "PRODUCT_UPSERTED", "{\"id\":7}",
				&e) == -1 &&
		   e.code == ERR_BAD_REQUEST,
	   "a payload without a version is refused");
	err_release(&e);
	ok(search_es_bulk_event(&sb, NULL, "PRODUCT_UPSERTED", "{", &e) == -1,
	   "a payload that is not JSON is refused");
	err_release(&e);
	is_int(sb.len, 0, "nothing appended for a refused event");
	sbuf_release(&sb);
}

/* test_index: the index created once, a bulk load and its items. */
static void test_index(struct es *es)
{
	struct json_object *out = NULL, *items = NULL;
	struct sbuf sb = SBUF_INIT;
	struct err e = ERR_INIT;
	const char *type, *result;
	long status = 0;

	ok(!search_es_ensure_index(es, &e), "the index is created (%s)", e.msg);
	ok(!search_es_ensure_index(es, &e), "and found the second time");
	if (!es_call(es, "GET", "/_alias/products", NULL, 0, false, &status,
		     &out, &e))
		ok(status == 200 &&
			   json_object_object_get_ex(out, "products_v1", NULL),
		   "the alias products names products_v1");
	else
		ok(0, "GET _alias: %s", e.msg);
	json_object_put(out);
	out = NULL;

	search_es_bulk_event(&sb, NULL, "PRODUCT_UPSERTED",
			     "{\"id\":1,\"version\":2,\"name\":\"a\"}", &e);
	search_es_bulk_event(&sb, NULL, "PRODUCT_UPSERTED",
			     "{\"id\":1,\"version\":1,\"name\":\"old\"}", &e);
	search_es_bulk_event(&sb, NULL, "PRODUCT_DELETED",
			     "{\"id\":2,\"version\":1}", &e);
	if (es_bulk(es, "/_bulk?require_alias=true", &sb, &items, &e) == 0 &&
	    json_object_array_length(items) == 3) {
		is_int(es_item_status(json_object_array_get_idx(items, 0),
				      &type, &result),
		       201, "item 1: created");
		is_str(result, "created", "... result created");
		is_int(es_item_status(json_object_array_get_idx(items, 1),
				      &type, &result),
		       409, "item 2: an older version conflicts");
		is_str(type, "version_conflict_engine_exception",
		       "... with its error type");
		is_int(es_item_status(json_object_array_get_idx(items, 2),
				      &type, &result),
		       404, "item 3: the delete of an unknown document");
		is_str(result, "not_found", "... result not_found");
	} else {
		ok(0, "a bulk of three: %s", e.msg);
	}
	json_object_put(items);
	items = NULL;
	err_release(&e);
	sbuf_release(&sb);
}

/*
 * test_reindex: the backend on a SQLite database after test_index: the
 * reindex loads the ACTIVE products into products_v2, moves the alias and
 * drops products_v1; the search finds what it loaded.
 */
static void test_reindex(struct es *es, char *node)
{
	static const struct product_input lamp = {
		.name = "Desk lamp",
		.category = "home",
		.brand = "acme",
		.price = 1200,
		.status = "ACTIVE",
	};
	static const struct product_input chair = {
		.name = "Old lamp",
		.category = "home",
		.brand = "acme",
		.price = 900,
		.status = "INACTIVE",
	};
	struct search_query q = { "lamp", NULL, NULL, -1,
				  -1,	  1,	10,   SEARCH_RELEVANCE };
	char *path = testdb_sqlite_path("es");
	char *url = xasprintf("file:%s", path);
	struct json_object *out = NULL, *items;
	struct cfg c = { 0 };
	struct search *s = NULL;
	struct err e = ERR_INIT;
	struct db *db = NULL;
	long status = 0;
	int64_t n = -1;

	if (db_open(&db, url, NULL, &e) < 0 || migrate_run(db, NULL, &e) < 0 ||
	    product_create(db, &lamp, NULL, &e) < 0 ||
	    product_create(db, &chair, NULL, &e) < 0) {
		ok(0, "a database with two products: %s", e.msg);
		goto out;
	}
	c.elasticsearch_node = node;
	c.es_timeout_ms = 2000;
	if (search_open(&s, &c, db, &e) < 0 ||
	    search_reindex(s, NULL, NULL, &out, &e) < 0) {
		ok(0, "search_reindex: %s", e.msg);
		goto out;
	}
	jsonx_get_int(out, "indexed", &n);
	is_int(n, 1, "the reindex loads the ACTIVE product alone");
	is_str(jsonx_get_str(out, "index"), "products_v2",
	       "... into the next index");
	json_object_put(out);
	out = NULL;
	ok(!es_call(es, "GET", "/_alias/products", NULL, 0, false, &status,
		    &out, &e) &&
		   status == 200 &&
		   json_object_object_get_ex(out, "products_v2", NULL) &&
		   !json_object_object_get_ex(out, "products_v1", NULL),
	   "the alias moved to products_v2");
	json_object_put(out);
	out = NULL;
	ok(!es_call(es, "GET", "/products_v1/_search", NULL, 0, false, &status,
		    &out, &e) &&
		   status == 404,
	   "products_v1 is dropped");
	json_object_put(out);
	out = NULL;
	if (search_products(s, &q, &out, &e) < 0) {
		ok(0, "search_products: %s", e.msg);
		goto out;
	}
	n = -1;
	jsonx_get_int(out, "total", &n);
	is_int(n, 1, "the search finds the loaded product");
	ok(json_object_object_get_ex(out, "items", &items) &&
		   json_object_array_length(items) == 1,
	   "... one item");
	is_str(jsonx_get_str(json_object_array_get_idx(items, 0), "name"),
	       "Desk lamp", "... by a word of its name");
out:
	json_object_put(out);
	search_free(s);
	err_release(&e);
	db_free(db);
	testdb_sqlite_unlink(path);
	free(url);
	free(path);
}

/* test_faults: a slow node is cut off by the timeout, a closed port is
 * unavailable at once. */
static void test_faults(struct es *es, struct es *ctl)
{
	struct json_object *out = NULL;
	struct err e = ERR_INIT;
	long status;
	double t0;

	/* The stub answers 2 s late; the 100 ms timeout must end the call
	 * well before that, and a machine busy for more than a second
	 * still passes. */
	fault(ctl, "/_stub/fault", "{\"slow_ms\":2000}");
	es_set_timeout(es, 100);
	t0 = now_ms();
	ok(es_call(es, "GET", "/_cluster/health", NULL, 0, false, &status, &out,
		   &e) == -1 &&
		   e.code == ERR_UNAVAILABLE,
	   "a slow node: unavailable (%s)", e.msg);
	ok(now_ms() - t0 < 1500, "... cut off by the timeout (%.0f ms)",
	   now_ms() - t0);
	err_release(&e);
	json_object_put(out);
	out = NULL;
	es_set_timeout(es, 2000);
	fault(ctl, "/_stub/reset", NULL);

	fault(ctl, "/_stub/fault", "{\"down\":true}");
	ok(es_call(es, "GET", "/", NULL, 0, false, &status, &out, &e) == -1 &&
		   e.code == ERR_UNAVAILABLE,
	   "a closed port: unavailable (%s)", e.msg);
	err_release(&e);
	ok(search_es_ensure_index(es, &e) == -1 && e.code == ERR_UNAVAILABLE,
	   "the index cannot be checked: unavailable");
	err_release(&e);
	fault(ctl, "/_stub/reset", NULL);
	ok(!es_call(es, "GET", "/", NULL, 0, false, &status, &out, &e) &&
		   status == 200,
	   "back after the reset, on the same client");
	json_object_put(out);
	err_release(&e);
}

int main(void)
{
	char node[128], ctlurl[128];
	struct es *es = NULL, *ctl = NULL;
	struct err e = ERR_INIT;

	signal(SIGPIPE, SIG_IGN);
	test_errors();
	test_bulk_event();
	if (stub_start(node, ctlurl) < 0) {
		ok(0, "the Elasticsearch stub starts");
		stub_stop();
		return done_testing();
	}
	if (es_open(&es, node, 2000, &e) < 0 ||
	    es_open(&ctl, ctlurl, 5000, &e) < 0) {
		ok(0, "es_open: %s", e.msg);
	} else {
		test_index(es);
		test_reindex(es, node);
		test_faults(es, ctl);
	}
	es_free(es);
	es_free(ctl);
	es_free(NULL);
	err_release(&e);
	stub_stop();
	return done_testing();
}
