/* notifyd.c: agora-notifyd, which turns order events into notifications. */
#include "common.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <time.h>

#include <curl/curl.h>

#include "cfg.h"
#include "consumer.h"
#include "daemon.h"
#include "db.h"
#include "jsonx.h"
#include "kafka.h"
#include "log.h"
#include "notify.h"
#include "outbox.h"
#include "sbuf.h"
#include "source.h"

#define NOTIFYD_BATCH 500
#define NOTIFYD_GROUP "notification-consumer-group"

/* The webhook: attempts per notification, timeouts, queue bound. */
#define HOOK_ATTEMPTS	    5
#define HOOK_CONNECT_MS	    2000L
#define HOOK_TOTAL_MS	    5000L
#define HOOK_BACKOFF_MIN_MS 200
#define HOOK_BACKOFF_MAX_MS 5000
#define HOOK_QUEUE_MAX	    10000

/* ---- the webhook: best effort, off the event path ------------------------ */

/*
 * New notifications are queued after their row has committed and posted
 * by a thread of their own, so a slow or dead webhook never holds up the
 * events. Delivery is best effort: HOOK_ATTEMPTS tries on a timeout, a
 * connection failure or a 5xx, then a log line; the row is the record.
 */
struct hook {
	char *url;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char **q; /* bodies, a ring of HOOK_QUEUE_MAX */
	size_t head, n;
	volatile sig_atomic_t quit;
};

static size_t hook_discard(char *p, size_t size, size_t n, void *u)
{
	(void)p;
	(void)u;
	return size * n;
}

/* hook_post: one attempt; 0 delivered, 1 worth retrying, -1 not. */
static int hook_post(struct hook *h, CURL *c, const char *body, char *why,
		     size_t whylen)
{
	struct curl_slist *hdr = NULL;
	long status = 0;
	CURLcode rc;

	hdr = curl_slist_append(hdr, "Content-Type: application/json");
	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, h->url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, HOOK_CONNECT_MS);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, HOOK_TOTAL_MS);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, hook_discard);
	rc = curl_easy_perform(c);
	curl_slist_free_all(hdr);
	if (rc != CURLE_OK) {
		snprintf(why, whylen, "%s", curl_easy_strerror(rc));
		return 1;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	snprintf(why, whylen, "HTTP %ld", status);
	if (status >= 200 && status < 300)
		return 0;
	return status >= 500 || status == 429 ? 1 : -1;
}

static void hook_deliver(struct hook *h, CURL *c, const char *body)
{
	long wait = HOOK_BACKOFF_MIN_MS;
	char why[128];
	int i, rc = 1;

	for (i = 1; i <= HOOK_ATTEMPTS && rc > 0; i++) {
		if (i > 1 &&
		    !daemon_pause_until(daemon_backoff(&wait,
						       HOOK_BACKOFF_MAX_MS),
					&h->quit))
			break;
		rc = hook_post(h, c, body, why, sizeof(why));
		if (rc > 0)
			log_msg(LOG_WARN, NULL, "webhook: attempt %d: %s", i,
				why);
	}
	if (rc)
		log_msg(LOG_ERROR, NULL, "webhook: not delivered (%s): %s", why,
			body);
}

static void *hook_main(void *arg)
{
	struct hook *h = arg;
	CURL *c = curl_easy_init();
	char *body;

	if (!c)
		die("agora-notifyd: curl_easy_init failed");
	for (;;) {
		pthread_mutex_lock(&h->mu);
		while (!h->n && !h->quit)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->quit) {
			pthread_mutex_unlock(&h->mu);
			break;
		}
		body = h->q[h->head];
		h->head = (h->head + 1) % HOOK_QUEUE_MAX;
		h->n--;
		pthread_mutex_unlock(&h->mu);
		hook_deliver(h, c, body);
		free(body);
	}
	curl_easy_cleanup(c);
	return NULL;
}

static struct hook *hook_start(const char *url)
{
	struct hook *h = xcalloc(1, sizeof(*h));

	h->url = xstrdup(url);
	h->q = xcalloc(HOOK_QUEUE_MAX, sizeof(*h->q));
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	if (pthread_create(&h->thread, NULL, hook_main, h))
		die("agora-notifyd: cannot start the webhook thread");
	return h;
}

/* hook_push: queue n's body; when the queue is full it is dropped with a
 * log line (the row stays). */
static void hook_push(struct hook *h, const struct notify_note *n)
{
	struct json_object *o;
	char *body;

	if (!h)
		return;
	o = notify_json(n);
	body = xstrdup(jsonx_str(o, NULL));
	json_object_put(o);
	pthread_mutex_lock(&h->mu);
	if (h->n == HOOK_QUEUE_MAX) {
		pthread_mutex_unlock(&h->mu);
		log_msg(LOG_ERROR, NULL,
			"webhook: queue full, not delivered: "
			"%s",
			body);
		free(body);
		return;
	}
	h->q[(h->head + h->n) % HOOK_QUEUE_MAX] = body;
	h->n++;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

/* hook_stop: the delivery in hand ends after its current attempt; what is
 * still queued is logged as not delivered. */
static void hook_stop(struct hook *h)
{
	size_t i;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->quit = 1;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	for (i = 0; i < h->n; i++) {
		char *body = h->q[(h->head + i) % HOOK_QUEUE_MAX];

		log_msg(LOG_WARN, NULL, "webhook: stopping, not delivered: %s",
			body);
		free(body);
	}
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h->q);
	free(h->url);
	free(h);
}

/* ---- events ------------------------------------------------------------ */

struct notifyd {
	struct consumer c; /* first: settle gets &c */
	struct db *db;
	struct hook *h; /* NULL without a webhook */
};

/*
 * settle_batch: every event of b in one transaction, which is fast. Any
 * trouble (a poison event, a database error) rolls it back: 1, and the
 * caller settles the events one by one. 0 when all committed.
 */
static int settle_batch(struct db *db, const struct outbox_batch *b,
			struct hook *h)
{
	struct notify_note *notes = xcalloc(b->n, sizeof(*notes));
	enum notify_result r = NOTIFY_RETRY;
	struct err e = ERR_INIT;
	size_t i;
	int ret = 1;

	if (db_begin(db, &e) < 0)
		goto out;
	for (i = 0; i < b->n; i++) {
		err_release(&e);
		r = notify_handle(db, b->ev[i].payload, &notes[i], &e);
		if (r != NOTIFY_NEW && r != NOTIFY_DUPLICATE)
			break;
	}
	if (i < b->n || db_commit(db, &e) < 0) {
		db_rollback(db);
		goto out;
	}
	for (i = 0; i < b->n; i++)
		if (notes[i].id)
			hook_push(h, &notes[i]);
	ret = 0;
out:
	err_release(&e);
	for (i = 0; i < b->n; i++)
		notify_note_release(&notes[i]);
	free(notes);
	return ret;
}

/*
 * settle_one: b->ev[i] to its row, or to the dead letters. A database
 * error is retried, with backoff, until it passes: the stream never moves
 * past an event it could process later. 0, or -1 when told to stop first.
 */
static int settle_one(struct consumer *c, const struct outbox_batch *b,
		      size_t i)
{
	struct notifyd *x = (struct notifyd *)c;
	const struct outbox_event *ev = &b->ev[i];
	long wait = CONSUMER_BACKOFF_MIN_MS;
	struct notify_note n;
	struct err e = ERR_INIT;
	enum notify_result r;
	int rc = 0;

	for (;;) {
		err_release(&e);
		r = notify_handle(x->db, ev->payload, &n, &e);
		if (r == NOTIFY_NEW)
			hook_push(x->h, &n);
		notify_note_release(&n);
		if (r != NOTIFY_RETRY)
			break;
		log_msg(LOG_WARN, NULL, "event %s: %s (retrying)", ev->id,
			e.msg);
		if (!daemon_pause(consumer_backoff(&wait))) {
			rc = -1;
			break;
		}
	}
	if (r == NOTIFY_POISON)
		rc = consumer_dead(c, b, i, 0, e.msg);
	err_release(&e);
	return rc;
}

/* settle: the whole batch in one transaction, or, on any trouble, event
 * by event; the events settled before a stop. */
static size_t settle(struct consumer *c, const struct outbox_batch *b)
{
	struct notifyd *x = (struct notifyd *)c;
	size_t i;

	if (!settle_batch(x->db, b, x->h))
		return b->n;
	for (i = 0; i < b->n; i++)
		if (settle_one(c, b, i) < 0)
			break;
	return i;
}

int main(int argc, char **argv)
{
	struct notifyd x = { { NULL, NOTIFYD_BATCH, settle, NULL } };
	struct err e = ERR_INIT;
	struct source *src = NULL;
	struct cfg c;
	struct db *db;
	int rc;

	db = daemon_start(argc, argv, "agora-notifyd", &c);
	if (curl_global_init(CURL_GLOBAL_DEFAULT))
		die("agora-notifyd: curl_global_init failed");
	if (c.kafka_brokers[0]) {
		if (source_kafka_new(&src, &c, "notifyd", NOTIFYD_GROUP,
				     KAFKA_TOPIC_ORDERS, &e) < 0) {
			fprintf(stderr, "agora-notifyd: %s\n", e.msg);
			rc = 1;
			goto out;
		}
		log_msg(LOG_INFO, NULL, "notifying from %s on %s (group %s)",
			KAFKA_TOPIC_ORDERS, c.kafka_brokers, NOTIFYD_GROUP);
	} else {
		src = source_outbox_new(db, OUTBOX_NOTIFYD, "order");
		log_msg(LOG_INFO, NULL, "notifying from the outbox table");
	}
	if (c.notify_webhook_url[0])
		x.h = hook_start(c.notify_webhook_url);
	x.c.src = src;
	x.db = db;
	rc = consumer_run(&x.c);
	log_msg(LOG_INFO, NULL, "stopped");
out:
	hook_stop(x.h);
	source_free(src);
	db_free(db);
	curl_global_cleanup();
	err_release(&e);
	cfg_release(&c);
	return rc;
}
