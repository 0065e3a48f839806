/* health.c: liveness, and readiness in the @nestjs/terminus shape. */
#include "common.h"

#include "app.h"
#include "beat.h"
#include "kafka.h"
#include "log.h"
#include "outbox.h"
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
	bool up = db_ping(r->env->db, &e) == 0;

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
	const char *type = cache_type(r->env->cache);
	bool up = cache_ping(r->env->cache, &e) == 0;

	if (!up)
		log_msg(LOG_WARN, r->reqid, "health: cache: %s", e.msg);
	err_release(&e);
	*entry = up ? health_entry(true, "type", type) :
		      health_entry(false, "message", "redis unreachable");
	return up;
}

/*
 * health_daemon: under entry's key daemon, whether an instance of
 * agora-<daemon> wrote its heartbeat within BEAT_STALE_S, when, and where
 * it was in its stream. A daemon never seen, or not seen lately, is down,
 * and with it entry ("status" and a "message"), whether events wait or
 * not: the first order after a quiet night must not be how an operator
 * learns the daemon died. Answers whether it is up.
 */
static bool health_daemon(struct req *r, struct json_object *entry,
			  const char *daemon)
{
	struct json_object *o = json_object_new_object();
	struct err e = ERR_INIT;
	char *position = NULL, *msg = NULL;
	long age;
	bool up;

	if (beat_age(r->env->db, daemon, &age, &position, &e) < 0) {
		log_msg(LOG_WARN, r->reqid, "health: %s: %s", daemon, e.msg);
		up = false;
		msg = xasprintf("agora-%s: heartbeat unreadable", daemon);
	} else {
		up = age >= 0 && age <= BEAT_STALE_S;
		if (age < 0)
			msg = xasprintf("agora-%s has never run", daemon);
		else if (!up)
			msg = xasprintf("agora-%s not seen for %ld s", daemon,
					age);
	}
	json_object_object_add(o, "status",
			       json_object_new_string(up ? "up" : "down"));
	if (age >= 0) {
		json_object_object_add(o, "lastSeenSecondsAgo",
				       json_object_new_int64(age));
		json_object_object_add(o, "position",
				       json_object_new_string(position));
	}
	json_object_object_add(entry, daemon, o);
	if (!up) {
		json_object_object_add(entry, "status",
				       json_object_new_string("down"));
		if (!json_object_object_get_ex(entry, "message", NULL))
			json_object_object_add(entry, "message",
					       json_object_new_string(msg));
	}
	err_release(&e);
	free(position);
	free(msg);
	return up;
}

/* The product search: the database's full text or the ES cluster, and
 * with ES the agora-indexd that keeps the index in step. */
static bool health_search(struct req *r, struct json_object **entry)
{
	struct app *app = app_of(r);
	struct err e = ERR_INIT;
	struct search *s;
	bool up;

	if (app_search(app, &s, &e) < 0) {
		log_msg(LOG_WARN, r->reqid, "health: search: %s", e.msg);
		err_release(&e);
		*entry = health_entry(false, "message", "search unavailable");
		return false;
	}
	up = search_health(s, entry);
	if (app->cfg.elasticsearch_node[0])
		up = health_daemon(r, *entry, "indexd") && up;
	return up;
}

/*
 * The event stream: how many events wait and the age of the oldest in
 * seconds: unpublished outbox rows when the relay feeds Kafka, else order
 * rows past agora-notifyd's cursor. With Kafka, the brokers must answer a
 * metadata request. A backlog alone does not make the entry down; a
 * daemon the stream needs (notifyd, and relayd with Kafka) that has not
 * been seen lately does.
 */
static bool health_events(struct req *r, struct json_object **entry)
{
	struct app *app = app_of(r);
	bool kafka = app->cfg.kafka_brokers[0] != '\0';
	struct outbox_backlog bl;
	struct err e = ERR_INIT;
	bool up = true;
	int rc;

	*entry = json_object_new_object();
	rc = kafka ? outbox_unpublished(app->db, &bl, &e) :
		     outbox_lag(app->db, OUTBOX_NOTIFYD, "order", &bl, &e);
	if (rc < 0) {
		log_msg(LOG_WARN, r->reqid, "health: events: %s", e.msg);
		up = false;
		json_object_object_add(*entry, "message",
				       json_object_new_string("outbox "
							      "unreadable"));
	} else {
		json_object_object_add(*entry, "source",
				       json_object_new_string(
					       kafka ? "kafka" : "outbox"));
		json_object_object_add(*entry, "backlog",
				       json_object_new_int64(bl.events));
		json_object_object_add(*entry, "oldestAgeSeconds",
				       json_object_new_int64(bl.oldest_s));
	}
	err_release(&e);
	if (kafka && up) {
		up = kafka_ping(&app->cfg, 2000, &e) == 0;
		if (!up)
			log_msg(LOG_WARN, r->reqid, "health: events: %s",
				e.msg);
		json_object_object_add(*entry, "kafka",
				       json_object_new_string(up ? "up" :
								   "down"));
		err_release(&e);
	}
	json_object_object_add(*entry, "status",
			       json_object_new_string(up ? "up" : "down"));
	up = health_daemon(r, *entry, "notifyd") && up;
	if (kafka)
		up = health_daemon(r, *entry, "relayd") && up;
	return up;
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
	{ "events", health_events },
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
	{ NULL },
};

APP_MAIN("health", routes, 0)
