/* app.c: process start-up and the FastCGI (or CGI) request loop. */
#include "common.h"

#include <fcgiapp.h>
#include <signal.h>
#include <unistd.h>

#include "app.h"
#include "cors.h"
#include "log.h"
#include "signals.h"

extern char **environ;

static volatile sig_atomic_t app_stopping;

static void app_on_term(int sig)
{
	(void)sig;
	app_stopping = 1;
	/* Makes FCGX_Accept_r return instead of waiting for the next request;
	 * the request in hand is finished first. */
	FCGX_ShutdownPending();
}

static void app_metrics_open(struct app *app)
{
	struct err e = ERR_INIT;
	char *path;

	if (app->cfg.metrics_file[0])
		path = xstrdup(app->cfg.metrics_file);
	else if (!FCGX_IsCGI())
		path = metrics_default_path(app->cfg.database_url);
	else
		return;
	/* Requests are served either way; only their counts are lost. */
	if (metrics_open(&app->metrics, path, &e) < 0)
		log_msg(LOG_WARN, NULL, "%s; requests are not counted", e.msg);
	err_release(&e);
	free(path);
}

void app_init(struct app *app, const char *name, unsigned cfg_flags)
{
	struct db_opts opts = { 0 };
	struct cache_opts copts = { 0 };
	struct err e = ERR_INIT;

	memset(app, 0, sizeof(*app));
	app->name = name;
	cfg_load_or_die(&app->cfg, cfg_flags, name);
	log_init(name, app->cfg.log_level);
	opts.statement_timeout = app->cfg.db_statement_timeout;
	if (db_open(&app->db, app->cfg.database_url, &opts, &e) < 0) {
		if (e.code != ERR_UNAVAILABLE || !app->db)
			die("%s: DATABASE_URL: %s", name, e.msg);
		/* Start anyway: requests answer 503 until the database is back.
		 */
		log_msg(LOG_WARN, NULL, "database unavailable at start: %s",
			e.msg);
	}
	err_release(&e);
	copts.redis_host = app->cfg.redis_host;
	copts.redis_port = app->cfg.redis_port;
	copts.scope = app->cfg.database_url;
	app->cache = cache_open(&copts);
	app_metrics_open(app);
	app->env.db = app->db;
	app->env.cache = app->cache;
	app->env.body_limit = app->cfg.body_limit;
	app->env.jwt_secret = app->cfg.jwt_secret;
}

void app_release(struct app *app)
{
	search_free(app->search);
	cache_free(app->cache);
	metrics_free(app->metrics);
	if (app->db)
		db_free(app->db);
	cfg_release(&app->cfg);
}

int app_search(struct app *app, struct search **out, struct err *e)
{
	*out = NULL;
	if (!app->search &&
	    search_open(&app->search, &app->cfg, app->db, e) < 0)
		return -1;
	*out = app->search;
	return 0;
}

/* The per-request log line and the request's counters. */
static void app_account(struct app *app, struct req *r)
{
	const char *q = strchr(r->uri, '?');
	const char *t = r->extra_timing ? r->extra_timing : "";
	struct metrics_req mq = {
		.group = app->name,
		.method = r->method,
		.status = r->status,
		.seconds = req_elapsed_ms(r) / 1e3,
		.sql = app->db ? db_stats_count(app->db) : 0,
		.cache = strstr(t, "cache;desc=hit")  ? METRICS_CACHE_HIT :
			 strstr(t, "cache;desc=miss") ? METRICS_CACHE_MISS :
							METRICS_CACHE_NONE,
	};
	struct log_access a = {
		.reqid = r->reqid,
		.client = req_getenv(r, "REMOTE_ADDR"),
		.user_id = r->authed ? r->user.id : 0,
		.method = r->method,
		.path = r->path,
		.query = q ? q + 1 : NULL,
		.status = r->status,
		.bytes = r->status == 204 ? 0 : r->out.len,
		.ms = req_elapsed_ms(r),
		.sql = app->db ? db_stats_count(app->db) : 0,
	};

	log_access(&a);
	metrics_count(app->metrics, &mq);
}

/* Run one request through the routes and write its response. */
static void app_handle(struct app *app, const struct route *routes, char **envp,
		       const struct req_io *io)
{
	struct req r;
	int init;

	if (app->db)
		db_stats_reset(app->db);
	init = req_init(&r, &app->env, envp, io);
	log_request_begin(r.reqid);
	/* Before routing, as NestJS's cors middleware: errors carry the
	 * CORS headers too, and a preflight is answered here. */
	if (cors_apply(&r, app->cfg.cors_origins)) {
		/* answered */
	} else if (init < 0) {
		req_send_error(&r, &r.err);
	} else {
		/* Handlers that use the cache say hit or miss instead. */
		r.extra_timing = "cache;desc=bypass";
		route_dispatch(routes, &r);
	}
	if (req_write(&r) < 0)
		log_msg(LOG_WARN, r.reqid,
			"client went away before the response");
	app_account(app, &r);
	log_request_end();
	req_release(&r);
}

static int fcgi_read(void *ctx, char *buf, int n)
{
	return FCGX_GetStr(buf, n, ((FCGX_Request *)ctx)->in);
}

static int fcgi_write(void *ctx, const char *buf, int n)
{
	return FCGX_PutStr(buf, n, ((FCGX_Request *)ctx)->out) == n ? 0 : -1;
}

static int cgi_read(void *ctx, char *buf, int n)
{
	size_t got = fread(buf, 1, (size_t)n, stdin);

	return got ? (int)got : (ferror(stdin) ? -1 : 0);
}

static int cgi_write(void *ctx, const char *buf, int n)
{
	if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
		return -1;
	return fflush(stdout) == 0 ? 0 : -1;
}

int app_serve(struct app *app, const struct route *routes)
{
	FCGX_Request fr;
	struct req_io io;

	if (FCGX_IsCGI()) {
		io.read = cgi_read;
		io.write = cgi_write;
		io.ctx = NULL;
		app_handle(app, routes, environ, &io);
		return 0;
	}
	/* A waiting accept() returns at once on SIGTERM. */
	signals_on_stop(app_on_term);
	if (FCGX_Init() != 0 || FCGX_InitRequest(&fr, 0, 0) != 0)
		die("%s: cannot initialise FastCGI", app->name);
	io.read = fcgi_read;
	io.write = fcgi_write;
	io.ctx = &fr;
	log_msg(LOG_INFO, NULL, "ready (pid %ld)", (long)getpid());
	log_batch_start();
	while (!app_stopping && FCGX_Accept_r(&fr) >= 0) {
		app_handle(app, routes, fr.envp, &io);
		FCGX_Finish_r(&fr);
	}
	FCGX_Free(&fr, 1);
	log_batch_stop();
	log_msg(LOG_INFO, NULL, "stopping (pid %ld)", (long)getpid());
	return 0;
}

int app_main(const char *name, const struct route *routes, unsigned cfg_flags)
{
	struct app app;
	int status;

	app_init(&app, name, cfg_flags);
	status = app_serve(&app, routes);
	app_release(&app);
	return status;
}
