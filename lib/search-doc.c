/* search-doc.c: the search document and its PostgreSQL tsvector, apart
 * from the backends so that the products responder builds its events and
 * index entries without linking them. */
#include "common.h"

#include "sbuf.h"
#include "search-analyze.h"
#include "search.h"
#include "search-impl.h"

struct json_object *search_doc(const struct db_res *res, size_t i)
{
	struct json_object *o = json_object_new_object();
	char t[32];

	json_object_object_add(o, "id",
			       json_object_new_int64(db_res_int(res, i, 0)));
	json_object_object_add(o, "name",
			       json_object_new_string(db_res_str(res, i, 1)));
	json_object_object_add(o, "description",
			       db_res_isnull(res, i, 2) ? NULL :
			       json_object_new_string(db_res_str(res, i, 2)));
	json_object_object_add(o, "category",
			       json_object_new_string(db_res_str(res, i, 3)));
	json_object_object_add(o, "brand",
			       json_object_new_string(db_res_str(res, i, 4)));
	json_object_object_add(o, "price",
			       json_object_new_int64(db_res_int(res, i, 5)));
	json_object_object_add(o, "status",
			       json_object_new_string(db_res_str(res, i, 6)));
	json_object_object_add(o, "created_at",
			       json_object_new_string(db_res_time(res, i, 7, t)));
	return o;
}

/* PostgreSQL caps positions at 16383. */
#define DOC_POS_MAX 16383

static void doc_tsv_field(struct sbuf *sb, const struct search_analysis *a,
			  char word, char gram, size_t *pos)
{
	const char *t;
	size_t i;

	for (i = 0; i < a->ntok; i++) {
		if (a->tok[i].len > SEARCH_LEXEME_MAX)
			continue;
		if (sb->len)
			sbuf_addch(sb, ' ');
		sbuf_addch(sb, '\'');
		for (t = search_token_text(a, i); *t; t++) {
			if (*t == '\'' || *t == '\\')
				sbuf_addch(sb, *t);
			sbuf_addch(sb, *t);
		}
		sbuf_addf(sb, "':%zu%c", *pos, a->tok[i].gram ? gram : word);
		if (*pos < DOC_POS_MAX)
			(*pos)++;
	}
}

void search_doc_tsv(struct sbuf *sb, const struct search_analysis *name,
		    const struct search_analysis *description)
{
	size_t pos = 1;

	doc_tsv_field(sb, name, 'A', 'C', &pos);
	doc_tsv_field(sb, description, 'B', 'D', &pos);
}

void search_doc_tsvector(struct sbuf *sb, const char *name,
			 const char *description)
{
	struct search_analysis an = SEARCH_ANALYSIS_INIT;
	struct search_analysis ad = SEARCH_ANALYSIS_INIT;

	if (name)
		search_analyze(&an, name, strlen(name), 0);
	if (description)
		search_analyze(&ad, description, strlen(description), 0);
	search_doc_tsv(sb, &an, &ad);
	search_analysis_release(&an);
	search_analysis_release(&ad);
}

int search_doc_index(struct db *db, int64_t id, const char *name,
		     const char *description, struct err *e)
{
	struct sbuf tsv = SBUF_INIT;
	int rc;

	/* SQLite: products_fts's triggers run the tokenizer. */
	if (db_dialect(db) != DB_POSTGRES)
		return 0;
	search_doc_tsvector(&tsv, name, description);
	rc = db_query(db, NULL, "UPDATE products SET search = $1::tsvector "
		      "WHERE id = $2", DB_ARGS(DB_S(tsv.buf), DB_I(id)), e);
	sbuf_release(&tsv);
	return rc;
}

/* Rows per transaction and UPDATE: short locks, few round trips, and
 * progress a reader can see. */
#define DOC_BATCH 500

/* UPDATE … FROM (VALUES ($1::bigint, $2), …) for n rows. */
static void doc_batch_sql(struct sbuf *sql, size_t n)
{
	size_t i;

	sbuf_addstr(sql, "UPDATE products p SET search = v.t::tsvector FROM "
		    "(VALUES ");
	for (i = 0; i < n; i++)
		sbuf_addf(sql, "%s($%zu::bigint, $%zu)", i ? ", " : "",
			  2 * i + 1, 2 * i + 2);
	sbuf_addstr(sql, ") AS v(id, t) WHERE p.id = v.id");
}

int search_doc_reindex(struct db *db, bool all, int64_t *done,
		       struct err *e)
{
	struct db_res *res = NULL;
	struct db_param params[2 * DOC_BATCH];
	struct sbuf tsv[DOC_BATCH], sql = SBUF_INIT;
	int64_t last = 0;
	size_t i, n;
	int ret = -1;

	*done = 0;
	if (db_dialect(db) != DB_POSTGRES)
		return 0;
	for (i = 0; i < DOC_BATCH; i++)
		sbuf_init(&tsv[i], 0, 0);
	do {
		if (db_begin(db, e) < 0)
			goto out;
		if (db_query(db, &res, all ?
			     "SELECT id, name, description FROM products "
			     "WHERE id > $1 ORDER BY id LIMIT $2" :
			     "SELECT id, name, description FROM products "
			     "WHERE id > $1 AND search IS NULL ORDER BY id "
			     "LIMIT $2",
			     DB_ARGS(DB_I(last), DB_I(DOC_BATCH)), e) < 0)
			goto fail;
		n = db_res_rows(res);
		for (i = 0; i < n; i++) {
			last = db_res_int(res, i, 0);
			sbuf_reset(&tsv[i]);
			search_doc_tsvector(&tsv[i], db_res_str(res, i, 1),
					    db_res_isnull(res, i, 2) ? NULL :
					    db_res_str(res, i, 2));
			params[2 * i] = DB_I(last);
			params[2 * i + 1] = DB_S(tsv[i].buf);
		}
		sbuf_reset(&sql);
		doc_batch_sql(&sql, n);
		if (n && db_query(db, NULL, sql.buf, params, 2 * n, e) < 0)
			goto fail;
		db_res_free(res);
		res = NULL;
		if (db_commit(db, e) < 0)
			goto fail;
		*done += (int64_t)n;
	} while (n == DOC_BATCH);
	ret = 0;
	goto out;
fail:
	db_rollback(db);
out:
	if (res)
		db_res_free(res);
	for (i = 0; i < DOC_BATCH; i++)
		sbuf_release(&tsv[i]);
	sbuf_release(&sql);
	return ret;
}
