/* t-page.c: list routes' page and size, and the {total, items} answer
 * read in one snapshot from the request's database. */
#include "common.h"

#include "jsonx.h"
#include "page.h"
#include "tap.h"
#include "testreq.h"
#include "testdb.h"

struct mem {
	struct sbuf out;
};

static const struct col t_cols[] = {
	COL_ID,
	{ "name", "label", COL_TEXT },
	{ NULL },
};

/* The label of item i of a list's answer. */
static const char *label(struct json_object *items, size_t i)
{
	return jsonx_get_str(json_object_array_get_idx(items, i), "label");
}

/* list: page_list on GET uri, its total from the statement total (NULL:
 * count(*)); the status, the body in *body. */
static int list(const struct req_env *env, const char *uri, const char *total,
		struct json_object **body)
{
	struct mem m = { SBUF_INIT };
	struct req_io io = { testreq_no_body, testreq_capture, &m.out };
	char u[256];
	const char *vars[] = { "REQUEST_METHOD=GET", u, NULL };
	struct req r;
	const char *b;
	int status;
	struct err e = ERR_INIT;

	snprintf(u, sizeof(u), "REQUEST_URI=%s", uri);
	*body = NULL;
	req_init(&r, env, (char **)vars, &io);
	if (page_list(&r, 2, "t", total, t_cols) < 0)
		req_send_error(&r, &r.err);
	req_write(&r);
	status = r.status;
	b = strstr(m.out.buf, "\r\n\r\n");
	if (b && jsonx_parse(b + 4, strlen(b + 4), body, &e) < 0)
		*body = NULL;
	err_release(&e);
	req_release(&r);
	sbuf_release(&m.out);
	return status;
}

int main(void)
{
	char *path = testdb_sqlite_path("page");
	struct req_env env = { NULL, NULL, 1024, NULL };
	struct json_object *body, *items;
	struct err e = ERR_INIT;

	if (db_open(&env.db, path, NULL, &e) ||
	    db_exec_script(env.db,
			   "CREATE TABLE t (id integer PRIMARY KEY, name text);"
			   "INSERT INTO t VALUES (3, 'c'), (1, 'a'), (2, 'b');",
			   &e)) {
		ok(0, "database: %s", e.msg);
		goto out;
	}
	is_int(list(&env, "/x", NULL, &body), 200, "no page: 200");
	items = json_object_object_get(body, "items");
	is_int(json_object_get_int64(json_object_object_get(body, "total")), 3,
	       "total of every row");
	is_int(json_object_array_length(items), 2, "the default size");
	is_str(label(items, 0), "a", "page 1 starts at the lowest id");
	is_str(label(items, 1), "b",
	       "... items as the column table names them");
	json_object_put(body);

	is_int(list(&env, "/x?page=2&size=2", NULL, &body), 200, "page 2: 200");
	items = json_object_object_get(body, "items");
	is_int(json_object_array_length(items), 1, "the rest");
	is_str(label(items, 0), "c", "page 2 starts after page 1");
	json_object_put(body);

	is_int(list(&env, "/x?page=3&size=1", NULL, &body), 200, "page 3: 200");
	items = json_object_object_get(body, "items");
	is_int(json_object_array_length(items), 1, "the last row alone");
	is_str(label(items, 0), "c", "... the highest id");
	json_object_put(body);
	is_int(list(&env, "/x?page=4&size=1", NULL, &body), 200,
	       "past the last page: 200");
	is_int(json_object_array_length(json_object_object_get(body, "items")),
	       0, "... and no items");
	json_object_put(body);

	is_int(list(&env, "/x", "SELECT 7", &body), 200,
	       "a total counted elsewhere: 200");
	is_int(json_object_get_int64(json_object_object_get(body, "total")), 7,
	       "... the total is that statement's");
	json_object_put(body);

	is_int(list(&env, "/x?page=0", NULL, &body), 400, "page 0: 400");
	json_object_put(body);
	is_int(list(&env, "/x?page=9223372036854775807&size=100", NULL, &body),
	       400, "a page past int64's offsets: 400");
	is_str(json_object_get_string(json_object_array_get_idx(
		       json_object_object_get(body, "message"), 0)),
	       "page must not be greater than 92233720368547758",
	       "... saying how far pages go");
	json_object_put(body);
out:
	err_release(&e);
	db_free(env.db);
	testdb_sqlite_unlink(path);
	free(path);
	return done_testing();
}
