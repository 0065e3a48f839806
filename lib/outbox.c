/* outbox.c: writing outbox rows. */
#include "common.h"

#include <fcntl.h>
#include <sys/random.h>
#include <time.h>

#include "jsonx.h"
#include "outbox.h"

void outbox_new_id(char buf[OUTBOX_ID_LEN])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	size_t i, j = 0;

	if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
		/* getrandom only fails before the kernel has entropy, or
		 * without the syscall; an id must still be unique. */
		struct timespec ts;
		static unsigned counter;

		clock_gettime(CLOCK_REALTIME, &ts);
		memcpy(b, &ts, sizeof(ts) < 12 ? sizeof(ts) : 12);
		counter++;
		memcpy(b + 12, &counter, 4);
	}
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);	/* version 4 */
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);	/* RFC 4122 variant */
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			buf[j++] = '-';
		buf[j++] = hex[b[i] >> 4];
		buf[j++] = hex[b[i] & 15];
	}
	buf[j] = '\0';
}

int outbox_append(struct db *db, const char *aggregatetype,
		  const char *aggregateid, const char *type,
		  struct json_object *payload, char id[OUTBOX_ID_LEN],
		  struct err *e)
{
	char buf[OUTBOX_ID_LEN], now[32];
	size_t len;
	const char *json = jsonx_str(payload, &len);

	outbox_new_id(buf);
	db_now(now);
	if (db_query(db, NULL,
		     "INSERT INTO outbox (id, aggregatetype, aggregateid, type, "
		     "payload, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
		     DB_ARGS(DB_S(buf), DB_S(aggregatetype), DB_S(aggregateid),
			     DB_S(type), DB_S(json), DB_S(now)), e) < 0)
		return -1;
	if (id)
		memcpy(id, buf, OUTBOX_ID_LEN);
	return 0;
}
