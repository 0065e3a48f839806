/* metrics.c: GET /metrics, the Prometheus text format (0.0.4). */
#include "common.h"

#include "app.h"
#include "auth.h"
#include "log.h"

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

/* SQL for "rows of these types past a consumer's cursor", the same
 * condition outbox_fetch() reads with. */
static char *metrics_past(bool pg, const char *consumer, const char *type)
{
	return pg ? xasprintf("aggregatetype = '%s' AND (txid, seq) > "
			      "coalesce((SELECT (f.txid, f.seq) FROM "
			      "outbox_offsets f WHERE consumer = '%s'), "
			      "('0'::xid8, 0::bigint))", type, consumer) :
		    xasprintf("aggregatetype = '%s' AND seq > coalesce((SELECT "
			      "seq FROM outbox_offsets WHERE consumer = '%s'), 0)",
			      type, consumer);
}

/* count(*) and the oldest row's age in seconds of the outbox rows matching
 * where; -1 when the database cannot say. */
static int metrics_outbox(struct app *app, const char *where, int64_t *n,
			  int64_t *age)
{
	bool pg = db_dialect(app->db) == DB_POSTGRES;
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	char *sql = xasprintf("SELECT count(*), %s FROM outbox WHERE %s", pg ?
		"coalesce(extract(epoch FROM now() - min(created_at))"
		"::bigint, 0)" :
		"coalesce(CAST((julianday('now') - julianday(min(created_at)))"
		" * 86400 AS integer), 0)", where);
	int ret = db_query(app->db, &res, sql, DB_NOARGS, &e);

	if (ret == 0) {
		*n = db_res_int(res, 0, 0);
		*age = db_res_int(res, 0, 1);
		db_res_free(res);
	} else {
		log_msg(LOG_WARN, NULL, "metrics: %s", e.msg);
	}
	err_release(&e);
	free(sql);
	return ret;
}

static int metrics_count_rows(struct app *app, const char *table, int64_t *n)
{
	struct db_res *res = NULL;
	struct err e = ERR_INIT;
	char *sql = xasprintf("SELECT count(*) FROM %s", table);
	int ret = db_query(app->db, &res, sql, DB_NOARGS, &e);

	if (ret == 0) {
		*n = db_res_int(res, 0, 0);
		db_res_free(res);
	} else {
		log_msg(LOG_WARN, NULL, "metrics: %s", e.msg);
	}
	err_release(&e);
	free(sql);
	return ret;
}

/* The outbox's table consumers and the aggregate type each reads. */
static const struct {
	const char *consumer, *type;
} metrics_consumers[] = {
	{ "notifyd", "order" },
	{ "indexd", "product" },
};

static void metrics_gauge(struct sbuf *out, const char *name,
			  const char *help)
{
	sbuf_addf(out, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* What the database says: the event stream's backlog, each consumer's
 * lag, dead letters. A family the database cannot answer is left out,
 * and agora_database_up says why. */
static void metrics_database(struct app *app, struct sbuf *out)
{
	bool pg = db_dialect(app->db) == DB_POSTGRES;
	bool kafka = app->cfg.kafka_brokers[0] != '\0';
	int64_t n, age, lag[ARRAY_SIZE(metrics_consumers)];
	int64_t lag_age[ARRAY_SIZE(metrics_consumers)];
	bool up = true, have_lag;
	char *where;
	size_t i;

	/* As /api/health's events entry: with Kafka the rows the relay has
	 * not published, without it the order events notifyd has not read. */
	where = kafka ? xstrdup("published_at IS NULL") :
			metrics_past(pg, "notifyd", "order");
	if (metrics_outbox(app, where, &n, &age) == 0) {
		metrics_gauge(out, "agora_outbox_backlog",
			      "Events waiting: unpublished outbox rows with "
			      "Kafka, else order events notifyd has not read.");
		sbuf_addf(out, "agora_outbox_backlog %lld\n", (long long)n);
		metrics_gauge(out, "agora_outbox_oldest_event_age_seconds",
			      "Age of the oldest waiting event (0: none).");
		sbuf_addf(out, "agora_outbox_oldest_event_age_seconds %lld\n",
			  (long long)age);
	} else {
		up = false;
	}
	free(where);

	/* Table consumers only: with Kafka, notifyd and indexd keep their
	 * offsets in the broker (kafka-consumer-groups --describe). After
	 * one failure the database is not asked again: each attempt may
	 * cost a connect timeout. */
	have_lag = up && !kafka;
	for (i = 0; have_lag && i < ARRAY_SIZE(metrics_consumers); i++) {
		where = metrics_past(pg, metrics_consumers[i].consumer,
				     metrics_consumers[i].type);
		if (metrics_outbox(app, where, &lag[i], &lag_age[i]) < 0)
			have_lag = up = false;
		free(where);
	}
	if (have_lag) {
		metrics_gauge(out, "agora_consumer_lag_events",
			      "Events of its type past each outbox consumer's "
			      "cursor.");
		for (i = 0; i < ARRAY_SIZE(metrics_consumers); i++)
			sbuf_addf(out, "agora_consumer_lag_events{consumer="
				  "\"%s\"} %lld\n",
				  metrics_consumers[i].consumer,
				  (long long)lag[i]);
		metrics_gauge(out, "agora_consumer_lag_seconds",
			      "Age of the oldest event each outbox consumer "
			      "has not read (0: none).");
		for (i = 0; i < ARRAY_SIZE(metrics_consumers); i++)
			sbuf_addf(out, "agora_consumer_lag_seconds{consumer="
				  "\"%s\"} %lld\n",
				  metrics_consumers[i].consumer,
				  (long long)lag_age[i]);
	}

	if (up && metrics_count_rows(app, "dead_letters", &n) == 0) {
		metrics_gauge(out, "agora_dead_letters",
			      "Events a consumer could never process "
			      "(table dead_letters).");
		sbuf_addf(out, "agora_dead_letters %lld\n", (long long)n);
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
}

static int metrics_get(struct req *r)
{
	struct sbuf sb;

	if (metrics_allowed(r) < 0)
		return -1;

	sbuf_init(&sb, 8192, 0);
	metrics_render(r->app->metrics, &sb);
	if (r->app->db)
		metrics_database(r->app, &sb);
	req_bytes(r, 200, "text/plain; version=0.0.4; charset=utf-8", sb.buf,
		  sb.len);
	sbuf_release(&sb);
	return 0;
}

static const struct route routes[] = {
	{ "GET", "/metrics", metrics_get, 0 },
	{ NULL }
};

int main(void)
{
	return app_main("metrics", routes, 0);
}
