/* metrics.c: GET /metrics, the Prometheus text format (0.0.4). */
#include "common.h"

#include "app.h"
#include "auth.h"
#include "kafka.h"
#include "log.h"
#include "outbox.h"

/*
 * Closed to the public: a scrape from the host itself (a loopback
 * REMOTE_ADDR) needs nothing, anyone else an ADMIN token. Behind a proxy
 * on the same host every client looks local: publish /metrics through
 * such a proxy only with that in mind (docs/operations.md, Metrics).
 */
static bool metrics_local(const char *addr)
{
	if (!addr)
		return false;
	if (!strncmp(addr, "::ffff:", 7))
		addr += 7;
	return !strncmp(addr, "127.", 4) || !strcmp(addr, "::1");
}

static int metrics_allowed(struct req *r)
{
	if (metrics_local(req_getenv(r, "REMOTE_ADDR")))
		return 0;
	if (auth_require(r) < 0)
		return -1;
	if (strcmp(r->user.role, "ADMIN") != 0)
		return err_set(&r->err, ERR_FORBIDDEN, "Forbidden resource");
	return 0;
}

static int metrics_count_rows(struct app *app, const char *table, int64_t *n)
{
	enum { COUNT }; /* the one column */
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	char *sql = xasprintf("SELECT count(*) FROM %s", table);
	int ret = db_query(app->db, &res, sql, DB_NOARGS, &e);

	if (ret == 0) {
		*n = db_res_int(res, 0, COUNT);
		db_res_free(res);
	} else {
		log_msg(LOG_WARN, NULL, "metrics: %s", e.msg);
	}
	err_release(&e);
	free(sql);
	return ret;
}

/* The consumers of the event stream: the outbox consumer name and the
 * aggregate type it reads; with Kafka, its group and topic (as
 * src/notifyd.c and src/indexd.c name them). indexd runs only with
 * Elasticsearch. */
static const struct {
	const char *consumer, *type, *group, *topic;
	bool needs_es;
} metrics_consumers[] = {
	{ OUTBOX_NOTIFYD, "order", "notification-consumer-group",
	  KAFKA_TOPIC_ORDERS, false },
	{ OUTBOX_INDEXD, "product", "agora-indexd", KAFKA_TOPIC_PRODUCTS,
	  true },
};

/* How long each Kafka request of a scrape may take. */
#define METRICS_KAFKA_TIMEOUT_MS 2000

static void metrics_gauge(struct sbuf *out, const char *name, const char *help)
{
	sbuf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

static bool metrics_consumer_runs(struct app *app, size_t i)
{
	return !metrics_consumers[i].needs_es ||
	       app->cfg.elasticsearch_node[0] != '\0';
}

/* One gauge with a value per consumer that runs here. */
static void metrics_per_consumer(struct app *app, struct sbuf *out,
				 const char *name, const char *help,
				 const int64_t *v)
{
	size_t i;

	metrics_gauge(out, name, help);
	for (i = 0; i < ARRAY_SIZE(metrics_consumers); i++)
		if (metrics_consumer_runs(app, i))
			sbuf_addf(out, "%s{consumer=\"%s\"} %lld\n", name,
				  metrics_consumers[i].consumer,
				  (long long)v[i]);
}

/* Each consumer's lag: past its cursor in the outbox table, or, with
 * Kafka, not yet committed by its group. Returns false when something
 * could not be read (and *kafka_up says whether Kafka answered). */
static bool metrics_lag(struct app *app, struct sbuf *out, bool *kafka_up)
{
	bool kafka = app->cfg.kafka_brokers[0] != '\0';
	int64_t lag[ARRAY_SIZE(metrics_consumers)] = { 0 };
	int64_t age[ARRAY_SIZE(metrics_consumers)] = { 0 };
	struct outbox_backlog bl;
	struct err e = ERR_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(metrics_consumers); i++) {
		if (!metrics_consumer_runs(app, i))
			continue;
		if (!kafka) {
			if (outbox_lag(app->db, metrics_consumers[i].consumer,
				       metrics_consumers[i].type, &bl,
				       &e) < 0) {
				log_msg(LOG_WARN, NULL, "metrics: %s", e.msg);
				err_release(&e);
				return false;
			}
			lag[i] = bl.events;
			age[i] = bl.oldest_s;
		} else if (kafka_group_lag(&app->cfg,
					   metrics_consumers[i].group,
					   metrics_consumers[i].topic,
					   METRICS_KAFKA_TIMEOUT_MS, &lag[i],
					   NULL, &e) < 0) {
			/* Each attempt may cost the timeout: one is enough. */
			log_msg(LOG_WARN, NULL, "metrics: %s", e.msg);
			err_release(&e);
			*kafka_up = false;
			return false;
		}
	}
	metrics_per_consumer(app, out, "agora_consumer_lag_events",
			     "Events each consumer has not processed yet: "
			     "past its outbox cursor, or not committed by its "
			     "Kafka group.",
			     lag);
	if (!kafka)
		metrics_per_consumer(app, out, "agora_consumer_lag_seconds",
				     "Age of the oldest event each outbox "
				     "consumer has not read (0: none).",
				     age);
	return true;
}

/* What the database (and Kafka) say: the event stream's backlog, each
 * consumer's lag, dead letters. A family that cannot be read is left
 * out, and agora_database_up / agora_kafka_up say why. After one failure
 * the database is not asked again: each attempt may cost a timeout. */
static void metrics_database(struct app *app, struct sbuf *out)
{
	bool kafka = app->cfg.kafka_brokers[0] != '\0';
	bool up = true, kafka_up = true;
	struct outbox_backlog bl;
	struct err e = ERR_INIT;
	int64_t n, age, dlq = 0;
	int rc;

	/* As /api/health's events entry: with Kafka the rows the relay has
	 * not published, without it the order events notifyd has not read. */
	rc = kafka ? outbox_unpublished(app->db, &bl, &e) :
		     outbox_lag(app->db, OUTBOX_NOTIFYD, "order", &bl, &e);
	if (rc == 0) {
		metrics_gauge(out, "agora_outbox_backlog",
			      "Events waiting: unpublished outbox rows with "
			      "Kafka, else order events notifyd has not read.");
		sbuf_addf(out, "agora_outbox_backlog %lld\n",
			  (long long)bl.events);
		metrics_gauge(out, "agora_outbox_oldest_event_age_seconds",
			      "Age of the oldest waiting event (0: none).");
		sbuf_addf(out, "agora_outbox_oldest_event_age_seconds %lld\n",
			  (long long)bl.oldest_s);
	} else {
		log_msg(LOG_WARN, NULL, "metrics: %s", e.msg);
		err_release(&e);
		up = false;
	}
	if (up && !metrics_lag(app, out, &kafka_up) && kafka_up)
		up = false;

	if (kafka && kafka_up &&
	    kafka_group_lag(&app->cfg, "agora-metrics", KAFKA_TOPIC_ORDERS_DLQ,
			    METRICS_KAFKA_TIMEOUT_MS, &age, &dlq, &e) < 0) {
		log_msg(LOG_WARN, NULL, "metrics: %s", e.msg);
		err_release(&e);
		kafka_up = false;
	}
	if (up && metrics_count_rows(app, "dead_letters", &n) == 0) {
		metrics_gauge(out, "agora_dead_letters",
			      "Events a consumer could never process: rows of "
			      "dead_letters, messages of order-events.DLQ.");
		sbuf_addf(out, "agora_dead_letters{store=\"table\"} %lld\n",
			  (long long)n);
		if (kafka && kafka_up)
			sbuf_addf(out,
				  "agora_dead_letters{store=\"kafka\"} "
				  "%lld\n",
				  (long long)dlq);
	} else {
		up = false;
	}
	if (up && metrics_count_rows(app, "index_failures", &n) == 0) {
		metrics_gauge(out, "agora_index_failures",
			      "Product events Elasticsearch refused "
			      "(table index_failures).");
		sbuf_addf(out, "agora_index_failures %lld\n", (long long)n);
	} else {
		up = false;
	}
	metrics_gauge(out, "agora_database_up",
		      "1 when every database figure above could be read.");
	sbuf_addf(out, "agora_database_up %d\n", up ? 1 : 0);
	if (kafka) {
		metrics_gauge(out, "agora_kafka_up",
			      "1 when Kafka answered for the figures above.");
		sbuf_addf(out, "agora_kafka_up %d\n", kafka_up ? 1 : 0);
	}
}

static int metrics_get(struct req *r)
{
	struct sbuf sb;

	if (metrics_allowed(r) < 0)
		return -1;

	sbuf_init(&sb, 8192, 0);
	metrics_render(app_of(r)->metrics, &sb);
	if (r->env->db)
		metrics_database(app_of(r), &sb);
	req_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", sb.buf,
		  sb.len);
	sbuf_release(&sb);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/metrics", metrics_get, 0 },
	{ NULL },
};

APP_MAIN("metrics", routes, 0)
