/* fuzz-fts.c: the database search with q (agora's postings, on SQLite)
 * on any q a client can send. */
#include "common.h"

#include "db.h"
#include "fuzz.h"
#include "jsonx.h"
#include "log.h"
#include "migrate.h"
#include "postings.h"
#include "search.h"
#include "utf8.h"

static struct db *db;
static struct search *srch;

/* Texts in the shapes the catalogue has: Latin, Hangul, punctuation. */
static const char *const products[][3] = {
	{ "Samsung Galaxy Book 3", "노트북 15.6 inch, 16GB", "Computers" },
	{ "LG gram 17", "초경량 노트북 — 1.35 kg", "Computers" },
	{ "가방 백팩 Samsonite", "노트북 수납 (15\")", "Bags" },
	{ "Sony WH-1000XM5", "noise-cancelling headphones; \"quiet\"",
	  "Audio" },
	{ "C++ Primer*", "AND OR NOT NEAR(a b) ^title: -x", "Books" },
};

static void setup(void)
{
	struct cfg c = { 0 };
	struct err e = ERR_INIT;
	size_t i;
	int applied;

	log_init("fuzz-fts", "error");
	if (db_open(&db, "file::memory:", NULL, &e) < 0 ||
	    migrate_run(db, &applied, &e) < 0)
		die("fuzz-fts: cannot set up the database: %s", e.msg);
	for (i = 0; i < ARRAY_SIZE(products); i++)
		if (db_query(db, NULL,
			     "INSERT INTO products (name, description, "
			     "category, brand, price) VALUES ($1, $2, $3, "
			     "'Brand', $4)",
			     DB_ARGS(DB_S(products[i][0]), DB_S(products[i][1]),
				     DB_S(products[i][2]),
				     DB_I((int64_t)i * 1000)),
			     &e) < 0)
			die("fuzz-fts: cannot add a product: %s", e.msg);
	/* as a write through product.c would have kept them */
	if (postings_build(db, &e) < 0)
		die("fuzz-fts: cannot build the postings: %s", e.msg);
	c.elasticsearch_node = (char *)"";
	if (search_open(&srch, &c, db, &e) < 0)
		die("fuzz-fts: cannot open the search: %s", e.msg);
}

/*
 * The first byte picks the sort, the page size and whether a price range
 * applies; the rest is q, as the route lets it through (UTF-8, no NUL, at
 * most 200 characters). Every such search must answer, in its shape,
 * and find no more than the products there are.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct search_query q = { 0 };
	struct json_object *out = NULL, *items, *again = NULL;
	struct err e = ERR_INIT;
	const char *s;
	size_t n;
	char *text;

	if (!db)
		setup();
	if (size < 1)
		return 0;
	text = xmemdupz(data + 1, size - 1);
	if (strlen(text) != size - 1 || !utf8_valid(text, size - 1) ||
	    utf8_len(text) > 200)
		goto out;
	q.q = text;
	q.sort = (enum search_sort)(data[0] & 3);
	q.size = 1 + ((data[0] >> 2) & 7);
	q.page = 1;
	q.min_price = data[0] & 0x20 ? 1000 : -1;
	q.max_price = data[0] & 0x40 ? 3000 : -1;
	q.category = data[0] & 0x80 ? "Computers" : NULL;

	FUZZ_CHECK(search_products(srch, &q, &out, &e) == 0,
		   "every q gets an answer");
	FUZZ_CHECK(json_object_object_get_ex(out, "items", &items) &&
			   json_object_is_type(items, json_type_array),
		   "with items");
	n = json_object_array_length(items);
	FUZZ_CHECK(n <= (size_t)q.size && n <= ARRAY_SIZE(products),
		   "no more than a page");
	FUZZ_CHECK(json_object_get_int64(
			   json_object_object_get(out, "total")) >= (int64_t)n,
		   "a total that counts them");
	s = jsonx_str(out, &n);
	FUZZ_CHECK(jsonx_parse(s, n, &again, &e) == 0, "strict JSON out");
out:
	json_object_put(out);
	json_object_put(again);
	err_release(&e);
	free(text);
	return 0;
}
