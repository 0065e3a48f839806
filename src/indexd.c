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
#include "consumer.h"
#include "daemon.h"
#include "db.h"
#include "search-es.h"
#include "jsonx.h"
#include "kafka.h"
#include "log.h"
#include "outbox.h"
#include "source.h"

#define INDEXD_BATCH 200
#define INDEXD_GROUP "agora-indexd"

struct indexd {
	struct consumer c; /* first: settle and dead get &c */
	struct es *es;
	struct db *db;
};

/*
 * index_failure: indexd's dead letters: the table index_failures, with
 * the status Elasticsearch answered, whichever source the event came
 * from: `agora reindex` rebuilds what they left out once the cause is
 * fixed.
 */
static int index_failure(struct consumer *c, const struct outbox_batch *b,
			 size_t i, int status, const char *why, struct err *e)
{
	struct indexd *x = (struct indexd *)c;
	const struct outbox_event *ev = &b->ev[i];
	char now[32];

	db_now(now);
	return db_query(x->db, NULL,
			"INSERT INTO index_failures (event_id, "
			"aggregateid, type, status, error, payload, "
			"created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
			DB_ARGS(DB_S(ev->id), DB_S(ev->aggregateid),
				DB_S(ev->type), DB_I(status), DB_S(why),
				DB_S(ev->payload ? ev->payload : ""),
				DB_S(now)),
			e) < 0 ?
		       -1 :
		       0;
}

/*
 * apply: bring every event of b to a settled state in Elasticsearch: done,
 * already superseded (409), already gone (404 on delete), or a dead
 * letter (index_failures). Retries what can succeed later (no answer,
 * 429, 5xx, an index that does not exist yet) until it does or we are
 * told to stop. Returns b->n, or 0 when told to stop first: the cursor
 * moves only once the whole batch is settled, and a replay is harmless
 * (external versions).
 */
static size_t apply(struct consumer *c, const struct outbox_batch *b)
{
	struct indexd *x = (struct indexd *)c;
	bool *pending = xcalloc(b->n + 1, sizeof(bool));
	size_t *which = xcalloc(b->n + 1, sizeof(size_t));
	struct sbuf body = SBUF_INIT;
	struct json_object *items = NULL, *it;
	struct err e = ERR_INIT;
	const char *type, *result;
	size_t i, n, left = 0, ret = 0;
	long wait = CONSUMER_BACKOFF_MIN_MS;
	bool need_index;
	int st, round = 0;

	for (i = 0; i < b->n; i++) {
		pending[i] = true;
		left++;
	}
	while (left) {
		if (round++ && !daemon_pause(consumer_backoff(&wait)))
			goto out;
		sbuf_reset(&body);
		for (i = 0, n = 0; i < b->n; i++) {
			if (!pending[i])
				continue;
			err_release(&e);
			if (!b->ev[i].payload) {
				/* A Kafka value with a NUL byte. */
				if (consumer_dead(c, b, i, 0,
						  "unreadable payload") < 0)
					goto out;
				pending[i] = false;
				left--;
				continue;
			}
			if (search_es_bulk_event(&body, NULL, b->ev[i].type,
						 b->ev[i].payload, &e) < 0) {
				if (consumer_dead(c, b, i, 0, e.msg) < 0)
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
		if (es_bulk(x->es, "/_bulk?require_alias=true", &body, &items,
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
				log_msg(LOG_WARN, NULL,
					"event %s: %d %s "
					"(retrying)",
					ev->id, st, type);
			} else if (st == 404 &&
				   !strcmp(type, "index_not_found_exception")) {
				need_index = true;
			} else {
				if (consumer_dead(c, b, which[i], st, type) < 0)
					goto out;
				pending[which[i]] = false;
				left--;
			}
		}
		err_release(&e);
		if (need_index && search_es_ensure_index(x->es, &e) < 0)
			log_msg(LOG_WARN, NULL, "cannot create the index: %s",
				e.msg);
	}
	ret = b->n;
out:
	err_release(&e);
	json_object_put(items);
	sbuf_release(&body);
	free(pending);
	free(which);
	return ret;
}

int main(int argc, char **argv)
{
	struct indexd x = { { NULL, INDEXD_BATCH, apply, index_failure } };
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
		fprintf(stderr,
			"agora-indexd: ELASTICSEARCH_NODE is not set "
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
		src = source_outbox_new(db, OUTBOX_INDEXD, "product");
		log_msg(LOG_INFO, NULL,
			"indexing product events from the "
			"outbox into %s",
			c.elasticsearch_node);
	} else {
		if (source_kafka_new(&src, &c, "indexd", INDEXD_GROUP,
				     KAFKA_TOPIC_PRODUCTS, &e) < 0)
			die("agora-indexd: %s", e.msg);
		log_msg(LOG_INFO, NULL,
			"indexing %s from %s (group %s) into "
			"%s",
			KAFKA_TOPIC_PRODUCTS, c.kafka_brokers, INDEXD_GROUP,
			c.elasticsearch_node);
	}
	x.c.src = src;
	x.es = es;
	x.db = db;
	rc = consumer_run(&x.c);
	source_free(src);
	log_msg(LOG_INFO, NULL, "stopped");
	es_free(es);
	db_free(db);
	cfg_release(&c);
	return rc;
}
