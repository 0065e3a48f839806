/* app.h: what a process opens once and every request shares. */
#ifndef AGORA_APP_H
#define AGORA_APP_H

#include <stddef.h>

#include "cache.h"
#include "cfg.h"
#include "db.h"
#include "metrics.h"
#include "req.h"
#include "route.h"
#include "search.h"

struct app {
	const char *name; /* "auth", "users", ... for logs */
	struct cfg cfg;
	struct db *db;
	struct cache *cache; /* REDIS_HOST, or memory; never NULL */
	/* The scoreboard every responder adds its requests to (METRICS_FILE);
	 * NULL when it cannot be opened, and for a plain CGI run without
	 * METRICS_FILE (one request is nobody's traffic). */
	struct metrics *metrics;
	/* The product search: NULL until app_search() opens it. */
	struct search *search;
	/* What the requests see of it (db and cache as above). */
	struct req_env env;
};

/* app_of: the app serving r, whose env r has. */
static inline struct app *app_of(const struct req *r)
{
	return (struct app *)((const char *)r->env - offsetof(struct app, env));
}

/*
 * app_init: load the configuration (or exit with one line naming the bad
 * variable), start the log, open the database and the cache. A database
 * that is down does not stop the start: requests answer 503 until it is
 * back; a Redis that is down makes every cache lookup a miss.
 */
void app_init(struct app *app, const char *name, unsigned cfg_flags);
void app_release(struct app *app);

/*
 * app_search: the product search of the configuration (search_open()),
 * opened on the first call, so only the responders that search reach
 * Elasticsearch; later calls answer the same one. The app owns it.
 * Returns 0, or -1 with e set (and tries again on the next call).
 */
int app_search(struct app *app, struct search **out, struct err *e);

/*
 * app_serve: the responder's main loop. Under FastCGI (stdin is a
 * listening socket) it accepts requests until SIGTERM, finishing the
 * request in hand first; run as plain CGI it answers the one request in
 * the environment and on stdin. Returns the process exit status.
 */
int app_serve(struct app *app, const struct route *routes);

/* app_main: app_init + app_serve + app_release: a responder's whole life. */
int app_main(const char *name, const struct route *routes, unsigned cfg_flags);

/* APP_MAIN: a responder's main(), the last line of cgi-bin/NAME.c:
 * APP_MAIN("users", routes, CFG_NEED_JWT). */
#define APP_MAIN(name, routes, cfg_flags)                       \
	int main(void)                                          \
	{                                                       \
		return app_main((name), (routes), (cfg_flags)); \
	}

#endif
