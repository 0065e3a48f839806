/* t-metrics.c: the scoreboard shared by processes, and its text format. */
#include "common.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "metrics.h"
#include "tap.h"

#define WORKERS	   4
#define PER_WORKER 2500

static char path[64];

/* The value of the sample whose line starts with name (labels included). */
static long long sample(const char *text, const char *name)
{
	const char *p = text;
	size_t n = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == text || p[-1] == '\n') && p[n] == ' ')
			return atoll(p + n + 1);
		p += n;
	}
	return -1;
}

static char *render(struct metrics *m)
{
	struct sbuf sb;

	sbuf_init(&sb, 0, 0);
	metrics_render(m, &sb);
	return sbuf_detach(&sb, NULL);
}

/* A worker: its own mapping, PER_WORKER requests over two keys; the last
 * one is killed with SIGKILL instead of exiting. */
static void worker(int i)
{
	struct err e = ERR_INIT;
	struct metrics *m;
	int k;

	if (metrics_open(&m, path, &e) < 0)
		_exit(3);
	for (k = 0; k < PER_WORKER; k++) {
		struct metrics_req q = {
			.group = "users",
			.method = k % 5 ? "GET" : "PATCH",
			.status = 200,
			.seconds = k % 2 ? 0.003 : 0.2,
			.sql = 2,
			.cache = k % 2 ? METRICS_CACHE_HIT : METRICS_CACHE_MISS,
		};
		metrics_count(m, &q);
	}
	if (i == WORKERS - 1)
		raise(SIGKILL);
	metrics_free(m);
	_exit(0);
}

static void test_processes(void)
{
	struct err e = ERR_INIT;
	struct metrics *m;
	pid_t pids[WORKERS];
	int i, st, clean = 0;
	char *text;

	for (i = 0; i < WORKERS; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			worker(i);
	}
	for (i = 0; i < WORKERS; i++) {
		waitpid(pids[i], &st, 0);
		clean += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	}
	is_int(clean, WORKERS - 1, "workers done, one killed");
	ok(metrics_open(&m, path, &e) == 0, "the parent joins the scoreboard");
	text = render(m);
	is_int(sample(text, "agora_http_requests_total{group=\"users\","
			    "method=\"GET\",status=\"200\"}"),
	       WORKERS * PER_WORKER * 4 / 5, "GET counted over every process");
	is_int(sample(text, "agora_http_requests_total{group=\"users\","
			    "method=\"PATCH\",status=\"200\"}"),
	       WORKERS * PER_WORKER / 5, "PATCH too");
	is_int(sample(text, "agora_http_request_duration_seconds_count"
			    "{group=\"users\"}"),
	       WORKERS * PER_WORKER, "histogram count");
	is_int(sample(text, "agora_http_request_duration_seconds_bucket"
			    "{group=\"users\",le=\"0.005\"}"),
	       WORKERS * PER_WORKER / 2, "fast half in the first bucket");
	is_int(sample(text, "agora_http_request_duration_seconds_bucket"
			    "{group=\"users\",le=\"0.1\"}"),
	       WORKERS * PER_WORKER / 2, "buckets are cumulative");
	is_int(sample(text, "agora_http_request_duration_seconds_bucket"
			    "{group=\"users\",le=\"0.25\"}"),
	       WORKERS * PER_WORKER, "slow half by 0.25");
	is_int(sample(text, "agora_http_request_duration_seconds_bucket"
			    "{group=\"users\",le=\"+Inf\"}"),
	       WORKERS * PER_WORKER, "+Inf is the count");
	is_int(sample(text, "agora_sql_statements_total{group=\"users\"}"),
	       2LL * WORKERS * PER_WORKER, "SQL statements");
	is_int(sample(text, "agora_cache_hits_total{group=\"users\"}"),
	       WORKERS * PER_WORKER / 2, "cache hits");
	is_int(sample(text, "agora_cache_misses_total{group=\"users\"}"),
	       WORKERS * PER_WORKER / 2, "cache misses");
	is_int(sample(text, "agora_metrics_dropped_total"), 0, "none dropped");
	ok(strstr(text, "# TYPE agora_http_requests_total counter\n") &&
		   strstr(text, "# TYPE agora_http_request_duration_seconds "
				"histogram\n"),
	   "TYPE lines");
	free(text);

	/* Methods a client makes up share one label value. */
	metrics_count(m, &(struct metrics_req){ .group = "fallback",
						.method = "BREW",
						.status = 404 });
	metrics_count(m, &(struct metrics_req){ .group = "fallback",
						.method = "FOO",
						.status = 404 });
	text = render(m);
	is_int(sample(text, "agora_http_requests_total{group=\"fallback\","
			    "method=\"other\",status=\"404\"}"),
	       2, "unknown methods are \"other\"");
	free(text);
	metrics_free(m);
	metrics_count(NULL, &(struct metrics_req){ .group = "x" });
	ok(1, "counting without a scoreboard does nothing");
}

static void test_refusals(void)
{
	struct err e = ERR_INIT;
	struct metrics *m = NULL;
	FILE *f;
	char *p, *q;

	f = fopen(path, "w");
	fputs("not a scoreboard", f);
	fclose(f);
	ok(metrics_open(&m, path, &e) < 0 && !m,
	   "a file of another size is refused");
	ok(strstr(e.msg, "size") != NULL, "and says why: %s", e.msg);
	err_release(&e);
	unlink(path);

	p = metrics_default_path("file:/srv/a.db");
	ok(!strncmp(p, "/dev/shm/agora-metrics-", 23),
	   "default under /dev/shm");
	q = metrics_default_path("file:/srv/b.db");
	ok(strcmp(p, q) != 0, "one per database");
	free(p);
	free(q);
}

int main(void)
{
	int fd;

	snprintf(path, sizeof(path), "/tmp/agora-t-metrics-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0)
		die("mkstemp");
	close(fd);
	test_processes();
	test_refusals();
	unlink(path);
	return done_testing();
}
