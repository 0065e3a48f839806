/*
 * indexd.c: agora-indexd, which applies product events to Elasticsearch.
 * They come from the outbox table, or from the topic product-events (group
 * agora-indexd) when KAFKA_BROKERS is set and agora-relayd publishes them;
 * either way the position moves only once a batch is settled.
 */
#include "common.h"

#include <sysexits.h>
#include <time.h>

#include "cfg.h"
#include "daemon.h"
#include "db.h"
#include "search-es.h"
#include "jsonx.h"
#include "kafka.h"
#include "log.h"
#include "outbox.h"
#include "source.h"

#define INDEXD_BATCH 200
#define INDEXD_POLL_MS 200
#define INDEXD_BACKOFF_MIN_MS 100
#define INDEXD_BACKOFF_MAX_MS 5000
#define INDEXD_GROUP "agora-indexd"

/* record_failure: keep an event that cannot be applied (index_failures);
 * -1 when even that failed, and the batch must not be acknowledged. */
static int record_failure(struct db *db, const struct outbox_event *ev,
			  int status, const char *why)
{
	struct err e = ERR_INIT;
	char now[32];
	int rc;

	log_msg(LOG_ERROR, NULL, "event %s (%s %s) not indexed: %d %s",
		ev->id, ev->type, ev->aggregateid, status, why);
	db_now(now);
	rc = db_query(db, NULL, "INSERT INTO index_failures (event_id, "
		      "aggregateid, type, status, error, payload, created_at) "
		      "VALUES ($1, $2, $3, $4, $5, $6, $7)",
		      DB_ARGS(DB_S(ev->id), DB_S(ev->aggregateid),
			      DB_S(ev->type), DB_I(status), DB_S(why),
			      DB_S(ev->payload), DB_S(now)), &e);
	if (rc < 0)
		log_msg(LOG_ERROR, NULL, "cannot record the failure of %s: %s",
			ev->id, e.msg);
	err_release(&e);
	return rc;
}

/*
 * apply: bring every event of b to a settled state in Elasticsearch: done,
 * already superseded (409), already gone (404 on delete), or recorded in
 * index_failures. Retries what can succeed later (no answer, 429, 5xx, an
 * index that does not exist yet) until it does or we are told to stop.
 * Returns 0 when the batch may be acknowledged, -1 when not (daemon_stopping, or
 * a failure could not be recorded).
 */
static int apply(struct es *es, struct db *db, const struct outbox_batch *b)
{
	bool *pending = xcalloc(b->n + 1, sizeof(bool));
	size_t *which = xcalloc(b->n + 1, sizeof(size_t));
	struct sbuf body = SBUF_INIT;
	struct json_object *items = NULL, *it;
	struct err e = ERR_INIT;
	const char *type, *result;
	size_t i, n, left = 0;
	long wait = INDEXD_BACKOFF_MIN_MS;
	bool need_index;
	int st, ret = -1, round = 0;

	for (i = 0; i < b->n; i++) {
		pending[i] = true;
		left++;
	}
	while (left) {
		if (round++ && !daemon_pause(daemon_backoff(&wait, INDEXD_BACKOFF_MAX_MS)))
			goto out;
		sbuf_reset(&body);
		for (i = 0, n = 0; i < b->n; i++) {
			if (!pending[i])
				continue;
			err_release(&e);
			if (!b->ev[i].payload) {
				/* A Kafka value with a NUL byte. */
				if (record_failure(db, &b->ev[i], 0,
						   "unreadable payload") < 0)
					goto out;
				pending[i] = false;
				left--;
				continue;
			}
			if (search_es_bulk_event(&body, NULL, b->ev[i].type,
						 b->ev[i].payload, &e) < 0) {
				if (record_failure(db, &b->ev[i], 0, e.msg) < 0)
					goto out;
				pending[i] = false;
				left--;
				continue;
			}
			which[n++] = i;
		}
		if (!n)
			break;
		json_object_put(items);
		err_release(&e);
		if (es_bulk(es, "/_bulk?require_alias=true", &body, &items,
			    &e) < 0) {
			log_msg(LOG_WARN, NULL, "bulk of %zu: %s (retrying)", n,
				e.msg);
			continue;
		}
		need_index = false;
		for (i = 0; i < n && i < json_object_array_length(items); i++) {
			const struct outbox_event *ev = &b->ev[which[i]];
			bool del = !strcmp(ev->type, "PRODUCT_DELETED");

			it = json_object_array_get_idx(items, i);
			st = es_item_status(it, &type, &result);
			if (es_item_settled(st, del)) {
				pending[which[i]] = false;
				left--;
			} else if (st == 429 || st >= 500) {
				log_msg(LOG_WARN, NULL, "event %s: %d %s "
					"(retrying)", ev->id, st, type);
			} else if (st == 404 &&
				   !strcmp(type, "index_not_found_exception")) {
				need_index = true;
			} else {
				if (record_failure(db, ev, st, type) < 0)
					goto out;
				pending[which[i]] = false;
				left--;
			}
		}
		err_release(&e);
		if (need_index && search_es_ensure_index(es, &e) < 0)
			log_msg(LOG_WARN, NULL, "cannot create the index: %s",
				e.msg);
	}
	ret = 0;
out:
	err_release(&e);
	json_object_put(items);
	sbuf_release(&body);
	free(pending);
	free(which);
	return ret;
}

static int run(struct source *src, struct es *es, struct db *db)
{
	struct outbox_batch b = { NULL, 0 };
	struct err e = ERR_INIT;
	long wait = INDEXD_BACKOFF_MIN_MS;

	while (!daemon_stopping) {
		daemon_alive(NULL);
		err_release(&e);
		outbox_batch_release(&b);
		if (src->fetch(src, INDEXD_BATCH, &b, &e) < 0) {
			log_msg(LOG_WARN, NULL, "%s: fetch: %s", src->name,
				e.msg);
			daemon_pause(daemon_backoff(&wait, INDEXD_BACKOFF_MAX_MS));
			continue;
		}
		if (!b.n) {
			/* The Kafka source waits inside fetch. */
			if (src->idle_ms)
				daemon_pause(INDEXD_POLL_MS);
			continue;
		}
		/* The cursor moves only once the batch is settled: a crash
		 * in between replays it, which external versions make
		 * harmless. */
		if (apply(es, db, &b) < 0)
			continue;
		while (src->ack(src, &b, &e) < 0 && !daemon_stopping) {
			log_msg(LOG_WARN, NULL, "%s: ack: %s", src->name,
				e.msg);
			err_release(&e);
			daemon_pause(daemon_backoff(&wait, INDEXD_BACKOFF_MAX_MS));
		}
		wait = INDEXD_BACKOFF_MIN_MS;
		daemon_alive_at(&b.ev[b.n - 1]);
		log_msg(LOG_DEBUG, NULL, "indexed %zu events up to seq %"
			PRId64, b.n, b.ev[b.n - 1].seq);
	}
	outbox_batch_release(&b);
	err_release(&e);
	return 0;
}

int main(int argc, char **argv)
{
	struct source *src = NULL;
	struct err e = ERR_INIT;
	struct cfg c;
	struct es *es = NULL;
	struct db *db;
	int rc;

	db = daemon_start(argc, argv, "agora-indexd", &c);
	if (!c.elasticsearch_node[0]) {
		/* EX_CONFIG: the unit, started with agora-web whatever the
		 * configuration, ends quietly and is not restarted. */
		fprintf(stderr, "agora-indexd: ELASTICSEARCH_NODE is not set "
			"(search runs on the database; no indexd is needed)\n");
		db_free(db);
		cfg_release(&c);
		return EX_CONFIG;
	}
	/* Bulk requests get more time than one search. */
	if (es_open(&es, c.elasticsearch_node, c.es_timeout_ms * 5L, &e) < 0)
		die("agora-indexd: %s", e.msg);
	if (search_es_ensure_index(es, &e) < 0)
		log_msg(LOG_WARN, NULL, "elasticsearch not ready: %s", e.msg);
	err_release(&e);
	if (!c.kafka_brokers[0]) {
		src = source_outbox_new(db, "indexd", "product");
		log_msg(LOG_INFO, NULL, "indexing product events from the "
			"outbox into %s", c.elasticsearch_node);
	} else {
		if (source_kafka_new(&src, &c, "indexd", INDEXD_GROUP,
				     KAFKA_TOPIC_PRODUCTS, &e) < 0)
			die("agora-indexd: %s", e.msg);
		log_msg(LOG_INFO, NULL, "indexing %s from %s (group %s) into "
			"%s", KAFKA_TOPIC_PRODUCTS, c.kafka_brokers,
			INDEXD_GROUP, c.elasticsearch_node);
	}
	rc = run(src, es, db);
	source_free(src);
	log_msg(LOG_INFO, NULL, "stopped");
	es_free(es);
	db_free(db);
	cfg_release(&c);
	return rc;
}
