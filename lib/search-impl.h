/* search-impl.h: what a search backend implements (lib/fts.c, lib/es.c);
 * not for callers, who use search.h. */
#ifndef AGORA_SEARCH_IMPL_H
#define AGORA_SEARCH_IMPL_H

#include <stdbool.h>

#include "search.h"

/*
 * One table of operations per backend. Each backend's own struct embeds
 * struct search as its first member, so a struct search * can be cast
 * back to it. The contracts are those of the matching search.h calls.
 */
struct search_ops {
	const char *name;	/* "database" or "elasticsearch" */
	int (*products)(struct search *s, const struct search_query *q,
			struct json_object **out, struct err *e);
	bool (*health)(struct search *s, struct json_object **entry);
	int (*reindex)(struct search *s, search_progress_fn progress,
		       void *ctx, struct json_object **out, struct err *e);
	void (*free)(struct search *s);
};

struct search {
	const struct search_ops *ops;
};

/*
 * What every backend answers alike, so that the API scenarios see the same
 * results on each: a facet lists at most SEARCH_FACET_MAX values, most
 * frequent first, ties by value (Elasticsearch's terms order); items that
 * sort equal are ordered by id, highest first.
 */
#define SEARCH_FACET_MAX 20

/* The constructors search_open() chooses between. */
int fts_search_open(struct search **out, const struct cfg *c, struct db *db,
		    struct err *e);
int es_search_open(struct search **out, const struct cfg *c, struct db *db,
		   struct err *e);

#endif
