/* outbox.h: the transactional outbox: events written with the change. */
#ifndef AGORA_OUTBOX_H
#define AGORA_OUTBOX_H

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

#endif
