/* source.h: where a daemon's events come from: the outbox table or Kafka. */
#ifndef AGORA_SOURCE_H
#define AGORA_SOURCE_H

#include <stddef.h>

#include "cfg.h"
#include "db.h"
#include "err.h"
#include "outbox.h"

/*
 * A consumer (agora-notifyd; agora-indexd reads the table the same way)
 * loops on fetch, settles every event of the batch, then acks. Events of a
 * batch that was not acked are fetched again: consumers are idempotent.
 *
 * fetch fills b (released by the caller with outbox_batch_release, also
 * after a failure) with the next events; an empty batch means none yet.
 * A Kafka event has payload = the message value, aggregateid = its key,
 * id = its "eventId" header ("" without one), seq = its offset and txid =
 * "topic/partition/offset"; a value holding a NUL byte has payload NULL.
 * ack records that every event of b is settled (the table: the cursor
 * moves to the last one; Kafka: their offsets are stored, and committed
 * by the consumer's auto-commit and at close). b may be a prefix of the
 * batch fetched (fewer events, the same first one) when a consumer stops
 * half way; after an ack the rest of the batch is not acked any more.
 * dead puts b->ev[i], which can never be processed, in the dead-letter
 * place with why: the table dead_letters (table), the topic
 * "<topic>.DLQ" with headers originalTopic, originalPartition,
 * originalOffset and error (Kafka, waiting for the broker's ack).
 * A source that waits inside fetch has idle_ms 0; otherwise the caller
 * sleeps idle_ms after an empty batch.
 */
struct source {
	const char *name;
	long idle_ms;
	int (*fetch)(struct source *src, size_t max, struct outbox_batch *b,
		     struct err *e);
	int (*ack)(struct source *src, const struct outbox_batch *b,
		   struct err *e);
	int (*dead)(struct source *src, const struct outbox_batch *b, size_t i,
		    const char *why, struct err *e);
	void (*free)(struct source *src);
};

/*
 * source_outbox_new: the outbox table, rows of aggregatetype type read as
 * consumer (its cursor in outbox_offsets). db is borrowed.
 */
struct source *source_outbox_new(struct db *db, const char *consumer,
				 const char *type);

/*
 * source_kafka_new: a Kafka high-level consumer of topic in group on the
 * brokers of c (kafka_conf(c, role); c is borrowed and must outlive the
 * source), starting at the earliest offset when the group has none,
 * storing offsets only in ack. Returns 0 and *out, or -1 with
 * ERR_INTERNAL.
 */
int source_kafka_new(struct source **out, const struct cfg *c, const char *role,
		     const char *group, const char *topic, struct err *e);

/* source_free: close (Kafka: rd_kafka_consumer_close, which commits the
 * stored offsets) and free; NULL is fine. */
void source_free(struct source *src);

/* source_dead_letter: record an event in the dead_letters table; a second
 * record of the same (consumer, ref) is ignored. */
int source_dead_letter(struct db *db, const char *consumer, const char *ref,
		       const char *payload, const char *why, struct err *e);

#endif
