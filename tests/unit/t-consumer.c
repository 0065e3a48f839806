/* t-consumer.c: the consumer loop (fetch, settle, ack, retries, idle
 * waits, a stop half way) and its dead letters, over a source made here
 * and over the outbox table on SQLite and PostgreSQL. */
#include "common.h"

#include <signal.h>
#include <unistd.h>

#include "clock.h"
#include "consumer.h"
#include "daemon.h"
#include "tap.h"
#include "testdb.h"

/* ---- a source made here: events 1..total, failures on demand ---------- */

struct fake {
	struct source base; /* first */
	int64_t total, acked; /* events; the last seq acknowledged */
	int fail_fetch, fail_ack, fail_dead; /* failures still to come */
	int fetches, empty, acks, deads;
	size_t last_ack_n; /* events in the last acknowledgement */
	double stop_after_ms; /* an empty source stops the loop then */
	double t0;
};

static int fake_fetch(struct source *src, size_t max, struct outbox_batch *b,
		      struct err *e)
{
	struct fake *f = (struct fake *)src;
	int64_t s;

	b->ev = NULL;
	b->n = 0;
	f->fetches++;
	if (f->fail_fetch && f->fail_fetch--)
		return err_set(e, ERR_UNAVAILABLE, "fetch fails");
	if (f->acked >= f->total) {
		f->empty++;
		if (clock_ms() - f->t0 > f->stop_after_ms)
			daemon_stopping = 1;
		return 0;
	}
	b->ev = xcalloc(max, sizeof(*b->ev));
	for (s = f->acked + 1; s <= f->total && b->n < max; s++) {
		struct outbox_event *ev = &b->ev[b->n++];

		ev->seq = s;
		ev->txid = xstrdup("0");
		ev->id = xasprintf("ev-%" PRId64, s);
		ev->aggregatetype = xstrdup("order");
		ev->aggregateid = xasprintf("%" PRId64, s);
		ev->type = xstrdup("T");
		ev->payload = xstrdup(s == 3 ? "poison" : "{}");
	}
	return 0;
}

static int fake_ack(struct source *src, const struct outbox_batch *b,
		    struct err *e)
{
	struct fake *f = (struct fake *)src;

	f->acks++;
	if (f->fail_ack && f->fail_ack--)
		return err_set(e, ERR_UNAVAILABLE, "ack fails");
	f->last_ack_n = b->n;
	f->acked = b->ev[b->n - 1].seq;
	if (f->acked >= f->total && !f->stop_after_ms)
		daemon_stopping = 1;
	return 0;
}

static int fake_dead(struct source *src, const struct outbox_batch *b, size_t i,
		     const char *why, struct err *e)
{
	struct fake *f = (struct fake *)src;

	(void)b;
	(void)i;
	(void)why;
	f->deads++;
	if (f->fail_dead && f->fail_dead--)
		return err_set(e, ERR_UNAVAILABLE, "dead letter fails");
	return 0;
}

static void fake_free(struct source *src)
{
	(void)src;
}

static void fake_init(struct fake *f, int64_t total)
{
	memset(f, 0, sizeof(*f));
	f->base.name = "fake";
	f->base.fetch = fake_fetch;
	f->base.ack = fake_ack;
	f->base.dead = fake_dead;
	f->base.free = fake_free;
	f->total = total;
	f->t0 = clock_ms();
}

/* ---- consumers -------------------------------------------------------- */

static int settled, seen, own_dead, own_status;
static int stop_at; /* settle stops after this many events (0: no) */

/* settle: "poison" goes to the dead letters, the rest is applied. */
static size_t settle(struct consumer *c, const struct outbox_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++, seen++) {
		if (stop_at && seen == stop_at) {
			daemon_stopping = 1;
			return i;
		}
		if (strcmp(b->ev[i].payload, "poison"))
			settled++;
		else if (consumer_dead(c, b, i, 0, "poison") < 0)
			return i;
	}
	return b->n;
}

static int own(struct consumer *c, const struct outbox_batch *b, size_t i,
	       int status, const char *why, struct err *e)
{
	(void)c;
	(void)b;
	(void)i;
	(void)why;
	(void)e;
	own_dead++;
	own_status = status;
	return 0;
}

/* settle_400: every event a dead letter with a status, kept by own(). */
static size_t settle_400(struct consumer *c, const struct outbox_batch *b)
{
	size_t i;

	for (i = 0; i < b->n; i++)
		if (consumer_dead(c, b, i, 400, "mapper_parsing_exception") < 0)
			return i;
	return b->n;
}

static void test_loop(void)
{
	struct fake f;
	struct consumer c = { &f.base, 2, settle, NULL };
	double t0;

	fake_init(&f, 5);
	f.fail_fetch = 1;
	f.fail_ack = 1;
	f.fail_dead = 1;
	settled = 0;
	daemon_stopping = 0;
	t0 = clock_ms();
	is_int(consumer_run(&c), 0, "the loop runs until stopped");
	is_int(f.acked, 5, "every event acknowledged");
	is_int(settled, 4, "four applied");
	is_int(f.deads, 2, "the poison a dead letter, after a failed try");
	is_int(f.fetches, 4, "a failed fetch, then batches of 2, 2, 1");
	is_int(f.acks, 4, "a failed ack retried");
	ok(clock_ms() - t0 >= 150, "each retry after a wait (%.0f ms)",
	   clock_ms() - t0);

	/* A stop half way acknowledges what was settled, no more. */
	fake_init(&f, 5);
	seen = 0;
	stop_at = 3;
	daemon_stopping = 0;
	consumer_run(&c);
	stop_at = 0;
	is_int(f.acked, 3, "stopped after three: acknowledged up to 3");
	is_int(f.last_ack_n, 1, "the second batch's first event alone");

	/* The consumer's own dead letters, with the status. */
	fake_init(&f, 2);
	c.settle = settle_400;
	c.dead = own;
	own_dead = 0;
	daemon_stopping = 0;
	consumer_run(&c);
	is_int(own_dead, 2, "its own dead letters instead of the source's");
	is_int(f.deads, 0, "the source's untouched");
	is_int(own_status, 400, "with the status");
	is_int(f.acked, 2, "and the stream moves on");
}

static void test_idle(void)
{
	struct fake f;
	struct consumer c = { &f.base, 10, settle, NULL };

	/* Nothing to read: a fetch every idle_ms, until 350 ms passed. */
	fake_init(&f, 0);
	f.base.idle_ms = 100;
	f.stop_after_ms = 350;
	daemon_stopping = 0;
	consumer_run(&c);
	ok(f.empty >= 2 && f.empty <= 5,
	   "an empty source is asked again "
	   "after idle_ms, not at once (%d fetches in 350 ms)",
	   f.empty);
}

/* ---- over the outbox table ------------------------------------------- */

static int outbox_settled;

static size_t count_settle(struct consumer *c, const struct outbox_batch *b)
{
	(void)c;
	outbox_settled += (int)b->n;
	if (outbox_settled >= 3)
		daemon_stopping = 1;
	return b->n;
}

static void on_alarm(int sig)
{
	(void)sig;
	daemon_stopping = 1;
}

static void outbox(struct db *db, const char *url, const char *tag)
{
	struct consumer c = { NULL, 2, count_settle, NULL };
	struct outbox_backlog bl = { -1, -1 };
	struct json_object *p = json_object_new_object();
	struct err e = ERR_INIT;
	int i, rc = 0;

	(void)url;
	for (i = 0; i < 3; i++)
		rc |= outbox_append(db, "order", "1", "T", p, NULL, &e);
	rc |= outbox_append(db, "product", "1", "T", p, NULL, &e);
	ok(!rc, "%s: three order events and a product one", tag);
	c.src = source_outbox_new(db, "t", "order");
	outbox_settled = 0;
	daemon_stopping = 0;
	/* A bound that tells a hang from a busy machine. */
	signal(SIGALRM, on_alarm);
	alarm(20);
	consumer_run(&c);
	alarm(0);
	is_int(outbox_settled, 3, "%s: the consumer got the three", tag);
	ok(!outbox_lag(db, "t", "order", &bl, &e) && bl.events == 0,
	   "%s: and its cursor is past them (%lld left)", tag,
	   (long long)bl.events);
	if (e.code)
		printf("# %s\n", e.msg);
	err_release(&e);
	source_free(c.src);
	json_object_put(p);
}

int main(void)
{
	test_loop();
	test_idle();
	testdb_run("consumer", outbox);
	return done_testing();
}
