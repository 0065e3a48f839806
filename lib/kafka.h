/*
 * kafka.h: what the Kafka clients share: configuration, the producer of
 * agora-relayd, topics. The consumer side is lib/source.h.
 */
#ifndef AGORA_KAFKA_H
#define AGORA_KAFKA_H

#include <stddef.h>
#include <stdint.h>
#include <librdkafka/rdkafka.h>

#include "cfg.h"
#include "err.h"

/* Topics, by the aggregatetype of the outbox rows they carry. */
#define KAFKA_TOPIC_ORDERS     "order-events"
#define KAFKA_TOPIC_PRODUCTS   "product-events"
#define KAFKA_TOPIC_ORDERS_DLQ "order-events.DLQ"
/* The header that carries the outbox event id; "type" carries its type. */
#define KAFKA_HDR_EVENT_ID "eventId"
#define KAFKA_HDR_TYPE	   "type"

/* How long a call that talks to the broker may block (admin, metadata,
 * flush on exit). */
#define KAFKA_CALL_TIMEOUT_MS 5000

/* kafka_topic_for: the topic of an aggregatetype, or NULL if none. */
const char *kafka_topic_for(const char *aggregatetype);

/*
 * kafka_conf: a configuration with what every client shares: the brokers
 * (c->kafka_brokers), client.id "<KAFKA_CLIENT_ID>-<role>", socket and
 * request timeouts, and librdkafka's log lines sent to log_msg(). The
 * caller adds its own settings (kafka_conf_set) and hands it to rd_kafka_new.
 */
rd_kafka_conf_t *kafka_conf(const struct cfg *c, const char *role);
/* kafka_conf_set: one setting. Errors: ERR_INTERNAL with librdkafka's text. */
int kafka_conf_set(rd_kafka_conf_t *conf, const char *name, const char *value,
		   struct err *e);

/*
 * kafka_producer: an idempotent producer (enable.idempotence, acks=all)
 * whose delivery reports go to dr (opaque reaches it as the third
 * argument). message.timeout.ms is 0: a message is retried until it is
 * delivered or the producer is destroyed, so a broker outage only delays.
 * Errors: ERR_INTERNAL.
 */
rd_kafka_t *kafka_producer(const struct cfg *c, const char *role,
			   void (*dr)(rd_kafka_t *, const rd_kafka_message_t *,
				      void *),
			   void *opaque, struct err *e);

/*
 * kafka_create_topics: ask (Admin API) for topics[0..n) with partitions
 * partitions each; the broker gets timeout_ms. It does not wait: the
 * answer arrives on q as an event for kafka_topics_result, which returns
 * 0 when every topic exists now (TOPIC_ALREADY_EXISTS is fine), or -1
 * with ERR_UNAVAILABLE (no answer in time, a refusal) or ERR_INTERNAL.
 */
void kafka_create_topics(rd_kafka_t *rk, const char *const *topics, size_t n,
			 int partitions, int timeout_ms, rd_kafka_queue_t *q);
int kafka_topics_result(rd_kafka_event_t *ev, struct err *e);

/* kafka_ping: can the brokers be reached within timeout_ms (a metadata
 * request through a short-lived client)? Errors: ERR_UNAVAILABLE. */
int kafka_ping(const struct cfg *c, int timeout_ms, struct err *e);

/*
 * kafka_group_lag: how many messages of topic the consumer group has not
 * committed yet, summed over the partitions (a partition without a
 * committed offset counts from its low watermark: the groups start at
 * the earliest offset). It asks the broker through a short-lived client
 * that never joins the group. *messages (may be NULL) receives the sum of
 * the topic's high watermarks: how many it ever held.
 * Errors: ERR_UNAVAILABLE when the broker does not answer within
 * timeout_ms (per request), ERR_INTERNAL.
 */
int kafka_group_lag(const struct cfg *c, const char *group, const char *topic,
		    int timeout_ms, int64_t *lag, int64_t *messages,
		    struct err *e);

#endif
