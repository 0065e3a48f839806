/* t-app.c: what app_init opens for a process and hands its requests
 * (struct req_env), app_of, and the search opened once on first use. */
#include "common.h"

#include <stdlib.h>

#include "app.h"
#include "jsonx.h"
#include "tap.h"
#include "testdb.h"

static int rd(void *ctx, char *buf, int n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

static int wr(void *ctx, const char *buf, int n)
{
	(void)ctx;
	(void)buf;
	(void)n;
	return 0;
}

int main(void)
{
	static const char secret[] = "0123456789abcdef0123456789abcdef";
	const char *vars[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", NULL };
	struct req_io io = { rd, wr, NULL };
	char *path = testdb_sqlite_path("app");
	struct search *s = NULL, *again = NULL;
	struct json_object *entry = NULL;
	struct err e = ERR_INIT;
	struct app app;
	struct req r;

	/* The configuration comes from the environment alone. */
	setenv("AGORA_ENV_FILE", "", 1);
	setenv("DATABASE_URL", path, 1);
	setenv("JWT_SECRET", secret, 1);
	setenv("BODY_LIMIT", "2048", 1);
	unsetenv("ELASTICSEARCH_NODE");
	unsetenv("REDIS_HOST");
	unsetenv("METRICS_FILE");
	setenv("LOG_LEVEL", "error", 1);

	app_init(&app, "t-app", CFG_NEED_JWT);
	ok(app.db && app.env.db == app.db, "the requests' database is the app's");
	ok(app.cache && app.env.cache == app.cache,
	   "the requests' cache is the app's");
	is_int(app.env.body_limit, 2048, "the body limit of BODY_LIMIT");
	is_str(app.env.jwt_secret, secret, "the secret of JWT_SECRET");

	req_init(&r, &app.env, (char **)vars, &io);
	ok(app_of(&r) == &app, "app_of gives a request's app back");
	req_release(&r);

	ok(!app.search, "no search before it is asked for");
	ok(!app_search(&app, &s, &e) && s, "app_search opens it (%s)", e.msg);
	ok(!app_search(&app, &again, &e) && again == s,
	   "and answers the same one after");
	ok(search_health(s, &entry), "the database's search is up");
	is_str(jsonx_get_str(entry, "backend"), "database",
	       "without ELASTICSEARCH_NODE: the database's full text");
	json_object_put(entry);
	/* app_release frees the search: a leak fails this test under
	 * the sanitizers. */
	app_release(&app);

	err_release(&e);
	testdb_sqlite_unlink(path);
	free(path);
	return done_testing();
}
