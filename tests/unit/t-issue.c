/* t-issue.c: the issues table: its JSON, list filters and pages, views,
 * writes and who may make them, the popular list, closing stale issues;
 * on SQLite and PostgreSQL. */
#include "common.h"

#include "issue.h"
#include "jsonx.h"
#include "tap.h"
#include "testdb.h"

/* str: o serialized with its times blanked, into out. */
static const char *str(struct json_object *o, char *out, size_t len)
{
	json_object_object_add(o, "createdAt", json_object_new_string("T"));
	json_object_object_add(o, "updatedAt", json_object_new_string("T"));
	snprintf(out, len, "%s", jsonx_str(o, NULL));
	json_object_put(o);
	return out;
}

/* ids: the ids of a list answer's items, comma-separated, into out. */
static const char *ids(struct json_object *list, char *out, size_t len)
{
	struct json_object *items = json_object_object_get(list, "items");
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < json_object_array_length(items) && used < len; i++)
		used += (size_t)
			snprintf(out + used, len - used, "%s%" PRId64,
				 i ? "," : "",
				 json_object_get_int64(json_object_object_get(
					 json_object_array_get_idx(items, i),
					 "id")));
	return out;
}

static void battery(struct db *db, const char *url, const char *tag)
{
	struct issue_input in = { "First", NULL, false, NULL, NULL };
	struct sbuf pop = SBUF_INIT;
	struct json_object *o = NULL;
	struct err e = ERR_INIT;
	char got[512];
	size_t n = 0;
	long closed = -1;

	(void)url;
	ok(!db_query(db, NULL,
		     "INSERT INTO users (email, password_hash, "
		     "name, created_at, updated_at) VALUES ('a@x.io', 'x', "
		     "'A', '2026-01-01T00:00:00.000Z', "
		     "'2026-01-01T00:00:00.000Z'), ('b@x.io', 'x', 'B', "
		     "'2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z')",
		     DB_NOARGS, &e),
	   "%s: two users", tag);
	ok(!issue_create(db, 1, &in, &o, &e), "%s: create", tag);
	is_str(o ? str(o, got, sizeof(got)) : "",
	       "{\"id\":1,\"title\":"
	       "\"First\",\"description\":null,\"status\":\"OPEN\","
	       "\"priority\":\"MEDIUM\",\"viewCount\":0,\"authorId\":1,"
	       "\"createdAt\":\"T\",\"updatedAt\":\"T\"}",
	       "%s: the API's issue, OPEN and MEDIUM by default", tag);
	in = (struct issue_input){ "Second", "d", true, NULL, "HIGH" };
	ok(!issue_create(db, 2, &in, &o, &e), "%s: another", tag);
	json_object_put(o);

	ok(!issue_view(db, 1, &o, &e) &&
		   json_object_get_int64(
			   json_object_object_get(o, "viewCount")) == 1,
	   "%s: a view counts", tag);
	json_object_put(o);
	ok(issue_view(db, 9, &o, &e) < 0 && e.code == ERR_NOT_FOUND &&
		   !strcmp(e.msg, "Issue 9 not found"),
	   "%s: no such issue: 404", tag);
	err_release(&e);

	/* Only the author or an ADMIN; only what is given changes. */
	in = (struct issue_input){ NULL, NULL, false, "CLOSED", NULL };
	ok(issue_update(db, 1, 2, false, &in, &o, &e) < 0 &&
		   e.code == ERR_FORBIDDEN,
	   "%s: someone else's issue: 403", tag);
	err_release(&e);
	ok(!issue_update(db, 1, 2, true, &in, &o, &e) &&
		   !strcmp(jsonx_get_str(o, "status"), "CLOSED") &&
		   !strcmp(jsonx_get_str(o, "title"), "First"),
	   "%s: an ADMIN may: status changes, the title stays", tag);
	json_object_put(o);
	in = (struct issue_input){ NULL, NULL, true, "OPEN", NULL };
	ok(!issue_update(db, 2, 2, false, &in, &o, &e) &&
		   !jsonx_get_str(o, "description"),
	   "%s: the author may; null clears the description", tag);
	json_object_put(o);
	ok(issue_update(db, 9, 1, true, &in, &o, &e) < 0 &&
		   e.code == ERR_NOT_FOUND,
	   "%s: updating no issue: 404", tag);
	err_release(&e);

	ok(!issue_list(db, NULL, 0, 20, 0, &o, &e), "%s: list", tag);
	is_str(ids(o, got, sizeof(got)), "2,1", "%s: newest first", tag);
	is_int(json_object_get_int64(json_object_object_get(o, "total")), 2,
	       "%s: total", tag);
	json_object_put(o);
	ok(!issue_list(db, "OPEN", 0, 20, 0, &o, &e), "%s: by status", tag);
	is_str(ids(o, got, sizeof(got)), "2", "%s: only the OPEN one", tag);
	json_object_put(o);
	ok(!issue_list(db, NULL, 1, 20, 0, &o, &e), "%s: by author", tag);
	is_str(ids(o, got, sizeof(got)), "1", "%s: only author 1's", tag);
	json_object_put(o);
	ok(!issue_list(db, NULL, 0, 1, 1, &o, &e), "%s: a page", tag);
	is_str(ids(o, got, sizeof(got)), "1", "%s: the second item", tag);
	is_int(json_object_get_int64(json_object_object_get(o, "total")), 2,
	       "%s: total counts them all", tag);
	json_object_put(o);

	ok(!issue_popular_load(db, &pop, &n, &e) && n == 1 &&
		   strstr(pop.buf, "\"id\":2"),
	   "%s: popular: the non-CLOSED one", tag);
	sbuf_release(&pop);
	ok(!issue_close_stale(db, 1, &closed, &e) && closed == 0,
	   "%s: nothing a day old", tag);
	ok(!db_query(db, NULL,
		     "UPDATE issues SET updated_at = "
		     "'2020-01-01T00:00:00.000Z'",
		     DB_NOARGS, &e) &&
		   !issue_close_stale(db, 30, &closed, &e) && closed == 1,
	   "%s: an old OPEN issue is closed, a CLOSED one left (%ld)", tag,
	   closed);

	ok(!issue_delete(db, 1, &e), "%s: delete", tag);
	ok(issue_delete(db, 1, &e) < 0 && e.code == ERR_NOT_FOUND,
	   "%s: again: 404", tag);
	err_release(&e);
}

int main(void)
{
	testdb_run("issue", battery);
	return done_testing();
}
