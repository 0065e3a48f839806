/* cmd-reindex.c: `agora reindex`: rebuild the product search index. */
#include "common.h"

#include <unistd.h>

#include "cmd.h"
#include "search.h"

/* A bar on stderr, redrawn in place, when stderr is a terminal. */
static void reindex_progress(void *ctx, int64_t done, int64_t total)
{
	int width = 40, fill;

	(void)ctx;
	fill = total > 0 ? (int)(done * width / total) : width;
	if (fill > width)
		fill = width;
	fprintf(stderr, "\rreindex [%.*s%*s] %3d%% %" PRId64 "/%" PRId64,
		fill, "########################################",
		width - fill, "", total > 0 ? (int)(done * 100 / total) : 100,
		done, total);
	fflush(stderr);
}

int cmd_reindex(int argc, char **argv)
{
	struct err e = ERR_INIT;
	struct json_object *out = NULL;
	struct search *s = NULL;
	struct cfg c;
	struct db *db;
	bool tty = isatty(STDERR_FILENO);
	int ret = 1;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: agora reindex\n");
		return 2;
	}
	db = cmd_setup(&c, "reindex");
	if (search_open(&s, &c, db, &e) < 0 ||
	    search_reindex(s, tty ? reindex_progress : NULL, NULL, &out,
			   &e) < 0) {
		if (tty)
			fputc('\n', stderr);
		fprintf(stderr, "agora reindex: %s\n", e.msg);
		goto out;
	}
	if (tty)
		fputc('\n', stderr);
	printf("%s\n", json_object_to_json_string_ext(out,
						      JSON_C_TO_STRING_PLAIN));
	ret = 0;
out:
	json_object_put(out);
	search_free(s);
	err_release(&e);
	db_free(db);
	cfg_release(&c);
	return ret;
}
