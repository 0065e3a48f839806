/* consumer.c: the loop of a daemon that applies events: fetch, settle,
 * ack; and the one way an event that can never be applied is kept. */
#include "common.h"

#include "consumer.h"
#include "daemon.h"
#include "log.h"

long consumer_backoff(long *cur)
{
	return daemon_backoff(cur, CONSUMER_BACKOFF_MAX_MS);
}

int consumer_dead(struct consumer *c, const struct outbox_batch *b, size_t i,
		  int status, const char *why)
{
	const struct outbox_event *ev = &b->ev[i];
	long wait = CONSUMER_BACKOFF_MIN_MS;
	struct err e = ERR_INIT;
	char code[16] = "";
	int rc;

	if (status)
		snprintf(code, sizeof(code), "%d ", status);
	log_msg(LOG_ERROR, NULL,
		"event %s (key %s, seq %" PRId64 ", txid "
		"%s) dead-lettered: %s%s",
		ev->id[0] ? ev->id : "(no id)", ev->aggregateid, ev->seq,
		ev->txid, code, why);
	for (;;) {
		rc = c->dead ? c->dead(c, b, i, status, why, &e) :
			       c->src->dead(c->src, b, i, why, &e);
		if (rc == 0)
			break;
		log_msg(LOG_WARN, NULL, "event %s: dead letter: %s (retrying)",
			ev->id, e.msg);
		err_release(&e);
		if (!daemon_pause(consumer_backoff(&wait)))
			break;
	}
	err_release(&e);
	return rc == 0 ? 0 : -1;
}

/* consumer_ack: the first n events of b settled; retried until it
 * passes or the daemon stops. */
static void consumer_ack(struct consumer *c, const struct outbox_batch *b,
			 size_t n)
{
	struct outbox_batch part = { b->ev, n };
	long wait = CONSUMER_BACKOFF_MIN_MS;
	struct err e = ERR_INIT;

	if (!n)
		return;
	while (c->src->ack(c->src, &part, &e) < 0) {
		log_msg(LOG_WARN, NULL, "%s: ack: %s", c->src->name, e.msg);
		err_release(&e);
		if (!daemon_pause(consumer_backoff(&wait)))
			break;
	}
	err_release(&e);
}

int consumer_run(struct consumer *c)
{
	struct outbox_batch b = { NULL, 0 };
	long wait = CONSUMER_BACKOFF_MIN_MS;
	struct err e = ERR_INIT;
	size_t n;

	while (!daemon_stopping) {
		daemon_alive(NULL);
		err_release(&e);
		outbox_batch_release(&b);
		if (c->src->fetch(c->src, c->batch, &b, &e) < 0) {
			log_msg(LOG_WARN, NULL, "%s: fetch: %s", c->src->name,
				e.msg);
			daemon_pause(consumer_backoff(&wait));
			continue;
		}
		wait = CONSUMER_BACKOFF_MIN_MS;
		if (!b.n) {
			/* 0 for a source that waits inside fetch. */
			daemon_pause(c->src->idle_ms);
			continue;
		}
		/* Effects first, then the acknowledgement: a crash in between
		 * replays events, which the consumers absorb. */
		n = c->settle(c, &b);
		consumer_ack(c, &b, n);
		if (n) {
			daemon_alive_at(&b.ev[n - 1]);
			log_msg(LOG_DEBUG, NULL,
				"%zu events up to seq %" PRId64, n,
				b.ev[n - 1].seq);
		}
	}
	outbox_batch_release(&b);
	err_release(&e);
	return 0;
}
