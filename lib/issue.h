/* issue.h: the issues table as the responder and the batch jobs share it. */
#ifndef AGORA_ISSUE_H
#define AGORA_ISSUE_H

#include <stdbool.h>
#include <stdint.h>
#include <json-c/json.h>

#include "cache.h"
#include "col.h"
#include "db.h"
#include "err.h"
#include "sbuf.h"

/* The columns of an issue as the API shows it ({id, title, description,
 * status, priority, viewCount, authorId, createdAt, updatedAt}), and
 * their positions in a row selected with them. */
enum issue_col {
	ISSUE_ID,
	ISSUE_TITLE,
	ISSUE_DESCRIPTION,
	ISSUE_STATUS,
	ISSUE_PRIORITY,
	ISSUE_VIEWS,
	ISSUE_AUTHOR,
	ISSUE_CREATED,
	ISSUE_UPDATED
};
extern const struct col issue_cols[];

/* Where the popular list is cached, and how many issues it holds. */
#define ISSUE_POPULAR_KEY  "popular_issues:v1"
#define ISSUE_POPULAR_SIZE 10

/*
 * issue_list: a page of issues, newest first, with status status (NULL:
 * any) and author author (0: any), as the API's {total, items}: total and
 * items from one snapshot. *out (caller owns). Errors: those of
 * db_query().
 */
int issue_list(struct db *db, const char *status, int64_t author, int64_t limit,
	       int64_t offset, struct json_object **out, struct err *e);

/*
 * issue_view: count a view of issue id and give it, in *out (caller
 * owns). Errors: 404 "Issue 5 not found", those of db_query().
 */
int issue_view(struct db *db, int64_t id, struct json_object **out,
	       struct err *e);

/* What an issue write sets: a NULL string keeps the value (an update) or
 * takes the default (create: priority MEDIUM), except description, which
 * has_description with NULL clears. A new issue is OPEN whatever status
 * says. */
struct issue_input {
	const char *title;
	const char *description;
	bool has_description;
	const char *status;
	const char *priority;
};

/* issue_create: author's new issue, in *out (caller owns). Errors: those
 * of db_query(). */
int issue_create(struct db *db, int64_t author, const struct issue_input *in,
		 struct json_object **out, struct err *e);

/*
 * issue_update: change issue id as user `by` asks (the author, or anyone
 * when admin); its status moves freely between values. *out (caller
 * owns) is the issue after. Errors: 404 "Issue 5 not found", 403
 * "Forbidden resource", those of db_query().
 */
int issue_update(struct db *db, int64_t id, int64_t by, bool admin,
		 const struct issue_input *in, struct json_object **out,
		 struct err *e);

/* issue_delete: delete issue id. Errors: 404 "Issue 5 not found", those
 * of db_query(). */
int issue_delete(struct db *db, int64_t id, struct err *e);

/*
 * issue_popular_load: the popular list from the database (the
 * ISSUE_POPULAR_SIZE non-CLOSED issues with the most views, ties to the
 * lower id) as a JSON array, appended to out: the bytes cached and
 * served. *count (may be NULL) receives how many issues it holds.
 * Errors: those of db_query().
 */
int issue_popular_load(struct db *db, struct sbuf *out, size_t *count,
		       struct err *e);

/*
 * issue_popular_forget: delete the cached popular list after a write that
 * may change it has committed. A cache failure is logged (under reqid,
 * may be NULL), not returned: the entry then ages out within its TTL.
 */
void issue_popular_forget(struct cache *cache, const char *reqid);

/*
 * issue_close_stale: close every OPEN or IN_PROGRESS issue whose
 * updated_at is more than `days` days old; *closed receives how many.
 * Errors: those of db_query().
 */
int issue_close_stale(struct db *db, int days, long *closed, struct err *e);

#endif
