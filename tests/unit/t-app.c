/* t-app.c: what app_init opens for a process and hands its requests
 * (struct req_env), app_of, the search opened once on first use; and a
 * responder's process run as plain CGI: one request routed and answered
 * on stdout with agora's headers, the JSON 404, and a configuration that
 * stops the start. */
#include "common.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "app.h"
#include "jsonx.h"
#include "sbuf.h"
#include "tap.h"
#include "testreq.h"
#include "testdb.h"

static void test_env(void)
{
	static const char secret[] = "0123456789abcdef0123456789abcdef";
	const char *vars[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/", NULL };
	struct req_io io = { testreq_no_body, testreq_discard, NULL };
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
	ok(app.db && app.env.db == app.db,
	   "the requests' database is the app's");
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
}

static int hello(struct req *r)
{
	struct json_object *o = json_object_new_object();
	struct db_res *res = NULL;

	/* One statement through the database the app opened for r. */
	if (db_query(r->env->db, &res, "SELECT 'world'", DB_NOARGS, &r->err) <
	    0) {
		json_object_put(o);
		return -1;
	}
	json_object_object_add(o, "hello",
			       json_object_new_string(db_res_str(res, 0, 0)));
	db_res_free(res);
	return req_json(r, 200, o);
}

static const struct route routes[] = {
	{ "GET", "/api/t/hello", hello, 0 },
	{ "GET", "/api/t/secret", hello, ROUTE_AUTH },
	{ NULL, NULL, NULL, 0 },
};

/*
 * Run app_main in a child with the environment below plus uri as the
 * request (GET); its stdout into out, its exit status returned. stdin is
 * /dev/null, not a socket: libfcgi takes the process for plain CGI.
 */
static int run(const char *db_url, const char *jwt, const char *uri,
	       unsigned flags, struct sbuf *out)
{
	int fds[2], status = -1;
	char buf[4096];
	ssize_t n;
	pid_t pid;

	sbuf_reset(out);
	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		dup2(null, 0);
		dup2(fds[1], 1);
		dup2(null, 2);
		close(fds[0]);
		setenv("AGORA_ENV_FILE", "", 1);
		setenv("DATABASE_URL", db_url, 1);
		if (jwt)
			setenv("JWT_SECRET", jwt, 1);
		else
			unsetenv("JWT_SECRET");
		unsetenv("REDIS_HOST");
		unsetenv("METRICS_FILE");
		setenv("REQUEST_METHOD", "GET", 1);
		setenv("REQUEST_URI", uri, 1);
		_exit(app_main("t-app", routes, flags));
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0)
		sbuf_add(out, buf, (size_t)n);
	close(fds[0]);
	waitpid(pid, &status, 0);
	sbuf_addch(out, '\0');
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_cgi(void)
{
	char *path = testdb_sqlite_path("app-cgi");
	char *url = xasprintf("file:%s", path);
	const char *jwt = "a-secret-of-at-least-thirty-two-bytes!!";
	struct sbuf out = SBUF_INIT;

	is_int(run(url, jwt, "/api/t/hello?x=1", CFG_NEED_JWT, &out), 0,
	       "CGI: one request, exit 0");
	ok(!strncmp(out.buf, "Status: 200 OK\r\n", 16), "200");
	ok(strstr(out.buf, "\r\nContent-Type: application/json") != NULL,
	   "JSON");
	ok(strstr(out.buf, "\r\nX-Request-Id: ") != NULL, "a request id");
	ok(strstr(out.buf, "\r\nServer-Timing: sql;desc=\"1\"") != NULL,
	   "Server-Timing counts the handler's statement");
	ok(strstr(out.buf, "\r\n\r\n{\"hello\":\"world\"}") != NULL,
	   "the handler's body, through the app's database");

	run(url, jwt, "/api/t/nope", CFG_NEED_JWT, &out);
	ok(strstr(out.buf, "Status: 404") &&
		   strstr(out.buf,
			  "{\"statusCode\":404,\"message\":\"Cannot GET /api/t/nope\","
			  "\"error\":\"Not Found\"}"),
	   "no route: NestJS's 404");

	run(url, jwt, "/api/t/secret", CFG_NEED_JWT, &out);
	ok(strstr(out.buf, "Status: 401") != NULL,
	   "ROUTE_AUTH without a token: 401");

	ok(run(url, NULL, "/api/t/hello", CFG_NEED_JWT, &out) != 0,
	   "JWT_SECRET required and unset: the start fails");
	is_str(out.buf, "", "... answering nothing");
	is_int(run(url, NULL, "/api/t/hello", 0, &out), 0,
	       "a responder that needs no JWT_SECRET starts without it");
	ok(run("mysql://nowhere", jwt, "/api/t/hello", 0, &out) != 0,
	   "an unknown DATABASE_URL stops the start");

	sbuf_release(&out);
	testdb_sqlite_unlink(path);
	free(url);
	free(path);
}

int main(void)
{
	test_env();
	test_cgi();
	return done_testing();
}
