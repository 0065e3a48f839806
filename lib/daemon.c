/* daemon.c: start-up, stopping and waiting for the long-running daemons. */
#include "common.h"

#include <sys/random.h>
#include <time.h>

#include "beat.h"
#include "daemon.h"
#include "log.h"
#include "signals.h"

volatile sig_atomic_t daemon_stopping;

/* The heartbeat of this process (one daemon per process). */
static struct beat daemon_beat;

static void daemon_on_signal(int sig)
{
	(void)sig;
	daemon_stopping = 1;
}

static bool daemon_is(const char *a, const char *s, const char *l)
{
	return !strcmp(a, s) || !strcmp(a, l);
}

/* The CLI's rules: --help and --version exit 0, anything else is a usage
 * error (exit 2); a daemon takes its configuration from the environment. */
static void daemon_args(int argc, char **argv, const char *name)
{
	bool help;

	if (argc < 2)
		return;
	if (argc == 2 && daemon_is(argv[1], "-V", "--version")) {
		printf("%s %s\n", name, PACKAGE_VERSION);
		exit(0);
	}
	help = argc == 2 && daemon_is(argv[1], "-h", "--help");
	if (!help)
		fprintf(stderr, "%s: unexpected argument '%s'\n", name,
			argv[argc - 1]);
	fprintf(help ? stdout : stderr,
		"usage: %s [-h | --help | -V | --version]\n\n"
		"Runs until SIGTERM or SIGINT, configured by the environment "
		"(and\nAGORA_ENV_FILE); see %s(8).\n",
		name, name);
	exit(help ? 0 : 2);
}

struct db *daemon_start(int argc, char **argv, const char *name, struct cfg *c)
{
	struct db_opts opts = { 0 };
	struct err e = ERR_INIT;
	struct db *db = NULL;

	daemon_args(argc, argv, name);
	cfg_load_or_die(c, 0, name);
	log_init(name, c->log_level);
	signals_on_stop(daemon_on_signal);
	opts.statement_timeout = c->db_statement_timeout;
	if (db_open(&db, c->database_url, &opts, &e) < 0 && !db)
		die("%s: %s", name, e.msg);
	err_release(&e);
	beat_init(&daemon_beat, db,
		  strncmp(name, "agora-", 6) ? name : name + 6);
	return db;
}

void daemon_alive(const char *position)
{
	if (position)
		beat_position(&daemon_beat, position);
	beat_tick(&daemon_beat);
}

void daemon_alive_at(const struct outbox_event *ev)
{
	char buf[128];

	if (strchr(ev->txid, '/'))
		snprintf(buf, sizeof(buf), "%s", ev->txid);
	else if (!strcmp(ev->txid, "0"))
		snprintf(buf, sizeof(buf), "seq %" PRId64, ev->seq);
	else
		snprintf(buf, sizeof(buf), "txid %s seq %" PRId64, ev->txid,
			 ev->seq);
	daemon_alive(buf);
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
	/* Idle time is still alive time: a daemon waiting for events, or
	 * backing off, keeps its heartbeat. */
	while (ms > 0 && !daemon_stopping) {
		long step = ms > 250 ? 250 : ms;

		daemon_alive(NULL);
		daemon_pause_until(step, &daemon_stopping);
		ms -= step;
	}
	return !daemon_stopping;
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
