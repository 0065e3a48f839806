/* jobs.c: the batch jobs, the cron table and its claims. */
#include "common.h"

#include "clock.h"
#include "issue.h"
#include "jobs.h"
#include "log.h"
#include "order.h"
#include "outbox.h"

/* ---- the jobs ------------------------------------------------------------ */

static int job_warm_popular(struct jobs_env *env, int argc, char **argv,
			    struct err *e)
{
	struct sbuf val;
	size_t n = 0;
	int ret = -1;

	if (argc > 1)
		return err_set(e, ERR_BAD_REQUEST,
			       "warm-popular takes no arguments");
	sbuf_init(&val, 0, 0);
	if (issue_popular_load(env->db, &val, &n, e) < 0)
		goto out;
	if (strcmp(cache_type(env->cache), "redis") != 0) {
		/* Each responder keeps its own memory cache: this process
		 * cannot fill theirs. */
		log_msg(LOG_INFO, NULL,
			"warm-popular: %zu issues; the cache "
			"is in memory, per process: nothing to warm",
			n);
		ret = 0;
		goto out;
	}
	if (cache_set(env->cache, ISSUE_POPULAR_KEY, val.buf, val.len,
		      env->cfg->cache_ttl, e) < 0)
		goto out;
	log_msg(LOG_INFO, NULL,
		"warm-popular: %zu issues cached under %s "
		"for %d s",
		n, ISSUE_POPULAR_KEY, env->cfg->cache_ttl);
	ret = 0;
out:
	sbuf_release(&val);
	return ret;
}

/* job_days: the N of "JOB --days N" (1 to 36500), or -1 with a usage
 * error naming the job. */
static long job_days(int argc, char **argv, struct err *e)
{
	long days = -1;
	char *end;

	if (argc == 3 && !strcmp(argv[1], "--days")) {
		errno = 0;
		days = strtol(argv[2], &end, 10);
		if (errno || *end || argv[2][0] < '0' || argv[2][0] > '9' ||
		    days > 36500)
			days = -1;
	}
	if (days < 1)
		err_set(e, ERR_BAD_REQUEST,
			"usage: %s --days N (N from 1 to "
			"36500)",
			argv[0]);
	return days < 1 ? -1 : days;
}

static int job_close_stale(struct jobs_env *env, int argc, char **argv,
			   struct err *e)
{
	long days, closed = 0;

	if ((days = job_days(argc, argv, e)) < 0)
		return -1;
	if (issue_close_stale(env->db, (int)days, &closed, e) < 0)
		return -1;
	if (closed)
		issue_popular_forget(env->cache, NULL);
	log_msg(LOG_INFO, NULL,
		"close-stale-issues: closed %ld issue%s "
		"untouched for %ld days",
		closed, closed == 1 ? "" : "s", days);
	return 0;
}

static int job_expire_orders(struct jobs_env *env, int argc, char **argv,
			     struct err *e)
{
	long n = 0;
	int ret;

	(void)argv;
	if (argc > 1)
		return err_set(e, ERR_BAD_REQUEST,
			       "expire-orders takes no arguments");
	ret = order_expire(env->db, env->cfg->order_payment_timeout, &n, e);
	log_msg(ret < 0 ? LOG_WARN : LOG_INFO, NULL,
		"expire-orders: "
		"cancelled %ld order%s unpaid for %d minutes",
		n, n == 1 ? "" : "s", env->cfg->order_payment_timeout);
	return ret;
}

/*
 * prune-outbox: delete outbox rows older than N days that nobody needs
 * any more. With Kafka a row must have been published; every table
 * consumer must have read it, and without Kafka and with no consumer
 * recorded nothing is deleted. A consumer that reads one aggregate type
 * and has seen none lately holds back the rest: pruning waits, nothing
 * is lost.
 */
static int job_prune_outbox(struct jobs_env *env, int argc, char **argv,
			    struct err *e)
{
	bool kafka = env->cfg->kafka_brokers[0] != '\0';
	long days, total = 0;
	char cutoff[32];
	int rc;

	if ((days = job_days(argc, argv, e)) < 0)
		return -1;
	clock_ago(cutoff, days * 86400);
	rc = outbox_prune(env->db, cutoff, kafka, &total, e);
	if (rc == 1) {
		log_msg(LOG_INFO, NULL,
			"prune-outbox: no consumer has "
			"read the outbox yet: nothing to delete");
		return 0;
	}
	log_msg(rc < 0 ? LOG_WARN : LOG_INFO, NULL,
		"prune-outbox: deleted "
		"%ld row%s older than %ld days %s",
		total, total == 1 ? "" : "s", days,
		kafka ? "published to Kafka" : "every consumer has read");
	return rc;
}

const struct job jobs_table[] = {
	{ "warm-popular", "",
	  "recompute the popular issues and store them in Redis",
	  job_warm_popular },
	{ "close-stale-issues", "--days N",
	  "close OPEN and IN_PROGRESS issues untouched for N days",
	  job_close_stale },
	{ "expire-orders", "",
	  "cancel PENDING orders older than ORDER_PAYMENT_TIMEOUT minutes",
	  job_expire_orders },
	{ "prune-outbox", "--days N",
	  "delete outbox rows older than N days that no consumer needs",
	  job_prune_outbox },
	{ NULL },
};

/* Warmed every 4 minutes, the popular list (TTL 300 s by default) is
 * recomputed before it expires. */
const char *const jobs_schedule[] = {
	"*/4 * * * * warm-popular", "17 3 * * * close-stale-issues --days 30",
	/* An unpaid order is cancelled within a minute of its timeout. */
	"* * * * * expire-orders", "43 4 * * * prune-outbox --days 7", NULL
};

const struct job *jobs_find(const char *name)
{
	const struct job *j;

	for (j = jobs_table; j->name; j++)
		if (!strcmp(j->name, name))
			return j;
	return NULL;
}

/* ---- the schedule -------------------------------------------------------- */

static bool parse_num(const char **p, int *out)
{
	int v = 0;

	if (**p < '0' || **p > '9')
		return false;
	for (; **p >= '0' && **p <= '9'; (*p)++) {
		v = v * 10 + (**p - '0');
		if (v > 1000)
			return false;
	}
	*out = v;
	return true;
}

/* One field: comma-separated "*", "N" or "N-M", each with an optional
 * "/STEP", into bits lo..hi of *bits. */
static bool parse_field(const char *f, int lo, int hi, uint64_t *bits,
			bool *any)
{
	const char *p = f;
	int a, b, step;

	*bits = 0;
	*any = !strcmp(f, "*");
	for (;;) {
		if (*p == '*') {
			a = lo;
			b = hi;
			p++;
		} else {
			if (!parse_num(&p, &a))
				return false;
			b = a;
			if (*p == '-') {
				p++;
				if (!parse_num(&p, &b))
					return false;
			}
		}
		step = 1;
		if (*p == '/') {
			p++;
			if (!parse_num(&p, &step) || step < 1)
				return false;
		}
		if (a < lo || b > hi || a > b)
			return false;
		for (; a <= b; a += step)
			*bits |= UINT64_C(1) << a;
		if (*p != ',')
			break;
		p++;
	}
	return *p == '\0';
}

static void free_words(char **w, int n)
{
	int i;

	for (i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

/* Split on blanks into a NULL-terminated array of new strings. */
static char **split_words(const char *s, int *n)
{
	char **w = xcalloc(strlen(s) / 2 + 2, sizeof(*w));
	const char *start;

	*n = 0;
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (!*s)
			break;
		start = s;
		while (*s && *s != ' ' && *s != '\t')
			s++;
		w[(*n)++] = xmemdupz(start, (size_t)(s - start));
	}
	return w;
}

int jobs_entry_parse(struct jobs_entry *en, const char *line, struct err *e)
{
	static const char *const names[] = { "minute", "hour", "day of month",
					     "month", "day of week" };
	static const int lo[] = { 0, 0, 1, 1, 0 }, hi[] = { 59, 23, 31, 12, 7 };
	uint64_t bits[5];
	bool any[5];
	struct sbuf name;
	char **w;
	int n, i;

	memset(en, 0, sizeof(*en));
	w = split_words(line, &n);
	if (n < 6) {
		free_words(w, n);
		return err_set(e, ERR_BAD_REQUEST,
			       "schedule '%s': expected "
			       "MIN HOUR MDAY MON WDAY job [args]",
			       line);
	}
	for (i = 0; i < 5; i++)
		if (!parse_field(w[i], lo[i], hi[i], &bits[i], &any[i])) {
			err_set(e, ERR_BAD_REQUEST,
				"schedule '%s': bad %s "
				"field '%s'",
				line, names[i], w[i]);
			free_words(w, n);
			return -1;
		}
	if (!jobs_find(w[5])) {
		err_set(e, ERR_BAD_REQUEST, "schedule '%s': unknown job '%s'",
			line, w[5]);
		free_words(w, n);
		return -1;
	}
	en->min = bits[0];
	en->hour = (uint32_t)bits[1];
	en->mday = (uint32_t)bits[2];
	en->mon = (uint32_t)bits[3];
	/* 7 is Sunday too */
	en->wday = (uint32_t)((bits[4] | (bits[4] >> 7)) & 0x7f);
	en->mday_any = any[2];
	en->wday_any = any[4];
	sbuf_init(&name, 0, 0);
	for (i = 5; i < n; i++)
		sbuf_addf(&name, "%s%s", i > 5 ? " " : "", w[i]);
	en->name = sbuf_detach(&name, NULL);
	/* The job's argv: the words after the five fields. */
	for (i = 0; i < 5; i++)
		free(w[i]);
	memmove(w, w + 5, (size_t)(n - 5 + 1) * sizeof(*w));
	en->argv = w;
	en->argc = n - 5;
	return 0;
}

void jobs_entry_release(struct jobs_entry *en)
{
	if (en->argv)
		free_words(en->argv, en->argc);
	free(en->name);
	memset(en, 0, sizeof(*en));
}

bool jobs_entry_due(const struct jobs_entry *en, const struct tm *tm)
{
	bool mday = (en->mday >> tm->tm_mday) & 1;
	bool wday = (en->wday >> tm->tm_wday) & 1;
	bool day;

	/* cron's rule: two restricted day fields match when either does */
	if (!en->mday_any && !en->wday_any)
		day = mday || wday;
	else
		day = mday && wday;
	return ((en->min >> tm->tm_min) & 1) &&
	       ((en->hour >> tm->tm_hour) & 1) &&
	       ((en->mon >> (tm->tm_mon + 1)) & 1) && day;
}

/* ---- the claims --------------------------------------------------------- */

int jobs_claim(struct jobs_env *env, const char *name, const char *slot,
	       struct err *e)
{
	struct db_res *res;
	bool done;
	char now[32];

	if (db_query(env->db, &res,
		     "SELECT 1 FROM cron_runs WHERE name = $1 AND slot = $2",
		     DB_ARGS(DB_S(name), DB_S(slot)), e) < 0)
		return -1;
	done = db_res_rows(res) == 1;
	db_res_free(res);
	if (done)
		return 0;
	db_now(now);
	if (db_query(env->db, NULL,
		     "INSERT INTO cron_runs (name, slot, updated_at) "
		     "VALUES ($1, $2, $3) ON CONFLICT (name) DO UPDATE "
		     "SET slot = excluded.slot, "
		     "updated_at = excluded.updated_at",
		     DB_ARGS(DB_S(name), DB_S(slot), DB_S(now)), e) < 0)
		return -1;
	return 1;
}
