/* search.c: product search: the backend the configuration names, behind
 * one interface (backends: search-fts.c, search-es.c; search-impl.h), and
 * what every backend answers alike: corrections, highlights, suggestions. */
#include "common.h"

#include "jsonx.h"
#include "log.h"
#include "search-analyze.h"
#include "search-impl.h"

int search_open(struct search **out, const struct cfg *c, struct db *db,
		struct err *e)
{
	*out = NULL;
	if ((c->elasticsearch_node[0] ? search_es_open(out, c, db, e) :
					search_fts_open(out, c, db, e)) < 0)
		return -1;
	(*out)->db = db;
	return 0;
}

void search_free(struct search *s)
{
	if (s)
		s->ops->free(s);
}

/* highlight: {name, description} of each item: what q matched, marked. */
static void search_highlights(struct json_object *out,
			      const struct search_analysis *a)
{
	struct json_object *items, *it, *h, *v;
	struct sbuf sb = SBUF_INIT;
	static const char *const fields[] = { "name", "description" };
	size_t i, f;

	if (!json_object_object_get_ex(out, "items", &items))
		return;
	for (i = 0; i < json_object_array_length(items); i++) {
		it = json_object_array_get_idx(items, i);
		h = json_object_new_object();
		for (f = 0; f < ARRAY_SIZE(fields); f++) {
			sbuf_reset(&sb);
			if (json_object_object_get_ex(it, fields[f], &v) && v &&
			    search_highlight(a, json_object_get_string(v), &sb))
				json_object_object_add(h, fields[f],
						       json_object_new_string(
							       sb.buf));
			else
				json_object_object_add(h, fields[f], NULL);
		}
		json_object_object_add(it, "highlight", h);
	}
	sbuf_release(&sb);
}

static int64_t search_total(struct json_object *out)
{
	int64_t n = 0;

	jsonx_get_int(out, "total", &n);
	return n;
}

/*
 * A word that matches nothing is retried as the closest word of the
 * vocabulary (search-vocab.c), on every backend alike; the answer says so
 * in correctedQuery. A vocabulary that cannot be read (the database down
 * while Elasticsearch answers) only costs the correction.
 */
int search_products(struct search *s, const struct search_query *q,
		    struct json_object **out, struct err *e)
{
	struct search_analysis a = SEARCH_ANALYSIS_INIT;
	struct search_query fq = *q;
	struct json_object *again = NULL;
	struct err ve = ERR_INIT;
	char *fixed = NULL;

	*out = NULL;
	if (s->ops->products(s, q, out, e) < 0)
		return -1;
	if (!q->q || !q->q[0])
		return 0;
	search_analyze(&a, q->q, strlen(q->q), SEARCH_MAX_WORDS);
	if (search_vocab_correct(s->db, &a, search_total(*out) == 0, &fixed,
				 &ve) < 0)
		log_msg(LOG_WARN, NULL, "search: no correction: %s", ve.msg);
	if (fixed) {
		fq.q = fixed;
		if (s->ops->products(s, &fq, &again, &ve) == 0 &&
		    search_total(again) > 0) {
			json_object_put(*out);
			*out = again;
			again = NULL;
			json_object_object_add(*out, "correctedQuery",
					       json_object_new_string(fixed));
			search_analysis_reset(&a);
			search_analyze(&a, fixed, strlen(fixed),
				       SEARCH_MAX_WORDS);
		}
	}
	search_highlights(*out, &a);
	json_object_put(again);
	free(fixed);
	err_release(&ve);
	search_analysis_release(&a);
	return 0;
}

int search_suggest(struct search *s, const char *q, int64_t size,
		   struct json_object **out, struct err *e)
{
	*out = NULL;
	return search_vocab_suggest(s->db, q, size, out, e);
}

bool search_health(struct search *s, struct json_object **entry)
{
	return s->ops->health(s, entry);
}

int search_reindex(struct search *s, search_progress_fn progress, void *ctx,
		   struct json_object **out, struct err *e)
{
	*out = NULL;
	return s->ops->reindex(s, progress, ctx, out, e);
}
