/*
 * relayd.c: agora-relayd, which publishes the outbox to Kafka.
 *
 * Rows are read by published_at IS NULL in seq order, a batch at a time;
 * every row of the batch is produced (key = aggregateid, so one aggregate
 * keeps one partition and its order), the relay waits for every delivery
 * report, and only rows whose report says persisted are marked published.
 * A crash between the report and the mark publishes a row again on the
 * next run: consumers deduplicate by event id. A row that commits late
 * is unpublished and simply found by a later batch.
 */
#include "common.h"

#include <signal.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "cfg.h"
#include "daemon.h"
#include "db.h"
#include "kafka.h"
#include "lock.h"
#include "log.h"
#include "outbox.h"

#define RELAYD_BATCH	      500
#define RELAYD_POLL_MS	      1000 /* PostgreSQL: the safety net under NOTIFY */
#define RELAYD_LITE_POLL_MS   50 /* SQLite has no notifications */
#define RELAYD_STANDBY_MS     1000 /* while another relay holds the lock */
#define RELAYD_BACKOFF_MAX_MS 5000
#define RELAYD_PARTITIONS     3

struct relay {
	const struct cfg *cfg;
	struct db *db;
	rd_kafka_t *rk;
	bool listening; /* LISTEN outbox done (PostgreSQL) */
	time_t listen_retry; /* not before this time */
	struct lock lock; /* held by the active relay */
	rd_kafka_queue_t *admin; /* CreateTopics answers */
	bool topics_ready, topics_asked, topics_warned;
	time_t topics_retry; /* not before this time */
	bool crash_hook; /* AGORA_RELAYD_CRASH_AFTER_DELIVERY (tests) */
	bool fatal; /* the producer failed for good */
	struct outbox_batch b;
	bool *persisted; /* per row of b */
	size_t waiting; /* delivery reports not yet in */
};

/* on_delivery: librdkafka's report for one message (from rd_kafka_poll,
 * on this thread); the opaque is the row's index in the batch. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m,
			void *opaque)
{
	struct relay *r = opaque;
	size_t i = (size_t)(uintptr_t)m->_private;

	(void)rk;
	if (i >= r->b.n)
		return;
	r->waiting--;
	if (m->err ||
	    rd_kafka_message_status(m) != RD_KAFKA_MSG_STATUS_PERSISTED) {
		log_msg(LOG_WARN, NULL, "event %s not delivered: %s",
			r->b.ev[i].id, rd_kafka_err2str(m->err));
		return;
	}
	r->persisted[i] = true;
	if (r->crash_hook) {
		/* The window the tests aim at: in Kafka, not yet marked. */
		log_msg(LOG_WARN, NULL,
			"event %s delivered; crashing before "
			"marking it (AGORA_RELAYD_CRASH_AFTER_DELIVERY)",
			r->b.ev[i].id);
		_exit(3);
	}
}

/* ---- one active relay ------------------------------------------------- */

/*
 * hold_lock: 1 when this relay is the active one, 0 when another is, -1
 * on an error. It asks on every round: on PostgreSQL a session lock is
 * gone with a lost connection, and asking again in the new session takes
 * it back if nobody else has it.
 */
static int hold_lock(struct relay *r, struct err *e)
{
	int rc = lock_take(&r->lock, r->db, r->cfg->database_url, LOCK_RELAYD,
			   0, e);

	return rc < 0 ? -1 : rc == 0;
}

/* ---- waking up -------------------------------------------------------- */

/*
 * wait_for_rows: until a notification on "outbox" (migration 0008's
 * trigger notifies it on every insert), ms, or a signal. The LISTEN rides
 * on the relay's connection, and lib/db takes it along when it reconnects.
 * Without it (SQLite, or PostgreSQL while it is down) the relay sleeps.
 */
static void wait_for_rows(struct relay *r, int ms)
{
	struct err e = ERR_INIT;

	if (db_dialect(r->db) != DB_POSTGRES) {
		daemon_pause(RELAYD_LITE_POLL_MS);
		return;
	}
	if (!r->listening && time(NULL) >= r->listen_retry) {
		if (db_listen(r->db, "outbox", &e) == 0) {
			r->listening = true;
		} else {
			log_msg(LOG_WARN, NULL, "LISTEN outbox: %s", e.msg);
			r->listen_retry = time(NULL) + 5;
		}
		err_release(&e);
	}
	if (!r->listening) {
		daemon_pause(ms);
		return;
	}
	if (db_wait_notify(r->db, ms, &e) < 0) {
		log_msg(LOG_WARN, NULL, "waiting for notifications: %s", e.msg);
		daemon_pause(ms);
	}
	err_release(&e);
}

/* The topics the relay makes sure of (the DLQ is notifyd's). */
static const char *const topics[] = { KAFKA_TOPIC_ORDERS, KAFKA_TOPIC_PRODUCTS,
				      KAFKA_TOPIC_ORDERS_DLQ };

/* ---- one batch ---------------------------------------------------------- */

/*
 * topics_step: ask for the topics until the broker says they exist,
 * without ever waiting for the answer: a broker that is down or has no
 * Admin API (the test broker) must not hold up publishing, which relies
 * on the broker creating topics in the meantime.
 */
static void topics_step(struct relay *r)
{
	struct err e = ERR_INIT;
	rd_kafka_event_t *ev;

	if (r->topics_ready)
		return;
	if (!r->topics_asked) {
		if (time(NULL) < r->topics_retry)
			return;
		kafka_create_topics(r->rk, topics, ARRAY_SIZE(topics),
				    RELAYD_PARTITIONS, KAFKA_CALL_TIMEOUT_MS,
				    r->admin);
		r->topics_asked = true;
		return;
	}
	ev = rd_kafka_queue_poll(r->admin, 0);
	if (!ev)
		return;
	r->topics_asked = false;
	if (kafka_topics_result(ev, &e) == 0) {
		r->topics_ready = true;
		log_msg(LOG_INFO, NULL, "topics ready");
	} else {
		log_msg(r->topics_warned ? LOG_DEBUG : LOG_WARN, NULL,
			"%s (asking again in 30 s)", e.msg);
		r->topics_warned = true;
		r->topics_retry = time(NULL) + 30;
	}
	rd_kafka_event_destroy(ev);
	err_release(&e);
}

static int fetch(struct relay *r, struct err *e)
{
	static const char *const types[] = { "order", "product" };

	if (outbox_unpublished_fetch(r->db, types, ARRAY_SIZE(types),
				     RELAYD_BATCH, &r->b, e) < 0)
		return -1;
	r->persisted = xcalloc(r->b.n + 1, sizeof(bool));
	return 0;
}

/* produce: hand every row to librdkafka, in order. It stops at the first
 * row it cannot hand over, so that no later row of the same aggregate
 * overtakes it. */
static void produce(struct relay *r)
{
	size_t i;

	for (i = 0; i < r->b.n && !daemon_stopping; i++) {
		const struct outbox_event *ev = &r->b.ev[i];
		rd_kafka_resp_err_t err;

		do {
			err = rd_kafka_producev(
				r->rk,
				RD_KAFKA_V_TOPIC(
					kafka_topic_for(ev->aggregatetype)),
				RD_KAFKA_V_KEY(ev->aggregateid,
					       strlen(ev->aggregateid)),
				RD_KAFKA_V_VALUE(ev->payload,
						 strlen(ev->payload)),
				RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				RD_KAFKA_V_HEADER(KAFKA_HDR_EVENT_ID, ev->id,
						  (ssize_t)strlen(ev->id)),
				RD_KAFKA_V_HEADER(KAFKA_HDR_TYPE, ev->type,
						  (ssize_t)strlen(ev->type)),
				RD_KAFKA_V_OPAQUE((void *)(uintptr_t)i),
				RD_KAFKA_V_END);
			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL)
				rd_kafka_poll(r->rk, 100);
		} while (err == RD_KAFKA_RESP_ERR__QUEUE_FULL &&
			 !daemon_stopping);
		if (err) {
			log_msg(LOG_ERROR, NULL, "cannot produce event %s: %s",
				ev->id, rd_kafka_err2str(err));
			return;
		}
		r->waiting++;
	}
}

/* await_reports: until every report is in. A broker outage only makes
 * this longer (messages never time out); when told to stop it waits a
 * bounded time and leaves the rest for the next relay. */
static void await_reports(struct relay *r)
{
	long quiet = 0;

	while (r->waiting && !daemon_stopping) {
		size_t before = r->waiting;

		rd_kafka_poll(r->rk, 100);
		topics_step(r);
		quiet = r->waiting == before ? quiet + 100 : 0;
		if (quiet && quiet % 10000 == 0)
			log_msg(LOG_WARN, NULL,
				"%zu events waiting for the "
				"broker",
				r->waiting);
	}
	if (r->waiting)
		rd_kafka_flush(r->rk, KAFKA_CALL_TIMEOUT_MS);
}

static void batch_release(struct relay *r)
{
	outbox_batch_release(&r->b);
	free(r->persisted);
	r->persisted = NULL;
	r->waiting = 0;
}

/* one_round: publish one batch. Returns the rows it published, or -1 on
 * a database error (e set). */
static long one_round(struct relay *r, struct err *e)
{
	size_t i, done = 0;
	long wait = 100;

	topics_step(r);
	if (fetch(r, e) < 0)
		return -1;
	produce(r);
	await_reports(r);
	for (i = 0; i < r->b.n; i++)
		done += r->persisted[i];
	/* What Kafka has must be marked even while the database is down,
	 * or it goes out again. Stopping ends the retries: the rows are then
	 * published twice, which consumers absorb. */
	while (outbox_mark_published(r->db, &r->b, r->persisted, e) < 0) {
		log_msg(LOG_WARN, NULL, "marking %zu events: %s (retrying)",
			done, e->msg);
		err_release(e);
		if (daemon_stopping)
			return 0;
		daemon_pause(daemon_backoff(&wait, RELAYD_BACKOFF_MAX_MS));
	}
	if (done)
		log_msg(LOG_DEBUG, NULL,
			"published %zu events up to seq %" PRId64, done,
			r->b.ev[r->b.n - 1].seq);
	return (long)done;
}

static void run(struct relay *r)
{
	struct err e = ERR_INIT;
	char why[256];
	long wait = 100, got;
	bool active = false;
	int held;

	while (!daemon_stopping) {
		daemon_alive(NULL);
		err_release(&e);
		held = hold_lock(r, &e);
		if (held <= 0) {
			if (held < 0)
				log_msg(LOG_WARN, NULL, "lock: %s", e.msg);
			else if (active)
				log_msg(LOG_WARN, NULL,
					"another relay is "
					"active; standing by");
			active = false;
			daemon_pause(held < 0 ? wait : RELAYD_STANDBY_MS);
			continue;
		}
		if (!active)
			log_msg(LOG_INFO, NULL,
				"active: publishing the outbox "
				"to %s",
				r->cfg->kafka_brokers);
		active = true;
		got = one_round(r, &e);
		if (got < 0) {
			log_msg(LOG_WARN, NULL, "outbox: %s", e.msg);
			daemon_pause(
				daemon_backoff(&wait, RELAYD_BACKOFF_MAX_MS));
		} else {
			wait = 100;
			if (got)
				daemon_alive_at(&r->b.ev[r->b.n - 1]);
			/* A full batch: more are waiting. */
			if (r->b.n < RELAYD_BATCH)
				wait_for_rows(r, RELAYD_POLL_MS);
		}
		batch_release(r);
		/* An idempotent producer can fail for good (a sequence gap
		 * it cannot repair); every message then fails. A new process
		 * gets a new producer id: let the supervisor start one. */
		if (rd_kafka_fatal_error(r->rk, why, sizeof(why))) {
			log_msg(LOG_ERROR, NULL,
				"the producer failed for "
				"good: %s; exiting to be restarted",
				why);
			r->fatal = true;
			break;
		}
	}
	err_release(&e);
}

int main(int argc, char **argv)
{
	struct relay r = { 0 };
	struct err e = ERR_INIT;
	struct cfg c;
	const char *hook = getenv("AGORA_RELAYD_CRASH_AFTER_DELIVERY");

	r.db = daemon_start(argc, argv, "agora-relayd", &c);
	if (!c.kafka_brokers[0]) {
		fprintf(stderr,
			"agora-relayd: KAFKA_BROKERS is not set "
			"(without Kafka the consumers read the outbox table; "
			"no relay is needed)\n");
		db_free(r.db);
		cfg_release(&c);
		/* EX_CONFIG: the unit, started with agora-web whatever the
		 * configuration, ends quietly and is not restarted. */
		return EX_CONFIG;
	}
	r.cfg = &c;
	r.lock = (struct lock)LOCK_INIT;
	r.crash_hook = hook && !strcmp(hook, "1");
	r.rk = kafka_producer(&c, "relayd", on_delivery, &r, &e);
	if (!r.rk)
		die("agora-relayd: %s", e.msg);
	r.admin = rd_kafka_queue_new(r.rk);
	run(&r);

	/* Whatever is still queued is left unmarked for the next relay. */
	rd_kafka_purge(r.rk,
		       RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_flush(r.rk, KAFKA_CALL_TIMEOUT_MS);
	batch_release(&r);
	rd_kafka_queue_destroy(r.admin);
	rd_kafka_destroy(r.rk);
	lock_release(&r.lock, r.db, LOCK_RELAYD);
	db_free(r.db);
	log_msg(LOG_INFO, NULL, "stopped");
	cfg_release(&c);
	return r.fatal ? 1 : 0;
}
