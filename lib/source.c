/* source.c: the outbox-table and Kafka event sources of source.h. */
#include "common.h"

#include <librdkafka/rdkafka.h>

#include "kafka.h"
#include "log.h"
#include "source.h"

/* How long one fetch waits for a first Kafka message, and for the broker
 * to acknowledge a dead letter. */
#define SOURCE_KAFKA_WAIT_MS  100
#define SOURCE_DLQ_TIMEOUT_MS 10000

int source_dead_letter(struct db *db, const char *consumer, const char *ref,
		       const char *payload, const char *why, struct err *e)
{
	char now[32];

	db_now(now);
	return db_query(db, NULL,
			"INSERT INTO dead_letters (consumer, ref, "
			"payload, error, created_at) VALUES ($1, $2, $3, $4, "
			"$5) ON CONFLICT (consumer, ref) DO NOTHING",
			DB_ARGS(DB_S(consumer), DB_S(ref), DB_S(payload),
				DB_S(why), DB_S(now)),
			e) < 0 ?
		       -1 :
		       0;
}

void source_free(struct source *src)
{
	if (src)
		src->free(src);
}

/* ---- the outbox table ---------------------------------------------------- */

struct source_outbox {
	struct source base; /* first */
	struct db *db;
	char *consumer;
	const char *types[1];
	char *type;
};

static int outbox_src_fetch(struct source *src, size_t max,
			    struct outbox_batch *b, struct err *e)
{
	struct source_outbox *o = (struct source_outbox *)src;

	return outbox_fetch(o->db, o->consumer, o->types, 1, max, b, e);
}

static int outbox_src_ack(struct source *src, const struct outbox_batch *b,
			  struct err *e)
{
	struct source_outbox *o = (struct source_outbox *)src;

	if (!b->n)
		return 0;
	return outbox_ack(o->db, o->consumer, &b->ev[b->n - 1], e);
}

static int outbox_src_dead(struct source *src, const struct outbox_batch *b,
			   size_t i, const char *why, struct err *e)
{
	struct source_outbox *o = (struct source_outbox *)src;

	return source_dead_letter(o->db, o->consumer, b->ev[i].id,
				  b->ev[i].payload, why, e);
}

static void outbox_src_free(struct source *src)
{
	struct source_outbox *o = (struct source_outbox *)src;

	free(o->consumer);
	free(o->type);
	free(o);
}

/* A cheap indexed query, asked again after 20 ms: the commit-to-row
 * latency. */
static const struct source outbox_src = { "outbox",	    20,
					  outbox_src_fetch, outbox_src_ack,
					  outbox_src_dead,  outbox_src_free };

struct source *source_outbox_new(struct db *db, const char *consumer,
				 const char *type)
{
	struct source_outbox *o = xcalloc(1, sizeof(*o));

	o->base = outbox_src;
	o->db = db;
	o->consumer = xstrdup(consumer);
	o->type = xstrdup(type);
	o->types[0] = o->type;
	return &o->base;
}

/* ---- Kafka ------------------------------------------------------------ */

struct source_kafka {
	struct source base; /* first */
	rd_kafka_t *rk; /* the consumer */
	rd_kafka_t *dlq; /* producer of dead letters, made when needed */
	const struct cfg *cfg; /* borrowed */
	char *role;
	char *topic;
	rd_kafka_message_t **msgs; /* those of the batch in hand */
	size_t nmsgs;
};

static void kafka_drop_msgs(struct source_kafka *k)
{
	size_t i;

	for (i = 0; i < k->nmsgs; i++)
		rd_kafka_message_destroy(k->msgs[i]);
	free(k->msgs);
	k->msgs = NULL;
	k->nmsgs = 0;
}

/* kafka_header: the value of header name as a new string, or "". */
static char *kafka_header(const rd_kafka_message_t *m, const char *name)
{
	rd_kafka_headers_t *h = NULL;
	const void *val;
	size_t len;

	if (rd_kafka_message_headers(m, &h) || !h ||
	    rd_kafka_header_get_last(h, name, &val, &len) || !val)
		return xstrdup("");
	return xmemdupz(val, len);
}

static void kafka_event(struct outbox_event *ev, const rd_kafka_message_t *m)
{
	const char *value = m->payload;

	ev->seq = m->offset;
	ev->txid = xasprintf("%s/%" PRId32 "/%" PRId64,
			     rd_kafka_topic_name(m->rkt), m->partition,
			     (int64_t)m->offset);
	ev->id = kafka_header(m, "eventId");
	ev->aggregatetype = xstrdup("");
	ev->aggregateid = m->key ? xmemdupz(m->key, m->key_len) : xstrdup("");
	ev->type = kafka_header(m, "type"); /* agora-relayd sets it */
	/* A C string cannot carry a NUL: such a value is unreadable. */
	if (value && memchr(value, '\0', m->len))
		ev->payload = NULL;
	else
		ev->payload = value ? xmemdupz(value, m->len) : xstrdup("");
}

static int kafka_src_fetch(struct source *src, size_t max,
			   struct outbox_batch *b, struct err *e)
{
	struct source_kafka *k = (struct source_kafka *)src;
	rd_kafka_message_t *m;
	int wait = SOURCE_KAFKA_WAIT_MS;

	(void)e;
	b->ev = NULL;
	b->n = 0;
	kafka_drop_msgs(k);
	k->msgs = xcalloc(max ? max : 1, sizeof(*k->msgs));
	b->ev = xcalloc(max ? max : 1, sizeof(*b->ev));
	/* Wait for the first message, then take what is already here. */
	while (b->n < max && (m = rd_kafka_consumer_poll(k->rk, wait))) {
		wait = 0;
		if (m->err) {
			/* Partition EOF, a topic not created yet, a broker
			 * going away: librdkafka recovers by itself. */
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				log_msg(LOG_DEBUG, NULL, "kafka: %s",
					rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		kafka_event(&b->ev[b->n++], m);
		k->msgs[k->nmsgs++] = m;
	}
	return 0;
}

static int kafka_src_ack(struct source *src, const struct outbox_batch *b,
			 struct err *e)
{
	struct source_kafka *k = (struct source_kafka *)src;
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t rc;
	size_t i;

	if (!b->n)
		return 0;
	l = rd_kafka_topic_partition_list_new((int)b->n);
	for (i = 0; i < b->n && i < k->nmsgs; i++) {
		const rd_kafka_message_t *m = k->msgs[i];

		/* The committed offset is the next one to read; a later
		 * entry for the same partition wins. */
		rd_kafka_topic_partition_list_add(l,
						  rd_kafka_topic_name(m->rkt),
						  m->partition)
			->offset = m->offset + 1;
	}
	rc = rd_kafka_offsets_store(k->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	kafka_drop_msgs(k);
	/* A partition taken away by a rebalance refuses the store (its new
	 * owner reads those events again, harmlessly): not an error here. */
	if (rc && rc != RD_KAFKA_RESP_ERR__STATE)
		return err_set(e, ERR_UNAVAILABLE, "kafka: offsets store: %s",
			       rd_kafka_err2str(rc));
	return 0;
}

/* The delivery report of a dead letter, written where its opaque points. */
static void kafka_dlq_report(rd_kafka_t *rk, const rd_kafka_message_t *m,
			     void *opaque)
{
	(void)rk;
	(void)opaque;
	if (m->_private)
		*(rd_kafka_resp_err_t *)m->_private = m->err;
}

static int kafka_dlq_open(struct source_kafka *k, struct err *e)
{
	rd_kafka_conf_t *conf;
	char errstr[256], *role = xasprintf("%s-dlq", k->role);

	conf = kafka_conf(k->cfg, role);
	free(role);
	/* Bounded, unlike the relay's producer: the caller retries, and
	 * must be able to stop while the broker is away. */
	if (kafka_conf_set(conf, "enable.idempotence", "true", e) ||
	    kafka_conf_set(conf, "acks", "all", e) ||
	    kafka_conf_set(conf, "message.timeout.ms", "8000", e)) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	rd_kafka_conf_set_dr_msg_cb(conf, kafka_dlq_report);
	k->dlq = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!k->dlq) {
		rd_kafka_conf_destroy(conf);
		return err_set(e, ERR_INTERNAL, "kafka: %s", errstr);
	}
	return 0;
}

static int kafka_src_dead(struct source *src, const struct outbox_batch *b,
			  size_t i, const char *why, struct err *e)
{
	struct source_kafka *k = (struct source_kafka *)src;
	const rd_kafka_message_t *m = k->msgs[i];
	rd_kafka_resp_err_t rc, status = RD_KAFKA_RESP_ERR__IN_PROGRESS;
	char *topic = xasprintf("%s.DLQ", rd_kafka_topic_name(m->rkt));
	char part[16], off[24];
	int waited = 0;

	(void)b;
	if (!k->dlq && kafka_dlq_open(k, e) < 0)
		goto fail;
	snprintf(part, sizeof(part), "%" PRId32, m->partition);
	snprintf(off, sizeof(off), "%" PRId64, (int64_t)m->offset);
	rc = rd_kafka_producev(k->dlq, RD_KAFKA_V_TOPIC(topic),
			       RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
			       RD_KAFKA_V_KEY(m->key, m->key_len),
			       RD_KAFKA_V_VALUE(m->payload, m->len),
			       RD_KAFKA_V_HEADER("originalTopic",
						 rd_kafka_topic_name(m->rkt),
						 -1),
			       RD_KAFKA_V_HEADER("originalPartition", part, -1),
			       RD_KAFKA_V_HEADER("originalOffset", off, -1),
			       RD_KAFKA_V_HEADER("error", why, -1),
			       RD_KAFKA_V_OPAQUE(&status), RD_KAFKA_V_END);
	if (rc) {
		err_set(e, ERR_UNAVAILABLE, "kafka: produce to %s: %s", topic,
			rd_kafka_err2str(rc));
		goto fail;
	}
	/* The offset may be stored only once the dead letter is safe. */
	while (status == RD_KAFKA_RESP_ERR__IN_PROGRESS &&
	       waited < SOURCE_DLQ_TIMEOUT_MS + 1000) {
		rd_kafka_poll(k->dlq, 100);
		waited += 100;
	}
	if (status) {
		err_set(e, ERR_UNAVAILABLE, "kafka: dead letter to %s: %s",
			topic,
			status == RD_KAFKA_RESP_ERR__IN_PROGRESS ?
				"no delivery report" :
				rd_kafka_err2str(status));
		/* The report may still come: it must not write into this
		 * stack frame then. */
		if (status == RD_KAFKA_RESP_ERR__IN_PROGRESS)
			rd_kafka_purge(k->dlq,
				       RD_KAFKA_PURGE_F_QUEUE |
					       RD_KAFKA_PURGE_F_INFLIGHT);
		while (rd_kafka_outq_len(k->dlq) > 0 &&
		       status == RD_KAFKA_RESP_ERR__IN_PROGRESS)
			rd_kafka_poll(k->dlq, 100);
		goto fail;
	}
	free(topic);
	return 0;
fail:
	free(topic);
	return -1;
}

static void kafka_src_free(struct source *src)
{
	struct source_kafka *k = (struct source_kafka *)src;
	rd_kafka_resp_err_t rc;

	kafka_drop_msgs(k);
	rc = rd_kafka_consumer_close(k->rk);
	if (rc)
		log_msg(LOG_WARN, NULL, "kafka: consumer close: %s",
			rd_kafka_err2str(rc));
	rd_kafka_destroy(k->rk);
	if (k->dlq) {
		rd_kafka_flush(k->dlq, 2000);
		rd_kafka_destroy(k->dlq);
	}
	free(k->role);
	free(k->topic);
	free(k);
}

/* The consumer waits inside fetch: no idle time. */
static const struct source kafka_src = { "kafka",	  0,
					 kafka_src_fetch, kafka_src_ack,
					 kafka_src_dead,  kafka_src_free };

int source_kafka_new(struct source **out, const struct cfg *c, const char *role,
		     const char *group, const char *topic, struct err *e)
{
	struct source_kafka *k;
	rd_kafka_conf_t *conf = kafka_conf(c, role);
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_resp_err_t rc;
	char errstr[256];

	*out = NULL;
	/*
	 * Offsets are stored by ack only, after the effect has committed;
	 * auto-commit sends the stored ones every 5 s and at close. A crash
	 * in between replays at most those seconds of events, which the
	 * consumer's idempotence makes harmless, without a synchronous
	 * commit round trip per event.
	 */
	if (kafka_conf_set(conf, "group.id", group, e) ||
	    kafka_conf_set(conf, "auto.offset.reset", "earliest", e) ||
	    kafka_conf_set(conf, "enable.auto.commit", "true", e) ||
	    kafka_conf_set(conf, "enable.auto.offset.store", "false", e) ||
	    kafka_conf_set(conf, "allow.auto.create.topics", "true", e) ||
	    /* A topic the relay creates after we subscribed is seen
	     * within a second; a fetch answers within 50 ms (latency). */
	    kafka_conf_set(conf, "topic.metadata.refresh.interval.ms", "1000",
			   e) ||
	    kafka_conf_set(conf, "fetch.wait.max.ms", "50", e) ||
	    /* A member that died gives its partitions back after this. */
	    kafka_conf_set(conf, "session.timeout.ms", "10000", e)) {
		rd_kafka_conf_destroy(conf);
		return -1;
	}
	k = xcalloc(1, sizeof(*k));
	k->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
	if (!k->rk) {
		rd_kafka_conf_destroy(conf);
		free(k);
		return err_set(e, ERR_INTERNAL, "kafka: %s", errstr);
	}
	rd_kafka_poll_set_consumer(k->rk);
	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, topic, RD_KAFKA_PARTITION_UA);
	rc = rd_kafka_subscribe(k->rk, l);
	rd_kafka_topic_partition_list_destroy(l);
	if (rc) {
		rd_kafka_destroy(k->rk);
		free(k);
		return err_set(e, ERR_INTERNAL, "kafka: subscribe to %s: %s",
			       topic, rd_kafka_err2str(rc));
	}
	k->base = kafka_src;
	k->cfg = c;
	k->role = xstrdup(role);
	k->topic = xstrdup(topic);
	*out = &k->base;
	return 0;
}
