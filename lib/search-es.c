/* search-es.c: the search backend on Elasticsearch (search-impl.h): the
 * query, its answer (items, facets) and health; the index and the reindex
 * are search-es-index.c's. */
#include "common.h"

#include "es.h"
#include "jsonx.h"
#include "log.h"
#include "search-analyze.h"
#include "search-es-impl.h"

static struct json_object *es_term(const char *field, const char *value)
{
	struct json_object *t = json_object_new_object(),
			   *o = json_object_new_object();

	json_object_object_add(t, field, json_object_new_string(value));
	json_object_object_add(o, "term", t);
	return o;
}

/* {"field":"dir"} for the sort array. */
static struct json_object *es_sort_key(const char *field, const char *dir)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, field, json_object_new_string(dir));
	return o;
}

/* {"constant_score":{"filter":{"match":{field:{"query":text,…}}},
 * "boost":boost}}: a match worth exactly boost. min > 0: that many of
 * text's tokens must match (the bigrams); else all of them. */
static struct json_object *es_const(const char *field, const char *text,
				    size_t min, int64_t boost)
{
	struct json_object *m = json_object_new_object(), *f, *o, *cs;

	json_object_object_add(m, "query", json_object_new_string(text));
	if (min)
		json_object_object_add(m, "minimum_should_match",
				       json_object_new_int64((int64_t)min));
	else
		json_object_object_add(m, "operator",
				       json_object_new_string("and"));
	f = json_object_new_object();
	json_object_object_add(f, field, m);
	o = json_object_new_object();
	json_object_object_add(o, "match", f);
	cs = json_object_new_object();
	json_object_object_add(cs, "filter", o);
	json_object_object_add(cs, "boost", json_object_new_int64(boost));
	o = json_object_new_object();
	json_object_object_add(o, "constant_score", cs);
	return o;
}

/*
 * q's words as analysed by agora (search-analyze.c, a), each a dis_max of
 * constant scores, summed by bool's should: the score of search-fts.c (the
 * word's weight wt times: whole word in the name 4, in the description 2,
 * enough bigrams in the name 2, in the description 1). A word goes in
 * normalized; the index's analyzers give it the same tokens again. No
 * words: nothing matches.
 */
static void es_query_words(const struct search_analysis *a, const int64_t *wt,
			   struct json_object *bool_q)
{
	struct json_object *should = json_object_new_array(), *qs, *dm, *o;
	const char *w;
	size_t i, g, k = 0;
	int64_t x;

	for (i = 0; i < a->ntok; i += 1 + g) {
		g = search_word_grams(a, i);
		w = search_token_text(a, i);
		x = wt[k++];
		qs = json_object_new_array();
		json_object_array_add(qs, es_const("name.word", w, 0, 4 * x));
		json_object_array_add(qs, es_const("description.word", w, 0,
						   2 * x));
		if (g) {
			json_object_array_add(qs, es_const("name", w,
							   search_gram_min(g),
							   2 * x));
			json_object_array_add(qs,
					      es_const("description", w,
						       search_gram_min(g), x));
		}
		dm = json_object_new_object();
		json_object_object_add(dm, "queries", qs);
		o = json_object_new_object();
		json_object_object_add(o, "dis_max", dm);
		json_object_array_add(should, o);
	}
	if (!a->ntok) {
		o = json_object_new_object();
		json_object_object_add(o, "match_all",
				       json_object_new_object());
		json_object_object_add(bool_q, "must_not", o);
		json_object_put(should);
	} else {
		json_object_object_add(bool_q, "should", should);
		json_object_object_add(bool_q, "minimum_should_match",
				       json_object_new_int(1));
	}
}

/*
 * The request body. q goes in as agora's words (es_query_words), plain
 * strings that Elasticsearch only analyses (never query_string, whose
 * syntax would read quotes, operators and *:*). Facets are terms
 * aggregations over the query; the category and brand filters are a
 * post_filter, applied to the hits after the aggregations have counted.
 */
static struct json_object *es_search_body(const struct search_query *q,
					  const struct search_analysis *a,
					  const int64_t *wt)
{
	struct json_object *body = json_object_new_object();
	struct json_object *bool_q = json_object_new_object();
	struct json_object *query = json_object_new_object();
	struct json_object *filter = json_object_new_array();
	struct json_object *post = json_object_new_array();
	struct json_object *sort = json_object_new_array();
	struct json_object *aggs = json_object_new_object();
	struct json_object *o, *range, *pf;
	const char *facet[] = { "category", "brand" };
	bool has_q = q->q && q->q[0];
	size_t i;

	if (has_q)
		es_query_words(a, wt, bool_q);
	json_object_array_add(filter, es_term("status", "ACTIVE"));
	if (q->min_price >= 0 || q->max_price >= 0) {
		range = json_object_new_object();
		if (q->min_price >= 0)
			json_object_object_add(range, "gte",
					       json_object_new_int64(
						       q->min_price));
		if (q->max_price >= 0)
			json_object_object_add(range, "lte",
					       json_object_new_int64(
						       q->max_price));
		o = json_object_new_object();
		json_object_object_add(o, "price", range);
		pf = json_object_new_object();
		json_object_object_add(pf, "range", o);
		json_object_array_add(filter, pf);
	}
	json_object_object_add(bool_q, "filter", filter);
	json_object_object_add(query, "bool", bool_q);
	json_object_object_add(body, "query", query);

	if (q->category)
		json_object_array_add(post, es_term("category", q->category));
	if (q->brand)
		json_object_array_add(post, es_term("brand", q->brand));
	if (json_object_array_length(post)) {
		o = json_object_new_object();
		json_object_object_add(o, "filter", post);
		pf = json_object_new_object();
		json_object_object_add(pf, "bool", o);
		json_object_object_add(body, "post_filter", pf);
	} else {
		json_object_put(post);
	}

	for (i = 0; i < ARRAY_SIZE(facet); i++) {
		struct json_object *t = json_object_new_object();

		o = json_object_new_object();
		json_object_object_add(t, "field",
				       json_object_new_string(facet[i]));
		json_object_object_add(t, "size",
				       json_object_new_int(SEARCH_FACET_MAX));
		json_object_object_add(o, "terms", t);
		json_object_object_add(aggs, facet[i], o);
	}
	json_object_object_add(body, "aggs", aggs);

	/* Ties are broken by id, newest first, as on the database. */
	switch (q->sort) {
	case SEARCH_PRICE_ASC:
		json_object_array_add(sort, es_sort_key("price", "asc"));
		break;
	case SEARCH_PRICE_DESC:
		json_object_array_add(sort, es_sort_key("price", "desc"));
		break;
	case SEARCH_RELEVANCE:
		/* without q, newest first */
		json_object_array_add(sort,
				      has_q ? json_object_new_string("_score") :
					      es_sort_key("created_at",
							  "desc"));
		break;
	case SEARCH_NEWEST:
		json_object_array_add(sort, es_sort_key("created_at", "desc"));
		break;
	}
	json_object_array_add(sort, es_sort_key("id", "desc"));
	json_object_object_add(body, "sort", sort);
	json_object_object_add(body, "from",
			       json_object_new_int64((q->page - 1) * q->size));
	json_object_object_add(body, "size", json_object_new_int64(q->size));
	/* exact up to SEARCH_TOTAL_MAX, then "gte", as the database says */
	json_object_object_add(body, "track_total_hits",
			       json_object_new_int(SEARCH_TOTAL_MAX));
	return body;
}

/* The search item from a hit's _source, in the documented key order. */
static struct json_object *es_item(struct json_object *src)
{
	static const char *const fields[] = {
		"id",	 "name",  "description", "category",
		"brand", "price", "status",	 "created_at",
	};
	struct json_object *o = json_object_new_object(), *v;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(fields); i++)
		json_object_object_add(o, fields[i],
				       json_object_object_get_ex(src, fields[i],
								 &v) ?
					       json_object_get(v) :
					       NULL);
	return o;
}

static struct json_object *es_facet(struct json_object *aggs, const char *name)
{
	struct json_object *arr = json_object_new_array(), *a, *buckets, *b, *o,
			   *key;
	int64_t count;
	size_t i;

	if (!json_object_object_get_ex(aggs, name, &a) ||
	    !json_object_object_get_ex(a, "buckets", &buckets) ||
	    !json_object_is_type(buckets, json_type_array))
		return arr;
	for (i = 0; i < json_object_array_length(buckets); i++) {
		b = json_object_array_get_idx(buckets, i);
		if (!json_object_object_get_ex(b, "key", &key) ||
		    !jsonx_get_int(b, "doc_count", &count))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "value", json_object_get(key));
		json_object_object_add(o, "count",
				       json_object_new_int64(count));
		json_object_array_add(arr, o);
	}
	return arr;
}

int search_es_unavailable(struct err *e, const struct err *why)
{
	log_msg(LOG_WARN, NULL, "search: %s", why->msg);
	return err_show(e, ERR_UNAVAILABLE, "Search is unavailable");
}

static int es_products(struct search *s, const struct search_query *q,
		       struct json_object **out, struct err *e)
{
	struct es_search *x = (struct es_search *)s;
	struct search_analysis a = SEARCH_ANALYSIS_INIT;
	struct json_object *req = NULL, *resp = NULL;
	struct json_object *hits, *arr, *total, *aggs, *items, *facets, *src;
	struct json_object *rel;
	struct err ce = ERR_INIT;
	const char *body;
	int64_t n = 0, wt[SEARCH_MAX_WORDS];
	long status;
	size_t i;
	int ret = -1;

	*out = NULL;
	/* The weights of q's words come from the database's vocabulary. */
	if (q->q && q->q[0]) {
		search_analyze(&a, q->q, strlen(q->q), SEARCH_MAX_WORDS);
		if (search_vocab_weights(x->db, &a, wt, e) < 0)
			goto out;
	}
	req = es_search_body(q, &a, wt);
	body = jsonx_str(req, NULL);
	es_set_timeout(x->es, x->timeout_ms);
	if (es_call(x->es, "POST", "/" ES_ALIAS "/_search", body, strlen(body),
		    false, &status, &resp, &ce) < 0) {
		search_es_unavailable(e, &ce);
		goto out;
	}
	items = json_object_new_array();
	facets = json_object_new_object();
	*out = json_object_new_object();
	json_object_object_add(*out, "total", NULL);
	json_object_object_add(*out, "totalRelation",
			       json_object_new_string("eq"));
	json_object_object_add(*out, "items", items);
	json_object_object_add(*out, "facets", facets);
	if (status == 404 &&
	    !strcmp(es_error_type(resp), "index_not_found_exception")) {
		/* Nothing indexed yet (indexd creates the index). */
		json_object_object_add(*out, "total", json_object_new_int64(0));
		json_object_object_add(facets, "category",
				       json_object_new_array());
		json_object_object_add(facets, "brand",
				       json_object_new_array());
		ret = 0;
		goto out;
	}
	if (status != 200) {
		es_fail(&ce, "_search", status, resp);
		if (ce.code == ERR_UNAVAILABLE)
			search_es_unavailable(e, &ce);
		else
			err_set(e, ERR_INTERNAL, "%s", ce.msg);
		goto fail;
	}
	if (!json_object_object_get_ex(resp, "hits", &hits) ||
	    !json_object_object_get_ex(hits, "total", &total) ||
	    !jsonx_get_int(total, "value", &n) ||
	    !json_object_object_get_ex(hits, "hits", &arr) ||
	    !json_object_is_type(arr, json_type_array)) {
		err_set(e, ERR_INTERNAL, "elasticsearch: _search: no hits");
		goto fail;
	}
	json_object_object_add(*out, "total", json_object_new_int64(n));
	if (json_object_object_get_ex(total, "relation", &rel) &&
	    json_object_is_type(rel, json_type_string) &&
	    !strcmp(json_object_get_string(rel), "gte"))
		json_object_object_add(*out, "totalRelation",
				       json_object_new_string("gte"));
	for (i = 0; i < json_object_array_length(arr); i++)
		if (json_object_object_get_ex(json_object_array_get_idx(arr, i),
					      "_source", &src))
			json_object_array_add(items, es_item(src));
	json_object_object_get_ex(resp, "aggregations", &aggs);
	json_object_object_add(facets, "category", es_facet(aggs, "category"));
	json_object_object_add(facets, "brand", es_facet(aggs, "brand"));
	ret = 0;
	goto out;
fail:
	json_object_put(*out);
	*out = NULL;
out:
	err_release(&ce);
	json_object_put(resp);
	json_object_put(req);
	search_analysis_release(&a);
	return ret;
}

static bool es_health(struct search *s, struct json_object **entry)
{
	struct es_search *x = (struct es_search *)s;
	struct json_object *resp = NULL;
	struct err e = ERR_INIT;
	const char *cluster = NULL;
	long status;
	bool up = false;

	es_set_timeout(x->es, x->timeout_ms);
	if (es_call(x->es, "GET", "/_cluster/health", NULL, 0, false, &status,
		    &resp, &e) == 0 &&
	    status == 200)
		cluster = jsonx_get_str(resp, "status");
	up = cluster &&
	     (!strcmp(cluster, "green") || !strcmp(cluster, "yellow"));
	*entry = json_object_new_object();
	json_object_object_add(*entry, "status",
			       json_object_new_string(up ? "up" : "down"));
	json_object_object_add(*entry, "backend",
			       json_object_new_string("elasticsearch"));
	if (cluster)
		json_object_object_add(*entry, "cluster",
				       json_object_new_string(cluster));
	if (!up) {
		json_object_object_add(*entry, "message",
				       json_object_new_string("unreachable"));
		log_msg(LOG_WARN, NULL, "health: elasticsearch: %s",
			e.msg[0] ? e.msg :
			cluster	 ? cluster :
				   "no status");
	}
	err_release(&e);
	json_object_put(resp);
	return up;
}

static void es_search_free(struct search *s)
{
	struct es_search *x = (struct es_search *)s;

	es_free(x->es);
	free(x);
}

static const struct search_ops es_ops = {
	es_products,
	es_health,
	search_es_reindex,
	es_search_free,
};

int search_es_open(struct search **out, const struct cfg *c, struct db *db,
		   struct err *e)
{
	struct es_search *x;
	struct es *es;

	*out = NULL;
	if (es_open(&es, c->elasticsearch_node, c->es_timeout_ms, e) < 0)
		return -1;
	x = xcalloc(1, sizeof(*x));
	x->base.ops = &es_ops;
	x->es = es;
	x->db = db;
	x->timeout_ms = c->es_timeout_ms;
	*out = &x->base;
	return 0;
}
