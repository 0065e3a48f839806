/* outbox.h: the transactional outbox: events written with the change. */
#ifndef AGORA_OUTBOX_H
#define AGORA_OUTBOX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "db.h"
#include "err.h"

#define OUTBOX_ID_LEN 37 /* a UUID and its NUL */

/* The consumers that read the outbox table (without Kafka), by the names
 * of their cursors in outbox_offsets, and the aggregatetype each reads. */
#define OUTBOX_NOTIFYD "notifyd" /* agora-notifyd: "order" */
#define OUTBOX_INDEXD  "indexd" /* agora-indexd: "product" */

/* outbox_new_id: a random (version 4) UUID, lower-case, into buf. */
void outbox_new_id(char buf[OUTBOX_ID_LEN]);

/*
 * outbox_append: add one event row. Call it inside the transaction that
 * makes the change (db_begin … db_commit), so the event exists exactly
 * when the change does. payload is serialized as it is (the caller keeps
 * ownership). id (may be NULL) receives the new event id.
 * Errors: those of db_query().
 */
int outbox_append(struct db *db, const char *aggregatetype,
		  const char *aggregateid, const char *type,
		  struct json_object *payload, char id[OUTBOX_ID_LEN],
		  struct err *e);
/*
 * outbox_append_id: outbox_append() with the event id chosen by the
 * caller (from outbox_new_id()), for payloads that carry their own id.
 */
int outbox_append_id(struct db *db, const char *id, const char *aggregatetype,
		     const char *aggregateid, const char *type,
		     struct json_object *payload, struct err *e);

/*
 * Reading the outbox as a consumer without Kafka (indexd, notifyd): each
 * consumer keeps a cursor in outbox_offsets. On PostgreSQL the cursor is
 * (txid, seq) and a fetch only goes past rows whose transaction is older
 * than every transaction still running (pg_snapshot_xmin), so a row that
 * commits late is never skipped; on SQLite seq order is commit order.
 */
struct outbox_event {
	int64_t seq;
	char *txid; /* decimal text; "0" on SQLite */
	char *id;
	char *aggregatetype;
	char *aggregateid;
	char *type;
	char *payload; /* JSON text as written */
};

struct outbox_batch {
	struct outbox_event *ev;
	size_t n;
};

/*
 * outbox_fetch: up to limit rows after consumer's cursor whose
 * aggregatetype is one of types[0..ntypes), oldest first, into *b (the
 * caller releases it with outbox_batch_release, also after a failure).
 * A consumer never seen before starts at the beginning.
 * Errors: those of db_query().
 */
int outbox_fetch(struct db *db, const char *consumer, const char *const *types,
		 size_t ntypes, size_t limit, struct outbox_batch *b,
		 struct err *e);
void outbox_batch_release(struct outbox_batch *b);

/*
 * outbox_ack: move consumer's cursor to ev (a row outbox_fetch returned):
 * the next fetch starts after it. Call it only once the effects of every
 * row up to ev are settled. Errors: those of db_query().
 */
int outbox_ack(struct db *db, const char *consumer,
	       const struct outbox_event *ev, struct err *e);

/* ---- the relay (agora-relayd, with Kafka) ------------------------------ */

/*
 * outbox_unpublished_fetch: up to limit rows not yet marked published
 * whose aggregatetype is one of types[0..ntypes), in seq order, into *b
 * (released by the caller with outbox_batch_release, also after a
 * failure). txid is "0": the relay's position is the seq alone, and a row
 * that commits late is still unpublished when a later fetch comes.
 * Errors: those of db_query().
 */
int outbox_unpublished_fetch(struct db *db, const char *const *types,
			     size_t ntypes, size_t limit,
			     struct outbox_batch *b, struct err *e);
/*
 * outbox_mark_published: set published_at on the rows b->ev[i] for which
 * done[i] is true, in one statement (none: no statement). Errors: those
 * of db_query().
 */
int outbox_mark_published(struct db *db, const struct outbox_batch *b,
			  const bool *done, struct err *e);

/* ---- what waits (health, metrics) -------------------------------------- */

/* How many events wait, and the age of the oldest in whole seconds (0
 * when none waits). */
struct outbox_backlog {
	int64_t events;
	int64_t oldest_s;
};

/* outbox_unpublished: the rows the relay has not published yet.
 * Errors: those of db_query(). */
int outbox_unpublished(struct db *db, struct outbox_backlog *out,
		       struct err *e);
/*
 * outbox_lag: the rows of aggregatetype type past consumer's cursor (all
 * of them when it has none): what it has not read yet, counting rows that
 * committed but are still held back by an older running transaction.
 * Errors: those of db_query().
 */
int outbox_lag(struct db *db, const char *consumer, const char *type,
	       struct outbox_backlog *out, struct err *e);

/* ---- pruning ------------------------------------------------------------ */

/*
 * outbox_prune: delete the rows created before `before` (db_now()'s
 * format) that every table consumer's cursor has passed and, when
 * published is true (the relay feeds Kafka), that are published; in
 * short transactions of a few thousand rows. Without published and with
 * no cursor recorded yet nothing is deleted: no consumer has read
 * anything. *deleted counts the rows deleted, also after a failure.
 * Returns 0, 1 when no consumer has a cursor (and published is false),
 * -1 on a database error (e set).
 */
int outbox_prune(struct db *db, const char *before, bool published,
		 long *deleted, struct err *e);

/* ---- replaying (the Elasticsearch reindex) ------------------------------ */

/*
 * outbox_mark: the outbox's position now, as text for outbox_since (the
 * caller frees *mark): every row appended after the mark is taken has a
 * position at or past it. On PostgreSQL it is the oldest transaction
 * still running (pg_snapshot_xmin), so a row that commits late is not
 * left out; on SQLite the last seq. Errors: those of db_query().
 */
int outbox_mark(struct db *db, char **mark, struct err *e);
/*
 * outbox_since: up to limit rows of aggregatetype type at or past mark
 * whose seq is above after (0 at first; then the last seq read), in seq
 * order, into *b (released by the caller, also after a failure). It may
 * return rows from just before the mark too: a replay must be harmless
 * where it repeats. Errors: those of db_query().
 */
int outbox_since(struct db *db, const char *mark, const char *type,
		 int64_t after, size_t limit, struct outbox_batch *b,
		 struct err *e);

#endif
