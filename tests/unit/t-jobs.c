/* t-jobs.c: the cron table and the run claims, on SQLite and PostgreSQL. */
#include "common.h"
#include "jobs.h"
#include "tap.h"
#include "testdb.h"

/* at: a UTC minute as struct tm, weekday filled in. */
static struct tm at(int y, int mon, int d, int h, int m)
{
	struct tm tm = { 0 };
	time_t t;

	tm.tm_year = y - 1900;
	tm.tm_mon = mon - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = m;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	return tm;
}

static bool due(const char *line, struct tm tm)
{
	struct jobs_entry en;
	struct err e = ERR_INIT;
	bool d;

	if (jobs_entry_parse(&en, line, &e) < 0) {
		printf("# %s\n", e.msg);
		err_release(&e);
		return false;
	}
	d = jobs_entry_due(&en, &tm);
	jobs_entry_release(&en);
	return d;
}

/* bad: the line is refused with a message containing want. */
static bool bad(const char *line, const char *want)
{
	struct jobs_entry en;
	struct err e = ERR_INIT;
	bool refused = jobs_entry_parse(&en, line, &e) < 0 &&
		       strstr(e.msg, want) != NULL;

	if (!refused)
		printf("# %s -> '%s'\n", line, e.msg);
	err_release(&e);
	return refused;
}

static void test_schedule(void)
{
	struct jobs_entry en;
	struct err e = ERR_INIT;
	size_t i;

	ok(due("*/4 * * * * warm-popular", at(2026, 1, 1, 0, 0)), "*/4 at :00");
	ok(due("*/4 * * * * warm-popular", at(2026, 1, 1, 13, 56)), "at :56");
	ok(!due("*/4 * * * * warm-popular", at(2026, 1, 1, 0, 5)), "not :05");
	ok(due("17 3 * * * warm-popular", at(2026, 5, 9, 3, 17)), "at 03:17");
	ok(!due("17 3 * * * warm-popular", at(2026, 5, 9, 4, 17)), "not 04:17");
	ok(due("0-10/5,30 * * * * warm-popular", at(2026, 1, 1, 0, 10)),
	   "0-10/5,30 at :10");
	ok(due("0-10/5,30 * * * * warm-popular", at(2026, 1, 1, 0, 30)),
	   "0-10/5,30 at :30");
	ok(!due("0-10/5,30 * * * * warm-popular", at(2026, 1, 1, 0, 7)),
	   "0-10/5,30 not at :07");
	/* 2026-06-01 is a Monday, 2026-06-07 a Sunday. */
	ok(due("0 0 1 * 1 warm-popular", at(2026, 6, 1, 0, 0)),
	   "both day fields: the 1st");
	ok(due("0 0 1 * 1 warm-popular", at(2026, 6, 8, 0, 0)),
	   "both day fields: or a Monday (cron's rule)");
	ok(!due("0 0 1 * 1 warm-popular", at(2026, 6, 9, 0, 0)),
	   "neither: not due");
	ok(due("0 0 * * 7 warm-popular", at(2026, 6, 7, 0, 0)), "7 is Sunday");
	ok(due("0 0 * * 0 warm-popular", at(2026, 6, 7, 0, 0)), "so is 0");
	ok(!due("0 0 * 2 * warm-popular", at(2026, 6, 7, 0, 0)), "month 2");

	ok(bad("61 * * * * warm-popular", "minute"), "minute 61 is refused");
	ok(bad("* 24 * * * warm-popular", "hour"), "hour 24 is refused");
	ok(bad("* * 0 * * warm-popular", "day of month"), "mday 0 is refused");
	ok(bad("*/0 * * * * warm-popular", "minute"), "step 0 is refused");
	ok(bad("5-1 * * * * warm-popular", "minute"), "a reversed range");
	ok(bad("1x * * * * warm-popular", "minute"), "trailing garbage");
	ok(bad("* * * * * rm-rf", "unknown job 'rm-rf'"), "an unknown job");
	ok(bad("* * * * *", "expected"), "no job at all");

	ok(jobs_entry_parse(&en, "  17 3 * * *  close-stale-issues  --days 30",
			    &e) == 0,
	   "extra blanks are fine");
	is_str(en.name, "close-stale-issues --days 30", "the entry's name");
	is_int(en.argc, 3, "the job's argc");
	is_str(en.argv[0], "close-stale-issues", "argv[0] is the job");
	is_str(en.argv[2], "30", "argv[2]");
	ok(en.argv[3] == NULL, "argv ends with NULL");
	jobs_entry_release(&en);

	for (i = 0; jobs_schedule[i]; i++) {
		ok(jobs_entry_parse(&en, jobs_schedule[i], &e) == 0,
		   "built-in entry '%s' parses", jobs_schedule[i]);
		jobs_entry_release(&en);
	}
	ok(jobs_find("warm-popular") && jobs_find("close-stale-issues"),
	   "both jobs are in the table");
	ok(!jobs_find("nope"), "no job called nope");
	err_release(&e);
}

/* Claims: of several runners, one runs an entry for a minute. */
static void claims(struct db *db, const char *url, const char *tag)
{
	struct jobs_env a = { NULL, db, NULL };
	struct err e = ERR_INIT;

	(void)url;
	is_int(jobs_claim(&a, "warm-popular", "2026-01-01T00:00", &e), 1,
	       "%s: a first claim for a minute wins", tag);
	is_int(jobs_claim(&a, "warm-popular", "2026-01-01T00:00", &e), 0,
	       "%s: a second one for the same minute loses", tag);
	is_int(jobs_claim(&a, "close-stale-issues --days 30",
			  "2026-01-01T00:00", &e),
	       1, "%s: another entry is apart", tag);
	is_int(jobs_claim(&a, "warm-popular", "2026-01-01T00:04", &e), 1,
	       "%s: the next minute is claimed again", tag);
	ok(!e.code, "%s: no error: %s", tag, e.msg);
	err_release(&e);
}

int main(void)
{
	test_schedule();
	testdb_run("jobs", claims);
	return done_testing();
}
