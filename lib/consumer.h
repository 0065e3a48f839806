/* consumer.h: the loop of a daemon that applies events, and its dead
 * letters. */
#ifndef AGORA_CONSUMER_H
#define AGORA_CONSUMER_H

#include <stddef.h>

#include "err.h"
#include "outbox.h"
#include "source.h"

/*
 * A consumer (agora-notifyd, agora-indexd): events come from src in
 * batches of up to batch; settle brings the events of a batch to a
 * settled state: applied, or handed to consumer_dead() when they can
 * never be applied. The stream moves past an event only once it is
 * settled. The caller fills the struct (it may sit first in a larger one
 * that settle and dead reach through the pointer) and owns src.
 */
struct consumer {
	struct source *src;
	size_t batch;
	/*
	 * settle: returns how many of b's first events are settled: b->n,
	 * or fewer when told to stop half way (daemon_stopping); those are
	 * acknowledged, the rest come again to the next run.
	 */
	size_t (*settle)(struct consumer *c, const struct outbox_batch *b);
	/*
	 * dead: where b->ev[i] goes when it can never be applied, with why
	 * and status (an HTTP status, or 0); 0 once it is safe there, -1
	 * with e set. NULL: the source's dead letters (src->dead: the table
	 * dead_letters, or the topic "<topic>.DLQ").
	 */
	int (*dead)(struct consumer *c, const struct outbox_batch *b, size_t i,
		    int status, const char *why, struct err *e);
};

/*
 * consumer_run: until daemon_stopping: fetch a batch (an empty one: wait
 * src->idle_ms), settle it, acknowledge what was settled, and report the
 * position to the heartbeat (daemon_alive_at). A failing fetch or
 * acknowledgement is logged and retried with backoff; an acknowledgement
 * is retried until it passes, so that settled events are not applied
 * twice without need. Returns 0.
 */
int consumer_run(struct consumer *c);

/*
 * consumer_dead: b->ev[i], which can never be applied, logged as an
 * error ("event ID (key K, seq N, txid T) dead-lettered: why") and put
 * in the dead letters (c->dead, else the source's), retried with backoff
 * until that succeeds: the stream never moves past an event that is
 * neither applied nor kept. Returns 0, or -1 when told to stop first.
 */
int consumer_dead(struct consumer *c, const struct outbox_batch *b, size_t i,
		  int status, const char *why);

/* consumer_backoff: the next retry's wait from *cur, for settle's own
 * retries (daemon_backoff between the consumer's bounds); 100 ms at first,
 * then doubling up to 5 s. Start *cur at CONSUMER_BACKOFF_MIN_MS. */
#define CONSUMER_BACKOFF_MIN_MS 100
#define CONSUMER_BACKOFF_MAX_MS 5000
long consumer_backoff(long *cur);

#endif
