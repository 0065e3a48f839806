/* health.c: liveness, and readiness in the @nestjs/terminus shape. */
#include "common.h"

#include "app.h"
#include "log.h"
#include "search.h"

/* One indicator: {"status":"up"} plus details, or "down" with a message. */
static struct json_object *health_entry(bool up, const char *key,
					const char *val)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "status",
			       json_object_new_string(up ? "up" : "down"));
	if (key)
		json_object_object_add(o, key, json_object_new_string(val));
	return o;
}

static bool health_database(struct req *r, struct json_object **entry)
{
	struct err e = ERR_INIT;
	bool up = db_ping(r->app->db, &e) == 0;

	*entry = up ? health_entry(true, NULL, NULL) :
		      health_entry(false, "message", "database unreachable");
	if (!up)
		log_msg(LOG_WARN, r->reqid, "health: database: %s", e.msg);
	err_release(&e);
	return up;
}

/* The cache module's own view: Redis answers PING within its command
 * timeout (and has not failed in the last CACHE_RETRY_MS), or memory. */
static bool health_cache(struct req *r, struct json_object **entry)
{
	struct err e = ERR_INIT;
	const char *type = cache_type(r->app->cache);
	bool up = cache_ping(r->app->cache, &e) == 0;

	if (!up)
		log_msg(LOG_WARN, r->reqid, "health: cache: %s", e.msg);
	err_release(&e);
	*entry = up ? health_entry(true, "type", type) :
		      health_entry(false, "message", "redis unreachable");
	return up;
}

/* The product search: the database's full text or the ES cluster. */
static bool health_search(struct req *r, struct json_object **entry)
{
	struct app *app = r->app;
	struct err e = ERR_INIT;

	if (!app->search) {
		if (search_open(&app->search, &app->cfg, app->db, &e) < 0) {
			log_msg(LOG_WARN, r->reqid, "health: search: %s", e.msg);
			err_release(&e);
			*entry = health_entry(false, "message",
					      "search unavailable");
			return false;
		}
		app->search_free = search_free;
	}
	return search_health(app->search, entry);
}

/*
 * The dependencies /api/health reports, in order. A check fills *entry
 * with {"status":"up"|"down", ...} and answers whether it is up. A feature
 * that brings a dependency (search, events) adds its row here.
 */
static const struct health_check {
	const char *name;
	bool (*check)(struct req *r, struct json_object **entry);
} checks[] = {
	{ "database", health_database },
	{ "cache", health_cache },
	{ "search", health_search },
};

static int health_ready(struct req *r)
{
	struct json_object *o, *info, *error, *details, *entry;
	bool all = true, up;
	size_t i;

	info = json_object_new_object();
	error = json_object_new_object();
	details = json_object_new_object();
	for (i = 0; i < ARRAY_SIZE(checks); i++) {
		up = checks[i].check(r, &entry);
		all = all && up;
		json_object_object_add(up ? info : error, checks[i].name,
				       json_object_get(entry));
		json_object_object_add(details, checks[i].name, entry);
	}
	o = json_object_new_object();
	json_object_object_add(o, "status",
			       json_object_new_string(all ? "ok" : "error"));
	json_object_object_add(o, "info", info);
	json_object_object_add(o, "error", error);
	json_object_object_add(o, "details", details);
	return req_json(r, all ? 200 : 503, o);
}

static int health_live(struct req *r)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "status", json_object_new_string("ok"));
	return req_json(r, 200, o);
}

static const struct route routes[] = {
	{ "GET", "/api/health", health_ready, 0 },
	{ "GET", "/api/health/live", health_live, 0 },
	{ NULL }
};

int main(void)
{
	return app_main("health", routes, 0);
}
