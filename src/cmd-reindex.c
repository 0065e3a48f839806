/* cmd-reindex.c: `agora reindex`: rebuild the product search index. */
#include "common.h"

#include <unistd.h>

#include "cmd.h"
#include "search.h"

static const char reindex_usage[] =
	"usage: agora reindex\n"
	"\n"
	"Rebuild the product search index from the database (the FTS table,\n"
	"the GIN index, or a new Elasticsearch index swapped in under the\n"
	"alias), with a progress bar when stderr is a terminal; the result as\n"
	"JSON on stdout.\n"
	"\n"
	"  -h, --help        show this help\n";

static void reindex_progress(void *ctx, int64_t done, int64_t total)
{
	(void)ctx;
	cmd_progress("reindex", done, total);
}

int cmd_reindex(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_args a = { "reindex", reindex_usage, opts };
	struct err e = ERR_INIT;
	struct json_object *out = NULL;
	struct search *s = NULL;
	struct cfg c;
	struct db *db;
	bool tty = isatty(STDERR_FILENO);
	int ret = 1;

	if (cmd_opt(&a, argc, argv) < 0)
		return a.status;
	db = cmd_setup(&c, "reindex");
	if (search_open(&s, &c, db, &e) < 0 ||
	    search_reindex(s, tty ? reindex_progress : NULL, NULL, &out, &e) <
		    0) {
		if (tty)
			fputc('\n', stderr);
		fprintf(stderr, "agora reindex: %s\n", e.msg);
		goto out;
	}
	if (tty)
		fputc('\n', stderr);
	printf("%s\n",
	       json_object_to_json_string_ext(out, JSON_C_TO_STRING_PLAIN));
	ret = 0;
out:
	json_object_put(out);
	search_free(s);
	err_release(&e);
	cmd_teardown(&c, db);
	return ret;
}
