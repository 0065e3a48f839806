/* jobs.h: the batch jobs, their schedule and its claims. */
#ifndef AGORA_JOBS_H
#define AGORA_JOBS_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "cache.h"
#include "cfg.h"
#include "db.h"
#include "err.h"

/* What a job works with; the caller opens and frees all of it. */
struct jobs_env {
	const struct cfg *cfg;
	struct db *db;
	struct cache *cache;
};

/*
 * One job. run() gets argv from the job's name on (argv[0] = "warm-
 * popular"), logs what it did, and returns 0, or -1 with e set:
 * ERR_BAD_REQUEST for bad arguments, anything else for a failure. A
 * later feature adds its job as a row of jobs_table (jobs.c).
 */
struct job {
	const char *name;
	const char *args; /* its arguments, for usage lines */
	const char *help; /* one line */
	int (*run)(struct jobs_env *env, int argc, char **argv, struct err *e);
};

/* The jobs, ending with a { NULL } row. */
extern const struct job jobs_table[];
/* jobs_find: the job called name, or NULL. */
const struct job *jobs_find(const char *name);

/*
 * The built-in schedule of `agora cron`, NULL-terminated: crontab lines
 * "MIN HOUR MDAY MON WDAY job [args]" in UTC. Fields take *, N, N-M,
 * lists of those and /STEP, as cron does; when both MDAY and WDAY are
 * restricted, either one matching is enough.
 */
extern const char *const jobs_schedule[];

struct jobs_entry {
	uint64_t min; /* bit n: minute n */
	uint32_t hour, mday, mon; /* bits 0-23, 1-31, 1-12 */
	uint32_t wday; /* bits 0-6, Sunday = 0 */
	bool mday_any, wday_any;
	char *name; /* "job args", one space apart: its key */
	int argc;
	char **argv; /* the job and its arguments, NULL-ended */
};

/* jobs_entry_parse: one schedule line into *en (release it with
 * jobs_entry_release). Errors: ERR_BAD_REQUEST naming what is wrong
 * (a bad field, an unknown job). */
int jobs_entry_parse(struct jobs_entry *en, const char *line, struct err *e);
void jobs_entry_release(struct jobs_entry *en);
/* jobs_entry_due: does the entry fire in the minute tm (UTC) names? */
bool jobs_entry_due(const struct jobs_entry *en, const struct tm *tm);

/*
 * jobs_claim: under the jobs lock (lock.h), record that the entry `name`
 * runs for `slot` ("YYYY-MM-DDTHH:MM"). Returns 1 when it is now claimed,
 * 0 when it already ran for that slot (another runner did it), -1 with e
 * set.
 */
int jobs_claim(struct jobs_env *env, const char *name, const char *slot,
	       struct err *e);

#endif
