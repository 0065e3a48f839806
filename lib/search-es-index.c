/* search-es-index.c: the products index on Elasticsearch (the mapping and
 * its analyzers, the alias, documents and outbox events as bulk actions)
 * and its reindex, for agora-indexd and the backend of search-es.c. */
#include "common.h"

#include <time.h>

#include "clock.h"
#include "col.h"
#include "es.h"
#include "jsonx.h"
#include "log.h"
#include "outbox.h"
#include "product.h"
#include "search-es-impl.h"
#include "search-es.h"

/* Rows per _bulk request of the reindex. */
#define ES_REINDEX_BATCH 500
#define ES_REINDEX_TRIES 6

/*
 * The products index. Its analyzers do with Elasticsearch's built-in parts
 * what search-analyze.c does for the databases (icu is a plugin):
 *   - agora_punct maps the characters that the standard tokenizer keeps
 *     inside a word (UAX #29 MidLetter, MidNum, MidNumLet, Single_Quote,
 *     ExtendNumLet: . ' ’ : · , ; _ …) to a space, so that samsung.lg and
 *     Samsung’s are two words as for agora;
 *   - agora_script puts a space where a Hangul, Han, Hiragana or Katakana
 *     letter meets a letter of another script or a digit (RC카, 3인용),
 *     which UAX #29 keeps together;
 *   - the standard tokenizer, cjk_width (full-width Latin, half-width
 *     katakana), lowercase;
 *   - agora_bigram (name, description) ends with cjk_bigram: the bigrams
 *     of CJK words, a lone CJK letter as itself; agora_word (name.word,
 *     description.word) keeps whole words.
 * es_search_body() queries both so that scores equal the databases'.
 */
#define ES_MAP_CHARS(x) "\"" x " => \\\\u0020\","
/* Java regular expressions, in JSON: CJK letters, and the letters of
 * other scripts and digits (ー and marks belong to either). */
#define ES_CJK                                         \
	"\\\\p{IsHangul}\\\\p{IsHan}\\\\p{IsHiragana}" \
	"\\\\p{IsKatakana}"
#define ES_OTHER \
	"[\\\\p{N}[\\\\p{L}&&[^" ES_CJK "\\\\p{IsCommon}\\\\p{IsInherited}]]]"
#define ES_SCRIPT_PATTERN \
	"(?<=[" ES_CJK "])(?=" ES_OTHER ")|(?<=" ES_OTHER ")(?=[" ES_CJK "])"
static const char es_mapping_json[] =
	"{\"settings\":{\"number_of_shards\":1,\"analysis\":{"
	"\"char_filter\":{"
	"\"agora_punct\":{\"type\":\"mapping\",\"mappings\":[" ES_MAP_CHARS(".") ES_MAP_CHARS(
		"'") ES_MAP_CHARS(":") ES_MAP_CHARS(",") ES_MAP_CHARS(";") ES_MAP_CHARS("_")
		ES_MAP_CHARS("\\u00b7") ES_MAP_CHARS("\\u0387") ES_MAP_CHARS("\\u05f4") ES_MAP_CHARS(
			"\\u2018") ES_MAP_CHARS("\\u2019") ES_MAP_CHARS("\\u2024") ES_MAP_CHARS("\\u2027")
			ES_MAP_CHARS("\\u2044") ES_MAP_CHARS("\\u202f") ES_MAP_CHARS(
				"\\u203f") ES_MAP_CHARS("\\u2040") ES_MAP_CHARS("\\u2054")
				ES_MAP_CHARS("\\u037e") ES_MAP_CHARS("\\u0589") ES_MAP_CHARS(
					"\\u060c") ES_MAP_CHARS("\\u060d") ES_MAP_CHARS("\\u066c")
					ES_MAP_CHARS("\\u07f8") ES_MAP_CHARS("\\ufe10") ES_MAP_CHARS(
						"\\ufe13") ES_MAP_CHARS("\\ufe14") ES_MAP_CHARS("\\ufe33")
						ES_MAP_CHARS("\\ufe34") ES_MAP_CHARS("\\ufe4d") ES_MAP_CHARS(
							"\\ufe4e") ES_MAP_CHARS("\\ufe4f")
							ES_MAP_CHARS("\\ufe50") ES_MAP_CHARS(
								"\\ufe52") ES_MAP_CHARS("\\ufe54")
								ES_MAP_CHARS("\\ufe55") ES_MAP_CHARS(
									"\\uff07") ES_MAP_CHARS("\\uff0c")
									ES_MAP_CHARS(
										"\\uff0e")
										ES_MAP_CHARS(
											"\\uff1a") "\"\\uff1b => \\\\u0020\"]},"
												   "\"agora_script\":{\"type\":\"pattern_replace\",\"pattern\":\"" ES_SCRIPT_PATTERN
												   "\",\"replacement\":\" \"}},"
												   "\"analyzer\":{"
												   "\"agora_bigram\":{\"type\":\"custom\","
												   "\"char_filter\":[\"agora_punct\",\"agora_script\"],"
												   "\"tokenizer\":\"standard\","
												   "\"filter\":[\"cjk_width\",\"lowercase\",\"cjk_bigram\"]},"
												   "\"agora_word\":{\"type\":\"custom\","
												   "\"char_filter\":[\"agora_punct\",\"agora_script\"],"
												   "\"tokenizer\":\"standard\","
												   "\"filter\":[\"cjk_width\",\"lowercase\"]}}}},"
												   "\"mappings\":{\"dynamic\":\"strict\",\"properties\":{"
												   "\"id\":{\"type\":\"long\"},"
												   "\"name\":{\"type\":\"text\",\"analyzer\":\"agora_bigram\","
												   "\"fields\":{\"word\":{\"type\":\"text\","
												   "\"analyzer\":\"agora_word\"}}},"
												   "\"description\":{\"type\":\"text\",\"analyzer\":\"agora_bigram\","
												   "\"fields\":{\"word\":{\"type\":\"text\","
												   "\"analyzer\":\"agora_word\"}}},"
												   "\"category\":{\"type\":\"keyword\"},"
												   "\"brand\":{\"type\":\"keyword\"},"
												   "\"price\":{\"type\":\"integer\"},"
												   "\"status\":{\"type\":\"keyword\"},"
												   "\"created_at\":{\"type\":\"date\"}}}}";

/*
 * es_alias_index: the index the alias products points at, in *index
 * (caller frees), or NULL when there is no such alias. Errors: -1 with
 * ERR_UNAVAILABLE (no answer, or a 5xx) or ERR_INTERNAL.
 */
static int es_alias_index(struct es *es, char **index, struct err *e)
{
	struct json_object *body = NULL;
	long status;
	int ret = -1;

	*index = NULL;
	if (es_call(es, "GET", "/_alias/" ES_ALIAS, NULL, 0, false, &status,
		    &body, e) < 0)
		return -1;
	if (status == 404) {
		ret = 0;
	} else if (status != 200 ||
		   !json_object_is_type(body, json_type_object)) {
		es_fail(e, "GET _alias", status, body);
	} else {
		/* {"products_v3":{"aliases":{"products":{}}}}: one index. */
		json_object_object_foreach (body, key, val) {
			(void)val;
			*index = xstrdup(key);
			break;
		}
		ret = 0;
	}
	json_object_put(body);
	return ret;
}

int search_es_ensure_index(struct es *es, struct err *e)
{
	struct json_object *body = NULL, *req;
	char *index = NULL;
	long status;
	int ret = -1;

	if (es_alias_index(es, &index, e) < 0)
		return -1;
	if (index) {
		free(index);
		return 0;
	}
	/* The mapping plus the alias: the index is born reachable. */
	if (jsonx_parse(es_mapping_json, sizeof(es_mapping_json) - 1, &req, e) <
	    0)
		return -1;
	json_object_object_add(req, "aliases", json_object_new_object());
	json_object_object_add(json_object_object_get(req, "aliases"), ES_ALIAS,
			       json_object_new_object());
	if (es_call(es, "PUT", "/" ES_ALIAS "_v1", jsonx_str(req, NULL),
		    strlen(jsonx_str(req, NULL)), false, &status, &body, e) < 0)
		goto out;
	/* Someone else (another indexd, a reindex) was first: fine. */
	if (status == 200 ||
	    (status == 400 &&
	     !strcmp(es_error_type(body), "resource_already_exists_exception")))
		ret = 0;
	else
		es_fail(e, "create " ES_ALIAS "_v1", status, body);
out:
	json_object_put(body);
	json_object_put(req);
	return ret;
}

/*
 * es_doc: the indexed document of a product event payload or row
 * {id,name,description,category,brand,price,status,created_at[,version]}:
 * a new object without the version (the mapping is strict), or NULL when
 * payload lacks an id. *version gets payload's version (0 if absent).
 */
static struct json_object *es_doc(struct json_object *payload, int64_t *version)
{
	static const char *const fields[] = {
		"id",	 "name",  "description", "category",
		"brand", "price", "status",	 "created_at",
	};
	struct json_object *doc, *v;
	int64_t id;
	size_t i;

	*version = 0;
	if (!jsonx_get_int(payload, "id", &id))
		return NULL;
	jsonx_get_int(payload, "version", version);
	doc = json_object_new_object();
	for (i = 0; i < ARRAY_SIZE(fields); i++)
		if (json_object_object_get_ex(payload, fields[i], &v))
			json_object_object_add(doc, fields[i],
					       json_object_get(v));
	return doc;
}

int search_es_bulk_event(struct sbuf *sb, const char *index, const char *type,
			 const char *payload, struct err *e)
{
	struct json_object *p = NULL, *doc = NULL;
	int64_t id, version;
	int ret = -1;

	if (jsonx_parse(payload, strlen(payload), &p, e) < 0)
		return -1;
	if (!jsonx_get_int(p, "id", &id) ||
	    !jsonx_get_int(p, "version", &version) || version < 1) {
		err_set(e, ERR_BAD_REQUEST, "payload without id and version");
		goto out;
	}
	if (!index)
		index = ES_ALIAS;
	if (!strcmp(type, "PRODUCT_DELETED")) {
		es_bulk_delete(sb, index, id, version);
	} else if (!strcmp(type, "PRODUCT_UPSERTED")) {
		doc = es_doc(p, &version);
		es_bulk_index(sb, index, id, version, doc);
	} else {
		err_set(e, ERR_BAD_REQUEST, "unknown event type %s", type);
		goto out;
	}
	ret = 0;
out:
	json_object_put(doc);
	json_object_put(p);
	return ret;
}

/*
 * es_bulk_settle: send sb to path until every item is settled. 429 and
 * 5xx (whole request or items) are retried with capped exponential
 * backoff; the versions are external, so sending an item twice is
 * harmless. Any other item error fails the call.
 */
static int es_bulk_settle(struct es *es, const char *path,
			  const struct sbuf *sb, struct err *e)
{
	struct json_object *items = NULL, *it;
	struct err be = ERR_INIT;
	const char *type, *result;
	bool retry;
	size_t i;
	int try, st, ret = -1;
	long wait_ms = 100;

	for (try = 0; try < ES_REINDEX_TRIES; try++) {
		if (try) {
			struct timespec ts = { wait_ms / 1000,
					       (wait_ms % 1000) * 1000000L };

			nanosleep(&ts, NULL);
			wait_ms = wait_ms * 2 > 5000 ? 5000 : wait_ms * 2;
		}
		err_release(&be);
		json_object_put(items);
		items = NULL;
		if (es_bulk(es, path, sb, &items, &be) < 0) {
			if (be.code == ERR_UNAVAILABLE)
				continue;
			break;
		}
		retry = false;
		for (i = 0; i < json_object_array_length(items); i++) {
			it = json_object_array_get_idx(items, i);
			st = es_item_status(it, &type, &result);
			if (es_item_settled(st,
					    json_object_object_get_ex(it,
								      "delete",
								      NULL)))
				continue;
			if (st == 429 || st >= 500) {
				retry = true;
				continue;
			}
			err_set(&be, ERR_INTERNAL,
				"elasticsearch: _bulk item "
				"%zu: %d %s",
				i, st, type);
			goto out;
		}
		if (!retry) {
			ret = 0;
			goto out;
		}
		err_set(&be, ERR_UNAVAILABLE,
			"elasticsearch: _bulk items "
			"still rejected after %d tries",
			try + 1);
	}
out:
	if (ret < 0)
		err_set(e, be.code ? be.code : ERR_UNAVAILABLE, "%s", be.msg);
	err_release(&be);
	json_object_put(items);
	return ret;
}

/* es_next_index: products_v(N+1) after current (NULL: products_v1). */
static char *es_next_index(const char *current)
{
	const char *p = ES_ALIAS "_v";
	long n = 0;

	if (current && !strncmp(current, p, strlen(p)))
		n = strtol(current + strlen(p), NULL, 10);
	if (n < 0 || n >= LONG_MAX - 1)
		n = 0;
	return xasprintf("%s%ld", p, n + 1);
}

/* es_create: create index with the mapping; a leftover of a reindex that
 * failed half way (it has no alias) is dropped first. */
static int es_create(struct es *es, const char *index, struct err *e)
{
	struct json_object *resp = NULL;
	char *path = xasprintf("/%s", index);
	long status;
	int ret = -1, i;

	for (i = 0; i < 2; i++) {
		json_object_put(resp);
		resp = NULL;
		if (es_call(es, "PUT", path, es_mapping_json,
			    sizeof(es_mapping_json) - 1, false, &status, &resp,
			    e) < 0)
			goto out;
		if (status == 200) {
			ret = 0;
			goto out;
		}
		if (i || status != 400 ||
		    strcmp(es_error_type(resp),
			   "resource_already_exists_exception"))
			break;
		json_object_put(resp);
		resp = NULL;
		if (es_call(es, "DELETE", path, NULL, 0, false, &status, &resp,
			    e) < 0)
			goto out;
	}
	es_fail(e, "create index", status, resp);
out:
	json_object_put(resp);
	free(path);
	return ret;
}

static int es_simple(struct es *es, const char *method, const char *path,
		     const char *body, struct err *e)
{
	struct json_object *resp = NULL;
	long status;
	int ret = -1;

	if (es_call(es, method, path, body, body ? strlen(body) : 0, false,
		    &status, &resp, e) < 0)
		return -1;
	if (status >= 200 && status < 300)
		ret = 0;
	else
		es_fail(e, path, status, resp);
	json_object_put(resp);
	return ret;
}

/*
 * Product events that may have been applied to the old index while the
 * new one was loading, applied again through the alias, now on the new
 * index. External versions make the replay harmless where it repeats.
 */
static int es_replay(struct es_search *x, const char *mark, struct err *e)
{
	struct outbox_batch b = { NULL, 0 };
	struct sbuf sb = SBUF_INIT;
	int64_t after = 0;
	size_t i;
	int ret = -1;

	for (;;) {
		outbox_batch_release(&b);
		if (outbox_since(x->db, mark, "product", after,
				 ES_REINDEX_BATCH, &b, e) < 0)
			goto out;
		if (!b.n)
			break;
		sbuf_reset(&sb);
		for (i = 0; i < b.n; i++) {
			struct err ee = ERR_INIT;

			/* A malformed event is indexd's to record. */
			if (search_es_bulk_event(&sb, NULL, b.ev[i].type,
						 b.ev[i].payload, &ee) < 0)
				log_msg(LOG_WARN, NULL,
					"reindex: outbox %" PRId64 ": %s",
					b.ev[i].seq, ee.msg);
			err_release(&ee);
		}
		after = b.ev[b.n - 1].seq;
		if (sb.len && es_bulk_settle(x->es, "/_bulk?require_alias=true",
					     &sb, e) < 0)
			goto out;
		if (b.n < ES_REINDEX_BATCH)
			break;
	}
	ret = 0;
out:
	outbox_batch_release(&b);
	sbuf_release(&sb);
	return ret;
}

/* es_load: stream the ACTIVE products into index, keyset-paginated on id
 * so that memory stays one batch whatever the row count. */
static int es_load(struct es_search *x, const char *index,
		   search_progress_fn progress, void *ctx, int64_t *done,
		   struct err *e)
{
	struct db_res *res = NULL;
	struct sbuf sb = SBUF_INIT, sql = SBUF_INIT;
	struct json_object *doc;
	char *path = xasprintf("/%s/_bulk", index);
	int64_t total, after = 0;
	size_t i, n;
	int ret = -1;

	*done = 0;
	if (db_query(x->db, &res,
		     "SELECT count(*) FROM products WHERE "
		     "status = 'ACTIVE'",
		     DB_NOARGS, e) < 0)
		goto out;
	total = col_one_int(res);
	db_res_free(res);
	res = NULL;
	for (;;) {
		if (db_query(x->db, &res,
			     col_sql(&sql, "SELECT ", product_cols,
				     " FROM products WHERE status = 'ACTIVE' "
				     "AND id > $1 ORDER BY id LIMIT $2"),
			     DB_ARGS(DB_I(after), DB_I(ES_REINDEX_BATCH)),
			     e) < 0)
			goto out;
		n = db_res_rows(res);
		if (!n)
			break;
		sbuf_reset(&sb);
		for (i = 0; i < n; i++) {
			doc = product_doc(res, i);
			es_bulk_index(&sb, index,
				      db_res_int(res, i, PRODUCT_ID),
				      db_res_int(res, i, PRODUCT_VERSION), doc);
			json_object_put(doc);
		}
		after = db_res_int(res, n - 1, PRODUCT_ID);
		db_res_free(res);
		res = NULL;
		if (es_bulk_settle(x->es, path, &sb, e) < 0)
			goto out;
		*done += (int64_t)n;
		if (progress)
			progress(ctx, *done, total > *done ? total : *done);
		if (n < ES_REINDEX_BATCH)
			break;
	}
	ret = 0;
out:
	db_res_free(res);
	sbuf_release(&sb);
	sbuf_release(&sql);
	free(path);
	return ret;
}

int search_es_reindex(struct search *s, search_progress_fn progress, void *ctx,
		      struct json_object **out, struct err *e)
{
	struct es_search *x = (struct es_search *)s;
	struct sbuf sb = SBUF_INIT;
	char *old = NULL, *next = NULL, *mark = NULL, *path = NULL;
	double t0 = clock_ms();
	int64_t done = 0;
	bool created = false;
	int ret = -1;

	*out = NULL;
	/* Bulk requests and index creation take longer than a search. */
	es_set_timeout(x->es, x->timeout_ms * 10);
	if (es_alias_index(x->es, &old, e) < 0)
		goto out;
	next = es_next_index(old);
	if (outbox_mark(x->db, &mark, e) < 0 || es_create(x->es, next, e) < 0)
		goto out;
	created = true;
	if (es_load(x, next, progress, ctx, &done, e) < 0)
		goto out;
	path = xasprintf("/%s/_refresh", next);
	if (es_simple(x->es, "POST", path, NULL, e) < 0)
		goto out;
	/* One _aliases call: readers see the old index or the new one,
	 * never neither. */
	sbuf_addstr(&sb, "{\"actions\":[");
	if (old) {
		sbuf_addstr(&sb, "{\"remove\":{\"index\":");
		sbuf_add_json_str(&sb, old);
		sbuf_addstr(&sb, ",\"alias\":\"" ES_ALIAS "\"}},");
	}
	sbuf_addstr(&sb, "{\"add\":{\"index\":");
	sbuf_add_json_str(&sb, next);
	sbuf_addstr(&sb, ",\"alias\":\"" ES_ALIAS "\"}}]}");
	if (es_simple(x->es, "POST", "/_aliases", sb.buf, e) < 0)
		goto out;
	created = false;
	if (es_replay(x, mark, e) < 0 ||
	    es_simple(x->es, "POST", "/" ES_ALIAS "/_refresh", NULL, e) < 0)
		goto out;
	if (old) {
		free(path);
		path = xasprintf("/%s", old);
		if (es_simple(x->es, "DELETE", path, NULL, e) < 0)
			log_msg(LOG_WARN, NULL, "reindex: %s stays: %s", old,
				e->msg);
		err_release(e);
	}
	*out = json_object_new_object();
	json_object_object_add(*out, "indexed", json_object_new_int64(done));
	json_object_object_add(*out, "index", json_object_new_string(next));
	json_object_object_add(*out, "tookMs",
			       json_object_new_int64(
				       (int64_t)(clock_ms() - t0)));
	ret = 0;
out:
	if (created) {
		/* The new index never went live: drop it, best effort. */
		struct err de = ERR_INIT;

		free(path);
		path = xasprintf("/%s", next);
		es_simple(x->es, "DELETE", path, NULL, &de);
		err_release(&de);
	}
	if (ret < 0 && e->code == ERR_UNAVAILABLE) {
		struct err why = *e;

		why.list = NULL;
		why.nlist = 0;
		err_release(e);
		search_es_unavailable(e, &why);
	}
	es_set_timeout(x->es, x->timeout_ms);
	sbuf_release(&sb);
	free(path);
	free(mark);
	free(next);
	free(old);
	return ret;
}
