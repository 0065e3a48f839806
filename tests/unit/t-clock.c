/* t-clock.c: the monotonic milliseconds and UTC times as text. */
#include "common.h"

#include <time.h>

#include "clock.h"
#include "tap.h"

/* ago: what clock_ago must give for secs ago at wall time t. */
static void ago(char buf[32], time_t t, long secs)
{
	struct tm tm;

	t -= secs;
	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}

int main(void)
{
	struct timespec nap = { 0, 50 * 1000000L };
	char got[32], want[32], later[32];
	double t0, t1;
	time_t before;

	t0 = clock_ms();
	nanosleep(&nap, NULL);
	t1 = clock_ms();
	ok(t1 - t0 >= 50, "a 50 ms sleep lasts 50 ms or more (%.1f)", t1 - t0);
	/* A bound that tells a broken clock from a busy machine. */
	ok(t1 - t0 < 10000, "and not ten seconds");
	ok(clock_ms() >= t1, "it never goes back");

	/* The wall clock may tick between the two readings: either side. */
	before = time(NULL);
	clock_ago(got, 7 * 86400);
	ago(want, before, 7 * 86400);
	ago(later, before + 1, 7 * 86400);
	ok(!strcmp(got, want) || !strcmp(got, later), "seven days ago: %s (%s)",
	   got, want);
	is_int(strlen(got), 24, "db_now()'s format, whole seconds");
	ok(got[10] == 'T' && !strcmp(got + 19, ".000Z"), "UTC, ISO 8601");
	before = time(NULL);
	clock_ago(got, 0);
	ago(want, before, 0);
	ago(later, before + 1, 0);
	ok(!strcmp(got, want) || !strcmp(got, later), "0: now (%s)", got);
	return done_testing();
}
