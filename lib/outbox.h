/* outbox.h: the transactional outbox: events written with the change. */
#ifndef AGORA_OUTBOX_H
#define AGORA_OUTBOX_H

#include <stddef.h>
#include <stdint.h>
#include <json-c/json.h>

#include "db.h"
#include "err.h"

#define OUTBOX_ID_LEN 37	/* a UUID and its NUL */

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
int outbox_append_id(struct db *db, const char *id,
		     const char *aggregatetype, const char *aggregateid,
		     const char *type, struct json_object *payload,
		     struct err *e);

/*
 * Reading the outbox as a consumer without Kafka (indexd, notifyd): each
 * consumer keeps a cursor in outbox_offsets. On PostgreSQL the cursor is
 * (txid, seq) and a fetch only goes past rows whose transaction is older
 * than every transaction still running (pg_snapshot_xmin), so a row that
 * commits late is never skipped; on SQLite seq order is commit order.
 */
struct outbox_event {
	int64_t seq;
	char *txid;		/* decimal text; "0" on SQLite */
	char *id;
	char *aggregatetype;
	char *aggregateid;
	char *type;
	char *payload;		/* JSON text as written */
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
int outbox_fetch(struct db *db, const char *consumer,
		 const char *const *types, size_t ntypes, size_t limit,
		 struct outbox_batch *b, struct err *e);
void outbox_batch_release(struct outbox_batch *b);

/*
 * outbox_ack: move consumer's cursor to ev (a row outbox_fetch returned):
 * the next fetch starts after it. Call it only once the effects of every
 * row up to ev are settled. Errors: those of db_query().
 */
int outbox_ack(struct db *db, const char *consumer,
	       const struct outbox_event *ev, struct err *e);

#endif
