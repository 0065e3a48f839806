/* clock.c: durations on the monotonic clock, and UTC times as text. */
#include "common.h"

#include <time.h>

#include "clock.h"

double clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

void clock_ago(char buf[32], long secs)
{
	time_t t = time(NULL) - (time_t)secs;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
}
