/* daemon.c: start-up, stopping and waiting for the long-running daemons. */
#include "common.h"

#include <sys/random.h>
#include <time.h>

#include "daemon.h"
#include "log.h"

volatile sig_atomic_t daemon_stopping;

static void daemon_on_signal(int sig)
{
	(void)sig;
	daemon_stopping = 1;
}

struct db *daemon_start(int argc, const char *name, struct cfg *c)
{
	struct db_opts opts = { 0 };
	struct err e = ERR_INIT;
	struct sigaction sa;
	struct db *db = NULL;

	if (argc > 1) {
		fprintf(stderr, "usage: %s (configured by the environment; "
			"see docs/operations.md)\n", name);
		exit(2);
	}
	cfg_load_or_die(c, 0, name);
	log_init(name, c->log_level);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = daemon_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	opts.statement_timeout = c->db_statement_timeout;
	if (db_open(&db, c->database_url, &opts, &e) < 0 && !db)
		die("%s: %s", name, e.msg);
	err_release(&e);
	return db;
}

bool daemon_pause_until(long ms, volatile sig_atomic_t *quit)
{
	struct timespec ts;

	while (ms > 0 && !*quit) {
		long step = ms > 50 ? 50 : ms;

		ts.tv_sec = 0;
		ts.tv_nsec = step * 1000000L;
		nanosleep(&ts, NULL);
		ms -= step;
	}
	return !*quit;
}

bool daemon_pause(long ms)
{
	return daemon_pause_until(ms, &daemon_stopping);
}

long daemon_backoff(long *cur, long max)
{
	unsigned r = 0;
	long wait;

	if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
		r = (unsigned)time(NULL);
	wait = *cur / 2 + (long)(r % (unsigned)(*cur / 2 + 1));
	*cur = *cur * 2 > max ? max : *cur * 2;
	return wait;
}
