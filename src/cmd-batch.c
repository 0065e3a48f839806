/* cmd-batch.c: `agora batch` (one job now) and `agora cron` (on schedule). */
#include "common.h"

#include <getopt.h>
#include <signal.h>
#include <time.h>

#include "cmd.h"
#include "jobs.h"
#include "lock.h"
#include "log.h"
#include "signals.h"

/* How long `agora batch` and `agora cron --once` wait for another runner
 * to finish before giving up. */
#define BATCH_LOCK_WAIT_MS 30000

static volatile sig_atomic_t cron_stopping;

static void cron_on_term(int sig)
{
	(void)sig;
	cron_stopping = 1;
}

static void jobs_usage(FILE *out)
{
	const struct job *j;

	fputs("usage: agora batch <job> [args]\n\njobs:\n", out);
	for (j = jobs_table; j->name; j++)
		fprintf(out, "  %s %s\n      %s\n", j->name, j->args, j->help);
}

/* env_open: configuration, log, database and cache, or exit. */
static void env_open(struct jobs_env *env, struct cfg *c, const char *name)
{
	struct cache_opts copts = { 0 };

	env->db = cmd_setup(c, name);
	env->cfg = c;
	copts.redis_host = c->redis_host;
	copts.redis_port = c->redis_port;
	copts.scope = c->database_url;
	env->cache = cache_open(&copts);
}

static void env_close(struct jobs_env *env, struct cfg *c)
{
	cache_free(env->cache);
	db_free(env->db);
	cfg_release(c);
}

/* run_job: one job under a lock the caller holds; the exit status. */
static int run_job(struct jobs_env *env, const struct job *j, int argc,
		   char **argv)
{
	struct err e = ERR_INIT;
	int ret = 0;

	if (j->run(env, argc, argv, &e) < 0) {
		log_msg(LOG_ERROR, NULL, "%s: %s", j->name, e.msg);
		ret = e.code == ERR_BAD_REQUEST ? 2 : 1;
	}
	err_release(&e);
	return ret;
}

int cmd_batch(int argc, char **argv)
{
	const struct job *j;
	struct jobs_env env;
	struct lock lk = LOCK_INIT;
	struct err e = ERR_INIT;
	struct cfg c;
	int ret = 1, rc;

	if (argc < 2 || cmd_is_help(argv[1])) {
		jobs_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	if (!(j = jobs_find(argv[1]))) {
		fprintf(stderr, "agora batch: unknown job '%s'\n\n", argv[1]);
		jobs_usage(stderr);
		return 2;
	}
	if (argc > 2 && cmd_is_help(argv[2])) {
		printf("usage: agora batch %s%s%s\n\n%s\n", j->name,
		       *j->args ? " " : "", j->args, j->help);
		return 0;
	}
	env_open(&env, &c, "batch");
	rc = lock_take(&lk, env.db, c.database_url, LOCK_JOBS,
		       BATCH_LOCK_WAIT_MS, &e);
	if (rc == 1) {
		log_msg(LOG_ERROR, NULL,
			"batch %s: another runner still holds "
			"the jobs lock after %d s",
			j->name, BATCH_LOCK_WAIT_MS / 1000);
	} else if (rc < 0) {
		log_msg(LOG_ERROR, NULL, "batch %s: jobs lock: %s", j->name,
			e.msg);
	} else {
		ret = run_job(&env, j, argc - 1, argv + 1);
		lock_release(&lk, env.db, LOCK_JOBS);
	}
	err_release(&e);
	env_close(&env, &c);
	return ret;
}

/* ---- cron ---------------------------------------------------------------- */

/* parse_now: "YYYY-MM-DDTHH:MM" (UTC) into *tm, weekday included. */
static bool parse_now(const char *s, struct tm *tm)
{
	int n = 0;
	time_t t;

	memset(tm, 0, sizeof(*tm));
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d%n", &tm->tm_year, &tm->tm_mon,
		   &tm->tm_mday, &tm->tm_hour, &tm->tm_min, &n) != 5 ||
	    s[n] || tm->tm_mon < 1 || tm->tm_mon > 12 || tm->tm_mday < 1 ||
	    tm->tm_mday > 31 || tm->tm_hour > 23 || tm->tm_min > 59)
		return false;
	tm->tm_year -= 1900;
	tm->tm_mon--;
	t = timegm(tm);
	return gmtime_r(&t, tm) != NULL;
}

/*
 * cron_tick: run the entries due in the minute `slot` names. Under the
 * jobs lock each due entry is claimed in cron_runs first, so of several
 * runners exactly one runs it. Returns 0 when the minute is dealt with,
 * 1 when the lock was busy or the database failed (try again), and sets
 * *failed when a job failed.
 */
static int cron_tick(struct jobs_env *env, struct jobs_entry *ents, size_t n,
		     const struct tm *tm, const char *slot, int wait_ms,
		     bool *failed)
{
	struct lock lk = LOCK_INIT;
	struct err e = ERR_INIT;
	size_t i;
	int rc;

	for (i = 0; i < n; i++)
		if (jobs_entry_due(&ents[i], tm))
			break;
	if (i == n)
		return 0;
	rc = lock_take(&lk, env->db, env->cfg->database_url, LOCK_JOBS, wait_ms,
		       &e);
	if (rc != 0) {
		if (rc < 0)
			log_msg(LOG_WARN, NULL, "cron: jobs lock: %s", e.msg);
		else
			/* Routine with several runners: not news. */
			log_msg(LOG_DEBUG, NULL,
				"cron: another runner holds "
				"the jobs lock; %s waits",
				slot);
		err_release(&e);
		return 1;
	}
	for (; i < n && !cron_stopping; i++) {
		if (!jobs_entry_due(&ents[i], tm))
			continue;
		rc = jobs_claim(env, ents[i].name, slot, &e);
		if (rc < 0) {
			log_msg(LOG_WARN, NULL, "cron: %s: %s", ents[i].name,
				e.msg);
			err_release(&e);
			lock_release(&lk, env->db, LOCK_JOBS);
			return 1;
		}
		if (rc == 0) {
			log_msg(LOG_DEBUG, NULL, "cron: %s already ran for %s",
				ents[i].name, slot);
			continue;
		}
		log_msg(LOG_INFO, NULL, "cron: running %s for %s", ents[i].name,
			slot);
		if (run_job(env, jobs_find(ents[i].argv[0]), ents[i].argc,
			    ents[i].argv) != 0)
			*failed = true;
	}
	lock_release(&lk, env->db, LOCK_JOBS);
	return 0;
}

static const char cron_usage[] =
	"usage: agora cron [--once] [--now YYYY-MM-DDTHH:MM]\n"
	"                  [--schedule 'MIN HOUR MDAY MON WDAY job [args]']...\n"
	"\n"
	"Run the batch jobs on their schedule (UTC) until SIGTERM or SIGINT,\n"
	"one runner per job across every agora cron.\n"
	"\n"
	"  --once            evaluate the current minute once, then exit\n"
	"  --now T           pretend it is minute T (UTC)\n"
	"  --schedule LINE   a crontab line; repeated, they replace the\n"
	"                    built-in schedule for this run\n"
	"  -h, --help        show this help\n";

int cmd_cron(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "once", no_argument, NULL, 'o' },
		{ "schedule", required_argument, NULL, 's' },
		{ "now", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct cmd_args a = { "cron", cron_usage, opts };
	struct jobs_entry *ents;
	const char *const *lines = jobs_schedule;
	const char **given = xcalloc((size_t)argc + 1, sizeof(*given));
	const char *now_arg = NULL;
	struct jobs_env env;
	struct err e = ERR_INIT;
	struct tm tm;
	struct cfg c;
	char slot[32], last[32] = "";
	size_t n = 0, ngiven = 0, i;
	bool once = false, failed = false;
	int opt, ret = 2;

	while ((opt = cmd_opt(&a, argc, argv)) > 0) {
		switch (opt) {
		case 'o':
			once = true;
			break;
		case 's':
			given[ngiven++] = optarg;
			break;
		case 'n':
			now_arg = optarg;
			break;
		}
	}
	if (opt < 0 || (now_arg && !parse_now(now_arg, &tm))) {
		free(given);
		return opt < 0 ? a.status :
				 cmd_usage_error(cron_usage,
						 "cron: --now must be "
						 "YYYY-MM-DDTHH:MM (UTC)");
	}
	if (ngiven)
		lines = given;
	while (lines[n])
		n++;
	ents = xcalloc(n ? n : 1, sizeof(*ents));
	for (i = 0; i < n; i++)
		if (jobs_entry_parse(&ents[i], lines[i], &e) < 0) {
			fprintf(stderr, "agora cron: %s\n", e.msg);
			n = i;
			goto out;
		}

	env_open(&env, &c, "cron");
	/* The sleep between ticks ends at once on SIGTERM. */
	signals_on_stop(cron_on_term);
	log_msg(LOG_INFO, NULL, "cron: %zu entr%s, %s", n, n == 1 ? "y" : "ies",
		once ? "once" : "until SIGTERM");
	ret = 0;
	while (!cron_stopping) {
		time_t t = time(NULL);

		if (!now_arg)
			gmtime_r(&t, &tm);
		strftime(slot, sizeof(slot), "%Y-%m-%dT%H:%M", &tm);
		if (strcmp(slot, last) != 0) {
			if (cron_tick(&env, ents, n, &tm, slot,
				      once ? BATCH_LOCK_WAIT_MS : 0,
				      &failed) == 0)
				snprintf(last, sizeof(last), "%s", slot);
			else if (once)
				failed = true;
		}
		if (once)
			break;
		/* Wake at the next second; a signal ends the sleep early. */
		nanosleep(&(struct timespec){ 1, 0 }, NULL);
	}
	log_msg(LOG_INFO, NULL, "cron: stopping");
	ret = failed ? 1 : 0;
	env_close(&env, &c);
out:
	for (i = 0; i < n; i++)
		jobs_entry_release(&ents[i]);
	free(ents);
	free(given);
	return ret;
}
